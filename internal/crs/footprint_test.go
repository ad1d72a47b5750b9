package crs

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
)

func mustCRS(t testing.TB, code int) Transformer {
	t.Helper()
	tr, err := ForEPSG(code)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// signedArea is the shoelace area in degrees² (positive = counter-clockwise).
func signedArea(r [][2]float64) float64 {
	a := 0.0
	for i := 0; i+1 < len(r); i++ {
		a += r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
	}
	return a / 2
}

func checkRing(t *testing.T, r [][2]float64) {
	t.Helper()
	if len(r) < 4 || r[0] != r[len(r)-1] {
		t.Fatalf("ring not closed or too short: %v", r)
	}
	if signedArea(r) <= 0 {
		t.Errorf("ring is not counter-clockwise (area %v)", signedArea(r))
	}
	for _, p := range r {
		if p[0] < -180 || p[0] > 180 || p[1] < -90 || p[1] > 90 {
			t.Errorf("position %v outside [-180,180]x[-90,90]", p)
		}
		for _, v := range p {
			if math.Round(v*1e9)/1e9 != v {
				t.Errorf("position %v not rounded to 1e-9", p)
			}
		}
	}
}

func polygon(t *testing.T, g *Geometry) [][2]float64 {
	t.Helper()
	c, ok := g.Coordinates.([][][2]float64)
	if g.Type != "Polygon" || !ok || len(c) != 1 {
		t.Fatalf("want a single-ring Polygon, got %s %T", g.Type, g.Coordinates)
	}
	checkRing(t, c[0])
	return c[0]
}

func TestFootprintNormalScene(t *testing.T) {
	// Montpellier, UTM 31N, north-up (as gen__gdal_cog_utm31n_...).
	gt := [6]float64{565000, 10, 0, 4835000, 0, -10}
	g, bbox, err := Footprint(mustCRS(t, 32631), gt, 1024, 1024, 0)
	if err != nil {
		t.Fatal(err)
	}
	r := polygon(t, g)
	// Densified, then simplified: vertices within 1 cm of a straight
	// segment are dropped, the curved UTM edges keep most of theirs.
	if len(r) < 20 || len(r) > 4*DefaultDensify+1 {
		t.Errorf("ring has %d positions, want 20..%d", len(r), 4*DefaultDensify+1)
	}
	// GDAL wgs84Extent of that file: UL (3.8062141, 43.6651622),
	// LL (3.8049831, 43.5729693), LR (3.9317835, 43.5720061), UR (3.9332083, 43.664196).
	if math.Abs(bbox[0]-3.8049831) > 2e-7 || math.Abs(bbox[3]-43.6651622) > 2e-7 ||
		math.Abs(bbox[2]-3.9332083) > 2e-7 || math.Abs(bbox[1]-43.5720061) > 2e-7 {
		t.Errorf("bbox %v", bbox)
	}
	if math.Abs(r[0][0]-3.8062141) > 2e-7 || math.Abs(r[0][1]-43.6651622) > 2e-7 {
		t.Errorf("first position %v is not the upper-left corner", r[0])
	}
	// The corners come in the order UL, LL, LR, UR (counter-clockwise).
	next := 0
	for _, c := range [][2]float64{{3.8049831, 43.5729693}, {3.9317835, 43.5720061}, {3.9332083, 43.664196}} {
		found := -1
		for i := next; i < len(r); i++ {
			if math.Abs(r[i][0]-c[0]) <= 2e-7 && math.Abs(r[i][1]-c[1]) <= 2e-7 {
				found = i
				break
			}
		}
		if found < 0 {
			t.Fatalf("corner %v missing or out of counter-clockwise order in %v", c, r)
		}
		next = found + 1
	}
	// Deterministic JSON.
	b1, _ := json.Marshal(g)
	g2, _, _ := Footprint(mustCRS(t, 32631), gt, 1024, 1024, 0)
	b2, _ := json.Marshal(g2)
	if string(b1) != string(b2) {
		t.Error("output not deterministic")
	}
}

func TestFootprintAntimeridianUTM60N(t *testing.T) {
	// rio-tiler cog_dateline.tif: x 570585..803115 in UTM 60N.
	gt := [6]float64{570585, 100.01290322580645, 0, 5847615, 0, -100.01273885350318}
	g, bbox, err := Footprint(mustCRS(t, 32660), gt, 2325, 2355, 0)
	if err != nil {
		t.Fatal(err)
	}
	if g.Type != "MultiPolygon" {
		t.Fatalf("type %s, want MultiPolygon", g.Type)
	}
	mp := g.Coordinates.([][][][2]float64)
	if len(mp) != 2 {
		t.Fatalf("%d polygons, want 2", len(mp))
	}
	for i, p := range mp {
		checkRing(t, p[0])
		onSeam := 0
		for _, q := range p[0] {
			if math.Abs(q[0]) == 180 {
				onSeam++
			}
		}
		if onSeam < 2 {
			t.Errorf("polygon %d has %d positions on ±180, want ≥ 2", i, onSeam)
		}
	}
	for _, q := range mp[0][0] {
		if q[0] < 0 {
			t.Errorf("west part has position %v east of the antimeridian", q)
		}
	}
	for _, q := range mp[1][0] {
		if q[0] > 0 {
			t.Errorf("east part has position %v west of the antimeridian", q)
		}
	}
	if !(bbox[0] > bbox[2]) {
		t.Errorf("bbox %v: want west > east", bbox)
	}
	// GDAL corners: 178.0463289 / 177.9985714 (west), -178.5138229 / -178.7178478 (east).
	if math.Abs(bbox[0]-177.9985714) > 1e-6 || math.Abs(bbox[2]-(-178.5138229)) > 1e-6 {
		t.Errorf("bbox %v", bbox)
	}
	if math.Abs(bbox[1]-50.5818535) > 1e-6 || math.Abs(bbox[3]-52.773743) > 1e-6 {
		t.Errorf("bbox %v", bbox)
	}
	// The seam points are on the true curved edge: ToWGS84 of the edge
	// pixel nearest to each seam point must be within a pixel (≤ 150 m).
	utm := mustCRS(t, 32660).(*CRS)
	for _, p := range mp {
		for _, q := range p[0] {
			if q[0] != 180 && q[0] != -180 {
				continue
			}
			x, y, err := utm.FromWGS84(180, q[1])
			if err != nil {
				t.Fatal(err)
			}
			// The seam point must lie on the top or bottom image edge.
			top, bottom := gt[3], gt[3]+2355*gt[5]
			if math.Min(math.Abs(y-top), math.Abs(y-bottom)) > 1e-3 || x < gt[0] || x > gt[0]+2325*gt[1] {
				t.Errorf("seam point %v maps to (%.3f, %.3f), not on the top/bottom edge", q, x, y)
			}
		}
	}
}

func TestFootprintAntimeridianGeographic(t *testing.T) {
	cases := []struct {
		name       string
		code       int
		gt         [6]float64
		w, h       int
		west, east float64
	}{
		{"lon 179..181", 4326, [6]float64{179, 0.004, 0, -16.1, 0, -0.004}, 500, 500, 179, -179},
		{"lon 179.79..180.19", 4269, [6]float64{179.79166666666669, 0.0166666666666667, 0, 54.94166666666668, 0, -0.0166666666666667}, 24, 60, 179.791666667, -179.808333333},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, bbox, err := Footprint(mustCRS(t, c.code), c.gt, c.w, c.h, 0)
			if err != nil {
				t.Fatal(err)
			}
			if g.Type != "MultiPolygon" || bbox[0] != c.west || bbox[2] != c.east {
				t.Fatalf("%s bbox %v, want MultiPolygon west %v east %v", g.Type, bbox, c.west, c.east)
			}
			for _, p := range g.Coordinates.([][][][2]float64) {
				checkRing(t, p[0])
			}
		})
	}
	// Entirely east of +180: a Polygon shifted to [-180, ...].
	g, bbox, err := Footprint(mustCRS(t, 4326), [6]float64{180.5, 0.5, 0, 10, 0, -0.5}, 2, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	polygon(t, g)
	if bbox != [4]float64{-179.5, 9, -178.5, 10} {
		t.Errorf("bbox %v", bbox)
	}
}

