package signer

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gitlab.com/eocat/eocat/internal/apikey"
	"gitlab.com/eocat/eocat/internal/policy"
	"gitlab.com/eocat/eocat/internal/testenv"
)

// apiKeyPolicy lets everyone read their own folder, and members of s2-team
// the public folder: a key must carry its owner's groups to read it.
const apiKeyPolicy = `
rules:
  - name: own
    allow: [GET, HEAD, PUT]
    resources: ["eodata/users/${jwt:sub}/*"]
  - name: team
    when: {groups: ["s2-team"]}
    allow: [GET, HEAD]
    resources: ["eodata/public/*"]
`

// newKeyEnv is newEnv with API keys enabled (a file store in a temporary
// directory) and apiKeyPolicy.
func newKeyEnv(t *testing.T, mutate func(*Config)) (*env, *apikey.FileStore) {
	t.Helper()
	store, err := apikey.OpenFile(filepath.Join(t.TempDir(), "apikeys.json"), apikey.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := store.Close(); err != nil {
			t.Error(err)
		}
	})
	pol, err := policy.Parse([]byte(apiKeyPolicy))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *Config) {
		c.APIKeys = store
		c.Policy = pol
		if mutate != nil {
			mutate(c)
		}
	})
	return e, store
}

func keyHeaders(access, secret string) map[string]string {
	return map[string]string{"access-key": access, "secret-key": secret}
}

