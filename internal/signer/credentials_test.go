package signer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"gitlab.com/eocat/eocat/internal/auth"
	"gitlab.com/eocat/eocat/internal/presign"
	"gitlab.com/eocat/eocat/internal/testenv"
)

// TestCredentialsStaticModeRefuses: in static mode the signer signs with its
// own storage credentials and never hands them out.
func TestCredentialsStaticModeRefuses(t *testing.T) {
	e := newEnv(t, nil)
	for _, sub := range []string{"alice", ""} {
		resp, body := e.call("POST", "/credentials", sub, map[string]any{"prefix": "s3://eodata/users/alice/"})
		if resp.StatusCode != http.StatusNotFound || body["error"] != codeNotSupported || !strings.Contains(body["detail"].(string), "POST /credentials needs sts mode") {
			t.Errorf("as %q: %d %v, want 404 not_supported naming sts mode", sub, resp.StatusCode, body)
		}
		for _, v := range body {
			if s, _ := v.(string); strings.Contains(s, e.s3.AccessKey) || strings.Contains(s, e.s3.SecretKey) {
				t.Errorf("the signer's credentials in the answer: %v", body)
			}
		}
	}
	if strings.Contains(e.logs.String(), "credentials issued") {
		t.Error("an issuance was logged in static mode")
	}
	_, doc := e.call("GET", "/openapi.json", "", nil)
	op, _ := doc["paths"].(map[string]any)["/credentials"].(map[string]any)["post"].(map[string]any)
	if sec, _ := json.Marshal(op["security"]); string(sec) != `[{"OAuth2PasswordBearer":[]}]` {
		t.Errorf("openapi POST /credentials: %v (security %s)", op, sec)
	}
}

// fakeScoped records ScopedCredentials calls.
type fakeScoped struct {
	mu    sync.Mutex
	calls []presign.Scope
	durs  []time.Duration
	err   error
}

func (f *fakeScoped) Credentials(context.Context, *auth.Principal) (aws.Credentials, error) {
	return aws.Credentials{}, errors.New("not used")
}

func (f *fakeScoped) ScopedCredentials(_ context.Context, p *auth.Principal, sc presign.Scope, d time.Duration) (aws.Credentials, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls, f.durs = append(f.calls, sc), append(f.durs, d)
	if f.err != nil {
		return aws.Credentials{}, f.err
	}
	return aws.Credentials{AccessKeyID: "AKIA-" + p.Subject, SecretAccessKey: "very-secret", SessionToken: "session-token-xyz",
		CanExpire: true, Expires: time.Now().Add(d)}, nil
}

func (f *fakeScoped) last() (presign.Scope, time.Duration, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) == 0 {
		return presign.Scope{}, 0, 0
	}
	return f.calls[len(f.calls)-1], f.durs[len(f.durs)-1], len(f.calls)
}