func TestFootprintRotated(t *testing.T) {
	// gen__gdal_rotated_modeltransformation_utm31n.tif: 30° rotation.
	gt := [6]float64{570000, 8.660254037844387, 5, 4830000, 5, -8.660254037844387}
	tr := mustCRS(t, 32631)
	g, bbox, err := Footprint(tr, gt, 256, 256, 4)
	if err != nil {
		t.Fatal(err)
	}
	r := polygon(t, g)
	// The four corners are vertices; the bbox is spanned by them (not by the
	// "upper-left"/"lower-right" pair, which a rotation makes meaningless).
	want := [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for _, p := range [][2]float64{{0, 0}, {0, 256}, {256, 256}, {256, 0}} {
		lon, lat, err := tr.ToWGS84(gt[0]+p[0]*gt[1]+p[1]*gt[2], gt[3]+p[0]*gt[4]+p[1]*gt[5])
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, q := range r {
			if math.Abs(q[0]-lon) < 1e-9 && math.Abs(q[1]-lat) < 1e-9 {
				found = true
			}
		}
		if !found {
			t.Errorf("corner %v (%v, %v) not a vertex", p, lon, lat)
		}
		want[0], want[1] = math.Min(want[0], lon), math.Min(want[1], lat)
		want[2], want[3] = math.Max(want[2], lon), math.Max(want[3], lat)
	}
	for i := range want {
		if math.Abs(bbox[i]-want[i]) > 1e-9 {
			t.Errorf("bbox %v, want %v", bbox, want)
			break
		}
	}
	if len(r) != 4*4+1 {
		t.Errorf("densify 4: %d positions", len(r))
	}
}

func TestFootprintSouthUpAndMirrored(t *testing.T) {
	tr := mustCRS(t, 4326)
	for name, gt := range map[string][6]float64{
		"south-up": {-180, 0.5, 0, -90, 0, 0.5}, // rio-tiler inverted_lat.tif
		"mirrored": {10, -0.5, 0, 50, 0, -0.5},  // x decreasing with column
		"north-up": {9.5, 0.5, 0, 50, 0, -0.5},  // reference
		"both":     {10, -0.5, 0, 49.5, 0, 0.5}, // x and y flipped
	} {
		g, bbox, err := Footprint(tr, gt, 1, 1, 0)
		if name == "south-up" {
			g, bbox, err = Footprint(tr, gt, 720, 360, 0)
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		polygon(t, g) // closed, CCW whatever the pixel orientation
		switch name {
		case "south-up":
			if bbox != [4]float64{-180, -90, 180, 90} {
				t.Errorf("%s bbox %v", name, bbox)
			}
		default:
			if bbox != [4]float64{9.5, 49.5, 10, 50} {
				t.Errorf("%s bbox %v", name, bbox)
			}
		}
	}
}

func TestFootprintDensifyFollowsCurve(t *testing.T) {
	// A wide Lambert-93 scene: its top edge (constant northing) is a curved
	// parallel-like line in lon/lat. The densified midpoint must be the true
	// transform of the edge midpoint, far (> 1 km) from the chord.
	tr := mustCRS(t, 2154)
	gt := [6]float64{200000, 1000, 0, 7000000, 0, -1000}
	g, _, err := Footprint(tr, gt, 1000, 400, 2)
	if err != nil {
		t.Fatal(err)
	}
	r := polygon(t, g)
	// Ring order: UL, mid-left, LL, mid-bottom, LR, mid-right, UR, mid-top, UL.
	if len(r) != 9 {
		t.Fatalf("ring %v", r)
	}
	ur, midTop, ul := r[6], r[7], r[8]
	lon, lat, _ := tr.ToWGS84(200000+500*1000, 7000000)
	if math.Abs(midTop[0]-lon) > 1e-9 || math.Abs(midTop[1]-lat) > 1e-9 {
		t.Errorf("mid-top %v, want (%v, %v)", midTop, lon, lat)
	}
	chordLat := (ur[1] + ul[1]) / 2
	if d := (lat - chordLat) * 111e3; d < 1000 {
		t.Errorf("true mid-edge only %.0f m from the chord: test scene not curved enough", d)
	}
	// Without densification (densify 1) the ring is just the 4 corners.
	g1, _, _ := Footprint(tr, gt, 1000, 400, 1)
	if n := len(polygon(t, g1)); n != 5 {
		t.Errorf("densify 1: %d positions", n)
	}
}

func TestFootprintErrors(t *testing.T) {
	utm := mustCRS(t, 32631)
	cases := []struct {
		name string
		tr   Transformer
		gt   [6]float64
		w, h int
		d    int
	}{
		{"zero width", utm, [6]float64{500000, 10, 0, 5e6, 0, -10}, 0, 10, 0},
		{"negative densify", utm, [6]float64{500000, 10, 0, 5e6, 0, -10}, 10, 10, -1},
		{"degenerate gt", utm, [6]float64{500000, 0, 0, 5e6, 0, -10}, 10, 10, 0},
		{"NaN gt", utm, [6]float64{math.NaN(), 10, 0, 5e6, 0, -10}, 10, 10, 0},
		{"nil transformer", nil, [6]float64{0, 1, 0, 0, 0, -1}, 1, 1, 0},
		// UTM 31N scene containing the North Pole (N ≈ 9997965 at the pole).
		{"encloses pole", utm, [6]float64{400000, 1000, 0, 10100000, 0, -1000}, 200, 200, 0},
		{"latitude far beyond 90", mustCRS(t, 4326), [6]float64{0, 1, 0, 95, 0, -1}, 10, 10, 0},
		{"wider than 360", mustCRS(t, 4326), [6]float64{-180, 1, 0, 10, 0, -1}, 400, 10, 0},
		{"Mercator pole", mustCRS(t, 3857), [6]float64{0, 1e6, 0, 1e9, 0, -1e6}, 10, 10, 0},
	}
	for _, c := range cases {
		g, _, err := Footprint(c.tr, c.gt, c.w, c.h, c.d)
		if err == nil {
			t.Errorf("%s: got %v, want error", c.name, g)
			continue
		}
		t.Logf("%s: %v", c.name, err)
	}
	_, _, err := Footprint(utm, [6]float64{0, 0, 0, 0, 0, 0}, 1, 1, 0)
	if !errors.Is(err, ErrInvalidFootprint) {
		t.Errorf("degenerate gt error %v does not wrap ErrInvalidFootprint", err)
	}
}

// plainTransformer hides *CRS so that Footprint takes the generic path
// (normalised longitudes + vertex-by-vertex unwrapping).
type plainTransformer struct{ Transformer }

func TestFootprintGenericTransformer(t *testing.T) {
	gt := [6]float64{570585, 100.01290322580645, 0, 5847615, 0, -100.01273885350318}
	a, ba, err := Footprint(mustCRS(t, 32660), gt, 2325, 2355, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, bb, err := Footprint(plainTransformer{mustCRS(t, 32660)}, gt, 2325, 2355, 0)
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) || ba != bb {
		t.Errorf("generic path differs:\n%s\n%s", ja, jb)
	}
}

func BenchmarkToWGS84(b *testing.B) {
	for _, code := range []int{32631, 2154, 3035, 27700, 3857, 4326} {
		tr := mustCRS(b, code)
		x, y := 570000.0, 4830000.0
		switch code {
		case 2154:
			x, y = 650000, 6860000
		case 3035:
			x, y = 4321000, 3210000
		case 27700:
			x, y = 530000, 180000
		case 3857:
			x, y = 430000, 5400000
		case 4326:
			x, y = 3.8, 43.6
		}
		b.Run(mustCRS(b, code).(*CRS).String(), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, _, err := tr.ToWGS84(x+float64(i%100), y); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkFootprint(b *testing.B) {
	tr := mustCRS(b, 32660)
	gt := [6]float64{570585, 100.01290322580645, 0, 5847615, 0, -100.01273885350318}
	b.Run("UTM60N-antimeridian", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, _, err := Footprint(tr, gt, 2325, 2355, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	tr31 := mustCRS(b, 32631)
	gt31 := [6]float64{565000, 10, 0, 4835000, 0, -10}
	b.Run("UTM31N", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, _, err := Footprint(tr31, gt31, 1024, 1024, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestFootprintSimplifiesStraightEdges(t *testing.T) {
	// A geographic raster's edges are straight in lon/lat: only the corners stay.
	g, _, err := Footprint(mustCRS(t, 4326), [6]float64{3.6, 0.001, 0, 43.9, 0, -0.001}, 512, 512, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r := polygon(t, g); len(r) != 5 {
		t.Fatalf("ring %v: want the 4 corners and the closing vertex", r)
	}
	// A vertex 1 mm off a straight line is dropped, one 1 km off is kept.
	ring := [][2]float64{{0, 0}, {1, 0}, {1, 0.5 + 1e-8}, {1, 1}, {0.5, 1.01}, {0, 1}}
	got := simplify(ring, simplifyTolerance)
	if len(got) != 5 || got[2] != [2]float64{1, 1} || got[3] != [2]float64{0.5, 1.01} {
		t.Fatalf("simplify = %v", got)
	}
}
