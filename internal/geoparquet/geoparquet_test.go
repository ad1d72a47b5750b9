package geoparquet

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gitlab.com/eocat/eocat/internal/crs"
	"gitlab.com/eocat/eocat/internal/stac"
	"gitlab.com/eocat/eocat/internal/testenv"
)

func writeFile(t *testing.T, items []*stac.Item, rowGroup int) (string, *stac.Collection) {
	t.Helper()
	w, err := NewWriter(rowGroup)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, it := range items {
		doc, err := stac.Encode(it)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Add(it, doc); err != nil {
			t.Fatal(err)
		}
	}
	iv := "2024-01-01T00:00:00Z"
	coll := &stac.Collection{Type: "Collection", StacVersion: stac.Version, ID: "s2", Description: "d", License: "other",
		Extent: stac.Extent{Spatial: stac.SpatialExtent{BBox: [][]float64{{-180, -90, 180, 90}}}, Temporal: stac.TemporalExtent{Interval: [][]*string{{&iv, nil}}}}}
	data, err := w.Bytes(coll)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), File)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p, coll
}

// hyparquetRead reads a file with the site's vendored hyparquet under Node:
// a second, independent Parquet implementation (the one browsers run).
type readBack struct {
	Metadata  map[string]string `json:"metadata"`
	NumRows   int               `json:"num_rows"`
	RowGroups []struct {
		NumRows int `json:"num_rows"`
		Columns map[string]struct {
			Min, Max  any
			NullCount *float64 `json:"null_count"`
		} `json:"columns"`
	} `json:"row_groups"`
	Schema []string         `json:"schema"`
	Rows   []map[string]any `json:"rows"`
}

func hyparquetRead(t *testing.T, file string) readBack {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		testenv.Missing(t, "node not found (Debian's nodejs): the Parquet files are read back with hyparquet under Node")
	}
	out, err := exec.Command(node, filepath.Join("testdata", "read.mjs"), file).Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("read.mjs: %v\n%s", err, stderr)
	}
	var rb readBack
	if err := json.Unmarshal(out, &rb); err != nil {
		t.Fatalf("read.mjs output: %v", err)
	}
	return rb
}

// wkbRings decodes the WKB Polygon/MultiPolygon the writer makes.
func wkbRings(t *testing.T, b []byte) [][][2]float64 {
	t.Helper()
	var rings [][][2]float64
	pos := 0
	u32 := func() uint32 { v := binary.LittleEndian.Uint32(b[pos:]); pos += 4; return v }
	f64 := func() float64 { v := math.Float64frombits(binary.LittleEndian.Uint64(b[pos:])); pos += 8; return v }
	var polygon func()
	polygon = func() {
		if b[pos] != 1 {
			t.Fatalf("WKB not little-endian")
		}
		pos++
		switch typ := u32(); typ {
		case 3:
			for range u32() {
				n := u32()
				ring := make([][2]float64, n)
				for i := range ring {
					ring[i] = [2]float64{f64(), f64()}
				}
				rings = append(rings, ring)
			}
		case 6:
			for range u32() {
				polygon()
			}
		default:
			t.Fatalf("WKB type %d", typ)
		}
	}
	polygon()
	if pos != len(b) {
		t.Fatalf("WKB: %d trailing bytes", len(b)-pos)
	}
	return rings
}

