package auth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"gitlab.com/eocat/eocat/internal/expcache"
)

// Token type URNs (RFC 8693 §3).
const (
	TokenTypeAccess = "urn:ietf:params:oauth:token-type:access_token" //nolint:gosec // G101: a token type's name, not a credential
	TokenTypeID     = "urn:ietf:params:oauth:token-type:id_token"     //nolint:gosec // G101: as above
	grantExchange   = "urn:ietf:params:oauth:grant-type:token-exchange"
)

// ExchangeOptions configure RFC 8693 token exchange at the IdP.
type ExchangeOptions struct {
	TokenURL     string
	ClientID     string // client authentication (HTTP Basic)
	ClientSecret string
	Audience     string // the audience the storage trusts
	Scope        string
	// SubjectTokenType of the caller's token; default access_token.
	SubjectTokenType string
	// RequestedTokenType; default id_token (what STS web identity wants).
	RequestedTokenType string
	// Extra form parameters for provider quirks (Dex: connector_id).
	Extra      url.Values
	HTTPClient *http.Client // default: 10 s timeout
	MaxCached  int          // default 10,000
	Now        func() time.Time
}

// ExchangeError is a refusal or failure of the IdP's token endpoint.
type ExchangeError struct {
	Status int    // HTTP status from the IdP; 0 when it could not be reached
	Code   string // OAuth error code
	Detail string
}

func (e *ExchangeError) Error() string {
	return fmt.Sprintf("token exchange: status %d: %s %s", e.Status, e.Code, e.Detail)
}

// Exchanger performs RFC 8693 exchanges and caches their results until
// shortly before they expire; concurrent exchanges of one token make one call.
type Exchanger struct {
	opts  ExchangeOptions
	cache expcache.Cache[string]
	calls atomic.Int64
}

// NewExchanger checks the options and returns an exchanger.
func NewExchanger(o ExchangeOptions) (*Exchanger, error) {
	u, err := url.Parse(o.TokenURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("token exchange: token URL %q is not an absolute http(s) URL", o.TokenURL)
	}
	if o.ClientID == "" {
		return nil, fmt.Errorf("token exchange: a client id is required (client authentication)")
	}
	if o.SubjectTokenType == "" {
		o.SubjectTokenType = TokenTypeAccess
	}
	if o.RequestedTokenType == "" {
		o.RequestedTokenType = TokenTypeID
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	e := &Exchanger{opts: o}
	e.cache = expcache.Cache[string]{Margin: 30 * time.Second, Max: o.MaxCached, Timeout: 15 * time.Second, Now: o.Now}
	return e, nil
}

// Calls counts exchanges made at the IdP.
func (e *Exchanger) Calls() int64 { return e.calls.Load() }

// Exchange returns a token for the configured audience in place of the
// caller's.
func (e *Exchanger) Exchange(ctx context.Context, p *Principal) (string, error) {
	key := sha256.Sum256([]byte(p.Token)) // tokens are never kept as keys
	return e.cache.Get(ctx, string(key[:]), func(ctx context.Context) (string, time.Time, error) {
		return e.exchange(ctx, p)
	})
}

func (e *Exchanger) exchange(ctx context.Context, p *Principal) (string, time.Time, error) {
	form := url.Values{
		"grant_type":           {grantExchange},
		"subject_token":        {p.Token},
		"subject_token_type":   {e.opts.SubjectTokenType},
		"requested_token_type": {e.opts.RequestedTokenType},
	}
	if e.opts.Audience != "" {
		form.Set("audience", e.opts.Audience)
	}
	if e.opts.Scope != "" {
		form.Set("scope", e.opts.Scope)
	}
	for k, vs := range e.opts.Extra {
		form[k] = vs
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.opts.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", time.Time{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(url.QueryEscape(e.opts.ClientID), url.QueryEscape(e.opts.ClientSecret))
	e.calls.Add(1)
	resp, err := e.opts.HTTPClient.Do(req)
	if err != nil {
		return "", time.Time{}, &ExchangeError{Detail: err.Error()}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", time.Time{}, &ExchangeError{Status: resp.StatusCode, Detail: err.Error()}
	}
	var out struct {
		AccessToken     string `json:"access_token"`
		IssuedTokenType string `json:"issued_token_type"`
		ExpiresIn       int64  `json:"expires_in"`
		Error           string `json:"error"`
		ErrorDesc       string `json:"error_description"`
	}
	_ = json.Unmarshal(body, &out)
	if resp.StatusCode != http.StatusOK || out.AccessToken == "" {
		return "", time.Time{}, &ExchangeError{Status: resp.StatusCode, Code: out.Error, Detail: out.ErrorDesc}
	}
	expires := p.Expiry
	if out.ExpiresIn > 0 {
		expires = e.opts.Now().Add(time.Duration(out.ExpiresIn) * time.Second)
	} else if exp, ok := jwtExpiry(out.AccessToken); ok {
		// expires_in is only RECOMMENDED (RFC 8693 §2.2.1); zitadel omits
		// it for ID tokens. The issued token's own exp is then the expiry,
		// not the caller's (which may be much later).
		expires = exp
	}
	return out.AccessToken, expires, nil
}

// jwtExpiry reads the exp claim of a JWT without verifying it (the storage
// does); ok is false for an opaque token or one without exp.
func jwtExpiry(tok string) (time.Time, bool) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return time.Time{}, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}, false
	}
	var c struct {
		Exp float64 `json:"exp"`
	}
	if json.Unmarshal(raw, &c) != nil || c.Exp <= 0 {
		return time.Time{}, false
	}
	return time.Unix(int64(c.Exp), 0), true
}
