package signer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"gitlab.com/eocat/eocat/internal/apikey"
	"gitlab.com/eocat/eocat/internal/auth"
)

// API keys (DINAMIS): a user with a bearer token creates keys, then sends
// them in the access-key and secret-key headers (older clients:
// dinamis-access-key and dinamis-secret-key) instead of a token. A request
// made with a key acts as the key's owner with the claims the owner had when
// creating it; the static policy and the owner's rate limit apply unchanged.

// The two spellings of each header, current first.
var (
	accessKeyHeaders = []string{"access-key", "dinamis-access-key"}
	secretKeyHeaders = []string{"secret-key", "dinamis-secret-key"}
)

// headerValue returns the one value given under any of names; more than one
// value is an error (a request must not say two things).
func headerValue(r *http.Request, names []string) (v string, present bool, err error) {
	var vals []string
	for _, n := range names {
		for _, v := range r.Header.Values(n) {
			if v != "" { // an empty header says nothing
				vals = append(vals, v)
			}
		}
	}
	switch len(vals) {
	case 0:
		return "", false, nil
	case 1:
		return vals[0], true, nil
	}
	return "", true, &auth.Error{Reason: fmt.Sprintf("several %s headers; send one", names[0])}
}

// authenticate returns the caller: from the bearer token, or from the API key.
func (s *Server) authenticate(r *http.Request) (*auth.Principal, error) {
	p, _, err := s.authenticateVia(r)
	return p, err
}

// authenticateVia is authenticate, also telling whether an API key was used.
func (s *Server) authenticateVia(r *http.Request) (*auth.Principal, bool, error) {
	access, hasAccess, err := headerValue(r, accessKeyHeaders)
	if err != nil {
		return nil, false, err
	}
	secret, hasSecret, err := headerValue(r, secretKeyHeaders)
	if err != nil {
		return nil, false, err
	}
	authz := r.Header.Values("Authorization")
	if len(authz) > 1 {
		// Which one would count is a guess: refuse, as for the key headers.
		return nil, false, &auth.Error{Reason: fmt.Sprintf("%d Authorization headers; send one", len(authz))}
	}
	hasBearer := len(authz) == 1 && authz[0] != ""
	if s.cfg.APIKeys == nil && hasBearer {
		hasAccess, hasSecret = false, false // keys are off: their headers mean nothing here
	}
	switch {
	case (hasAccess || hasSecret) && hasBearer:
		return nil, false, &auth.Error{Reason: "send either a bearer token or an API key (access-key and secret-key headers), not both"}
	case hasAccess != hasSecret:
		return nil, false, &auth.Error{Reason: "an API key needs both the access-key and the secret-key header"}
	case hasAccess:
		p, err := s.apiKeyPrincipal(r.Context(), access, secret)
		return p, true, err
	}
	raw, ok := bearer(r)
	if !ok {
		reason := "missing bearer token (Authorization: Bearer <token>)"
		if s.cfg.APIKeys != nil {
			reason = "missing credentials: Authorization: Bearer <token>, or the access-key and secret-key headers of an API key"
		}
		return nil, false, &auth.Error{Reason: reason}
	}
	p, err := s.cfg.Verifier.Verify(r.Context(), raw)
	return p, false, err
}

// apiKeyPrincipal checks an API key. Every failure (unknown access key, wrong
// secret, expired or revoked key) gives the same error, so that the answer
// never tells whether an access key exists.
func (s *Server) apiKeyPrincipal(ctx context.Context, access, secret string) (*auth.Principal, error) {
	if s.cfg.APIKeys == nil {
		return nil, &auth.Error{Reason: "API keys are not enabled on this signer; use a bearer token"}
	}
	k, err := s.cfg.APIKeys.Authenticate(ctx, access, secret)
	if errors.Is(err, apikey.ErrInvalid) {
		var cause error
		if apikey.IsAccessKey(access) { // logged, never sent; a secret never has this shape
			cause = fmt.Errorf("access key %s", access)
		}
		return nil, &auth.Error{Reason: "invalid API key", Err: cause}
	}
	if err != nil {
		return nil, err
	}
	if !s.cfg.Verifier.Trusts(k.Owner.Issuer) {
		// The key was made through an issuer the signer no longer trusts.
		return nil, &auth.Error{Reason: "invalid API key", Err: fmt.Errorf("access key %s: issuer %s is no longer trusted", k.AccessKey, k.Owner.Issuer)}
	}
	claims := k.Claims
	if claims == nil {
		claims = map[string]any{}
	}
	claims["iss"], claims["sub"] = k.Owner.Issuer, k.Owner.Subject
	// No Token: nothing can be exchanged for storage credentials, which is
	// why API keys need mode static.
	return &auth.Principal{Issuer: k.Owner.Issuer, Subject: k.Owner.Subject, Expiry: k.Expires, Claims: claims, APIKey: k.AccessKey}, nil
}

