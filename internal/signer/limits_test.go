package signer

// What an independent security and client check found (issue #11), one
// test per finding: token time claims, duplicate Authorization headers,
// short lifetimes, oversized headers, and request bodies held at once. The
// DINAMIS list_api_keys route is in shapes_test.go, readiness in
// ready_test.go, the STAC rewriting in stac_test.go, the README's examples
// in cmd/signer.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"gitlab.com/eocat/eocat/internal/auth"
)

// wantError checks a JSON error answer: status, code, a detail containing
// each of details, and, for 401 and 431, a Bearer challenge.
func wantError(t *testing.T, what string, r reply, status int, code string, details ...string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil || r.header.Get("Content-Type") != "application/json" {
		t.Errorf("%s: %d %s %q: not a JSON error", what, r.status, r.header.Get("Content-Type"), r.body)
		return nil
	}
	if r.status != status || m["error"] != code || len(m) != 2 {
		t.Errorf("%s: %d %s, want %d {error: %s, detail}", what, r.status, r.body, status, code)
	}
	detail, _ := m["detail"].(string)
	for _, d := range details {
		if !strings.Contains(detail, d) {
			t.Errorf("%s: detail %q lacks %q", what, detail, d)
		}
	}
	switch status {
	case http.StatusUnauthorized:
		if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), `Bearer error="invalid_token", error_description=`) {
			t.Errorf("%s: WWW-Authenticate %q", what, r.header.Get("WWW-Authenticate"))
		}
	case http.StatusRequestHeaderFieldsTooLarge:
		if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), `Bearer error="invalid_request", error_description=`) {
			t.Errorf("%s: WWW-Authenticate %q", what, r.header.Get("WWW-Authenticate"))
		}
	}
	return m
}

// Finding 1: nbf and iat are checked with the configured leeway (30 s), not
// go-oidc's fixed 5 minutes, and iat in the future is refused; through the
// API, with tokens signed by the provider's key.
func TestTokenTimeClaimsThroughTheAPI(t *testing.T) {
	e := newEnv(t, nil)
	path := "/sign?href=" + q(e.obj("public/S2/B02.tif"))
	now := time.Now()
	for _, tc := range []struct {
		name   string
		claims map[string]any
		reason string
	}{
		{"nbf in 240 s", map[string]any{"nbf": now.Add(240 * time.Second).Unix()}, "token not yet valid"},
		{"nbf in 45 s", map[string]any{"nbf": now.Add(45 * time.Second).Unix()}, "token not yet valid"},
		{"iat in a year", map[string]any{"iat": now.AddDate(1, 0, 0).Unix()}, "token issued in the future"},
		{"iat in 45 s", map[string]any{"iat": now.Add(45 * time.Second).Unix()}, "token issued in the future"},
		{"exp 45 s ago", map[string]any{"exp": now.Add(-45 * time.Second).Unix()}, "token expired"},
		{"no exp", map[string]any{"exp": nil}, "token has no exp claim"},
		{"nbf in 20 s (within the leeway)", map[string]any{"nbf": now.Add(20 * time.Second).Unix()}, ""},
		{"iat in 20 s (within the leeway)", map[string]any{"iat": now.Add(20 * time.Second).Unix()}, ""},
		{"exp 20 s ago (within the leeway)", map[string]any{"exp": now.Add(-20 * time.Second).Unix()}, ""},
	} {
		r := e.send("GET", path, e.bearerOf("alice", tc.claims), nil)
		if tc.reason == "" {
			if r.status != 200 {
				t.Errorf("%s: %d %s", tc.name, r.status, r.body)
			}
			continue
		}
		wantError(t, tc.name, r, http.StatusUnauthorized, codeInvalidToken, tc.reason)
	}
}

