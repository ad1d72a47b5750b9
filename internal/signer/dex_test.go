//go:build linux

package signer

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/coreos/go-oidc/v3/oidc/oidctest"
	"gitlab.com/eocat/eocat/internal/auth"
	"gitlab.com/eocat/eocat/internal/policy"
	"gitlab.com/eocat/eocat/internal/presign"
	"gitlab.com/eocat/eocat/internal/testenv"
)

// The signer against a real Dex (testenv.StartDex): Dex's password-grant
// tokens through the HTTP API, the 401 matrix with tokens derived from Dex's,
// key rotation, and the sts path with Dex's token exchange.

const dexPolicy = `
rules:
  - name: s2-readers
    when: {groups: [s2-readers]}
    allow: [GET, HEAD]
    resources: ["eodata/S2/*"]
  - name: own-prefix
    allow: [GET]
    resources: ["eodata/users/${jwt:sub}/*"]
`

// dexVerifierLeeway is the clock skew the tests' verifier tolerates: short,
// so that a Dex token can really expire during the test.
const dexVerifierLeeway = time.Second

// newDexEnv is newEnv (static mode against versitygw) trusting the Dex
// issuers for audience signer, with a short leeway and dexPolicy, and
// S2/B02.tif in the bucket.
func newDexEnv(t *testing.T, issuers ...string) *env {
	t.Helper()
	pol, err := policy.Parse([]byte(dexPolicy))
	if err != nil {
		t.Fatal(err)
	}
	var is []auth.Issuer
	for _, u := range issuers {
		is = append(is, auth.Issuer{URL: u})
	}
	v, err := auth.NewVerifier(auth.Options{Issuers: is, Audiences: []string{"signer"}, Leeway: dexVerifierLeeway})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *Config) { c.Verifier, c.Policy = v, pol })
	e.put("S2/B02.tif", "blue band")
	return e
}

// dexSign calls GET /sign?href= on api with a bearer token and returns the
// response (body read) and the decoded JSON body.
func dexSign(t *testing.T, api, token, href string) (*http.Response, map[string]any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", api+"/sign?href="+url.QueryEscape(href), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("GET /sign: status %d, body not JSON: %q", resp.StatusCode, data)
	}
	return resp, out
}

// dexFetchSigned signs href with token, expects 200, and fetches the URL.
func dexFetchSigned(t *testing.T, api, token, href string) (int, string) {
	t.Helper()
	resp, out := dexSign(t, api, token, href)
	u, _ := out["href"].(string)
	if resp.StatusCode != http.StatusOK || u == "" {
		t.Fatalf("GET /sign %s: %d %v", href, resp.StatusCode, out)
	}
	return testenv.Fetch(t, "GET", u, nil)
}

// dexWantInvalidToken asserts a 401 for reason: the WWW-Authenticate challenge
// and the JSON body {error, detail}, nothing else.
func dexWantInvalidToken(t *testing.T, name string, resp *http.Response, out map[string]any, reason string) {
	t.Helper()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("%s: status %d %v, want 401 %q", name, resp.StatusCode, out, reason)
		return
	}
	if got, want := resp.Header.Get("WWW-Authenticate"), `Bearer error="invalid_token", error_description=`+strconv.Quote(reason); got != want {
		t.Errorf("%s: WWW-Authenticate %q, want %q", name, got, want)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: Content-Type %q", name, ct)
	}
	if len(out) != 2 || out["error"] != "invalid_token" || out["detail"] != reason {
		t.Errorf("%s: body %v, want {error: invalid_token, detail: %q}", name, out, reason)
	}
}

// dexJWT splits a compact JWT and decodes its header and payload.
func dexJWT(t *testing.T, raw string) (parts []string, header, payload map[string]any) {
	t.Helper()
	parts = strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS: %q", raw)
	}
	header, payload = map[string]any{}, map[string]any{}
	for i, v := range []map[string]any{header, payload} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
	}
	return parts, header, payload
}

