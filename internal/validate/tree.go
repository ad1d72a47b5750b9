package validate

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// DefaultTreeWorkers is the default of TreeOptions.Workers and of stacgen
// validate's --concurrency.
const DefaultTreeWorkers = 8

// TreeOptions tunes Tree.
type TreeOptions struct {
	HTTPClient *http.Client  // nil: a client with Timeout
	Timeout    time.Duration // per HTTP document; zero: 30s
	MaxDocSize int64         // per document; zero: 32 MiB
	Tolerance  float64       // degrees, for bbox comparisons; zero: 1e-6
	Workers    int           // documents read and validated at once; <= 0: DefaultTreeWorkers
}

// Report is the outcome of Tree.
type Report struct {
	Documents int
	Issues    []Issue
	Sources   map[string]string // schema URL → source, as Validator.Sources
}

// node is one crawled document.
type node struct {
	url   *url.URL
	name  string
	obj   map[string]any // dropped once the node is validated and summarised
	links []link         // resolved child/item/parent/root links

	// What the extent checks need, kept after obj is dropped so that a
	// large catalog is never held in memory whole.
	typ        string
	bbox       *box
	times      map[string]time.Time // item datetime, start_datetime, end_datetime
	extentBox  *box                 // collection: first spatial bbox
	start, end *time.Time           // collection: first temporal interval
}

type link struct {
	rel, ptr string
	target   *url.URL
	// localFromRemote: a document read over the network links to a local
	// file. Such a link is reported, never read: a remote catalog must not
	// make the validator open files on the machine it runs on.
	localFromRemote bool
}

// Tree crawls the static catalog whose root (a catalog, collection or item) is
// a local path or an http(s) URL, following child and item links, validates
// every document once and checks that child/item/parent/root links resolve,
// that items' bboxes match their geometry and that collections' extents
// contain their items.
func Tree(ctx context.Context, v *Validator, root string, opts TreeOptions) (*Report, error) {
	if opts.Timeout == 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.MaxDocSize == 0 {
		opts.MaxDocSize = 32 << 20
	}
	if opts.Tolerance == 0 {
		opts.Tolerance = defaultTolerance
	}
	if opts.Workers <= 0 {
		opts.Workers = DefaultTreeWorkers
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: opts.Timeout}
	}
	rootURL, err := toURL(root)
	if err != nil {
		return nil, err
	}
	c := &crawler{v: v, opts: opts, base: rootURL.ResolveReference(&url.URL{Path: "./"}), nodes: map[string]*node{}}
	if _, err := c.load(ctx, rootURL); err != nil {
		return nil, fmt.Errorf("root %s: %w", root, err)
	}
	if err := c.crawl(ctx, rootURL); err != nil {
		return nil, err
	}
	c.checkLinks(ctx)
	c.checkExtents()
	sort.SliceStable(c.issues, func(i, j int) bool {
		a, b := c.issues[i], c.issues[j]
		return a.File < b.File || a.File == b.File && a.Pointer < b.Pointer
	})
	return &Report{Documents: len(c.done), Issues: c.issues, Sources: v.Sources()}, nil
}

type crawler struct {
	v      *Validator
	opts   TreeOptions
	base   *url.URL // directory of the root, names are relative to it
	mu     sync.Mutex
	nodes  map[string]*node // loaded documents by URL (nil: failed)
	errs   map[string]error
	done   []*node // validated, in crawl order
	issues []Issue
}

func (c *crawler) addIssues(is ...Issue) {
	c.mu.Lock()
	c.issues = append(c.issues, is...)
	c.mu.Unlock()
}

