package signer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"gitlab.com/eocat/eocat/internal/apikey"
	"gitlab.com/eocat/eocat/internal/auth"
	"gitlab.com/eocat/eocat/internal/policy"
	"gitlab.com/eocat/eocat/internal/presign"
	"golang.org/x/time/rate"
)

// Modes of authorisation.
const (
	ModeStatic = "static" // the signer's own credentials, after its policy
	ModeSTS    = "sts"    // per-user STS credentials; the storage decides
)

// Verifier authenticates bearer tokens (implemented by *auth.Verifier).
type Verifier interface {
	Verify(ctx context.Context, raw string) (*auth.Principal, error)
	Ready(ctx context.Context) error
	// Trusts reports whether an issuer is (still) trusted: API keys made
	// through one that is not stop working.
	Trusts(issuer string) bool
}

// CredentialSource gives the credentials to sign with for a caller.
type CredentialSource interface {
	Credentials(ctx context.Context, p *auth.Principal) (aws.Credentials, error)
}

// Config is everything the API needs.
type Config struct {
	Mode        string
	Storage     *presign.Storage
	Verifier    Verifier
	APIKeys     apikey.Store   // optional DINAMIS API keys (mode static: in mode sts a key carries no token for STS)
	Policy      *policy.Policy // static mode
	Credentials CredentialSource
	// DefaultLifetime is a URL's lifetime when the caller gives none (the
	// constant DefaultLifetime unless set), at most MaxLifetime, the
	// longest (presign.MaxLifetime, SigV4's limit, unless set; never more).
	DefaultLifetime time.Duration
	MaxLifetime     time.Duration
	// MinLifetime is the shortest lifetime a caller may ask for (default
	// DefaultMinLifetime; at most DefaultLifetime): shorter is 400
	// invalid_duration. A URL whose signing credentials expire sooner than
	// this is 503 (mode sts).
	MinLifetime   time.Duration
	BatchLimit    int      // hrefs per request; default DefaultBatchLimit
	MaxBodyBytes  int64    // default 1 MiB (/sign/stac: MaxSTACBody, 8 MiB)
	CORSOrigins   []string // exact origins, or "*"
	RatePerSecond float64  // per subject; 0 disables
	RateBurst     int      // per subject; at least 1
	// MaxHeaderBytes bounds a request's headers (request line included,
	// about as net/http counts them); larger is a JSON 431. Default
	// DefaultMaxHeaderBytes.
	// The http.Server's own MaxHeaderBytes must be larger, or net/http
	// answers first with its plain-text 431.
	MaxHeaderBytes int
	// MaxInflightBytes is the process-wide budget of request-body bytes
	// held at once (declared Content-Length, or the route's limit when the
	// length is not declared), half of it at most for one caller; default
	// DefaultInflightBytes; it must hold the largest body (MaxSTACBody, or
	// MaxBodyBytes if larger). A request that does not fit waits up to
	// BodyWait (default 2 s), then gets 503 busy with Retry-After.
	MaxInflightBytes int64
	BodyWait         time.Duration
	// TokenURL is the IdP token endpoint advertised in /openapi.json; when
	// empty, DiscoverTokenURL is asked on each request (it caches and
	// refreshes: auth.Verifier.TokenURL).
	TokenURL         string
	DiscoverTokenURL func(ctx context.Context) string
	Logger           *slog.Logger
	// StorageReady checks that the storage answers, and STSReady (mode sts)
	// that its STS does (for /readyz); the identity provider is checked with
	// Verifier.Ready. Each answer is kept ProbeInterval (default
	// DefaultProbeInterval); a check gets ProbeTimeout (default 3 s).
	StorageReady  func(ctx context.Context) error
	STSReady      func(ctx context.Context) error
	ProbeInterval time.Duration
	ProbeTimeout  time.Duration
	// Counters are exported on /metrics, by name (MetricSTSCalls, …).
	Counters map[string]Counter
	// POST /credentials (mode sts; off unless CredentialsEnabled): the
	// folders a caller may name by id (each on the storage), and the
	// longest session length (default DefaultCredentialsLifetime; within
	// what STS allows, presign.MinSessionDuration to
	// presign.MaxSessionDuration). A caller who gives no length gets
	// DefaultCredentialsLifetime, or the longest if shorter.
	CredentialsEnabled     bool
	Collections            map[string]presign.Scope
	CredentialsMaxLifetime time.Duration
}

// Server is the signer's HTTP API.
type Server struct {
	cfg     Config
	log     *slog.Logger
	signer  *presign.Signer
	mux     *http.ServeMux
	limits  *limiters
	metrics *metrics
	// patterns are the routes served (the API document must list them all).
	patterns []string
	budget   *bodyBudget // request-body bytes in flight (body.go)
	probes   []*probe    // /readyz (ready.go)
	tokenURL func(ctx context.Context) string
}