// Finding 2: two Authorization headers are ambiguous credentials, refused
// like two API-key headers, on signing and key-management routes alike.
func TestDuplicateAuthorizationHeaders(t *testing.T) {
	e, _ := newKeyEnv(t, nil)
	alice, bob := e.idp.Token(t, "alice", "signer", nil), e.idp.Token(t, "bob", "signer", nil)
	for _, path := range []string{"/sign?href=" + q(e.obj("users/alice/mine.tif")), "/create_api_key", "/list_api_keys"} {
		for name, values := range map[string][]string{
			"alice then bob":   {"Bearer " + alice, "Bearer " + bob},
			"the same twice":   {"Bearer " + alice, "Bearer " + alice},
			"a token and junk": {"Bearer " + alice, "Basic YWxpY2U6cHc="},
		} {
			req, _ := http.NewRequest("GET", e.api.URL+path, nil)
			req.Header["Authorization"] = values
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			wantError(t, path+", "+name, reply{resp.StatusCode, resp.Header, body}, http.StatusUnauthorized, codeInvalidToken, "2 Authorization headers; send one")
		}
	}
	// One header still works.
	if r := e.send("GET", "/sign?href="+q(e.obj("users/alice/mine.tif")), map[string]string{"Authorization": "Bearer " + alice}, nil); r.status != 200 {
		t.Fatalf("one Authorization header: %d %s", r.status, r.body)
	}
}

// durationRoutes are the routes taking a lifetime: each sends seconds (""
// for none) as alice and returns the reply and the signed URL, if any.
func durationRoutes(e *env) map[string]func(seconds string) (reply, string) {
	href := e.obj("public/S2/B02.tif")
	hdr := e.bearerOf("alice", nil)
	num := func(s string) any {
		if n, err := strconv.Atoi(s); err == nil {
			return n
		}
		return s
	}
	field := func(r reply, keys ...string) string {
		var m map[string]any
		if json.Unmarshal(r.body, &m) != nil {
			return ""
		}
		var v any = m
		for _, k := range keys {
			mm, _ := v.(map[string]any)
			v = mm[k]
		}
		s, _ := v.(string)
		return s
	}
	return map[string]func(string) (reply, string){
		"GET /sign": func(s string) (reply, string) {
			r := e.send("GET", "/sign?href="+q(href)+"&duration="+s, hdr, nil)
			return r, field(r, "href")
		},
		"POST /sign": func(s string) (reply, string) {
			r := e.send("POST", "/sign", hdr, map[string]any{"hrefs": []string{href}, "duration_seconds": num(s)})
			return r, field(r, "hrefs", href)
		},
		"POST /sign_urls (query form, as dinamis_sdk sends it)": func(s string) (reply, string) {
			r := e.send("POST", "/sign_urls?urls="+q(href)+"&duration_seconds="+s, hdr, nil)
			return r, field(r, "hrefs", href)
		},
		"POST /sign_urls (JSON form)": func(s string) (reply, string) {
			r := e.send("POST", "/sign_urls", hdr, map[string]any{"urls": []string{href}, "duration_seconds": num(s)})
			return r, field(r, "hrefs", href)
		},
		"POST /sign_urls_put": func(s string) (reply, string) {
			up := e.obj("users/alice/up.bin")
			r := e.send("POST", "/sign_urls_put?urls="+q(up)+"&duration_seconds="+s, hdr, nil)
			return r, field(r, "hrefs", up)
		},
		"GET /api/sas/v1/sign": func(s string) (reply, string) {
			r := e.send("GET", "/api/sas/v1/sign?href="+q(href)+"&duration="+s, hdr, nil)
			return r, field(r, "href")
		},
		"POST /sign/stac": func(s string) (reply, string) {
			item := map[string]any{"type": "Feature", "id": "x", "assets": map[string]any{"B02": map[string]any{"href": href}}}
			r := e.send("POST", "/sign/stac?duration="+s, hdr, item)
			return r, field(r, "assets", "B02", "href")
		},
		"GET /redirect": func(s string) (reply, string) {
			r := e.send("GET", "/redirect?href="+q(href)+"&duration="+s, hdr, nil)
			return r, r.header.Get("Location")
		},
	}
}