func fieldNames(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func sameFields(t *testing.T, what string, m map[string]any, want ...string) {
	t.Helper()
	slices.Sort(want)
	if got := fieldNames(m); !slices.Equal(got, want) {
		t.Errorf("%s: fields %q, want exactly %q", what, got, want)
	}
}

// createKey creates a key as sub (with extra token claims) and checks the
// DINAMIS response shape.
func (e *env) createKey(sub string, claims map[string]any, description string) (string, string) {
	e.t.Helper()
	r := e.send("GET", "/create_api_key?description="+url.QueryEscape(description), e.bearerOf(sub, claims), nil)
	if r.status != 200 {
		e.t.Fatalf("create_api_key: %d %s", r.status, r.body)
	}
	if r.header.Get("Cache-Control") != "no-store" {
		e.t.Errorf("a secret without Cache-Control: no-store")
	}
	m := r.object(e.t)
	sameFields(e.t, "create_api_key", m, "access-key", "secret-key")
	return m["access-key"].(string), m["secret-key"].(string)
}

// TestAPIKeysDINAMIS walks the DINAMIS API-key flow over HTTP: create, sign
// with the key in both header spellings and both request forms, fetch the
// object, list, refuse what must be refused, revoke.
func TestAPIKeysDINAMIS(t *testing.T) {
	e, _ := newKeyEnv(t, nil)
	team := map[string]any{"groups": []string{"s2-team"}, "email": "alice@example.org"}
	access, secret := e.createKey("alice", team, "laptop")
	mine, public, bobs := e.obj("users/alice/mine.tif"), e.obj("public/S2/B02.tif"), e.obj("users/bob/his.tif")
	foreign := "https://other.example.org/x.tif"

	// Query form (older client), access-key/secret-key headers.
	r := e.send("POST", "/sign_urls?urls="+q(mine)+"&urls="+q(foreign)+"&duration_seconds=120", keyHeaders(access, secret), nil)
	if r.status != 200 {
		t.Fatalf("sign_urls with an API key: %d %s", r.status, r.body)
	}
	out := r.object(t)
	sameFields(t, "sign_urls", out, "hrefs", "expiry")
	hrefs := out["hrefs"].(map[string]any)
	if len(hrefs) != 2 || hrefs[foreign] != foreign {
		t.Fatalf("hrefs %v", hrefs)
	}
	if exp, err := time.Parse(time.RFC3339, out["expiry"].(string)); err != nil || time.Until(exp) > 2*time.Minute || time.Until(exp) < time.Minute {
		t.Errorf("expiry %v %v", out["expiry"], err)
	}
	// The URL signed for the key's owner fetches the real object.
	if code, body := testenv.Fetch(t, "GET", hrefs[mine].(string), nil); code != 200 || body != "alice's" {
		t.Fatalf("object through an API-key URL: %d %q", code, body)
	}

	// JSON form (newer client), the older dinamis-* header spelling; the
	// team folder is allowed through the groups claim kept with the key.
	r = e.send("POST", "/sign_urls", map[string]string{"dinamis-access-key": access, "dinamis-secret-key": secret},
		map[string]any{"urls": []string{public, mine}, "duration_seconds": 60})
	if r.status != 200 {
		t.Fatalf("sign_urls JSON form, dinamis-* headers: %d %s", r.status, r.body)
	}
	out = r.object(t)
	sameFields(t, "sign_urls (JSON)", out, "hrefs", "expiry")
	if code, body := testenv.Fetch(t, "GET", out["hrefs"].(map[string]any)[public].(string), nil); code != 200 || body != "blue band" {
		t.Fatalf("team object: %d %q", code, body)
	}
	// PUT with a key, into the owner's folder.
	r = e.send("POST", "/sign_urls_put", keyHeaders(access, secret), map[string]any{"urls": []string{e.obj("users/alice/by-key.txt")}})
	if r.status != 200 {
		t.Fatalf("sign_urls_put: %d %s", r.status, r.body)
	}
	if code, _ := testenv.Fetch(t, "PUT", r.object(t)["hrefs"].(map[string]any)[e.obj("users/alice/by-key.txt")].(string), strings.NewReader("x")); code != 200 {
		t.Fatalf("PUT through an API-key URL: %d", code)
	}

	// The policy judges the key with its owner's claims: bob's folder is
	// refused, and a key made without the team group cannot read the team
	// folder.
	r = e.send("POST", "/sign_urls", keyHeaders(access, secret), map[string]any{"urls": []string{bobs}})
	if r.status != 403 || r.object(t)["error"] != codeForbidden {
		t.Fatalf("bob's object with alice's key: %d %s", r.status, r.body)
	}
	soloAccess, soloSecret := e.createKey("alice", nil, "no groups")
	if r := e.send("POST", "/sign_urls", keyHeaders(soloAccess, soloSecret), map[string]any{"urls": []string{public}}); r.status != 403 {
		t.Fatalf("team folder with a key made without the group: %d %s", r.status, r.body)
	}
	// Other routes accept keys as well.
	if r := e.send("GET", "/sign?href="+q(mine), keyHeaders(access, secret), nil); r.status != 200 {
		t.Fatalf("GET /sign with a key: %d %s", r.status, r.body)
	}

	// Listing: the caller's live keys, oldest first, in the DINAMIS shape.
	r = e.send("GET", "/list_api_keys_with_metadata", e.bearerOf("alice", nil), nil)
	var list []map[string]any
	if err := json.Unmarshal(r.body, &list); r.status != 200 || err != nil || len(list) != 2 {
		t.Fatalf("list: %d %s %v", r.status, r.body, err)
	}
	for _, item := range list {
		sameFields(t, "list item", item, "created", "access-key", "description")
		if c, err := time.Parse(time.RFC3339, item["created"].(string)); err != nil || time.Since(c) > time.Minute {
			t.Errorf("created %v %v", item["created"], err)
		}
	}
	if list[0]["access-key"] != access || list[0]["description"] != "laptop" || list[1]["access-key"] != soloAccess {
		t.Errorf("list %v", list)
	}
	if strings.Contains(string(r.body), secret) {
		t.Fatal("the list shows a secret")
	}

	// Another user sees none of them and cannot revoke them; the answer is
	// the same as for a key that does not exist.
	if r := e.send("GET", "/list_api_keys_with_metadata", e.bearerOf("bob", nil), nil); r.status != 200 || string(r.body) != "[]\n" {
		t.Fatalf("bob's list: %d %s", r.status, r.body)
	}
	bobTry := e.send("GET", "/revoke_api_key?access_key="+access, e.bearerOf("bob", nil), nil)
	nobody := e.send("GET", "/revoke_api_key?access_key=eak_00000000000000000000000000000000", e.bearerOf("bob", nil), nil)
	if bobTry.status != 404 || nobody.status != 404 || bobTry.object(t)["error"] != codeNotFound ||
		bobTry.object(t)["detail"] != nobody.object(t)["detail"] {
		t.Fatalf("bob revoking alice's key: %d %s; unknown key: %d %s", bobTry.status, bobTry.body, nobody.status, nobody.body)
	}
	if r := e.send("POST", "/sign_urls", keyHeaders(access, secret), map[string]any{"urls": []string{mine}}); r.status != 200 {
		t.Fatalf("alice's key after bob's attempt: %d", r.status)
	}

	// A key cannot manage keys, whichever spelling it comes in.
	for _, path := range []string{"/create_api_key?description=child", "/list_api_keys_with_metadata", "/revoke_api_key?access_key=" + soloAccess} {
		for _, h := range []map[string]string{keyHeaders(access, secret), {"dinamis-access-key": access, "dinamis-secret-key": secret}} {
			if r := e.send("GET", path, h, nil); r.status != 403 || r.object(t)["error"] != codeForbidden {
				t.Errorf("%s with an API key: %d %s", path, r.status, r.body)
			}
		}
	}
	if r := e.send("GET", "/list_api_keys_with_metadata", e.bearerOf("alice", nil), nil); !strings.Contains(string(r.body), soloAccess) || strings.Count(string(r.body), "eak_") != 2 {
		t.Fatalf("a key managed keys: %s", r.body)
	}

	// Refusals: a wrong secret reads exactly like an unknown access key.
	wrong := e.send("POST", "/sign_urls", keyHeaders(access, soloSecret), map[string]any{"urls": []string{mine}})
	unknown := e.send("POST", "/sign_urls", keyHeaders("eak_0123456789abcdef0123456789abcdef", secret), map[string]any{"urls": []string{mine}})
	if wrong.status != 401 || unknown.status != 401 || !bytes.Equal(wrong.body, unknown.body) ||
		wrong.header.Get("WWW-Authenticate") != unknown.header.Get("WWW-Authenticate") {
		t.Fatalf("wrong secret %d %s / unknown key %d %s", wrong.status, wrong.body, unknown.status, unknown.body)
	}
	if m := wrong.object(t); m["error"] != codeInvalidToken || m["detail"] != "invalid API key" {
		t.Errorf("401 body %v", m)
	}
	both := e.bearerOf("alice", nil)
	both["access-key"], both["secret-key"] = access, secret
	for name, h := range map[string]map[string]string{
		"bearer and key":   both,
		"access key alone": {"access-key": access},
		"secret alone":     {"secret-key": secret},
		"two spellings":    {"access-key": access, "secret-key": secret, "dinamis-access-key": access},
	} {
		if r := e.send("POST", "/sign_urls", h, map[string]any{"urls": []string{mine}}); r.status != 401 || r.object(t)["error"] != codeInvalidToken {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
	}
	// HEAD must not create a key whose secret nobody sees.
	req, _ := http.NewRequest("HEAD", e.api.URL+"/create_api_key", nil)
	req.Header.Set("Authorization", e.bearerOf("alice", nil)["Authorization"])
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("HEAD /create_api_key: %v %v", resp, err)
	}

	// Revocation: the key stops working at once, with the same 401.
	r = e.send("GET", "/revoke_api_key?access_key="+access, e.bearerOf("alice", nil), nil)
	if r.status != 200 || r.object(t)["access-key"] != access || r.object(t)["revoked"] != true {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	after := e.send("POST", "/sign_urls", keyHeaders(access, secret), map[string]any{"urls": []string{mine}})
	if after.status != 401 || !bytes.Equal(after.body, unknown.body) {
		t.Fatalf("revoked key: %d %s", after.status, after.body)
	}
	if r := e.send("GET", "/revoke_api_key?access_key="+access, e.bearerOf("alice", nil), nil); r.status != 404 {
		t.Fatalf("second revocation: %d %s", r.status, r.body)
	}

	// Audit: creation and revocation are logged with the access key, and no
	// secret is ever logged (failed attempts included).
	logs := e.logs.String()
	for _, want := range []string{`"msg":"API key created"`, `"msg":"API key revoked"`, `"access_key":"` + access + `"`, `"description":"laptop"`,
		`"api_key":"` + access + `","bucket":"eodata"`} { // URLs signed with the key say so
		if !strings.Contains(logs, want) {
			t.Errorf("audit log lacks %s", want)
		}
	}
	if strings.Contains(logs, secret) || strings.Contains(logs, soloSecret) || strings.Contains(logs, strings.TrimPrefix(secret, apikey.SecretPrefix)) {
		t.Fatalf("a secret reached the log:\n%s", logs)
	}
}

// TestAPIKeyRateLimitIsTheOwners: requests made with a key draw on the
// owner's budget, shared with the owner's bearer token.
func TestAPIKeyRateLimitIsTheOwners(t *testing.T) {
	e, _ := newKeyEnv(t, func(c *Config) { c.RatePerSecond = 0.001; c.RateBurst = 4 })
	access, secret := e.createKey("alice", nil, "") // 1
	mine := map[string]any{"urls": []string{e.obj("users/alice/mine.tif")}}
	for i := range 3 { // 2, 3, 4
		if r := e.send("POST", "/sign_urls", keyHeaders(access, secret), mine); r.status != 200 {
			t.Fatalf("request %d: %d %s", i, r.status, r.body)
		}
	}
	r := e.send("POST", "/sign_urls", keyHeaders(access, secret), mine)
	if r.status != 429 || r.header.Get("Retry-After") == "" {
		t.Fatalf("key over the owner's budget: %d %s", r.status, r.body)
	}
	if r := e.send("POST", "/sign_urls", e.bearerOf("alice", nil), mine); r.status != 429 {
		t.Fatalf("owner's token after the key used the budget: %d", r.status)
	}
	if r := e.send("GET", "/list_api_keys_with_metadata", e.bearerOf("alice", nil), nil); r.status != 429 {
		t.Fatalf("key management is not rate limited: %d", r.status)
	}
	if r := e.send("POST", "/sign_urls", e.bearerOf("bob", nil), map[string]any{"urls": []string{e.obj("users/bob/his.tif")}}); r.status != 200 {
		t.Fatalf("bob limited by alice's key: %d", r.status)
	}
}

// TestAPIKeysDisabledAndOpenAPI: without a store the routes are 404 and key
// headers are refused; the API document describes the key endpoints.
func TestAPIKeysDisabledAndOpenAPI(t *testing.T) {
	e := newEnv(t, nil)
	for _, path := range []string{"/create_api_key", "/list_api_keys_with_metadata", "/revoke_api_key?access_key=x"} {
		if r := e.send("GET", path, e.bearerOf("alice", nil), nil); r.status != 404 || !strings.Contains(string(r.body), "not enabled") {
			t.Errorf("%s without API keys: %d %s", path, r.status, r.body)
		}
	}
	r := e.send("GET", "/sign?href="+q(e.obj("public/S2/B02.tif")), keyHeaders("eak_0123456789abcdef0123456789abcdef", "eks_x"), nil)
	if r.status != 401 || !strings.Contains(string(r.body), "not enabled") {
		t.Errorf("key headers without API keys: %d %s", r.status, r.body)
	}
	// With keys off, stray key headers next to a bearer token change nothing.
	hdr := e.bearerOf("alice", nil)
	hdr["dinamis-access-key"], hdr["dinamis-secret-key"] = "", "whatever"
	if r := e.send("GET", "/sign?href="+q(e.obj("public/S2/B02.tif")), hdr, nil); r.status != 200 {
		t.Errorf("bearer token plus stray key headers, keys off: %d %s", r.status, r.body)
	}

	doc := e.send("GET", "/openapi.json", nil, nil).object(t)
	paths := doc["paths"].(map[string]any)
	for _, p := range []string{"/create_api_key", "/list_api_keys_with_metadata", "/revoke_api_key"} {
		item, _ := paths[p].(map[string]any)
		op, _ := item["get"].(map[string]any)
		sec, _ := json.Marshal(op["security"])
		if op == nil || string(sec) != `[{"OAuth2PasswordBearer":[]}]` {
			t.Errorf("openapi %s: %v (security %s)", p, op, sec)
		}
	}
	schemes := doc["components"].(map[string]any)["securitySchemes"].(map[string]any)
	if schemes["APIKeyAccess"].(map[string]any)["name"] != "access-key" || schemes["APIKeySecret"].(map[string]any)["name"] != "secret-key" ||
		schemes["OAuth2PasswordBearer"].(map[string]any)["flows"].(map[string]any)["password"].(map[string]any)["tokenUrl"] != e.idp.URL+"/token" {
		t.Errorf("security schemes %v", schemes)
	}
}

// A key made through an issuer the signer no longer trusts stops working,
// with the same answer as any invalid key.
func TestAPIKeyOfAnUntrustedIssuer(t *testing.T) {
	e, store := newKeyEnv(t, nil)
	access, secret := e.createKey("alice", nil, "mine")
	href := "/sign?href=" + q(e.obj("users/alice/mine.tif"))
	if r := e.send("GET", href, keyHeaders(access, secret), nil); r.status != 200 {
		t.Fatalf("key of a trusted issuer: %d %s", r.status, r.body)
	}
	k, gone, err := store.Create(context.Background(), apikey.Owner{Issuer: "https://gone.example.org", Subject: "alice"}, map[string]any{"sub": "alice"}, "old")
	if err != nil {
		t.Fatal(err)
	}
	r := e.send("GET", href, keyHeaders(k.AccessKey, gone), nil)
	if r.status != 401 || !strings.Contains(string(r.body), `"detail":"invalid API key"`) {
		t.Fatalf("key of an issuer no longer trusted: %d %s", r.status, r.body)
	}
}