// keyManager authenticates a request to manage API keys: a bearer token is
// required, since a key must not beget keys (a leaked key would otherwise
// outlive its revocation).
func (s *Server) keyManager(w http.ResponseWriter, r *http.Request, readOnly bool) (*auth.Principal, error) {
	if s.cfg.APIKeys == nil {
		return nil, errorf(http.StatusNotFound, codeNotFound, "API keys are not enabled on this signer")
	}
	if !readOnly && r.Method != http.MethodGet { // the mux routes HEAD to GET handlers
		w.Header().Set("Allow", http.MethodGet)
		return nil, errorf(http.StatusMethodNotAllowed, codeMethod, "%s %s: use GET", r.Method, r.URL.Path)
	}
	p, viaKey, err := s.authenticateVia(r)
	if err != nil {
		return nil, err
	}
	if viaKey {
		return nil, errorf(http.StatusForbidden, codeForbidden, "API keys cannot create, list or revoke API keys; use a bearer token")
	}
	if err := s.rateLimit(p); err != nil {
		return nil, err
	}
	return p, nil
}

func owner(p *auth.Principal) apikey.Owner {
	return apikey.Owner{Issuer: p.Issuer, Subject: p.Subject}
}

// GET /create_api_key?description=… → {"access-key", "secret-key"}; the
// secret is shown only here.
func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request) error {
	p, err := s.keyManager(w, r, false)
	if err != nil {
		return err
	}
	k, secret, err := s.cfg.APIKeys.Create(r.Context(), owner(p), p.Claims, r.URL.Query().Get("description"))
	switch {
	case errors.Is(err, apikey.ErrDescription):
		return errorf(http.StatusBadRequest, codeBadRequest, "description: %v", err)
	case errors.Is(err, apikey.ErrLimit):
		return &apiError{status: http.StatusForbidden, code: codeForbidden, detail: err.Error(), err: err}
	case err != nil:
		return err
	}
	s.log.Info("API key created", "subject", p.Subject, "issuer", p.Issuer, "access_key", k.AccessKey,
		"description", k.Description, "expires", k.Expires.UTC().Format(time.RFC3339), "request_id", requestID(r.Context()))
	writeJSON(w, http.StatusOK, map[string]string{"access-key": k.AccessKey, "secret-key": secret})
	return nil
}

// apiKeyInfo is one item of /list_api_keys_with_metadata, in the DINAMIS
// shape.
type apiKeyInfo struct {
	Created     string `json:"created"`
	AccessKey   string `json:"access-key"`
	Description string `json:"description"`
}

// GET /list_api_keys_with_metadata → [{"created", "access-key", "description"}]
// (the caller's live keys, oldest first).
func (s *Server) listAPIKeys(w http.ResponseWriter, r *http.Request) error {
	p, err := s.keyManager(w, r, true)
	if err != nil {
		return err
	}
	keys, err := s.cfg.APIKeys.List(r.Context(), owner(p))
	if err != nil {
		return err
	}
	out := make([]apiKeyInfo, 0, len(keys))
	for _, k := range keys {
		out = append(out, apiKeyInfo{Created: k.Created.UTC().Format(time.RFC3339), AccessKey: k.AccessKey, Description: k.Description})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// GET /list_api_keys → ["eak_…", …]: the caller's live access keys, oldest
// first. What the DINAMIS CLI's list and revoke-all commands read
// (dinamis_sdk/cli.py: a list of strings, each revoked with
// /revoke_api_key?access_key=).
func (s *Server) listAPIKeyIDs(w http.ResponseWriter, r *http.Request) error {
	p, err := s.keyManager(w, r, true)
	if err != nil {
		return err
	}
	keys, err := s.cfg.APIKeys.List(r.Context(), owner(p))
	if err != nil {
		return err
	}
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, k.AccessKey)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// GET /revoke_api_key?access_key=… → {"access-key", "revoked": true}; only
// the caller's own live keys can be revoked, anything else is 404.
func (s *Server) revokeAPIKey(w http.ResponseWriter, r *http.Request) error {
	p, err := s.keyManager(w, r, false)
	if err != nil {
		return err
	}
	access := r.URL.Query().Get("access_key")
	if access == "" {
		return errorf(http.StatusBadRequest, codeBadRequest, "missing access_key query parameter")
	}
	err = s.cfg.APIKeys.Revoke(r.Context(), owner(p), access)
	if errors.Is(err, apikey.ErrNotFound) {
		return errorf(http.StatusNotFound, codeNotFound, "no such API key among yours")
	}
	if err != nil {
		return err
	}
	s.log.Info("API key revoked", "subject", p.Subject, "issuer", p.Issuer, "access_key", access, "request_id", requestID(r.Context()))
	writeJSON(w, http.StatusOK, map[string]any{"access-key": access, "revoked": true})
	return nil
}
