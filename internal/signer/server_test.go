package signer

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gitlab.com/eocat/eocat/internal/auth"
	"gitlab.com/eocat/eocat/internal/policy"
	"gitlab.com/eocat/eocat/internal/presign"
	"gitlab.com/eocat/eocat/internal/testenv"
)

const testPolicy = `
rules:
  - name: read-eodata
    allow: [GET, HEAD]
    resources: ["eodata/public/*", "eodata/users/${jwt:sub}/*"]
  - name: upload-own
    allow: [PUT]
    resources: ["eodata/users/${jwt:sub}/*"]
`

type env struct {
	t    *testing.T
	s3   *testenv.S3Server
	idp  *testenv.OIDCProvider
	api  *httptest.Server
	srv  *Server
	logs *testenv.LockedBuffer
}

func newEnv(t *testing.T, mutate func(*Config)) *env {
	t.Helper()
	e := &env{t: t, s3: testenv.StartVersityGW(t), idp: testenv.StartOIDCProvider(t), logs: &testenv.LockedBuffer{}}
	e.s3.CreateBucket(t, "eodata")
	for key, body := range map[string]string{
		"public/S2/B02.tif":    "blue band",
		"users/alice/mine.tif": "alice's",
		"users/bob/his.tif":    "bob's",
	} {
		e.put(key, body)
	}
	ep, _ := url.Parse(e.s3.Endpoint)
	pol, err := policy.Parse([]byte(testPolicy))
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.Options{Issuers: []auth.Issuer{{URL: e.idp.URL}}, Audiences: []string{"signer"}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Mode:        ModeStatic,
		Storage:     &presign.Storage{Endpoint: ep, Buckets: []string{"eodata"}, PathStyle: true, Region: e.s3.Region},
		Verifier:    v,
		Policy:      pol,
		Credentials: presign.NewStatic(credentials.NewStaticCredentialsProvider(e.s3.AccessKey, e.s3.SecretKey, "")),
		TokenURL:    e.idp.URL + "/token",
		CORSOrigins: []string{"https://browser.example.org"},
		Logger:      slog.New(slog.NewJSONHandler(e.logs, nil)),
	}
	if mutate != nil {
		mutate(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	e.api = httptest.NewServer(srv)
	t.Cleanup(e.api.Close)
	return e
}

func (e *env) obj(key string) string { return e.s3.Endpoint + "/eodata/" + key }

// put stores an object in the eodata bucket.
func (e *env) put(key, body string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := e.s3.Client(e.t).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("eodata"), Key: aws.String(key), Body: strings.NewReader(body)}); err != nil {
		e.t.Fatal(err)
	}
}

// reply is a raw response.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// object decodes the body as a JSON object.
func (r reply) object(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	return m
}

// send makes a request with the given headers (and a JSON body if any);
// redirects are not followed.
func (e *env) send(method, path string, hdr map[string]string, body any) reply {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, e.api.URL+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, data}
}

// bearerOf returns the Authorization header of a token for sub.
func (e *env) bearerOf(sub string, claims map[string]any) map[string]string {
	return map[string]string{"Authorization": "Bearer " + e.idp.Token(e.t, sub, "signer", claims)}
}

// call sends a request to the signer as sub (no token when sub is "") and
// decodes the JSON answer.
func (e *env) call(method, path, sub string, body any) (*http.Response, map[string]any) {
	e.t.Helper()
	var hdr map[string]string
	if sub != "" {
		hdr = e.bearerOf(sub, nil)
	}
	r := e.send(method, path, hdr, body)
	var out map[string]any
	_ = json.Unmarshal(r.body, &out)
	return &http.Response{StatusCode: r.status, Header: r.header}, out
}

func q(v string) string { return url.QueryEscape(v) }

