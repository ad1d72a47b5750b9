package render_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"gitlab.com/eocat/eocat/internal/catalog"
	"gitlab.com/eocat/eocat/internal/config"
	"gitlab.com/eocat/eocat/internal/crs"
	"gitlab.com/eocat/eocat/internal/render"
	"gitlab.com/eocat/eocat/internal/source"
	"gitlab.com/eocat/eocat/internal/stac"
	"gitlab.com/eocat/eocat/internal/testenv"
	"gitlab.com/eocat/eocat/site"
	"gitlab.com/eocat/eocat/templates"
)

var update = flag.Bool("update", false, "rewrite the golden pages in testdata/golden")

// memSink keeps the output in memory.
type memSink struct {
	mu    sync.Mutex
	files map[string][]byte
}

func (m *memSink) WriteFile(rel string, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.files == nil {
		m.files = map[string][]byte{}
	}
	m.files[rel] = bytes.Clone(data)
	return nil
}

func (m *memSink) CopyFile(rel string, r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	return m.WriteFile(rel, data)
}

func (m *memSink) page(t *testing.T, rel string) string {
	t.Helper()
	data, ok := m.files[rel]
	if !ok {
		t.Fatalf("no %s in the output", rel)
	}
	return string(data)
}

// discardSink drops the pages.
type discardSink struct{}

func (discardSink) WriteFile(string, []byte) error { return nil }

