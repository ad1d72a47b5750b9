package signer

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"gitlab.com/eocat/eocat/internal/auth"
	"gitlab.com/eocat/eocat/internal/presign"
)

// apiError is an error with its HTTP status and machine-readable code.
type apiError struct {
	status     int
	code       string
	detail     string
	retryAfter time.Duration
	err        error // cause, logged, never sent
}

func (e *apiError) Error() string { return e.code + ": " + e.detail }
func (e *apiError) Unwrap() error { return e.err }

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, detail: fmt.Sprintf(format, args...)}
}

// Error codes.
const (
	codeBadRequest      = "bad_request"
	codeInvalidToken    = "invalid_token"
	codeForbidden       = "forbidden"
	codeNotAllowed      = "href_not_allowed"
	codeInvalidHref     = "invalid_href"
	codeTooMany         = "too_many_requests"
	codeTooLarge        = "request_too_large"
	codeUnavailable     = "unavailable"
	codeInternal        = "internal_error"
	codeNotFound        = "not_found"
	codeMethod          = "method_not_allowed"
	codeStorageRefused  = "storage_refused"
	codeInvalidDuration = "invalid_duration"
	codeBusy            = "busy"
	codeHeaderTooLarge  = "request_header_too_large"
)

// toAPIError classifies any error a handler returns.
func toAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var authErr *auth.Error
	if errors.As(err, &authErr) {
		if authErr.Unavailable {
			return &apiError{status: http.StatusServiceUnavailable, code: codeUnavailable, detail: "the identity provider cannot be reached; retry later", err: err, retryAfter: 5 * time.Second}
		}
		return &apiError{status: http.StatusUnauthorized, code: codeInvalidToken, detail: authErr.Reason, err: err}
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &apiError{status: http.StatusRequestEntityTooLarge, code: codeTooLarge, detail: fmt.Sprintf("request body larger than %d bytes", mbe.Limit), err: err}
	}
	if errors.Is(err, presign.ErrSTSRefused) {
		return &apiError{status: http.StatusForbidden, code: codeStorageRefused, detail: "the storage refused credentials for this user", err: err}
	}
	var xe *auth.ExchangeError
	if errors.As(err, &xe) {
		if xe.Status >= 500 || xe.Status == 0 {
			return &apiError{status: http.StatusServiceUnavailable, code: codeUnavailable, detail: "token exchange at the identity provider failed; retry later", err: err, retryAfter: 5 * time.Second}
		}
		return &apiError{status: http.StatusForbidden, code: codeForbidden, detail: "the identity provider refused to exchange this token", err: err}
	}
	if errors.Is(err, presign.ErrExpired) {
		// Only credentials that really expire (mode sts) get here: a
		// lifetime below the minimum is refused before signing.
		return &apiError{status: http.StatusServiceUnavailable, code: codeUnavailable, detail: "the storage credentials this signer holds for you expire too soon; retry", err: err, retryAfter: time.Second}
	}
	return &apiError{status: http.StatusInternalServerError, code: codeInternal, detail: "internal error", err: err}
}

// writeError is the one place that turns an error into a response.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	ae := toAPIError(err)
	switch ae.status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description=`+strconv.Quote(ae.detail))
	case http.StatusRequestHeaderFieldsTooLarge: // most often an oversized token
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_request", error_description=`+strconv.Quote(ae.detail))
	}
	if ae.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((ae.retryAfter+time.Second-1)/time.Second)))
	}
	level := slog.LevelInfo
	if ae.status >= 500 {
		level = slog.LevelError
	}
	attrs := []any{"status", ae.status, "code", ae.code, "detail", ae.detail, "path", r.URL.Path, "request_id", requestID(r.Context())}
	if ae.err != nil {
		attrs = append(attrs, "cause", ae.err.Error())
	}
	s.log.Log(r.Context(), level, "request failed", attrs...)
	writeJSON(w, ae.status, map[string]string{"error": ae.code, "detail": ae.detail})
}

// writeJSONHeader starts a JSON answer that no cache may keep.
func writeJSONHeader(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
}

// writeJSON answers with v as JSON (no HTML escaping).
func writeJSON(w http.ResponseWriter, status int, v any) {
	writeJSONHeader(w, status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
