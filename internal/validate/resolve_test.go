package validate

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

const itemURL = "https://schemas.stacspec.org/v1.1.0/item-spec/json-schema/item.json"

// copyMirror copies the official mirror's item schemas (and GeoJSON) into dir.
func copyMirror(t *testing.T, dir string) {
	t.Helper()
	src := mirror(t)
	for _, rel := range []string{"schemas.stacspec.org/v1.1.0/item-spec/json-schema", "geojson.org/schema"} {
		ents, err := os.ReadDir(filepath.Join(src, rel))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			b, err := os.ReadFile(filepath.Join(src, rel, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, rel, e.Name())
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func validateItem(t *testing.T, v *Validator) error {
	t.Helper()
	item := s2Item(0)
	item["stac_extensions"] = []any{}
	_, err := v.Validate("item.json", mustJSON(t, item))
	return err
}

func TestResolverMirrorAndCache(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		opts      func(dir string) Options
	}{
		{"mirror", SourceDir, func(dir string) Options { return Options{SchemaDir: dir, Offline: true, NoCache: true} }},
		{"cache", SourceCache, func(dir string) Options { return Options{CacheDir: dir, Offline: true} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			copyMirror(t, dir)
			v, err := New(tc.opts(dir))
			if err != nil {
				t.Fatal(err)
			}
			if err := validateItem(t, v); err != nil {
				t.Fatal(err)
			}
			if got := v.Sources()[itemURL]; got != tc.src {
				t.Errorf("item.json from %q, want %q", got, tc.src)
			}
		})
	}
}

func TestResolverChecksumMismatch(t *testing.T) {
	dir := t.TempDir()
	copyMirror(t, dir)
	p := filepath.Join(dir, "schemas.stacspec.org/v1.1.0/item-spec/json-schema/common.json")
	b, _ := os.ReadFile(p)
	if err := os.WriteFile(p, append(b, ' '), 0o644); err != nil {
		t.Fatal(err)
	}
	v, err := New(Options{SchemaDir: dir, Offline: true, NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	err = validateItem(t, v)
	if !errors.Is(err, ErrChecksum) || !strings.Contains(err.Error(), p) {
		t.Errorf("got %v, want a checksum error naming %s", err, p)
	}
}

func TestResolverOfflineCompact(t *testing.T) {
	v, err := New(Options{Offline: true, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	issues, err := v.Validate("item.json", mustJSON(t, s2Item(0)))
	if err != nil || len(issues) > 0 {
		t.Fatal(err, issues)
	}
	src := v.Sources()
	for _, u := range []string{itemURL, extProj, extEO, extRas, extFile, extAuth} {
		if src[u] != SourceCompact {
			t.Errorf("%s from %q, want compact", u, src[u])
		}
	}
	// An extension without a compact schema is an error, not an issue.
	_, err = v.Validate("x.json", []byte(`{"type":"Catalog","stac_version":"1.1.0","id":"x","description":"x","links":[],
		"stac_extensions":["https://stac-extensions.github.io/view/v1.0.0/schema.json"]}`))
	if !errors.Is(err, ErrSchemaUnavailable) {
		t.Errorf("got %v, want ErrSchemaUnavailable", err)
	}
}

// redirect sends every request to srv, keeping the path under /<host>.
type redirect struct{ srv *httptest.Server }

func (r redirect) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.URL.Path = "/" + req.URL.Host + req.URL.Path
	req.URL.Scheme, req.URL.Host = "http", strings.TrimPrefix(r.srv.URL, "http://")
	return http.DefaultTransport.RoundTrip(req)
}

func TestResolverFetch(t *testing.T) {
	served := t.TempDir()
	copyMirror(t, served)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.FileServer(http.Dir(served)).ServeHTTP(w, r)
	}))
	defer srv.Close()
	client := &http.Client{Transport: redirect{srv}}

	cache := t.TempDir()
	v, err := New(Options{CacheDir: cache, HTTPClient: client})
	if err != nil {
		t.Fatal(err)
	}
	if err := validateItem(t, v); err != nil {
		t.Fatal(err)
	}
	if got := v.Sources()[itemURL]; got != SourceFetch || hits.Load() == 0 {
		t.Errorf("item.json from %q after %d requests, want fetch", got, hits.Load())
	}
	if _, err := os.Stat(filepath.Join(cache, "schemas.stacspec.org/v1.1.0/item-spec/json-schema/item.json")); err != nil {
		t.Errorf("not cached: %v", err)
	}
	// A second validator reads the cache without any request.
	hits.Store(0)
	v2, _ := New(Options{CacheDir: cache, HTTPClient: client})
	if err := validateItem(t, v2); err != nil || hits.Load() != 0 || v2.Sources()[itemURL] != SourceCache {
		t.Errorf("second run: err %v, %d requests, source %q", err, hits.Load(), v2.Sources()[itemURL])
	}
	// A tampered download is refused and not cached.
	p := filepath.Join(served, "schemas.stacspec.org/v1.1.0/item-spec/json-schema/item.json")
	if err := os.WriteFile(p, []byte(`{"type":"object"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cache2 := t.TempDir()
	v3, _ := New(Options{CacheDir: cache2, HTTPClient: client})
	if err := validateItem(t, v3); !errors.Is(err, ErrChecksum) {
		t.Errorf("tampered: got %v, want ErrChecksum", err)
	}
	if _, err := os.Stat(filepath.Join(cache2, "schemas.stacspec.org/v1.1.0/item-spec/json-schema/item.json")); err == nil {
		t.Error("tampered schema was cached")
	}
}
