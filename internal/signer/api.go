package signer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"gitlab.com/eocat/eocat/internal/auth"
	"gitlab.com/eocat/eocat/internal/presign"
)

func (s *Server) routes() {
	s.handleSigning("GET /sign", s.getSign)
	s.handleSigning("POST /sign", s.postSign)
	s.handleSigning("POST /sign_urls", s.dinamis(http.MethodGet))
	s.handleSigning("POST /sign_urls_put", s.dinamis(http.MethodPut))
	s.handleSigning("GET /api/sas/v1/sign", s.planetaryComputer)
	s.handleSigning("POST /sign/stac", s.signSTAC)
	s.handleSigning("GET /redirect", s.redirect) // also HEAD, signed as HEAD
	s.mux.Handle("GET /metrics", s.metrics.handler())
	s.patterns = append(s.patterns, "GET /metrics")
	s.handle("POST /credentials", s.postCredentials)
	s.handle("GET /create_api_key", s.createAPIKey) // apikeys.go (DINAMIS)
	s.handle("GET /list_api_keys", s.listAPIKeyIDs)
	s.handle("GET /list_api_keys_with_metadata", s.listAPIKeys)
	s.handle("GET /revoke_api_key", s.revokeAPIKey)
	s.handle("GET /openapi.json", s.openAPI)
	s.handle("GET /healthz", func(w http.ResponseWriter, _ *http.Request) error {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		return nil
	})
	s.handle("GET /readyz", s.ready)
	s.handle("/", func(w http.ResponseWriter, r *http.Request) error {
		return errorf(http.StatusNotFound, codeNotFound, "no route %s %s; see /openapi.json", r.Method, r.URL.Path)
	})
}

// batch is one request's signing context: caller, credentials, method and
// lifetime, shared by every href of the request.
type batch struct {
	s        *Server
	p        *auth.Principal
	creds    *aws.Credentials // fetched with the first href to sign
	method   string
	lifetime time.Duration
	// passThrough leaves hrefs that are not on the managed storage unchanged
	// (DINAMIS, Planetary Computer, STAC documents) instead of refusing them.
	passThrough bool
	expiry      time.Time
	signed      int
	audit       *slog.Logger // the audit log with the request's attributes
}

func (s *Server) newBatch(r *http.Request, method string, lifetime time.Duration, passThrough bool) (*batch, error) {
	p, err := s.principal(r)
	if err != nil {
		return nil, err
	}
	return s.batchOf(p, method, lifetime, passThrough), nil
}

// batchOf is newBatch for a caller already authenticated (handlers with a
// body authenticate before reading it: a stranger's megabyte of JSON is not
// parsed).
func (s *Server) batchOf(p *auth.Principal, method string, lifetime time.Duration, passThrough bool) *batch {
	return &batch{s: s, p: p, method: method, lifetime: lifetime, passThrough: passThrough}
}

// credentials returns the signing credentials, asking for them (an STS call
// in sts mode) only when a first href has passed every check.
func (b *batch) credentials(ctx context.Context) (aws.Credentials, error) {
	if b.creds == nil {
		c, err := b.s.cfg.Credentials.Credentials(ctx, b.p)
		if err != nil {
			return aws.Credentials{}, err
		}
		b.creds = &c
	}
	return *b.creds, nil
}

// signQuery signs the "href" query parameter for method, with the lifetime
// from the "duration" parameter (seconds): the routes that sign one href.
func (s *Server) signQuery(r *http.Request, method string, passThrough bool) (*batch, string, error) {
	q := r.URL.Query()
	href := q.Get("href")
	if href == "" {
		return nil, "", errorf(http.StatusBadRequest, codeBadRequest, "missing href query parameter")
	}
	d, err := s.lifetime("duration", q.Get("duration"))
	if err != nil {
		return nil, "", err
	}
	b, err := s.newBatch(r, method, d, passThrough)
	if err != nil {
		return nil, "", err
	}
	u, err := b.sign(r.Context(), href)
	return b, u, err
}

// sign returns the presigned URL of href, or href itself when it is not on
// the storage and the batch passes such hrefs through.
func (b *batch) sign(ctx context.Context, href string) (string, error) {
	o, err := b.s.cfg.Storage.Parse(href)
	switch {
	case errors.Is(err, presign.ErrNotAllowed) && b.passThrough:
		return href, nil
	case errors.Is(err, presign.ErrNotAllowed):
		return "", errorf(http.StatusBadRequest, codeNotAllowed, "%s: %v", href, err)
	case err != nil:
		return "", errorf(http.StatusBadRequest, codeInvalidHref, "%s: %v", href, err)
	}
	if b.s.cfg.Mode == ModeStatic {
		if ok, _ := b.s.cfg.Policy.Allowed(b.p.Claims, b.method, o.Bucket, o.Key); !ok {
			return "", errorf(http.StatusForbidden, codeForbidden, "%s %s is not allowed for this user", b.method, href)
		}
	}
	creds, err := b.credentials(ctx)
	if err != nil {
		return "", err
	}
	u, exp, err := b.s.signer.Sign(ctx, creds, b.method, o, b.lifetime)
	if err != nil {
		return "", err
	}
	if b.expiry.IsZero() || exp.Before(b.expiry) {
		b.expiry = exp
	}
	b.signed++
	b.s.metrics.signed.Inc()
	if b.audit == nil { // what every line of the request shares, formatted once
		attrs := []any{slog.String("subject", b.p.Subject), slog.String("issuer", b.p.Issuer),
			slog.String("method", b.method), slog.String("mode", b.s.cfg.Mode), slog.String("request_id", requestID(ctx))}
		if b.p.APIKey != "" {
			attrs = append(attrs, slog.String("api_key", b.p.APIKey))
		}
		b.audit = b.s.log.With(attrs...)
	}
	b.audit.LogAttrs(ctx, slog.LevelInfo, "signed", slog.String("bucket", o.Bucket), slog.String("key", o.Key), slog.Time("expiry", exp))
	return u, nil
}