// New returns the API for cfg. Its values must be valid: cmd/signer's
// configuration checks are the one place they are checked (lifetimes and
// limits within their bounds, collections on the storage, the settings of
// each mode), and New does not check them again; a zero lifetime, limit or
// interval takes its default, a Default… constant except where its field
// says otherwise (MaxLifetime, MaxBodyBytes, BodyWait, ProbeTimeout,
// MaxInflightBytes, RatePerSecond, RateBurst). New only refuses a Config
// that cannot serve at all, whatever its values: without a token verifier,
// storage or credentials, in a mode that is neither ModeStatic nor ModeSTS,
// or in ModeStatic without a policy (it would sign without asking one).
func New(cfg Config) (*Server, error) {
	var errs []error
	if cfg.Verifier == nil {
		errs = append(errs, errors.New("no token verifier"))
	}
	if cfg.Storage == nil || cfg.Storage.Endpoint == nil {
		errs = append(errs, errors.New("no storage endpoint"))
	}
	if cfg.Credentials == nil {
		errs = append(errs, errors.New("no storage credentials"))
	}
	switch {
	case cfg.Mode != ModeStatic && cfg.Mode != ModeSTS:
		errs = append(errs, fmt.Errorf("mode %q: want %s or %s", cfg.Mode, ModeStatic, ModeSTS))
	case cfg.Mode == ModeStatic && cfg.Policy == nil:
		errs = append(errs, errors.New("mode static without a policy"))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if cfg.MaxLifetime <= 0 {
		cfg.MaxLifetime = presign.MaxLifetime
	}
	if cfg.DefaultLifetime <= 0 {
		cfg.DefaultLifetime = min(DefaultLifetime, cfg.MaxLifetime)
	}
	if cfg.MinLifetime <= 0 {
		cfg.MinLifetime = min(DefaultMinLifetime, cfg.DefaultLifetime)
	}
	if cfg.BatchLimit <= 0 {
		cfg.BatchLimit = DefaultBatchLimit
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.MaxHeaderBytes <= 0 {
		cfg.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if cfg.MaxInflightBytes <= 0 {
		cfg.MaxInflightBytes = DefaultInflightBytes()
	}
	if cfg.BodyWait <= 0 {
		cfg.BodyWait = 2 * time.Second
	}
	if cfg.ProbeInterval <= 0 {
		cfg.ProbeInterval = DefaultProbeInterval
	}
	if cfg.ProbeTimeout <= 0 {
		cfg.ProbeTimeout = 3 * time.Second
	}
	if cfg.CredentialsMaxLifetime <= 0 {
		cfg.CredentialsMaxLifetime = DefaultCredentialsLifetime
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: cfg.Logger, signer: presign.NewSigner(cfg.Storage), mux: http.NewServeMux(),
		budget: newBodyBudget(cfg.MaxInflightBytes, max(cfg.MaxBodyBytes, MaxSTACBody))}
	s.signer.MinLifetime = cfg.MinLifetime
	s.metrics = newMetrics(cfg.Counters, s.budget)
	switch {
	case cfg.TokenURL != "":
		s.tokenURL = func(context.Context) string { return cfg.TokenURL }
	case cfg.DiscoverTokenURL != nil:
		s.tokenURL = cfg.DiscoverTokenURL
	default:
		s.tokenURL = func(context.Context) string { return "" }
	}
	if cfg.RatePerSecond > 0 {
		s.limits = newLimiters(rate.Limit(cfg.RatePerSecond), max(cfg.RateBurst, 1))
	}
	s.probes = append(s.probes, &probe{name: "identity_provider", check: cfg.Verifier.Ready})
	if cfg.StorageReady != nil {
		s.probes = append(s.probes, &probe{name: "storage", check: cfg.StorageReady})
	}
	if cfg.STSReady != nil && cfg.Mode == ModeSTS {
		s.probes = append(s.probes, &probe{name: "sts", check: cfg.STSReady})
	}
	s.routes()
	return s, nil
}

// Defaults of Config: a zero value takes them. cmd/signer's flags show them
// and its configuration starts from them.
const (
	DefaultLifetime       = time.Hour
	DefaultMinLifetime    = time.Minute
	DefaultBatchLimit     = 1000
	DefaultMaxHeaderBytes = 64 << 10
	DefaultProbeInterval  = 5 * time.Second
	// DefaultCredentialsLifetime is the default and the longest session of
	// POST /credentials.
	DefaultCredentialsLifetime = time.Hour
)

// DefaultInflightBytes is the default MaxInflightBytes: a quarter of the
// Go memory limit (GOMEMLIMIT) when one is set (the process holds about
// three times the body bytes it admits: body, decoded request, response),
// else NoLimitInflightBytes. Never less than one largest body.
func DefaultInflightBytes() int64 {
	if lim := debug.SetMemoryLimit(-1); lim > 0 && lim < math.MaxInt64 {
		return max(lim/4, MaxSTACBody)
	}
	return NoLimitInflightBytes
}

// NoLimitInflightBytes is DefaultInflightBytes without a Go memory limit:
// four of the largest bodies (/sign/stac's 8 MiB), 32 MiB.
const NoLimitInflightBytes = 4 * MaxSTACBody

// ServeHTTP runs the middleware chain.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := r.Header.Get("X-Request-Id")
	if id == "" || len(id) > 64 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	w.Header().Set("X-Request-Id", id)
	// Every answer is JSON or the metrics' text, with its type set: never
	// to be read as anything else (a browser sniffing HTML in an error).
	w.Header().Set("X-Content-Type-Options", "nosniff")
	r = r.WithContext(context.WithValue(r.Context(), ctxRequestID{}, id))
	if s.cors(w, r) {
		return
	}
	if n := headerBytes(r); n > s.cfg.MaxHeaderBytes {
		s.writeError(w, r, &apiError{status: http.StatusRequestHeaderFieldsTooLarge, code: codeHeaderTooLarge,
			detail: fmt.Sprintf("request headers of %d bytes; the limit is %d (a bearer token is at most %d bytes)", n, s.cfg.MaxHeaderBytes, auth.MaxTokenSize)})
		return
	}
	s.mux.ServeHTTP(w, r)
}

// headerBytes is about what net/http counts against MaxHeaderBytes: the
// request line and every header line.
func headerBytes(r *http.Request) int {
	n := len(r.Method) + len(r.RequestURI) + len(r.Proto) + 4 + len(r.Host) + 8
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

type ctxRequestID struct{}

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(ctxRequestID{}).(string)
	return id
}

// handler adapts a handler returning an error to the error mapper.
type handler func(w http.ResponseWriter, r *http.Request) error

func (s *Server) handle(pattern string, h handler) { s.route(pattern, false, h) }

// handleSigning also records the request's latency in the signing histogram.
func (s *Server) handleSigning(pattern string, h handler) { s.route(pattern, true, h) }

func (s *Server) route(pattern string, signing bool, h handler) {
	s.patterns = append(s.patterns, pattern)
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		if err := h(sw, r); err != nil {
			s.writeError(sw, r, err)
		}
		s.metrics.observe(pattern, signing, sw, start)
	})
}

