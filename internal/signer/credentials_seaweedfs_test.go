//go:build linux

package signer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"gitlab.com/eocat/eocat/internal/auth"
	"gitlab.com/eocat/eocat/internal/presign"
	"gitlab.com/eocat/eocat/internal/testenv"
)

// scopedCreds is a POST /credentials answer (its exact fields are checked
// in credentials_test.go).
type scopedCreds credentialsResponse

// client is an S3 client using the credentials the way a user would.
func (c scopedCreds) client() *s3.Client {
	return s3.New(s3.Options{Region: c.Region, BaseEndpoint: aws.String(c.Endpoint), UsePathStyle: c.PathStyle,
		Credentials: credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)})
}

// denied reports whether err is the storage's 403 AccessDenied.
func denied(err error) bool {
	var re *awshttp.ResponseError
	var ae smithy.APIError
	return errors.As(err, &re) && re.HTTPStatusCode() == http.StatusForbidden && errors.As(err, &ae) && ae.ErrorCode() == "AccessDenied"
}

// TestCredentialsAgainstSeaweedFS: POST /credentials hands alice a new STS
// session narrowed by a session policy to one folder; SeaweedFS enforces
// that policy intersected with the role's (users/${jwt:sub}/*): with an
// ordinary S3 client she reads and lists her folder, and is refused (403
// AccessDenied, from the storage) next to it in her own space, where the role
// alone would let her in, in bob's space, and on writes unless she asked for
// write.
func TestCredentialsAgainstSeaweedFS(t *testing.T) {
	start := time.Now()
	idp := testenv.StartOIDCProvider(t)
	weed := testenv.StartSeaweedFS(t, testenv.WebIdentityIAM(idp.URL, "signer", idp.URL+"/keys", "user",
		map[string]any{"Effect": "Allow", "Action": []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject"},
			"Resource": []string{"arn:aws:s3:::eodata/users/${jwt:sub}/*"}},
		map[string]any{"Effect": "Allow", "Action": []string{"s3:ListBucket"}, "Resource": []string{"arn:aws:s3:::eodata"},
			"Condition": map[string]any{"StringLike": map[string]any{"s3:prefix": []string{"users/${jwt:sub}/*"}}}}))
	weed.Put(t, "eodata", map[string]string{
		"users/alice/a/1.txt": "a1", "users/alice/a/sub/2.txt": "a2", "users/alice/ab.txt": "ab",
		"users/alice/b/1.txt": "b1", "users/bob/1.txt": "bob's",
	})
	cog, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "examples/quickstart/data/spot/SPOT6_2023-07-12_PMS/IMG_SPOT6_PMS_202307121034_ORT_R1C1.tif"))
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"users/alice/a/img.tif", "users/alice/b/img.tif"} {
		if _, err := weed.Client().PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("eodata"), Key: aws.String(key), Body: bytes.NewReader(cog)}); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("SeaweedFS ready in %v", time.Since(start).Round(time.Millisecond))

	ep, _ := url.Parse(weed.Endpoint)
	v, err := auth.NewVerifier(auth.Options{Issuers: []auth.Issuer{{URL: idp.URL}}, Audiences: []string{"signer"}})
	if err != nil {
		t.Fatal(err)
	}
	stsCreds := presign.NewSTS(presign.STSOptions{
		Client:  sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(weed.Endpoint), Credentials: aws.AnonymousCredentials{}}),
		RoleARN: "arn:aws:iam::role/user",
	})
	logs := &testenv.LockedBuffer{}
	storage := &presign.Storage{Endpoint: ep, Buckets: []string{"eodata"}, PathStyle: true, Region: "us-east-1"}
	srv, err := New(Config{Mode: ModeSTS, Verifier: v, Credentials: stsCreds, Logger: slog.New(slog.NewJSONHandler(logs, nil)),
		Storage:                storage,
		CredentialsEnabled:     true,
		Collections:            collections(t, storage, map[string]string{"alice-a": "s3://eodata/users/alice/a/"}),
		CredentialsMaxLifetime: 2 * time.Hour,
		Counters:               map[string]Counter{MetricSTSCalls: stsCreds.Calls, MetricCredentialsIssued: stsCreds.Scoped}})
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(srv)
	defer api.Close()
	e := &env{t: t, idp: idp, api: api, logs: logs}
	issue := func(body map[string]any) scopedCreds {
		t.Helper()
		resp, out := e.call("POST", "/credentials", "alice", body)
		if resp.StatusCode != 200 {
			t.Fatalf("POST /credentials %v: %d %v", body, resp.StatusCode, out)
		}
		var c scopedCreds
		for k, dst := range map[string]*string{"access_key_id": &c.AccessKeyID, "secret_access_key": &c.SecretAccessKey,
			"session_token": &c.SessionToken, "expiration": &c.Expiration, "endpoint": &c.Endpoint, "region": &c.Region,
			"bucket": &c.Bucket, "prefix": &c.Prefix} {
			*dst, _ = out[k].(string)
		}
		c.PathStyle, _ = out["path_style"].(bool)
		c.Write, _ = out["write"].(bool)
		c.Env = map[string]string{}
		env, _ := out["env"].(map[string]any)
		for k, v := range env {
			c.Env[k], _ = v.(string)
		}
		return c
	}
	ctx := context.Background()
	get := func(c *s3.Client, key string) (string, error) {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("eodata"), Key: aws.String(key)})
		if err != nil {
			return "", err
		}
		defer out.Body.Close()
		b, err := io.ReadAll(out.Body)
		return string(b), err
	}
	list := func(c *s3.Client, prefix string) ([]string, error) {
		out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("eodata"), Prefix: aws.String(prefix)})
		if err != nil {
			return nil, err
		}
		var keys []string
		for _, o := range out.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
		return keys, nil
	}
	put := func(c *s3.Client, key, body string) error {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("eodata"), Key: aws.String(key), Body: strings.NewReader(body)})
		return err
	}

	// alice's folder users/alice/a/, given without the final slash: a folder.
	asked := time.Now()
	c := issue(map[string]any{"prefix": "s3://eodata/users/alice/a", "duration_seconds": 3600})
	if c.Bucket != "eodata" || c.Prefix != "users/alice/a/" || c.Write || c.SessionToken == "" || c.Endpoint != weed.Endpoint || !c.PathStyle {
		t.Fatalf("answer %+v", c)
	}
	if exp, err := time.Parse(time.RFC3339, c.Expiration); err != nil || exp.Before(asked.Add(59*time.Minute)) || exp.After(time.Now().Add(time.Hour+time.Second)) {
		t.Errorf("expiration %s for a 3600 s session asked at %s (%v)", c.Expiration, asked.UTC().Format(time.RFC3339), err)
	}
	alice := c.client()
	for key, want := range map[string]string{"users/alice/a/1.txt": "a1", "users/alice/a/sub/2.txt": "a2"} {
		if got, err := get(alice, key); err != nil || got != want {
			t.Errorf("GET %s in her folder: %q %v", key, got, err)
		}
	}
	if _, err := alice.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("eodata"), Key: aws.String("users/alice/a/1.txt")}); err != nil {
		t.Errorf("HEAD in her folder: %v", err)
	}
	if keys, err := list(alice, "users/alice/a/"); err != nil || !slices.Equal(keys, []string{"users/alice/a/1.txt", "users/alice/a/img.tif", "users/alice/a/sub/2.txt"}) {
		t.Errorf("LIST her folder: %v %v", keys, err)
	}
	// GDAL's /vsis3/ with nothing but the answer's env block.
	t.Run("gdal", func(t *testing.T) { gdalVSIS3(t, c.Env) })

	// Outside the folder: refused by the storage. The role alone lets alice
	// read users/alice/b/ (her presigned URL works), so the session policy
	// is what refuses it.
	for _, key := range []string{"users/alice/b/1.txt", "users/alice/ab.txt", "users/bob/1.txt"} {
		if got, err := get(alice, key); !denied(err) {
			t.Errorf("GET %s outside her folder: %q %v, want 403 AccessDenied", key, got, err)
		}
	}
	for _, prefix := range []string{"users/alice/b/", "users/alice/", "users/bob/", ""} {
		if keys, err := list(alice, prefix); !denied(err) {
			t.Errorf("LIST %q outside her folder: %v %v, want 403 AccessDenied", prefix, keys, err)
		}
	}
	resp, out := e.call("GET", "/sign?href="+url.QueryEscape("s3://eodata/users/alice/b/1.txt"), "alice", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("sign: %d %v", resp.StatusCode, out)
	}
	if code, body := testenv.Fetch(t, "GET", out["href"].(string), nil); code != 200 || body != "b1" {
		t.Fatalf("the role itself lets alice read users/alice/b/: %d %q; the refusals above prove nothing", code, body)
	}
	// No write without asking, even where the role allows it.
	if err := put(alice, "users/alice/a/new.txt", "x"); !denied(err) {
		t.Errorf("PUT with read-only credentials: %v, want 403 AccessDenied", err)
	}
	if _, err := get(weed.Client(), "users/alice/a/new.txt"); err == nil {
		t.Error("the refused PUT wrote the object")
	}

	// Write asked for: uploads in the folder only.
	w := issue(map[string]any{"prefix": "s3://eodata/users/alice/a/", "write": true})
	if !w.Write || w.AccessKeyID == c.AccessKeyID {
		t.Fatalf("write credentials %+v: want a new session", w)
	}
	if err := put(w.client(), "users/alice/a/new.txt", "new"); err != nil {
		t.Errorf("PUT with write credentials in her folder: %v", err)
	}
	if got, err := get(weed.Client(), "users/alice/a/new.txt"); err != nil || got != "new" {
		t.Errorf("uploaded object: %q %v", got, err)
	}
	for _, key := range []string{"users/alice/b/new.txt", "users/bob/new.txt"} {
		if err := put(w.client(), key, "x"); !denied(err) {
			t.Errorf("PUT %s with write credentials: %v, want 403 AccessDenied", key, err)
		}
	}
	// The role allows deletes in alice's space; write sessions never do.
	if _, err := w.client().DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("eodata"), Key: aws.String("users/alice/a/new.txt")}); !denied(err) {
		t.Errorf("DELETE with write credentials: %v, want 403 AccessDenied (write never includes delete)", err)
	}
	own, err := stsCreds.Credentials(ctx, &auth.Principal{Issuer: idp.URL, Subject: "alice", Token: idp.Token(t, "alice", "signer", nil)})
	if err != nil {
		t.Fatal(err)
	}
	unscoped := scopedCreds{AccessKeyID: own.AccessKeyID, SecretAccessKey: own.SecretAccessKey, SessionToken: own.SessionToken,
		Endpoint: weed.Endpoint, Region: "us-east-1", PathStyle: true}
	if _, err := unscoped.client().DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("eodata"), Key: aws.String("users/alice/a/new.txt")}); err != nil {
		t.Fatalf("the role itself lets alice delete in her space: %v; the refusal above proves nothing", err)
	}

	// bob's space: the signer issues a session for it (it does not decide),
	// the role refuses everything in it.
	b := issue(map[string]any{"prefix": "s3://eodata/users/bob/"})
	if got, err := get(b.client(), "users/bob/1.txt"); !denied(err) {
		t.Errorf("GET bob's object with a session scoped to bob's space: %q %v, want 403 AccessDenied (role policy)", got, err)
	}
	if keys, err := list(b.client(), "users/bob/"); !denied(err) {
		t.Errorf("LIST bob's space: %v %v, want 403 AccessDenied (role policy)", keys, err)
	}

	// A collection names the same folder; a long request is clamped to the
	// maximum (2 h).
	asked = time.Now()
	col := issue(map[string]any{"collection": "alice-a", "duration_seconds": 86400})
	if got, err := get(col.client(), "users/alice/a/1.txt"); err != nil || got != "a1" || col.Prefix != "users/alice/a/" {
		t.Errorf("collection alice-a: %q %v %+v", got, err, col)
	}
	if got, err := get(col.client(), "users/alice/b/1.txt"); !denied(err) {
		t.Errorf("collection alice-a outside its folder: %q %v", got, err)
	}
	if exp, err := time.Parse(time.RFC3339, col.Expiration); err != nil || exp.Before(asked.Add(2*time.Hour-time.Minute)) || exp.After(time.Now().Add(2*time.Hour+time.Second)) {
		t.Errorf("expiration %s for a day asked with a 2 h maximum (%v)", col.Expiration, err)
	}

	// Every answer was a new STS session; each was counted and logged.
	if n := stsCreds.Scoped(); n != 4 {
		t.Errorf("%d scoped sessions counted, want 4", n)
	}
	if _, metrics := e.callRaw("GET", "/metrics"); !strings.Contains(metrics, "signer_credentials_issued_total 4") {
		t.Errorf("metrics lack signer_credentials_issued_total 4")
	}
	if n := strings.Count(logs.String(), `"msg":"credentials issued"`); n != 4 {
		t.Errorf("%d audit lines, want 4", n)
	}
	for _, secret := range []string{c.SecretAccessKey, c.SessionToken, w.SecretAccessKey} {
		if strings.Contains(logs.String(), secret) {
			t.Error("a secret in the logs")
		}
	}
	t.Logf("whole test: %v", time.Since(start).Round(time.Millisecond))
}

