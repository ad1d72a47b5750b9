package render

import (
	"math"
	"math/rand/v2"
	"net/url"
	"testing"

	"gitlab.com/eocat/eocat/internal/crs"
)

// TestLinkFastPathMatchesResolution: link's concatenation of plain paths
// gives what URL resolution gives, and everything else is resolved.
func TestLinkFastPathMatchesResolution(t *testing.T) {
	for _, base := range []string{"https://eocat.example.org/", "https://example.org/group/cat/", "https://example.org/My%20Cat/"} {
		r := &Renderer{opts: Options{BaseURL: base}}
		var err error
		if r.base, err = url.Parse(base); err != nil {
			t.Fatal(err)
		}
		r.plainBase = r.base.String() == base
		pages := []string{"index.html", "c/index.html", "c/x/index.html", "c/page-2.html", "c/id with space/index.html", "c/%41/index.html", "c/./x/index.html", "c/../x/index.html"}
		refs := []string{"x.json", "./B04.tif", "a/b.tif", "../index.html", "./a/../b.tif", "a//b.tif", "a b.tif", "a%20b.tif", "?q=1", "#frag", "x.tif?x=1", "./", ".", "~u/x.tif", "A-b_c.d~e.TIF"}
		plain := 0
		for _, p := range pages {
			for _, ref := range refs {
				if safeURL(ref) == "" {
					continue
				}
				got, want := r.link(p, ref), r.resolve(p, ref)
				if got != want {
					t.Errorf("base %s page %q ref %q: link %q, resolution %q", base, p, ref, got, want)
				}
				if r.plainBase && plainPath(p) && plainPath(ref) {
					plain++
				}
			}
		}
		if r.plainBase && plain == 0 {
			t.Errorf("base %s: no case took the fast path", base)
		}
	}
}

// TestItemGeoJSMatchesEncodingJSON: the footprint data block written by
// hand is byte for byte what encoding/json writes.
func TestItemGeoJSMatchesEncodingJSON(t *testing.T) {
	ring := [][2]float64{{3.5599541, 43.8875706}, {-179.999999999, -0.0000005}, {1e-7, 2.5e-8}, {0, -90}, {180, 90}, {12345.678, 1e21},
		{0.000001, -0.000001}, {999999.999999999, -999999.999999999}, {1e6, 0.1 + 0.2}, {-0.5, 43.100000001}, {3.5599541, 43.8875706}}
	// Values as crs.Footprint rounds them (to 1e-9), over several magnitudes.
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		v := (rng.Float64()*2 - 1) * math.Pow(10, float64(rng.IntN(10)-4))
		ring = append(ring, [2]float64{math.Round(v*1e9) / 1e9, v})
	}
	ring = append(ring, ring[0])
	for _, g := range []any{
		&crs.Geometry{Type: "Polygon", Coordinates: [][][2]float64{ring}},
		crs.Geometry{Type: "MultiPolygon", Coordinates: [][][][2]float64{{ring}, {ring, ring}}},
		map[string]any{"type": "Point", "coordinates": []any{1.0, 2.0}},
		nil,
	} {
		for _, id := range []string{"S2A_x", `</script><script>alert(1)</script>`, "a\u2028b&c\"d"} {
			want := jsonJS(featureCollection(feature{Type: "Feature", Geometry: g, Properties: map[string]any{"id": id}}))
			if got := itemGeoJS(g, id); got != want {
				t.Errorf("%v, id %q:\n got %s\nwant %s", g, id, got, want)
			}
		}
	}
}