// cors answers preflights and sets the allow headers for configured origins.
// It reports whether the request was fully answered.
func (s *Server) cors(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || len(s.cfg.CORSOrigins) == 0 {
		return false
	}
	allowed := slices.Contains(s.cfg.CORSOrigins, "*") || slices.Contains(s.cfg.CORSOrigins, origin)
	if !allowed {
		return false
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Add("Vary", "Origin")
	h.Set("Access-Control-Expose-Headers", "Retry-After, X-Request-Id")
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		h.Set("Access-Control-Allow-Methods", "GET, HEAD, POST, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, access-key, secret-key, dinamis-access-key, dinamis-secret-key")
		h.Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
		return true
	}
	return false
}

// principal authenticates the request (bearer token or API key) and applies
// the rate limit.
func (s *Server) principal(r *http.Request) (*auth.Principal, error) {
	p, err := s.authenticate(r) // apikeys.go: bearer token or API key
	if err != nil {
		return nil, err
	}
	if err := s.rateLimit(p); err != nil {
		return nil, err
	}
	return p, nil
}

// rateLimit takes one request from p's budget (per issuer and subject, so an
// API key shares its owner's budget).
func (s *Server) rateLimit(p *auth.Principal) error {
	if s.limits != nil {
		if wait := s.limits.take(p.Issuer + "|" + p.Subject); wait > 0 {
			return &apiError{status: http.StatusTooManyRequests, code: codeTooMany, detail: "rate limit exceeded; retry after the delay in Retry-After", retryAfter: wait}
		}
	}
	return nil
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// limiters is a per-subject token bucket, forgetting idle subjects.
type limiters struct {
	mu    sync.Mutex
	limit rate.Limit
	burst int
	m     map[string]*limiterEntry
	sweep time.Time
}

type limiterEntry struct {
	l    *rate.Limiter
	seen time.Time
}

func newLimiters(l rate.Limit, burst int) *limiters {
	return &limiters{limit: l, burst: burst, m: map[string]*limiterEntry{}}
}

// take consumes one token and returns how long to wait when none is left.
func (l *limiters) take(key string) time.Duration {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.sweep) > time.Minute {
		for k, e := range l.m {
			if now.Sub(e.seen) > 10*time.Minute {
				delete(l.m, k)
			}
		}
		l.sweep = now
	}
	e := l.m[key]
	if e == nil {
		e = &limiterEntry{l: rate.NewLimiter(l.limit, l.burst)}
		l.m[key] = e
	}
	e.seen = now
	res := e.l.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return d
	}
	return 0
}
