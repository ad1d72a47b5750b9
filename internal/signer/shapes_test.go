package signer

// The request and response shapes of the signing APIs that existing clients
// already speak (see the protocols guide): DINAMIS' /sign_urls and
// /sign_urls_put in their query and JSON forms, and Planetary Computer's
// /api/sas/v1/sign. Responses are decoded into map[string]json.RawMessage so
// that the field names are checked exactly, not just the ones a struct knows.
// (/openapi.json's tokenUrl, also read by DINAMIS clients, is checked in
// TestOpenAPICORSAndProbes.)

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gitlab.com/eocat/eocat/internal/testenv"
)

// shapeCall sends body (none when "") with contentType (none when "") as sub
// and returns the response and its raw body.
func shapeCall(e *env, method, path, sub, contentType, body string) (*http.Response, []byte) {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.api.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+e.idp.Token(e.t, sub, "signer", nil))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, data
}

// exactFields decodes a JSON object and checks that its field names are exactly
// want.
func exactFields(t *testing.T, what string, data []byte, want ...string) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: not a JSON object: %v\n%s", what, err, data)
	}
	if got := slices.Sorted(maps.Keys(m)); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
		t.Fatalf("%s: fields %q, want exactly %q\n%s", what, got, want, data)
	}
	return m
}

// checkShapeExpiry checks an RFC 3339 expiry against a lifetime started between
// start and now (the signer counts from a whole second).
func checkShapeExpiry(t *testing.T, what string, raw json.RawMessage, start time.Time, lifetime time.Duration) time.Time {
	t.Helper()
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("%s: expiry %s is not a string", what, raw)
	}
	exp, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("%s: expiry %q is not RFC 3339: %v", what, s, err)
	}
	if lo, hi := start.Truncate(time.Second).Add(lifetime), time.Now().Add(lifetime); exp.Before(lo) || exp.After(hi) {
		t.Errorf("%s: expiry %s, want %v from now (between %s and %s)", what, s, lifetime, lo.Format(time.RFC3339), hi.Format(time.RFC3339))
	}
	return exp
}

// checkShapeSigned checks that signed is href presigned for lifetime (same
// object, X-Amz-Expires in seconds, a signature).
func checkShapeSigned(t *testing.T, href, signed string, lifetime time.Duration) {
	t.Helper()
	h, _ := url.Parse(href)
	u, err := url.Parse(signed)
	if err != nil || u.Scheme != h.Scheme || u.Host != h.Host || u.EscapedPath() != h.EscapedPath() {
		t.Errorf("%s signed as %s: another object", href, signed)
		return
	}
	q := u.Query()
	if q.Get("X-Amz-Expires") != strconv.Itoa(int(lifetime/time.Second)) || q.Get("X-Amz-Signature") == "" || q.Get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" {
		t.Errorf("%s signed as %s: want a SigV4 presigned URL valid %v", href, signed, lifetime)
	}
}

// checkDINAMIS checks a /sign_urls* response: exactly {"expiry", "hrefs"},
// the expiry consistent with the lifetime, every URL sent a key of hrefs (and
// nothing else), those on the storage presigned, the others unchanged.
func checkDINAMIS(t *testing.T, what string, resp *http.Response, data []byte, sent []string, onStorage func(string) bool, start time.Time, lifetime time.Duration) map[string]string {
	t.Helper()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("%s: %d %s\n%s", what, resp.StatusCode, resp.Header.Get("Content-Type"), data)
	}
	m := exactFields(t, what, data, "expiry", "hrefs")
	checkShapeExpiry(t, what, m["expiry"], start, lifetime)
	var hrefs map[string]string
	if err := json.Unmarshal(m["hrefs"], &hrefs); err != nil {
		t.Fatalf("%s: hrefs %s: want an object of strings: %v", what, m["hrefs"], err)
	}
	want := slices.Compact(slices.Sorted(slices.Values(sent)))
	if got := slices.Sorted(maps.Keys(hrefs)); !slices.Equal(got, want) {
		t.Fatalf("%s: hrefs keys %q, want the URLs sent %q", what, got, want)
	}
	for _, h := range want {
		if onStorage(h) {
			checkShapeSigned(t, h, hrefs[h], lifetime)
		} else if hrefs[h] != h {
			t.Errorf("%s: %s outside the storage came back as %s, want it unchanged", what, h, hrefs[h])
		}
	}
	return hrefs
}

