package auth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc/oidctest"
)

// The time claims, at the leeway's boundary ± 1 s, on tokens really signed
// by the provider's key: go-oidc alone let a token with nbf 4 min ahead and
// one issued a year ahead through.
func TestTimeClaimsAtTheBoundary(t *testing.T) {
	idp := newTestIdP(t)
	now := time.Now().Truncate(time.Second)
	for _, leeway := range []time.Duration{30 * time.Second, 5 * time.Second} {
		v, err := NewVerifier(Options{Issuers: []Issuer{{URL: idp.URL}}, Audiences: []string{"signer"}, Leeway: leeway,
			Now: func() time.Time { return now }, VerifiedTTL: -1})
		if err != nil {
			t.Fatal(err)
		}
		at := func(d time.Duration) int64 { return now.Add(d).Unix() }
		hour := time.Hour
		for _, tc := range []struct {
			name   string
			claims map[string]any
			reason string // "" accepted
		}{
			{"exp now", map[string]any{"exp": at(0)}, ""},
			{"exp leeway-1 ago", map[string]any{"exp": at(-leeway + time.Second)}, ""},
			{"exp leeway ago", map[string]any{"exp": at(-leeway)}, ""},
			{"exp leeway+1 ago", map[string]any{"exp": at(-leeway - time.Second)}, "token expired"},
			{"exp a day ago", map[string]any{"exp": at(-24 * hour)}, "token expired"},
			{"no exp", map[string]any{"exp": nil}, "token has no exp claim"},
			{"exp not a number", map[string]any{"exp": "tomorrow"}, "token rejected"},
			{"nbf now", map[string]any{"nbf": at(0)}, ""},
			{"nbf in leeway-1", map[string]any{"nbf": at(leeway - time.Second)}, ""},
			{"nbf in leeway", map[string]any{"nbf": at(leeway)}, ""},
			{"nbf in leeway+1", map[string]any{"nbf": at(leeway + time.Second)}, "token not yet valid"},
			{"nbf in 240 s", map[string]any{"nbf": at(240 * time.Second)}, "token not yet valid"},
			{"nbf fractional, just over", map[string]any{"nbf": float64(at(leeway)) + 0.5}, "token not yet valid"},
			{"iat now", map[string]any{"iat": at(0)}, ""},
			{"iat an hour ago", map[string]any{"iat": at(-hour)}, ""},
			{"iat in leeway-1", map[string]any{"iat": at(leeway - time.Second)}, ""},
			{"iat in leeway", map[string]any{"iat": at(leeway)}, ""},
			{"iat in leeway+1", map[string]any{"iat": at(leeway + time.Second)}, "token issued in the future"},
			{"iat in a year", map[string]any{"iat": at(365 * 24 * hour)}, "token issued in the future"},
			{"no iat", map[string]any{"iat": nil}, ""},
			{"iat not a number", map[string]any{"iat": "now"}, "token rejected"},
		} {
			name := fmt.Sprintf("leeway %v, %s", leeway, tc.name)
			claims := map[string]any{"iat": at(-time.Minute), "exp": at(hour)}
			for k, v := range tc.claims {
				claims[k] = v
			}
			p, err := v.Verify(context.Background(), token(t, idp, claims))
			if tc.reason == "" {
				if err != nil || p.Subject != "alice" {
					t.Errorf("%s: refused: %v", name, err)
				}
				continue
			}
			var ae *Error
			if !errors.As(err, &ae) || ae.Unavailable || ae.Reason != tc.reason {
				t.Errorf("%s: got %v, want %q", name, err, tc.reason)
			}
		}
	}
}

// Leeway negative means none: a token expired one second ago is refused.
func TestNoLeeway(t *testing.T) {
	idp := newTestIdP(t)
	now := time.Now().Truncate(time.Second)
	v, err := NewVerifier(Options{Issuers: []Issuer{{URL: idp.URL}}, Audiences: []string{"signer"}, Leeway: -1,
		Now: func() time.Time { return now }, VerifiedTTL: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), token(t, idp, map[string]any{"exp": now.Unix()})); err != nil {
		t.Errorf("exp now: %v", err)
	}
	if _, err := v.Verify(context.Background(), token(t, idp, map[string]any{"exp": now.Unix() - 1})); err == nil || !strings.Contains(err.Error(), "token expired") {
		t.Errorf("exp 1 s ago without leeway: %v", err)
	}
	if _, err := v.Verify(context.Background(), token(t, idp, map[string]any{"nbf": now.Unix() + 1})); err == nil || !strings.Contains(err.Error(), "not yet valid") {
		t.Errorf("nbf in 1 s without leeway: %v", err)
	}
}

