package catalog

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"gitlab.com/eocat/eocat/internal/config"
	"gitlab.com/eocat/eocat/internal/geotiff"
	"gitlab.com/eocat/eocat/internal/source"
	"gitlab.com/eocat/eocat/internal/testenv"
)

// memSink keeps the output in memory.
type memSink struct {
	mu    sync.Mutex
	files map[string][]byte
}

func newMemSink() *memSink { return &memSink{files: map[string][]byte{}} }

func (m *memSink) WriteFile(rel string, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
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

func (m *memSink) json(t *testing.T, rel string) map[string]any {
	t.Helper()
	data, ok := m.files[rel]
	if !ok {
		t.Fatalf("no %s in output; have %v", rel, m.names())
	}
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func (m *memSink) names() []string {
	var out []string
	for k := range m.files {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func quickstart(t *testing.T) (*config.Config, map[string]source.Source) {
	t.Helper()
	cfg, err := config.Load(filepath.Join(testenv.RepoRoot(), "examples", "quickstart", "stacgen.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return cfg, localSources(t, cfg)
}

func localSources(t *testing.T, cfg *config.Config) map[string]source.Source {
	t.Helper()
	srcs := map[string]source.Source{}
	for i := range cfg.Collections {
		c := &cfg.Collections[i]
		s, err := source.NewLocal(cfg.LocalPath(c), c.HrefBase)
		if err != nil {
			t.Fatal(err)
		}
		srcs[c.ID] = s
	}
	return srcs
}

func TestQuickstartBuild(t *testing.T) {
	cfg, srcs := quickstart(t)
	sink := newMemSink()
	var checked []string
	var mu sync.Mutex
	res, err := Build(context.Background(), cfg, srcs, sink, Options{
		BaseURL: "https://example.org/cat/",
		Check: func(rel string, _ []byte) error {
			mu.Lock()
			checked = append(checked, rel)
			mu.Unlock()
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.Items != 4 || res.Stats.Collections != 2 || res.Stats.HeaderReads != 19 {
		t.Fatalf("stats %+v", res.Stats)
	}
	docs := 0
	for _, n := range sink.names() {
		if strings.HasSuffix(n, ".json") && !strings.HasSuffix(n, "metadata.json") {
			docs++
		}
	}
	if len(checked) != docs || docs != 4+2+1 {
		t.Fatalf("checked %d documents, wrote %d: %v", len(checked), docs, sink.names())
	}

	root := sink.json(t, "catalog.json")
	links := root["links"].([]any)
	if self := links[1].(map[string]any); self["rel"] != "self" || self["href"] != "https://example.org/cat/catalog.json" {
		t.Fatalf("root self link: %v", links)
	}

	id := "S2B_MSIL2A_20240615T103629_N0510_R008_T31TEJ_20240615T135412"
	item := sink.json(t, "sentinel-2-l2a/"+id+"/"+id+".json")
	props := item["properties"].(map[string]any)
	if props["datetime"] != "2024-06-15T10:36:29.024Z" && !strings.HasPrefix(props["datetime"].(string), "2024-06-15T10:36:") {
		t.Errorf("datetime %v", props["datetime"])
	}
	if props["s2:mgrs_tile"] != "31TEJ" || props["proj:code"] != "EPSG:32631" || props["platform"] != "sentinel-2b" {
		t.Errorf("properties %v", props)
	}
	if _, leaked := props["id"]; leaked {
		t.Error("sidecar id leaked into properties")
	}
	assets := item["assets"].(map[string]any)
	for _, k := range []string{"B02", "B03", "B04", "B08", "SCL", "visual", "thumbnail"} {
		if assets[k] == nil {
			t.Errorf("asset %s missing; have %v", k, assets)
		}
	}
	if _, ok := assets["metadata"]; ok {
		t.Error("sidecar became an asset")
	}
	b02 := assets["B02"].(map[string]any)
	if b02["type"] != "image/tiff; application=geotiff; profile=cloud-optimized" || b02["href"] != "./B02.tif" {
		t.Errorf("B02 %v", b02)
	}
	data, _ := os.ReadFile(filepath.Join(cfg.LocalPath(&cfg.Collections[0]), id, "B02.tif"))
	sum := md5.Sum(data)
	if b02["file:checksum"] != "d510"+hex.EncodeToString(sum[:]) || b02["file:size"] != float64(len(data)) {
		t.Errorf("file fields %v %v", b02["file:checksum"], b02["file:size"])
	}
	if !bytes.Equal(sink.files["sentinel-2-l2a/"+id+"/B02.tif"], data) {
		t.Error("asset not copied next to the item")
	}
	band := b02["bands"].([]any)[0].(map[string]any)
	if band["data_type"] != "uint16" || band["nodata"] != float64(0) || band["eo:common_name"] != "blue" || band["raster:spatial_resolution"] != 1715.625 {
		t.Errorf("band %v", band)
	}
	if shape := b02["proj:shape"].([]any); shape[0] != float64(64) || shape[1] != float64(64) {
		t.Errorf("proj:shape %v", shape)
	}
	exts := item["stac_extensions"].([]any)
	want := []string{"eo/v2.0.0", "file/v2.1.0", "projection/v2.0.0", "raster/v2.0.0", "sat/v1.1.0"}
	if len(exts) != len(want) {
		t.Errorf("extensions %v", exts)
	}
	for i, w := range want {
		if i < len(exts) && !strings.Contains(exts[i].(string), w) {
			t.Errorf("extension %d = %v, want %s", i, exts[i], w)
		}
	}

	coll := sink.json(t, "sentinel-2-l2a/collection.json")
	iv := coll["extent"].(map[string]any)["temporal"].(map[string]any)["interval"].([]any)[0].([]any)
	if !strings.HasPrefix(iv[0].(string), "2024-06-15") || !strings.HasPrefix(iv[1].(string), "2024-07-12") {
		t.Errorf("temporal extent %v", iv)
	}
	sum2 := coll["summaries"].(map[string]any)
	if p := sum2["platform"].([]any); len(p) != 2 {
		t.Errorf("platform summary %v", p)
	}
	if cc := sum2["eo:cloud_cover"].(map[string]any); cc["minimum"].(float64) > cc["maximum"].(float64) {
		t.Errorf("cloud cover summary %v", cc)
	}
	ia := coll["item_assets"].(map[string]any)["B02"].(map[string]any)
	if ia["title"] != "Blue (band 2) - 10 m" || ia["type"] == nil {
		t.Errorf("item_assets %v", ia)
	}
	for _, l := range coll["links"].([]any) {
		if l.(map[string]any)["rel"] == "self" || l.(map[string]any)["rel"] == "items" {
			t.Errorf("collection must not have %v", l)
		}
	}
}

func TestBuildIsDeterministic(t *testing.T) {
	cfg, srcs := quickstart(t)
	a, b := newMemSink(), newMemSink()
	if _, err := Build(context.Background(), cfg, srcs, a, Options{Concurrency: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := Build(context.Background(), cfg, srcs, b, Options{Concurrency: 7}); err != nil {
		t.Fatal(err)
	}
	if len(a.files) != len(b.files) {
		t.Fatalf("%d vs %d files", len(a.files), len(b.files))
	}
	for k, v := range a.files {
		if !bytes.Equal(v, b.files[k]) {
			t.Errorf("%s differs between runs", k)
		}
	}
}

func TestIncrementalReusesUnchangedObjects(t *testing.T) {
	cfg, srcs := quickstart(t)
	first, err := Build(context.Background(), cfg, srcs, newMemSink(), Options{KeepState: true})
	if err != nil {
		t.Fatal(err)
	}
	sink := newMemSink()
	second, err := Build(context.Background(), cfg, srcs, sink, Options{Previous: first.State, KeepState: true})
	if err != nil {
		t.Fatal(err)
	}
	if !second.Unchanged || second.Stats.HeaderReads != 0 || len(sink.files) != 0 {
		t.Fatalf("no-change rebuild did work: %+v, %d files", second.Stats, len(sink.files))
	}
	// Another base URL changes the documents, not the objects: everything is
	// written again, nothing is read again.
	third, err := Build(context.Background(), cfg, srcs, sink, Options{Previous: first.State, KeepState: true, BaseURL: "https://x.example.org/"})
	if err != nil {
		t.Fatal(err)
	}
	if third.Unchanged || third.Stats.HeaderReads != 0 || third.Stats.Items != 4 || len(sink.files) == 0 {
		t.Fatalf("rebuild with a new base URL: %+v, %d files", third.Stats, len(sink.files))
	}
}

func TestItemIDsCannotEscapeAndErrorsAreCollected(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a/b", "a_b"}, {"S2A_x-1.0", "S2A_x-1.0"}, {"é", "_"}, {"a b", "a_b"},
	} {
		if got, err := sanitizeID(tc.in); err != nil || got != tc.want {
			t.Errorf("sanitizeID(%q) = %q, %v", tc.in, got, err)
		}
	}
	for _, bad := range []string{"..", ".hidden", ""} {
		if _, err := sanitizeID(bad); err == nil {
			t.Errorf("sanitizeID(%q) accepted", bad)
		}
	}

	// A product whose raster has an unsupported CRS (a geostationary view,
	// which has no EPSG method) fails with a clear per-item error; the
	// other items are still reported.
	dir := t.TempDir()
	samples := testenv.SharedDir(t, "geotiff-samples")
	copyFile(t, filepath.Join(samples, "rasterio__goes.tif"), filepath.Join(dir, "goes", "img.tif"))
	copyFile(t, filepath.Join(samples, "gen__gdal_cog_utm31n_uint16_4band_nodata0.tif"), filepath.Join(dir, "ok", "img.tif"))
	copyFile(t, filepath.Join(samples, "rasterio__byte.tif"), filepath.Join(dir, "2024", "ok", "img.tif"))
	cfg, err := config.Parse([]byte(`
catalog: {id: t, description: t}
collections:
  - {id: c, description: c, license: other, source: `+dir+`, datetime: "2024-01-01T00:00:00Z"}
`), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Build(context.Background(), cfg, localSources(t, cfg), newMemSink(), Options{})
	var be *BuildError
	if !errors.As(err, &be) || len(be.Items) != 2 {
		t.Fatalf("want 2 item errors, got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"goes/img.tif", "Geostationary", `the same item id comes from folders`} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	res, err := Build(context.Background(), cfg, localSources(t, cfg), newMemSink(), Options{SkipInvalidItems: true})
	if err != nil || res.Stats.Items != 0 || res.Stats.Failed != 2 || len(res.Warnings) != 2 {
		t.Fatalf("skip-invalid: %+v %v %v", res, err, res.Warnings)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestSpatialUnionAcrossAntimeridian(t *testing.T) {
	union := func(bboxes ...[]float64) []float64 {
		a := newAggregate()
		for _, bb := range bboxes {
			a.add(&itemSummary{bbox: bb})
		}
		return a.spatialUnion()
	}
	got := union([]float64{178, -18, -179, -16}, []float64{170, -20, 175, -19})
	if got[0] != 170 || got[2] != -179 || got[1] != -20 || got[3] != -16 {
		t.Fatalf("union %v", got)
	}
	if got := union([]float64{2, 43, 4, 44}, []float64{-45, -20, -44, -19}); got[0] != -45 || got[2] != 4 {
		t.Fatalf("union %v", got)
	}
	// Order does not matter, overlapping spans merge.
	a := union([]float64{0, 0, 10, 1}, []float64{5, 0, 20, 1}, []float64{30, 0, 40, 1})
	b := union([]float64{30, 0, 40, 1}, []float64{5, 0, 20, 1}, []float64{0, 0, 10, 1})
	if a[0] != 0 || a[2] != 40 || b[0] != 0 || b[2] != 40 {
		t.Fatalf("%v %v", a, b)
	}
}

// panicky is a source whose ranged reads panic for one key, as a bug in a
// reader would.
type panicky struct {
	source.Source
	key string
}

func (p panicky) ReaderAt(ctx context.Context, key string, size int64) io.ReaderAt {
	if key == p.key {
		panic("boom")
	}
	return p.Source.ReaderAt(ctx, key, size)
}

func TestGCPRastersAndPanicsNeverCrashTheBuild(t *testing.T) {
	// Rasters georeferenced by ground control points only (Sentinel-1 GRD
	// products are) used to crash stacgen with a nil dereference.
	dir := t.TempDir()
	samples := testenv.SharedDir(t, "geotiff-samples")
	copyFile(t, filepath.Join(samples, "rio-tiler__cog_gcps_ovr.tif"), filepath.Join(dir, "gcps", "img.tif"))
	copyFile(t, filepath.Join(samples, "rioxarray__cint16.tif"), filepath.Join(dir, "cint16", "img.tif"))
	copyFile(t, filepath.Join(samples, "gen__gdal_cog_utm31n_uint16_4band_nodata0.tif"), filepath.Join(dir, "ok", "img.tif"))
	cfg, err := config.Parse([]byte(`
catalog: {id: t, description: t}
collections:
  - {id: c, description: c, license: other, source: `+dir+`, datetime: "2024-01-01T00:00:00Z"}
`), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sink := newMemSink()
	res, err := Build(context.Background(), cfg, localSources(t, cfg), sink, Options{})
	if err != nil || res.Stats.Items != 3 {
		t.Fatalf("GCP rasters: %v %+v", err, res)
	}
	// Their footprint comes from the GCPs (fitted as GDAL does; crs's
	// gcp_test compares with gdaltransform): it lies among the GCPs (a crop
	// of a scene may keep the whole scene's GCP grid).
	for _, id := range []string{"gcps", "cint16"} {
		item := sink.json(t, "c/"+id+"/"+id+".json")
		geom, _ := item["geometry"].(map[string]any)
		if geom == nil || geom["type"] != "Polygon" {
			t.Errorf("%s: GCP raster without a polygon footprint: %v", id, item["geometry"])
			continue
		}
		samples := testenv.SharedDir(t, "geotiff-samples")
		f, err := os.Open(filepath.Join(samples, map[string]string{"gcps": "rio-tiler__cog_gcps_ovr.tif", "cint16": "rioxarray__cint16.tif"}[id]))
		if err != nil {
			t.Fatal(err)
		}
		st, _ := f.Stat()
		info, err := geotiff.Read(f, st.Size())
		_ = f.Close() // read only
		if err != nil || len(info.GCPList) < 3 {
			t.Fatalf("%s: %v, %d GCPs", id, err, len(info.GCPList))
		}
		lo, hi := [2]float64{math.Inf(1), math.Inf(1)}, [2]float64{math.Inf(-1), math.Inf(-1)}
		for _, g := range info.GCPList {
			lo = [2]float64{math.Min(lo[0], g.X), math.Min(lo[1], g.Y)}
			hi = [2]float64{math.Max(hi[0], g.X), math.Max(hi[1], g.Y)}
		}
		bb := item["bbox"].([]any)
		margin := 0.25 * math.Max(hi[0]-lo[0], hi[1]-lo[1])
		if bb[0].(float64) < lo[0]-margin || bb[1].(float64) < lo[1]-margin || bb[2].(float64) > hi[0]+margin || bb[3].(float64) > hi[1]+margin ||
			bb[2].(float64) <= bb[0].(float64) || bb[3].(float64) <= bb[1].(float64) {
			t.Errorf("%s: bbox %v far from the GCPs' extent %v–%v", id, bb, lo, hi)
		}
		img := item["assets"].(map[string]any)["img"].(map[string]any)
		if img["type"] != "image/tiff" || img["proj:transform"] != nil || img["proj:shape"] == nil || img["bands"] == nil {
			t.Errorf("%s: GCP asset: %v", id, img)
		}
		if item["properties"].(map[string]any)["proj:code"] != fmt.Sprintf("EPSG:%d", info.EPSG) {
			t.Errorf("%s: proj:code %v, want the GCPs' EPSG:%d", id, item["properties"].(map[string]any)["proj:code"], info.EPSG)
		}
	}
	if w := strings.Join(res.Warnings, "\n"); strings.Contains(w, "ground control points") {
		t.Errorf("warnings: %s", w)
	}

	// A panic while building one item becomes that item's error.
	srcs := localSources(t, cfg)
	srcs["c"] = panicky{Source: srcs["c"], key: "cint16/img.tif"}
	_, err = Build(context.Background(), cfg, srcs, newMemSink(), Options{})
	var be *BuildError
	if !errors.As(err, &be) || len(be.Items) != 1 || be.Items[0].Item != "cint16" {
		t.Fatalf("want one item error, got %v", err)
	}
	for _, want := range []string{"internal error on cint16/img.tif: boom", "stacgen bug", "please report"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	srcs["c"] = panicky{Source: localSources(t, cfg)["c"], key: "cint16/img.tif"}
	res, err = Build(context.Background(), cfg, srcs, newMemSink(), Options{SkipInvalidItems: true})
	if err != nil || res.Stats.Items != 2 || res.Stats.Failed != 1 {
		t.Fatalf("with SkipInvalidItems: %v %+v", err, res)
	}
}

func TestIncrementalRetriesItemsLeftOutAndKnowsSkipInvalid(t *testing.T) {
	cfg, srcs := quickstart(t)
	id := "S2A_MSIL2A_20240620T103631_N0510_R008_T31TEJ_20240620T170512"
	bad := panicky{Source: srcs["sentinel-2-l2a"], key: id + "/B02.tif"}
	srcs["sentinel-2-l2a"] = bad
	first, err := Build(context.Background(), cfg, srcs, newMemSink(), Options{KeepState: true, SkipInvalidItems: true})
	if err != nil || first.Stats.Failed != 1 || first.State.Failed != 1 {
		t.Fatalf("first: %v %+v", err, first)
	}
	// The same objects again: the item left out is retried, not "unchanged".
	_, srcs = quickstart(t)
	second, err := Build(context.Background(), cfg, srcs, newMemSink(), Options{KeepState: true, SkipInvalidItems: true, Previous: first.State})
	if err != nil || second.Unchanged || second.Stats.Items != 4 || second.State.Failed != 0 {
		t.Fatalf("second: %v %+v", err, second)
	}
	// --skip-invalid-items is part of what makes the output: switching it
	// off rebuilds.
	third, err := Build(context.Background(), cfg, srcs, newMemSink(), Options{KeepState: true, Previous: second.State})
	if err != nil || third.Unchanged {
		t.Fatalf("third: %v %+v", err, third)
	}
	fourth, err := Build(context.Background(), cfg, srcs, newMemSink(), Options{KeepState: true, Previous: third.State})
	if err != nil || !fourth.Unchanged {
		t.Fatalf("fourth (nothing changed): %v %+v", err, fourth)
	}
}