// TestCredentialsRequests: what POST /credentials accepts and refuses before
// any STS call, the session length it asks for, the answer's shape (env for
// the AWS CLI, GDAL and rclone) and an audit line without secrets.
func TestCredentialsRequests(t *testing.T) {
	idp := testenv.StartOIDCProvider(t)
	v, err := auth.NewVerifier(auth.Options{Issuers: []auth.Issuer{{URL: idp.URL}}, Audiences: []string{"signer"}})
	if err != nil {
		t.Fatal(err)
	}
	ep, _ := url.Parse("http://127.0.0.1:8333")
	fake := &fakeScoped{}
	logs := &testenv.LockedBuffer{}
	storage := &presign.Storage{Endpoint: ep, Buckets: []string{"eodata"}, PathStyle: true, Region: "eu-west-3"}
	// A collection outside the storage never reaches the API: cmd/signer's
	// configuration checks refuse it (TestCredentialsConfigProblemsAreListed).
	srv, err := New(Config{Mode: ModeSTS, Verifier: v, Credentials: fake, Logger: slog.New(slog.NewJSONHandler(logs, nil)),
		Storage:                storage,
		CredentialsEnabled:     true,
		Collections:            collections(t, storage, map[string]string{"s2-l2a": "s3://eodata/sentinel-2/l2a/"}),
		CredentialsMaxLifetime: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(srv)
	defer api.Close()
	e := &env{t: t, idp: idp, api: api, logs: logs}

	refused := []struct {
		sub    string
		body   any
		status int
		code   string
	}{
		{"", map[string]any{"prefix": "s3://eodata/users/alice/"}, 401, codeInvalidToken},
		{"alice", map[string]any{}, 400, codeBadRequest},
		{"alice", map[string]any{"prefix": "s3://eodata/a/", "collection": "s2-l2a"}, 400, codeBadRequest},
		{"alice", map[string]any{"prefix": "s3://other/a/"}, 400, codeNotAllowed},
		{"alice", map[string]any{"prefix": "https://elsewhere.example.org/eodata/a/"}, 400, codeNotAllowed},
		{"alice", map[string]any{"prefix": "s3://eodata/users/alice/../bob/"}, 400, codeInvalidHref},
		{"alice", map[string]any{"prefix": "s3://eodata/users/*/"}, 400, codeInvalidHref},
		{"alice", map[string]any{"prefix": "s3://eodata/users/${jwt:sub}/"}, 400, codeInvalidHref},
		{"alice", map[string]any{"prefix": "s3://eodata/a/?versionId=1"}, 400, codeInvalidHref},
		{"alice", map[string]any{"prefix": "s3://eodata/" + strings.Repeat("long/", 180)}, 400, codeInvalidHref}, // session policy > 2048 bytes
		{"alice", map[string]any{"collection": "nope"}, 404, codeNotFound},
		{"alice", map[string]any{"prefix": "s3://eodata/a/", "duration_seconds": 60}, 400, codeInvalidDuration},
		{"alice", map[string]any{"prefix": "s3://eodata/a/", "duration_seconds": -1}, 400, codeInvalidDuration},
		{"alice", map[string]any{"prefix": "s3://eodata/a/", "write": "yes"}, 400, codeBadRequest},
	}
	for _, c := range refused {
		resp, body := e.call("POST", "/credentials", c.sub, c.body)
		if resp.StatusCode != c.status || body["error"] != c.code {
			t.Errorf("%v: %d %v, want %d %s", c.body, resp.StatusCode, body, c.status, c.code)
		}
	}
	if _, _, n := fake.last(); n != 0 {
		t.Fatalf("%d STS calls for refused requests", n)
	}

	resp, body := e.call("POST", "/credentials", "alice", map[string]any{"prefix": "http://127.0.0.1:8333/eodata/users/alice/zarr/x.zarr"})
	sc, d, _ := fake.last()
	if resp.StatusCode != 200 || sc != (presign.Scope{Bucket: "eodata", Prefix: "users/alice/zarr/x.zarr/"}) || d != time.Hour {
		t.Fatalf("prefix as an http URL without the final slash: %d %v; scope %+v for %v", resp.StatusCode, body, sc, d)
	}
	env, _ := body["env"].(map[string]any)
	want := map[string]any{"access_key_id": "AKIA-alice", "secret_access_key": "very-secret", "session_token": "session-token-xyz",
		"endpoint": "http://127.0.0.1:8333", "region": "eu-west-3", "path_style": true, "bucket": "eodata",
		"prefix": "users/alice/zarr/x.zarr/", "write": false}
	for k, w := range want {
		if body[k] != w {
			t.Errorf("%s = %v, want %v", k, body[k], w)
		}
	}
	if _, ok := body["collection"]; ok {
		t.Errorf("collection in an answer for a prefix: %v", body)
	}
	exp, err := time.Parse(time.RFC3339, body["expiration"].(string))
	if err != nil || time.Until(exp) < 59*time.Minute || time.Until(exp) > time.Hour {
		t.Errorf("expiration %v (%v)", body["expiration"], err)
	}
	for k, w := range map[string]string{"AWS_ACCESS_KEY_ID": "AKIA-alice", "AWS_SECRET_ACCESS_KEY": "very-secret",
		"AWS_SESSION_TOKEN": "session-token-xyz", "AWS_REGION": "eu-west-3", "AWS_ENDPOINT_URL": "http://127.0.0.1:8333",
		"AWS_S3_ENDPOINT": "127.0.0.1:8333", "AWS_HTTPS": "NO", "AWS_VIRTUAL_HOSTING": "FALSE",
		"RCLONE_S3_PROVIDER": "Other", "RCLONE_S3_ENV_AUTH": "true", "RCLONE_S3_ENDPOINT": "http://127.0.0.1:8333",
		"RCLONE_S3_REGION": "eu-west-3", "RCLONE_S3_FORCE_PATH_STYLE": "true", "RCLONE_S3_NO_CHECK_BUCKET": "true"} {
		if env[k] != w {
			t.Errorf("env %s = %v, want %s", k, env[k], w)
		}
	}
	if len(env) != 14 {
		t.Errorf("env has %d variables, want 14: %v", len(env), env)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}

	// A collection, write, and a length beyond the maximum (clamped).
	resp, body = e.call("POST", "/credentials", "alice", map[string]any{"collection": "s2-l2a", "write": true, "duration_seconds": 999999})
	sc, d, _ = fake.last()
	if resp.StatusCode != 200 || sc != (presign.Scope{Bucket: "eodata", Prefix: "sentinel-2/l2a/", Write: true}) || d != 2*time.Hour ||
		body["collection"] != "s2-l2a" || body["write"] != true {
		t.Fatalf("collection: %d %v; scope %+v for %v", resp.StatusCode, body, sc, d)
	}
	if env, _ := body["env"].(map[string]any); env["RCLONE_S3_UPLOAD_CUTOFF"] != "0" {
		t.Errorf("write: rclone 1.60 needs multipart uploads (no x-amz-acl): %v", env)
	}
	if resp, _ = e.call("POST", "/credentials", "alice", map[string]any{"prefix": "s3://eodata/a", "duration_seconds": 900}); resp.StatusCode != 200 {
		t.Fatalf("900 s: %d", resp.StatusCode)
	}
	if _, d, _ = fake.last(); d != 15*time.Minute {
		t.Errorf("900 s asked, %v requested", d)
	}

	// The audit line: who, where, until when; never a secret.
	logged := logs.String()
	for _, w := range []string{`"msg":"credentials issued"`, `"subject":"alice"`, `"bucket":"eodata"`, `"prefix":"sentinel-2/l2a/"`,
		`"collection":"s2-l2a"`, `"write":true`, `"expiry":"`, `"access_key_id":"AKIA-alice"`} {
		if !strings.Contains(logged, w) {
			t.Errorf("audit log lacks %s:\n%s", w, logged)
		}
	}
	if strings.Contains(logged, "very-secret") || strings.Contains(logged, "session-token-xyz") {
		t.Errorf("a secret in the logs:\n%s", logged)
	}

	// What the storage answers maps through the error mapper.
	fake.err = fmt.Errorf("%w: AccessDenied: not for you", presign.ErrSTSRefused)
	if resp, body = e.call("POST", "/credentials", "alice", map[string]any{"prefix": "s3://eodata/a/"}); resp.StatusCode != 403 || body["error"] != codeStorageRefused {
		t.Errorf("STS refusal: %d %v", resp.StatusCode, body)
	}
	fake.err = presign.ErrScopedUnsupported
	if resp, body = e.call("POST", "/credentials", "alice", map[string]any{"prefix": "s3://eodata/a/"}); resp.StatusCode != 404 || body["error"] != codeNotSupported {
		t.Errorf("with a configured session policy: %d %v", resp.StatusCode, body)
	}
}

// collections parses each collection's folder on the storage, as cmd/signer's
// configuration checks do before the API is built.
func collections(t *testing.T, st *presign.Storage, folders map[string]string) map[string]presign.Scope {
	t.Helper()
	out := map[string]presign.Scope{}
	for id, folder := range folders {
		sc, err := st.ParsePrefix(folder)
		if err != nil {
			t.Fatalf("collection %s: %v", id, err)
		}
		out[id] = sc
	}
	return out
}
