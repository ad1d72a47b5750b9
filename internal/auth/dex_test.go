//go:build linux

package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"gitlab.com/eocat/eocat/internal/testenv"
)

// Tests against a real Dex (testenv.StartDex): its password-grant tokens,
// its own key rotation and its variant of RFC 8693 token exchange. The HTTP
// side (401s, rotation by restart, the whole sts path) is in
// internal/signer/dex_test.go.

func dexCtx(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// jwtHeader decodes a compact JWT's header.
func dexJWTHeader(t *testing.T, raw string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[0])
	if err != nil {
		t.Fatalf("JWT header: %v", err)
	}
	h := map[string]any{}
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatalf("JWT header: %v", err)
	}
	return h
}

func dexGroups(claims map[string]any) []string {
	var out []string
	list, _ := claims["groups"].([]any)
	for _, g := range list {
		s, _ := g.(string)
		out = append(out, s)
	}
	return out
}

// TestDexPasswordTokensVerify: ID tokens from Dex's password grant pass the
// verifier (discovery, JWKS, RS256), with Dex's claims; a token Dex issued to
// another client is refused for its audience.
func TestDexPasswordTokensVerify(t *testing.T) {
	dex := testenv.StartDex(t, testenv.DexOptions{})
	ctx := dexCtx(t, 30*time.Second)
	v, err := NewVerifier(Options{Issuers: []Issuer{{URL: dex.Issuer}}, Audiences: []string{"signer"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Ready(ctx); err != nil {
		t.Fatalf("Ready against Dex: %v", err)
	}
	if got := v.TokenURL(ctx, dex.Issuer); got != dex.TokenURL {
		t.Errorf("discovered token URL %q, want %q", got, dex.TokenURL)
	}
	alice := testenv.DexUsers["alice"]
	raw := dex.PasswordToken(t, "alice", alice.Password, "signer", "openid profile email groups")
	if h := dexJWTHeader(t, raw); h["alg"] != "RS256" || h["kid"] == "" {
		t.Errorf("Dex token header %v", h)
	}
	p, err := v.Verify(ctx, raw)
	if err != nil {
		t.Fatalf("Dex password-grant token refused: %v", err)
	}
	// Dex's sub is an opaque encoding of the user id and the connector.
	if p.Issuer != dex.Issuer || p.Subject == "" || p.Subject == alice.UserID || p.Token != raw {
		t.Errorf("principal %+v", p)
	}
	if p.Claims["email"] != alice.Email || p.Claims["name"] != alice.Name || !slices.Equal(dexGroups(p.Claims), alice.Groups) {
		t.Errorf("claims %v", p.Claims)
	}
	if time.Until(p.Expiry) < 9*time.Minute || time.Until(p.Expiry) > 11*time.Minute {
		t.Errorf("expiry %v, want Dex's 10 min", p.Expiry)
	}
	// The same user's token for the client sts has aud sts.
	_, err = v.Verify(ctx, dex.PasswordToken(t, "alice", alice.Password, "sts", "openid"))
	var ae *Error
	if !errors.As(err, &ae) || ae.Unavailable || ae.Reason != "wrong audience" {
		t.Errorf("token for client sts: %v, want wrong audience", err)
	}
	// Dex refuses a wrong password (no token at all).
	if status, out := dex.TokenRequest(t, "signer", url.Values{"grant_type": {"password"}, "username": {alice.Email},
		"password": {"wrong"}, "scope": {"openid"}}); status != 401 || out["error"] != "access_denied" {
		t.Errorf("wrong password: %d %v", status, out)
	}
}

// TestDexOwnKeyRotation: Dex's local signer rotates on its own schedule (due
// every second here, checked by Dex every 30 s). The verifier, which cached
// the JWKS with the first key, accepts a token signed with the new key (a
// token with an unknown kid makes go-oidc fetch the JWKS again), and still
// accepts the token signed before the rotation: Dex keeps the demoted key in
// the JWKS for as long as its ID tokens live.
func TestDexOwnKeyRotation(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: waits for Dex to rotate its key (it checks every 30 s; up to 50 s)")
	}
	t.Parallel()
	dex := testenv.StartDex(t, testenv.DexOptions{KeysRotationPeriod: time.Second, IDTokenExpiry: 10 * time.Minute})
	ctx := dexCtx(t, 90*time.Second) // Dex checks its rotation schedule every 30 s
	v, err := NewVerifier(Options{Issuers: []Issuer{{URL: dex.Issuer}}, Audiences: []string{"signer"}})
	if err != nil {
		t.Fatal(err)
	}
	pw := testenv.DexUsers["alice"].Password
	before := dex.PasswordToken(t, "alice", pw, "signer", "openid")
	kid1 := dexJWTHeader(t, before)["kid"]
	if _, err := v.Verify(ctx, before); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(50 * time.Second)
	for len(dex.Keys(t).Keys) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("Dex did not rotate its key within 50 s; JWKS %v", dex.Keys(t).Keys)
		}
		time.Sleep(500 * time.Millisecond)
	}
	after := dex.PasswordToken(t, "alice", pw, "signer", "openid")
	kid2 := dexJWTHeader(t, after)["kid"]
	if kid2 == kid1 {
		t.Fatalf("Dex still signs with %v after rotating", kid1)
	}
	var kids []any
	for _, k := range dex.Keys(t).Keys {
		kids = append(kids, k.KeyID)
	}
	if !slices.Contains(kids, kid1) || !slices.Contains(kids, kid2) {
		t.Fatalf("JWKS kids %v, want the old %v and the new %v", kids, kid1, kid2)
	}
	if _, err := v.Verify(ctx, after); err != nil {
		t.Fatalf("token signed with the rotated-in key %v: %v", kid2, err)
	}
	if _, err := v.Verify(ctx, before); err != nil {
		t.Fatalf("token signed before the rotation (key %v still published): %v", kid1, err)
	}
}