// crawl validates documents level by level from root.
func (c *crawler) crawl(ctx context.Context, root *url.URL) error {
	seen := map[string]bool{root.String(): true}
	level := []*url.URL{root}
	for len(level) > 0 {
		nodes := make([]*node, len(level))
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(c.opts.Workers)
		for i, u := range level {
			g.Go(func() error {
				n, err := c.load(gctx, u)
				if err != nil {
					return nil // reported by checkLinks on the linking document
				}
				nodes[i] = n
				is, err := c.v.validateValue(n.name, n.obj)
				c.addIssues(is...)
				if err != nil {
					return err
				}
				c.summarise(n)
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
		var next []*url.URL
		for _, n := range nodes {
			if n == nil {
				continue
			}
			c.done = append(c.done, n)
			for _, l := range n.links {
				if (l.rel == "child" || l.rel == "item") && !l.localFromRemote && !seen[l.target.String()] {
					seen[l.target.String()] = true
					next = append(next, l.target)
				}
			}
		}
		level = next
	}
	return nil
}

// load fetches and parses a document once.
func (c *crawler) load(ctx context.Context, u *url.URL) (*node, error) {
	key := u.String()
	c.mu.Lock()
	n, ok := c.nodes[key]
	err := c.errs[key]
	c.mu.Unlock()
	if ok || err != nil {
		return n, err
	}
	n, err = c.fetch(ctx, u)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		if c.errs == nil {
			c.errs = map[string]error{}
		}
		c.errs[key] = err
		return nil, err
	}
	c.nodes[key] = n
	return n, nil
}

func (c *crawler) fetch(ctx context.Context, u *url.URL) (*node, error) {
	var b []byte
	var err error
	if u.Scheme == "file" {
		b, err = readLimited(u.Path, c.opts.MaxDocSize)
	} else {
		ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
		defer cancel()
		b, err = getURL(ctx, c.opts.HTTPClient, u.String(), c.opts.MaxDocSize)
	}
	if err != nil {
		return nil, err
	}
	inst, err := parseJSON(b)
	if err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	obj, ok := inst.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("not a JSON object")
	}
	n := &node{url: u, name: c.name(u), obj: obj}
	links, _ := obj["links"].([]any)
	for i, l := range links {
		lo, _ := l.(map[string]any)
		rel, _ := lo["rel"].(string)
		href, _ := lo["href"].(string)
		if rel != "child" && rel != "item" && rel != "parent" && rel != "root" || href == "" {
			continue
		}
		t, err := u.Parse(href)
		if err != nil {
			continue // the schema reports malformed hrefs
		}
		t.Fragment = ""
		n.links = append(n.links, link{rel: rel, ptr: fmt.Sprintf("/links/%d/href", i), target: t,
			localFromRemote: t.Scheme == "file" && u.Scheme != "file"})
	}
	return n, nil
}

func readLimited(path string, limit int64) ([]byte, error) {
	fi, err := os.Stat(path) //nolint:gosec // G703: stacgen validate reads the catalog its user names and the local files that local documents link to (not those of remote ones: link.localFromRemote)
	if err != nil {
		return nil, err
	}
	if fi.Size() > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, limit)
	}
	return os.ReadFile(path) //nolint:gosec // G703: as above
}

// name is u relative to the root's directory when below it, else u.
func (c *crawler) name(u *url.URL) string {
	if rel, ok := strings.CutPrefix(u.String(), c.base.String()); ok {
		return rel
	}
	if u.Scheme == "file" {
		return u.Path
	}
	return u.String()
}

// checkLinks reports child/item/parent/root links that do not resolve.
func (c *crawler) checkLinks(ctx context.Context) {
	for _, n := range c.done {
		for _, l := range n.links {
			if l.localFromRemote {
				c.issues = append(c.issues, Issue{File: n.name, Pointer: l.ptr,
					Message: fmt.Sprintf("%s link %s is not followed: a document read over the network may not link to a local file", l.rel, l.target)})
				continue
			}
			if _, err := c.load(ctx, l.target); err != nil {
				c.issues = append(c.issues, Issue{File: n.name, Pointer: l.ptr,
					Message: fmt.Sprintf("%s link %s does not resolve: %v", l.rel, l.target, err)})
			}
		}
	}
}

// summarise runs the per-document checks and keeps only what the
// collection checks need, then drops the parsed document.
func (c *crawler) summarise(n *node) {
	n.typ, _ = n.obj["type"].(string)
	switch n.typ {
	case "Feature":
		if bb, ok := bbox2D(n.obj["bbox"]); ok {
			n.bbox = &bb
		}
		if is := bboxIssue(n.name, n.obj, c.opts.Tolerance); is != nil {
			c.addIssues(*is)
		}
		props, _ := n.obj["properties"].(map[string]any)
		for _, f := range []string{"datetime", "start_datetime", "end_datetime"} {
			if t := parseTime(props[f]); t != nil {
				if n.times == nil {
					n.times = map[string]time.Time{}
				}
				n.times[f] = *t
			}
		}
	case "Collection":
		ext, _ := n.obj["extent"].(map[string]any)
		spatial, _ := ext["spatial"].(map[string]any)
		bboxes, _ := spatial["bbox"].([]any)
		temporal, _ := ext["temporal"].(map[string]any)
		intervals, _ := temporal["interval"].([]any)
		if len(bboxes) > 0 {
			if b, ok := bbox2D(bboxes[0]); ok {
				n.extentBox = &b
			}
		}
		if len(intervals) > 0 {
			if iv, _ := intervals[0].([]any); len(iv) == 2 {
				n.start, n.end = parseTime(iv[0]), parseTime(iv[1])
			}
		}
	}
	n.obj = nil
}

// checkExtents checks collections' extents against their items.
func (c *crawler) checkExtents() {
	for _, n := range c.done {
		if n.typ == "Collection" {
			c.checkCollection(n, c.opts.Tolerance)
		}
	}
}

// defaultTolerance is the slack, in degrees, of bbox comparisons.
const defaultTolerance = 1e-6