func TestSignEndpoints(t *testing.T) {
	e := newEnv(t, nil)

	resp, out := e.call("GET", "/sign?href="+q(e.obj("public/S2/B02.tif"))+"&duration=600", "alice", nil)
	if resp.StatusCode != 200 || len(out) != 2 {
		t.Fatalf("GET /sign: %d %v", resp.StatusCode, out)
	}
	if code, body := testenv.Fetch(t, "GET", out["href"].(string), nil); code != 200 || body != "blue band" {
		t.Fatalf("signed URL: %d %q", code, body)
	}
	exp, err := time.Parse(time.RFC3339, out["expiry"].(string))
	if err != nil || time.Until(exp) > 10*time.Minute || time.Until(exp) < 9*time.Minute {
		t.Fatalf("expiry %v %v", out["expiry"], err)
	}

	hrefs := []string{e.obj("public/S2/B02.tif"), e.obj("users/alice/mine.tif")}
	resp, out = e.call("POST", "/sign", "alice", map[string]any{"hrefs": hrefs, "duration_seconds": 60})
	if resp.StatusCode != 200 {
		t.Fatalf("POST /sign: %d %v", resp.StatusCode, out)
	}
	signed := out["hrefs"].(map[string]any)
	if len(signed) != 2 || out["expiry"] == nil {
		t.Fatalf("POST /sign: %v", out)
	}
	if code, body := testenv.Fetch(t, "GET", signed[hrefs[1]].(string), nil); code != 200 || body != "alice's" {
		t.Fatalf("%d %q", code, body)
	}

	// A tampered URL is refused by the storage, not by us.
	if code, _ := testenv.Fetch(t, "GET", strings.Replace(signed[hrefs[1]].(string), "alice", "bob", 1), nil); code != http.StatusForbidden {
		t.Fatalf("tampered URL: %d", code)
	}

	// DINAMIS: query form and JSON form; foreign hrefs pass through.
	foreign := "https://other.example.org/x.tif"
	resp, out = e.call("POST", "/sign_urls?urls="+q(hrefs[0])+"&urls="+q(foreign)+"&duration_seconds=120", "alice", nil)
	if resp.StatusCode != 200 || out["hrefs"].(map[string]any)[foreign] != foreign || out["expiry"] == nil {
		t.Fatalf("DINAMIS query form: %d %v", resp.StatusCode, out)
	}
	resp, out = e.call("POST", "/sign_urls", "alice", map[string]any{"urls": []string{hrefs[0], foreign}, "duration_seconds": 120})
	if resp.StatusCode != 200 || len(out["hrefs"].(map[string]any)) != 2 {
		t.Fatalf("DINAMIS JSON form: %d %v", resp.StatusCode, out)
	}
	resp, out = e.call("POST", "/sign_urls_put", "alice", map[string]any{"urls": []string{e.obj("users/alice/new.txt")}})
	put, _ := out["hrefs"].(map[string]any)[e.obj("users/alice/new.txt")].(string)
	if resp.StatusCode != 200 || put == "" {
		t.Fatalf("sign_urls_put: %d %v", resp.StatusCode, out)
	}
	req, _ := http.NewRequest("PUT", put, strings.NewReader("uploaded"))
	if r, err := http.DefaultClient.Do(req); err != nil || r.StatusCode != 200 {
		t.Fatalf("PUT with a signed URL: %v %v", r, err)
	}

	// Planetary Computer shape.
	resp, out = e.call("GET", "/api/sas/v1/sign?href="+q(hrefs[0]), "alice", nil)
	if resp.StatusCode != 200 || out["msft:expiry"] == nil || len(out) != 2 {
		t.Fatalf("PC: %d %v", resp.StatusCode, out)
	}
	resp, out = e.call("GET", "/api/sas/v1/sign?href="+q(foreign), "alice", nil)
	if v, ok := out["msft:expiry"]; resp.StatusCode != 200 || out["href"] != foreign || !ok || v != nil {
		t.Fatalf("PC foreign href: %d %v", resp.StatusCode, out)
	}

	// Redirect for curl -L and GDAL, HEAD signed as HEAD.
	resp, _ = e.call("GET", "/redirect?href="+q(hrefs[0]), "alice", nil)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("redirect: %d", resp.StatusCode)
	}
	if code, body := testenv.Fetch(t, "GET", resp.Header.Get("Location"), nil); code != 200 || body != "blue band" {
		t.Fatalf("redirect target: %d", code)
	}
	resp, _ = e.call("HEAD", "/redirect?href="+q(hrefs[0]), "alice", nil)
	if code, _ := testenv.Fetch(t, "HEAD", resp.Header.Get("Location"), nil); resp.StatusCode != http.StatusFound || code != 200 {
		t.Fatalf("HEAD redirect: %d, target %d", resp.StatusCode, code)
	}

	// A whole STAC item: storage hrefs signed, others untouched.
	item := map[string]any{"type": "Feature", "stac_version": "1.1.0", "id": "x", "properties": map[string]any{"eo:cloud_cover": 12.5},
		"assets": map[string]any{"B02": map[string]any{"href": hrefs[0]}, "doc": map[string]any{"href": foreign}}}
	resp, out = e.call("POST", "/sign/stac", "alice", item)
	assets := out["assets"].(map[string]any)
	if resp.StatusCode != 200 || assets["doc"].(map[string]any)["href"] != foreign || out["expiry"] == nil {
		t.Fatalf("STAC: %d %v", resp.StatusCode, out)
	}
	if code, _ := testenv.Fetch(t, "GET", assets["B02"].(map[string]any)["href"].(string), nil); code != 200 {
		t.Fatalf("STAC asset: %d", code)
	}

	// The audit log names the object, never the token or the signature.
	logs := e.logs.String()
	if !strings.Contains(logs, `"key":"users/alice/mine.tif"`) || !strings.Contains(logs, `"subject":"alice"`) {
		t.Errorf("audit log lacks the signing:\n%s", logs)
	}
	if strings.Contains(logs, "X-Amz-Signature") || strings.Contains(logs, "eyJ") {
		t.Errorf("audit log leaks a signature or a token:\n%s", logs)
	}
}