func dexB64JSON(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

// TestDexTokensThroughSigner: real password-grant tokens from Dex are
// accepted by the signer's HTTP API and yield URLs the storage serves; the
// policy decides on Dex's claims (groups, the opaque sub).
func TestDexTokensThroughSigner(t *testing.T) {
	dex := testenv.StartDex(t, testenv.DexOptions{})
	e := newDexEnv(t, dex.Issuer)
	alice := dex.PasswordToken(t, "alice", testenv.DexUsers["alice"].Password, "signer", "openid profile email groups")
	bob := dex.PasswordToken(t, "bob", testenv.DexUsers["bob"].Password, "signer", "openid groups")
	_, _, claims := dexJWT(t, alice)
	sub, _ := claims["sub"].(string)
	if sub == "" || sub == testenv.DexUsers["alice"].UserID {
		t.Fatalf("Dex sub %q", sub)
	}
	e.put("users/"+sub+"/mine.tif", "alice's")

	if code, body := dexFetchSigned(t, e.api.URL, alice, e.obj("S2/B02.tif")); code != 200 || body != "blue band" {
		t.Fatalf("alice (group s2-readers), S2: %d %q", code, body)
	}
	if code, body := dexFetchSigned(t, e.api.URL, alice, e.obj("users/"+sub+"/mine.tif")); code != 200 || body != "alice's" {
		t.Fatalf("alice's own prefix (${jwt:sub} = Dex's sub): %d %q", code, body)
	}
	// bob's groups from Dex do not include s2-readers; his sub is not alice's.
	for _, key := range []string{"S2/B02.tif", "users/" + sub + "/mine.tif"} {
		if resp, out := dexSign(t, e.api.URL, bob, e.obj(key)); resp.StatusCode != 403 || out["error"] != codeForbidden {
			t.Errorf("bob, %s: %d %v, want 403", key, resp.StatusCode, out)
		}
	}
}

// TestDexRejectionMatrix: tokens derived from real Dex tokens are refused
// with 401, a Bearer invalid_token challenge and {error, detail}, each for
// its own reason.
func TestDexRejectionMatrix(t *testing.T) {
	dex := testenv.StartDex(t, testenv.DexOptions{})
	short := testenv.StartDex(t, testenv.DexOptions{IDTokenExpiry: 2 * time.Second})
	untrusted := testenv.StartDex(t, testenv.DexOptions{})
	e := newDexEnv(t, dex.Issuer, short.Issuer)
	href := e.obj("S2/B02.tif")
	pw := testenv.DexUsers["alice"].Password
	scope := "openid profile groups"

	// Controls: the same user's tokens from both trusted Dex are accepted.
	good := dex.PasswordToken(t, "alice", pw, "signer", scope)
	expiring := short.PasswordToken(t, "alice", pw, "signer", scope)
	for name, tok := range map[string]string{"Dex": good, "short-lived Dex": expiring} {
		if resp, out := dexSign(t, e.api.URL, tok, href); resp.StatusCode != 200 {
			t.Fatalf("control, %s token: %d %v", name, resp.StatusCode, out)
		}
	}
	_, _, expClaims := dexJWT(t, expiring)
	expiry := time.Unix(int64(expClaims["exp"].(float64)), 0)
	if d := time.Until(expiry); d > 3*time.Second {
		t.Fatalf("short-lived Dex token expires in %v, want ≤ 2 s", d)
	}

	parts, header, payload := dexJWT(t, good)
	kid, _ := header["kid"].(string)
	rawPayload, _ := json.Marshal(payload)

	// HMAC with Dex's public key (PEM, as a confused verifier would read it) as the secret.
	var dexKey any
	for _, k := range dex.Keys(t).Keys {
		if k.KeyID == kid {
			dexKey = k.Key
		}
	}
	der, err := x509.MarshalPKIXPublicKey(dexKey)
	if err != nil {
		t.Fatalf("Dex's key %s: %v", kid, err)
	}
	mac := hmac.New(sha256.New, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	hsHead := dexB64JSON(map[string]any{"alg": "HS256", "kid": kid, "typ": "JWT"})
	mac.Write([]byte(hsHead + "." + parts[1]))
	hs256 := hsHead + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))

	// Dex's claims signed by a key Dex never published.
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	unknownKid := oidctest.SignIDToken(other, "not-a-dex-key", "RS256", string(rawPayload))
	forgedUnderDexKid := oidctest.SignIDToken(other, kid, "RS256", string(rawPayload))

	// The payload changed under Dex's signature: bob's groups become alice's.
	bob := dex.PasswordToken(t, "bob", testenv.DexUsers["bob"].Password, "signer", scope)
	bparts, _, bpayload := dexJWT(t, bob)
	bpayload["groups"] = []string{"s2-readers"}
	tamperedPayload := bparts[0] + "." + dexB64JSON(bpayload) + "." + bparts[2]
	// One bit of Dex's signature flipped.
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sig[len(sig)/2] ^= 0x01
	tamperedSig := parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(sig)

	// Another Dex's genuine token, and one claiming our Dex as issuer.
	foreign := untrusted.PasswordToken(t, "alice", pw, "signer", scope)
	_, _, fpayload := dexJWT(t, foreign)
	fpayload["iss"] = dex.Issuer
	rawImpostor, _ := json.Marshal(fpayload)
	impostor := oidctest.SignIDToken(other, "", "RS256", string(rawImpostor))

	cases := []struct{ name, token, reason string }{
		{"token from an untrusted issuer (another Dex)", foreign, "untrusted issuer"},
		{"wrong audience (Dex token for client sts)", dex.PasswordToken(t, "alice", pw, "sts", scope), "wrong audience"},
		{"alg none with Dex's claims", dexB64JSON(map[string]any{"alg": "none", "kid": kid, "typ": "JWT"}) + "." + parts[1] + ".", "token rejected"},
		{"HS256 keyed with Dex's public key", hs256, "token rejected"},
		{"unknown kid", unknownKid, "token rejected"},
		{"foreign key under Dex's kid", forgedUnderDexKid, "token rejected"},
		{"another key claiming Dex's issuer, no kid", impostor, "token rejected"},
		{"payload tampered under Dex's signature", tamperedPayload, "token rejected"},
		{"Dex's signature with one bit flipped", tamperedSig, "token rejected"},
		{"not a JWT", "Zm9v", "malformed token"},
	}
	for _, c := range cases {
		resp, out := dexSign(t, e.api.URL, c.token, href)
		dexWantInvalidToken(t, c.name, resp, out, c.reason)
	}

	// Expired: Dex's 2 s token, once its exp plus the verifier's leeway has
	// passed (exp has whole seconds; go-oidc compares exp with now - leeway).
	if testing.Short() {
		t.Skip("slow: the expired-token case waits for a real 2 s Dex token to expire, plus the leeway (about 3 s)")
	}
	time.Sleep(time.Until(expiry.Add(dexVerifierLeeway + time.Second)))
	resp, out := dexSign(t, e.api.URL, expiring, href)
	dexWantInvalidToken(t, "expired Dex token", resp, out, "token expired")
	// The short-lived Dex itself is still trusted: a fresh token works.
	if resp, out := dexSign(t, e.api.URL, short.PasswordToken(t, "alice", pw, "signer", scope), href); resp.StatusCode != 200 {
		t.Fatalf("fresh token from the short-lived Dex: %d %v", resp.StatusCode, out)
	}
}

