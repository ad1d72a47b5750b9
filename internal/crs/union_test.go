package crs

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// ---- RectUnion ----

func TestRectUnionIdentical(t *testing.T) {
	r := [4]float64{300000, 4990200, 409800, 5100000}
	bbox, exact := RectUnion([][4]float64{r, r, r})
	if !exact || bbox != r {
		t.Errorf("got %v exact=%v, want %v exact", bbox, exact, r)
	}
}

func TestRectUnionNestedBands(t *testing.T) {
	// Sentinel-2 T31TEJ: the 10 m and 20 m bands cover the same extent; the
	// 20 m one computed from its own geotransform differs by rounding.
	b10 := [4]float64{499980, 4690200, 609780, 4800000}
	b20 := [4]float64{499980 + 20*1e-9, 4800000 - 5490*20.000000000001, 499980 + 5490*20.0000000000001, 4800000}
	bbox, exact := RectUnion([][4]float64{b10, b20})
	if !exact {
		t.Errorf("10 m and 20 m bands: not exact (%v, %v)", b10, b20)
	}
	want := [4]float64{min(b10[0], b20[0]), min(b10[1], b20[1]), max(b10[2], b20[2]), max(b10[3], b20[3])}
	if bbox != want {
		t.Errorf("bbox %v, want %v", bbox, want)
	}
	// A band strictly inside another: the union is the larger one.
	inner := [4]float64{500000, 4700000, 600000, 4790000}
	if bbox, exact := RectUnion([][4]float64{inner, b10}); !exact || bbox != b10 {
		t.Errorf("nested: %v exact=%v, want %v exact", bbox, exact, b10)
	}
	// Reversed corners (y from a north-up geotransform) are sorted.
	if bbox, exact := RectUnion([][4]float64{{b10[0], b10[3], b10[2], b10[1]}}); !exact || bbox != b10 {
		t.Errorf("reversed corners: %v exact=%v", bbox, exact)
	}
}

// mosaic returns the extents of rows×cols tiles of w×h pixels of size px
// as computed from each tile's own geotransform: its origin as written in
// the tile's metadata (to the micrometre), its right and bottom edges
// origin + w·px, origin − h·px. Shared edges then differ by up to 0.5 µm.
func mosaic(rows, cols int, w, h, px float64, skip map[[2]int]bool) [][4]float64 {
	x0, y0 := 512345.6, 4876543.2
	µm := func(v float64) float64 { return math.Round(v*1e6) / 1e6 }
	var out [][4]float64
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			if skip[[2]int{r, c}] {
				continue
			}
			left := µm(x0 + float64(c)*w*px)
			top := µm(y0 - float64(r)*h*px)
			out = append(out, [4]float64{left, top - h*px, left + w*px, top})
		}
	}
	return out
}

func TestRectUnionMosaic(t *testing.T) {
	const w, h, px = 7411, 5902, 1.3
	tiles := mosaic(2, 2, w, h, px, nil)
	// The shared edges really differ.
	if tiles[0][2] == tiles[1][0] || tiles[0][1] == tiles[2][3] {
		t.Fatalf("shared edges are bit-identical: %v", tiles)
	}
	bbox, exact := RectUnion(tiles)
	want := [4]float64{512345.6, 4876543.2 - 2*h*px, 512345.6 + 2*w*px, 4876543.2}
	if !exact {
		t.Errorf("2×2 mosaic sharing edges: not exact")
	}
	for i := range want {
		if math.Abs(bbox[i]-want[i]) > 1e-6 {
			t.Errorf("bbox %v, want %v", bbox, want)
			break
		}
	}
	// R2C1 missing: same bbox, not exact.
	missing := mosaic(2, 2, w, h, px, map[[2]int]bool{{1, 0}: true})
	bbox2, exact := RectUnion(missing)
	if exact || bbox2 != bbox {
		t.Errorf("mosaic with a missing tile: %v exact=%v, want %v not exact", bbox2, exact, bbox)
	}
	// A 3×3 mosaic without its centre tile (a hole) is not exact either.
	if _, exact := RectUnion(mosaic(3, 3, w, h, px, map[[2]int]bool{{1, 1}: true})); exact {
		t.Errorf("3×3 mosaic without its centre: exact")
	}
	// A gap of 1e-6 of the extent between two tiles is not rounding.
	a := [4]float64{0, 0, 1000, 1000}
	b := [4]float64{1000 + 2000*1e-6, 0, 2000, 1000}
	if _, exact := RectUnion([][4]float64{a, b}); exact {
		t.Errorf("tiles 2 mm apart: exact")
	}
	b[0] = 1000 + 2000*1e-10
	if _, exact := RectUnion([][4]float64{a, b}); !exact {
		t.Errorf("tiles 0.2 µm apart: not exact")
	}
}

func TestRectUnionOverlapping(t *testing.T) {
	// Tiles delivered with a 100 m overlap cover their bbox.
	tiles := [][4]float64{{0, 0, 10100, 10100}, {10000, 0, 20000, 10100}, {0, 10000, 10100, 20000}, {10000, 10000, 20000, 20000}}
	if bbox, exact := RectUnion(tiles); !exact || bbox != [4]float64{0, 0, 20000, 20000} {
		t.Errorf("overlapping tiles: %v exact=%v", bbox, exact)
	}
	// Overlapping in one direction but leaving a notch.
	tiles = [][4]float64{{0, 0, 15000, 10000}, {10000, 5000, 20000, 20000}}
	if bbox, exact := RectUnion(tiles); exact || bbox != [4]float64{0, 0, 20000, 20000} {
		t.Errorf("overlap with notch: %v exact=%v", bbox, exact)
	}
}

func TestRectUnionDegenerate(t *testing.T) {
	if bbox, exact := RectUnion(nil); exact || bbox != [4]float64{} {
		t.Errorf("nil: %v %v", bbox, exact)
	}
	if bbox, exact := RectUnion([][4]float64{{0, 0, 1, 1}, {0, 0, math.NaN(), 1}}); exact || bbox != [4]float64{} {
		t.Errorf("NaN: %v %v", bbox, exact)
	}
	if _, exact := RectUnion([][4]float64{{0, 0, 0, 1}}); exact {
		t.Errorf("zero width: exact")
	}
	// A zero-width rectangle sticking out of the others widens the bbox.
	if bbox, exact := RectUnion([][4]float64{{0, 0, 1, 1}, {2, 0, 2, 1}}); exact || bbox != [4]float64{0, 0, 2, 1} {
		t.Errorf("sliver: %v %v", bbox, exact)
	}
}

