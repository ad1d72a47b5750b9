//go:build linux

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gitlab.com/eocat/eocat/internal/testenv"
)

// The README's signer section as a doc test: its example policy is the
// policy of a real `signer serve` (versitygw, an OpenID Provider, API keys
// on), and every curl line of its API reference runs as written with bash
// and curl (but for POST /credentials, which needs mode sts and is tested
// against SeaweedFS in internal/signer), with $S and $TOKEN set, curl
// failing on any HTTP error (--fail-with-body). Every presigned URL a
// command prints is fetched and must give the object's bytes. The README's
// policy and hrefs disagreed once: every documented call was a 403.

// readmeSection returns the README's text from the heading "## <name>" to
// the next heading of the same level.
func readmeSection(t *testing.T, name string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	start := strings.Index(text, "\n## "+name+"\n")
	if start < 0 {
		t.Fatalf("README.md has no section %q", name)
	}
	rest := text[start+1:]
	if end := strings.Index(rest[3:], "\n## "); end >= 0 {
		rest = rest[:end+3]
	}
	return rest
}

// fencedBlocks returns the contents of the ```lang blocks of text, in order
// (indented blocks in list items included, their indentation removed).
func fencedBlocks(text, lang string) []string {
	var blocks []string
	var cur []string
	in, indent := false, ""
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimLeft(line, " ")
		switch {
		case !in && trimmed == "```"+lang:
			in, indent, cur = true, line[:len(line)-len(trimmed)], nil
		case in && trimmed == "```":
			blocks = append(blocks, strings.Join(cur, "\n"))
			in = false
		case in:
			cur = append(cur, strings.TrimPrefix(line, indent))
		}
	}
	return blocks
}

// commands splits a shell block into commands (continuation lines joined).
func commands(block string) []string {
	var out []string
	joined := strings.ReplaceAll(block, "\\\n", " ")
	for _, line := range strings.Split(joined, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out
}

var presignedURL = regexp.MustCompile(`https?://[^"\s]+X-Amz-Signature=[0-9a-f]+`)

func TestREADMESignerExamples(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Missing(t, "%s: %v", tool, err)
		}
	}
	section := readmeSection(t, "signer")

	// The example policy is the first YAML block of the section.
	policies := fencedBlocks(section, "yaml")
	if len(policies) == 0 || !strings.Contains(policies[0], "rules:") {
		t.Fatalf("no example policy in the README's signer section: %q", policies)
	}
	dir := t.TempDir()
	policyFile := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(policyFile, []byte(policies[0]), 0o600); err != nil {
		t.Fatal(err)
	}

	// The commands of the API reference.
	api := section[strings.Index(section, "### API reference"):]
	api = api[:strings.Index(api[4:], "\n### ")+4]
	var cmds []string
	var setup []string
	skipped := 0
	for _, block := range fencedBlocks(api, "sh") {
		if strings.Contains(block, "$S/credentials") {
			skipped++ // mode sts: internal/signer/credentials_seaweedfs_test.go
			continue
		}
		for _, c := range commands(block) {
			if strings.HasPrefix(c, "TOKEN=") || strings.HasPrefix(c, "S=") {
				setup = append(setup, c)
				continue
			}
			cmds = append(cmds, c)
		}
	}
	if len(setup) != 2 || skipped != 1 || len(cmds) < 15 {
		t.Fatalf("README's API reference: %d setup lines %q, %d blocks skipped, %d commands: the extraction no longer matches the README", len(setup), setup, skipped, len(cmds))
	}

	// The objects the commands name, on a real storage: the Sentinel-2
	// bands of the quickstart's sample product (GDAL reads one).
	hrefKeys := regexp.MustCompile(`(?:s3://|https://s3\.example\.org/)eodata/([A-Za-z0-9._/-]+)`)
	objects := map[string][]byte{}
	sample := filepath.Join(testenv.RepoRoot(), "examples", "quickstart", "data", "sentinel2-l2a", "S2B_MSIL2A_20240615T103629_N0510_R008_T31TEJ_20240615T135412")
	for _, c := range cmds {
		for _, m := range hrefKeys.FindAllStringSubmatch(c, -1) {
			key := m[1]
			if _, ok := objects[key]; ok {
				continue
			}
			data, err := os.ReadFile(filepath.Join(sample, filepath.Base(key)))
			if err != nil {
				t.Fatalf("the README names %s: no sample file for it: %v", key, err)
			}
			objects[key] = data
		}
	}
	if len(objects) < 2 {
		t.Fatalf("objects named by the README: %v", objects)
	}
	s3srv := testenv.StartVersityGW(t)
	s3srv.CreateBucket(t, "eodata")
	for key, data := range objects {
		if _, err := s3srv.Client(t).PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("eodata"), Key: aws.String(key), Body: strings.NewReader(string(data))}); err != nil {
			t.Fatal(err)
		}
	}
	idp := testenv.StartOIDCProvider(t)
	base, logs := startServe(t, s3srv, "--issuer", idp.URL, "--audience", "signer", "--s3-endpoint", s3srv.Endpoint,
		"--s3-alias", "https://s3.example.org", "--s3-bucket", "eodata", "--policy", policyFile,
		"--api-keys-file", filepath.Join(dir, "keys", "apikeys.json"))
	token := idp.Token(t, "alice", "signer", map[string]any{"groups": []string{"s2-readers"}})

	// A STAC Item for POST /sign/stac, with an asset of the README.
	var firstKey string
	for k := range objects {
		if firstKey == "" || k < firstKey {
			firstKey = k
		}
	}
	item, _ := json.Marshal(map[string]any{"type": "Feature", "stac_version": "1.1.0", "id": "T31TEJ", "geometry": nil, "properties": map[string]any{"datetime": "2024-06-15T10:36:29Z"},
		"assets": map[string]any{"B02": map[string]any{"href": "s3://eodata/" + firstKey, "type": "image/tiff; application=geotiff; profile=cloud-optimized"}}})
	if err := os.WriteFile(filepath.Join(dir, "item.json"), item, 0o600); err != nil {
		t.Fatal(err)
	}
	gdal := true
	if _, err := exec.LookPath("gdalinfo"); err != nil {
		if testenv.InCI() {
			t.Fatalf("gdalinfo: %v (CI installs gdal-bin)", err)
		}
		gdal = false
	}

	ran := 0
	for _, c := range cmds {
		if strings.Contains(c, "gdalinfo") && !gdal {
			t.Logf("skipped (no gdalinfo): %s", c)
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		// curl fails on HTTP errors, showing the body; pipes fail as a whole.
		script := "set -eo pipefail\ncurl() { command curl --fail-with-body --silent --show-error \"$@\"; }\n" + c
		cmd := exec.CommandContext(ctx, "bash", "-c", script)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "S="+base, "TOKEN="+token)
		out, err := cmd.CombinedOutput()
		cancel()
		ran++
		if err != nil {
			t.Errorf("README command failed (%v):\n  %s\n%s", err, c, out)
			continue
		}
		checkREADMEOutput(t, c, string(out), objects, dir)
		for _, u := range presignedURL.FindAllString(string(out), -1) {
			code, body := testenv.Fetch(t, "GET", u, nil)
			key := u[strings.Index(u, "/eodata/")+len("/eodata/") : strings.Index(u, "?")]
			if want, ok := objects[key]; code != 200 || !ok || body != string(want) {
				t.Errorf("a URL printed by %q gives %d (%d bytes), want the %d bytes of %s", c, code, len(body), len(want), key)
			}
		}
	}
	t.Logf("ran %d README commands against the signer", ran)
	if t.Failed() {
		t.Logf("signer log:\n%s", logs.String())
	}
}