// TestDexKeyRotationThroughSigner: Dex restarted with memory storage signs
// with a new key and publishes only that one. go-oidc caches the JWKS and
// fetches it again only for a kid it does not know, so: the old token is
// still accepted until a token with the new kid arrives (the cached key),
// the new token is accepted (JWKS fetched again), and from then on the old
// token is refused: its key is gone.
func TestDexKeyRotationThroughSigner(t *testing.T) {
	dex := testenv.StartDex(t, testenv.DexOptions{})
	e := newDexEnv(t, dex.Issuer)
	href := e.obj("S2/B02.tif")
	pw := testenv.DexUsers["alice"].Password
	old := dex.PasswordToken(t, "alice", pw, "signer", "openid groups")
	// Signed with the same key, first shown after the rotation (the signer
	// remembers verified tokens for auth.Options.VerifiedTTL); the scopes
	// differ so that the tokens do (same claims in the same second would
	// give the same bytes).
	oldUnseen := dex.PasswordToken(t, "alice", pw, "signer", "openid groups profile")
	oldLast := dex.PasswordToken(t, "alice", pw, "signer", "openid groups email")
	_, oldHeader, _ := dexJWT(t, old)
	if resp, out := dexSign(t, e.api.URL, old, href); resp.StatusCode != 200 {
		t.Fatalf("before rotation: %d %v", resp.StatusCode, out)
	}

	dex.Restart(t)
	keys := dex.Keys(t).Keys
	if len(keys) != 1 || keys[0].KeyID == oldHeader["kid"] {
		t.Fatalf("after restart Dex publishes %v, want only a new key (old %v)", keys, oldHeader["kid"])
	}
	if resp, out := dexSign(t, e.api.URL, oldUnseen, href); resp.StatusCode != 200 {
		t.Fatalf("old-key token before any refetch (the key set in hand): %d %v", resp.StatusCode, out)
	}
	fresh := dex.PasswordToken(t, "alice", pw, "signer", "openid groups")
	if _, h, _ := dexJWT(t, fresh); h["kid"] != keys[0].KeyID {
		t.Fatalf("new token kid %v, JWKS %v", h["kid"], keys[0].KeyID)
	}
	if code, body := dexFetchSigned(t, e.api.URL, fresh, href); code != 200 || body != "blue band" {
		t.Fatalf("token signed with the new key: %d %q", code, body)
	}
	// The key set was refreshed for the new token: the old key is gone. A
	// token verified before is still remembered (at most VerifiedTTL, 30 s).
	if resp, out := dexSign(t, e.api.URL, old, href); resp.StatusCode != 200 {
		t.Fatalf("token verified before the rotation, within VerifiedTTL: %d %v", resp.StatusCode, out)
	}
	resp, out := dexSign(t, e.api.URL, oldLast, href)
	dexWantInvalidToken(t, "token signed with the rotated-out key", resp, out, "token rejected")
}

