package auth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"gitlab.com/eocat/eocat/internal/expcache"
)

// DefaultAlgorithms are the accepted signature algorithms: asymmetric only.
var DefaultAlgorithms = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// MaxTokenSize bounds a bearer token.
const MaxTokenSize = 16 << 10

// Issuer is a trusted OpenID Provider.
type Issuer struct {
	// URL is the issuer identifier, exactly as in the tokens' iss claim.
	URL string
	// Audiences accepted from this issuer; empty: Options.Audiences.
	Audiences []string
	// JWKSURL skips discovery and reads keys from this URL.
	JWKSURL string
}

// Options configure a Verifier.
type Options struct {
	Issuers    []Issuer
	Audiences  []string      // accepted aud values (a token needs one of them)
	Algorithms []string      // default DefaultAlgorithms
	Leeway     time.Duration // clock skew tolerated on exp; default 30 s
	HTTPClient *http.Client  // discovery and JWKS; default 10 s timeout
	Now        func() time.Time
	// VerifiedTTL is how long a verified token is remembered, so that a
	// client sending the same token again skips the signature check (never
	// beyond the token's own expiry). Default 30 s; negative: off. A key
	// the IdP withdraws thus stops being trusted at most this long after
	// the signer notices (see keySet).
	VerifiedTTL time.Duration
}

// Principal is an authenticated caller.
type Principal struct {
	Issuer  string
	Subject string
	Expiry  time.Time
	Claims  map[string]any
	// Token is the raw bearer token (for STS and token exchange); never log it.
	Token string
	// APIKey is the access key (public id) when the caller used an API key
	// instead of a token.
	APIKey string
}

// Error is a verification failure. Unavailable marks IdP trouble
// (discovery or keys unreachable) as opposed to a bad token.
type Error struct {
	Reason      string
	Unavailable bool
	Err         error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Reason + ": " + e.Err.Error()
	}
	return e.Reason
}

func (e *Error) Unwrap() error { return e.Err }

func invalid(reason string, err error) *Error { return &Error{Reason: reason, Err: err} }

// Verifier checks bearer tokens against the trusted issuers.
type Verifier struct {
	opts     Options
	issuers  map[string]*issuer
	verified expcache.Cache[*Principal] // by raw token
}

type issuer struct {
	cfg       Issuer
	audiences []string
	mu        sync.Mutex
	verifier  *oidc.IDTokenVerifier
	keys      *keySet
	tokenURL  string // from discovery
}

// NewVerifier returns a verifier; discovery happens on first use (and is
// retried on later requests), so the signer starts while an IdP is down.
func NewVerifier(opts Options) (*Verifier, error) {
	if len(opts.Issuers) == 0 {
		return nil, errors.New("auth: no trusted issuer configured")
	}
	if len(opts.Algorithms) == 0 {
		opts.Algorithms = DefaultAlgorithms
	}
	for _, a := range opts.Algorithms {
		if a == "none" || strings.HasPrefix(a, "HS") {
			return nil, fmt.Errorf("auth: algorithm %q is not allowed (asymmetric algorithms only)", a)
		}
	}
	if opts.Leeway == 0 {
		opts.Leeway = 30 * time.Second
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.VerifiedTTL == 0 {
		opts.VerifiedTTL = 30 * time.Second
	}
	v := &Verifier{opts: opts, issuers: map[string]*issuer{}, verified: expcache.Cache[*Principal]{Now: opts.Now}}
	for _, is := range opts.Issuers {
		aud := is.Audiences
		if len(aud) == 0 {
			aud = opts.Audiences
		}
		if len(aud) == 0 {
			return nil, fmt.Errorf("auth: issuer %s: no audience configured (deny by default)", is.URL)
		}
		if _, dup := v.issuers[is.URL]; dup {
			return nil, fmt.Errorf("auth: issuer %s configured twice", is.URL)
		}
		v.issuers[is.URL] = &issuer{cfg: is, audiences: aud}
	}
	return v, nil
}

// idTokenVerifier returns the issuer's go-oidc verifier, discovering it on
// first use.
func (v *Verifier) idTokenVerifier(ctx context.Context, is *issuer) (*oidc.IDTokenVerifier, error) {
	is.mu.Lock()
	defer is.mu.Unlock()
	if is.verifier != nil {
		return is.verifier, nil
	}
	cfg := &oidc.Config{
		SkipClientIDCheck:    true, // several audiences: checked in Verify
		SupportedSigningAlgs: v.opts.Algorithms,
		Now:                  func() time.Time { return v.opts.Now().Add(-v.opts.Leeway) },
	}
	if is.cfg.JWKSURL != "" {
		is.keys = newKeySet(is.cfg.JWKSURL, v.opts.HTTPClient, v.opts.Algorithms, v.opts.Now)
		is.verifier = oidc.NewVerifier(is.cfg.URL, is.keys, cfg)
		return is.verifier, nil
	}
	dctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, v.opts.HTTPClient), 10*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(dctx, is.cfg.URL)
	if err != nil {
		return nil, &Error{Reason: "identity provider unavailable", Unavailable: true, Err: err}
	}
	var meta struct {
		JWKSURL string `json:"jwks_uri"`
	}
	if err := p.Claims(&meta); err != nil || meta.JWKSURL == "" {
		return nil, &Error{Reason: "identity provider discovery has no jwks_uri", Unavailable: true, Err: err}
	}
	is.keys = newKeySet(meta.JWKSURL, v.opts.HTTPClient, v.opts.Algorithms, v.opts.Now)
	is.verifier = oidc.NewVerifier(is.cfg.URL, is.keys, cfg)
	is.tokenURL = p.Endpoint().TokenURL
	return is.verifier, nil
}

