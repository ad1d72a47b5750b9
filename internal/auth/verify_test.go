package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc/oidctest"
	jose "github.com/go-jose/go-jose/v4"
	"gitlab.com/eocat/eocat/internal/testenv"
)

type testIdP = testenv.OIDCProvider

func newTestIdP(t *testing.T) *testIdP { return testenv.StartOIDCProvider(t) }

func token(t *testing.T, p *testIdP, claims map[string]any) string {
	return p.Token(t, "alice", "signer", claims)
}

func verifier(t *testing.T, idp *testIdP) *Verifier {
	t.Helper()
	v, err := NewVerifier(Options{Issuers: []Issuer{{URL: idp.URL}}, Audiences: []string{"signer", "other"}})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestVerifyAccepts(t *testing.T) {
	idp := newTestIdP(t)
	v := verifier(t, idp)
	p, err := v.Verify(context.Background(), token(t, idp, map[string]any{"groups": []string{"s2"}, "aud": []string{"x", "other"}}))
	if err != nil {
		t.Fatal(err)
	}
	if p.Subject != "alice" || p.Issuer != idp.URL || p.Claims["groups"].([]any)[0] != "s2" {
		t.Fatalf("%+v", p)
	}
	// Within the clock-skew leeway.
	if _, err := v.Verify(context.Background(), token(t, idp, map[string]any{"exp": time.Now().Add(-10 * time.Second).Unix()})); err != nil {
		t.Fatalf("token expired 10 s ago refused: %v", err)
	}
}

func TestVerifyRejectionMatrix(t *testing.T) {
	idp := newTestIdP(t)
	v := verifier(t, idp)
	good := token(t, idp, nil)
	parts := strings.Split(good, ".")
	enc := func(v any) string { b, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(b) }
	payload := map[string]any{"iss": idp.URL, "sub": "alice", "aud": "signer", "exp": time.Now().Add(time.Hour).Unix()}

	// HMAC signed with the provider's public key as the secret.
	key, _ := idp.Key()
	pub, _ := x509.MarshalPKIXPublicKey(key.Public())
	hs, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: pub}, nil)
	hsJWS, _ := hs.Sign([]byte(enc(payload)))
	hsTok, _ := hsJWS.CompactSerialize()
	hsTok = strings.Split(hsTok, ".")[0] + "." + enc(payload) + "." + strings.Split(hsTok, ".")[2]

	// A key the provider never published.
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	raw, _ := json.Marshal(payload)
	unknownKid := oidctest.SignIDToken(other, "nope", "ES256", string(raw))

	for name, tc := range map[string]struct {
		token  string
		reason string
	}{
		"empty":                     {"", "missing bearer token"},
		"garbage":                   {"not-a-jwt", "malformed token"},
		"expired":                   {token(t, idp, map[string]any{"exp": time.Now().Add(-5 * time.Minute).Unix()}), "token expired"},
		"wrong audience":            {token(t, idp, map[string]any{"aud": "someone-else"}), "wrong audience"},
		"untrusted issuer":          {token(t, idp, map[string]any{"iss": "https://evil.example.org"}), "untrusted issuer"},
		"alg none":                  {enc(map[string]any{"alg": "none", "typ": "JWT"}) + "." + enc(payload) + ".", "token rejected"},
		"HS256 with the public key": {hsTok, "token rejected"},
		"unknown kid":               {unknownKid, "token rejected"},
		"tampered payload":          {parts[0] + "." + enc(map[string]any{"iss": idp.URL, "sub": "admin", "aud": "signer", "exp": time.Now().Add(time.Hour).Unix()}) + "." + parts[2], "token rejected"},
		"no sub":                    {token(t, idp, map[string]any{"sub": nil}), "token has no sub claim"},
		"oversized":                 {strings.Repeat("a", MaxTokenSize+1), "token larger"},
	} {
		_, err := v.Verify(context.Background(), tc.token)
		var ae *Error
		if !errors.As(err, &ae) || ae.Unavailable || !strings.HasPrefix(ae.Reason, tc.reason) {
			t.Errorf("%s: got %v, want reason %q", name, err, tc.reason)
		}
	}
}

func TestKeyRotationIsPickedUp(t *testing.T) {
	idp := newTestIdP(t)
	v := verifier(t, idp)
	if _, err := v.Verify(context.Background(), token(t, idp, nil)); err != nil {
		t.Fatal(err)
	}
	idp.Rotate(t)
	if _, err := v.Verify(context.Background(), token(t, idp, nil)); err != nil {
		t.Fatalf("token signed with the new key: %v", err)
	}
}

func TestUnreachableIdPIsUnavailableNotInvalid(t *testing.T) {
	idp := newTestIdP(t)
	dead := httptest.NewServer(nil)
	deadURL := dead.URL
	dead.Close()
	// A token from a trusted issuer whose discovery cannot be reached.
	v, _ := NewVerifier(Options{Issuers: []Issuer{{URL: deadURL}}, Audiences: []string{"signer"}})
	_, err := v.Verify(context.Background(), token(t, idp, map[string]any{"iss": deadURL}))
	var ae *Error
	if !errors.As(err, &ae) || !ae.Unavailable {
		t.Fatalf("want Unavailable, got %v", err)
	}
	if err := v.Ready(context.Background()); err == nil {
		t.Fatal("Ready with a dead IdP")
	}
}

func TestOptionsDenyByDefault(t *testing.T) {
	if _, err := NewVerifier(Options{}); err == nil {
		t.Error("no issuer accepted")
	}
	if _, err := NewVerifier(Options{Issuers: []Issuer{{URL: "https://idp"}}}); err == nil {
		t.Error("no audience accepted")
	}
	if _, err := NewVerifier(Options{Issuers: []Issuer{{URL: "https://idp"}}, Audiences: []string{"a"}, Algorithms: []string{"HS256"}}); err == nil {
		t.Error("HMAC algorithm accepted")
	}
}