// bboxIssue reports an item whose bbox is not the envelope of its geometry.
func bboxIssue(name string, obj map[string]any, tol float64) *Issue {
	bb, ok := bbox2D(obj["bbox"])
	geom, _ := obj["geometry"].(map[string]any)
	if !ok || geom == nil {
		return nil
	}
	var pts [][2]float64
	collectPoints(geom["coordinates"], &pts)
	if len(pts) == 0 {
		return nil
	}
	env := envelope(pts, bb.crosses())
	if bb.contains(env, tol) && env.contains(bb, tol) {
		return nil
	}
	return &Issue{File: name, Consistency: true, Pointer: "/bbox",
		Message: fmt.Sprintf("bbox %v is not the envelope of the geometry %v", bb, env)}
}

func (c *crawler) checkCollection(n *node, tol float64) {
	cb, start, end := n.extentBox, n.start, n.end
	for _, l := range n.links {
		if l.rel != "item" {
			continue
		}
		c.mu.Lock()
		it := c.nodes[l.target.String()]
		c.mu.Unlock()
		if it == nil {
			continue
		}
		if it.bbox != nil && cb != nil && !cb.contains(*it.bbox, tol) {
			c.issues = append(c.issues, Issue{File: n.name, Consistency: true, Pointer: "/extent/spatial/bbox/0",
				Message: fmt.Sprintf("does not contain the bbox %v of item %s", *it.bbox, it.name)})
		}
		for _, f := range []string{"datetime", "start_datetime", "end_datetime"} {
			t, ok := it.times[f]
			if !ok || (start == nil || !t.Before(*start)) && (end == nil || !t.After(*end)) {
				continue
			}
			c.issues = append(c.issues, Issue{File: n.name, Consistency: true, Pointer: "/extent/temporal/interval/0",
				Message: fmt.Sprintf("does not contain %s %s of item %s", f, t.Format(time.RFC3339), it.name)})
		}
	}
}

func parseTime(v any) *time.Time {
	s, _ := v.(string)
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return nil
	}
	return &t
}

// box is a 2D bbox; west > east crosses the antimeridian.
type box struct{ w, s, e, n float64 }

func (b box) String() string { return fmt.Sprintf("[%g, %g, %g, %g]", b.w, b.s, b.e, b.n) }
func (b box) crosses() bool  { return b.w > b.e }
func (b box) lonSpan() [2]float64 {
	if b.crosses() {
		return [2]float64{b.w, b.e + 360}
	}
	return [2]float64{b.w, b.e}
}

// contains reports whether o lies in b, within tol, trying o's longitudes
// shifted by ±360 so that spans across the antimeridian compare.
func (b box) contains(o box, tol float64) bool {
	if o.s < b.s-tol || o.n > b.n+tol {
		return false
	}
	bs, os := b.lonSpan(), o.lonSpan()
	for _, k := range []float64{0, 360, -360} {
		if os[0]+k >= bs[0]-tol && os[1]+k <= bs[1]+tol {
			return true
		}
	}
	return bs[1]-bs[0] >= 360-tol // a whole-globe box contains any longitudes
}

// bbox2D reads a 4- or 6-number bbox.
func bbox2D(v any) (box, bool) {
	a, _ := v.([]any)
	f := make([]float64, 0, 6)
	for _, x := range a {
		n, ok := number(x)
		if !ok {
			return box{}, false
		}
		f = append(f, n)
	}
	switch len(f) {
	case 4:
		return box{f[0], f[1], f[2], f[3]}, true
	case 6:
		return box{f[0], f[1], f[3], f[4]}, true
	}
	return box{}, false
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case interface{ Float64() (float64, error) }:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

// collectPoints appends the positions of nested GeoJSON coordinates.
func collectPoints(v any, pts *[][2]float64) {
	a, ok := v.([]any)
	if !ok || len(a) == 0 {
		return
	}
	if x, ok := number(a[0]); ok {
		if len(a) >= 2 {
			if y, ok := number(a[1]); ok {
				*pts = append(*pts, [2]float64{x, y})
			}
		}
		return
	}
	for _, e := range a {
		collectPoints(e, pts)
	}
}

// envelope of pts; across the antimeridian, western longitudes are shifted
// by 360 so that the envelope can be compared with a box whose west > east.
func envelope(pts [][2]float64, crosses bool) box {
	b := box{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for _, p := range pts {
		x := p[0]
		if crosses && x < 0 {
			x += 360
		}
		b.w, b.e = min(b.w, x), max(b.e, x)
		b.s, b.n = min(b.s, p[1]), max(b.n, p[1])
	}
	if crosses && b.e > 180 {
		b.e -= 360
	}
	return b
}

// toURL turns a path or http(s) URL into a URL.
func toURL(s string) (*url.URL, error) {
	if strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") {
		return url.Parse(s)
	}
	abs, err := filepath.Abs(s)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(abs); err == nil && fi.IsDir() {
		abs = filepath.Join(abs, "catalog.json")
	}
	return &url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}, nil
}
