package main

import (
	"io/fs"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"gitlab.com/eocat/eocat/internal/geoparquet"
	"gitlab.com/eocat/eocat/internal/render"
	"gitlab.com/eocat/eocat/internal/stac"
	"gitlab.com/eocat/eocat/internal/testenv"
	"gitlab.com/eocat/eocat/site"
	"gitlab.com/eocat/eocat/templates"
)

// searchSite writes the collection page, the stac-geoparquet file (row
// groups of rowGroup items, 0 for the default) and the static files of a
// collection of synthetic items (no item pages: the search reads only the
// Parquet file), and returns the folder and the size of the items as JSON.
func searchSite(t testing.TB, items []*stac.Item, rowGroup int) (string, int64) {
	t.Helper()
	dir := t.TempDir()
	var jsonSize int64
	w, err := geoparquet.NewWriter(rowGroup)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var rows []render.Row
	cloud := [2]float64{math.Inf(1), math.Inf(-1)}
	for _, it := range items {
		doc, err := stac.Encode(it)
		if err != nil {
			t.Fatal(err)
		}
		jsonSize += int64(len(doc))
		if err := w.Add(it, doc); err != nil {
			t.Fatal(err)
		}
		if c, ok := it.Properties["eo:cloud_cover"].(float64); ok {
			cloud = [2]float64{math.Min(cloud[0], c), math.Max(cloud[1], c)}
		}
		dt, _ := time.Parse(time.RFC3339Nano, it.Properties["datetime"].(string))
		rows = append(rows, render.Row{ID: it.ID, Start: dt, BBox: it.BBox})
	}
	start, end := "2024-01-01T00:00:00Z", "2024-12-31T23:59:59Z"
	coll := &stac.Collection{Type: "Collection", StacVersion: stac.Version, ID: "s2", Title: "Synthetic Sentinel-2", Description: "Generated items.", License: "CC-BY-4.0",
		Extent: stac.Extent{Spatial: stac.SpatialExtent{BBox: [][]float64{{-180, -90, 180, 90}}}, Temporal: stac.TemporalExtent{Interval: [][]*string{{&start, &end}}}},
		Summaries: map[string]any{"eo:cloud_cover": map[string]any{"minimum": cloud[0], "maximum": cloud[1]}, "platform": []string{"sentinel-2a", "sentinel-2b"},
			"sat:relative_orbit": map[string]any{"minimum": 1.0, "maximum": 143.0}},
		Assets: map[string]*stac.Asset{"items": {Href: "./" + geoparquet.File, Type: geoparquet.MediaType, Roles: []string{"collection-mirror"}, Title: "All items"}},
	}
	data, err := w.Bytes(coll)
	if err != nil {
		t.Fatal(err)
	}
	if err := testenv.DirWriter(dir).WriteFile("s2/"+geoparquet.File, data); err != nil {
		t.Fatal(err)
	}
	static, _ := fs.Sub(site.FS, "static")
	r, err := render.New(render.Options{Templates: templates.FS, Site: static, Generator: "stacgen test"})
	if err != nil {
		t.Fatal(err)
	}
	card, err := r.Collection(testenv.DirWriter(dir), "s2/collection.json", coll, rows, render.Context{CatalogTitle: "Test"})
	if err != nil {
		t.Fatal(err)
	}
	cat := &stac.Catalog{ID: "test", Title: "Test", Description: "t"}
	if err := r.Catalog(testenv.DirWriter(dir), "catalog.json", cat, []render.Card{card}); err != nil {
		t.Fatal(err)
	}
	return dir, jsonSize
}

// searchQuery is one search as a reader types it, and the Go reference of
// its meaning over the items.
type searchQuery struct {
	name   string
	params url.Values
}

func (q searchQuery) matches(it *stac.Item) bool {
	p := q.params
	dt, _ := time.Parse(time.RFC3339Nano, it.Properties["datetime"].(string))
	if from := p.Get("from"); from != "" {
		t, _ := time.Parse("2006-01-02", from)
		if dt.Before(t) {
			return false
		}
	}
	if to := p.Get("to"); to != "" {
		t, _ := time.Parse("2006-01-02", to)
		if !dt.Before(t.Add(24 * time.Hour)) {
			return false
		}
	}
	if p.Get("west") != "" {
		// The queries are the test's own: well-formed, like the dates above.
		w, _ := strconv.ParseFloat(p.Get("west"), 64)
		s, _ := strconv.ParseFloat(p.Get("south"), 64)
		e, _ := strconv.ParseFloat(p.Get("east"), 64)
		n, _ := strconv.ParseFloat(p.Get("north"), 64)
		b := it.BBox
		if b[1] > n || b[3] < s {
			return false
		}
		spans := func(a, b float64) [][2]float64 {
			if a <= b {
				return [][2]float64{{a, b}}
			}
			return [][2]float64{{a, 180}, {-180, b}}
		}
		hit := false
		for _, x := range spans(b[0], b[2]) {
			for _, y := range spans(w, e) {
				if x[0] <= y[1] && x[1] >= y[0] {
					hit = true
				}
			}
		}
		if !hit {
			return false
		}
	}
	for _, key := range []string{"eo:cloud_cover", "sat:relative_orbit"} {
		lo, hi := p.Get(key+".min"), p.Get(key+".max")
		if lo == "" && hi == "" {
			continue
		}
		v, ok := it.Properties[key].(float64)
		if !ok {
			return false
		}
		if lo != "" {
			if f, _ := strconv.ParseFloat(lo, 64); v < f {
				return false
			}
		}
		if hi != "" {
			if f, _ := strconv.ParseFloat(hi, 64); v > f {
				return false
			}
		}
	}
	if pl := p.Get("platform"); pl != "" && it.Properties["platform"] != pl {
		return false
	}
	if text := p.Get("q"); text != "" && !strings.Contains(strings.ToLower(it.ID), strings.ToLower(text)) {
		return false
	}
	return true
}