// ---- Union: helpers ----

func utRect(x0, y0, x1, y1 float64) *Geometry {
	return &Geometry{Type: "Polygon", Coordinates: [][][2]float64{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}}
}

// utDense is the rectangle with n segments per edge (collinear vertices,
// like Footprint's densified outline of a straight edge).
func utDense(x0, y0, x1, y1 float64, n int) *Geometry {
	c := [5][2]float64{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}
	var r [][2]float64
	for e := 0; e < 4; e++ {
		for k := 0; k < n; k++ {
			f := float64(k) / float64(n)
			r = append(r, [2]float64{round(c[e][0] + f*(c[e+1][0]-c[e][0])), round(c[e][1] + f*(c[e+1][1]-c[e][1]))})
		}
	}
	return &Geometry{Type: "Polygon", Coordinates: [][][2]float64{append(r, r[0])}}
}

// utPieces returns the polygons of a Polygon or MultiPolygon.
func utPieces(t *testing.T, g *Geometry) [][][][2]float64 {
	t.Helper()
	switch c := g.Coordinates.(type) {
	case [][][2]float64:
		if g.Type == "Polygon" {
			return [][][][2]float64{c}
		}
	case [][][][2]float64:
		if g.Type == "MultiPolygon" {
			if len(c) < 2 {
				t.Errorf("MultiPolygon with %d pieces", len(c))
			}
			return c
		}
	}
	t.Fatalf("type %q with coordinates %T", g.Type, g.Coordinates)
	return nil
}

// utArea is the shoelace signed area of a closed ring.
func utArea(r [][2]float64) float64 {
	a := 0.0
	for i := 0; i+1 < len(r); i++ {
		a += r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
	}
	return a / 2
}

func utSegDist(p, a, b [2]float64) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	t := 0.0
	if l := dx*dx + dy*dy; l > 0 {
		t = math.Max(0, math.Min(1, ((p[0]-a[0])*dx+(p[1]-a[1])*dy)/l))
	}
	return math.Hypot(p[0]-a[0]-t*dx, p[1]-a[1]-t*dy)
}

