//go:build linux

package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/eocat/eocat/internal/testenv"
)

// TestBuildWithWebIdentity is the GitLab CI chain of .gitlab-ci.yml's
// .catalog-from-s3 job, against a real STS: the job's OIDC ID token in
// AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN and AWS_ENDPOINT_URL_STS, and no
// static key anywhere. The standard credential chain exchanges the token at
// SeaweedFS's STS (AssumeRoleWithWebIdentity) for credentials of a read-only
// role, and the build lists and reads the bucket with them. A token for
// another audience is refused by the STS and the build fails, saying so.
func TestBuildWithWebIdentity(t *testing.T) {
	idp := testenv.StartOIDCProvider(t)
	const aud = "https://s3.example.org" // the id_tokens: aud of the CI job
	weed := testenv.StartSeaweedFS(t, testenv.WebIdentityIAM(idp.URL, aud, idp.URL+"/keys", "stacgen-read",
		map[string]any{"Effect": "Allow", "Action": []string{"s3:GetObject"}, "Resource": []string{"arn:aws:s3:::" + bucket + "/*"}},
		map[string]any{"Effect": "Allow", "Action": []string{"s3:ListBucket"}, "Resource": []string{"arn:aws:s3:::" + bucket}}))
	data := filepath.Join(testenv.RepoRoot(), "examples", "quickstart", "data")
	objects := map[string]string{}
	err := filepath.WalkDir(data, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(data, p)
		objects[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	weed.Put(t, bucket, objects)

	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "stacgen.yaml")
	if err := os.WriteFile(cfgFile, []byte(s3ConfigText(t, weed.Endpoint)), 0o600); err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(dir, ".storage-id-token")
	for k, v := range map[string]string{
		"AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile,
		"AWS_ROLE_ARN":                "arn:aws:iam::role/stacgen-read",
		"AWS_ENDPOINT_URL_STS":        weed.Endpoint,
		"AWS_ROLE_SESSION_NAME":       "gitlab-ci-job",
		// nothing else may provide credentials
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "no-config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "no-credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(k, v)
	}
	schemas := testenv.SharedDir(t, "stac-schemas")
	build := func(token, out string) (int, string) {
		t.Helper()
		if err := os.WriteFile(tokenFile, []byte(token), 0o600); err != nil {
			t.Fatal(err)
		}
		code, _, stderr := run(t, "build", "--config", cfgFile, "--out", out, "--schemas", schemas, "--offline", "--concurrency", "4")
		return code, stderr
	}

	out := filepath.Join(dir, "public")
	job := idp.Token(t, "project_path:eo/catalog:ref_type:branch:ref:main", aud, map[string]any{"project_path": "eo/catalog"})
	if code, stderr := build(job, out); code != 0 {
		t.Fatalf("build with the job's web identity: exit %d\n%s", code, stderr)
	}
	items, _ := filepath.Glob(filepath.Join(out, "spot-6-7-ortho", "*", "*.json"))
	if len(items) != 1 {
		t.Fatalf("SPOT items: %v", items)
	}
	item := readJSON(t, items[0])
	for _, a := range item["assets"].(map[string]any) {
		if href := a.(map[string]any)["href"].(string); !strings.HasPrefix(href, weed.Endpoint+"/"+bucket+"/spot/") {
			t.Fatalf("asset href %s is not on the storage", href)
		}
	}
	if _, ok := item["properties"].(map[string]any)["proj:code"]; !ok {
		t.Fatalf("the COG header was not read through the role's credentials: %v", item["properties"])
	}

	wrong := idp.Token(t, "someone", "another-audience", nil)
	code, stderr := build(wrong, filepath.Join(dir, "public2"))
	if code == 0 || !strings.Contains(stderr, "getting credentials: STS AssumeRoleWithWebIdentity refused: InvalidParameterValue") {
		t.Fatalf("token for another audience: exit %d, want a failure naming AssumeRoleWithWebIdentity:\n%s", code, stderr)
	}
}
