package catalog

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"gitlab.com/eocat/eocat/internal/config"
	"gitlab.com/eocat/eocat/internal/crs"
	"gitlab.com/eocat/eocat/internal/geoparquet"
	"gitlab.com/eocat/eocat/internal/render"
	"gitlab.com/eocat/eocat/internal/source"
	"gitlab.com/eocat/eocat/internal/stac"
)

// Sink receives the output: documents and copied asset files, at paths
// relative to the catalog root with '/' separators.
type Sink interface {
	WriteFile(rel string, data []byte) error
	CopyFile(rel string, r io.Reader) error
}

// DefaultConcurrency is the default of Options.Concurrency and of stacgen
// build's --concurrency.
const DefaultConcurrency = 16

// Options tune a build.
type Options struct {
	// Concurrency bounds the items built at once (0: DefaultConcurrency).
	// An item reads its rasters' headers one after the other, so this also
	// bounds the header reads in flight. Listing is bounded by each
	// source's own setting (source.S3Options.ListConcurrency).
	Concurrency int
	// BaseURL, when set, is the absolute URL the catalog is published at;
	// the root catalog then carries an absolute self link.
	BaseURL string
	// Previous is the state of the last build (incremental mode), or nil.
	Previous *State
	// KeepState makes Result.State describe this build (for the next
	// incremental one); without it nothing per object is kept in memory.
	KeepState bool
	// Version of stacgen, part of what makes a previous build reusable.
	Version string
	// Check validates each encoded document; a non-nil error makes the
	// document's item (or the build) fail.
	Check func(rel string, doc []byte) error
	// SkipInvalidItems publishes the other items when some fail, instead of
	// failing the build.
	SkipInvalidItems bool
	Logger           *slog.Logger
	// Progress, if set, is updated while the build runs.
	Progress *Progress
	// Parquet writes each collection's items as stac-geoparquet
	// (<collection>/items.parquet), with ParquetRowGroup rows per row group
	// (0: geoparquet.DefaultRowGroup).
	Parquet         bool
	ParquetRowGroup int
	// Grids are PROJ's datum grid files (--proj-grids), used by the datum
	// transformations that need them; nil: transformations without grids.
	Grids *crs.Grids
	// Pages, if set, renders an HTML page beside every document, written
	// through the same Sink; each JSON document then links its page
	// (rel "alternate", type text/html).
	Pages *render.Renderer
}

// Progress counts work done so far; safe to read concurrently.
type Progress struct {
	Objects     atomic.Int64 // objects listed
	Items       atomic.Int64 // items written
	ItemsTotal  atomic.Int64 // items found so far
	HeaderReads atomic.Int64 // raster headers read
}

// Stats summarise a finished build.
type Stats struct {
	Collections int
	Items       int
	Objects     int
	HeaderReads int // headers read from the store
	Reused      int // objects whose metadata came from the previous state
	Failed      int // items left out (with SkipInvalidItems)
}

// Result is what Build returns.
type Result struct {
	// Unchanged: nothing was written because the previous build (Options.
	// Previous) had the same configuration and objects; its output stands.
	Unchanged bool
	Stats     Stats
	Warnings  []string
	State     *State
}

// ItemError is one item's failure.
type ItemError struct {
	Collection, Item string
	Err              error
}

func (e *ItemError) Error() string {
	return fmt.Sprintf("collection %s, item %s: %v", e.Collection, e.Item, e.Err)
}

func (e *ItemError) Unwrap() error { return e.Err }

// BuildError lists every item that failed.
type BuildError struct{ Items []*ItemError }

// Unwrap gives the items' errors to errors.Is and errors.As.
func (e *BuildError) Unwrap() []error {
	out := make([]error, len(e.Items))
	for i, it := range e.Items {
		out[i] = it
	}
	return out
}

func (e *BuildError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d item(s) failed:", len(e.Items))
	for i, it := range e.Items {
		if i == 50 {
			fmt.Fprintf(&b, "\n  … and %d more", len(e.Items)-50)
			break
		}
		b.WriteString("\n  - " + it.Error())
	}
	return b.String()
}