// TestDexTokenExchange: RFC 8693 token exchange Dex's way. The exchanger
// authenticates as the target client sts, sends connector_id=self and an ID
// token as subject; Dex ignores the requested audience and issues an ID
// token for sts with a new sub and the groups. The result is cached per
// caller token; Dex's refusals come back as ExchangeErrors.
func TestDexTokenExchange(t *testing.T) {
	dex := testenv.StartDex(t, testenv.DexOptions{})
	ctx := dexCtx(t, 30*time.Second)
	v, err := NewVerifier(Options{Issuers: []Issuer{{URL: dex.Issuer}}, Audiences: []string{"signer"}})
	if err != nil {
		t.Fatal(err)
	}
	opts := ExchangeOptions{TokenURL: v.TokenURL(ctx, dex.Issuer), ClientID: "sts", ClientSecret: testenv.DexClients["sts"],
		Audience: "storage", Scope: "openid groups", SubjectTokenType: TokenTypeID,
		Extra: url.Values{"connector_id": {testenv.DexConnectorSelf}}}
	ex, err := NewExchanger(opts)
	if err != nil {
		t.Fatal(err)
	}
	login := func(user, scope string) *Principal {
		t.Helper()
		// Dex's self connector needs a name claim in the subject token: scope profile.
		p, err := v.Verify(ctx, dex.PasswordToken(t, user, testenv.DexUsers[user].Password, "signer", scope))
		if err != nil {
			t.Fatalf("%s: %v", user, err)
		}
		return p
	}
	alice := login("alice", "openid profile groups")
	exchanged, err := ex.Exchange(ctx, alice)
	if err != nil {
		t.Fatalf("exchange at Dex: %v\n%s", err, dex.Logs())
	}

	// The exchanged token is a Dex ID token for sts, checked here with
	// go-oidc on its own (client id check on).
	provider, err := oidc.NewProvider(ctx, dex.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	idt, err := provider.Verifier(&oidc.Config{ClientID: "sts"}).Verify(ctx, exchanged)
	if err != nil {
		t.Fatalf("exchanged token does not verify for audience sts: %v", err)
	}
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(idt.Audience, []string{"sts"}) {
		t.Errorf("exchanged aud %v: want [sts] (Dex ignores the audience parameter)", idt.Audience)
	}
	if idt.Issuer != dex.Issuer || idt.Subject == "" || idt.Subject == alice.Subject {
		t.Errorf("exchanged iss %q sub %q (caller's sub %q): Dex re-encodes the sub with connector self", idt.Issuer, idt.Subject, alice.Subject)
	}
	if want := testenv.DexUsers["alice"].Groups; !slices.Equal(dexGroups(claims), want) {
		t.Errorf("exchanged groups %v, want %v", claims["groups"], want)
	}
	if time.Until(idt.Expiry) < 9*time.Minute {
		t.Errorf("exchanged token expires at %v", idt.Expiry)
	}
	// Our verifier: accepted for audience sts, refused by the signer's own.
	vsts, err := NewVerifier(Options{Issuers: []Issuer{{URL: dex.Issuer}}, Audiences: []string{"sts"}})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := vsts.Verify(ctx, exchanged); err != nil || p.Subject != idt.Subject {
		t.Errorf("exchanged token for audience sts: %+v %v", p, err)
	}
	var ae *Error
	if _, err := v.Verify(ctx, exchanged); !errors.As(err, &ae) || ae.Reason != "wrong audience" {
		t.Errorf("exchanged token at the signer's verifier: %v, want wrong audience", err)
	}

	// Cached: the same caller token is exchanged once.
	again, err := ex.Exchange(ctx, alice)
	if err != nil || again != exchanged || ex.Calls() != 1 {
		t.Fatalf("second exchange of one token: same=%v, %d calls, %v", again == exchanged, ex.Calls(), err)
	}
	// A new login of alice is a new exchange, mapped to the same sub; bob's differs.
	other, err := ex.Exchange(ctx, login("alice", "openid profile"))
	if err != nil || ex.Calls() != 2 {
		t.Fatalf("alice's second token: %d calls, %v", ex.Calls(), err)
	}
	if p, err := vsts.Verify(ctx, other); err != nil || p.Subject != idt.Subject {
		t.Errorf("alice's second exchange: %+v %v, want sub %q", p, err, idt.Subject)
	}
	bobs, err := ex.Exchange(ctx, login("bob", "openid profile groups"))
	if err != nil {
		t.Fatal(err)
	}
	if p, err := vsts.Verify(ctx, bobs); err != nil || p.Subject == idt.Subject || !slices.Equal(dexGroups(p.Claims), testenv.DexUsers["bob"].Groups) {
		t.Errorf("bob's exchange: %+v %v", p, err)
	}

	// Dex's refusals.
	var xe *ExchangeError
	_, err = ex.Exchange(ctx, login("alice", "openid")) // no name claim
	if !errors.As(err, &xe) || xe.Status != 401 || xe.Code != "access_denied" {
		t.Errorf("subject token without a name claim: %v, want 401 access_denied", err)
	}
	noConnector := opts
	noConnector.Extra = nil
	ex2, _ := NewExchanger(noConnector)
	_, err = ex2.Exchange(ctx, alice)
	if !errors.As(err, &xe) || xe.Status != 400 || xe.Code != "invalid_request" {
		t.Errorf("exchange without connector_id: %v, want 400 invalid_request", err)
	}
	accessType := opts
	accessType.SubjectTokenType = "" // the default, access_token: Dex's oidc connector needs getUserInfo for it
	ex3, _ := NewExchanger(accessType)
	_, err = ex3.Exchange(ctx, alice)
	if !errors.As(err, &xe) || xe.Status != 401 || xe.Code != "access_denied" {
		t.Errorf("exchange of an access_token-typed subject: %v, want 401 access_denied", err)
	}
	wrongSecret := opts
	wrongSecret.ClientSecret = "nope"
	ex4, _ := NewExchanger(wrongSecret)
	_, err = ex4.Exchange(ctx, alice)
	if !errors.As(err, &xe) || xe.Status != 401 || xe.Code != "invalid_client" {
		t.Errorf("exchange with a wrong client secret: %v, want 401 invalid_client", err)
	}
}
