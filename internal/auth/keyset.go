package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/time/rate"
)

// Key set refresh policy. go-oidc's RemoteKeySet fetches the JWKS again for
// every token whose key id it does not know and never drops a key the
// provider has withdrawn: anyone could make the signer hit the IdP once per
// request with made-up key ids, and a withdrawn (compromised) key would stay
// trusted until such a token came by. keySet bounds the first and ages the
// second.
const (
	// keyRefreshBurst refreshes for unknown key ids may happen back to back
	// (a rotation right after start), then one per keyRefreshEvery.
	keyRefreshBurst = 3
	keyRefreshEvery = 10 * time.Second
	// keyMismatchRefreshEvery: a token naming a known key id that the key
	// does not verify is almost always forged (a tampered payload); it may
	// also be an IdP that rotated a key under the same id. Such tokens get
	// their own, slower budget, so that forged tokens cannot use up the one
	// a real rotation (a new key id) needs.
	keyMismatchRefreshEvery = time.Minute
	// keyMaxAge: keys older than this are fetched again (in the background;
	// verification goes on with the keys it has).
	keyMaxAge = 15 * time.Minute
	// keyRetryAfterFailure: with no keys at all, a failed fetch is not
	// retried before this (every request would otherwise wait for the IdP).
	keyRetryAfterFailure = 2 * time.Second
	// keyRefreshBackoff: a failed background refresh of old keys is not
	// retried before this.
	keyRefreshBackoff = 30 * time.Second
	// keyHardMaxAge: keys that could not be refreshed for this long are no
	// longer used (fail closed: 503 until the IdP answers again).
	keyHardMaxAge = 24 * time.Hour
	maxJWKSBytes  = 1 << 20
)

// ctxKeyTrouble carries a *bool that keySet sets when it could not get keys
// (the IdP is unavailable, as opposed to the token being bad). go-oidc wraps
// key set errors with %v, so the error itself cannot say it.
type ctxKeyTrouble struct{}

func reportKeyTrouble(ctx context.Context) {
	if p, ok := ctx.Value(ctxKeyTrouble{}).(*atomic.Bool); ok {
		p.Store(true)
	}
}

// keySet verifies token signatures with an issuer's JWKS (an oidc.KeySet).
type keySet struct {
	client *http.Client
	algs   []jose.SignatureAlgorithm
	now    func() time.Time
	limit  *rate.Limiter // refreshes for unknown key ids
	// mismatch limits refreshes for known key ids whose key does not verify
	mismatch *rate.Limiter

	mu        sync.Mutex
	url       string // jwks_uri (changes when discovery names another)
	keys      []jose.JSONWebKey
	fetched   time.Time     // of keys
	failed    time.Time     // last failed fetch
	lastErr   error         // of that fetch
	inflight  chan struct{} // closed when the running fetch ends
	fetches   int
	refreshes int // fetches caused by unknown key ids
}

func newKeySet(url string, client *http.Client, algs []string, now func() time.Time) *keySet {
	ja := make([]jose.SignatureAlgorithm, len(algs))
	for i, a := range algs {
		ja[i] = jose.SignatureAlgorithm(a)
	}
	return &keySet{url: url, client: client, algs: ja, now: now, limit: rate.NewLimiter(rate.Every(keyRefreshEvery), keyRefreshBurst),
		mismatch: rate.NewLimiter(rate.Every(keyMismatchRefreshEvery), 1)}
}

// setURL points the key set at another jwks_uri (a newer discovery); the
// keys it has stay until the next fetch.
func (k *keySet) setURL(url string) {
	k.mu.Lock()
	k.url = url
	k.mu.Unlock()
}

func (k *keySet) currentURL() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.url
}

