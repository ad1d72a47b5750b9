package testenv

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// TokenExchangeProvider is zitadel/oidc's OpenID Provider library (pkg/op)
// serving RFC 8693 token exchange in process, on loopback: discovery, JWKS
// (/keys) and the token endpoint (/oauth/token) are zitadel's own code; the
// storage behind them (clients, users, token lifetimes, which claims an
// exchanged token carries) is ours, below.
//
// The exchange follows the RFC: the requested audience becomes the new
// token's aud, sub is kept, and the subject token's non-registered claims
// (groups, preferred_username, project, …) are carried over. With
// requested_token_type access_token the result is a JWT access token whose
// aud is exactly the requested audience and the response has expires_in;
// with id_token zitadel appends the client id to aud (OIDC Core) and sends
// no expires_in (the token's exp claim is the only expiry).
//
// zitadel's example storage (github.com/zitadel/oidc/v3/example/server/storage)
// implements op.TokenExchangeStorage and can be imported, but does not fit:
// an exchange without actor token requires an IsAdmin user, users have a
// fixed set of fields (no custom claims), access tokens live 5 min and ID
// tokens 1 h (hard-coded), and its signing key is private, so subject
// tokens could only be obtained through its login UI.
type TokenExchangeProvider struct {
	URL          string // the issuer, http://127.0.0.1:PORT (no trailing slash)
	TokenURL     string // the token endpoint, as discovery names it
	ClientID     string // a client allowed to exchange tokens
	ClientSecret string // its secret (contains characters that need form-encoding)

	opts     TokenExchangeProviderOptions
	key      *rsa.PrivateKey
	kid      string
	tokenReq atomic.Int64
	accepted atomic.Int64

	mu      sync.Mutex
	users   map[string]map[string]any
	clients map[string]*zitadelClient
}

// TokenExchangeProviderOptions configure StartTokenExchangeProvider.
type TokenExchangeProviderOptions struct {
	// ClientID and ClientSecret of the exchanging client; default "signer"
	// and a secret with ':', ' ', '+', '&' and '%' in it.
	ClientID, ClientSecret string
	// Audiences the client may request; default ["storage"]. Any other
	// audience is refused with invalid_target.
	Audiences []string
	// Lifetime of exchanged tokens (access and ID tokens); default 5 min.
	Lifetime time.Duration
	// SubjectLifetime of tokens minted by SubjectToken; default 1 h.
	SubjectLifetime time.Duration
}

// zitadelRegistered are the claims an exchange never copies from the
// subject token: the new token gets its own.
var zitadelRegistered = []string{"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "azp", "client_id",
	"auth_time", "nonce", "acr", "amr", "at_hash", "c_hash", "act", "may_act", "scope", "sid"}

// StartTokenExchangeProvider serves a provider until the test ends. It knows
// the users alice (groups [s2-readers, staff], preferred_username
// alice@example.org, project p-alice) and bob (groups [guests], project
// p-bob); AddUser registers more.
func StartTokenExchangeProvider(t testing.TB, o TokenExchangeProviderOptions) *TokenExchangeProvider {
	t.Helper()
	if o.ClientID == "" {
		o.ClientID = "signer"
	}
	if o.ClientSecret == "" {
		o.ClientSecret = "s3cr:t +&%"
	}
	if len(o.Audiences) == 0 {
		o.Audiences = []string{"storage"}
	}
	if o.Lifetime <= 0 {
		o.Lifetime = 5 * time.Minute
	}
	if o.SubjectLifetime <= 0 {
		o.SubjectLifetime = time.Hour
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &TokenExchangeProvider{
		ClientID: o.ClientID, ClientSecret: o.ClientSecret,
		opts: o, key: key, kid: "zitadel-op-key-1",
		users: map[string]map[string]any{
			"alice": {"groups": []string{"s2-readers", "staff"}, "preferred_username": "alice@example.org", "project": "p-alice"},
			"bob":   {"groups": []string{"guests"}, "project": "p-bob"},
		},
		clients: map[string]*zitadelClient{},
	}
	p.AddClient(o.ClientID, o.ClientSecret, true)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.URL = "http://" + ln.Addr().String()
	var cryptoKey [32]byte
	if _, err := rand.Read(cryptoKey[:]); err != nil {
		t.Fatal(err)
	}
	provider, err := op.NewProvider(&op.Config{CryptoKey: cryptoKey, CryptoKeyId: "k1"}, &zitadelStorage{p: p},
		op.StaticIssuer(p.URL), op.WithAllowInsecure())
	if err != nil {
		_ = ln.Close() // unused; the Fatal says why
		t.Fatal(err)
	}
	p.TokenURL = provider.TokenEndpoint().Absolute(p.URL)
	tokenPath := provider.TokenEndpoint().Relative() // "/oauth/token"
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == tokenPath {
			p.tokenReq.Add(1)
		}
		provider.ServeHTTP(w, r)
	}))
	_ = srv.Listener.Close() // replaced by ln before any use
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return p
}

// TokenRequests counts POSTs to the token endpoint (refused ones included).
func (p *TokenExchangeProvider) TokenRequests() int64 { return p.tokenReq.Load() }

