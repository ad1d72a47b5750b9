package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"gitlab.com/eocat/eocat/internal/testenv"
)

// These tests run the Exchanger against a real RFC 8693 implementation:
// zitadel/oidc's OpenID Provider library (pkg/op) served in process by
// testenv.StartTokenExchangeProvider. The subject tokens are the provider's
// own JWT access tokens for the audience "eocat-web" (what a browser app
// would send to the signer); the signer authenticates as client "signer"
// with a secret that needs form-encoding in HTTP Basic.

const opMargin = 30 * time.Second // the margin NewExchanger gives expcache

func opCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// opVerifier verifies tokens of the provider for exactly these audiences,
// through discovery, with a 1 ms clock-skew leeway (so expiry is exact).
func opVerifier(t *testing.T, p *testenv.TokenExchangeProvider, audiences ...string) *Verifier {
	t.Helper()
	v, err := NewVerifier(Options{Issuers: []Issuer{{URL: p.URL}}, Audiences: audiences, Leeway: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func opExchanger(t *testing.T, p *testenv.TokenExchangeProvider, requested string) *Exchanger {
	t.Helper()
	ex, err := NewExchanger(ExchangeOptions{TokenURL: p.TokenURL, ClientID: p.ClientID, ClientSecret: p.ClientSecret,
		Audience: "storage", Scope: "openid", RequestedTokenType: requested})
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

// opPrincipal verifies a fresh subject token of sub as the signer does.
func opPrincipal(t *testing.T, p *testenv.TokenExchangeProvider, sub string) *Principal {
	t.Helper()
	pr, err := opVerifier(t, p, "eocat-web").Verify(opCtx(t), p.SubjectToken(t, sub, "eocat-web", nil))
	if err != nil {
		t.Fatalf("subject token of %s: %v", sub, err)
	}
	return pr
}

// opClaims decodes a JWT's claims without verifying it (the verifiers do that).
func opClaims(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %.40q", tok)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func opExp(t *testing.T, tok string) time.Time {
	t.Helper()
	exp, ok := opClaims(t, tok)["exp"].(float64)
	if !ok {
		t.Fatalf("no exp in %v", opClaims(t, tok))
	}
	return time.Unix(int64(exp), 0)
}

// TestZitadelExchangeAudienceSubAndClaims: a token of the provider is
// verified by the signer; its exchange for the audience "storage" is accepted
// by a verifier (ours, and go-oidc's own) configured with only "storage",
// refused by one for the original audience, keeps sub and carries the custom
// claims; one exchange is one request at the provider. Both token types the
// exchanger can ask for are covered: an access token's aud is exactly
// ["storage"]; zitadel adds the client id to an ID token's aud (OIDC Core
// requires it), so an ID token is also accepted by a verifier for "signer".
func TestZitadelExchangeAudienceSubAndClaims(t *testing.T) {
	for _, tc := range []struct {
		requested string
		aud       []any
	}{
		{TokenTypeAccess, []any{"storage"}},
		{TokenTypeID, []any{"storage", "signer"}},
	} {
		t.Run(tc.requested[strings.LastIndex(tc.requested, ":")+1:], func(t *testing.T) {
			t.Parallel()
			ctx := opCtx(t)
			p := testenv.StartTokenExchangeProvider(t, testenv.TokenExchangeProviderOptions{Lifetime: 10 * time.Minute})
			web := opVerifier(t, p, "eocat-web")
			if got := web.TokenURL(ctx, p.URL); got != p.TokenURL {
				t.Fatalf("discovered token endpoint %q, want %q", got, p.TokenURL)
			}
			alice := opPrincipal(t, p, "alice")
			if alice.Subject != "alice" || alice.Claims["project"] != "p-alice" {
				t.Fatalf("subject token verified as %+v", alice)
			}

			ex := opExchanger(t, p, tc.requested)
			before := time.Now()
			tok, err := ex.Exchange(ctx, alice)
			if err != nil {
				t.Fatal(err)
			}
			if tok == alice.Token {
				t.Fatal("the subject token came back unchanged")
			}
			if n := p.TokenRequests(); n != 1 || ex.Calls() != 1 || p.Accepted() != 1 {
				t.Errorf("%d requests at the provider, %d exchanger calls, %d accepted; want 1", n, ex.Calls(), p.Accepted())
			}

			// Accepted for "storage" only.
			got, err := opVerifier(t, p, "storage").Verify(ctx, tok)
			if err != nil {
				t.Fatalf("exchanged token refused for audience storage: %v", err)
			}
			if got.Issuer != p.URL || got.Subject != "alice" {
				t.Errorf("exchanged token: iss %q sub %q, want %q alice", got.Issuer, got.Subject, p.URL)
			}
			for k, want := range map[string]any{
				"groups": []any{"s2-readers", "staff"}, "preferred_username": "alice@example.org", "project": "p-alice",
				"client_id": "signer", // the exchanging client, not the subject token's
			} {
				if !reflect.DeepEqual(got.Claims[k], want) {
					t.Errorf("claim %s = %#v, want %#v", k, got.Claims[k], want)
				}
			}
			c := opClaims(t, tok)
			aud, ok := c["aud"].([]any)
			if !ok {
				aud = []any{c["aud"]}
			}
			if !reflect.DeepEqual(aud, tc.aud) {
				t.Errorf("aud %v, want exactly %v", c["aud"], tc.aud)
			}
			if life := opExp(t, tok).Sub(before); life < 9*time.Minute || life > 10*time.Minute+time.Second {
				t.Errorf("exchanged token lives %v, want the configured 10 min", life)
			}
			_, err = web.Verify(ctx, tok)
			var ae *Error
			if !errors.As(err, &ae) || ae.Reason != "wrong audience" {
				t.Errorf("exchanged token with the original audience eocat-web: %v, want wrong audience", err)
			}

			// go-oidc itself, configured for "storage" and nothing else.
			prov, err := oidc.NewProvider(ctx, p.URL)
			if err != nil {
				t.Fatal(err)
			}
			idt, err := prov.Verifier(&oidc.Config{ClientID: "storage"}).Verify(ctx, tok)
			if err != nil || idt.Subject != "alice" {
				t.Fatalf("go-oidc for audience storage: %v", err)
			}
			if _, err := prov.Verifier(&oidc.Config{ClientID: "eocat-web"}).Verify(ctx, tok); err == nil ||
				!strings.Contains(err.Error(), "expected audience \"eocat-web\"") {
				t.Errorf("go-oidc for the original audience: %v, want an audience error", err)
			}
		})
	}
}

// TestZitadelExchangeResponse pins what the provider answers, which the
// exchanger has to cope with: expires_in for an access token, none for an ID
// token (RFC 8693 §2.2.1 only recommends it), token_type N_A for the latter.
func TestZitadelExchangeResponse(t *testing.T) {
	p := testenv.StartTokenExchangeProvider(t, testenv.TokenExchangeProviderOptions{Lifetime: 10 * time.Minute})
	subject := p.SubjectToken(t, "alice", "eocat-web", nil)
	client := &http.Client{Timeout: 10 * time.Second}
	for requested, want := range map[string]map[string]any{
		TokenTypeAccess: {"issued_token_type": TokenTypeAccess, "token_type": "Bearer", "expires_in": float64(599)},
		TokenTypeID:     {"issued_token_type": TokenTypeID, "token_type": "N_A", "expires_in": nil},
	} {
		form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:token-exchange"}, "subject_token": {subject},
			"subject_token_type": {TokenTypeAccess}, "requested_token_type": {requested}, "audience": {"storage"}}
		req, err := http.NewRequest(http.MethodPost, p.TokenURL, strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(url.QueryEscape(p.ClientID), url.QueryEscape(p.ClientSecret))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var out map[string]any
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %d %v %v", requested, resp.StatusCode, out, err)
		}
		for k, v := range want {
			if !reflect.DeepEqual(out[k], v) {
				t.Errorf("%s: %s = %#v, want %#v", requested, k, out[k], v)
			}
		}
	}
}

// TestZitadelExchangeCached: concurrent and repeated exchanges of one
// caller's token make one request at the provider and return the same token;
// another token (another user, or the same user's new login) is another
// exchange, since the cache is keyed by the token.
func TestZitadelExchangeCached(t *testing.T) {
	ctx := opCtx(t)
	p := testenv.StartTokenExchangeProvider(t, testenv.TokenExchangeProviderOptions{})
	ex := opExchanger(t, p, "")
	alice := opPrincipal(t, p, "alice")
	toks := make([]string, 8)
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if toks[i], err = ex.Exchange(ctx, alice); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for i := 5; i < len(toks); i++ {
		var err error
		if toks[i], err = ex.Exchange(ctx, alice); err != nil {
			t.Fatal(err)
		}
	}
	for _, tok := range toks {
		if tok == "" || tok != toks[0] {
			t.Fatalf("%d exchanges of one token gave different tokens", len(toks))
		}
	}
	if n := p.TokenRequests(); n != 1 || ex.Calls() != 1 {
		t.Fatalf("%d requests at the provider, %d exchanger calls for %d exchanges of one token; want 1", n, ex.Calls(), len(toks))
	}

	bob, err := ex.Exchange(ctx, opPrincipal(t, p, "bob"))
	if err != nil {
		t.Fatal(err)
	}
	if c := opClaims(t, bob); c["sub"] != "bob" || c["project"] != "p-bob" {
		t.Errorf("bob's exchanged token: %v", c)
	}
	again, err := ex.Exchange(ctx, opPrincipal(t, p, "alice")) // a new login of alice
	if err != nil {
		t.Fatal(err)
	}
	if opClaims(t, again)["sub"] != "alice" { // may equal toks[0]: an ID token has no jti, exp has whole seconds
		t.Errorf("alice's second login exchanged to %v", opClaims(t, again))
	}
	if n := p.TokenRequests(); n != 3 || ex.Calls() != 3 {
		t.Errorf("%d requests at the provider, %d exchanger calls; want 3", n, ex.Calls())
	}
}

// TestZitadelExchangeFastExpiry: an exchanged token is served from the cache
// until opMargin (30 s) before its own expiry, then exchanged again, and the
// new token is valid. The ID token case matters most: zitadel's response for
// it has no expires_in, so the expiry must come from the token's exp claim
// (the caller's token lives an hour). A token that lives less than the margin
// is never served from the cache: each exchange is a new request, and the
// token handed out is the fresh one, not the one that expired.
func TestZitadelExchangeFastExpiry(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: sleeps until real tokens reach their refresh point or expire (about 4 s)")
	}
	for _, requested := range []string{TokenTypeAccess, TokenTypeID} {
		t.Run("refresh/"+requested[strings.LastIndex(requested, ":")+1:], func(t *testing.T) {
			t.Parallel()
			ctx := opCtx(t)
			p := testenv.StartTokenExchangeProvider(t, testenv.TokenExchangeProviderOptions{Lifetime: opMargin + 2*time.Second})
			ex := opExchanger(t, p, requested)
			storage := opVerifier(t, p, "storage")
			alice := opPrincipal(t, p, "alice")
			first, err := ex.Exchange(ctx, alice)
			if err != nil {
				t.Fatal(err)
			}
			if again, err := ex.Exchange(ctx, alice); err != nil || again != first || p.TokenRequests() != 1 {
				t.Fatalf("second exchange within the lifetime: err %v, same token %v, %d requests; want the cached token",
					err, again == first, p.TokenRequests())
			}
			// The refresh point is exp-30 s (expires_in has whole seconds
			// and exp too, so allow 1 s); the first token is still valid.
			time.Sleep(time.Until(opExp(t, first).Add(-opMargin + time.Second)))
			second, err := ex.Exchange(ctx, alice)
			if err != nil {
				t.Fatal(err)
			}
			if n := p.TokenRequests(); n != 2 || ex.Calls() != 2 {
				t.Fatalf("%d requests at the provider after the refresh point (exp-%v), want 2", n, opMargin)
			}
			if _, err := storage.Verify(ctx, first); err != nil {
				t.Fatalf("the first token expired already, the test slept too long: %v", err)
			}
			if second == first || !opExp(t, second).After(opExp(t, first)) {
				t.Errorf("not a fresh token: exp %v, previous %v", opExp(t, second), opExp(t, first))
			}
			if pr, err := storage.Verify(ctx, second); err != nil || pr.Subject != "alice" {
				t.Errorf("fresh token: %v", err)
			}
		})
		t.Run("shorter-than-margin/"+requested[strings.LastIndex(requested, ":")+1:], func(t *testing.T) {
			t.Parallel()
			ctx := opCtx(t)
			p := testenv.StartTokenExchangeProvider(t, testenv.TokenExchangeProviderOptions{Lifetime: 3 * time.Second})
			ex := opExchanger(t, p, requested)
			storage := opVerifier(t, p, "storage")
			alice := opPrincipal(t, p, "alice")
			first, err := ex.Exchange(ctx, alice)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := storage.Verify(ctx, first); err != nil {
				t.Fatalf("3 s token refused right away: %v", err)
			}
			if _, err := ex.Exchange(ctx, alice); err != nil || p.TokenRequests() != 2 {
				t.Fatalf("a token living less than the margin: err %v, %d requests; want no caching (2)", err, p.TokenRequests())
			}
			time.Sleep(time.Until(opExp(t, first)) + 1100*time.Millisecond) // exp has whole seconds
			_, err = storage.Verify(ctx, first)
			var ae *Error
			if !errors.As(err, &ae) || ae.Reason != "token expired" {
				t.Fatalf("first token after its expiry: %v, want token expired", err)
			}
			fresh, err := ex.Exchange(ctx, alice)
			if err != nil {
				t.Fatal(err)
			}
			if p.TokenRequests() != 3 || ex.Calls() != 3 {
				t.Errorf("%d requests at the provider, want 3", p.TokenRequests())
			}
			if pr, err := storage.Verify(ctx, fresh); err != nil || pr.Subject != "alice" {
				t.Errorf("token exchanged after the expiry: %v", err)
			}
		})
	}
}

// TestZitadelExchangeRefusals: the provider's refusals come back as an
// *ExchangeError with its status, OAuth error code and description (which
// the signer logs, so it must never contain the token or the secret), and a
// refusal is not cached.
func TestZitadelExchangeRefusals(t *testing.T) {
	ctx := opCtx(t)
	p := testenv.StartTokenExchangeProvider(t, testenv.TokenExchangeProviderOptions{})
	p.AddClient("viewer", "viewer-secret", false)
	alice := opPrincipal(t, p, "alice")
	foreign := testenv.StartOIDCProvider(t).Token(t, "alice", "eocat-web", nil)
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "http://" + dead.Addr().String() + "/oauth/token"
	if err := dead.Close(); err != nil { // from now on, connections are refused
		t.Fatal(err)
	}

	for name, tc := range map[string]struct {
		opts   func(*ExchangeOptions)
		token  string
		status int
		code   string
		detail string
	}{
		"wrong secret":        {func(o *ExchangeOptions) { o.ClientSecret = "s3cr:t" }, "", 401, "invalid_client", "invalid client_id / client_secret"},
		"unknown client":      {func(o *ExchangeOptions) { o.ClientID = "nobody" }, "", 401, "invalid_client", "invalid client_id / client_secret"},
		"client not allowed":  {func(o *ExchangeOptions) { o.ClientID, o.ClientSecret = "viewer", "viewer-secret" }, "", 400, "unauthorized_client", `client "viewer" may not use token exchange`},
		"audience refused":    {func(o *ExchangeOptions) { o.Audience = "elsewhere" }, "", 400, "invalid_target", `audience "elsewhere" is not allowed for client "signer"`},
		"foreign token":       {nil, foreign, 400, "invalid_request", "subject_token is invalid"},
		"refresh token asked": {func(o *ExchangeOptions) { o.RequestedTokenType = "urn:ietf:params:oauth:token-type:refresh_token" }, "", 400, "invalid_request", "requested_token_type urn:ietf:params:oauth:token-type:refresh_token is not issued here"},
		"provider down":       {func(o *ExchangeOptions) { o.TokenURL = deadURL }, "", 0, "", "connection refused"},
	} {
		t.Run(name, func(t *testing.T) {
			o := ExchangeOptions{TokenURL: p.TokenURL, ClientID: p.ClientID, ClientSecret: p.ClientSecret, Audience: "storage"}
			if tc.opts != nil {
				tc.opts(&o)
			}
			ex, err := NewExchanger(o)
			if err != nil {
				t.Fatal(err)
			}
			pr := alice
			if tc.token != "" {
				pr = &Principal{Issuer: p.URL, Subject: "alice", Token: tc.token, Expiry: time.Now().Add(time.Hour)}
			}
			tok, err := ex.Exchange(ctx, pr)
			var xe *ExchangeError
			if !errors.As(err, &xe) {
				t.Fatalf("got %q, %v; want an *ExchangeError", tok, err)
			}
			if xe.Status != tc.status || xe.Code != tc.code || !strings.Contains(xe.Detail, tc.detail) {
				t.Errorf("got status %d code %q detail %q; want %d %q containing %q", xe.Status, xe.Code, xe.Detail, tc.status, tc.code, tc.detail)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "token exchange: status ") || !strings.Contains(msg, tc.detail) {
				t.Errorf("message %q does not say what happened", msg)
			}
			for _, secret := range []string{pr.Token, p.ClientSecret, "viewer-secret"} {
				if strings.Contains(msg, secret) {
					t.Errorf("message %q contains a secret", msg)
				}
			}
		})
	}

	// A user the provider no longer accepts, then accepts again: the refusal
	// was not cached.
	ex := opExchanger(t, p, "")
	bob := opPrincipal(t, p, "bob")
	p.RemoveUser("bob")
	_, err = ex.Exchange(ctx, bob)
	var xe *ExchangeError
	if !errors.As(err, &xe) || xe.Status != 400 || xe.Code != "invalid_grant" || xe.Detail != `subject "bob" is not an active user` {
		t.Fatalf("removed user: %v", err)
	}
	p.AddUser("bob", map[string]any{"project": "p-bob"})
	n := p.TokenRequests()
	if tok, err := ex.Exchange(ctx, bob); err != nil || opClaims(t, tok)["sub"] != "bob" {
		t.Fatalf("after the user is back: %v", err)
	}
	if p.TokenRequests() != n+1 {
		t.Error("the refusal was cached")
	}
}
