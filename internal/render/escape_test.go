package render_test

import (
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"gitlab.com/eocat/eocat/internal/render"
	"gitlab.com/eocat/eocat/internal/serve"
	"gitlab.com/eocat/eocat/internal/stac"
	"gitlab.com/eocat/eocat/internal/testenv"
)

// Hostile values as they could come from object keys, sidecars, the
// configuration or Markdown. Each tries to run alert(); none may.
var hostile = []string{
	`<script>alert(1)</script>`,
	`"><img src=x onerror=alert(2)>`,
	`'><svg onload=alert(3)>`,
	`</script><script>alert(4)</script>`,
	`javascript:alert(5)`,
	`JaVaScRiPt:alert(6)`,
	"java\tscript:alert(7)",
	`data:text/html,<script>alert(8)</script>`,
	`{{.}} ${alert(9)} \u003c`,
	`מוצר לווייני – قمر صناعي`, // RTL
	`🛰️ Sentinel 🌍`,
}

// HostileDocs returns an item, a collection and a catalog with a hostile
// value in every field a page shows.
func hostileDocs() (*stac.Item, *stac.Collection, *stac.Catalog) {
	props := map[string]any{"datetime": "2024-06-15T10:36:29Z", "title": strings.Join(hostile, " | ")}
	assets := map[string]*stac.Asset{}
	for i, h := range hostile {
		props["x:"+h] = h
		props[h] = []any{h, float64(i)}
		assets[h] = &stac.Asset{Href: h, Title: h, Description: h, Type: h, Roles: []string{h, "thumbnail"},
			Extra: map[string]any{"bands": []any{map[string]any{"name": h, "eo:common_name": h}}}}
	}
	assets["ok"] = &stac.Asset{Href: "https://data.example.org/a.tif?x=\"'<>", Type: stac.MediaCOG, Title: "fine"}
	it := &stac.Item{ID: hostile[3], Collection: "c", Properties: props, Assets: assets, BBox: []float64{1, 2, 3, 4},
		Links: []stac.Link{{Rel: "license", Href: hostile[4], Title: hostile[1]}, {Rel: "via", Href: "https://example.org/?q=<x>", Title: hostile[0]}}}
	md := "# " + hostile[0] + "\n\n" + strings.Join(hostile, "\n\n") +
		"\n\n[click](javascript:alert(10)) [ok](https://example.org) ![img](javascript:alert(11))\n\n<iframe src=x></iframe>\n\n<a href=\"javascript:alert(12)\">raw</a>"
	c := &stac.Collection{ID: "c", Title: hostile[3], Description: md, License: hostile[1], Keywords: hostile,
		Providers:  []stac.Provider{{Name: hostile[0], URL: hostile[4], Roles: []string{hostile[2]}, Description: hostile[1]}},
		Summaries:  map[string]any{hostile[0]: []string{hostile[1], hostile[2]}, "gsd": map[string]any{"minimum": 10.0, "maximum": 60.0}},
		ItemAssets: map[string]map[string]any{hostile[1]: {"title": hostile[0], "type": hostile[2], "roles": []any{hostile[3]}}},
		Links:      []stac.Link{{Rel: "license", Href: hostile[5], Title: hostile[0]}},
	}
	iv := "2024-01-01T00:00:00Z"
	c.Extent = stac.Extent{Spatial: stac.SpatialExtent{BBox: [][]float64{{1, 2, 3, 4}}}, Temporal: stac.TemporalExtent{Interval: [][]*string{{&iv, nil}}}}
	cat := &stac.Catalog{ID: "cat", Title: hostile[3] + hostile[0], Description: md}
	return it, c, cat
}

