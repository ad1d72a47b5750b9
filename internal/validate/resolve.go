package validate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	neturl "net/url"
	"os"
	"path"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"gitlab.com/eocat/eocat/schemas"
)

// Where a schema came from, as recorded by [Validator.Sources].
const (
	SourceDir     = "dir"     // Options.SchemaDir
	SourceCache   = "cache"   // the user cache
	SourceFetch   = "fetch"   // downloaded (and cached when pinned)
	SourceCompact = "compact" // the embedded compact schema
)

// ErrSchemaUnavailable is wrapped by errors about a schema URL that none of the
// sources could provide.
var ErrSchemaUnavailable = errors.New("schema unavailable")

// ErrChecksum is wrapped by errors about a pinned schema whose bytes do not
// match the lock.
var ErrChecksum = errors.New("schema checksum mismatch")

// Options configures where schemas come from.
type Options struct {
	// SchemaDir is a mirror of the official schemas laid out as <host>/<path>
	// (stacgen's --schemas flag / STACGEN_SCHEMAS). Empty: not used.
	SchemaDir string
	// CacheDir caches downloaded schemas, same layout. Empty: the default
	// os.UserCacheDir()/eocat/schemas.
	CacheDir string
	// NoCache disables reading and writing the cache.
	NoCache bool
	// Offline never downloads a schema.
	Offline bool
	// AllowUnpinned permits downloading schemas the lock does not pin (they
	// are used unverified and not cached).
	AllowUnpinned bool
	// HTTPClient downloads schemas; nil: a client with FetchTimeout.
	HTTPClient *http.Client
	// FetchTimeout bounds one download; zero: 30s.
	FetchTimeout time.Duration
	// MaxSchemaSize bounds a downloaded schema; zero: 4 MiB.
	MaxSchemaSize int64
	// Exact decides every document with the jsonschema library alone: no
	// fast path (stacgen's --exact-validation). Slower, and the reference.
	Exact bool
	// CrossCheck is the sampling period of the run-time guard on the fast
	// path: one document in CrossCheck that the fast path accepts, and the
	// first of each document type per schema, is validated again by the
	// library; a disagreement is an *DivergenceError. Zero:
	// DefaultCrossCheck; negative: no cross-check.
	CrossCheck int
}

// DefaultCrossCheck is Options.CrossCheck's default: 1 document in 1,000.
const DefaultCrossCheck = 1000

// resolver implements jsonschema.URLLoader over the four sources, in order:
// SchemaDir, cache, download, compact.
type resolver struct {
	opts Options
	pins map[string]string
	mu   sync.Mutex
	srcs map[string]string
	// netDown is set after a download fails in transport (no route, DNS,
	// timeout): later schemas are not tried, so that a blackholed network
	// costs one timeout per run, not one per schema.
	netDown atomic.Bool
}

func newResolver(opts Options) (*resolver, error) {
	lock, err := loadLock()
	if err != nil {
		return nil, err
	}
	if !opts.NoCache && opts.CacheDir == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			opts.NoCache = true // no home: run without a cache
		} else {
			opts.CacheDir = filepath.Join(dir, "eocat", "schemas")
		}
	}
	if opts.FetchTimeout == 0 {
		opts.FetchTimeout = 30 * time.Second
	}
	if opts.MaxSchemaSize == 0 {
		opts.MaxSchemaSize = 4 << 20
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: opts.FetchTimeout}
	}
	return &resolver{opts: opts, pins: lock.Schemas, srcs: map[string]string{}}, nil
}

// Load implements jsonschema.URLLoader.
func (r *resolver) Load(url string) (any, error) {
	b, src, err := r.resolve(url)
	if err != nil {
		return nil, err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("schema %s (from %s): %w", url, src, err)
	}
	r.mu.Lock()
	r.srcs[url] = src
	r.mu.Unlock()
	return doc, nil
}

// resolve returns the bytes of a schema and the source they came from.
func (r *resolver) resolve(url string) ([]byte, string, error) {
	rel, ok := urlPath(url)
	if !ok {
		return nil, "", fmt.Errorf("%w: %s: only https schema URLs are resolved", ErrSchemaUnavailable, url)
	}
	pin, pinned := r.pins[url]
	file := filepath.FromSlash(rel)
	// (a) mirror, (b) cache.
	for _, c := range []struct{ dir, src string }{{r.opts.SchemaDir, SourceDir}, {r.cacheDir(), SourceCache}} {
		if c.dir == "" {
			continue
		}
		p := filepath.Join(c.dir, file)
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, "", fmt.Errorf("schema %s: %w", url, err)
		}
		if pinned && sha256Hex(b) != pin {
			return nil, "", fmt.Errorf("%w: %s: sha256 %s, lock pins %s for %s", ErrChecksum, p, sha256Hex(b), pin, url)
		}
		return b, c.src, nil
	}
	// (c) download.
	var fetchErr error
	if !r.opts.Offline && !r.netDown.Load() && (pinned || r.opts.AllowUnpinned) {
		b, err := r.download(context.Background(), url)
		var transport *neturl.Error
		switch {
		case err != nil:
			fetchErr = err
			if errors.As(err, &transport) {
				r.netDown.Store(true)
			}
		case pinned && sha256Hex(b) != pin:
			return nil, "", fmt.Errorf("%w: downloaded %s: sha256 %s, lock pins %s", ErrChecksum, url, sha256Hex(b), pin)
		default:
			if pinned {
				r.store(file, b)
			}
			return b, SourceFetch, nil
		}
	}
	// (d) compact.
	if b, err := fs.ReadFile(schemas.FS, path.Join("compact", rel)); err == nil {
		return b, SourceCompact, nil
	}
	if fetchErr != nil {
		return nil, "", fmt.Errorf("%w: %s: %v", ErrSchemaUnavailable, url, fetchErr)
	}
	return nil, "", fmt.Errorf("%w: %s (not in the schema dir or cache, offline or unpinned, no compact schema)", ErrSchemaUnavailable, url)
}

func (r *resolver) cacheDir() string {
	if r.opts.NoCache {
		return ""
	}
	return r.opts.CacheDir
}

func (r *resolver) download(ctx context.Context, url string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, r.opts.FetchTimeout)
	defer cancel()
	return getURL(ctx, r.opts.HTTPClient, url, r.opts.MaxSchemaSize)
}

// store writes a verified download to the cache; a cache failure only costs a
// later download.
func (r *resolver) store(file string, b []byte) {
	dir := r.cacheDir()
	if dir == "" {
		return
	}
	p := filepath.Join(dir, file)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil { //nolint:gosec // G301: a cache of public schemas, checked against their pins when read
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return
	}
	_, err = tmp.Write(b)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), p)
	}
	if err != nil {
		_ = os.Remove(tmp.Name()) // best-effort cache: a failed write is not an error
	}
}

func (r *resolver) sources() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.srcs)
}

// getURL GETs url and returns at most limit bytes of a 200 response body.
func getURL(ctx context.Context, c *http.Client, url string, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("GET %s: larger than %d bytes", url, limit)
	}
	return b, nil
}
