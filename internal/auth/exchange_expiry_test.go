package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestExchangeExpiryWithoutExpiresIn: how long an exchanged token is cached
// when the IdP's response has no expires_in (RFC 8693 makes it optional;
// zitadel omits it for ID tokens): until the issued JWT's own exp (minus the
// 30 s margin), not until the caller's token expires; an opaque token without
// expires_in falls back to the caller's expiry. The clock is the exchanger's.
func TestExchangeExpiryWithoutExpiresIn(t *testing.T) {
	t0 := time.Unix(1_900_000_000, 0)
	var mu sync.Mutex
	now := t0
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	for name, tc := range map[string]struct {
		issued  func(n int64) string // the token the IdP issues on its n-th call
		cached  time.Duration        // still served from the cache at t0+cached
		renewed time.Duration        // exchanged again at t0+renewed
	}{
		"JWT with exp": {func(n int64) string {
			claims, _ := json.Marshal(map[string]any{"sub": "alice", "aud": "storage", "exp": t0.Add(100 * time.Second).Unix(), "n": n})
			return "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString(claims) + ".c2ln"
		}, 69 * time.Second, 71 * time.Second},
		"opaque": {func(n int64) string { return "opaque-" + string(rune('0'+n)) }, 3569 * time.Second, 3571 * time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			mu.Lock()
			now = t0
			mu.Unlock()
			var calls atomic.Int64
			idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tc.issued(calls.Add(1)), // a failed write fails the client's decoding
					"issued_token_type": TokenTypeID, "token_type": "N_A"})
			}))
			defer idp.Close()
			ex, err := NewExchanger(ExchangeOptions{TokenURL: idp.URL, ClientID: "signer", Audience: "storage", Now: clock})
			if err != nil {
				t.Fatal(err)
			}
			p := &Principal{Subject: "alice", Token: "caller-token", Expiry: t0.Add(time.Hour)}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			first, err := ex.Exchange(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			advance(tc.cached)
			if tok, err := ex.Exchange(ctx, p); err != nil || tok != first || calls.Load() != 1 {
				t.Fatalf("at +%v: %v, %d calls; want the cached token", tc.cached, err, calls.Load())
			}
			advance(tc.renewed - tc.cached)
			if tok, err := ex.Exchange(ctx, p); err != nil || tok == first || calls.Load() != 2 {
				t.Fatalf("at +%v: %v, %d calls; want a new exchange", tc.renewed, err, calls.Load())
			}
		})
	}
}