// Finding 3: a lifetime below --min-duration (60 s) is the caller's choice,
// refused with 400 invalid_duration naming the range, on every route; 60 s
// is honoured. In static mode, whose credentials never expire, nothing is
// ever 503.
func TestShortDurations(t *testing.T) {
	e := newEnv(t, nil)
	for name, send := range durationRoutes(e) {
		for _, s := range []string{"1", "5", "9", "59", "0", "-5"} {
			r, _ := send(s)
			wantError(t, fmt.Sprintf("%s, duration %s", name, s), r, http.StatusBadRequest, codeInvalidDuration,
				s+": want a number of seconds from 60 to 604800")
			if r.header.Get("Retry-After") != "" {
				t.Errorf("%s, duration %s: Retry-After on a client error", name, s)
			}
		}
		start := time.Now()
		r, signed := send("60")
		if r.status != http.StatusOK && r.status != http.StatusFound {
			t.Fatalf("%s, duration 60: %d %s", name, r.status, r.body)
		}
		u, err := url.Parse(signed)
		if err != nil || u.Query().Get("X-Amz-Expires") != "60" {
			t.Errorf("%s, duration 60: signed %q, want X-Amz-Expires=60", name, signed)
			continue
		}
		if date, err := time.Parse("20060102T150405Z", u.Query().Get("X-Amz-Date")); err != nil || date.Before(start.Add(-time.Second).Truncate(time.Second)) || date.After(time.Now()) {
			t.Errorf("%s: X-Amz-Date %q", name, u.Query().Get("X-Amz-Date"))
		}
		if strings.Contains(name, "sign_urls_put") {
			continue
		}
		if code, body := fetch(t, signed); code != 200 || body != "blue band" {
			t.Errorf("%s, duration 60: the URL gives %d %q", name, code, body)
		}
	}
}