func TestShapesDINAMIS(t *testing.T) {
	e := newEnv(t, nil)
	onStorage := func(h string) bool { return strings.HasPrefix(h, e.s3.Endpoint+"/eodata/") }
	blue, alices := e.obj("public/S2/B02.tif"), e.obj("users/alice/mine.tif")
	// Outside the storage: another host (with a query and an escape, to be
	// passed through byte for byte) and another bucket on the storage's host.
	foreign := []string{"https://other.example.org/a%20b/x.tif?sig=abc&x=1", e.s3.Endpoint + "/elsewhere/x.tif"}

	t.Run("query form", func(t *testing.T) {
		// The older client: up to 64 URLs as repeated ?urls=, no body, no
		// Content-Type. A URL sent twice is one key.
		sent := append([]string{blue, alices, blue}, foreign...)
		for i := len(sent); i < 65; i++ {
			sent = append(sent, e.obj(fmt.Sprintf("public/S2/tile-%02d.tif", i)))
		}
		v := url.Values{"urls": sent, "duration_seconds": {"28800"}}
		start := time.Now()
		resp, data := shapeCall(e, "POST", "/sign_urls?"+v.Encode(), "alice", "", "")
		hrefs := checkDINAMIS(t, "POST /sign_urls?urls=…", resp, data, sent, onStorage, start, 8*time.Hour)
		if code, body := testenv.Fetch(t, "GET", hrefs[alices], nil); code != 200 || body != "alice's" {
			t.Errorf("signed URL: %d %q", code, body)
		}
	})

	t.Run("JSON form", func(t *testing.T) {
		sent := append([]string{blue, alices}, foreign...)
		body, _ := json.Marshal(map[string]any{"urls": sent, "duration_seconds": 259200}) // 3 days
		start := time.Now()
		resp, data := shapeCall(e, "POST", "/sign_urls", "alice", "application/json", string(body))
		hrefs := checkDINAMIS(t, "POST /sign_urls {urls}", resp, data, sent, onStorage, start, 72*time.Hour)
		if code, body := testenv.Fetch(t, "GET", hrefs[blue], nil); code != 200 || body != "blue band" {
			t.Errorf("signed URL: %d %q", code, body)
		}
		// A URL signed for GET is refused for PUT, by the storage.
		if code, _ := testenv.Fetch(t, "PUT", hrefs[blue], strings.NewReader("overwrite")); code != http.StatusForbidden {
			t.Errorf("PUT through a URL of /sign_urls: %d, want 403", code)
		}
		// Without duration_seconds: the default lifetime (1 h).
		start = time.Now()
		resp, data = shapeCall(e, "POST", "/sign_urls", "alice", "application/json", `{"urls": ["`+blue+`"]}`)
		checkDINAMIS(t, "POST /sign_urls without duration", resp, data, []string{blue}, onStorage, start, time.Hour)
	})

	t.Run("PUT", func(t *testing.T) {
		up := e.obj("users/alice/upload.bin")
		start := time.Now()
		resp, data := shapeCall(e, "POST", "/sign_urls_put?"+url.Values{"urls": {up, foreign[0]}, "duration_seconds": {"600"}}.Encode(), "alice", "", "")
		checkDINAMIS(t, "POST /sign_urls_put?urls=…", resp, data, []string{up, foreign[0]}, onStorage, start, 10*time.Minute)
		body, _ := json.Marshal(map[string]any{"urls": []string{up, foreign[0]}, "duration_seconds": 600})
		start = time.Now()
		resp, data = shapeCall(e, "POST", "/sign_urls_put", "alice", "application/json", string(body))
		put := checkDINAMIS(t, "POST /sign_urls_put {urls}", resp, data, []string{up, foreign[0]}, onStorage, start, 10*time.Minute)[up]

		// The URL is signed for PUT: a body goes through it to the storage,
		// and it cannot be used to read.
		if code, out := testenv.Fetch(t, "PUT", put, strings.NewReader("uploaded through DINAMIS")); code != 200 {
			t.Fatalf("PUT through the signed URL: %d %s", code, out)
		}
		obj, err := e.s3.Client(t).GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("eodata"), Key: aws.String("users/alice/upload.bin")})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(obj.Body)
		obj.Body.Close()
		if string(got) != "uploaded through DINAMIS" {
			t.Errorf("object after the PUT: %q", got)
		}
		if code, _ := testenv.Fetch(t, "GET", put, nil); code != http.StatusForbidden {
			t.Errorf("GET through a URL of /sign_urls_put: %d, want 403", code)
		}
		// PUT is decided by the policy's PUT rules: public/ is read-only.
		resp, data = shapeCall(e, "POST", "/sign_urls_put?urls="+q(blue), "alice", "", "")
		if m := exactFields(t, "PUT on a read-only prefix", data, "error", "detail"); resp.StatusCode != http.StatusForbidden || string(m["error"]) != `"forbidden"` {
			t.Errorf("PUT on a read-only prefix: %d %s", resp.StatusCode, data)
		}
	})
}