// Build lists every collection's source, builds and checks all documents and
// writes them to sink. sources maps collection ids to their Source.
func Build(ctx context.Context, cfg *config.Config, sources map[string]source.Source, sink Sink, opts Options) (*Result, error) {
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Progress == nil {
		opts.Progress = &Progress{}
	}
	if opts.Check == nil {
		opts.Check = func(string, []byte) error { return nil }
	}
	b := &builder{cfg: cfg, opts: opts, sink: sink,
		state: &State{Version: StateVersion, Collections: map[string]map[string]*ObjectMeta{}, Listings: map[string]string{}}}
	b.state.Config = configDigest(cfg, opts)
	res := &Result{State: b.state}

	// Phase 1: list every collection.
	listed := make([]*listing, len(cfg.Collections))
	for i := range cfg.Collections {
		c := &cfg.Collections[i]
		src := sources[c.ID]
		if src == nil {
			return nil, fmt.Errorf("collection %s: no source", c.ID)
		}
		l, err := b.list(ctx, c, src)
		if err != nil {
			return nil, fmt.Errorf("collection %s (%s): %w", c.ID, src, err)
		}
		listed[i] = l
		b.state.Listings[c.ID] = l.digest
		res.Stats.Objects += l.objects
	}
	if b.unchanged() {
		res.Unchanged = true
		res.State = b.opts.Previous
		res.Stats.Collections = len(cfg.Collections)
		res.Stats.Items = b.opts.Previous.Items
		res.Stats.Reused = res.Stats.Objects
		return res, nil
	}

	// Phase 2: items, collections, root.
	var children []stac.Link
	var cards []render.Card
	var failed []*ItemError
	for i := range cfg.Collections {
		c := &cfg.Collections[i]
		cr, err := b.collection(ctx, c, sources[c.ID], listed[i])
		listed[i] = nil
		if err != nil {
			return nil, fmt.Errorf("collection %s (%s): %w", c.ID, sources[c.ID], err)
		}
		res.Stats.Collections++
		res.Stats.Items += cr.items
		res.Warnings = append(res.Warnings, cr.warnings...)
		failed = append(failed, cr.failed...)
		children = append(children, stac.Link{Rel: "child", Href: "./" + c.ID + "/collection.json", Type: stac.MediaJSON, Title: title(c.Title, c.ID)})
		if cr.card != nil {
			cards = append(cards, *cr.card)
		}
	}
	b.state.Items = res.Stats.Items
	b.state.Failed = len(failed)
	res.Stats.HeaderReads = int(opts.Progress.HeaderReads.Load())
	res.Stats.Reused = int(b.reused.Load())
	res.Stats.Failed = len(failed)
	if len(failed) > 0 && !opts.SkipInvalidItems {
		return res, &BuildError{Items: failed}
	}
	for _, f := range failed {
		res.Warnings = append(res.Warnings, "left out: "+f.Error())
	}
	root := b.rootCatalog(children)
	if _, err := b.emit("catalog.json", root); err != nil {
		return res, fmt.Errorf("catalog.json: %w", err)
	}
	if opts.Pages != nil {
		if err := opts.Pages.Catalog(sink, "catalog.json", root, cards); err != nil {
			return res, err
		}
	}
	return res, nil
}

type builder struct {
	cfg     *config.Config
	opts    Options
	sink    Sink
	state   *State
	stateMu sync.Mutex
	reused  atomic.Int64
}

// emit encodes, checks and writes one document, and returns its bytes.
func (b *builder) emit(rel string, doc any) ([]byte, error) {
	data, err := b.encode(rel, doc)
	if err != nil {
		return nil, err
	}
	return data, b.sink.WriteFile(rel, data)
}

// encode encodes and checks one document.
func (b *builder) encode(rel string, doc any) ([]byte, error) {
	data, err := stac.Encode(doc)
	if err != nil {
		return nil, err
	}
	if err := b.opts.Check(rel, data); err != nil {
		return nil, err
	}
	return data, nil
}