func TestFileReadsBackWithHyparquet(t *testing.T) {
	const n = 2500
	items := testenv.SyntheticItems(n)
	for _, it := range items[:3] { // as the catalog builds them
		g := it.Geometry.(map[string]any)
		it.Geometry = &crs.Geometry{Type: g["type"].(string), Coordinates: g["coordinates"]}
	}
	file, coll := writeFile(t, items, 1000)
	rb := hyparquetRead(t, file)
	if rb.NumRows != n || len(rb.Rows) != n {
		t.Fatalf("%d rows (%d read), want %d", rb.NumRows, len(rb.Rows), n)
	}
	if len(rb.RowGroups) != 3 || rb.RowGroups[0].NumRows != 1000 || rb.RowGroups[2].NumRows != 500 {
		t.Errorf("row groups: %+v", len(rb.RowGroups))
	}
	byID := map[string]*stac.Item{}
	for _, it := range items {
		byID[it.ID] = it
	}
	for _, row := range rb.Rows {
		id, _ := row["id"].(string)
		it := byID[id]
		if it == nil {
			t.Fatalf("unknown or repeated id %v", row["id"])
		}
		delete(byID, id)
		bb, _ := row["bbox"].(map[string]any)
		if bb == nil || bb["xmin"] != it.BBox[0] || bb["ymin"] != it.BBox[1] || bb["xmax"] != it.BBox[2] || bb["ymax"] != it.BBox[3] {
			t.Fatalf("%s: bbox %v, want %v", id, row["bbox"], it.BBox)
		}
		want, _ := time.Parse(time.RFC3339Nano, it.Properties["datetime"].(string))
		got, err := time.Parse(time.RFC3339Nano, fmt.Sprint(row["datetime"]))
		if err != nil || !got.Equal(want.Truncate(time.Microsecond)) {
			t.Fatalf("%s: datetime %v, want %v", id, row["datetime"], want)
		}
		if cc, ok := it.Properties["eo:cloud_cover"]; ok != (row["eo:cloud_cover"] != nil) || ok && row["eo:cloud_cover"] != cc {
			t.Fatalf("%s: cloud cover %v, want %v", id, row["eo:cloud_cover"], cc)
		}
		if row["platform"] != it.Properties["platform"] || row["sat:relative_orbit"] != it.Properties["sat:relative_orbit"] || fmt.Sprint(row["instruments"]) != "[msi]" {
			t.Fatalf("%s: properties %v %v %v", id, row["platform"], row["sat:relative_orbit"], row["instruments"])
		}
		asset, _ := row["assets"].(map[string]any)["B04"].(map[string]any)
		if asset["href"] != it.Assets["B04"].Href || asset["file:size"] != float64(it.Assets["B04"].Extra["file:size"].(int64)) ||
			!strings.Contains(fmt.Sprint(asset["bands"]), "B04") || fmt.Sprint(asset["roles"]) != "[data]" {
			t.Fatalf("%s: asset %v", id, asset)
		}
		g, _ := row["geometry"].(string)
		if it.Geometry == nil {
			if g != "" {
				t.Fatalf("%s: geometry for an item without one", id)
			}
			continue
		}
		wkb, err := base64.StdEncoding.DecodeString(g)
		if err != nil {
			t.Fatal(err)
		}
		var wantRings [][][2]float64
		var coords any
		switch g := it.Geometry.(type) {
		case map[string]any:
			coords = g["coordinates"]
		case *crs.Geometry:
			coords = g.Coordinates
		}
		switch c := coords.(type) {
		case [][][2]float64:
			wantRings = c
		case [][][][2]float64:
			for _, p := range c {
				wantRings = append(wantRings, p...)
			}
		}
		if gotRings := wkbRings(t, wkb); !slices.EqualFunc(gotRings, wantRings, slices.Equal) {
			t.Fatalf("%s: geometry %v, want %v", id, gotRings, wantRings)
		}
	}
	if len(byID) != 0 {
		t.Fatalf("%d items missing", len(byID))
	}
	// Statistics for what a search filters on, in every row group.
	for i, rg := range rb.RowGroups {
		for _, col := range []string{"datetime", "bbox.xmin", "bbox.ymin", "bbox.xmax", "bbox.ymax", "eo:cloud_cover", "sat:relative_orbit"} {
			st, ok := rg.Columns[col]
			if !ok || st.Min == nil || st.Max == nil || st.NullCount == nil {
				t.Errorf("row group %d: no statistics for %s: %+v", i, col, st)
			}
		}
	}
	// The metadata: GeoParquet's and the collection.
	var geo struct {
		Version       string
		PrimaryColumn string `json:"primary_column"`
		Columns       map[string]struct {
			Encoding      string
			GeometryTypes []string `json:"geometry_types"`
			Covering      map[string]map[string][]string
		}
	}
	if err := json.Unmarshal([]byte(rb.Metadata["geo"]), &geo); err != nil {
		t.Fatal(err)
	}
	g := geo.Columns["geometry"]
	if geo.PrimaryColumn != "geometry" || g.Encoding != "WKB" || !slices.Equal(g.GeometryTypes, []string{"MultiPolygon", "Polygon"}) ||
		!slices.Equal(g.Covering["bbox"]["xmin"], []string{"bbox", "xmin"}) {
		t.Errorf("geo metadata %s", rb.Metadata["geo"])
	}
	var sg struct {
		Version     string
		Collections map[string]map[string]any
	}
	if err := json.Unmarshal([]byte(rb.Metadata["stac-geoparquet"]), &sg); err != nil || sg.Version != Version || sg.Collections[coll.ID]["id"] != coll.ID {
		t.Errorf("stac-geoparquet metadata %s (%v)", rb.Metadata["stac-geoparquet"], err)
	}
	for _, col := range []string{"type", "stac_version", "stac_extensions", "id", "geometry", "bbox", "links", "assets", "collection", "datetime", "eo:cloud_cover"} {
		if !slices.Contains(rb.Schema, col) {
			t.Errorf("no column %s in %v", col, rb.Schema)
		}
	}
}