func TestSearchInChromiumMatchesAReferenceFilter(t *testing.T) {
	browserCtx := testenv.StartChromium(t)
	const n = 20_000
	items := testenv.SyntheticItems(n)
	dir, _ := searchSite(t, items, 0)
	base := serveSite(t, dir)
	queries := []searchQuery{
		{"date range", url.Values{"from": {"2024-06-01"}, "to": {"2024-06-30"}}},
		{"bbox across the antimeridian", url.Values{"west": {"170"}, "south": {"-20"}, "east": {"-170"}, "north": {"20"}}},
		{"cloud cover range", url.Values{"eo:cloud_cover.min": {"10"}, "eo:cloud_cover.max": {"20"}}},
		{"combined", url.Values{"from": {"2024-03-01"}, "to": {"2024-05-31"}, "west": {"0"}, "south": {"40"}, "east": {"20"}, "north": {"55"}, "eo:cloud_cover.max": {"30"}, "platform": {"sentinel-2a"}}},
		{"orbit and id", url.Values{"sat:relative_orbit.min": {"100"}, "sat:relative_orbit.max": {"101"}, "q": {"s2_01"}}},
		{"empty result", url.Values{"q": {"no-such-item"}}},
	}
	tab := testenv.NewTab(t, browserCtx)
	for _, q := range queries {
		var want []string
		for _, it := range items {
			if q.matches(it) {
				want = append(want, it.ID)
			}
		}
		tab.Open(t, base+"s2/index.html?"+q.params.Encode())
		if err := chromedp.Do(tab.Ctx, chromedp.WaitReady(chromedp.CSS("section#search[data-ready]"))); err != nil {
			t.Fatalf("%s: %v", q.name, err)
		}
		got := testenv.Eval[[]string](t, tab, `(() => {
			const more = document.querySelector("#search button.more");
			while (more && !more.hidden) more.click();
			return [...document.querySelectorAll("#search .results tbody th a")].map(a => a.textContent);
		})()`)
		status := testenv.Eval[string](t, tab, `document.querySelector("#search [role=status]").textContent`)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: %d results, the reference filter %d (%s)\n  only in the page: %v\n  only in Go: %v", q.name, len(got), len(want), status, diff(got, want), diff(want, got))
		} else {
			t.Logf("%s: %d results; %s", q.name, len(got), status)
		}
		if q.name == "combined" && *screenshots != "" {
			if err := chromedp.Do(tab.Ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector("#h-about").closest(".split").prepend(document.querySelector("#search")); document.querySelector(".about").remove()`)); err != nil {
				t.Fatal(err)
			}
			screenshot(t, tab, "search.png", "div.split")
		}
		if len(want) == 0 && !strings.Contains(status, "No item matches") {
			t.Errorf("%s: status %q", q.name, status)
		}
		// The form shows the query it ran, from the URL.
		for k, v := range q.params {
			if got := testenv.Eval[string](t, tab, `document.querySelector('#search [name="`+k+`"]').value`); got != v[0] {
				t.Errorf("%s: field %s shows %q, want %q", q.name, k, got, v[0])
			}
		}
		noProblems(t, tab, q.name)
	}

	// Typing a query and submitting it puts it in the URL, to be shared.
	tab.Open(t, base+"s2/index.html")
	if err := chromedp.Do(tab.Ctx, chromedp.WaitReady(chromedp.CSS("section#search[data-ready]")),
		chromedp.SendKeys(chromedp.CSS(`#search [name=q]`), "S2_0000"),
		chromedp.Click(chromedp.CSS(`#search button[type=submit]`)),
		chromedp.WaitReady(chromedp.CSS(`section#search[data-results]`))); err != nil {
		t.Fatal(err)
	}
	if loc := testenv.Eval[string](t, tab, `location.search`); loc != "?q=S2_0000" {
		t.Errorf("URL after a search: %q", loc)
	}
	if got := testenv.Eval[string](t, tab, `document.querySelector("#search").dataset.results`); got != "10" {
		t.Errorf("S2_0000…: %s results, want 10", got)
	}
	noProblems(t, tab, "typed search")
}

func diff(a, b []string) []string {
	var out []string
	for _, x := range a {
		if _, found := slices.BinarySearch(b, x); !found {
			out = append(out, x)
			if len(out) == 5 {
				break
			}
		}
	}
	return out
}