func TestShapesPlanetaryComputer(t *testing.T) {
	e := newEnv(t, nil)
	blue := e.obj("public/S2/B02.tif")
	sign := func(href string) (*http.Response, []byte) {
		return shapeCall(e, "GET", "/api/sas/v1/sign?href="+q(href), "alice", "", "")
	}

	start := time.Now()
	resp, data := sign(blue)
	m := exactFields(t, "PC sign", data, "href", "msft:expiry")
	if resp.StatusCode != 200 {
		t.Fatalf("PC sign: %d %s", resp.StatusCode, data)
	}
	checkShapeExpiry(t, "PC sign", m["msft:expiry"], start, time.Hour)
	var signed string
	if err := json.Unmarshal(m["href"], &signed); err != nil {
		t.Fatalf("href %s: %v", m["href"], err)
	}
	checkShapeSigned(t, blue, signed, time.Hour)
	if code, body := testenv.Fetch(t, "GET", signed, nil); code != 200 || body != "blue band" {
		t.Errorf("signed URL: %d %q", code, body)
	}

	// Outside the managed storage (another host, another bucket): the href
	// unchanged, the expiry null.
	for _, href := range []string{"https://other.example.org/a%20b/x.tif?sig=abc", e.s3.Endpoint + "/elsewhere/x.tif"} {
		resp, data := sign(href)
		m := exactFields(t, "PC sign, outside href", data, "href", "msft:expiry")
		want, _ := json.Marshal(href)
		if resp.StatusCode != 200 || string(m["href"]) != string(want) || string(m["msft:expiry"]) != "null" {
			t.Errorf("PC sign %s: %d %s, want the href unchanged and \"msft:expiry\": null", href, resp.StatusCode, data)
		}
	}

	// Unparsable or missing href: 422 with a "detail" message, as Planetary
	// Computer answers (here inside the signer's usual error object).
	for _, path := range []string{
		"/api/sas/v1/sign?href=" + q(e.s3.Endpoint+"/eodata/a/../b.tif"),
		"/api/sas/v1/sign?href=" + q("ftp://example.org/x.tif"),
		"/api/sas/v1/sign",
	} {
		resp, data := shapeCall(e, "GET", path, "alice", "", "")
		m := exactFields(t, "PC error", data, "error", "detail")
		var detail string
		if resp.StatusCode != http.StatusUnprocessableEntity || json.Unmarshal(m["detail"], &detail) != nil || detail == "" {
			t.Errorf("GET %s: %d %s, want 422 with a detail message", path, resp.StatusCode, data)
		}
	}
}