// gdalVSIS3 reads alice's COG with `gdalinfo /vsis3/…`, configured only by
// the env block of a POST /credentials answer, and is refused next to it.
func gdalVSIS3(t *testing.T, env map[string]string) {
	bin := os.Getenv("EOCAT_GDALINFO")
	if bin == "" {
		bin, _ = exec.LookPath("gdalinfo")
	}
	if bin == "" {
		testenv.Missing(t, "gdalinfo (gdal-bin): install it with .ci/tools.sh gdal")
	}
	home := t.TempDir()
	vars := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "AWS_CONFIG_FILE=" + filepath.Join(home, "none"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "none"), "GDAL_HTTP_MAX_RETRY=0"}
	for k, v := range env {
		vars = append(vars, k+"="+v)
	}
	gdalinfo := func(path string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, "-json", path)
		cmd.Env = vars
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := gdalinfo("/vsis3/eodata/users/alice/a/img.tif")
	var info struct {
		Driver string `json:"driverShortName"`
		Size   []int  `json:"size"`
	}
	if err != nil || json.Unmarshal([]byte(out), &info) != nil || info.Driver != "GTiff" || len(info.Size) != 2 || info.Size[0] == 0 {
		t.Fatalf("gdalinfo /vsis3/ in her folder: %v\n%s", err, out)
	}
	if out, err := gdalinfo("/vsis3/eodata/users/alice/b/img.tif"); err == nil || strings.Contains(out, "GTiff") {
		t.Errorf("gdalinfo /vsis3/ outside her folder succeeded:\n%s", out)
	}
}

// callRaw is a GET without a token, returning the raw body.
func (e *env) callRaw(method, path string) (int, string) {
	e.t.Helper()
	return testenv.Fetch(e.t, method, e.api.URL+path, nil)
}