func fetch(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// expiringCreds are the storage's credentials with an expiry (mode sts).
type expiringCreds struct {
	inner CredentialSource
	left  time.Duration
}

func (c expiringCreds) Credentials(ctx context.Context, p *auth.Principal) (aws.Credentials, error) {
	cr, err := c.inner.Credentials(ctx, p)
	cr.CanExpire, cr.Expires = true, time.Now().Add(c.left)
	return cr, err
}

// Finding 3, the other side: 503 (with Retry-After) only when the
// credentials really expire before the shortest allowed URL; credentials
// that expire later shorten the URL to their own expiry.
func TestCredentialsExpiringTooSoon(t *testing.T) {
	for _, tc := range []struct {
		left     time.Duration
		status   int
		lifetime int // seconds, when signed
	}{
		{30 * time.Second, http.StatusServiceUnavailable, 0},
		{59 * time.Second, http.StatusServiceUnavailable, 0},
		{10 * time.Minute, http.StatusOK, 599},
	} {
		e := newEnv(t, func(c *Config) { c.Mode, c.Credentials = ModeSTS, expiringCreds{c.Credentials, tc.left} })
		r := e.send("GET", "/sign?href="+q(e.obj("public/S2/B02.tif"))+"&duration=3600", e.bearerOf("alice", nil), nil)
		if tc.status == http.StatusServiceUnavailable {
			wantError(t, fmt.Sprintf("credentials left %v", tc.left), r, tc.status, codeUnavailable, "expire too soon")
			if r.header.Get("Retry-After") != "1" {
				t.Errorf("credentials left %v: Retry-After %q", tc.left, r.header.Get("Retry-After"))
			}
			continue
		}
		var out struct{ Href string }
		_ = json.Unmarshal(r.body, &out)
		u, _ := url.Parse(out.Href)
		if n, _ := strconv.Atoi(u.Query().Get("X-Amz-Expires")); r.status != 200 || n < tc.lifetime-1 || n > tc.lifetime+1 {
			t.Errorf("credentials left %v: %d %s, want a URL of about %d s", tc.left, r.status, r.body, tc.lifetime)
		}
	}
}

// Finding 7: headers larger than MaxHeaderBytes (an 87 KB token) get the
// API's JSON error with a Bearer challenge, not net/http's plain text; a
// token over 16 KiB within the header limit is an invalid token.
func TestOversizedHeaders(t *testing.T) {
	e := newEnv(t, nil)
	path := "/sign?href=" + q(e.obj("public/S2/B02.tif"))
	big := "eyJ" + strings.Repeat("A", 87_000)
	r := e.send("GET", path, map[string]string{"Authorization": "Bearer " + big}, nil)
	wantError(t, "87 KB token", r, http.StatusRequestHeaderFieldsTooLarge, codeHeaderTooLarge, "the limit is 65536", "a bearer token is at most 16384 bytes")
	if r.header.Get("X-Request-Id") == "" {
		t.Error("431 without X-Request-Id")
	}
	r = e.send("GET", "/healthz", map[string]string{"X-Padding": strings.Repeat("p", 70_000)}, nil)
	wantError(t, "70 KB of another header", r, http.StatusRequestHeaderFieldsTooLarge, codeHeaderTooLarge)
	r = e.send("GET", path, map[string]string{"Authorization": "Bearer " + big[:40_000]}, nil)
	wantError(t, "40 KB token", r, http.StatusUnauthorized, codeInvalidToken, "token larger than 16384 bytes")
	if !strings.Contains(e.logs.String(), `"code":"request_header_too_large"`) || strings.Contains(e.logs.String(), "AAAAAAAA") {
		t.Errorf("the 431 is logged, without the header:\n%.2000s", e.logs.String())
	}
}

// Finding 6, the refusal: a body that does not fit in what is left of the
// budget waits BodyWait, then gets 503 busy with Retry-After; once the
// budget is free again, it is served.
func TestBodyBudgetBusy(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxInflightBytes = MaxSTACBody; c.BodyWait = 200 * time.Millisecond }) // one 8 MiB body
	tok := e.idp.Token(t, "alice", "signer", nil)
	blue := e.obj("public/S2/B02.tif")

	// A large /sign/stac document sent slowly holds the whole budget.
	doc := bigItem(blue, MaxSTACBody)
	slow := startSlowBody(t, e.api.URL+"/sign/stac", tok, doc)
	waitFor(t, "the first body admitted", func() bool { used, _, _ := e.budgetOf(t); return used == int64(len(doc)) })

	small := func() reply { return postSmall(t, e, tok, blue) }
	start := time.Now()
	r := small()
	if waited := time.Since(start); waited < 200*time.Millisecond {
		t.Errorf("refused after %v, want after BodyWait (200 ms)", waited)
	}
	wantError(t, "a body while the budget is full", r, http.StatusServiceUnavailable, codeBusy, "busy", "8388608 bytes")
	if r.header.Get("Retry-After") != "1" {
		t.Errorf("busy without Retry-After: %q", r.header.Get("Retry-After"))
	}

	slow.finish()
	if r := small(); r.status != 200 {
		t.Fatalf("a body once the budget is free: %d %s", r.status, r.body)
	}
	if used, peak, busy := e.budgetOf(t); used != 0 || peak != int64(len(doc)) || busy != 1 {
		t.Errorf("budget: %d held, peak %d, %d refused; want 0, %d, 1", used, peak, busy, len(doc))
	}
	m := e.send("GET", "/metrics", nil, nil)
	for _, want := range []string{"signer_busy_total 1", "signer_body_bytes_in_flight 0"} {
		if !strings.Contains(string(m.body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	// A declared length over the route's limit is refused before anything
	// is read or admitted.
	req, _ := http.NewRequest("POST", e.api.URL+"/sign", strings.NewReader(strings.Repeat(" ", 2<<20)))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Expect", "100-continue") // the body is never sent: the answer comes first
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	wantError(t, "2 MiB to POST /sign", reply{resp.StatusCode, resp.Header, b}, http.StatusRequestEntityTooLarge, codeTooLarge, "larger than 1048576 bytes")
}

// slowBody is a request whose body is sent in two parts.
type slowBody struct {
	t    *testing.T
	doc  []byte
	pw   *io.PipeWriter
	done chan reply
	err  chan error
}

// startSlowBody posts doc with its length declared, sends its first KiB and
// waits.
func startSlowBody(t *testing.T, url, token string, doc []byte) *slowBody {
	t.Helper()
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", url, pr)
	req.ContentLength = int64(len(doc))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	s := &slowBody{t: t, doc: doc, pw: pw, done: make(chan reply, 1), err: make(chan error, 1)}
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			s.err <- err
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			s.err <- err
			return
		}
		s.done <- reply{resp.StatusCode, resp.Header, b}
	}()
	if _, err := pw.Write(doc[:1024]); err != nil {
		t.Fatal(err)
	}
	return s
}