// RenderHostile writes the three pages of hostileDocs with w.
func renderHostile(t *testing.T, r *render.Renderer, w render.Writer) {
	t.Helper()
	it, c, cat := hostileDocs()
	ctx := render.Context{CatalogTitle: cat.Title, CollectionTitle: c.Title}
	row, err := r.Item(w, "c/item/item.json", it, ctx)
	if err != nil {
		t.Fatal(err)
	}
	card, err := r.Collection(w, "c/collection.json", c, []render.Row{row}, ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Catalog(w, "catalog.json", cat, []render.Card{card}); err != nil {
		t.Fatal(err)
	}
}

var (
	tagRe       = regexp.MustCompile(`<[a-zA-Z][^>]*>`)
	handlerRe   = regexp.MustCompile(`\son[a-z]+\s*=`)
	quotedRe    = regexp.MustCompile(`"[^"]*"`)
	urlAttrRe   = regexp.MustCompile(`\s(?:href|src|action|formaction|data)="([^"]*)"`)
	scriptTagRe = regexp.MustCompile(`<script[^>]*>`)
)

func TestHostileValuesAreEscapedForTheirContext(t *testing.T) {
	sink := &memSink{}
	renderHostile(t, newRenderer(t, render.Options{BaseURL: "https://eocat.example.org/"}), sink)
	for _, rel := range []string{"c/item/index.html", "c/index.html", "index.html"} {
		page := sink.page(t, rel)
		for _, tag := range tagRe.FindAllString(page, -1) {
			// An attribute name outside every quoted value: values may hold
			// any text, escaped.
			if handlerRe.MatchString(quotedRe.ReplaceAllString(tag, `""`)) {
				t.Errorf("%s: event handler attribute in %s", rel, tag)
			}
			for _, m := range urlAttrRe.FindAllStringSubmatch(tag, -1) {
				u := strings.ToLower(strings.Join(strings.Fields(strings.NewReplacer("&#9;", "", "&#10;", "", "&#13;", "").Replace(m[1])), ""))
				if strings.HasPrefix(u, "javascript") || strings.HasPrefix(u, "java&#9;script") || strings.HasPrefix(u, "data:") || strings.HasPrefix(u, "vbscript") {
					t.Errorf("%s: dangerous URL in %s", rel, tag)
				}
			}
		}
		// Only our own script elements: the module, Leaflet, JSON data blocks.
		for _, tag := range scriptTagRe.FindAllString(page, -1) {
			switch {
			case strings.HasPrefix(tag, `<script type="module" src="`), strings.HasPrefix(tag, `<script src="`) && strings.Contains(tag, "vendor/leaflet/leaflet.js"),
				tag == `<script type="application/ld+json">`, tag == `<script type="application/json" id="eocat-config">`, tag == `<script type="application/json" id="eocat-geo">`:
			default:
				t.Errorf("%s: unexpected script element %s", rel, tag)
			}
		}
		if n := strings.Count(strings.ToLower(page), "</script"); n != len(scriptTagRe.FindAllString(page, -1)) {
			t.Errorf("%s: %d closing script tags for %d script elements: a value closed a data block", rel, n, len(scriptTagRe.FindAllString(page, -1)))
		}
		for _, raw := range []string{"<iframe", "<svg onload", "<img src=x"} {
			if strings.Contains(page, raw) {
				t.Errorf("%s: raw markup %q reached the page", rel, raw)
			}
		}
		// Text that is not markup arrives intact, for readers.
		for _, h := range []string{hostile[9], hostile[10]} {
			if !strings.Contains(page, h) {
				t.Errorf("%s: lost %q", rel, h)
			}
		}
		// The JSON-LD still parses, with the hostile strings as data.
		ld := checkJSONLD(t, rel, page)
		if ld != nil && !strings.Contains(ld["name"].(string)+ld["description"].(string), "</script>") {
			t.Errorf("%s: the JSON-LD lost the value containing </script>: %v", rel, ld["name"])
		}
	}
	item := sink.page(t, "c/item/index.html")
	// Hostile hrefs stay visible as text (to be copied), never as links.
	if !strings.Contains(item, `<code id="asset-`) || !strings.Contains(item, `javascript:alert(5)</code>`) {
		t.Error("a javascript: href is not shown as text")
	}
	if !strings.Contains(item, `<a href="https://data.example.org/a.tif?x=%22%27%3C%3E"`) {
		t.Error("a safe href with quotes is not a (percent-encoded) link")
	}
	coll := sink.page(t, "c/index.html")
	if !strings.Contains(coll, `<a href="https://example.org">ok</a>`) || strings.Contains(coll, `alert(10)"`) || strings.Contains(coll, "<a href=\"javascript") {
		t.Error("Markdown links: safe kept, javascript: dropped")
	}
	if !strings.Contains(coll, "<!-- raw HTML omitted -->") {
		t.Error("raw HTML in Markdown must be omitted")
	}
}

// TestHostilePagesRunNoScriptInChromium loads the hostile pages in a real
// browser, first as published (with their CSP), then with the CSP bypassed
// so that escaping alone must hold: any payload that became markup would
// call alert(), which the tab records as a dialog.
func TestHostilePagesRunNoScriptInChromium(t *testing.T) {
	browserCtx := testenv.StartChromium(t)
	dir := t.TempDir()
	renderHostile(t, newRenderer(t, render.Options{}), testenv.DirWriter(dir))
	h, err := serve.Handler(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, bypass := range []bool{false, true} {
		tab := testenv.NewTab(t, browserCtx)
		testenv.Call(t, tab, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: bypass})
		for _, p := range []string{"index.html", "c/index.html", "c/item/index.html"} {
			tab.Open(t, srv.URL+"/"+p)
			// Let the page's own scripts run (copy buttons, map).
			if err := chromedp.Do(tab.Ctx, chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
				t.Fatal(err)
			}
			title := testenv.Eval[string](t, tab, `document.querySelector("h1").textContent`)
			if p != "c/item/index.html" && !strings.Contains(title, "</script>") {
				t.Errorf("%s: the title lost its text: %q", p, title)
			}
			for _, prob := range tab.Problems() {
				// Only hostile hrefs that point nowhere may fail to load
				// (as images, they would have been blocked, not requested).
				if !strings.Contains(prob, "Content Security Policy") && !strings.HasPrefix(prob, "HTTP 404") {
					t.Errorf("%s (bypass CSP %v): %s", p, bypass, prob)
				}
				if strings.Contains(prob, "Content Security Policy") {
					t.Errorf("%s: a hostile value reached a place the CSP had to block: %s", p, prob)
				}
			}
		}
		if d := tab.Dialogs(); len(d) > 0 {
			t.Errorf("bypass CSP %v: a hostile value ran as script: %v", bypass, d)
		}
	}
}