// checkREADMEOutput checks what some commands print beyond their success.
func checkREADMEOutput(t *testing.T, c, out string, objects map[string][]byte, dir string) {
	t.Helper()
	must := func(ok bool, what string) {
		if !ok {
			t.Errorf("%s:\n  %s\nprinted: %.600s", what, c, out)
		}
	}
	switch {
	case strings.Contains(c, "-o B02.tif"):
		got, _ := os.ReadFile(filepath.Join(dir, "B02.tif"))
		var want []byte
		for k, v := range objects {
			if strings.HasSuffix(k, "/B02.tif") {
				want = v
			}
		}
		must(len(got) > 0 && string(got) == string(want), fmt.Sprintf("the download through /redirect: %d bytes, want %d", len(got), len(want)))
	case strings.Contains(c, "gdalinfo"):
		must(strings.Contains(out, "Driver: GTiff/GeoTIFF") && strings.Contains(out, "Band 1"), "gdalinfo through /redirect")
	case strings.Contains(c, "/create_api_key"):
		raw, _ := os.ReadFile(filepath.Join(dir, "key.json"))
		var k map[string]string
		must(json.Unmarshal(raw, &k) == nil && strings.HasPrefix(k["access-key"], "eak_") && strings.HasPrefix(k["secret-key"], "eks_"), "key.json from /create_api_key")
	case strings.Contains(c, "/list_api_keys_with_metadata"):
		var keys []map[string]string
		must(json.Unmarshal([]byte(out), &keys) == nil && len(keys) == 1 && keys[0]["description"] == "nightly job", "the key listed with its description")
	case strings.Contains(c, "/list_api_keys"):
		var keys []string
		must(json.Unmarshal([]byte(out), &keys) == nil && len(keys) == 1 && strings.HasPrefix(keys[0], "eak_"), "the key listed")
	case strings.Contains(c, "/revoke_api_key"):
		must(strings.Contains(out, `"revoked":true`), "the key revoked")
	case strings.Contains(c, "tokenUrl"):
		must(strings.HasSuffix(strings.TrimSpace(out), "/token") && strings.HasPrefix(strings.TrimSpace(out), "http://127.0.0.1:"), "tokenUrl")
	case strings.Contains(c, "/healthz"):
		must(strings.Contains(out, `{"status":"ok"}`) && strings.Contains(out, `"ready":true`), "healthz and readyz")
	case strings.Contains(c, "/metrics"):
		must(strings.Contains(out, "signer_urls_signed_total") && strings.Contains(out, "signer_requests_total{"), "metrics")
	case strings.Contains(c, "/sign"), strings.Contains(c, "/api/sas/v1/sign"):
		must(presignedURL.MatchString(out), "a signing call printed no presigned URL")
	}
}
