package auth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
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

// DefaultLeeway is Options.Leeway unless set: the clock skew tolerated on
// the time claims.
const DefaultLeeway = 30 * time.Second

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
	Audiences  []string // accepted aud values (a token needs one of them)
	Algorithms []string // default DefaultAlgorithms
	// Leeway is the clock skew tolerated on the time claims: a token is
	// refused once now > exp + Leeway, while now < nbf - Leeway, and when
	// iat > now + Leeway (issued in the future). Default DefaultLeeway;
	// negative: none.
	Leeway     time.Duration
	HTTPClient *http.Client // discovery and JWKS; default 10 s timeout
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

// Discovery policy. The discovery document is fetched on first use, and
// again (in the background, verification going on) once it is older than
// discoveryMaxAge, so that values derived from it (the token endpoint shown
// to DINAMIS clients, jwks_uri) follow the IdP. While an IdP that was never
// reached stays down, requests do not each wait for it: a failed discovery is
// not retried before discoveryRetryAfterFailure.
const (
	discoveryMaxAge            = 5 * time.Minute
	discoveryRetryAfterFailure = 2 * time.Second
	discoveryTimeout           = 10 * time.Second
)

type issuer struct {
	cfg       Issuer
	audiences []string

	mu         sync.Mutex
	verifier   *oidc.IDTokenVerifier
	keys       *keySet
	tokenURL   string        // from discovery
	discovered time.Time     // last successful discovery
	failed     time.Time     // last failed discovery
	lastErr    error         // of that discovery
	inflight   chan struct{} // closed when the running discovery ends
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
	switch {
	case opts.Leeway == 0:
		opts.Leeway = DefaultLeeway
	case opts.Leeway < 0:
		opts.Leeway = 0
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

// oidcConfig is the go-oidc configuration of every issuer: go-oidc checks
// the signature, the issuer and the algorithm; the audience and the time
// claims are checked by verify (go-oidc's own nbf check has a fixed
// 5-minute leeway, and it does not look at iat).
func (v *Verifier) oidcConfig() *oidc.Config {
	return &oidc.Config{
		SkipClientIDCheck:    true, // several audiences: checked in verify
		SkipExpiryCheck:      true, // exp, nbf, iat: checked in verify
		SupportedSigningAlgs: v.opts.Algorithms,
	}
}

// idTokenVerifier returns the issuer's go-oidc verifier, discovering it on
// first use, and starts a background refresh of an old discovery.
func (v *Verifier) idTokenVerifier(ctx context.Context, is *issuer) (*oidc.IDTokenVerifier, error) {
	now := v.opts.Now()
	is.mu.Lock()
	if is.verifier == nil && is.cfg.JWKSURL != "" {
		is.keys = newKeySet(is.cfg.JWKSURL, v.opts.HTTPClient, v.opts.Algorithms, v.opts.Now)
		is.verifier = oidc.NewVerifier(is.cfg.URL, is.keys, v.oidcConfig())
	}
	if vf := is.verifier; vf != nil {
		stale := is.cfg.JWKSURL == "" && now.Sub(is.discovered) > discoveryMaxAge &&
			is.inflight == nil && now.Sub(is.failed) >= discoveryRetryAfterFailure
		is.mu.Unlock()
		if stale {
			go func() { _ = v.discover(context.Background(), is) }() //nolint:gosec // G118: a background refresh that outlives the request that noticed the stale discovery
		}
		return vf, nil
	}
	if now.Sub(is.failed) < discoveryRetryAfterFailure && is.lastErr != nil {
		err := is.lastErr
		is.mu.Unlock()
		return nil, &Error{Reason: "identity provider unavailable", Unavailable: true, Err: err}
	}
	is.mu.Unlock()
	if err := v.discover(ctx, is); err != nil {
		return nil, &Error{Reason: "identity provider unavailable", Unavailable: true, Err: err}
	}
	is.mu.Lock()
	defer is.mu.Unlock()
	return is.verifier, nil
}

// discover fetches the issuer's discovery document (one fetch at a time;
// callers arriving meanwhile share its result) and applies it: the token
// endpoint, and jwks_uri for the key set (made on the first success, pointed
// at a new jwks_uri afterwards).
func (v *Verifier) discover(ctx context.Context, is *issuer) error {
	is.mu.Lock()
	if ch := is.inflight; ch != nil {
		is.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("discovery: %w", ctx.Err())
		}
		is.mu.Lock()
		defer is.mu.Unlock()
		if is.verifier == nil || is.failed.After(is.discovered) {
			if is.lastErr == nil {
				return errors.New("discovery failed")
			}
			return is.lastErr
		}
		return nil
	}
	ch := make(chan struct{})
	is.inflight = ch
	is.mu.Unlock()

	tokenURL, jwksURL, err := v.fetchDiscovery(ctx, is.cfg.URL)

	is.mu.Lock()
	defer is.mu.Unlock()
	close(ch)
	is.inflight = nil
	if err != nil {
		is.failed, is.lastErr = v.opts.Now(), err
		return err
	}
	is.discovered, is.lastErr, is.tokenURL = v.opts.Now(), nil, tokenURL
	if is.keys == nil {
		is.keys = newKeySet(jwksURL, v.opts.HTTPClient, v.opts.Algorithms, v.opts.Now)
		is.verifier = oidc.NewVerifier(is.cfg.URL, is.keys, v.oidcConfig())
	} else {
		is.keys.setURL(jwksURL)
	}
	return nil
}

// fetchDiscovery reads an issuer's discovery document (go-oidc checks that
// it names the issuer exactly).
func (v *Verifier) fetchDiscovery(ctx context.Context, issuerURL string) (tokenURL, jwksURL string, err error) {
	dctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, v.opts.HTTPClient), discoveryTimeout)
	defer cancel()
	p, err := oidc.NewProvider(dctx, issuerURL)
	if err != nil {
		return "", "", err
	}
	var meta struct {
		JWKSURL string `json:"jwks_uri"`
	}
	if err := p.Claims(&meta); err != nil {
		return "", "", fmt.Errorf("discovery document: %w", err)
	}
	if meta.JWKSURL == "" {
		return "", "", errors.New("discovery document has no jwks_uri")
	}
	return p.Endpoint().TokenURL, meta.JWKSURL, nil
}