// Accepted counts exchanges that passed validation (a token is issued for each).
func (p *TokenExchangeProvider) Accepted() int64 { return p.accepted.Load() }

// AddUser registers (or replaces) a user and the claims its tokens carry.
func (p *TokenExchangeProvider) AddUser(sub string, claims map[string]any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.users[sub] = maps.Clone(claims)
}

// RemoveUser forgets a user: its tokens still verify, but exchanging them
// is refused (invalid_grant), as an IdP does for a deactivated account.
func (p *TokenExchangeProvider) RemoveUser(sub string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.users, sub)
}

// AddClient registers a confidential client (HTTP Basic authentication);
// only clients with exchange true may use token exchange.
func (p *TokenExchangeProvider) AddClient(id, secret string, exchange bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clients[id] = &zitadelClient{id: id, secret: secret, exchange: exchange, lifetime: p.opts.Lifetime}
}

// SubjectToken mints a JWT access token for a registered user, as the
// provider would issue it at login: signed with the provider's key (so the
// token endpoint accepts it as subject_token and go-oidc verifies it through
// discovery), aud as given, the user's claims, valid SubjectLifetime; extra
// claims are merged in (a nil value removes a claim).
func (p *TokenExchangeProvider) SubjectToken(t testing.TB, sub, aud string, extra map[string]any) string {
	t.Helper()
	p.mu.Lock()
	user, ok := p.users[sub]
	claims := maps.Clone(user)
	p.mu.Unlock()
	if !ok {
		t.Fatalf("zitadel op: no user %q", sub)
	}
	now := time.Now()
	var jti [8]byte
	_, _ = rand.Read(jti[:])
	maps.Copy(claims, map[string]any{"iss": p.URL, "sub": sub, "aud": aud, "iat": now.Unix(), "nbf": now.Unix(),
		"exp": now.Add(p.opts.SubjectLifetime).Unix(), "jti": fmt.Sprintf("%x", jti), "client_id": aud})
	mergeClaims(claims, extra)
	raw, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: p.key, KeyID: p.kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(raw)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// zitadelClient is an op.Client: confidential, HTTP Basic, no redirects.
type zitadelClient struct {
	id, secret string
	exchange   bool
	lifetime   time.Duration
}

func (c *zitadelClient) GetID() string                       { return c.id }
func (c *zitadelClient) RedirectURIs() []string              { return nil }
func (c *zitadelClient) PostLogoutRedirectURIs() []string    { return nil }
func (c *zitadelClient) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }
func (c *zitadelClient) AuthMethod() oidc.AuthMethod         { return oidc.AuthMethodBasic }
func (c *zitadelClient) ResponseTypes() []oidc.ResponseType  { return nil }
func (c *zitadelClient) GrantTypes() []oidc.GrantType {
	if c.exchange {
		return []oidc.GrantType{oidc.GrantTypeTokenExchange}
	}
	return nil
}
func (c *zitadelClient) LoginURL(string) string               { return "" }
func (c *zitadelClient) AccessTokenType() op.AccessTokenType  { return op.AccessTokenTypeJWT }
func (c *zitadelClient) IDTokenLifetime() time.Duration       { return c.lifetime }
func (c *zitadelClient) DevMode() bool                        { return false }
func (c *zitadelClient) IsScopeAllowed(string) bool           { return true }
func (c *zitadelClient) IDTokenUserinfoClaimsAssertion() bool { return false }
func (c *zitadelClient) ClockSkew() time.Duration             { return 0 }
func (c *zitadelClient) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *zitadelClient) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// zitadelKey is both the op.SigningKey and the published op.Key.
type zitadelKey struct {
	id  string
	key any
}

func (k zitadelKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k zitadelKey) Algorithm() jose.SignatureAlgorithm          { return jose.RS256 }
func (k zitadelKey) Use() string                                 { return "sig" }
func (k zitadelKey) Key() any                                    { return k.key }
func (k zitadelKey) ID() string                                  { return k.id }

// zitadelStorage is the op.Storage and op.TokenExchangeStorage behind the
// provider. Only token exchange is served; every other flow is refused.
type zitadelStorage struct{ p *TokenExchangeProvider }

var (
	_ op.Storage              = (*zitadelStorage)(nil)
	_ op.TokenExchangeStorage = (*zitadelStorage)(nil)
)

func errZitadelUnsupported() *oidc.Error {
	return oidc.ErrRequestNotSupported().WithDescription("only token exchange is served by this test provider")
}

func (s *zitadelStorage) client(id string) *zitadelClient {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	return s.p.clients[id]
}

func (s *zitadelStorage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	if c := s.client(id); c != nil {
		return c, nil
	}
	return nil, fmt.Errorf("client %q not found", id)
}

func (s *zitadelStorage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	if c := s.client(id); c != nil && c.secret == secret {
		return nil
	}
	return errors.New("unknown client or wrong secret")
}