// VerifySignature checks the JWS's signature and returns its payload.
func (k *keySet) VerifySignature(ctx context.Context, raw string) ([]byte, error) {
	jws, err := jose.ParseSignedCompact(raw, k.algs)
	if err != nil {
		return nil, fmt.Errorf("malformed JWS: %w", err)
	}
	if len(jws.Signatures) != 1 {
		return nil, errors.New("a token carries exactly one signature")
	}
	kid := jws.Signatures[0].Header.KeyID
	keys, err := k.current(ctx)
	if err != nil {
		reportKeyTrouble(ctx)
		return nil, err
	}
	if payload, ok := verifyWith(jws, keys, kid); ok {
		return payload, nil
	}
	// Unknown key id, or no key verifies: maybe the provider rotated.
	limit := k.limit
	if kid != "" && slices.ContainsFunc(keys, func(key jose.JSONWebKey) bool { return key.KeyID == kid }) {
		limit = k.mismatch
	}
	if !limit.AllowN(k.now(), 1) {
		return nil, errors.New("no published key verifies the signature (keys refreshed moments ago)")
	}
	k.mu.Lock()
	k.refreshes++
	k.mu.Unlock()
	if keys, err = k.fetch(ctx); err != nil {
		reportKeyTrouble(ctx)
		return nil, err
	}
	if payload, ok := verifyWith(jws, keys, kid); ok {
		return payload, nil
	}
	return nil, errors.New("no published key verifies the signature")
}

func verifyWith(jws *jose.JSONWebSignature, keys []jose.JSONWebKey, kid string) ([]byte, bool) {
	for i := range keys {
		if kid == "" || keys[i].KeyID == kid {
			if payload, err := jws.Verify(&keys[i]); err == nil {
				return payload, true
			}
		}
	}
	return nil, false
}

// current returns the keys, fetching them when there are none yet and
// starting a background refresh when they are old.
func (k *keySet) current(ctx context.Context) ([]jose.JSONWebKey, error) {
	now := k.now()
	k.mu.Lock()
	keys, fetched, failed, lastErr := k.keys, k.fetched, k.failed, k.lastErr
	if keys != nil && now.Sub(fetched) > keyHardMaxAge {
		keys = nil // too old to trust: fetch or fail
	}
	// One background refresh at a time, and not right after a failed one.
	refresh := keys != nil && now.Sub(fetched) > keyMaxAge && k.inflight == nil && now.Sub(failed) >= keyRefreshBackoff
	if refresh {
		k.inflight = make(chan struct{})
	}
	k.mu.Unlock()
	switch {
	case keys == nil && now.Sub(failed) < keyRetryAfterFailure:
		return nil, lastErr
	case keys == nil:
		return k.fetch(ctx)
	case refresh:
		go func() { //nolint:gosec // G118: verification goes on with the keys it has; the refresh outlives the request that noticed their age
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, _ = k.run(ctx)
		}()
	}
	return keys, nil
}

// fetch reads the JWKS (one request at a time; callers arriving meanwhile
// share its result). A failure keeps the keys already known. Errors say
// "fetching keys", which Verify reports as the IdP being unavailable.
func (k *keySet) fetch(ctx context.Context) ([]jose.JSONWebKey, error) {
	k.mu.Lock()
	if ch := k.inflight; ch != nil {
		k.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, fmt.Errorf("fetching keys: %w", ctx.Err())
		}
		k.mu.Lock()
		defer k.mu.Unlock()
		if k.keys == nil || k.now().Sub(k.fetched) > keyHardMaxAge {
			if k.lastErr == nil {
				return nil, errors.New("fetching keys: no current keys")
			}
			return nil, k.lastErr
		}
		return k.keys, nil
	}
	k.inflight = make(chan struct{})
	k.mu.Unlock()
	return k.run(ctx)
}

// run downloads the keys for the fetch that owns k.inflight and ends it.
func (k *keySet) run(ctx context.Context) ([]jose.JSONWebKey, error) {
	k.mu.Lock()
	k.fetches++
	k.mu.Unlock()

	keys, err := k.download(ctx)

	k.mu.Lock()
	defer k.mu.Unlock()
	close(k.inflight)
	k.inflight = nil
	if err != nil {
		k.failed, k.lastErr = k.now(), fmt.Errorf("fetching keys from %s: %w", k.url, err)
		return nil, k.lastErr
	}
	k.keys, k.fetched, k.lastErr = keys, k.now(), nil
	return keys, nil
}

func (k *keySet) download(ctx context.Context) ([]jose.JSONWebKey, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.currentURL(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s", resp.Status)
	}
	if len(body) > maxJWKSBytes {
		return nil, fmt.Errorf("key set larger than %d bytes", maxJWKSBytes)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("key set: %w", err)
	}
	keys := set.Keys[:0]
	for _, key := range set.Keys {
		if key.Use == "" || key.Use == "sig" { // encryption keys never sign tokens
			keys = append(keys, key)
		}
	}
	if len(keys) == 0 {
		return nil, errors.New("the key set has no signing key")
	}
	return keys, nil
}