// sdkRequest sends a request exactly as dinamis_sdk does (dinamis_sdk/http.py
// HTTPSession.post and the CLI's _http in dinamis_sdk/cli.py, read from the
// SDK's source): headers "Content-Type: application/json" and "Accept:
// application/json" on POST, no body, query parameters only, and either
// "authorization: bearer <token>" (lower case, OAuth2ConnectionMethod) or the
// "access-key"/"secret-key" headers (ApiKey.to_dict(), by alias).
func sdkRequest(e *env, method, pathAndQuery string, auth map[string]string) (*http.Response, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.api.URL+"/"+strings.TrimPrefix(pathAndQuery, "/"), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
	}
	for k, v := range auth {
		req.Header[k] = []string{v} // as sent: "authorization", "access-key" (lower case)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 { // the SDK's raise_for_status()
		e.t.Fatalf("%s %s: %d %s (dinamis_sdk raises)", method, pathAndQuery, resp.StatusCode, data)
	}
	return resp, data
}

// TestShapesDINAMISSDK checks the DINAMIS routes field by field against the
// SDK's request and response models (dinamis_sdk 0.5: model.py ApiKey,
// signing.py SignedURLBatch, cli.py; teledetection's cli.py for
// list_api_keys_with_metadata): the CLI's register, list and revoke-all
// round trip (GET /list_api_keys, which was missing), and signing with the
// key as the SDK sends it.
func TestShapesDINAMISSDK(t *testing.T) {
	e, _ := newKeyEnv(t, nil)
	bearer := map[string]string{"authorization": "bearer " + e.idp.Token(t, "alice", "signer", map[string]any{"groups": []string{"s2-team"}})}

	// The SDK finds the IdP in /openapi.json (oauth2.retrieve_token_endpoint).
	_, data := sdkRequest(e, "GET", "openapi.json", nil)
	var doc struct {
		Components struct {
			SecuritySchemes struct {
				OAuth2PasswordBearer struct {
					Flows struct {
						Password struct {
							TokenURL string `json:"tokenUrl"`
						} `json:"password"`
					} `json:"flows"`
				} `json:"OAuth2PasswordBearer"`
			} `json:"securitySchemes"`
		} `json:"components"`
	}
	if err := json.Unmarshal(data, &doc); err != nil || doc.Components.SecuritySchemes.OAuth2PasswordBearer.Flows.Password.TokenURL != e.idp.URL+"/token" {
		t.Fatalf("openapi.json tokenUrl: %v %s", err, data)
	}

	// dinamis register / create: GET create_api_key (teledetection adds
	// ?description=); ApiKey.from_dict needs exactly "access-key" and
	// "secret-key", strings.
	var keys []string
	secrets := map[string]string{}
	for _, route := range []string{"create_api_key", "create_api_key?description=" + url.QueryEscape("Created by alice on 2026-12-02 09:22")} {
		_, data := sdkRequest(e, "GET", route, bearer)
		m := exactFields(t, route, data, "access-key", "secret-key")
		var access, secret string
		if json.Unmarshal(m["access-key"], &access) != nil || json.Unmarshal(m["secret-key"], &secret) != nil || access == "" || secret == "" {
			t.Fatalf("%s: %s: want two non-empty strings", route, data)
		}
		keys = append(keys, access)
		secrets[access] = secret
		time.Sleep(1100 * time.Millisecond) // distinct creation seconds: "oldest first" is visible
	}

	// dinamis list: GET list_api_keys → List[str], oldest first.
	_, data = sdkRequest(e, "GET", "list_api_keys", bearer)
	var listed []string
	if err := json.Unmarshal(data, &listed); err != nil || !slices.Equal(listed, keys) {
		t.Fatalf("list_api_keys: %s (%v), want the access keys %q oldest first", data, err, keys)
	}
	// teledetection's list: key["created"].split(".")[0], key["access-key"],
	// key["description"] of each item.
	_, data = sdkRequest(e, "GET", "list_api_keys_with_metadata", bearer)
	var items []json.RawMessage
	if err := json.Unmarshal(data, &items); err != nil || len(items) != 2 {
		t.Fatalf("list_api_keys_with_metadata: %s", data)
	}
	for i, raw := range items {
		m := exactFields(t, "list_api_keys_with_metadata item", raw, "created", "access-key", "description")
		var created, access, desc string
		if json.Unmarshal(m["created"], &created) != nil || json.Unmarshal(m["access-key"], &access) != nil || json.Unmarshal(m["description"], &desc) != nil {
			t.Fatalf("item %s: want three strings", raw)
		}
		if _, err := time.Parse(time.RFC3339, strings.Split(created, ".")[0]); err != nil || access != keys[i] {
			t.Errorf("item %d: created %q, access-key %q (want %s)", i, created, access, keys[i])
		}
		if want := []string{"", "Created by alice on 2026-12-02 09:22"}[i]; desc != want {
			t.Errorf("item %d: description %q, want %q", i, desc, want)
		}
	}

	// Signing with the key as the SDK does (ApiKeyConnectionMethod): POST
	// sign_urls?urls=…&duration_seconds=… (DINAMIS_SDK_URL_DURATION), no
	// body; SignedURLBatch(**response.json()) needs "expiry" (a datetime)
	// and "hrefs" (a dict with every URL sent as a key).
	mine, foreign := e.obj("users/alice/mine.tif"), "https://other.example.org/x.tif"
	keyAuth := map[string]string{"access-key": keys[0], "secret-key": secrets[keys[0]]}
	start := time.Now()
	resp, data := sdkRequest(e, "POST", "sign_urls?"+url.Values{"urls": {mine, foreign}, "duration_seconds": {"3600"}}.Encode(), keyAuth)
	hrefs := checkDINAMIS(t, "sign_urls with an API key, SDK shape", resp, data, []string{mine, foreign}, func(h string) bool { return h == mine }, start, time.Hour)
	if code, body := testenv.Fetch(t, "GET", hrefs[mine], nil); code != 200 || body != "alice's" {
		t.Errorf("signed URL: %d %q", code, body)
	}

	// dinamis revoke-all: list, then GET revoke_api_key?access_key=<key>
	// (the key pasted into the query unescaped) for each; the list is then
	// empty and the keys refused.
	_, data = sdkRequest(e, "GET", "list_api_keys", bearer)
	_ = json.Unmarshal(data, &listed)
	for _, k := range listed {
		sdkRequest(e, "GET", "revoke_api_key?access_key="+k, bearer)
	}
	if _, data = sdkRequest(e, "GET", "list_api_keys", bearer); strings.TrimSpace(string(data)) != "[]" {
		t.Errorf("list_api_keys after revoke-all: %s, want []", data)
	}
	r := e.send("POST", "/sign_urls?urls="+q(mine), keyAuth, nil)
	wantError(t, "a revoked key", r, http.StatusUnauthorized, codeInvalidToken, "invalid API key")
	// Only a bearer token lists keys.
	r = e.send("GET", "/list_api_keys", map[string]string{"access-key": keys[1], "secret-key": secrets[keys[1]]}, nil)
	wantError(t, "list_api_keys with a revoked key", r, http.StatusUnauthorized, codeInvalidToken)
	r = e.send("GET", "/list_api_keys", nil, nil)
	wantError(t, "list_api_keys without credentials", r, http.StatusUnauthorized, codeInvalidToken)
}