// signAll signs hrefs (deduplicated) into a map keyed by the original href.
func (b *batch) signAll(ctx context.Context, hrefs []string) (map[string]string, error) {
	if len(hrefs) == 0 {
		return nil, errorf(http.StatusBadRequest, codeBadRequest, "no href to sign")
	}
	if len(hrefs) > b.s.cfg.BatchLimit {
		return nil, errorf(http.StatusRequestEntityTooLarge, codeTooLarge, "%d hrefs in one request; the limit is %d", len(hrefs), b.s.cfg.BatchLimit)
	}
	out := make(map[string]string, len(hrefs))
	for _, h := range hrefs {
		if _, done := out[h]; done {
			continue
		}
		u, err := b.sign(ctx, h)
		if err != nil {
			return nil, err
		}
		out[h] = u
	}
	return out, nil
}

// expiryString is the batch's earliest expiry, or when nothing was signed
// the expiry a signed URL would have had.
func (b *batch) expiryString() string {
	if b.expiry.IsZero() {
		return time.Now().UTC().Add(b.lifetime).Truncate(time.Second).Format(time.RFC3339)
	}
	return b.expiry.UTC().Format(time.RFC3339)
}

// lifetime parses the duration in seconds of query parameter name ("" means
// the default).
func (s *Server) lifetime(name, raw string) (time.Duration, error) {
	if raw == "" {
		return s.lifetimeOf(name, nil)
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return 0, errorf(http.StatusBadRequest, codeInvalidDuration, "%s %q: want a number of seconds from %s", name, raw, s.lifetimeRange())
	}
	return s.lifetimeOf(name, &n)
}

// lifetimeOf checks a duration in seconds (nil means the default): shorter
// than the minimum is refused, longer than the maximum is clamped (the
// response states the real expiry).
func (s *Server) lifetimeOf(name string, seconds *int64) (time.Duration, error) {
	switch {
	case seconds == nil:
		return s.cfg.DefaultLifetime, nil
	case *seconds < int64(s.cfg.MinLifetime/time.Second):
		return 0, errorf(http.StatusBadRequest, codeInvalidDuration, "%s %d: want a number of seconds from %s", name, *seconds, s.lifetimeRange())
	case *seconds > int64(s.cfg.MaxLifetime/time.Second):
		return s.cfg.MaxLifetime, nil
	}
	return time.Duration(*seconds) * time.Second, nil
}

// lifetimeRange names the lifetimes a caller may ask for.
func (s *Server) lifetimeRange() string {
	return fmt.Sprintf("%d to %d (longer is shortened to %d; default %d)", int64(s.cfg.MinLifetime/time.Second),
		int64(s.cfg.MaxLifetime/time.Second), int64(s.cfg.MaxLifetime/time.Second), int64(s.cfg.DefaultLifetime/time.Second))
}

func method(raw string) (string, error) {
	switch raw {
	case "", http.MethodGet:
		return http.MethodGet, nil
	case http.MethodHead, http.MethodPut:
		return raw, nil
	}
	return "", errorf(http.StatusBadRequest, codeBadRequest, "method %q: want GET, HEAD or PUT", raw)
}

// decodeJSON decodes a JSON body (read by readBody) into v.
func decodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // numbers in free-form documents come back exactly as sent
	if err := dec.Decode(v); err != nil {
		return errorf(http.StatusBadRequest, codeBadRequest, "request body: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errorf(http.StatusBadRequest, codeBadRequest, "request body: trailing data after the JSON value")
	}
	return nil
}

// GET /sign?href=…[&method=…][&duration=…] → {"href", "expiry"}
func (s *Server) getSign(w http.ResponseWriter, r *http.Request) error {
	m, err := method(r.URL.Query().Get("method"))
	if err != nil {
		return err
	}
	b, u, err := s.signQuery(r, m, false)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"href": u, "expiry": b.expiryString()})
	return nil
}

