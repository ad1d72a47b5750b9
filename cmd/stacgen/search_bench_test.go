package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"gitlab.com/eocat/eocat/internal/testenv"
)

var (
	searchItems     = flag.Int("bench.searchitems", 100_000, "items of the generated collection BenchmarkSearchInBrowser searches")
	searchRowGroups = flag.String("bench.rowgroups", "500,1000,2000,5000", "row group sizes BenchmarkSearchInBrowser compares")
)

// BenchmarkSearchInBrowser measures the site's search in headless Chromium
// against `stacgen serve` on loopback, on a generated collection: for each
// row group size, the first results of a bbox + date query from the page's
// navigation (ms) and the bytes transferred for them, then the time of
// further filter changes (the file's footer is then known), and the size of
// the Parquet file against the same items as JSON.
//
//	go test ./cmd/stacgen -run '^$' -bench SearchInBrowser -benchtime 1x -timeout 30m
func BenchmarkSearchInBrowser(b *testing.B) {
	browserCtx := testenv.StartChromium(b)
	items := testenv.SyntheticItems(*searchItems)
	first := "s2/index.html?from=2024-06-01&to=2024-06-30&west=-10&south=35&east=30&north=60"
	changes := []string{"eo:cloud_cover.max=20", "eo:cloud_cover.max=50", "platform=sentinel-2a", "q=S2_1", "sat:relative_orbit.min=50"}
	for _, rg := range strings.Split(*searchRowGroups, ",") {
		size, err := strconv.Atoi(rg)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("rowgroup="+rg, func(b *testing.B) {
			dir, jsonSize := searchSite(b, items, size)
			st, err := os.Stat(dir + "/s2/items.parquet")
			if err != nil {
				b.Fatal(err)
			}
			base := serveSite(b, dir)
			for b.Loop() {
				tab := testenv.NewTab(b, browserCtx, true)
				testenv.Call(b, tab, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true})
				tab.Open(b, base+first)
				if err := chromedp.Do(tab.Ctx, chromedp.WaitReady(chromedp.CSS("section#search[data-results-at]"))); err != nil {
					b.Fatal(err)
				}
				at := testenv.Eval[float64](b, tab, `Number(document.querySelector("#search").dataset.resultsAt)`)
				results := testenv.Eval[string](b, tab, `document.querySelector("#search").dataset.results`)
				var parquet, total float64
				for u, n := range tab.Transferred() {
					total += n
					if strings.HasSuffix(u, "items.parquet") {
						parquet += n
					}
				}
				var change []float64
				for _, c := range changes {
					k, v, _ := strings.Cut(c, "=")
					if err := chromedp.Do(tab.Ctx,
						chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const f = document.querySelector("#search form"); f.elements[%q].value = %q; delete document.querySelector("#search").dataset.resultsAt; f.requestSubmit(); })()`, k, v)),
						chromedp.WaitReady(chromedp.CSS("section#search[data-results-at]"))); err != nil {
						b.Fatal(err)
					}
					change = append(change, testenv.Eval[float64](b, tab, `Number(document.querySelector("#search").dataset.searchMs)`))
				}
				slices.Sort(change)
				b.ReportMetric(at, "first_ms")
				b.ReportMetric(parquet/1e6, "first_MB")
				b.ReportMetric(change[len(change)/2], "change_ms")
				b.ReportMetric(float64(st.Size())/float64(jsonSize)*100, "parquet/json_%")
				b.Logf("%d items, row groups of %d: first results (%s) at %.0f ms, %.2f MB of Parquet (%.2f MB in all); filter changes %v ms; Parquet %.1f MB = %.1f %% of the JSON (%.1f MB)",
					len(items), size, results, at, parquet/1e6, total/1e6, change, float64(st.Size())/1e6, float64(st.Size())/float64(jsonSize)*100, float64(jsonSize)/1e6)
			}
		})
	}
}