// ValidateTokenExchangeRequest decides whether an exchange is allowed: the
// client must be allowed to exchange, the subject must be a known user, every
// requested audience must be allowed, and only access or ID tokens are issued
// (access token when none is asked for).
func (s *zitadelStorage) ValidateTokenExchangeRequest(_ context.Context, r op.TokenExchangeRequest) error {
	if c := s.client(r.GetClientID()); c == nil || !c.exchange {
		return oidc.ErrUnauthorizedClient().WithDescription("client %q may not use token exchange", r.GetClientID())
	}
	if r.GetExchangeActor() != "" {
		return oidc.ErrInvalidRequest().WithDescription("actor tokens (delegation) are not supported")
	}
	s.p.mu.Lock()
	_, known := s.p.users[r.GetExchangeSubject()]
	s.p.mu.Unlock()
	if !known {
		return oidc.ErrInvalidGrant().WithDescription("subject %q is not an active user", r.GetExchangeSubject())
	}
	for _, aud := range r.GetAudience() {
		if !slices.Contains(s.p.opts.Audiences, aud) {
			return oidc.ErrInvalidTarget().WithDescription("audience %q is not allowed for client %q", aud, r.GetClientID())
		}
	}
	switch r.GetRequestedTokenType() {
	case "":
		r.SetRequestedTokenType(oidc.AccessTokenType)
	case oidc.AccessTokenType, oidc.IDTokenType:
	default:
		return oidc.ErrInvalidRequest().WithDescription("requested_token_type %s is not issued here", r.GetRequestedTokenType())
	}
	r.SetCurrentScopes(r.GetScopes())
	return nil
}

func (s *zitadelStorage) CreateTokenExchangeRequest(context.Context, op.TokenExchangeRequest) error {
	s.p.accepted.Add(1)
	return nil
}

// carried returns the subject token's claims that the new token carries.
func carried(r op.TokenExchangeRequest) map[string]any {
	out := map[string]any{}
	for k, v := range r.GetExchangeSubjectTokenClaims() {
		if !slices.Contains(zitadelRegistered, k) {
			out[k] = v
		}
	}
	return out
}

func (s *zitadelStorage) GetPrivateClaimsFromTokenExchangeRequest(_ context.Context, r op.TokenExchangeRequest) (map[string]any, error) {
	return carried(r), nil
}

func (s *zitadelStorage) SetUserinfoFromTokenExchangeRequest(_ context.Context, u *oidc.UserInfo, r op.TokenExchangeRequest) error {
	u.Subject = r.GetSubject() // IDTokenClaims.SetUserInfo copies it over the token's sub
	for k, v := range carried(r) {
		u.AppendClaims(k, v)
	}
	return nil
}

func (s *zitadelStorage) CreateAccessToken(_ context.Context, r op.TokenRequest) (string, time.Time, error) {
	if _, ok := r.(op.TokenExchangeRequest); !ok {
		return "", time.Time{}, errZitadelUnsupported()
	}
	var id [16]byte
	_, _ = rand.Read(id[:])
	return fmt.Sprintf("%x", id), time.Now().Add(s.p.opts.Lifetime), nil
}

func (s *zitadelStorage) SigningKey(context.Context) (op.SigningKey, error) {
	return zitadelKey{id: s.p.kid, key: s.p.key}, nil
}

func (s *zitadelStorage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *zitadelStorage) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{zitadelKey{id: s.p.kid, key: &s.p.key.PublicKey}}, nil
}

func (s *zitadelStorage) Health(context.Context) error { return nil }

// Flows this provider does not serve.

func (s *zitadelStorage) CreateAuthRequest(context.Context, *oidc.AuthRequest, string) (op.AuthRequest, error) {
	return nil, errZitadelUnsupported()
}
func (s *zitadelStorage) AuthRequestByID(context.Context, string) (op.AuthRequest, error) {
	return nil, errZitadelUnsupported()
}
func (s *zitadelStorage) AuthRequestByCode(context.Context, string) (op.AuthRequest, error) {
	return nil, errZitadelUnsupported()
}
func (s *zitadelStorage) SaveAuthCode(context.Context, string, string) error {
	return errZitadelUnsupported()
}
func (s *zitadelStorage) DeleteAuthRequest(context.Context, string) error {
	return errZitadelUnsupported()
}
func (s *zitadelStorage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errZitadelUnsupported()
}
func (s *zitadelStorage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, errZitadelUnsupported()
}
func (s *zitadelStorage) TerminateSession(context.Context, string, string) error {
	return errZitadelUnsupported()
}
func (s *zitadelStorage) RevokeToken(context.Context, string, string, string) *oidc.Error {
	return errZitadelUnsupported()
}
func (s *zitadelStorage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}
func (s *zitadelStorage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil // deprecated hook, must stay empty
}
func (s *zitadelStorage) SetUserinfoFromToken(context.Context, *oidc.UserInfo, string, string, string) error {
	return errZitadelUnsupported()
}
func (s *zitadelStorage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errZitadelUnsupported()
}
func (s *zitadelStorage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}
func (s *zitadelStorage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errZitadelUnsupported()
}
func (s *zitadelStorage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errZitadelUnsupported()
}