func staticFS(t testing.TB) fs.FS {
	t.Helper()
	s, err := fs.Sub(site.FS, "static")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newRenderer(t testing.TB, o render.Options) *render.Renderer {
	t.Helper()
	if o.Templates == nil {
		o.Templates = templates.FS
	}
	if o.Site == nil {
		o.Site = staticFS(t)
	}
	if o.Generator == "" {
		o.Generator = "stacgen test"
	}
	r, err := render.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// buildQuickstart builds the quickstart catalog with pages into memory.
func buildQuickstart(t testing.TB, r *render.Renderer) *memSink {
	t.Helper()
	cfg, err := config.Load(filepath.Join(testenv.RepoRoot(), "examples", "quickstart", "stacgen.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	srcs := map[string]source.Source{}
	for i := range cfg.Collections {
		c := &cfg.Collections[i]
		s, err := source.NewLocal(cfg.LocalPath(c), c.HrefBase)
		if err != nil {
			t.Fatal(err)
		}
		srcs[c.ID] = s
	}
	sink := &memSink{}
	if _, err := catalog.Build(context.Background(), cfg, srcs, sink, catalog.Options{Pages: r, Parquet: true}); err != nil {
		t.Fatal(err)
	}
	return sink
}

const s2Item = "S2B_MSIL2A_20240615T103629_N0510_R008_T31TEJ_20240615T135412"

func TestGoldenQuickstartPages(t *testing.T) {
	sink := buildQuickstart(t, newRenderer(t, render.Options{BaseURL: "https://eocat.example.org/demo/"}))
	for rel, golden := range map[string]string{
		"index.html":                                     "catalog.html",
		"sentinel-2-l2a/index.html":                      "collection.html",
		"sentinel-2-l2a/" + s2Item + "/index.html":       "item.html",
		"404.html":                                       "404.html",
		"spot-6-7-ortho/SPOT6_2023-07-12_PMS/index.html": "item-spot.html",
	} {
		got := sink.page(t, rel)
		path := filepath.Join("testdata", "golden", golden)
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./internal/render -run Golden -update)", err)
		}
		if got != string(want) {
			t.Errorf("%s differs from %s (go test ./internal/render -run Golden -update rewrites it after review):\n%s", rel, path, testenv.FirstDiff(string(want), got))
		}
	}
}

// TestQuickstartPageContent asserts what a reader needs on each page kind,
// independently of the golden files.
func TestQuickstartPageContent(t *testing.T) {
	sink := buildQuickstart(t, newRenderer(t, render.Options{}))
	root := sink.page(t, "index.html")
	item := sink.page(t, "sentinel-2-l2a/"+s2Item+"/index.html")
	coll := sink.page(t, "sentinel-2-l2a/index.html")
	for _, c := range []struct {
		name, page string
		want       []string
	}{
		{"root", root, []string{
			`<h1>eocat quickstart catalog</h1>`,
			`<a href="sentinel-2-l2a/index.html">Sentinel-2 Level-2A (samples)</a>`,
			`<dt>Items</dt><dd>3</dd>`, `<dt>Licence</dt><dd>CC-BY-SA-3.0-IGO</dd>`,
			`<dt>Providers</dt><dd>ESA, eocat quickstart</dd>`,
			`<link rel="alternate" type="application/json" href="catalog.json"`,
			`"@type":"DataCatalog"`,
		}},
		{"collection", coll, []string{
			`<a href="https://spdx.org/licenses/CC-BY-SA-3.0-IGO.html" rel="license">CC-BY-SA-3.0-IGO</a>`,
			`<strong>When:</strong> 15 June 2024 to 12 July 2024`,
			`Items <span class="count">1–3 of 3, newest first</span>`,
			`<th scope="row" title="gsd">Ground sample distance</th><td>10 m</td>`,
			`<th scope="row" title="eo:cloud_cover">Cloud cover</th><td>`,
			`B04 (red, 0.665 µm, uint16)`,
			`"@type":"Dataset"`, `"temporalCoverage":"2024-06-15T10:36:29.024Z/2024-07-12T13:02:51.024Z"`,
			`<link rel="alternate" type="application/json" href="collection.json"`,
			`<a href="./items.parquet" id="asset-1-href">All items (stac-geoparquet)</a> <span class="title">(Parquet)</span>`,
			`FROM read_parquet(&#39;./items.parquet&#39;)`, `data-relative="[&#34;./items.parquet&#34;]"`,
		}},
		{"item", item, []string{
			`<h1>` + s2Item + `</h1>`,
			`<time>15 June 2024, 10:36:29.024 UTC</time>`,
			`<td>EPSG:32631 (WGS 84 / UTM zone 31N)</td>`,
			`<td>3.17 %</td>`, `<td>10 m</td>`,
			`<img src="./preview.png" alt="Preview of ` + s2Item + `"`,
			`<a href="./B02.tif" id="asset-1-href">Download</a>`,
			`B02 (blue, 0.49 µm, uint16)`,
			"gdalinfo &#39;/vsicurl/./B02.tif&#39;\ngdalinfo &#39;/vsicurl/./B03.tif&#39;",
			"curl -fL -o &#39;B02.tif&#39; &#39;./B02.tif&#39;\ncurl -fL -o &#39;B03.tif&#39; &#39;./B03.tif&#39;",
			`(&#34;B02.tif&#34;, &#34;./B02.tif&#34;),`,
			`data-relative="[&#34;./B02.tif&#34;,&#34;./B03.tif&#34;`,
			`<link rel="alternate" type="application/geo+json" href="` + s2Item + `.json"`,
			`<a href="../index.html">Sentinel-2 Level-2A (samples)</a>`,
			`<a href="../../index.html">eocat quickstart catalog</a>`,
			`<link rel="stylesheet" href="../../_static/eocat.css">`,
			`<script type="module" src="../../_static/eocat.js"></script>`,
			`<svg viewBox=`, `<figcaption>Footprint of ` + s2Item + `: 43.26°N to 44.25°N, 3.00°E to 4.37°E</figcaption>`,
		}},
	} {
		for _, w := range c.want {
			if !strings.Contains(c.page, w) {
				t.Errorf("%s page lacks %s", c.name, w)
			}
		}
		if !strings.Contains(c.page, `<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; script-src &#39;self&#39;; style-src &#39;self&#39;;`) {
			t.Errorf("%s page: no strict CSP", c.name)
		}
		if regexp.MustCompile(`<script>|<script type="text/javascript">| on[a-z]+="`).MatchString(c.page) {
			t.Errorf("%s page has an inline script or event handler", c.name)
		}
		checkJSONLD(t, c.name, c.page)
	}
	// Every document links its page.
	for _, rel := range []string{"catalog.json", "sentinel-2-l2a/collection.json", "sentinel-2-l2a/" + s2Item + "/" + s2Item + ".json"} {
		if !strings.Contains(sink.page(t, rel), `"rel": "alternate",
      "href": "./index.html",
      "type": "text/html"`) {
			t.Errorf("%s does not link its HTML page", rel)
		}
	}
	for _, f := range []string{"_static/eocat.css", "_static/eocat.js", "_static/map.js", "_static/vendor/leaflet/leaflet.js", "_static/vendor/leaflet/LICENSE", "404.html"} {
		sink.page(t, f)
	}
}

var jsonLD = regexp.MustCompile(`(?s)<script type="application/ld\+json">(.*?)</script>`)

// checkJSONLD parses the page's JSON-LD block and returns it.
func checkJSONLD(t *testing.T, name, page string) map[string]any {
	t.Helper()
	m := jsonLD.FindStringSubmatch(page)
	if m == nil {
		t.Errorf("%s: no JSON-LD", name)
		return nil
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(m[1]), &v); err != nil {
		t.Errorf("%s: JSON-LD does not parse: %v\n%s", name, err, m[1])
		return nil
	}
	if v["@context"] != "https://schema.org" || v["name"] == nil || v["description"] == nil {
		t.Errorf("%s: JSON-LD lacks @context/name/description: %v", name, v)
	}
	return v
}

func TestNewListsEveryMissingFileAndOverlaysReplaceOneFile(t *testing.T) {
	tfs := fstest.MapFS{"layout.html": {Data: []byte(`{{define "layout"}}{{end}}`)}}
	_, err := render.New(render.Options{Templates: tfs, Site: fstest.MapFS{}})
	for _, want := range []string{"template partials.html", "template item.html", "template 404.html", "site file eocat.css", "site file vendor/leaflet/leaflet.js"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	// A data centre's item template replaces the embedded one; the others stay.
	top := fstest.MapFS{"item.html": {Data: []byte(`{{define "content"}}<p class="custom">{{.ID}} from our centre</p>{{end}}`)}}
	r := newRenderer(t, render.Options{Templates: render.Overlay(top, templates.FS)})
	sink := buildQuickstart(t, r)
	if p := sink.page(t, "sentinel-2-l2a/"+s2Item+"/index.html"); !strings.Contains(p, `<p class="custom">`+s2Item+` from our centre</p>`) || !strings.Contains(p, `<nav class="crumbs"`) {
		t.Errorf("overlaid item template not used with the embedded layout:\n%s", p)
	}
	if p := sink.page(t, "sentinel-2-l2a/index.html"); !strings.Contains(p, `<table class="list">`) {
		t.Error("the embedded collection template is gone")
	}
	// A broken template fails at start, naming the file.
	bad := fstest.MapFS{"item.html": {Data: []byte(`{{define "content"}}{{.Nope`)}}
	if _, err := render.New(render.Options{Templates: render.Overlay(bad, templates.FS), Site: staticFS(t)}); err == nil || !strings.Contains(err.Error(), "item.html") {
		t.Errorf("broken template: %v", err)
	}
	// The digest follows the files.
	other := newRenderer(t, render.Options{Site: render.Overlay(fstest.MapFS{"eocat.css": {Data: []byte("body{}")}}, staticFS(t))})
	if other.Digest() == newRenderer(t, render.Options{}).Digest() {
		t.Error("the digest ignores a changed stylesheet")
	}
}

func TestBasemapOriginInCSP(t *testing.T) {
	for _, c := range []struct{ url, origin, err string }{
		{"https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org", ""},
		{"https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org", ""},
		{"https://tiles.example.org:8443/wmts/{z}/{x}/{y}.jpg", "https://tiles.example.org:8443", ""},
		{"http://tile.example.org/{z}/{x}/{y}.png", "", "https URL"},
		{"https://a{s}.example.org/{z}/{x}/{y}.png", "", "first label"},
		{"https://user@tiles.example.org/{z}/{x}/{y}.png", "", "invalid host"},
		{"https://tiles.example.org;script-src *;/{z}/{x}/{y}.png", "", "invalid host"},
	} {
		o := render.Options{Templates: templates.FS, Site: staticFS(t), Basemap: &config.Basemap{URL: c.url, Attribution: "© tiles"}}
		r, err := render.New(o)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: %v", c.url, err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		sink := &memSink{}
		it := &stac.Item{ID: "x", Collection: "c", Properties: map[string]any{}, BBox: []float64{1, 2, 3, 4}}
		if _, err := r.Item(sink, "c/x/x.json", it, render.Context{}); err != nil {
			t.Fatal(err)
		}
		page := sink.page(t, "c/x/index.html")
		if !strings.Contains(page, "img-src &#39;self&#39; "+c.origin+";") {
			t.Errorf("%s: CSP lacks %s", c.url, c.origin)
		}
		if !strings.Contains(page, `"basemap":{"url":"`+strings.ReplaceAll(c.url, "&", `\u0026`)+`","attribution":"© tiles"}`) {
			t.Errorf("%s: runtime config lacks the basemap", c.url)
		}
	}
}

func TestCollectionListIsPagedNewestFirst(t *testing.T) {
	r := newRenderer(t, render.Options{PageSize: 10})
	sink := &memSink{}
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var rows []render.Row
	for i := range 25 {
		rows = append(rows, render.Row{ID: "item-" + strconv.Itoa(i), Start: start.Add(time.Duration(i) * time.Hour), BBox: []float64{0, 0, 1, 1}})
	}
	c := &stac.Collection{ID: "c", Title: "C", Description: "d", License: "other"}
	card, err := r.Collection(sink, "c/collection.json", c, rows, render.Context{CatalogTitle: "Cat"})
	if err != nil {
		t.Fatal(err)
	}
	if card.Items != 25 || card.Href != "c/index.html" {
		t.Errorf("card %+v", card)
	}
	p1, p2, p3 := sink.page(t, "c/index.html"), sink.page(t, "c/page-2.html"), sink.page(t, "c/page-3.html")
	if _, ok := sink.files["c/page-4.html"]; ok {
		t.Error("a fourth page for 25 items by 10")
	}
	ids := regexp.MustCompile(`<a href="(item-\d+)/index.html">`)
	var order []string
	for _, p := range []string{p1, p2, p3} {
		for _, m := range ids.FindAllStringSubmatch(p, -1) {
			order = append(order, m[1])
		}
	}
	if len(order) != 25 || order[0] != "item-24" || order[9] != "item-15" || order[10] != "item-14" || order[24] != "item-0" {
		t.Errorf("order %v", order)
	}
	for _, c := range []struct{ page, want string }{
		{p1, `<a href="page-2.html" rel="next">Next ›</a> <a href="page-3.html" rel="last">Last »</a>`},
		{p1, `<span class="where">Page 1 of 3</span>`},
		{p2, `<a href="index.html" rel="first">« First</a> <a href="index.html" rel="prev">‹ Previous</a>`},
		{p2, `<a href="page-3.html" rel="next">`},
		{p3, `<span aria-hidden="true">Next ›</span>`},
		{p3, `21–25 of 25, newest first`},
		{p2, `<title>C — items, page 2 of 3 · Cat</title>`},
	} {
		if !strings.Contains(c.page, c.want) {
			t.Errorf("page lacks %s", c.want)
		}
	}
}

// BenchmarkItemPage renders the quickstart's Sentinel-2 item page (13
// assets' worth of table, snippets, JSON-LD and map data).
func BenchmarkItemPage(b *testing.B) {
	r := newRenderer(b, render.Options{BaseURL: "https://eocat.example.org/"})
	var item stac.Item
	if err := json.Unmarshal(buildQuickstart(b, nil).files["sentinel-2-l2a/"+s2Item+"/"+s2Item+".json"], &item); err != nil {
		b.Fatal(err)
	}
	item.Geometry = asBuilt(b, item.Geometry)
	sink := discardSink{} // a build writes the page to a file: no copy
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Item(sink, "c/x/x.json", &item, render.Context{CatalogTitle: "Cat", CollectionTitle: "Coll"}); err != nil {
			b.Fatal(err)
		}
	}
}

// asBuilt is a decoded GeoJSON Polygon as stacgen builds footprints
// (crs.Geometry with [][][2]float64 rings), the form the build renders.
func asBuilt(tb testing.TB, geom any) *crs.Geometry {
	tb.Helper()
	b, err := json.Marshal(geom)
	if err != nil {
		tb.Fatal(err)
	}
	var g struct {
		Type        string
		Coordinates [][][2]float64
	}
	if err := json.Unmarshal(b, &g); err != nil || g.Type != "Polygon" {
		tb.Fatalf("not a Polygon: %s (%v)", b, err)
	}
	return &crs.Geometry{Type: g.Type, Coordinates: g.Coordinates}
}

// TestSignableAssetKeepsItsHref: the scripts send a signable asset's href,
// as in the JSON, to the signer (data-href); other assets do not carry it.
func TestSignableAssetKeepsItsHref(t *testing.T) {
	r := newRenderer(t, render.Options{Signer: &config.Signer{URL: "https://signer.example.org", Issuer: "https://id.example.org", ClientID: "site"}})
	it := &stac.Item{ID: "x", Properties: map[string]any{"datetime": "2024-06-15T10:36:29Z"}, Assets: map[string]*stac.Asset{
		"a": {Href: "s3://bucket/x/a b.tif", Type: "image/tiff; application=geotiff", Extra: map[string]any{"auth:refs": []any{"signer"}}},
		"b": {Href: "./b.tif", Type: "image/tiff; application=geotiff"},
	}}
	sink := &memSink{}
	if _, err := r.Item(sink, "c/x/x.json", it, render.Context{CatalogTitle: "Cat", CollectionTitle: "Coll"}); err != nil {
		t.Fatal(err)
	}
	page := sink.page(t, "c/x/index.html")
	for _, want := range []string{
		`<code id="asset-1-href" data-href="s3://bucket/x/a b.tif">s3://bucket/x/a b.tif</code>`,
		`data-sign="asset-1"`,
		`<a href="./b.tif" id="asset-2-href">Download</a>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the item page lacks %s", want)
		}
	}
	if n := strings.Count(page, "data-href="); n != 1 {
		t.Errorf("%d data-href attributes, want 1 (the signable asset's)", n)
	}
}
