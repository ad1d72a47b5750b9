package auth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc/oidctest"
	jose "github.com/go-jose/go-jose/v4"
)

// clock is a settable Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func keyStats(t *testing.T, v *Verifier, issuer string) (fetches, refreshes int) {
	t.Helper()
	is := v.issuers[issuer]
	is.mu.Lock()
	ks := is.keys
	is.mu.Unlock()
	if ks == nil {
		t.Fatal("no key set yet")
	}
	return ks.stats()
}

// Tokens with made-up key ids must not turn the signer into a relay that
// hits the IdP's JWKS endpoint once per request.
func TestUnknownKeyIDsDoNotFloodTheIdP(t *testing.T) {
	idp := newTestIdP(t)
	clk := &clock{t: time.Now()}
	v, err := NewVerifier(Options{Issuers: []Issuer{{URL: idp.URL}}, Audiences: []string{"signer"}, Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := v.Verify(ctx, token(t, idp, nil)); err != nil {
		t.Fatal(err)
	}
	foreign, _ := rsa.GenerateKey(rand.Reader, 2048)
	claims, _ := json.Marshal(map[string]any{"iss": idp.URL, "sub": "mallory", "aud": "signer", "exp": time.Now().Add(time.Hour).Unix()})
	for i := range 50 {
		forged := oidctest.SignIDToken(foreign, "made-up-"+string(rune('a'+i%26)), "RS256", string(claims))
		_, err := v.Verify(ctx, forged)
		var ae *Error
		if !errors.As(err, &ae) || ae.Unavailable || ae.Reason != "token rejected" {
			t.Fatalf("forged token %d: %v", i, err)
		}
	}
	fetches, refreshes := keyStats(t, v, idp.URL)
	if fetches != 1+keyRefreshBurst || refreshes != keyRefreshBurst {
		t.Fatalf("50 unknown key ids: %d JWKS fetches (%d refreshes), want 1 + %d", fetches, refreshes, keyRefreshBurst)
	}
	// A genuine rotation later is still picked up: the budget refills.
	idp.Rotate(t)
	if _, err := v.Verify(ctx, token(t, idp, nil)); err == nil {
		t.Fatal("new key accepted while the refresh budget is spent (the test proves nothing)")
	}
	clk.add(keyRefreshEvery)
	if _, err := v.Verify(ctx, token(t, idp, nil)); err != nil {
		t.Fatalf("token signed with the rotated key, after %s: %v", keyRefreshEvery, err)
	}
	if fetches, _ := keyStats(t, v, idp.URL); fetches != 2+keyRefreshBurst {
		t.Fatalf("%d fetches, want %d", fetches, 2+keyRefreshBurst)
	}
}

// A key the IdP withdrew stops being trusted once the key set is older than
// keyMaxAge, even when no token with an unknown key id comes by.
func TestWithdrawnKeyAgesOut(t *testing.T) {
	idp := newTestIdP(t)
	clk := &clock{t: time.Now()}
	v, err := NewVerifier(Options{Issuers: []Issuer{{URL: idp.URL}}, Audiences: []string{"signer"}, Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	old := token(t, idp, nil)
	unused := idp.Token(t, "bob", "signer", nil) // signed with the same key, never verified
	if _, err := v.Verify(ctx, old); err != nil {
		t.Fatal(err)
	}
	idp.Rotate(t) // the old key is no longer published
	if _, err := v.Verify(ctx, unused); err != nil {
		t.Fatalf("within %s the known key still verifies: %v", keyMaxAge, err)
	}
	clk.add(keyMaxAge + time.Second)
	// Keys in hand still verify (the remembered token is gone by now, so
	// this is a real check) and are refreshed in the background.
	if _, err := v.Verify(ctx, old); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		is := v.issuers[idp.URL]
		is.keys.mu.Lock()
		refreshed := !is.keys.fetched.Before(clk.now())
		is.keys.mu.Unlock()
		if refreshed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no background refresh of old keys")
		}
		time.Sleep(10 * time.Millisecond)
	}
	withdrawn := func(tok string) {
		t.Helper()
		_, err := v.Verify(ctx, tok)
		var ae *Error
		if !errors.As(err, &ae) || ae.Reason != "token rejected" || !strings.Contains(err.Error(), "no published key") {
			t.Fatalf("withdrawn key: %v", err)
		}
	}
	withdrawn(unused) // its verification was forgotten long ago
	// old was verified again just now: remembered for VerifiedTTL at most.
	if _, err := v.Verify(ctx, old); err != nil {
		t.Fatalf("a token verified moments ago: %v", err)
	}
	clk.add(30 * time.Second)
	withdrawn(old)
	if _, err := v.Verify(ctx, token(t, idp, nil)); err != nil {
		t.Fatalf("current key: %v", err)
	}
}

// A remembered token is never accepted past its own expiry (plus leeway).
func TestRememberedTokenStillExpires(t *testing.T) {
	idp := newTestIdP(t)
	clk := &clock{t: time.Now()}
	v, err := NewVerifier(Options{Issuers: []Issuer{{URL: idp.URL}}, Audiences: []string{"signer"}, Now: clk.now, VerifiedTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	tok := token(t, idp, map[string]any{"exp": clk.now().Add(10 * time.Second).Unix()})
	for range 2 {
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	}
	clk.add(10*time.Second + 30*time.Second + time.Second) // exp + default leeway + 1 s
	_, err = v.Verify(context.Background(), tok)
	var ae *Error
	if !errors.As(err, &ae) || ae.Reason != "token expired" {
		t.Fatalf("remembered token past exp+leeway: %v", err)
	}
}

// jwksServer serves one RSA key's JWKS until broken is set, then 500s; it
// counts requests.
type jwksServer struct {
	*httptest.Server
	key    *rsa.PrivateKey
	broken atomic.Bool
	hits   atomic.Int64
}

func newJWKSServer(t *testing.T) *jwksServer {
	t.Helper()
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	j := &jwksServer{key: key}
	j.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		j.hits.Add(1)
		if j.broken.Load() {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	}))
	t.Cleanup(j.Close)
	return j
}

// Old keys and a failing IdP: one background refresh at a time, then a
// back-off, not a download per request; after keyHardMaxAge the keys are
// no longer used and the failure is the IdP's (503), not the token's.
func TestStaleKeysWithFailingIdP(t *testing.T) {
	j := newJWKSServer(t)
	clk := &clock{t: time.Now()}
	ks := newKeySet(j.URL, &http.Client{Timeout: 5 * time.Second}, []string{"RS256"}, clk.now)
	tok := oidctest.SignIDToken(j.key, "k1", "RS256", `{"sub":"alice"}`)
	ctx := context.Background()
	if _, err := ks.VerifySignature(ctx, tok); err != nil {
		t.Fatal(err)
	}
	j.broken.Store(true)
	clk.add(keyMaxAge + time.Second)
	for range 200 {
		if _, err := ks.VerifySignature(ctx, tok); err != nil {
			t.Fatalf("known key while the IdP is down: %v", err)
		}
	}
	waitFor(t, func() bool { return ks.lastErrSet() })
	if n := j.hits.Load(); n != 2 {
		t.Fatalf("200 verifications with old keys and a failing IdP: %d JWKS requests, want 2 (first fetch + one refresh)", n)
	}
	clk.add(keyRefreshBackoff)
	_, _ = ks.VerifySignature(ctx, tok) // the back-off is over: one more try
	waitFor(t, func() bool { return j.hits.Load() == 3 })

	clk.add(keyHardMaxAge)
	var trouble atomic.Bool
	_, err := ks.VerifySignature(context.WithValue(ctx, ctxKeyTrouble{}, &trouble), tok)
	if err == nil || !trouble.Load() {
		t.Fatalf("keys older than %s with the IdP down: err %v, IdP trouble reported %v", keyHardMaxAge, err, trouble.Load())
	}
	j.broken.Store(false)
	clk.add(keyRetryAfterFailure)
	if _, err := ks.VerifySignature(ctx, tok); err != nil {
		t.Fatalf("IdP back: %v", err)
	}
}

func (k *keySet) lastErrSet() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.lastErr != nil && k.inflight == nil
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A token cannot pass itself off as an IdP outage (503) by writing the
// words of a key-fetch error into its header.
func TestTokenCannotClaimIdPOutage(t *testing.T) {
	idp := newTestIdP(t)
	v := verifier(t, idp)
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	forged := enc(`{"alg":"fetching keys","kid":"x"}`) + "." + enc(`{"iss":"`+idp.URL+`","sub":"m","aud":"signer","exp":9999999999}`) + "." + enc("sig")
	_, err := v.Verify(context.Background(), forged)
	var ae *Error
	if !errors.As(err, &ae) || ae.Unavailable || ae.Reason != "token rejected" {
		t.Fatalf("got %v (unavailable %v), want token rejected", err, ae != nil && ae.Unavailable)
	}
}

// stats reports JWKS downloads, and how many were caused by unknown key ids.
func (k *keySet) stats() (fetches, refreshes int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.fetches, k.refreshes
}

// Tokens with a known key id and a tampered payload (the usual forgery) do
// not use up the refresh budget a real rotation needs: after 50 of them, a
// token signed with a new key is accepted at once. (The soak found it: after
// an IdP restart, freshly issued tokens were refused for up to 10 s.)
func TestTamperedTokensDoNotDelayARotation(t *testing.T) {
	idp := newTestIdP(t)
	clk := &clock{t: time.Now()}
	v, err := NewVerifier(Options{Issuers: []Issuer{{URL: idp.URL}}, Audiences: []string{"signer"}, Now: clk.now, VerifiedTTL: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	good := token(t, idp, nil)
	if _, err := v.Verify(ctx, good); err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, ".")
	for i := range 50 {
		claims, _ := json.Marshal(map[string]any{"iss": idp.URL, "sub": "mallory", "aud": "signer", "exp": time.Now().Add(time.Hour).Unix(), "n": i})
		forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString(claims) + "." + parts[2]
		_, err := v.Verify(ctx, forged)
		var ae *Error
		if !errors.As(err, &ae) || ae.Unavailable || ae.Reason != "token rejected" {
			t.Fatalf("tampered token %d: %v", i, err)
		}
	}
	if fetches, refreshes := keyStats(t, v, idp.URL); fetches != 2 || refreshes != 1 {
		t.Fatalf("50 tampered tokens: %d fetches, %d refreshes; want 2 and 1 (one per %v)", fetches, refreshes, keyMismatchRefreshEvery)
	}
	idp.Rotate(t)
	if _, err := v.Verify(ctx, token(t, idp, nil)); err != nil {
		t.Fatalf("a token signed with the new key, after 50 tampered ones: %v", err)
	}
}