// POST /sign {"hrefs": […], "method", "duration_seconds"} → {"hrefs": {orig: signed}, "expiry"}
func (s *Server) postSign(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Hrefs    []string `json:"hrefs"`
		Method   string   `json:"method"`
		Duration *int64   `json:"duration_seconds"`
	}
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	data, release, err := s.readBody(w, r, p, s.cfg.MaxBodyBytes)
	defer release()
	if err != nil {
		return err
	}
	if err := decodeJSON(data, &req); err != nil {
		return err
	}
	m, err := method(req.Method)
	if err != nil {
		return err
	}
	d, err := s.lifetimeOf("duration_seconds", req.Duration)
	if err != nil {
		return err
	}
	b := s.batchOf(p, m, d, false)
	out, err := b.signAll(r.Context(), req.Hrefs)
	if err != nil {
		return err
	}
	writeSigned(w, out, b.expiryString())
	return nil
}

// POST /sign_urls and /sign_urls_put (DINAMIS): URLs as repeated ?urls=
// parameters or a JSON body {"urls": […], "duration_seconds": N}.
func (s *Server) dinamis(m string) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		urls := q["urls"]
		d, err := s.lifetime("duration_seconds", q.Get("duration_seconds"))
		if err != nil {
			return err
		}
		p, err := s.principal(r)
		if err != nil {
			return err
		}
		if len(urls) == 0 && r.ContentLength != 0 {
			var req struct {
				URLs     []string `json:"urls"`
				Duration *int64   `json:"duration_seconds"`
			}
			data, release, err := s.readBody(w, r, p, s.cfg.MaxBodyBytes)
			defer release()
			if err != nil {
				return err
			}
			if err := decodeJSON(data, &req); err != nil {
				return err
			}
			urls = req.URLs
			if req.Duration != nil {
				if d, err = s.lifetimeOf("duration_seconds", req.Duration); err != nil {
					return err
				}
			}
		}
		b := s.batchOf(p, m, d, true)
		out, err := b.signAll(r.Context(), urls)
		if err != nil {
			return err
		}
		writeSigned(w, out, b.expiryString())
		return nil
	}
}

// GET /api/sas/v1/sign?href=… (Planetary Computer) → {"href", "msft:expiry"};
// an href outside the storage comes back unchanged with a null expiry.
func (s *Server) planetaryComputer(w http.ResponseWriter, r *http.Request) error {
	if r.URL.Query().Get("href") == "" {
		return errorf(http.StatusUnprocessableEntity, codeBadRequest, "missing href query parameter")
	}
	b, u, err := s.signQuery(r, http.MethodGet, true)
	var ae *apiError
	if errors.As(err, &ae) && ae.code == codeInvalidHref {
		// what Planetary Computer answers for an unparsable href
		return &apiError{status: http.StatusUnprocessableEntity, code: ae.code, detail: ae.detail, err: err}
	}
	if err != nil {
		return err
	}
	var expiry any
	if b.signed > 0 {
		expiry = b.expiryString()
	}
	writeJSON(w, http.StatusOK, map[string]any{"href": u, "msft:expiry": expiry})
	return nil
}

// GET|HEAD /redirect?href=… → 302 to the URL presigned for the same method.
// Signing HEAD as HEAD matters to GDAL's /vsicurl/ (gdal_test.go): it opens
// with HEAD, and when the redirect target refuses it GDAL retries with GET on
// that target directly, GDAL_HTTP_HEADERS (the bearer token) included.
func (s *Server) redirect(w http.ResponseWriter, r *http.Request) error {
	_, u, err := s.signQuery(r, r.Method, false)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u, http.StatusFound) //nolint:gosec // G710: u is presigned on the configured storage: signQuery (passThrough false) refuses any other href
	return nil
}

// writeSigned writes {"expiry": …, "hrefs": {original: signed, …}} exactly
// as writeJSON would (keys sorted, no HTML escaping), without reflection: it
// is on every batch's path.
func writeSigned(w http.ResponseWriter, hrefs map[string]string, expiry string) {
	keys := make([]string, 0, len(hrefs))
	n := 32 + len(expiry)
	for k, v := range hrefs {
		keys = append(keys, k)
		n += len(k) + len(v) + 6
	}
	slices.Sort(keys)
	buf := make([]byte, 0, n)
	buf = append(buf, `{"expiry":`...)
	buf = appendJSONString(buf, expiry)
	buf = append(buf, `,"hrefs":{`...)
	for i, k := range keys {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendJSONString(buf, k)
		buf = append(buf, ':')
		buf = appendJSONString(buf, hrefs[k])
	}
	buf = append(buf, "}}\n"...)
	writeJSONHeader(w, http.StatusOK)
	_, _ = w.Write(buf) //nolint:gosec // G705: JSON served as application/json, never as HTML
}

// appendJSONString appends s as a JSON string: printable ASCII without '"'
// or '\\' as is (every signed URL), anything else through encoding/json.
func appendJSONString(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			var b bytes.Buffer
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			_ = enc.Encode(s)
			return append(buf, bytes.TrimSuffix(b.Bytes(), []byte("\n"))...)
		}
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"')
}