// writeParquet writes the collection's items as stac-geoparquet beside
// collection.json and adds the file to the collection as an asset (role
// collection-mirror), as the stac-geoparquet specification describes.
func (b *builder) writeParquet(c *config.Collection, coll *stac.Collection, w *geoparquet.Writer) error {
	coll.Assets = map[string]*stac.Asset{"items": {
		Href: "./" + geoparquet.File, Type: geoparquet.MediaType, Roles: []string{"collection-mirror"},
		Title:       "All items (stac-geoparquet)",
		Description: fmt.Sprintf("Every item of this collection, one row each (stac-geoparquet %s, GeoParquet 1.1), sorted by month then along a Hilbert curve, in row groups of %d items with min/max statistics: readable with range requests by DuckDB, GeoPandas, rustac or a browser.", geoparquet.Version, w.RowGroup()),
	}}
	data, err := w.Bytes(coll)
	if err != nil {
		return fmt.Errorf("collection %s: %w", c.ID, err)
	}
	return b.sink.WriteFile(c.ID+"/"+geoparquet.File, data)
}

// pageContext is what the pages of a collection know of their parents.
func (b *builder) pageContext(c *config.Collection) render.Context {
	return render.Context{CatalogTitle: title(b.cfg.Catalog.Title, b.cfg.Catalog.ID), CollectionTitle: title(c.Title, c.ID)}
}

// htmlLink is the link from a JSON document to its page.
var htmlLink = stac.Link{Rel: "alternate", Href: "./index.html", Type: stac.MediaHTML, Title: "HTML page"}

func (b *builder) rootCatalog(children []stac.Link) *stac.Catalog {
	cat := &stac.Catalog{
		Type: "Catalog", StacVersion: stac.Version, StacExtensions: []string{},
		ID: b.cfg.Catalog.ID, Title: b.cfg.Catalog.Title, Description: b.cfg.Catalog.Description,
	}
	cat.Links = append(cat.Links, stac.Link{Rel: "root", Href: "./catalog.json", Type: stac.MediaJSON, Title: title(cat.Title, cat.ID)})
	if b.opts.BaseURL != "" {
		cat.Links = append(cat.Links, stac.Link{Rel: "self", Href: strings.TrimSuffix(b.opts.BaseURL, "/") + "/catalog.json", Type: stac.MediaJSON})
	}
	if b.opts.Pages != nil {
		cat.Links = append(cat.Links, htmlLink)
	}
	cat.Links = append(cat.Links, children...)
	if s := b.authSchemes(); s != nil {
		cat.Extra = map[string]any{"auth:schemes": s}
		cat.StacExtensions = []string{stac.ExtAuth}
	}
	return cat
}

// authSchemes advertises the signer (Authentication extension v1.1.0).
func (b *builder) authSchemes() map[string]any {
	s := b.cfg.Signer
	if s == nil {
		return nil
	}
	base := strings.TrimSuffix(s.URL, "/")
	schemes := map[string]any{
		"signer": map[string]any{
			"type":        "signedUrl",
			"description": "Exchange an OpenID Connect bearer token for a short-lived presigned URL of the asset.",
			"flows": map[string]any{
				"authorizationCode": map[string]any{
					"authorizationApi": base + "/sign",
					"method":           "GET",
					"parameters": map[string]any{
						"href":     map[string]any{"in": "query", "required": true, "description": "The asset href to sign."},
						"duration": map[string]any{"in": "query", "required": false, "description": "Lifetime of the signed URL in seconds."},
					},
					"responseField": "href",
				},
			},
		},
	}
	if s.Issuer != "" {
		schemes["oidc"] = map[string]any{
			"type":             "openIdConnect",
			"description":      "Identity provider whose tokens the signer accepts.",
			"openIdConnectUrl": strings.TrimSuffix(s.Issuer, "/") + "/.well-known/openid-configuration",
		}
	}
	return schemes
}

func title(t, id string) string {
	if t != "" {
		return t
	}
	return id
}

// collectionResult is what building one collection produced.
type collectionResult struct {
	items    int
	warnings []string
	failed   []*ItemError
	card     *render.Card // with Options.Pages
}

// listing is a collection's listed objects, grouped into items.
type listing struct {
	groups  []*group
	dups    []*ItemError
	objects int
	digest  string // of every (key, fingerprint), for the no-change check
}