// switchableIdP is go-oidc's test provider on a fixed loopback address that
// a test starts and stops (a real outage: the port refuses connections).
type switchableIdP struct {
	t    *testing.T
	addr string
	URL  string
	op   *oidctest.Server
	idp  *testIdP // signs the tokens (the same key is published)
	hs   *httptest.Server
}

func newSwitchableIdP(t *testing.T) *switchableIdP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil { // the address is free for the switchable IdP
		t.Fatal(err)
	}
	s := &switchableIdP{t: t, addr: addr, URL: "http://" + addr, idp: newTestIdP(t)}
	key, kid := s.idp.Key()
	s.op = &oidctest.Server{Algorithms: []string{"RS256"}, PublicKeys: []oidctest.PublicKey{{PublicKey: key.Public(), KeyID: kid, Algorithm: "RS256"}}}
	s.op.SetIssuer(s.URL)
	t.Cleanup(s.stop)
	return s
}

func (s *switchableIdP) start() {
	s.t.Helper()
	var ln net.Listener
	var err error
	for range 50 { // the port was just released by the previous server
		if ln, err = net.Listen("tcp", s.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		s.t.Fatal(err)
	}
	s.hs = httptest.NewUnstartedServer(s.op)
	_ = s.hs.Listener.Close() // replaced by ln before any use
	s.hs.Listener = ln
	s.hs.Start()
}

func (s *switchableIdP) stop() {
	if s.hs != nil {
		s.hs.CloseClientConnections()
		s.hs.Close()
		s.hs = nil
	}
}

// token signs a token of this issuer.
func (s *switchableIdP) token(claims map[string]any) string {
	c := map[string]any{"iss": s.URL}
	for k, v := range claims {
		c[k] = v
	}
	return token(s.t, s.idp, c)
}

// An IdP down when the verifier starts: requests fail as unavailable (and,
// within the retry delay, without waiting for it), the token endpoint is "",
// and once it is up the next call finds it; Ready follows the IdP up, down
// and up again.
func TestDiscoveryIsRetriedAndReadinessIsCurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: waits out the real discovery retry delay (2 s)")
	}
	idp := newSwitchableIdP(t)
	v, err := NewVerifier(Options{Issuers: []Issuer{{URL: idp.URL}}, Audiences: []string{"signer"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if got := v.TokenURL(ctx, idp.URL); got != "" {
		t.Fatalf("token URL with the IdP down: %q", got)
	}
	if err := v.Ready(ctx); err == nil {
		t.Fatal("Ready with the IdP down")
	}
	_, err = v.Verify(ctx, idp.token(nil))
	var ae *Error
	if !errors.As(err, &ae) || !ae.Unavailable {
		t.Fatalf("token while the IdP is down: %v, want unavailable", err)
	}

	idp.start()
	time.Sleep(discoveryRetryAfterFailure) // failures are not retried sooner
	if got := v.TokenURL(ctx, idp.URL); got != idp.URL+"/token" {
		t.Fatalf("token URL once the IdP is up: %q, want %s/token", got, idp.URL)
	}
	if err := v.Ready(ctx); err != nil {
		t.Fatalf("Ready with the IdP up: %v", err)
	}
	if p, err := v.Verify(ctx, idp.token(nil)); err != nil || p.Subject != "alice" {
		t.Fatalf("token once the IdP is up: %v", err)
	}

	idp.stop()
	err = v.Ready(ctx)
	if err == nil || !strings.Contains(err.Error(), "discovery") {
		t.Fatalf("Ready after the IdP went down: %v, want a discovery error", err)
	}
	// What was discovered stays: the token endpoint and the keys in hand.
	if got := v.TokenURL(ctx, idp.URL); got != idp.URL+"/token" {
		t.Errorf("token URL while the IdP is down again: %q, want the one discovered", got)
	}
	if _, err := v.Verify(ctx, idp.token(map[string]any{"jti": "another"})); err != nil {
		t.Errorf("token with a known key while the IdP is down: %v", err)
	}

	idp.start()
	if err := v.Ready(ctx); err != nil {
		t.Fatalf("Ready with the IdP back: %v", err)
	}
}

// A key set that the IdP no longer serves makes Ready fail even though
// discovery answers.
func TestReadyChecksTheKeySet(t *testing.T) {
	idp := newSwitchableIdP(t)
	idp.start()
	v, err := NewVerifier(Options{Issuers: []Issuer{{URL: idp.URL}}, Audiences: []string{"signer"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Ready(context.Background()); err != nil {
		t.Fatal(err)
	}
	idp.op.PublicKeys = nil // an empty JWKS
	if err := v.Ready(context.Background()); err == nil || !strings.Contains(err.Error(), "keys from "+idp.URL) {
		t.Fatalf("Ready with an empty key set: %v", err)
	}
}