func TestRowsAreSortedByMonthThenAlongTheCurve(t *testing.T) {
	items := testenv.SyntheticItems(3000) // ~250 a month
	file, _ := writeFile(t, items, 100)
	rb := hyparquetRead(t, file)
	type key struct {
		month int64
		curve uint32
		t     int64
		id    string
	}
	keys := make([]key, len(rb.Rows))
	for i, row := range rb.Rows {
		dt, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(row["datetime"]))
		bb := row["bbox"].(map[string]any)
		w, e := bb["xmin"].(float64), bb["xmax"].(float64)
		if w > e {
			e += 360
		}
		keys[i] = key{int64(dt.Year())*12 + int64(dt.Month()), hilbert(lonLat((w+e)/2, (bb["ymin"].(float64)+bb["ymax"].(float64))/2)), dt.UnixMicro(), row["id"].(string)}
	}
	if !slices.IsSortedFunc(keys, func(a, b key) int {
		if a.month != b.month {
			return int(a.month - b.month)
		}
		if a.curve != b.curve {
			if a.curve < b.curve {
				return -1
			}
			return 1
		}
		if a.t != b.t {
			return int(a.t - b.t)
		}
		return strings.Compare(a.id, b.id)
	}) {
		t.Fatal("rows are not sorted by month, Hilbert index, time, id")
	}
	// What the sort buys: a row group covers about one month, so a query on
	// a month reads few row groups.
	var spans []float64
	for _, rg := range rb.RowGroups {
		lo, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(rg.Columns["datetime"].Min))
		hi, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(rg.Columns["datetime"].Max))
		spans = append(spans, hi.Sub(lo).Hours()/24)
	}
	slices.Sort(spans)
	if med := spans[len(spans)/2]; med > 31 {
		t.Errorf("a row group spans %.0f days (median): the time sort does not hold", med)
	}
}

func TestHilbertKeepsNeighboursClose(t *testing.T) {
	// The curve fills the grid quadrant by quadrant: the 16×16 cells at the
	// origin take the indices 0…255, once each, and consecutive indices are
	// side by side.
	at := map[uint32][2]int{}
	for x := range 16 {
		for y := range 16 {
			d := hilbert(uint32(x), uint32(y))
			if _, dup := at[d]; dup || d > 255 {
				t.Fatalf("cell %d,%d: index %d", x, y, d)
			}
			at[d] = [2]int{x, y}
		}
	}
	for d := uint32(1); d < 256; d++ {
		a, b := at[d-1], at[d]
		if dist := abs(a[0]-b[0]) + abs(a[1]-b[1]); dist != 1 {
			t.Fatalf("indices %d and %d are %d cells apart", d-1, d, dist)
		}
	}
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

func TestKinds(t *testing.T) {
	for _, c := range []struct {
		vals []any
		want kind
	}{
		{[]any{1.0, 2.0}, kInt},
		{[]any{1.0, 2.5}, kFloat},
		{[]any{nil, 2.5}, kFloat},
		{[]any{"a", "2024-01-01T00:00:00Z"}, kString},
		{[]any{"2024-01-01T00:00:00Z", nil}, kTime},
		{[]any{[]any{"a"}, []string{"b"}}, kStrings},
		{[]any{[]any{"a", 1.0}}, kJSON},
		{[]any{"a", 1.0}, kJSON},
		{[]any{true, false}, kBool},
		{[]any{map[string]any{"a": 1}}, kJSON},
	} {
		k := kNone
		for _, v := range c.vals {
			k = merge(k, kindOf(v))
		}
		if k != c.want {
			t.Errorf("%v: kind %d, want %d", c.vals, k, c.want)
		}
	}
	// A zero is a value, not a null.
	v, err := kFloat.value(0.0)
	if err != nil || v == nil || *v.(*float64) != 0 {
		t.Errorf("zero: %v %v", v, err)
	}
	if _, err := kFloat.value("x"); err == nil {
		t.Error("a string accepted as a number")
	}
}