func (b *builder) list(ctx context.Context, c *config.Collection, src source.Source) (*listing, error) {
	g := newGrouper(c)
	var sum [4]uint64 // order-independent digest: lane-wise sum of per-object hashes
	n := 0
	err := src.List(ctx, func(o source.Object) error {
		b.opts.Progress.Objects.Add(1)
		h := sha256.Sum256([]byte(o.Key + "\x00" + o.Fingerprint()))
		for i := range sum {
			sum[i] += binary.LittleEndian.Uint64(h[8*i:])
		}
		n++
		g.add(o)
		return nil
	})
	if err != nil {
		return nil, err
	}
	groups, dups := g.groups()
	b.opts.Progress.ItemsTotal.Add(int64(len(groups)))
	return &listing{groups: groups, dups: dups, objects: n, digest: fmt.Sprintf("%d:%016x%016x%016x%016x", n, sum[0], sum[1], sum[2], sum[3])}, nil
}

// unchanged reports whether the previous build had the same configuration
// and exactly the same objects, and left no item out: its output is then
// what this build would write, byte for byte.
func (b *builder) unchanged() bool {
	p := b.opts.Previous
	if p == nil || p.Failed > 0 || p.Config != b.state.Config || len(p.Listings) != len(b.state.Listings) {
		return false
	}
	for id, d := range b.state.Listings {
		if p.Listings[id] != d {
			return false
		}
	}
	return true
}

