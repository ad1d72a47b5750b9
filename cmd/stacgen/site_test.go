package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"gitlab.com/eocat/eocat/internal/testenv"
)

const s2Item = "S2B_MSIL2A_20240615T103629_N0510_R008_T31TEJ_20240615T135412"

var pageLoad = page.LoadEventFired

var screenshots = flag.String("screenshots", "", "write screenshots of the three page kinds into this folder (e.g. ../../docs/screenshots)")

// serveSite runs `stacgen serve` on a free loopback port for the test and
// returns its base URL.
func serveSite(t testing.TB, dir string) string {
	t.Helper()
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- newApp(io.Discard, pw).RunContext(ctx, []string{"stacgen", "serve", "--dir", dir, "--listen", "127.0.0.1:0"})
		_ = pw.Close() // an io.PipeWriter's Close returns nil
	}()
	addr := regexp.MustCompile(`at (http://127\.0\.0\.1:\d+/)`)
	lines := bufio.NewScanner(pr)
	var base string
	for lines.Scan() {
		if m := addr.FindStringSubmatch(lines.Text()); m != nil {
			base = m[1]
			break
		}
	}
	if base == "" {
		cancel()
		t.Fatalf("stacgen serve did not start: %v", <-done)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("stacgen serve: %v", err)
		}
	})
	return base
}

// buildSite builds a configuration with pages into a temporary folder.
func buildSite(t *testing.T, cfg string, extra ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "public")
	args := append([]string{"build", "-c", cfg, "--out", out, "--offline"}, extra...)
	if code, _, stderr := run(t, args...); code != 0 {
		t.Fatalf("build: exit %d\n%s", code, stderr)
	}
	return out
}

// generatedCollection writes n Sentinel-2-like products and a configuration
// for them (assets served from a data URL, so the site stays small).
func generatedCollection(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	seedBench(t, data, n)
	return writeConfig(t, dir, "generated.yaml", fmt.Sprintf(`catalog: {id: generated, title: Generated catalog, description: "%d generated Sentinel-2 products."}
collections:
  - id: s2
    title: Sentinel-2 L2A (generated)
    description: Generated products for the browser tests.
    license: CC-BY-4.0
    source: %s
    href_base: https://data.example.org/s2/
    items:
      pattern: '_MSIL2A_(?P<datetime>\d{8}T\d{6})_'
      datetime_format: 20060102T150405
    properties: {platform: sentinel-2b, gsd: 10}
`, n, data))
}