// Trusts reports whether issuerURL is one of the trusted issuers (API keys
// created through an issuer stop working when it is removed).
func (v *Verifier) Trusts(issuerURL string) bool {
	_, ok := v.issuers[issuerURL]
	return ok
}

// TokenURL returns the token endpoint that issuerURL's discovery document
// names ("" when it cannot be discovered now, or the issuer is unknown).
func (v *Verifier) TokenURL(ctx context.Context, issuerURL string) string {
	is := v.issuers[issuerURL]
	if is == nil {
		return ""
	}
	if _, err := v.idTokenVerifier(ctx, is); err != nil {
		return ""
	}
	is.mu.Lock()
	defer is.mu.Unlock()
	return is.tokenURL
}

// Ready checks that every issuer's discovery document can be fetched.
func (v *Verifier) Ready(ctx context.Context) error {
	var errs []error
	for url, is := range v.issuers {
		if _, err := v.idTokenVerifier(ctx, is); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", url, err))
		}
	}
	return errors.Join(errs...)
}

// unverifiedIssuer reads the iss claim to pick the verifier; the signature
// is checked by that verifier.
func unverifiedIssuer(raw string) (string, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return "", errors.New("not a signed JWT (want header.payload.signature)")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", errors.New("payload is not base64url")
	}
	var c struct {
		Iss string `json:"iss"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return "", errors.New("payload is not a JSON object")
	}
	if c.Iss == "" {
		return "", errors.New("no iss claim")
	}
	return c.Iss, nil
}

// Verify checks a raw bearer token and returns the caller. The Principal
// may be shared with other requests bearing the same token: read-only.
func (v *Verifier) Verify(ctx context.Context, raw string) (*Principal, error) {
	if raw == "" {
		return nil, invalid("missing bearer token", nil)
	}
	if len(raw) > MaxTokenSize {
		return nil, invalid(fmt.Sprintf("token larger than %d bytes", MaxTokenSize), nil)
	}
	if v.opts.VerifiedTTL < 0 {
		return v.verify(ctx, raw)
	}
	// Only successes are remembered; concurrent first uses of a token
	// share one verification. Keyed by digest: tokens are up to 16 KiB.
	sum := sha256.Sum256([]byte(raw))
	return v.verified.Get(ctx, string(sum[:]), func(ctx context.Context) (*Principal, time.Time, error) {
		p, err := v.verify(ctx, raw)
		if err != nil {
			return nil, time.Time{}, err
		}
		// Verify accepts a token until exp + leeway: never remember it longer.
		return p, minTime(v.opts.Now().Add(v.opts.VerifiedTTL), p.Expiry.Add(v.opts.Leeway)), nil
	})
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// verify is Verify without the cache of verified tokens.
func (v *Verifier) verify(ctx context.Context, raw string) (*Principal, error) {
	iss, err := unverifiedIssuer(raw)
	if err != nil {
		return nil, invalid("malformed token", err)
	}
	is := v.issuers[iss]
	if is == nil {
		return nil, invalid("untrusted issuer", fmt.Errorf("%q is not a trusted issuer", iss))
	}
	verifier, err := v.idTokenVerifier(ctx, is)
	if err != nil {
		return nil, err
	}
	var keyTrouble atomic.Bool // set by keySet when it could not get keys
	tok, err := verifier.Verify(context.WithValue(ctx, ctxKeyTrouble{}, &keyTrouble), raw)
	if err != nil {
		var exp *oidc.TokenExpiredError
		switch {
		case errors.As(err, &exp):
			return nil, invalid("token expired", err)
		case keyTrouble.Load():
			return nil, &Error{Reason: "identity provider keys unavailable", Unavailable: true, Err: err}
		}
		return nil, invalid("token rejected", err)
	}
	if !slices.ContainsFunc(tok.Audience, func(a string) bool { return slices.Contains(is.audiences, a) }) {
		return nil, invalid("wrong audience", fmt.Errorf("token audience %q, want one of %q", tok.Audience, is.audiences))
	}
	if tok.Subject == "" {
		return nil, invalid("token has no sub claim", nil)
	}
	claims := map[string]any{}
	if err := tok.Claims(&claims); err != nil {
		return nil, invalid("claims", err)
	}
	return &Principal{Issuer: tok.Issuer, Subject: tok.Subject, Expiry: tok.Expiry, Claims: claims, Token: raw}, nil
}