func TestErrorsAndLimits(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.BatchLimit = 3; c.MaxBodyBytes = 2048; c.RatePerSecond = 1; c.RateBurst = 30 })
	check := func(name string, resp *http.Response, out map[string]any, status int, code string) {
		t.Helper()
		if resp.StatusCode != status || out["error"] != code || out["detail"] == "" {
			t.Errorf("%s: %d %v, want %d %s", name, resp.StatusCode, out, status, code)
		}
	}
	resp, out := e.call("GET", "/sign?href="+q(e.obj("public/S2/B02.tif")), "", nil)
	check("no token", resp, out, 401, codeInvalidToken)
	if !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), `Bearer error="invalid_token"`) {
		t.Errorf("WWW-Authenticate %q", resp.Header.Get("WWW-Authenticate"))
	}
	resp, out = e.call("GET", "/sign?href="+q("https://evil.example.org/eodata/x"), "alice", nil)
	check("foreign href", resp, out, 400, codeNotAllowed)
	resp, out = e.call("GET", "/sign?href="+q(e.s3.Endpoint+"/eodata/users/alice/../bob/his.tif"), "alice", nil)
	check("dot segments", resp, out, 400, codeInvalidHref)
	resp, out = e.call("GET", "/api/sas/v1/sign?href="+q(e.s3.Endpoint+"/eodata/a/../b.tif"), "alice", nil)
	check("Planetary Computer: unparsable href", resp, out, 422, codeInvalidHref)
	resp, out = e.call("GET", "/sign?href="+q(e.obj("users/bob/his.tif")), "alice", nil)
	check("policy denial", resp, out, 403, codeForbidden)
	if !strings.Contains(out["detail"].(string), "users/bob/his.tif") || strings.Contains(out["detail"].(string), "read-eodata") {
		t.Errorf("a denial names the href, never the policy: %v", out["detail"])
	}
	resp, out = e.call("GET", "/sign?href="+q(e.obj("public/S2/B02.tif"))+"&method=DELETE", "alice", nil)
	check("bad method", resp, out, 400, codeBadRequest)
	resp, out = e.call("GET", "/sign?href="+q(e.obj("public/S2/B02.tif"))+"&duration=soon", "alice", nil)
	check("bad duration", resp, out, 400, codeInvalidDuration)
	resp, out = e.call("POST", "/sign", "alice", map[string]any{"hrefs": []string{"a", "b", "c", "d"}})
	check("batch limit", resp, out, 413, codeTooLarge)
	resp, out = e.call("POST", "/sign", "alice", map[string]any{"hrefs": []string{strings.Repeat("x", 3000)}})
	check("body limit", resp, out, 413, codeTooLarge)
	resp, out = e.call("POST", "/sign", "alice", map[string]any{"hrefs": "not-a-list"})
	check("bad body", resp, out, 400, codeBadRequest)
	resp, out = e.call("GET", "/nope", "alice", nil)
	check("unknown route", resp, out, 404, codeNotFound)

	// Per-subject rate limit: bob exhausts his burst, alice is unaffected.
	var last *http.Response
	for range 40 {
		last, out = e.call("GET", "/sign?href="+q(e.obj("public/S2/B02.tif")), "bob", nil)
		if last.StatusCode == http.StatusTooManyRequests {
			break
		}
	}
	check("rate limit", last, out, 429, codeTooMany)
	if last.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	if resp, _ := e.call("GET", "/sign?href="+q(e.obj("public/S2/B02.tif")), "alice", nil); resp.StatusCode != 200 {
		t.Errorf("alice limited by bob's traffic: %d", resp.StatusCode)
	}
}