// Trusts reports whether issuerURL is one of the trusted issuers (API keys
// created through an issuer stop working when it is removed).
func (v *Verifier) Trusts(issuerURL string) bool {
	_, ok := v.issuers[issuerURL]
	return ok
}

// TokenURL returns the token endpoint that issuerURL's discovery document
// names: the last one discovered (refreshed in the background when older
// than a few minutes), or, when discovery never succeeded, the result of
// trying now (at most every 2 s). "" when it cannot be discovered now, or
// the issuer is unknown: a later call tries again.
func (v *Verifier) TokenURL(ctx context.Context, issuerURL string) string {
	is := v.issuers[issuerURL]
	if is == nil || is.cfg.JWKSURL != "" {
		return ""
	}
	if _, err := v.idTokenVerifier(ctx, is); err != nil {
		return ""
	}
	is.mu.Lock()
	defer is.mu.Unlock()
	return is.tokenURL
}

// Ready checks, now, that every issuer can be used: its discovery document
// is served (which also refreshes what the signer derived from it) and its
// key set is served with at least one signing key. It makes the requests
// every time (callers cache the answer).
func (v *Verifier) Ready(ctx context.Context) error {
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	for url, is := range v.issuers {
		wg.Go(func() {
			if err := v.probe(ctx, is); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s: %w", url, err))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return errors.Join(errs...)
}

// probe fetches an issuer's discovery document (unless its keys are
// configured directly) and its key set.
func (v *Verifier) probe(ctx context.Context, is *issuer) error {
	if is.cfg.JWKSURL == "" {
		if err := v.discover(ctx, is); err != nil {
			return fmt.Errorf("discovery: %w", err)
		}
	} else if _, err := v.idTokenVerifier(ctx, is); err != nil {
		return err
	}
	is.mu.Lock()
	ks := is.keys
	is.mu.Unlock()
	if _, err := ks.download(ctx); err != nil {
		return fmt.Errorf("keys from %s: %w", ks.currentURL(), err)
	}
	return nil
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
		if keyTrouble.Load() {
			return nil, &Error{Reason: "identity provider keys unavailable", Unavailable: true, Err: err}
		}
		return nil, invalid("token rejected", err)
	}
	claims := map[string]any{}
	if err := tok.Claims(&claims); err != nil {
		return nil, invalid("claims", err)
	}
	if err := v.checkTimes(claims); err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(tok.Audience, func(a string) bool { return slices.Contains(is.audiences, a) }) {
		return nil, invalid("wrong audience", fmt.Errorf("token audience %q, want one of %q", tok.Audience, is.audiences))
	}
	if tok.Subject == "" {
		return nil, invalid("token has no sub claim", nil)
	}
	return &Principal{Issuer: tok.Issuer, Subject: tok.Subject, Expiry: tok.Expiry, Claims: claims, Token: raw}, nil
}

// checkTimes checks the time claims with the leeway: exp (required) not
// passed, nbf (optional) reached, iat (optional) not in the future.
func (v *Verifier) checkTimes(claims map[string]any) error {
	now, leeway := v.opts.Now(), v.opts.Leeway
	exp, ok, err := timeClaim(claims, "exp")
	switch {
	case err != nil:
		return invalid("token rejected", err)
	case !ok:
		return invalid("token has no exp claim", nil)
	case now.After(exp.Add(leeway)):
		return invalid("token expired", fmt.Errorf("expired at %s, now %s (leeway %v)", exp.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), leeway))
	}
	nbf, ok, err := timeClaim(claims, "nbf")
	switch {
	case err != nil:
		return invalid("token rejected", err)
	case ok && nbf.After(now.Add(leeway)):
		return invalid("token not yet valid", fmt.Errorf("nbf %s, now %s (leeway %v)", nbf.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), leeway))
	}
	iat, ok, err := timeClaim(claims, "iat")
	switch {
	case err != nil:
		return invalid("token rejected", err)
	case ok && iat.After(now.Add(leeway)):
		return invalid("token issued in the future", fmt.Errorf("iat %s, now %s (leeway %v)", iat.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), leeway))
	}
	return nil
}

// timeClaim reads a NumericDate claim (seconds since the epoch, possibly
// fractional).
func timeClaim(claims map[string]any, name string) (time.Time, bool, error) {
	raw, ok := claims[name]
	if !ok || raw == nil {
		return time.Time{}, false, nil
	}
	f, ok := raw.(float64)
	if !ok || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1e11 {
		return time.Time{}, false, fmt.Errorf("claim %s: %v is not a NumericDate", name, raw)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true, nil
}