// configDigest identifies everything besides the objects that shapes the
// output.
func configDigest(cfg *config.Config, opts Options) string {
	raw, _ := json.Marshal(struct {
		Config      *config.Config
		BaseURL     string
		Version     string
		State       int
		SkipInvalid bool
		Pages       string // digest of the templates and static files; "" without pages
		Parquet     int    // row group size; 0 without parquet
		Grids       string // --proj-grids folder and the grid formats read; "" without
	}{cfg, opts.BaseURL, opts.Version, StateVersion, opts.SkipInvalidItems, pagesDigest(opts.Pages), parquetDigest(opts), gridsDigest(opts.Grids)})
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// gridsDigest names the grid folder and the formats read from it (NTv2
// always; PROJ's GeoTIFF grids when their loader is registered): a change
// in either changes footprints.
func gridsDigest(g *crs.Grids) string {
	if g == nil {
		return ""
	}
	exts := []string{".gsb"}
	for ext := range g.Loaders {
		exts = append(exts, ext)
	}
	sort.Strings(exts)
	return g.Dir() + " " + strings.Join(exts, ",")
}

func parquetDigest(o Options) int {
	switch {
	case !o.Parquet:
		return 0
	case o.ParquetRowGroup > 0:
		return o.ParquetRowGroup
	}
	return geoparquet.DefaultRowGroup
}

func pagesDigest(r *render.Renderer) string {
	if r == nil {
		return ""
	}
	return r.Digest()
}

func (b *builder) collection(ctx context.Context, c *config.Collection, src source.Source, l *listing) (*collectionResult, error) {
	groups, dupErrs := l.groups, l.dups
	prev := map[string]*ObjectMeta{}
	if b.opts.Previous != nil {
		prev = b.opts.Previous.Collections[c.ID]
	}
	var cur map[string]*ObjectMeta // filled only for the next incremental build
	if b.opts.KeepState {
		cur = make(map[string]*ObjectMeta, l.objects)
		b.state.Collections[c.ID] = cur
	}

	ib := &itemBuilder{b: b, c: c, src: src, prev: prev, cur: cur}
	if b.opts.Parquet {
		w, err := geoparquet.NewWriter(b.opts.ParquetRowGroup)
		if err != nil {
			return nil, err
		}
		defer w.Close()
		ib.parquet = w
	}
	agg := newAggregate()
	errs := make([]*ItemError, len(groups))
	var warnMu sync.Mutex
	var warnings []string
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(b.opts.Concurrency, max(len(groups), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				id := groups[i].id
				s, w, err := ib.safeBuild(ctx, groups[i])
				groups[i] = nil // the objects are no longer needed
				if err != nil {
					errs[i] = &ItemError{Collection: c.ID, Item: id, Err: err}
					continue
				}
				agg.add(s)
				b.opts.Progress.Items.Add(1)
				if len(w) > 0 {
					warnMu.Lock()
					warnings = append(warnings, w...)
					warnMu.Unlock()
				}
			}
		}()
	}
feed:
	for i := range groups {
		select {
		case work <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res := &collectionResult{failed: dupErrs}
	for _, e := range errs {
		if e != nil {
			if errors.Is(e.Err, context.Canceled) {
				return nil, e.Err
			}
			res.failed = append(res.failed, e)
		}
	}
	sort.Strings(warnings)
	res.warnings = warnings
	res.items = len(agg.links)
	coll := b.buildCollection(c, agg)
	if ib.parquet != nil {
		if err := b.writeParquet(c, coll, ib.parquet); err != nil {
			return nil, err
		}
	}
	rel := c.ID + "/collection.json"
	if _, err := b.emit(rel, coll); err != nil {
		return nil, fmt.Errorf("collection.json: %w", err)
	}
	if b.opts.Pages != nil {
		card, err := b.opts.Pages.Collection(b.sink, rel, coll, agg.rows, b.pageContext(c))
		if err != nil {
			return nil, err
		}
		res.card = &card
	}
	return res, nil
}

// group is the set of objects that becomes one item.
type group struct {
	id      string
	folder  string // common folder of the objects ("" at the root)
	objects []source.Object
	vars    map[string]string // named groups of items.pattern
	assets  map[string]string // object key → asset key from the (?P<asset>) group
}

type grouper struct {
	c      *config.Collection
	byID   map[string]*group
	origin map[string]string // item id → first folder (to report duplicates)
	dups   map[string][]string
}

func newGrouper(c *config.Collection) *grouper {
	return &grouper{c: c, byID: map[string]*group{}, origin: map[string]string{}, dups: map[string][]string{}}
}

func (g *grouper) add(o source.Object) {
	re := g.c.Pattern()
	var vars map[string]string
	if re != nil {
		if m := re.FindStringSubmatch(o.Key); m != nil {
			vars = map[string]string{}
			for i, name := range re.SubexpNames() {
				if name != "" && m[i] != "" {
					vars[name] = m[i]
				}
			}
		} else if g.c.Items.GroupBy == config.GroupByPattern {
			return // not part of any item
		}
	}
	folder := path.Dir(o.Key)
	if folder == "." {
		folder = ""
	}
	var id string
	switch {
	case vars["id"] != "":
		id = vars["id"]
	case folder == "":
		id = stem(path.Base(o.Key))
	default:
		id = path.Base(folder)
	}
	grp := g.byID[id]
	if grp == nil {
		grp = &group{id: id, folder: folder, assets: map[string]string{}}
		g.byID[id] = grp
		g.origin[id] = folder
	} else if g.c.Items.GroupBy != config.GroupByPattern && g.origin[id] != folder {
		g.dups[id] = append(g.dups[id], folder)
		return
	} else if grp.folder != folder {
		grp.folder = commonDir(grp.folder, folder)
	}
	grp.objects = append(grp.objects, o)
	if vars != nil {
		if grp.vars == nil {
			grp.vars = vars
		}
		if a := vars["asset"]; a != "" {
			grp.assets[o.Key] = a
		}
	}
}

// groups returns the groups sorted by id, and one error per duplicated id.
func (g *grouper) groups() ([]*group, []*ItemError) {
	out := make([]*group, 0, len(g.byID))
	var errs []*ItemError
	for id, grp := range g.byID {
		sort.Slice(grp.objects, func(i, j int) bool { return grp.objects[i].Key < grp.objects[j].Key })
		if d := g.dups[id]; len(d) > 0 {
			errs = append(errs, &ItemError{Collection: g.c.ID, Item: id, Err: fmt.Errorf("the same item id comes from folders %q and %q; use items.pattern with an (?P<id>...) group to make ids unique", g.origin[id], d[0])})
			continue
		}
		out = append(out, grp)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	sort.Slice(errs, func(i, j int) bool { return errs[i].Item < errs[j].Item })
	return out, errs
}

func commonDir(a, b string) string {
	for a != b {
		if len(a) > len(b) {
			a = parentDir(a)
		} else {
			b = parentDir(b)
		}
	}
	return a
}

func parentDir(p string) string {
	d := path.Dir(p)
	if d == "." {
		return ""
	}
	return d
}

func stem(name string) string {
	return strings.TrimSuffix(name, path.Ext(name))
}