func TestOpenAPICORSAndProbes(t *testing.T) {
	e := newEnv(t, nil)
	resp, out := e.call("GET", "/openapi.json", "", nil)
	flows := out["components"].(map[string]any)["securitySchemes"].(map[string]any)["OAuth2PasswordBearer"].(map[string]any)["flows"].(map[string]any)
	if resp.StatusCode != 200 || out["openapi"] != "3.0.3" || flows["password"].(map[string]any)["tokenUrl"] != e.idp.URL+"/token" {
		t.Fatalf("openapi: %d %v", resp.StatusCode, flows)
	}
	for _, p := range []string{"/sign", "/sign_urls", "/sign_urls_put", "/api/sas/v1/sign", "/sign/stac", "/redirect"} {
		if out["paths"].(map[string]any)[p] == nil {
			t.Errorf("openapi lacks %s", p)
		}
	}
	req, _ := http.NewRequest("OPTIONS", e.api.URL+"/sign", nil)
	req.Header.Set("Origin", "https://browser.example.org")
	req.Header.Set("Access-Control-Request-Method", "POST")
	r, err := http.DefaultClient.Do(req)
	if err != nil || r.StatusCode != 204 || r.Header.Get("Access-Control-Allow-Origin") != "https://browser.example.org" ||
		!strings.Contains(r.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Fatalf("preflight: %v %v", r, err)
	}
	req.Header.Set("Origin", "https://evil.example.org")
	r, _ = http.DefaultClient.Do(req)
	if r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("CORS granted to an unknown origin")
	}
	if resp, out := e.call("GET", "/readyz", "", nil); resp.StatusCode != 200 || out["ready"] != true {
		t.Fatalf("readyz: %d %v", resp.StatusCode, out)
	}
	if resp, _ := e.call("GET", "/healthz", "", nil); resp.StatusCode != 200 {
		t.Fatal("healthz")
	}
	// Prometheus metrics count requests by route and status, and signed URLs.
	e.call("GET", "/sign?href="+q(e.obj("public/S2/B02.tif")), "alice", nil)
	e.call("GET", "/sign?href="+q(e.obj("users/bob/his.tif")), "alice", nil)
	r, err = http.Get(e.api.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(r.Body)
	r.Body.Close()
	for _, want := range []string{
		`signer_requests_total{code="200",route="GET /sign"} 1`,
		`signer_requests_total{code="403",route="GET /sign"} 1`,
		"signer_urls_signed_total 1",
		"signer_signing_seconds_count 2",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// countingCreds counts requests for storage credentials.
type countingCreds struct {
	inner CredentialSource
	n     atomic.Int64
}

func (c *countingCreds) Credentials(ctx context.Context, p *auth.Principal) (aws.Credentials, error) {
	c.n.Add(1)
	return c.inner.Credentials(ctx, p)
}

// TestCredentialsOnlyForSignableHrefs: a request whose hrefs are all refused
// or passed through never asks for storage credentials (an STS call in sts
// mode).
func TestCredentialsOnlyForSignableHrefs(t *testing.T) {
	var cc *countingCreds
	e := newEnv(t, func(c *Config) { cc = &countingCreds{inner: c.Credentials}; c.Credentials = cc })
	e.call("GET", "/sign?href="+q("https://evil.example.org/eodata/x"), "alice", nil)
	e.call("GET", "/sign?href="+q(e.obj("users/bob/his.tif")), "alice", nil)
	e.call("POST", "/sign_urls", "alice", map[string]any{"urls": []string{"https://other.example.org/x.tif"}})
	if n := cc.n.Load(); n != 0 {
		t.Fatalf("%d credential requests for hrefs that were never signed", n)
	}
	if resp, _ := e.call("POST", "/sign", "alice", map[string]any{"hrefs": []string{e.obj("public/S2/B02.tif"), e.obj("users/alice/mine.tif")}}); resp.StatusCode != 200 {
		t.Fatal(resp.StatusCode)
	}
	if n := cc.n.Load(); n != 1 {
		t.Fatalf("%d credential requests for one batch, want 1", n)
	}
}

// A request with a body is authenticated before its body is read: a
// stranger's malformed (or huge) document gets 401, not a parse error.
func TestBodyReadOnlyAfterAuthentication(t *testing.T) {
	e := newEnv(t, nil)
	for _, path := range []string{"/sign", "/sign_urls", "/sign_urls_put", "/sign/stac"} {
		req, _ := http.NewRequest(http.MethodPost, e.api.URL+path, strings.NewReader(`{"hrefs": [`+strings.Repeat(`"x",`, 1000)))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("POST %s without a token, malformed body: %d, want 401", path, resp.StatusCode)
		}
	}
}

// New checks no setting's value (cmd/signer's configuration checks do, API
// keys only in mode static among them: TestAPIKeyConfig there), but refuses
// a Config that cannot serve at all: no verifier, storage or credentials, a
// mode it does not know (the policy is asked only in mode static), mode
// static without a policy. Each is named.
func TestNewRefusesAConfigThatCannotServe(t *testing.T) {
	ep := &url.URL{Scheme: "http", Host: "s3"}
	creds := presign.NewStatic(credentials.NewStaticCredentialsProvider("a", "b", ""))
	pol, err := policy.Parse([]byte(testPolicy))
	if err != nil {
		t.Fatal(err)
	}
	v := mustVerifier(t, "http://127.0.0.1:1")
	_, err = New(Config{Mode: "magic"})
	for _, want := range []string{"no token verifier", "no storage endpoint", "no storage credentials", `mode "magic": want static or sts`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("empty config: %v, want %q", err, want)
		}
	}
	for name, c := range map[string]struct {
		cfg  Config
		want string
	}{
		"no mode":          {Config{Storage: &presign.Storage{Endpoint: ep}, Verifier: v, Credentials: creds, Policy: pol}, `mode "": want static or sts`},
		"static no policy": {Config{Mode: ModeStatic, Storage: &presign.Storage{Endpoint: ep}, Verifier: v, Credentials: creds}, "mode static without a policy"},
		"no endpoint":      {Config{Mode: ModeSTS, Storage: &presign.Storage{}, Verifier: v, Credentials: creds}, "no storage endpoint"},
	} {
		if _, err := New(c.cfg); err == nil || err.Error() != c.want {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
	if _, err := New(Config{Mode: ModeStatic, Storage: &presign.Storage{Endpoint: ep}, Verifier: v, Credentials: creds, Policy: pol}); err != nil {
		t.Errorf("a config that can serve: %v", err)
	}
}

// /openapi.json describes the whole API: every route served has its path and
// method in the document, and the document names no route that is not served.
func TestOpenAPIListsEveryRoute(t *testing.T) {
	e := newEnv(t, nil)
	srv, err := New(Config{Mode: ModeSTS, Storage: &presign.Storage{Endpoint: &url.URL{Scheme: "http", Host: "s3"}},
		Verifier: mustVerifier(t, e.idp.URL), Credentials: presign.NewStatic(credentials.NewStaticCredentialsProvider("a", "b", ""))})
	if err != nil {
		t.Fatal(err)
	}
	_, doc := e.call("GET", "/openapi.json", "", nil)
	paths := doc["paths"].(map[string]any)
	served := map[string]bool{}
	for _, p := range srv.patterns {
		method, path, ok := strings.Cut(p, " ")
		if !ok { // the catch-all 404
			continue
		}
		served[strings.ToLower(method)+" "+path] = true
		ops, _ := paths[path].(map[string]any)
		if ops[strings.ToLower(method)] == nil {
			t.Errorf("served but not in /openapi.json: %s", p)
		}
	}
	for path, ops := range paths {
		for method := range ops.(map[string]any) {
			switch method {
			case "get", "post", "put", "delete", "patch":
				if !served[method+" "+path] {
					t.Errorf("in /openapi.json but not served: %s %s", strings.ToUpper(method), path)
				}
			case "head": // the mux serves HEAD with GET routes
				if !served["get "+path] {
					t.Errorf("in /openapi.json but not served: HEAD %s", path)
				}
			}
		}
	}
	if len(served) < 15 {
		t.Fatalf("only %d routes seen: %v", len(served), srv.patterns)
	}
}

func mustVerifier(t *testing.T, issuer string) *auth.Verifier {
	t.Helper()
	v, err := auth.NewVerifier(auth.Options{Issuers: []auth.Issuer{{URL: issuer}}, Audiences: []string{"signer"}})
	if err != nil {
		t.Fatal(err)
	}
	return v
}
