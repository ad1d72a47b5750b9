package testenv

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc/oidctest"
)

// OIDCProvider is go-oidc's in-process OpenID Provider (discovery + JWKS)
// with a key that tests can rotate and tokens they sign with any claims.
type OIDCProvider struct {
	URL string // the issuer

	mu  sync.Mutex
	srv *oidctest.Server
	key *rsa.PrivateKey
	kid string
	n   int
}

// StartOIDCProvider serves a provider on loopback until the test ends.
func StartOIDCProvider(t testing.TB) *OIDCProvider {
	t.Helper()
	p := &OIDCProvider{srv: &oidctest.Server{Algorithms: []string{"RS256"}}}
	p.Rotate(t)
	hs := httptest.NewServer(p.srv)
	t.Cleanup(hs.Close)
	p.URL = hs.URL
	p.srv.SetIssuer(hs.URL)
	return p
}

// Rotate replaces the signing key; the old one is no longer published.
func (p *OIDCProvider) Rotate(t testing.TB) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	p.key, p.kid = key, fmt.Sprintf("key-%d", p.n)
	p.srv.PublicKeys = []oidctest.PublicKey{{PublicKey: key.Public(), KeyID: p.kid, Algorithm: "RS256"}}
}

// Key returns the current signing key and its id.
func (p *OIDCProvider) Key() (*rsa.PrivateKey, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.key, p.kid
}

// mergeClaims sets extra's claims in claims; a nil value removes a claim.
func mergeClaims(claims, extra map[string]any) {
	for k, v := range extra {
		if v == nil {
			delete(claims, k)
		} else {
			claims[k] = v
		}
	}
}

// Token signs a token for sub with audience aud, valid for an hour; extra
// claims are merged in (a nil value removes a claim).
func (p *OIDCProvider) Token(t testing.TB, sub, aud string, extra map[string]any) string {
	t.Helper()
	now := time.Now()
	claims := map[string]any{"iss": p.URL, "sub": sub, "aud": aud, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	mergeClaims(claims, extra)
	raw, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	key, kid := p.Key()
	return oidctest.SignIDToken(key, kid, "RS256", string(raw))
}