// finish sends the rest and checks the document came back signed.
func (s *slowBody) finish() {
	s.t.Helper()
	if _, err := s.pw.Write(s.doc[1024:]); err != nil {
		s.t.Fatal(err)
	}
	_ = s.pw.Close() // an io.PipeWriter's Close returns nil
	select {
	case err := <-s.err:
		s.t.Fatalf("the large document: %v", err)
	case r := <-s.done:
		if r.status != 200 || !bytes.Contains(r.body, []byte("X-Amz-Signature=")) {
			s.t.Fatalf("the large document: %d %.300s", r.status, r.body)
		}
	}
}

// postSmall sends POST /sign with a 100 KB body.
func postSmall(t *testing.T, e *env, token, href string) reply {
	t.Helper()
	body := []byte(`{"hrefs": ["` + href + `"]}` + strings.Repeat(" ", 100_000))
	req, _ := http.NewRequest("POST", e.api.URL+"/sign", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, b}
}

// One user may hold at most half the budget: alice's two slow 8 MiB
// documents (of a 32 MiB budget) leave her no room, while bob is served.
func TestBodyBudgetPerUser(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxInflightBytes = 32 << 20; c.BodyWait = 200 * time.Millisecond })
	alice, bob := e.idp.Token(t, "alice", "signer", nil), e.idp.Token(t, "bob", "signer", nil)
	blue := e.obj("public/S2/B02.tif")
	doc := bigItem(blue, MaxSTACBody)
	first, second := startSlowBody(t, e.api.URL+"/sign/stac", alice, doc), startSlowBody(t, e.api.URL+"/sign/stac", alice, doc)
	waitFor(t, "alice's two bodies admitted", func() bool { used, _, _ := e.budgetOf(t); return used == 2*int64(len(doc)) })
	wantError(t, "alice over her half", postSmall(t, e, alice, blue), http.StatusServiceUnavailable, codeBusy, "16777216 for one user")
	if r := postSmall(t, e, bob, blue); r.status != 200 {
		t.Fatalf("bob while alice holds her half: %d %s", r.status, r.body)
	}
	first.finish()
	if r := postSmall(t, e, alice, blue); r.status != 200 {
		t.Fatalf("alice once a body is done: %d %s", r.status, r.body)
	}
	second.finish()
}

// budgetOf reads the server's body budget: bytes held, most ever held,
// requests refused.
func (e *env) budgetOf(t *testing.T) (used, peak, busy int64) {
	t.Helper()
	return e.srv.budget.stats()
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// bigItem is a STAC Item of exactly size bytes: two assets (one on the
// storage) and a large array of small numbers in its properties, the shape
// that costs most when decoded into Go values.
func bigItem(href string, size int) []byte {
	head := `{"type":"Feature","stac_version":"1.1.0","id":"big","geometry":null,"assets":{"B02":{"href":"` + href +
		`","type":"image/tiff"},"doc":{"href":"https://other.example.org/doc.pdf"}},"properties":{"datetime":"2024-06-15T10:56:19Z","samples":[`
	tail := `]}}`
	var b bytes.Buffer
	b.Grow(size)
	b.WriteString(head)
	for i := 0; b.Len()+len(tail)+8 < size; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(i % 100000))
	}
	b.WriteString(tail)
	for b.Len() < size {
		b.WriteByte(' ')
	}
	return b.Bytes()
}

// TestNoSniff: every answer (signed URL, error, health, metrics, an
// unknown path, a CORS preflight) tells browsers not to guess its type.
func TestNoSniff(t *testing.T) {
	e := newEnv(t, nil)
	for _, c := range []struct {
		method, path string
		header       map[string]string
	}{
		{"GET", "/sign?href=" + q(e.obj("public/S2/B02.tif")), e.bearerOf("alice", nil)},
		{"GET", "/sign?href=" + q(e.obj("public/S2/B02.tif")), nil},
		{"GET", "/healthz", nil},
		{"GET", "/metrics", nil},
		{"GET", "/no-such-path", nil},
		{"OPTIONS", "/sign", map[string]string{"Origin": "https://catalog.example.org", "Access-Control-Request-Method": "POST"}},
	} {
		r := e.send(c.method, c.path, c.header, nil)
		if got := r.header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s %s (%d): X-Content-Type-Options %q, want nosniff", c.method, c.path, r.status, got)
		}
	}
}