// pageHTML is the serialised DOM, read without running any script in the
// page (so it works with JavaScript disabled).
func pageHTML(t *testing.T, tab *testenv.Tab) string {
	t.Helper()
	html, err := chromedp.Run(tab.Ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if err != nil {
		t.Fatal(err)
	}
	return html
}

func noProblems(t *testing.T, tab *testenv.Tab, what string) {
	t.Helper()
	if p := tab.Problems(); len(p) > 0 {
		t.Errorf("%s: %d problem(s):\n  %s", what, len(p), strings.Join(p, "\n  "))
	}
}

func TestSiteInChromium(t *testing.T) {
	browserCtx := testenv.StartChromium(t)
	quick := serveSite(t, buildSite(t, quickstartConfig()))
	const n = 2000
	gen := serveSite(t, buildSite(t, generatedCollection(t, n)))
	item := "sentinel-2-l2a/" + s2Item + "/index.html"

	t.Run("every page kind loads cleanly", func(t *testing.T) {
		tab := testenv.NewTab(t, browserCtx)
		for _, p := range []struct{ base, path, h1 string }{
			{quick, "index.html", "eocat quickstart catalog"},
			{quick, "", "eocat quickstart catalog"},
			{quick, "sentinel-2-l2a/", "Sentinel-2 Level-2A (samples)"},
			{quick, item, s2Item},
			{quick, "sentinel-2-l2a/S2A_MSIL2A_20240712T130251_N0510_R095_T23KPQ_20240712T183012/index.html", "S2A_MSIL2A_20240712T130251_N0510_R095_T23KPQ_20240712T183012"},
			{quick, "spot-6-7-ortho/index.html", "SPOT 6/7 orthoimages (sample)"},
			{quick, "spot-6-7-ortho/SPOT6_2023-07-12_PMS/", "SPOT6_2023-07-12_PMS"},
			{gen, "index.html", "Generated catalog"},
			{gen, "s2/index.html", "Sentinel-2 L2A (generated)"},
			{gen, "s2/page-2.html", "Sentinel-2 L2A (generated) — items, page 2 of 20"},
		} {
			tab.Open(t, p.base+p.path)
			h1 := testenv.Eval[string](t, tab, `document.querySelector("h1").textContent`)
			if h1 != p.h1 {
				t.Errorf("%s: h1 %q, want %q", p.path, h1, p.h1)
			}
			noProblems(t, tab, p.base+p.path)
		}
		// A missing page is the site's 404 page, with its style.
		tab.Open(t, quick+"sentinel-2-l2a/no-such-item/")
		if h1 := testenv.Eval[string](t, tab, `document.querySelector("h1").textContent`); h1 != "Page not found" {
			t.Errorf("404 page h1 %q", h1)
		}
		if bg := testenv.Eval[string](t, tab, `getComputedStyle(document.querySelector("footer.site")).borderTopStyle`); bg != "solid" {
			t.Errorf("the 404 page is unstyled (%q)", bg)
		}
		for _, p := range tab.Problems() { // the page's own status, reported twice
			if !strings.HasSuffix(p, " "+quick+"sentinel-2-l2a/no-such-item/") || !strings.Contains(p, "404") {
				t.Errorf("404 page: %s", p)
			}
		}
	})

	t.Run("the map shows the footprint", func(t *testing.T) {
		tab := testenv.NewTab(t, browserCtx)
		for _, c := range []struct {
			path    string
			paths   int     // footprints drawn
			minArea float64 // px²: a tile alone fills the map; at a collection's world-wide extent it is small
		}{{item, 1, 10_000}, {"sentinel-2-l2a/index.html", 3 + 1, 4}} {
			tab.Open(t, quick+c.path)
			if err := chromedp.Do(tab.Ctx, chromedp.WaitReady(chromedp.CSS("figure[data-map-ready] .leaflet-overlay-pane path.leaflet-interactive"))); err != nil {
				t.Fatal(err)
			}
			got := testenv.Eval[[]float64](t, tab, `[...document.querySelectorAll("figure .leaflet-overlay-pane path.leaflet-interactive")].map(p => { const r = p.getBoundingClientRect(); return r.width * r.height })`)
			if len(got) != c.paths {
				t.Errorf("%s: %d shapes on the map, want %d", c.path, len(got), c.paths)
			}
			for _, area := range got {
				if area < c.minArea {
					t.Errorf("%s: a footprint of %.0f px² is not visible", c.path, area)
				}
			}
			if svg := testenv.Eval[int](t, tab, `document.querySelectorAll("figure[data-map] > svg").length`); svg != 0 {
				t.Errorf("%s: the SVG fallback stayed next to the map", c.path)
			}
			noProblems(t, tab, c.path)
		}
	})

	t.Run("the item list reaches the last item by next", func(t *testing.T) {
		tab := testenv.NewTab(t, browserCtx)
		tab.Open(t, gen+"s2/index.html")
		seen := map[string]bool{}
		var order []string
		pages := 0
		for {
			pages++
			ids := testenv.Eval[[]string](t, tab, `[...document.querySelectorAll("table.list tbody th a")].map(a => a.textContent)`)
			for _, id := range ids {
				if seen[id] {
					t.Fatalf("item %s listed twice", id)
				}
				seen[id] = true
			}
			order = append(order, ids...)
			if testenv.Eval[int](t, tab, `document.querySelectorAll("a[rel=next]").length`) == 0 {
				break
			}
			if pages > 25 {
				t.Fatal("more pages than items allow")
			}
			loaded := chromedp.Events(tab.Ctx, pageLoad)
			if err := chromedp.Do(tab.Ctx, chromedp.Click(chromedp.CSS("a[rel=next]"))); err != nil {
				t.Fatal(err)
			}
			for _, err := range loaded {
				if err != nil {
					t.Fatal(err)
				}
				break
			}
		}
		noProblems(t, tab, "paging")
		if pages != 20 || len(seen) != n {
			t.Fatalf("%d pages, %d distinct items; want 20 and %d", pages, len(seen), n)
		}
		// Newest first: products of 12 July, then 20 June, then 15 June;
		// equal dates by id.
		want := slices.Clone(order)
		slices.SortStableFunc(want, func(a, b string) int {
			da, db := a[11:26], b[11:26]
			if da != db {
				return strings.Compare(db, da)
			}
			return strings.Compare(a, b)
		})
		if !slices.Equal(order, want) {
			t.Errorf("the list is not newest first: starts %v, ends %v", order[:3], order[len(order)-3:])
		}
		if last := order[len(order)-1]; !strings.HasPrefix(last, "S2B_MSIL2A_20240615T103629") {
			t.Errorf("last item %s is not the oldest", last)
		}
	})

	t.Run("copy buttons put the right text on the clipboard", func(t *testing.T) {
		tab := testenv.NewTab(t, browserCtx)
		for _, name := range []string{"clipboard-read", "clipboard-write"} {
			if _, err := chromedp.CallBrowser(tab.Ctx, browser.SetPermission, browser.SetPermissionParams{
				Permission: &browser.PermissionDescriptor{Name: name}, Setting: browser.PermissionSettingGranted, Origin: strings.TrimSuffix(quick, "/"),
			}); err != nil {
				t.Fatal(err)
			}
		}
		tab.Open(t, quick+item)
		abs := quick + "sentinel-2-l2a/" + s2Item + "/B02.tif"
		for _, c := range []struct{ button, want string }{
			{`button[data-copy="asset-1-href"]`, abs},
			{`button[data-copy="use-0"]`, "gdalinfo '/vsicurl/" + abs + "'\ngdalinfo '/vsicurl/" + strings.Replace(abs, "B02", "B03", 1) + "'"},
			{`button[data-copy="use-1"]`, "curl -fL -o 'B02.tif' '" + abs + "'\ncurl -fL -o 'B03.tif' '" + strings.Replace(abs, "B02", "B03", 1) + "'"},
		} {
			if hidden := testenv.Eval[bool](t, tab, `document.querySelector('`+c.button+`').hidden`); hidden {
				t.Fatalf("%s is hidden", c.button)
			}
			if err := chromedp.Do(tab.Ctx, chromedp.Evaluate[chromedp.Void](`document.querySelectorAll("details.snippets").forEach(d => d.open = true)`), chromedp.Click(chromedp.CSS(c.button))); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(5 * time.Second)
			var got string
			for time.Now().Before(deadline) {
				if got = testenv.Eval[string](t, tab, `navigator.clipboard.readText()`); strings.HasPrefix(got, c.want) {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			if !strings.HasPrefix(got, c.want) {
				t.Errorf("%s copied %q, want %q…", c.button, got, c.want)
			}
			if label := testenv.Eval[string](t, tab, `document.querySelector('`+c.button+`').getAttribute("aria-label")`); !strings.Contains(label, "B02") && !strings.Contains(label, "Copy the commands: ") {
				t.Errorf("%s: accessible name %q does not say what it copies", c.button, label)
			}
		}
		noProblems(t, tab, "copy")
	})

	t.Run("without JavaScript the lists and tables are there", func(t *testing.T) {
		tab := testenv.NewTab(t, browserCtx)
		testenv.Call(t, tab, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		tab.Open(t, quick+item)
		html := pageHTML(t, tab)
		for _, want := range []string{`<table class="props">`, `>Cloud cover</th><td>3.17 %</td>`, `<table class="assets">`, `<span class="key">B02</span>`, `<span class="key">visual</span>`, `<figure class="map" data-map="">`, `<svg viewBox=`, "gdalinfo '/vsicurl/./B02.tif'\ngdalinfo '/vsicurl/./B03.tif'"} {
			if !strings.Contains(html, want) {
				t.Errorf("item page without JavaScript lacks %s", want)
			}
		}
		if strings.Contains(html, "leaflet-container") || strings.Contains(html, `data-map-ready`) {
			t.Error("scripts ran although JavaScript is disabled")
		}
		tab.Open(t, gen+"s2/index.html")
		html = pageHTML(t, tab)
		if rows := strings.Count(html, `<tr><th scope="row"><a href="S2`); rows != 100 {
			t.Errorf("collection page without JavaScript: %d item rows, want 100", rows)
		}
		if !strings.Contains(html, `<a href="page-2.html" rel="next">`) {
			t.Error("collection page without JavaScript: no next page link")
		}
		noProblems(t, tab, "no JavaScript")
	})

	t.Run("no serious accessibility violation (axe-core)", func(t *testing.T) {
		axe := os.Getenv("EOCAT_AXE")
		if axe == "" {
			testenv.Missing(t, "EOCAT_AXE is not set: run .ci/tools.sh axe")
		}
		src, err := os.ReadFile(axe)
		if err != nil {
			t.Fatal(err)
		}
		tab := testenv.NewTab(t, browserCtx)
		for _, u := range []string{quick + "index.html", quick + "sentinel-2-l2a/index.html", quick + item, gen + "s2/page-2.html", quick + "missing"} {
			tab.Open(t, u)
			// Injected through DevTools, which the page's CSP does not restrict.
			if err := chromedp.Do(tab.Ctx, chromedp.Evaluate[chromedp.Void](string(src))); err != nil {
				t.Fatal(err)
			}
			violations := testenv.Eval[[]struct {
				ID, Impact, Help string
				Nodes            []struct{ Target []string }
			}](t, tab, `axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations)`)
			for _, v := range violations {
				if v.Impact == "serious" || v.Impact == "critical" {
					var where []string
					for _, n := range v.Nodes {
						where = append(where, strings.Join(n.Target, " "))
					}
					t.Errorf("%s: %s %s (%s) at %v", u, v.Impact, v.ID, v.Help, where)
				} else {
					t.Logf("%s: %s %s (%s)", u, v.Impact, v.ID, v.Help)
				}
			}
			tab.Problems()
		}
	})

	t.Run("item page weight and largest contentful paint", func(t *testing.T) {
		tab := testenv.NewTab(t, browserCtx)
		testenv.Call(t, tab, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true})
		tab.Transferred()
		tab.Open(t, quick+item)
		lcp := testenv.Eval[float64](t, tab, `new Promise(resolve => new PerformanceObserver(list => {
			const e = list.getEntries(); resolve(e[e.length - 1].startTime);
		}).observe({type: "largest-contentful-paint", buffered: true}))`)
		var ours, leaflet, other float64
		for u, b := range tab.Transferred() {
			switch {
			case strings.Contains(u, "/_static/vendor/leaflet/"):
				leaflet += b
			case strings.HasSuffix(u, "/index.html") || strings.Contains(u, "/_static/"):
				ours += b
			default:
				other += b // images: preview, tiles
			}
		}
		t.Logf("item page: LCP %.0f ms; page + CSS + our JavaScript %.1f KB, Leaflet %.1f KB, images %.1f KB", lcp, ours/1000, leaflet/1000, other/1000)
		if ours > 100_000 {
			t.Errorf("item page with its CSS and scripts: %.1f KB transferred, over 100 KB", ours/1000)
		}
		if lcp <= 0 || lcp >= 500 {
			t.Errorf("largest contentful paint %.0f ms, want < 500 ms", lcp)
		}
		noProblems(t, tab, "weight")
	})

	t.Run("narrow screen", func(t *testing.T) {
		tab := testenv.NewTab(t, browserCtx)
		testenv.Call(t, tab, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: 375, Height: 740, DeviceScaleFactor: 2, Mobile: true})
		for _, u := range []string{quick + "index.html", quick + "sentinel-2-l2a/index.html", quick + item} {
			tab.Open(t, u)
			if w := testenv.Eval[float64](t, tab, `document.documentElement.scrollWidth`); w > 376 {
				t.Errorf("%s scrolls sideways on a phone (%.0f px wide)", u, w)
			}
		}
		noProblems(t, tab, "narrow")
	})

	if *screenshots != "" {
		tab := testenv.NewTab(t, browserCtx)
		for name, u := range map[string]string{"catalog.png": quick + "index.html", "collection.png": quick + "sentinel-2-l2a/index.html", "item.png": quick + item} {
			tab.Open(t, u)
			screenshot(t, tab, name)
		}
	}
}

// screenshot writes the whole page, or with a selector one element of
// it, into the -screenshots folder.
func screenshot(t *testing.T, tab *testenv.Tab, name string, sel ...string) {
	t.Helper()
	time.Sleep(300 * time.Millisecond) // the map's tiles and transitions
	action := chromedp.FullScreenshot(100)
	if len(sel) > 0 {
		action = chromedp.Screenshot(chromedp.CSS(sel[0]))
	}
	png, err := chromedp.Run(tab.Ctx, action)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*screenshots, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