func utCross(a, b, c [2]float64) float64 {
	return (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
}

// utTouch reports whether closed segments p–q and c–d come within 1e-12.
func utTouch(p, q, c, d [2]float64) bool {
	o1, o2, o3, o4 := utCross(p, q, c), utCross(p, q, d), utCross(c, d, p), utCross(c, d, q)
	if o1*o2 < 0 && o3*o4 < 0 {
		return true
	}
	return min(utSegDist(p, c, d), utSegDist(q, c, d), utSegDist(c, p, q), utSegDist(d, p, q)) <= 1e-12
}

// utOverlap reports whether segments p–q and c–d cross properly or share a
// stretch of positive length (touching at a point is allowed between
// different rings).
func utOverlap(p, q, c, d [2]float64) bool {
	o1, o2, o3, o4 := utCross(p, q, c), utCross(p, q, d), utCross(c, d, p), utCross(c, d, q)
	if o1*o2 < 0 && o3*o4 < 0 {
		return true
	}
	l := math.Hypot(q[0]-p[0], q[1]-p[1])
	if math.Abs(o1)/l > 1e-12 || math.Abs(o2)/l > 1e-12 {
		return false // not collinear
	}
	// Collinear: overlap of the projections on p→q.
	proj := func(x [2]float64) float64 { return ((x[0]-p[0])*(q[0]-p[0]) + (x[1]-p[1])*(q[1]-p[1])) / l }
	tc, td := proj(c), proj(d)
	return min(l, max(tc, td))-max(0, min(tc, td)) > 1e-12
}

func utInRing(r [][2]float64, p [2]float64) bool {
	in := false
	for i := 0; i+1 < len(r); i++ {
		a, b := r[i], r[i+1]
		if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < a[0]+(p[1]-a[1])*(b[0]-a[0])/(b[1]-a[1]) {
			in = !in
		}
	}
	return in
}

// utValid checks that g is valid GeoJSON as Union promises and returns its
// area (exteriors minus holes) in degrees².
func utValid(t *testing.T, g *Geometry) float64 {
	t.Helper()
	pieces := utPieces(t, g)
	total := 0.0
	var all [][][2]float64
	for pi, poly := range pieces {
		if len(poly) == 0 {
			t.Fatalf("piece %d without rings", pi)
		}
		for ri, r := range poly {
			if len(r) < 4 || r[0] != r[len(r)-1] {
				t.Fatalf("piece %d ring %d not closed or too short: %v", pi, ri, r)
			}
			a := utArea(r)
			if ri == 0 && a <= 0 {
				t.Errorf("piece %d exterior not counter-clockwise (area %g): %v", pi, a, r)
			}
			if ri > 0 && a >= 0 {
				t.Errorf("piece %d hole %d not clockwise (area %g)", pi, ri, a)
			}
			total += a
			n := len(r) - 1
			for i := 0; i < n; i++ {
				p := r[i]
				if p == r[i+1] {
					t.Errorf("repeated position %v", p)
				}
				if p[0] < -180 || p[0] > 180 || p[1] < -90 || p[1] > 90 {
					t.Errorf("position %v out of range", p)
				}
				for _, v := range p {
					if math.Round(v*1e9)/1e9 != v {
						t.Errorf("position %v not rounded to 1e-9", p)
					}
				}
				// Simple: non-adjacent edges never touch, adjacent ones
				// do not fold back.
				q := r[i+1]
				for j := i + 1; j < n; j++ {
					c, d := r[j], r[j+1]
					adjacent := j == i+1 || (i == 0 && j == n-1)
					if adjacent {
						if utSegDist(d, p, q) <= 1e-12 && j == i+1 || utSegDist(c, p, q) <= 1e-12 && j != i+1 {
							t.Errorf("piece %d ring %d folds back at %v", pi, ri, c)
						}
						continue
					}
					if utTouch(p, q, c, d) {
						t.Errorf("piece %d ring %d not simple: %v–%v touches %v–%v", pi, ri, p, q, c, d)
					}
				}
			}
			all = append(all, r)
		}
	}
	// Different rings (holes, other pieces) may touch at points only.
	for i := range all {
		for j := i + 1; j < len(all); j++ {
			for k := 0; k+1 < len(all[i]); k++ {
				for l := 0; l+1 < len(all[j]); l++ {
					if utOverlap(all[i][k], all[i][k+1], all[j][l], all[j][l+1]) {
						t.Errorf("rings %d and %d cross or share an edge: %v–%v, %v–%v",
							i, j, all[i][k], all[i][k+1], all[j][l], all[j][l+1])
					}
				}
			}
		}
	}
	// Pieces do not overlap: no vertex of one strictly inside another.
	for i, pa := range pieces {
		for j, pb := range pieces {
			if i == j {
				continue
			}
			for _, v := range pa[0] {
				in := utInRing(pb[0], v)
				for _, h := range pb[1:] {
					if utInRing(h, v) {
						in = false
					}
				}
				onBoundary := false
				for _, r := range pb {
					for k := 0; k+1 < len(r); k++ {
						if utSegDist(v, r[k], r[k+1]) <= 1e-9 {
							onBoundary = true
						}
					}
				}
				if in && !onBoundary {
					t.Errorf("vertex %v of piece %d inside piece %d", v, i, j)
				}
			}
		}
	}
	return total
}

func utNear(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func utMustUnion(t *testing.T, a, b *Geometry, tol float64) (*Geometry, [4]float64, bool) {
	t.Helper()
	u, bbox, disjoint, err := Union(a, b, tol)
	if err != nil {
		t.Fatal(err)
	}
	return u, bbox, disjoint
}

// ---- Union: cases ----

func TestUnionIdenticalAndWithin(t *testing.T) {
	a := utRect(2, 40, 3, 41)
	u, bbox, disjoint := utMustUnion(t, a, utRect(2, 40, 3, 41), 0)
	if u != a || disjoint || bbox != [4]float64{2, 40, 3, 41} {
		t.Errorf("identical: got %v %v disjoint=%v, want a", u, bbox, disjoint)
	}
	// b inside a, b within tol of a's boundary (a 20 m band a fraction of
	// a pixel larger), and a inside b.
	in := utRect(2.2, 40.2, 2.8, 40.8)
	if u, _, _ := utMustUnion(t, a, in, 0); u != a {
		t.Errorf("b inside a: got %+v", u)
	}
	larger := utRect(2-2e-7, 40-1e-7, 3+1e-7, 41)
	if u, _, _ := utMustUnion(t, a, larger, 1e-6); u != a {
		t.Errorf("b within tol of a: got %+v", u)
	}
	if u, _, _ := utMustUnion(t, in, a, 0); u != a {
		t.Errorf("a inside b: got %+v", u)
	}
	// Just beyond tol is a real union.
	if u, _, _ := utMustUnion(t, a, larger, 1e-8); u == a {
		t.Errorf("b 2e-7° outside a with tol 1e-8: returned a")
	} else if area := utValid(t, u); !utNear(area, (1+3e-7)*(1+1e-7), 1e-12) {
		t.Errorf("area %v", area)
	}
}

func TestUnionWithinChecksEdges(t *testing.T) {
	// A U shape (open at the top) and a bar whose four corners lie in its
	// arms but which spans the slot: vertices alone would say "within".
	u := &Geometry{Type: "Polygon", Coordinates: [][][2]float64{{{0, 0}, {3, 0}, {3, 3}, {2, 3}, {2, 1}, {1, 1}, {1, 3}, {0, 3}, {0, 0}}}}
	bar := utRect(0.5, 1.5, 2.5, 2)
	g, _, disjoint := utMustUnion(t, u, bar, 1e-9)
	if g == u || disjoint {
		t.Fatalf("bar spanning the slot: returned a / disjoint")
	}
	// U (9 − 2) plus the part of the bar over the slot (1 × 0.5).
	if area := utValid(t, g); !utNear(area, 7.5, 1e-12) {
		t.Errorf("area %v, want 7.5", area)
	}
	// The slot is now closed by the bar: a hole [1,2]×[1,1.5].
	if p := utPieces(t, g); len(p) != 1 || len(p[0]) != 2 || !utNear(utArea(p[0][1]), -0.5, 1e-12) {
		t.Errorf("want one polygon with a 0.5° hole, got %v", p)
	}
}

func TestUnionTouchingSquares(t *testing.T) {
	u, bbox, disjoint := utMustUnion(t, utRect(0, 0, 1, 1), utRect(1, 0, 2, 1), 0)
	if disjoint {
		t.Errorf("touching squares reported disjoint")
	}
	want := [][2]float64{{0, 0}, {2, 0}, {2, 1}, {0, 1}, {0, 0}}
	p := utPieces(t, u)
	if u.Type != "Polygon" || len(p[0]) != 1 || len(p[0][0]) != 5 {
		t.Fatalf("want one rectangle, got %s %v", u.Type, p)
	}
	for i := range want {
		if p[0][0][i] != want[i] {
			t.Errorf("ring %v, want %v", p[0][0], want)
			break
		}
	}
	if area := utValid(t, u); area != 2 {
		t.Errorf("area %v, want 2", area)
	}
	if bbox != [4]float64{0, 0, 2, 1} {
		t.Errorf("bbox %v", bbox)
	}
	// Shifted by half a side: the shared edge is split at T-junctions.
	u, _, _ = utMustUnion(t, utRect(0, 0, 1, 1), utRect(1, 0.5, 2, 1.5), 0)
	if area := utValid(t, u); area != 2 || len(utPieces(t, u)[0][0]) != 9 {
		t.Errorf("offset touching squares: area %v, %v", area, u.Coordinates)
	}
	// Tiles 5e-8° apart (rounding of two geotransforms) merge with tol 1e-7.
	u, _, disjoint = utMustUnion(t, utRect(0, 0, 1, 1), utRect(1.00000005, 0, 2, 1), 1e-7)
	if disjoint || u.Type != "Polygon" || len(utPieces(t, u)[0][0]) != 5 {
		t.Errorf("near-touching tiles: %s %v", u.Type, u.Coordinates)
	} else if area := utValid(t, u); !utNear(area, 2, 1e-7) {
		t.Errorf("near-touching tiles: area %v", area)
	}
	// Squares touching at a corner stay two pieces.
	u, _, disjoint = utMustUnion(t, utRect(0, 0, 1, 1), utRect(1, 1, 2, 2), 0)
	if disjoint || u.Type != "MultiPolygon" || len(utPieces(t, u)) != 2 || utValid(t, u) != 2 {
		t.Errorf("corner-touching squares: disjoint=%v %s %v", disjoint, u.Type, u.Coordinates)
	}
}

func TestUnionOverlapping(t *testing.T) {
	a, b := utRect(10, 45, 12, 47), utRect(11, 46, 13.5, 48)
	u, bbox, disjoint := utMustUnion(t, a, b, 0)
	if disjoint || u.Type != "Polygon" {
		t.Fatalf("got %s disjoint=%v", u.Type, disjoint)
	}
	if area := utValid(t, u); !utNear(area, 4+2.5*2-1*1, 1e-12) {
		t.Errorf("area %v, want 8", area)
	}
	if n := len(utPieces(t, u)[0][0]); n != 9 {
		t.Errorf("%d positions, want 8 corners + closing", n)
	}
	if bbox != [4]float64{10, 45, 13.5, 48} {
		t.Errorf("bbox %v", bbox)
	}
	// Same with a rotated square (crossings off the grid, rounded).
	c := &Geometry{Type: "Polygon", Coordinates: [][][2]float64{{{12, 45.5}, {13.2, 46.3}, {12.4, 47.5}, {11.2, 46.7}, {12, 45.5}}}}
	u, _, _ = utMustUnion(t, a, c, 0)
	ac := utArea(c.Coordinates.([][][2]float64)[0])
	cr, ar := c.Coordinates.([][][2]float64)[0], a.Coordinates.([][][2]float64)[0]
	overlap := utOpenArea(utConvexClip(cr[:4], ar[:4]))
	if area := utValid(t, u); !utNear(area, 4+ac-overlap, 1e-8) {
		t.Errorf("rotated: area %v, want %v", area, 4+ac-overlap)
	}
}

// utConvexClip clips the convex ring s by the convex ring c (both open and
// counter-clockwise; Sutherland–Hodgman), for expected areas.
func utConvexClip(s, c [][2]float64) [][2]float64 {
	out := s
	for i := range c {
		a, b := c[i], c[(i+1)%len(c)]
		in := func(p [2]float64) bool { return utCross(a, b, p) >= 0 }
		var next [][2]float64
		for j := range out {
			p, q := out[(j+len(out)-1)%len(out)], out[j]
			cut := func() [2]float64 {
				d1, d2 := utCross(a, b, p), utCross(a, b, q)
				f := d1 / (d1 - d2)
				return [2]float64{p[0] + f*(q[0]-p[0]), p[1] + f*(q[1]-p[1])}
			}
			switch {
			case in(p) && in(q):
				next = append(next, q)
			case in(p):
				next = append(next, cut())
			case in(q):
				next = append(next, cut(), q)
			}
		}
		if out = next; len(out) == 0 {
			return nil
		}
	}
	return out
}

// utOpenArea is the signed area of an open ring.
func utOpenArea(r [][2]float64) float64 {
	if len(r) < 3 {
		return 0
	}
	return utArea(append(append([][2]float64(nil), r...), r[0]))
}

func TestUnionDisjoint(t *testing.T) {
	a, b := utRect(0, 0, 1, 1), utRect(5, 5, 6, 7)
	u, bbox, disjoint := utMustUnion(t, a, b, 1e-7)
	if !disjoint || u.Type != "MultiPolygon" {
		t.Fatalf("got %s disjoint=%v", u.Type, disjoint)
	}
	p := utPieces(t, u)
	if len(p) != 2 || p[0][0][0] != [2]float64{0, 0} || p[1][0][2] != [2]float64{6, 7} {
		t.Errorf("pieces %v, want a then b", p)
	}
	if area := utValid(t, u); area != 3 || bbox != [4]float64{0, 0, 6, 7} {
		t.Errorf("area %v bbox %v", area, bbox)
	}
	// A gap larger than tol is disjoint, a gap within tol is not.
	if _, _, disjoint := utMustUnion(t, a, utRect(1+2e-7, 0, 2, 1), 1e-7); !disjoint {
		t.Errorf("gap 2e-7 with tol 1e-7: not disjoint")
	}
	if _, _, disjoint := utMustUnion(t, a, utRect(1+5e-8, 0, 2, 1), 1e-7); disjoint {
		t.Errorf("gap 5e-8 with tol 1e-7: disjoint")
	}
	// A footprint in a hole of a union is disjoint from it.
	ring, _, _ := utMustUnion(t, utRect(0, 0, 3, 1), utRect(0, 2, 3, 3), 0)
	ring, _, _ = utMustUnion(t, ring, utRect(0, 0, 1, 3), 0)
	ring, _, _ = utMustUnion(t, ring, utRect(2, 0, 3, 3), 0)
	if _, _, disjoint := utMustUnion(t, ring, utRect(1.4, 1.4, 1.6, 1.6), 0); !disjoint {
		t.Errorf("square in the hole: not disjoint")
	}
	// Filling the hole exactly removes it.
	full, _, _ := utMustUnion(t, ring, utRect(1, 1, 2, 2), 0)
	if p := utPieces(t, full); len(p) != 1 || len(p[0]) != 1 || len(p[0][0]) != 5 || utValid(t, full) != 9 {
		t.Errorf("filled hole: %v", full.Coordinates)
	}
}

func TestUnionLShape(t *testing.T) {
	u, _, _ := utMustUnion(t, utRect(0, 0, 2, 1), utRect(0, 0, 1, 2), 0)
	p := utPieces(t, u)
	if area := utValid(t, u); area != 3 || len(p) != 1 || len(p[0][0]) != 7 {
		t.Errorf("L: area %v, %v", area, p)
	}
	// Filling the notch gives the square, without the collinear vertices.
	sq, _, _ := utMustUnion(t, u, utRect(1, 1, 2, 2), 0)
	if area := utValid(t, sq); area != 4 || len(utPieces(t, sq)[0][0]) != 5 {
		t.Errorf("L + notch: area %v, %v", area, sq.Coordinates)
	}
	// A triangle with its vertices in the L but covering the notch corner.
	tri := &Geometry{Type: "Polygon", Coordinates: [][][2]float64{{{0.5, 0.5}, {1.9, 0.5}, {0.5, 1.9}, {0.5, 0.5}}}}
	g, _, _ := utMustUnion(t, u, tri, 0)
	// Part of the triangle outside the L: x+y ≤ 2.4 with x, y ≥ 1, area 0.4²/2.
	if g == u {
		t.Errorf("triangle over the notch: returned the L")
	} else if area := utValid(t, g); !utNear(area, 3+0.08, 1e-9) {
		t.Errorf("L + triangle: area %v, want 3.08", area)
	}
}

func TestUnionDensified(t *testing.T) {
	// Like Footprint output: 16 segments per edge, most vertices collinear.
	a := utDense(0, 0, 1, 1, 16)
	b := utDense(0.5, 0.25, 1.5, 0.75, 16)
	u, _, _ := utMustUnion(t, a, b, 1e-9)
	if area := utValid(t, u); !utNear(area, 1.25, 1e-12) {
		t.Errorf("area %v, want 1.25", area)
	}
	if n := len(utPieces(t, u)[0][0]); n != 9 {
		t.Errorf("%d positions, want 8 corners + closing", n)
	}
	// Tiles sharing an edge densified differently (vertices of one on the
	// edges of the other).
	u, _, _ = utMustUnion(t, utDense(0, 0, 1, 1, 16), utDense(1, 0, 2, 1, 7), 1e-9)
	if area := utValid(t, u); area != 2 || len(utPieces(t, u)[0][0]) != 5 {
		t.Errorf("differently densified tiles: area %v, %v", area, u.Coordinates)
	}
	// A densified tile within a plain one of the same extent is "within".
	plain := utRect(0, 0, 1, 1)
	if u, _, _ := utMustUnion(t, plain, utDense(0, 0, 1, 1, 16), 1e-9); u != plain {
		t.Errorf("densified copy: not within")
	}
}

func TestUnionAntimeridian(t *testing.T) {
	split := &Geometry{Type: "MultiPolygon", Coordinates: [][][][2]float64{
		{{{170, 0}, {180, 0}, {180, 10}, {170, 10}, {170, 0}}},
		{{{-180, 0}, {-170, 0}, {-170, 10}, {-180, 10}, {-180, 0}}},
	}}
	// A footprint on the west side overlapping the western half.
	u, bbox, disjoint := utMustUnion(t, split, utRect(165, 5, 175, 15), 1e-9)
	if disjoint || u.Type != "MultiPolygon" {
		t.Fatalf("got %s disjoint=%v", u.Type, disjoint)
	}
	p := utPieces(t, u)
	if area := utValid(t, u); len(p) != 2 || area != 200+100-25 {
		t.Errorf("area %v, pieces %v", area, p)
	}
	if bbox != [4]float64{165, 0, -170, 15} {
		t.Errorf("bbox %v, want [165 0 -170 15]", bbox)
	}
	// West of the antimeridian first (as Footprint), the eastern piece
	// untouched.
	if w := p[0][0]; w[0] != [2]float64{165, 5} || len(w) != 9 || utArea(w) != 175 {
		t.Errorf("western piece %v", w)
	}
	if e := p[1][0]; e[0] != [2]float64{-180, 0} || len(e) != 5 || utArea(e) != 100 {
		t.Errorf("eastern piece %v", e)
	}
	// On the east side.
	u, bbox, _ = utMustUnion(t, utRect(-175, -5, -165, 5), split, 1e-9)
	if area := utValid(t, u); area != 275 || bbox != [4]float64{170, -5, -165, 10} {
		t.Errorf("east side: area %v bbox %v", area, bbox)
	}
	// Both halves as separate footprints: they touch across ±180°.
	w := utRect(170, 0, 180, 10)
	e := utRect(-180, 0, -170, 10)
	u, bbox, disjoint = utMustUnion(t, w, e, 1e-9)
	if disjoint || u.Type != "MultiPolygon" || utValid(t, u) != 200 || bbox != [4]float64{170, 0, -170, 10} {
		t.Errorf("halves: disjoint=%v %s bbox %v", disjoint, u.Type, bbox)
	}
	// A footprint within the split one, across the seam: the split one.
	across := &Geometry{Type: "MultiPolygon", Coordinates: [][][][2]float64{
		{{{175, 2}, {180, 2}, {180, 8}, {175, 8}, {175, 2}}},
		{{{-180, 2}, {-175, 2}, {-175, 8}, {-180, 8}, {-180, 2}}},
	}}
	if u, bbox, _ := utMustUnion(t, split, across, 1e-9); u != split || bbox != [4]float64{170, 0, -170, 10} {
		t.Errorf("within across the seam: %v %v", u.Coordinates, bbox)
	}
	// Disjoint footprints on both sides of the seam: the bbox is the
	// smallest range, across it.
	_, bbox, disjoint = utMustUnion(t, utRect(172, 0, 175, 1), utRect(-175, 0, -172, 1), 1e-9)
	if !disjoint || bbox != [4]float64{172, 0, -172, 1} {
		t.Errorf("disjoint across the seam: %v %v", disjoint, bbox)
	}
	// A notch of the western half closed by a footprint across the seam
	// whose boundary runs only along a's: not "within".
	notched := &Geometry{Type: "MultiPolygon", Coordinates: [][][][2]float64{
		{{{177, 0}, {180, 0}, {180, 4}, {179, 4}, {179, 5}, {180, 5}, {180, 6}, {177, 6}, {177, 0}}},
		{{{-180, 0}, {-179, 0}, {-179, 6}, {-180, 6}, {-180, 0}}},
	}}
	u, bbox, _ = utMustUnion(t, notched, utSplitRect([4]float64{179, 3, 181, 5}), 0)
	if p := utPieces(t, u); u == notched || utValid(t, u) != 24 || len(p[0][0]) != 5 || bbox != [4]float64{177, 0, -179, 6} {
		t.Errorf("notch across the seam: %v %v", u.Coordinates, bbox)
	}
	// A band around the globe absorbs anything inside it.
	band := utRect(-180, -10, 180, 10)
	if u, bbox, _ := utMustUnion(t, band, split, 1e-9); u != band || bbox != [4]float64{-180, -10, 180, 10} {
		t.Errorf("band: %v %v", u.Coordinates, bbox)
	}
	u, bbox, _ = utMustUnion(t, band, utRect(175, 5, 179, 20), 1e-9)
	if area := utValid(t, u); area != 7200+40 || bbox != [4]float64{-180, -10, 180, 20} {
		t.Errorf("band + square: area %v bbox %v", area, bbox)
	}
}

func TestUnionErrors(t *testing.T) {
	a := utRect(0, 0, 1, 1)
	for name, c := range map[string]struct {
		a, b *Geometry
		tol  float64
	}{
		"nil":           {a, nil, 0},
		"type":          {a, &Geometry{Type: "Point", Coordinates: [2]float64{0, 0}}, 0},
		"mismatch":      {&Geometry{Type: "MultiPolygon", Coordinates: [][][2]float64{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}}, a, 0},
		"NaN tol":       {a, a, math.NaN()},
		"negative tol":  {a, a, -1},
		"out of range":  {a, utRect(179, 0, 181, 1), 0},
		"NaN":           {a, utRect(0, 0, math.NaN(), 1), 0},
		"no area":       {a, utRect(0, 0, 1, 0), 0},
		"empty":         {a, &Geometry{Type: "MultiPolygon", Coordinates: [][][][2]float64{}}, 0},
		"too few":       {a, &Geometry{Type: "Polygon", Coordinates: [][][2]float64{{{0, 0}, {1, 1}, {0, 0}}}}, 0},
		"no coordinate": {a, &Geometry{Type: "Polygon"}, 0},
	} {
		if _, _, _, err := Union(c.a, c.b, c.tol); !errors.Is(err, ErrInvalidFootprint) {
			t.Errorf("%s: err %v", name, err)
		}
	}
	// Clockwise input is reoriented.
	cw := &Geometry{Type: "Polygon", Coordinates: [][][2]float64{{{1, 0}, {0, 0}, {0, 1}, {1, 1}, {1, 0}}}}
	u, _, _ := utMustUnion(t, cw, utRect(1, 0, 2, 1), 0)
	if utValid(t, u) != 2 {
		t.Errorf("clockwise input: %v", u.Coordinates)
	}
}

// utInclusionExclusion is the area of the union of rectangles
// [x0, y0, x1, y1] by inclusion–exclusion over all subsets.
func utInclusionExclusion(rs [][4]float64) float64 {
	total := 0.0
	for mask := 1; mask < 1<<len(rs); mask++ {
		in := [4]float64{math.Inf(-1), math.Inf(-1), math.Inf(1), math.Inf(1)}
		n := 0
		for i, r := range rs {
			if mask&(1<<i) != 0 {
				n++
				in = [4]float64{max(in[0], r[0]), max(in[1], r[1]), min(in[2], r[2]), min(in[3], r[3])}
			}
		}
		a := max(0, in[2]-in[0]) * max(0, in[3]-in[1])
		if n%2 == 1 {
			total += a
		} else {
			total -= a
		}
	}
	return total
}

// utSplitRect is the footprint of rectangle r given in a frame where
// longitudes may exceed 180: split at 180 like Footprint.
func utSplitRect(r [4]float64) *Geometry {
	switch {
	case r[2] <= 180:
		return utRect(r[0], r[1], r[2], r[3])
	case r[0] >= 180:
		return utRect(r[0]-360, r[1], r[2]-360, r[3])
	}
	w := utRect(r[0], r[1], 180, r[3]).Coordinates.([][][2]float64)
	e := utRect(-180, r[1], r[2]-360, r[3]).Coordinates.([][][2]float64)
	return &Geometry{Type: "MultiPolygon", Coordinates: [][][][2]float64{w, e}}
}

func TestUnionRandomRectangles(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 600; iter++ {
		// Coarse grids give shared edges, collinear overlaps, corner
		// touches and holes; fine ones general positions; some scenes
		// straddle the antimeridian; some are rotated (see below).
		grid := []float64{1, 0.5, 0.001, 1e-6}[iter%4]
		rotated, jittered := iter/8%3 == 2, iter/8%3 == 1 && iter%4 < 2
		x0 := []float64{10, 176}[iter/4%2]
		if rotated || jittered {
			x0 = 10
		}
		n := 2 + rng.IntN(4)
		rs := make([][4]float64, n)
		for i := range rs {
			a := x0 + math.Round(rng.Float64()*6/grid)*grid
			b := x0 + math.Round(rng.Float64()*6/grid)*grid
			c := math.Round(rng.Float64()*6/grid) * grid
			d := math.Round(rng.Float64()*6/grid) * grid
			if a == b {
				b += grid
			}
			if c == d {
				d += grid
			}
			rs[i] = [4]float64{round(min(a, b)), round(min(c, d)), round(max(a, b)), round(max(c, d))}
		}
		// Rotated scenes: the same rectangles turned by θ about (x0+3, 3),
		// so edges have any direction, crossings fall off the grid and
		// shared edges are collinear only up to the 1e-9° rounding
		// (snapped with tol = 1e-8). Areas are unchanged.
		geom, tol := utSplitRect, 0.0
		if rotated {
			th := rng.Float64() * math.Pi / 2
			sin, cos := math.Sincos(th)
			geom = func(r [4]float64) *Geometry {
				var ring [][2]float64
				for _, c := range [][2]float64{{r[0], r[1]}, {r[2], r[1]}, {r[2], r[3]}, {r[0], r[3]}, {r[0], r[1]}} {
					dx, dy := c[0]-x0-3, c[1]-3
					ring = append(ring, [2]float64{round(x0 + 3 + cos*dx - sin*dy), round(3 + sin*dx + cos*dy)})
				}
				return &Geometry{Type: "Polygon", Coordinates: [][][2]float64{ring}}
			}
			tol = 1e-8
		}
		// Jittered scenes: every corner moved by up to 3e-8° (tiles whose
		// footprints differ by rounding), snapped with tol = 1e-7; the area
		// may then differ by tol × the perimeters.
		if jittered {
			geom = func(r [4]float64) *Geometry {
				var ring [][2]float64
				for _, c := range [][2]float64{{r[0], r[1]}, {r[2], r[1]}, {r[2], r[3]}, {r[0], r[3]}} {
					ring = append(ring, [2]float64{round(c[0] + 3e-8*(2*rng.Float64()-1)), round(c[1] + 3e-8*(2*rng.Float64()-1))})
				}
				return &Geometry{Type: "Polygon", Coordinates: [][][2]float64{append(ring, ring[0])}}
			}
			tol = 1e-7
		}
		u := geom(rs[0])
		for i := 1; i < n; i++ {
			var disjoint bool
			var err error
			u, _, disjoint, err = Union(u, geom(rs[i]), tol)
			if err != nil {
				t.Fatalf("iter %d %v: %v", iter, rs[:i+1], err)
			}
			if i == 1 && !rotated && !jittered {
				apart := rs[0][0] > rs[1][2] || rs[1][0] > rs[0][2] || rs[0][1] > rs[1][3] || rs[1][1] > rs[0][3]
				if disjoint != apart {
					t.Errorf("iter %d %v: disjoint=%v, want %v", iter, rs[:2], disjoint, apart)
				}
			}
		}
		want := utInclusionExclusion(rs)
		got := utValid(t, u)
		perimeter := 0.0
		for _, r := range rs {
			perimeter += 2 * (r[2] - r[0] + r[3] - r[1])
		}
		if !utNear(got, want, 1e-9*max(1, want)) && !(rotated && utNear(got, want, 1e-6)) &&
			!(jittered && utNear(got, want, 1e-7*perimeter)) {
			t.Errorf("iter %d %v: area %v, want %v", iter, rs, got, want)
		}
		if t.Failed() {
			t.Fatalf("iter %d: %v → %v", iter, rs, u.Coordinates)
		}
	}
}

func TestUnionRandomConvex(t *testing.T) {
	// Convex polygons of up to 64 vertices in any direction (footprints
	// are nearly convex) against: a moved and turned copy; a copy shifted
	// along one of its edges (collinear overlapping edges); its reflection
	// through the middle of an edge (sharing that edge: touching); a
	// polygon on a subset of its vertices (shared vertices and edges).
	// |a ∪ b| = |a| + |b| − |a ∩ b|, the intersection by clipping.
	rng := rand.New(rand.NewPCG(3, 4))
	dedupe := func(r [][2]float64) [][2]float64 {
		var out [][2]float64
		for _, p := range r {
			if len(out) == 0 || out[len(out)-1] != p {
				out = append(out, p)
			}
		}
		for len(out) > 1 && out[0] == out[len(out)-1] {
			out = out[:len(out)-1]
		}
		return out
	}
	closed := func(r [][2]float64) *Geometry {
		return &Geometry{Type: "Polygon", Coordinates: [][][2]float64{append(append([][2]float64(nil), r...), r[0])}}
	}
	for iter := 0; iter < 800; iter++ {
		n := 3 + rng.IntN(62)
		cx, cy := 10+rng.Float64(), 40+rng.Float64()
		rx, ry := 0.2+rng.Float64(), 0.2+rng.Float64()
		angs := make([]float64, n)
		for i := range angs {
			angs[i] = rng.Float64() * 2 * math.Pi
		}
		slices.Sort(angs)
		var a, b [][2]float64
		for _, t := range angs {
			a = append(a, [2]float64{round(cx + rx*math.Cos(t)), round(cy + ry*math.Sin(t))})
		}
		switch iter % 4 {
		case 0:
			dx, dy, th := rng.Float64()-0.5, rng.Float64()-0.5, rng.Float64()
			sin, cos := math.Sincos(th)
			for _, p := range a {
				x, y := p[0]-cx, p[1]-cy
				b = append(b, [2]float64{round(cx + dx + cos*x - sin*y), round(cy + dy + sin*x + cos*y)})
			}
		case 1:
			k := rng.IntN(len(a))
			e0, e1 := a[k], a[(k+1)%len(a)]
			f := math.Round((rng.Float64()*2-1)*8) / 8
			for _, p := range a {
				b = append(b, [2]float64{round(p[0] + f*(e1[0]-e0[0])), round(p[1] + f*(e1[1]-e0[1]))})
			}
		case 2:
			k := rng.IntN(len(a))
			e0, e1 := a[k], a[(k+1)%len(a)]
			for _, p := range a {
				b = append(b, [2]float64{round(e0[0] + e1[0] - p[0]), round(e0[1] + e1[1] - p[1])})
			}
		case 3:
			for _, p := range a {
				if rng.IntN(2) == 0 {
					b = append(b, p)
				}
			}
			if rng.IntN(2) == 0 {
				a, b = b, a
			}
		}
		a, b = dedupe(a), dedupe(b)
		if len(a) < 3 || len(b) < 3 || utOpenArea(a) <= 1e-6 || utOpenArea(b) <= 1e-6 {
			continue
		}
		u, _, _, err := Union(closed(a), closed(b), 0)
		if err != nil {
			t.Fatalf("iter %d: %v\na=%v\nb=%v", iter, err, a, b)
		}
		want := utOpenArea(a) + utOpenArea(b) - utOpenArea(utConvexClip(a, b))
		if got := utValid(t, u); !utNear(got, want, 1e-7) {
			t.Errorf("iter %d: area %v, want %v\na=%v\nb=%v", iter, got, want, a, b)
		}
		if t.Failed() {
			t.FailNow()
		}
	}
}

func TestUnionFootprintTiles(t *testing.T) {
	// Case (2): SPOT-like tiles R1C1, R1C2, R2C1, R2C2 on one UTM 31N grid:
	// the union of their footprints is one polygon covering the footprint
	// of the whole mosaic.
	tr := mustCRS(t, 32631)
	const w, h, px = 3000, 2000, 1.5
	x0, y0 := 565000.0, 4835000.0
	var u *Geometry
	for r := 0; r < 2; r++ {
		for c := 0; c < 2; c++ {
			gt := [6]float64{x0 + float64(c)*w*px, px, 0, y0 - float64(r)*h*px, 0, -px}
			g, _, err := Footprint(tr, gt, w, h, 0)
			if err != nil {
				t.Fatal(err)
			}
			if u == nil {
				u = g
				continue
			}
			var disjoint bool
			u, _, disjoint = utMustUnion(t, u, g, 1e-7)
			if disjoint {
				t.Fatalf("tile R%dC%d disjoint", r+1, c+1)
			}
		}
	}
	whole, wb, err := Footprint(tr, [6]float64{x0, px, 0, y0, 0, -px}, 2*w, 2*h, 0)
	if err != nil {
		t.Fatal(err)
	}
	if u.Type != "Polygon" || len(utPieces(t, u)[0]) != 1 {
		t.Fatalf("want one polygon without holes, got %s %v", u.Type, u.Coordinates)
	}
	area := utValid(t, u)
	wantArea := utArea(whole.Coordinates.([][][2]float64)[0])
	// The tiles' outlines are chords of the same curves as the mosaic's,
	// at other places: equal within the 1e-7° simplification times the
	// perimeter.
	if !utNear(area, wantArea, 1e-7*0.3) {
		t.Errorf("area %v, whole mosaic %v", area, wantArea)
	}
	_, ub, _ := utMustUnion(t, u, u, 1e-7)
	for i := range ub {
		if !utNear(ub[i], wb[i], 2e-7) {
			t.Errorf("bbox %v, whole mosaic %v", ub, wb)
			break
		}
	}
	// Case (1): a 20 m band of the same extent is within.
	g20, _, err := Footprint(tr, [6]float64{x0, 2 * px, 0, y0, 0, -2 * px}, w, h, 0)
	if err != nil {
		t.Fatal(err)
	}
	if v, _, _ := utMustUnion(t, u, g20, 1e-7); v != u {
		t.Errorf("band of the same extent: not within")
	}
	// Case (4): the same area seen from UTM 32N overlaps almost entirely;
	// a shifted copy overlaps partially.
	tr32 := mustCRS(t, 32632)
	x32, y32, err := tr32.(*CRS).FromWGS84(3.9, 43.62)
	if err != nil {
		t.Fatal(err)
	}
	g32, _, err := Footprint(tr32, [6]float64{x32, 10, 0, y32, 0, -10}, 800, 800, 0)
	if err != nil {
		t.Fatal(err)
	}
	v, _, disjoint := utMustUnion(t, u, g32, 1e-7)
	if disjoint {
		t.Fatalf("UTM 32N footprint disjoint")
	}
	va := utValid(t, v)
	a32 := utArea(g32.Coordinates.([][][2]float64)[0])
	if va <= area || va >= area+a32 {
		t.Errorf("partial overlap across zones: area %v, not in (%v, %v)", va, area, area+a32)
	}
}

// utCurvedQuad is a 64-vertex footprint-like ring: a quadrilateral whose
// edges bow by 1 % like projected edges.
func utCurvedQuad(x0, y0, s float64) *Geometry {
	c := [5][2]float64{{x0, y0}, {x0 + s, y0 + 0.1*s}, {x0 + 1.1*s, y0 + 1.1*s}, {x0 + 0.1*s, y0 + s}, {x0, y0}}
	var r [][2]float64
	for e := 0; e < 4; e++ {
		a, b := c[e], c[e+1]
		nx, ny := -(b[1] - a[1]), b[0]-a[0]
		for k := 0; k < 16; k++ {
			f := float64(k) / 16
			bow := 0.04 * f * (1 - f)
			r = append(r, [2]float64{round(a[0] + f*(b[0]-a[0]) - bow*nx), round(a[1] + f*(b[1]-a[1]) - bow*ny)})
		}
	}
	return &Geometry{Type: "Polygon", Coordinates: [][][2]float64{append(r, r[0])}}
}

func TestUnionCurvedQuads(t *testing.T) {
	a, b := utCurvedQuad(3, 43, 1), utCurvedQuad(3.4, 43.3, 1)
	u, _, _ := utMustUnion(t, a, b, 1e-9)
	area := utValid(t, u)
	aa := utArea(a.Coordinates.([][][2]float64)[0])
	// Union is symmetric and satisfies |a ∪ b| + |a ∩ b| = |a| + |b|, with
	// the intersection estimated by sampling.
	v, _, _ := utMustUnion(t, b, a, 1e-9)
	if got := utValid(t, v); !utNear(got, area, 1e-12) {
		t.Errorf("not symmetric: %v vs %v", got, area)
	}
	ra, rb := a.Coordinates.([][][2]float64)[0], b.Coordinates.([][][2]float64)[0]
	const n = 400
	both := 0
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			p := [2]float64{3 + 1.6*(float64(i)+0.5)/n, 43 + 1.6*(float64(j)+0.5)/n}
			if utInRing(ra, p) && utInRing(rb, p) {
				both++
			}
		}
	}
	inter := float64(both) * 1.6 * 1.6 / n / n
	if !utNear(area, 2*aa-inter, 0.005) {
		t.Errorf("area %v, want ≈ %v", area, 2*aa-inter)
	}
}