// TestDexTokenExchangeSTSMode: the sts path end to end with Dex's token
// exchange. SeaweedFS trusts Dex for audience sts only, so the caller's token
// (audience signer) is refused by the storage's STS; with the exchanger
// (client sts, connector_id=self, ID token in and out) the signer gets a
// token for sts, the storage's policy on ${jwt:sub} (the exchanged sub)
// decides, and a user's requests make one exchange.
func TestDexTokenExchangeSTSMode(t *testing.T) {
	dex := testenv.StartDex(t, testenv.DexOptions{})
	weed := testenv.StartSeaweedFS(t, testenv.WebIdentityIAM(dex.Issuer, "sts", dex.JWKSURL, "reader",
		map[string]any{"Effect": "Allow", "Action": []string{"s3:GetObject"},
			"Resource": []string{"arn:aws:s3:::eodata/users/${jwt:sub}/*"}}))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	v, err := auth.NewVerifier(auth.Options{Issuers: []auth.Issuer{{URL: dex.Issuer}}, Audiences: []string{"signer"}})
	if err != nil {
		t.Fatal(err)
	}
	exOpts := auth.ExchangeOptions{TokenURL: v.TokenURL(ctx, dex.Issuer), ClientID: "sts", ClientSecret: testenv.DexClients["sts"],
		Audience: "storage", Scope: "openid groups", SubjectTokenType: auth.TokenTypeID,
		Extra: url.Values{"connector_id": {testenv.DexConnectorSelf}}}
	if exOpts.TokenURL != dex.TokenURL {
		t.Fatalf("token URL from discovery %q, want %q", exOpts.TokenURL, dex.TokenURL)
	}
	pw := testenv.DexUsers["alice"].Password
	alice := dex.PasswordToken(t, "alice", pw, "signer", "openid profile groups")

	// The storage's prefix for alice is her sub in the exchanged token; a
	// separate exchanger finds it (Dex maps one user to one sub).
	probe, err := auth.NewExchanger(exOpts)
	if err != nil {
		t.Fatal(err)
	}
	p, err := v.Verify(ctx, dex.PasswordToken(t, "alice", pw, "signer", "openid profile"))
	if err != nil {
		t.Fatal(err)
	}
	xtok, err := probe.Exchange(ctx, p)
	if err != nil {
		t.Fatalf("exchange at Dex: %v", err)
	}
	_, _, xclaims := dexJWT(t, xtok)
	xsub, _ := xclaims["sub"].(string)
	if xsub == "" || xsub == p.Subject || xclaims["aud"] != "sts" {
		t.Fatalf("exchanged token: sub %q (caller %q), aud %v", xsub, p.Subject, xclaims["aud"])
	}
	weed.Put(t, "eodata", map[string]string{"users/" + xsub + "/a.tif": "alice's", "users/someone-else/b.tif": "not hers"})

	ep, _ := url.Parse(weed.Endpoint)
	stsClient := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(weed.Endpoint), Credentials: aws.AnonymousCredentials{},
		HTTPClient: &http.Client{Timeout: 30 * time.Second}})
	logs := &testenv.LockedBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("signer log:\n%s", logs.String())
		}
	})
	newAPI := func(ex *auth.Exchanger) (*httptest.Server, *presign.STS) {
		so := presign.STSOptions{Client: stsClient, RoleARN: "arn:aws:iam::role/reader"}
		counters := map[string]Counter{}
		if ex != nil {
			so.Exchanger = ex
			counters[MetricTokenExchanges] = ex.Calls
		}
		creds := presign.NewSTS(so)
		counters[MetricSTSCalls] = creds.Calls
		srv, err := New(Config{Mode: ModeSTS, Verifier: v, Credentials: creds, Logger: slog.New(slog.NewJSONHandler(logs, nil)),
			Storage:  &presign.Storage{Endpoint: ep, Buckets: []string{"eodata"}, PathStyle: true, Region: "us-east-1"},
			Counters: counters})
		if err != nil {
			t.Fatal(err)
		}
		api := httptest.NewServer(srv)
		t.Cleanup(api.Close)
		return api, creds
	}

	// Without exchange: the storage refuses a token whose audience is signer.
	plain, _ := newAPI(nil)
	if resp, out := dexSign(t, plain.URL, alice, weed.Endpoint+"/eodata/users/"+xsub+"/a.tif"); resp.StatusCode != 403 || out["error"] != codeStorageRefused {
		t.Fatalf("sts mode without exchange: %d %v, want 403 %s", resp.StatusCode, out, codeStorageRefused)
	}

	ex, err := auth.NewExchanger(exOpts)
	if err != nil {
		t.Fatal(err)
	}
	api, creds := newAPI(ex)
	if code, body := dexFetchSigned(t, api.URL, alice, weed.Endpoint+"/eodata/users/"+xsub+"/a.tif"); code != 200 || body != "alice's" {
		t.Fatalf("alice's object via exchanged token: %d %q", code, body)
	}
	if code, _ := dexFetchSigned(t, api.URL, alice, weed.Endpoint+"/eodata/users/someone-else/b.tif"); code != http.StatusForbidden {
		t.Fatalf("another prefix: %d, want 403 from the storage", code)
	}
	if ex.Calls() != 1 || creds.Calls() != 1 {
		t.Errorf("two requests of one user: %d exchanges, %d STS calls, want 1 and 1", ex.Calls(), creds.Calls())
	}
	mresp, err := (&http.Client{Timeout: 10 * time.Second}).Get(api.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(mresp.Body)
	mresp.Body.Close()
	for _, want := range []string{"signer_token_exchanges_total 1", "signer_sts_calls_total 1"} {
		if !slices.Contains(strings.Split(string(metrics), "\n"), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	// Credentials are cached per user: alice's second token (even one Dex
	// could not exchange: no name claim without scope profile) reuses them.
	noName := dex.PasswordToken(t, "alice", pw, "signer", "openid groups")
	if resp, out := dexSign(t, api.URL, noName, weed.Endpoint+"/eodata/users/"+xsub+"/a.tif"); resp.StatusCode != 200 {
		t.Fatalf("alice's second token: %d %v", resp.StatusCode, out)
	}
	// bob's token without a name claim: Dex answers 401 access_denied to the
	// exchange, the signer 403 forbidden.
	bobNoName := dex.PasswordToken(t, "bob", testenv.DexUsers["bob"].Password, "signer", "openid groups")
	resp, out := dexSign(t, api.URL, bobNoName, weed.Endpoint+"/eodata/users/"+xsub+"/a.tif")
	if detail, _ := out["detail"].(string); resp.StatusCode != 403 || out["error"] != codeForbidden || !strings.Contains(detail, "refused to exchange") {
		t.Fatalf("bob's token without name claim: %d %v, want 403 forbidden (exchange refused)", resp.StatusCode, out)
	}
	if ex.Calls() != 2 || creds.Calls() != 1 {
		t.Errorf("after bob's refused exchange: %d exchanges, %d STS calls, want 2 and 1", ex.Calls(), creds.Calls())
	}
}