func BenchmarkUnion64(b *testing.B) {
	x, y := utCurvedQuad(3, 43, 1), utCurvedQuad(3.4, 43.3, 1)
	for b.Loop() {
		if _, _, _, err := Union(x, y, 1e-7); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnion64Equal(b *testing.B) {
	x, y := utCurvedQuad(3, 43, 1), utCurvedQuad(3, 43, 1)
	for b.Loop() {
		if _, _, _, err := Union(x, y, 1e-7); err != nil {
			b.Fatal(err)
		}
	}
}

// Within up to tol but not equal: the bands of a product whose outlines
// differ by rounding.
func BenchmarkUnion64Within(b *testing.B) {
	x, y := utCurvedQuad(3, 43, 1), utCurvedQuad(3+3e-8, 43+3e-8, 1-6e-8)
	if u, _, _, _ := Union(x, y, 1e-7); u != x {
		b.Fatal("not within")
	}
	for b.Loop() {
		if _, _, _, err := Union(x, y, 1e-7); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnion64Disjoint(b *testing.B) {
	x, y := utCurvedQuad(3, 43, 1), utCurvedQuad(6, 43, 1)
	for b.Loop() {
		if _, _, _, err := Union(x, y, 1e-7); err != nil {
			b.Fatal(err)
		}
	}
}
