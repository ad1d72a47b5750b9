package crs

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// This file combines the footprints of several rasters into one item
// footprint:
//
//   - RectUnion serves rasters in one projected CRS (the bands of a
//     Sentinel-2 product, the R1C1, R1C2… tiles of a SPOT product): if their
//     extents tile their bounding rectangle exactly, the caller computes a
//     single Footprint over that rectangle.
//   - Union merges two footprints in longitude/latitude (rasters in different
//     CRSs, mosaics with holes, misplaced assets). The caller folds it over
//     the assets: u = Union(u, next).
//
// Union works on planar polygons in degrees with a snapping tolerance; it
// is an overlay of the kind JTS and GEOS implement, reduced to what
// footprints need: node both inputs against each other, classify every
// resulting edge by the regions on its two sides, link the edges that
// separate the union from the outside into rings.

// RectUnion returns the bounding rectangle [minX, minY, maxX, maxY] of
// axis-aligned rectangles given in one projected CRS, and whether their
// union is exactly that rectangle (no gap, no missing tile).
//
// Each rectangle is [minX, minY, maxX, maxY]; reversed corners are accepted
// and sorted. Edges closer than 1e-9 of the larger side of the bounding
// rectangle are taken as equal, so that tiles whose shared edges are computed
// from geotransforms (origin + column·pixel size) and bands of one product
// at different resolutions match. Exactness is decided by coordinate
// compression: the distinct x and y edges cut the bounding rectangle into
// cells, every rectangle marks the cells it covers (a 2-D difference array),
// and the union is exact when every cell is marked.
//
// No rectangles, a non-finite coordinate or a bounding rectangle without
// area return exact == false (with a zero bbox for the first two). Cost is
// O(n log n + c) for n rectangles and c ≤ (2n−1)² cells; memory is c ints.
func RectUnion(rects [][4]float64) (bbox [4]float64, exact bool) {
	if len(rects) == 0 {
		return bbox, false
	}
	rs := make([][4]float64, len(rects))
	bbox = [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for i, r := range rects {
		for _, v := range r {
			if !finite(v) {
				return [4]float64{}, false
			}
		}
		r = [4]float64{min(r[0], r[2]), min(r[1], r[3]), max(r[0], r[2]), max(r[1], r[3])}
		rs[i] = r
		bbox = [4]float64{min(bbox[0], r[0]), min(bbox[1], r[1]), max(bbox[2], r[2]), max(bbox[3], r[3])}
	}
	w, h := bbox[2]-bbox[0], bbox[3]-bbox[1]
	if w <= 0 || h <= 0 {
		return bbox, false
	}
	tol := 1e-9 * max(w, h)
	xs := rectUnionEdges(rs, 0, tol)
	ys := rectUnionEdges(rs, 1, tol)
	nx, ny := len(xs)-1, len(ys)-1
	// diff is a (nx+1)×(ny+1) 2-D difference array: +1 at the lower-left
	// cell of a rectangle, −1 past its right and top, +1 past both; prefix
	// sums then give how many rectangles cover each cell.
	diff := make([]int32, (nx+1)*(ny+1))
	at := func(i, j int) *int32 { return &diff[i*(ny+1)+j] }
	for _, r := range rs {
		i0, i1 := rectUnionIndex(xs, r[0]), rectUnionIndex(xs, r[2])
		j0, j1 := rectUnionIndex(ys, r[1]), rectUnionIndex(ys, r[3])
		if i0 == i1 || j0 == j1 {
			continue // no area once equal edges are merged
		}
		*at(i0, j0)++
		*at(i1, j0)--
		*at(i0, j1)--
		*at(i1, j1)++
	}
	for i := 0; i <= nx; i++ {
		for j := 0; j <= ny; j++ {
			s := *at(i, j)
			if i > 0 {
				s += *at(i-1, j)
			}
			if j > 0 {
				s += *at(i, j-1)
			}
			if i > 0 && j > 0 {
				s -= *at(i-1, j-1)
			}
			*at(i, j) = s
			if i < nx && j < ny && s <= 0 {
				return bbox, false
			}
		}
	}
	return bbox, true
}

// rectUnionEdges returns the distinct values of coordinate axis (0 = x, 1 = y)
// among the rectangles' edges, sorted; values within tol of the first value
// of a run are merged into it.
func rectUnionEdges(rs [][4]float64, axis int, tol float64) []float64 {
	vs := make([]float64, 0, 2*len(rs))
	for _, r := range rs {
		vs = append(vs, r[axis], r[axis+2])
	}
	slices.Sort(vs)
	out := vs[:1]
	for _, v := range vs[1:] {
		if v-out[len(out)-1] > tol {
			out = append(out, v)
		}
	}
	return out
}

// rectUnionIndex is the index of the merged edge that v (one of the values given
// to rectUnionEdges) was merged into: the last one not greater than v.
func rectUnionIndex(edges []float64, v float64) int {
	i, _ := slices.BinarySearch(edges, v) // first edge ≥ v
	if i == len(edges) || edges[i] > v {
		i--
	}
	return i
}

// Union returns the union of two footprints in longitude/latitude, as
// produced by Footprint or by Union itself: Polygons or MultiPolygons whose
// pieces may be split at ±180° (the pieces touching +180° and −180° belong
// together). tol (degrees) is the snapping tolerance; values below 1e-9°,
// the output resolution, are raised to it. The rules, in this order:
//
//   - b lies within a (every vertex of b is inside a or within tol of its
//     boundary, and b adds less than tol × its perimeter to a's area, so
//     nowhere more than a sliver tol wide): u is a itself (the same
//     pointer, unchanged); symmetrically u is b when a lies within b. Equal
//     footprints (the bands of one product, equal within a fraction of a
//     pixel) end here.
//   - a and b do not come within tol of each other: u is a MultiPolygon of
//     a's pieces then b's, and disjoint is true (the caller warns).
//   - otherwise u is their polygon union (see below); footprints that only
//     touch (tiles sharing an edge) merge into one polygon.
//
// u is a Polygon, or a MultiPolygon when the union has several parts
// (footprints touching at a single point stay two parts, as do the two
// halves of a union crossing the antimeridian, west of it first, as in
// Footprint); exterior rings are
// counter-clockwise, closed, simple, without repeated consecutive positions,
// with positions rounded to 1e-9° like Footprint's. A union that encloses an
// area none of its inputs covers (four tiles around a missing fifth, a C
// shape closing on itself) has it as a clockwise hole ring after the
// exterior (RFC 7946 §3.1.6), and Union accepts such geometries as input.
// bbox is [west, south, east, north]: the smallest longitude range
// containing u, with west > east when it crosses the antimeridian
// (RFC 7946 §5.2), or [-180, south, 180, north] when u covers every
// longitude.
//
// Algorithm. Longitudes are first unwrapped: the pieces of both inputs are
// shifted by +360° where needed so that they lie in one 360° window that
// starts in the largest longitude gap between them; the pieces of a split
// footprint then touch along 180°. Within that frame the union is a planar
// overlay with snapping:
//
//  1. Noding. Vertices within tol of each other become one node (the first
//     seen, a's before b's); a node within tol of an edge splits that edge
//     (so collinear overlapping edges, T-junctions and a vertex exactly on
//     an edge become shared sub-edges); edges crossing properly are split
//     at their crossing, rounded to 1e-9°. This repeats until nothing
//     changes, since splits move edges by up to tol.
//  2. Classification. For every sub-edge, the inputs on each of its sides
//     are known from the sub-edges that coincide with it (an input's
//     interior is left of its edges) and, for inputs without such a
//     sub-edge, from whether its midpoint is inside them. A sub-edge with
//     the union on exactly one side is kept, oriented with the union on its
//     left; shared edges of touching footprints (union on both sides) and
//     edges inside the other input drop out, coincident edges are kept once.
//     Where snapping folds a ring onto itself (u→v→u, a spike without
//     width), the two directions cancel out.
//  3. Rings. The kept edges are linked by taking, at every node, the first
//     outgoing edge clockwise from the incoming one, which yields the
//     smallest rings; a ring that still visits a node twice is cut there
//     (so rings are simple whatever the pairing at a node).
//     Vertices on a straight line between their neighbours (within 1e-9°)
//     are removed, counter-clockwise rings are exteriors, clockwise rings
//     holes of the smallest exterior around them.
//
// The within rule is decided on the overlay's area; a result reaching past
// 180° is then cut there by the same overlay (intersection with rectangles
// west and east of 180°), the eastern part shifted back by −360°.
//
// Limits: coordinates are treated as planar (edges are straight in degrees,
// as Footprint's densified edges are meant to be); snapping moves vertices
// by up to tol, so tol should be far smaller than the footprints (a fraction
// of a pixel); cost is O(n·m) in the vertex counts (0.1–0.3 ms for two
// 64-vertex footprints, a few µs for equal ones), meant for footprints of
// up to a few thousand vertices. Inputs must be valid (rings without self-intersection, pieces
// of a MultiPolygon not overlapping, |lon| ≤ 180, |lat| ≤ 90); their rings
// are reoriented as needed. Errors wrap ErrInvalidFootprint.
func Union(a, b *Geometry, tol float64) (u *Geometry, bbox [4]float64, disjoint bool, err error) {
	if !finite(tol) || tol < 0 {
		return nil, bbox, false, fmt.Errorf("crs: union: tolerance %g: %w", tol, ErrInvalidFootprint)
	}
	eps := max(tol, precision)
	pa, err := unionPolys(a)
	if err != nil {
		return nil, bbox, false, fmt.Errorf("crs: union: first geometry: %w", err)
	}
	pb, err := unionPolys(b)
	if err != nil {
		return nil, bbox, false, fmt.Errorf("crs: union: second geometry: %w", err)
	}
	if unionEqual(pa, pb) { // the bands of one product, usually
		return a, unionBBox(pa), false, nil
	}
	all := append(append([]unionPoly(nil), pa...), pb...)
	cut, _ := unionCut(all)
	ua, ub := unionShift(pa, cut), unionShift(pb, cut)
	bInA, aInB := unionVerticesCovered(ub, ua, eps), unionVerticesCovered(ua, ub, eps)
	if !bInA && !aInB && !unionInteract(ua, ub, eps) {
		return unionGeometry(all), unionBBox(all), true, nil
	}
	res, err := ovOverlay(ua, ub, ovUnion, eps)
	if err != nil {
		return nil, bbox, false, fmt.Errorf("crs: union: %w", err)
	}
	// Within: the vertices are not enough (an edge can bridge a notch, a
	// footprint can fill a hole with its boundary on a's); what the union
	// adds to the larger footprint's area must be a sliver at most.
	area := unionPolysArea(res)
	switch {
	case bInA && area <= unionPolysArea(ua)+eps*unionPerimeter(ub):
		return a, unionBBox(pa), false, nil
	case aInB && area <= unionPolysArea(ub)+eps*unionPerimeter(ua):
		return b, unionBBox(pb), false, nil
	}
	if res, err = unionSplit180(res); err != nil {
		return nil, bbox, false, fmt.Errorf("crs: union: %w", err)
	}
	if len(res) == 0 {
		return nil, bbox, false, fmt.Errorf("crs: union: empty result: %w", ErrInvalidFootprint)
	}
	return unionGeometry(res), unionBBox(res), false, nil
}

// unionPoly is a polygon: rings without closing position, the exterior
// first and counter-clockwise, holes clockwise.
type unionPoly [][][2]float64

// unionPolys checks, rounds and orients the polygons of a Geometry.
func unionPolys(g *Geometry) ([]unionPoly, error) {
	if g == nil {
		return nil, fmt.Errorf("nil geometry: %w", ErrInvalidFootprint)
	}
	var in [][][][2]float64
	switch c := g.Coordinates.(type) {
	case [][][2]float64:
		if g.Type == "Polygon" {
			in = [][][][2]float64{c}
		}
	case [][][][2]float64:
		if g.Type == "MultiPolygon" {
			in = c
		}
	}
	if in == nil {
		return nil, fmt.Errorf("want a Polygon ([][][2]float64) or MultiPolygon ([][][][2]float64), got %q (%T): %w",
			g.Type, g.Coordinates, ErrInvalidFootprint)
	}
	var out []unionPoly
	for _, rings := range in {
		if len(rings) == 0 {
			continue
		}
		var p unionPoly
		for ri, r := range rings {
			q := make([][2]float64, 0, len(r))
			for _, v := range r {
				if !finite(v[0]) || !finite(v[1]) || math.Abs(v[0]) > 180 || math.Abs(v[1]) > 90 {
					return nil, fmt.Errorf("position %v outside [-180, 180]×[-90, 90]: %w", v, ErrInvalidFootprint)
				}
				v = [2]float64{round(v[0]), round(v[1])}
				if len(q) == 0 || q[len(q)-1] != v {
					q = append(q, v)
				}
			}
			if len(q) > 1 && q[0] == q[len(q)-1] {
				q = q[:len(q)-1]
			}
			area := 0.0
			if len(q) >= 3 {
				area = unionArea(q)
			}
			if area == 0 {
				if ri == 0 {
					return nil, fmt.Errorf("exterior ring without area: %w", ErrInvalidFootprint)
				}
				continue
			}
			if (ri == 0) != (area > 0) {
				slices.Reverse(q)
			}
			p = append(p, q)
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty %s: %w", g.Type, ErrInvalidFootprint)
	}
	return out, nil
}

// unionEqual reports whether two polygon lists have the same rings, vertex
// for vertex.
func unionEqual(a, b []unionPoly) bool {
	return slices.EqualFunc(a, b, func(p, q unionPoly) bool {
		return slices.EqualFunc(p, q, slices.Equal)
	})
}

// unionArea is the shoelace signed area of an open ring (positive =
// counter-clockwise).
func unionArea(r [][2]float64) float64 {
	a := 0.0
	for i, p := range r {
		q := r[(i+1)%len(r)]
		a += p[0]*q[1] - q[0]*p[1]
	}
	return a / 2
}

// unionCut returns the start of the 360° longitude window for polygons given
// in [-180, 180]: the middle of the largest gap between their longitude
// ranges on the circle (ranges that touch, such as the two halves of a
// footprint split at ±180°, leave no gap). full reports that the ranges
// cover every longitude; cut is then −180.
func unionCut(ps []unionPoly) (cut float64, full bool) {
	type span struct{ lo, hi float64 }
	spans := make([]span, 0, len(ps))
	for _, p := range ps {
		b := unionRingBox(p[0])
		spans = append(spans, span{b[0], b[2]})
	}
	slices.SortFunc(spans, func(x, y span) int { return cmp.Compare(x.lo, y.lo) })
	merged := []span{spans[0]}
	for _, s := range spans[1:] {
		last := &merged[len(merged)-1]
		if s.lo <= last.hi {
			last.hi = max(last.hi, s.hi)
		} else {
			merged = append(merged, s)
		}
	}
	// The gap across ±180°, then the gaps between consecutive ranges.
	gap := merged[0].lo + 360 - merged[len(merged)-1].hi
	cut = merged[len(merged)-1].hi + gap/2
	for i := 1; i < len(merged); i++ {
		if g := merged[i].lo - merged[i-1].hi; g > gap {
			gap, cut = g, merged[i-1].hi+g/2
		}
	}
	if gap <= 0 {
		return -180, true
	}
	if cut >= 180 {
		cut -= 360
	}
	return cut, false
}

// unionShift returns copies of the polygons, those starting west of cut
// shifted by +360°, so that all lie in [cut, cut+360].
func unionShift(ps []unionPoly, cut float64) []unionPoly {
	out := make([]unionPoly, len(ps))
	for i, p := range ps {
		d := 0.0
		if unionRingBox(p[0])[0] < cut {
			d = 360
		}
		out[i] = make(unionPoly, len(p))
		for j, r := range p {
			q := make([][2]float64, len(r))
			for k, v := range r {
				q[k] = [2]float64{v[0] + d, v[1]}
			}
			out[i][j] = q
		}
	}
	return out
}

// unionBBox is [west, south, east, north] of polygons in [-180, 180]: the
// smallest longitude range containing them, west > east when it crosses
// the antimeridian.
func unionBBox(ps []unionPoly) [4]float64 {
	cut, full := unionCut(ps)
	b := [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for _, p := range unionShift(ps, cut) {
		rb := unionRingBox(p[0])
		b = [4]float64{min(b[0], rb[0]), min(b[1], rb[1]), max(b[2], rb[2]), max(b[3], rb[3])}
	}
	if full {
		return [4]float64{-180, b[1], 180, b[3]}
	}
	if b[0] >= 180 {
		b[0] -= 360
	}
	if b[2] > 180 {
		b[2] -= 360
	}
	return [4]float64{round(b[0]), b[1], round(b[2]), b[3]}
}

func unionRingBox(r [][2]float64) [4]float64 {
	b := [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for _, v := range r {
		b = [4]float64{min(b[0], v[0]), min(b[1], v[1]), max(b[2], v[0]), max(b[3], v[1])}
	}
	return b
}

// unionGeometry closes the rings and returns a Polygon for one polygon, a
// MultiPolygon otherwise.
func unionGeometry(ps []unionPoly) *Geometry {
	mp := make([][][][2]float64, len(ps))
	for i, p := range ps {
		mp[i] = make([][][2]float64, len(p))
		for j, r := range p {
			q := make([][2]float64, 0, len(r)+1)
			for _, v := range r {
				q = append(q, [2]float64{round(v[0]), round(v[1])})
			}
			mp[i][j] = append(q, q[0])
		}
	}
	if len(mp) == 1 {
		return &Geometry{Type: "Polygon", Coordinates: mp[0]}
	}
	return &Geometry{Type: "MultiPolygon", Coordinates: mp}
}

// ---- Predicates with tolerance ----

// unionOrient is twice the signed area of triangle a, b, c (> 0 when c is
// left of a→b).
func unionOrient(a, b, c [2]float64) float64 {
	return (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
}

// unionPointSeg returns the distance from p to segment a–b and the
// parameter of the closest point (0 at a, 1 at b).
func unionPointSeg(p, a, b [2]float64) (dist, t float64) {
	dx, dy := b[0]-a[0], b[1]-a[1]
	if l := dx*dx + dy*dy; l > 0 {
		t = max(0, min(1, ((p[0]-a[0])*dx+(p[1]-a[1])*dy)/l))
	}
	ex, ey := p[0]-a[0]-t*dx, p[1]-a[1]-t*dy
	return math.Sqrt(ex*ex + ey*ey), t // no overflow to guard against in degrees
}

// unionSegDist is the distance between segments p–q and c–d.
func unionSegDist(p, q, c, d [2]float64) float64 {
	o1, o2 := unionOrient(p, q, c), unionOrient(p, q, d)
	o3, o4 := unionOrient(c, d, p), unionOrient(c, d, q)
	if o1*o2 < 0 && o3*o4 < 0 {
		return 0
	}
	d1, _ := unionPointSeg(p, c, d)
	d2, _ := unionPointSeg(q, c, d)
	d3, _ := unionPointSeg(c, p, q)
	d4, _ := unionPointSeg(d, p, q)
	return min(d1, d2, d3, d4)
}

// unionInPoly reports whether p is inside polygon q (even–odd rule over all
// its rings; points on the boundary may go either way).
func unionInPoly(q unionPoly, p [2]float64) bool {
	in := false
	for _, r := range q {
		for i, a := range r {
			b := r[(i+1)%len(r)]
			if (a[1] > p[1]) != (b[1] > p[1]) &&
				p[0] < a[0]+(p[1]-a[1])*(b[0]-a[0])/(b[1]-a[1]) {
				in = !in
			}
		}
	}
	return in
}

// unionCovers reports whether p is inside one of the polygons or within eps
// of its boundary.
func unionCovers(ps []unionPoly, p [2]float64, eps float64) bool {
	for _, q := range ps {
		if unionInPoly(q, p) {
			return true
		}
		for _, r := range q {
			for i, a := range r {
				if d, _ := unionPointSeg(p, a, r[(i+1)%len(r)]); d <= eps {
					return true
				}
			}
		}
	}
	return false
}

// unionVerticesCovered reports whether every vertex of b's exteriors is
// inside a or within eps of its boundary.
func unionVerticesCovered(b, a []unionPoly, eps float64) bool {
	for _, q := range b {
		for _, p := range q[0] {
			if !unionCovers(a, p, eps) {
				return false
			}
		}
	}
	return true
}

// unionPolysArea is the area of polygons (exteriors minus holes).
func unionPolysArea(ps []unionPoly) float64 {
	a := 0.0
	for _, p := range ps {
		for _, r := range p {
			a += unionArea(r) // holes are clockwise: negative
		}
	}
	return a
}

// unionPerimeter is the length of all rings of the polygons.
func unionPerimeter(ps []unionPoly) float64 {
	l := 0.0
	for _, p := range ps {
		for _, r := range p {
			for i, v := range r {
				w := r[(i+1)%len(r)]
				l += math.Hypot(w[0]-v[0], w[1]-v[1])
			}
		}
	}
	return l
}

// unionInteract reports whether a and b intersect or come within eps of
// each other.
func unionInteract(a, b []unionPoly, eps float64) bool {
	for _, qa := range a {
		ba := unionRingBox(qa[0])
		for _, qb := range b {
			bb := unionRingBox(qb[0])
			if ba[0] > bb[2]+eps || bb[0] > ba[2]+eps || ba[1] > bb[3]+eps || bb[1] > ba[3]+eps {
				continue
			}
			// A vertex inside the other polygon settles it (usual case).
			if unionInPoly(qa, qb[0][0]) || unionInPoly(qb, qa[0][0]) {
				return true
			}
			for _, ra := range qa {
				for i, p := range ra {
					q := ra[(i+1)%len(ra)]
					for _, rb := range qb {
						for k, c := range rb {
							if unionSegDist(p, q, c, rb[(k+1)%len(rb)]) <= eps {
								return true
							}
						}
					}
				}
			}
			// Boundaries apart and neither first vertex inside the other
			// polygon: disjoint.
		}
	}
	return false
}

// unionSplit180 cuts polygons lying in [cut, cut+360] at 180°: the part
// east of it is shifted by −360°.
func unionSplit180(ps []unionPoly) ([]unionPoly, error) {
	b := [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for _, p := range ps {
		rb := unionRingBox(p[0])
		b = [4]float64{min(b[0], rb[0]), min(b[1], rb[1]), max(b[2], rb[2]), max(b[3], rb[3])}
	}
	if b[2] <= 180 {
		return ps, nil
	}
	shiftWest := func(ps []unionPoly) {
		for _, p := range ps {
			for _, r := range p {
				for k := range r {
					r[k][0] = round(r[k][0] - 360)
				}
			}
		}
	}
	if b[0] >= 180 {
		shiftWest(ps)
		return ps, nil
	}
	rect := func(x0, x1 float64) []unionPoly {
		y0, y1 := b[1]-1, b[3]+1
		return []unionPoly{{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}}}
	}
	west, err := ovOverlay(ps, rect(b[0]-1, 180), ovIntersection, precision)
	if err != nil {
		return nil, err
	}
	east, err := ovOverlay(ps, rect(180, b[2]+1), ovIntersection, precision)
	if err != nil {
		return nil, err
	}
	shiftWest(east)
	return append(west, east...), nil
}

// ---- Overlay ----

const (
	ovUnion = iota
	ovIntersection
)

// ovGraph holds the nodes of an overlay: positions pairwise more than eps
// apart, found through a hash grid of cells 4·eps wide (head: the last node
// added to a cell, next: the node added before it to the same cell, or -1).
type ovGraph struct {
	eps  float64
	pts  [][2]float64
	head map[[2]int64]int
	next []int
}

func (g *ovGraph) cell(v float64) int64 { return int64(math.Floor(v / (4 * g.eps))) }

// node returns the nearest node within eps of p, or a new node at p.
func (g *ovGraph) node(p [2]float64) int {
	best, bd := -1, g.eps
	// The cells that the square p ± eps overlaps: one or two per axis.
	for cx := g.cell(p[0] - g.eps); cx <= g.cell(p[0]+g.eps); cx++ {
		for cy := g.cell(p[1] - g.eps); cy <= g.cell(p[1]+g.eps); cy++ {
			k, ok := g.head[[2]int64{cx, cy}]
			for ; ok && k >= 0; k = g.next[k] {
				dx, dy := g.pts[k][0]-p[0], g.pts[k][1]-p[1]
				if d := math.Sqrt(dx*dx + dy*dy); d <= bd {
					best, bd = k, d
				}
			}
		}
	}
	if best >= 0 {
		return best
	}
	c := [2]int64{g.cell(p[0]), g.cell(p[1])}
	k, ok := g.head[c]
	if !ok {
		k = -1
	}
	g.next = append(g.next, k)
	g.pts = append(g.pts, p)
	g.head[c] = len(g.pts) - 1
	return len(g.pts) - 1
}

// ovRing is a ring of an input polygon as a cycle of node ids.
type ovRing struct {
	poly  int
	nodes []int
}

// ovEdge is a directed edge u→v; poly is the input polygon it comes from.
type ovEdge struct{ u, v, poly int }

// maxNodingPasses bounds the noding iterations; two or three suffice in
// practice (the last one finds nothing more to split).
const maxNodingPasses = 16

// ovOverlay returns the union (op = ovUnion) or intersection
// (ovIntersection) of the region covered by polygons a and the one covered
// by polygons b, snapping within eps. See Union for the method.
func ovOverlay(a, b []unionPoly, op int, eps float64) ([]unionPoly, error) {
	n := 0
	for _, ps := range [2][]unionPoly{a, b} {
		for _, p := range ps {
			for _, r := range p {
				n += len(r)
			}
		}
	}
	g := &ovGraph{eps: eps, head: make(map[[2]int64]int, 2*n), pts: make([][2]float64, 0, 2*n), next: make([]int, 0, 2*n)}
	var rings []ovRing
	var group []int // group (0 = a, 1 = b) of each input polygon
	for grp, ps := range [2][]unionPoly{a, b} {
		for _, p := range ps {
			pi := len(group)
			group = append(group, grp)
			for ri, r := range p {
				var nodes []int
				for _, v := range r {
					if k := g.node(v); len(nodes) == 0 || nodes[len(nodes)-1] != k {
						nodes = append(nodes, k)
					}
				}
				for len(nodes) > 1 && nodes[0] == nodes[len(nodes)-1] {
					nodes = nodes[:len(nodes)-1]
				}
				if len(nodes) < 3 {
					if ri == 0 {
						break // the exterior collapsed: drop the polygon
					}
					continue
				}
				rings = append(rings, ovRing{poly: pi, nodes: nodes})
			}
		}
	}
	for pass := 0; pass < maxNodingPasses; pass++ {
		if !g.nodePass(rings) {
			break
		}
	}

	// Sub-edges. Snapping can fold a ring onto itself (u→v→u: a spike or
	// slit without width); the two directions of one polygon on one node
	// pair cancel out, which leaves its region unchanged.
	type polyPair struct{ poly, u, v int } // u < v
	net := map[polyPair]int{}              // number of u→v minus v→u
	var seen []polyPair
	for _, r := range rings {
		for i, u := range r.nodes {
			v := r.nodes[(i+1)%len(r.nodes)]
			if u == v {
				continue
			}
			k := polyPair{r.poly, min(u, v), max(u, v)}
			if _, ok := net[k]; !ok {
				seen = append(seen, k)
			}
			if u < v {
				net[k]++
			} else {
				net[k]--
			}
		}
	}
	// The edges, and each polygon's edges for point-in-polygon tests.
	var edges []ovEdge
	segs := make([][][2][2]float64, len(group))
	boxes := make([][4]float64, len(group))
	for i := range boxes {
		boxes[i] = [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	}
	for _, k := range seen {
		u, v, n := k.u, k.v, net[k]
		if n < 0 {
			u, v, n = v, u, -n
		}
		for ; n > 0; n-- {
			edges = append(edges, ovEdge{u, v, k.poly})
			p, q := g.pts[u], g.pts[v]
			segs[k.poly] = append(segs[k.poly], [2][2]float64{p, q})
			b := &boxes[k.poly]
			*b = [4]float64{min(b[0], p[0], q[0]), min(b[1], p[1], q[1]), max(b[2], p[0], q[0]), max(b[3], p[1], q[1])}
		}
	}

	// Classification, one node pair at a time (in order of first
	// appearance, for deterministic output).
	pairOf := make(map[[2]int]int, len(edges))
	pairs := make([][]int, 0, len(edges))
	for i, e := range edges {
		k := [2]int{min(e.u, e.v), max(e.u, e.v)}
		j, ok := pairOf[k]
		if !ok {
			j = len(pairs)
			pairOf[k] = j
			pairs = append(pairs, nil)
		}
		pairs[j] = append(pairs[j], i)
	}
	var res []ovEdge
	for _, members := range pairs {
		u, v := edges[members[0]].u, edges[members[0]].v
		// inL[grp], inR[grp]: is group grp's region left / right of u→v?
		var inL, inR [2]bool
		for _, i := range members {
			if grp := group[edges[i].poly]; edges[i].u == u {
				inL[grp] = true
			} else {
				inR[grp] = true
			}
		}
		mid := [2]float64{(g.pts[u][0] + g.pts[v][0]) / 2, (g.pts[u][1] + g.pts[v][1]) / 2}
	polys:
		for pi, grp := range group {
			if inL[grp] && inR[grp] {
				continue
			}
			for _, i := range members {
				if edges[i].poly == pi {
					continue polys // sides already known from its edge
				}
			}
			bx := boxes[pi]
			if mid[0] < bx[0] || mid[0] > bx[2] || mid[1] < bx[1] || mid[1] > bx[3] {
				continue
			}
			if ovInSegs(segs[pi], mid) {
				inL[grp], inR[grp] = true, true
			}
		}
		l, r := inL[0] || inL[1], inR[0] || inR[1]
		if op == ovIntersection {
			l, r = inL[0] && inL[1], inR[0] && inR[1]
		}
		switch {
		case l && !r:
			res = append(res, ovEdge{u, v, -1})
		case r && !l:
			res = append(res, ovEdge{v, u, -1})
		}
	}
	return g.rings(res)
}

// ovInSegs is the even–odd point-in-polygon test over a polygon's edges.
func ovInSegs(segs [][2][2]float64, p [2]float64) bool {
	in := false
	for _, s := range segs {
		a, b := s[0], s[1]
		if (a[1] > p[1]) != (b[1] > p[1]) &&
			p[0] < a[0]+(p[1]-a[1])*(b[0]-a[0])/(b[1]-a[1]) {
			in = !in
		}
	}
	return in
}

// nodePass splits the rings' edges at the nodes within eps of them and at
// their proper crossings; it reports whether anything changed.
func (g *ovGraph) nodePass(rings []ovRing) bool {
	type seg struct {
		a, b int        // node ids
		box  [4]float64 // bounding box
	}
	n := 0
	for _, r := range rings {
		n += len(r.nodes)
	}
	segs := make([]seg, 0, n)
	for _, r := range rings {
		for i, u := range r.nodes {
			v := r.nodes[(i+1)%len(r.nodes)]
			p, q := g.pts[u], g.pts[v]
			segs = append(segs, seg{u, v, [4]float64{min(p[0], q[0]), min(p[1], q[1]), max(p[0], q[0]), max(p[1], q[1])}})
		}
	}
	eps := g.eps
	splits := make([][]int, len(segs))
	changed := false

	// Nodes within eps of an edge (T-junctions, collinear overlaps).
	order := make([]int, len(g.pts))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int { return cmp.Compare(g.pts[i][0], g.pts[j][0]) })
	for si, s := range segs {
		lo, _ := slices.BinarySearchFunc(order, s.box[0]-eps, func(k int, x float64) int { return cmp.Compare(g.pts[k][0], x) })
		for _, k := range order[lo:] {
			p := g.pts[k]
			if p[0] > s.box[2]+eps {
				break
			}
			if k == s.a || k == s.b || p[1] < s.box[1]-eps || p[1] > s.box[3]+eps {
				continue
			}
			if d, t := unionPointSeg(p, g.pts[s.a], g.pts[s.b]); d <= eps && t > 0 && t < 1 {
				splits[si] = append(splits[si], k)
				changed = true
			}
		}
	}

	// Proper crossings: edges whose endpoints are all farther than eps
	// from the other edge (the others were split above) and lie on
	// opposite sides.
	byX := make([]int, len(segs))
	for i := range byX {
		byX[i] = i
	}
	slices.SortFunc(byX, func(i, j int) int { return cmp.Compare(segs[i].box[0], segs[j].box[0]) })
	near := func(k int, s seg) bool {
		d, _ := unionPointSeg(g.pts[k], g.pts[s.a], g.pts[s.b])
		return d <= eps
	}
	for n, i := range byX {
		s := segs[i]
		for _, j := range byX[n+1:] {
			t := segs[j]
			if t.box[0] > s.box[2]+eps {
				break
			}
			if t.box[1] > s.box[3]+eps || s.box[1] > t.box[3]+eps ||
				s.a == t.a || s.a == t.b || s.b == t.a || s.b == t.b {
				continue
			}
			p, q, c, d := g.pts[s.a], g.pts[s.b], g.pts[t.a], g.pts[t.b]
			o1, o2 := unionOrient(p, q, c), unionOrient(p, q, d)
			o3, o4 := unionOrient(c, d, p), unionOrient(c, d, q)
			if o1*o2 >= 0 || o3*o4 >= 0 ||
				near(t.a, s) || near(t.b, s) || near(s.a, t) || near(s.b, t) {
				continue
			}
			f := o3 / (o3 - o4) // crossing parameter along p→q
			k := g.node([2]float64{round(p[0] + f*(q[0]-p[0])), round(p[1] + f*(q[1]-p[1]))})
			if k != s.a && k != s.b {
				splits[i] = append(splits[i], k)
				changed = true
			}
			if k != t.a && k != t.b {
				splits[j] = append(splits[j], k)
				changed = true
			}
		}
	}
	if !changed {
		return false
	}

	// Insert the split nodes, in order along each edge.
	si := 0
	for ri := range rings {
		old := rings[ri].nodes
		nodes := make([]int, 0, len(old))
		push := func(k int) {
			if len(nodes) == 0 || nodes[len(nodes)-1] != k {
				nodes = append(nodes, k)
			}
		}
		for i, u := range old {
			push(u)
			if ks := splits[si]; len(ks) > 0 {
				p, q := g.pts[u], g.pts[old[(i+1)%len(old)]]
				param := func(k int) float64 {
					return (g.pts[k][0]-p[0])*(q[0]-p[0]) + (g.pts[k][1]-p[1])*(q[1]-p[1])
				}
				slices.SortStableFunc(ks, func(x, y int) int { return cmp.Compare(param(x), param(y)) })
				for _, k := range ks {
					push(k)
				}
			}
			si++
		}
		for len(nodes) > 1 && nodes[0] == nodes[len(nodes)-1] {
			nodes = nodes[:len(nodes)-1]
		}
		rings[ri].nodes = nodes
	}
	return true
}

// rings links the result edges (region on their left) into polygons.
func (g *ovGraph) rings(res []ovEdge) ([]unionPoly, error) {
	out := make([][]int, len(g.pts)) // outgoing edges of each node
	ang := make([]float64, len(res))
	for i, e := range res {
		out[e.u] = append(out[e.u], i)
		ang[i] = math.Atan2(g.pts[e.v][1]-g.pts[e.u][1], g.pts[e.v][0]-g.pts[e.u][0])
	}
	used := make([]bool, len(res))
	var loops [][]int
	for e0 := range res {
		if used[e0] {
			continue
		}
		var ring []int
		for e := e0; ; {
			used[e] = true
			ring = append(ring, res[e].u)
			// Arriving at v along e, take the first unused outgoing edge
			// clockwise from the way back: the smallest ring keeping the
			// region on its left.
			v := res[e].v
			back := math.Atan2(g.pts[res[e].u][1]-g.pts[v][1], g.pts[res[e].u][0]-g.pts[v][0])
			next, best := -1, math.Inf(1)
			for _, c := range out[v] {
				if used[c] && c != e0 {
					continue
				}
				d := math.Mod(back-ang[c], 2*math.Pi)
				if d <= 0 {
					d += 2 * math.Pi
				}
				if d < best {
					next, best = c, d
				}
			}
			if next < 0 {
				return nil, fmt.Errorf("open boundary at %v: %w", g.pts[v], ErrInvalidFootprint)
			}
			if next == e0 {
				break
			}
			e = next
		}
		loops = append(loops, ovSplitPinches(ring)...)
	}

	// Positions, clean-up, exteriors and holes.
	var exts []unionPoly
	var extArea []float64
	var holes [][][2]float64
	for _, l := range loops {
		r := make([][2]float64, len(l))
		for i, k := range l {
			r[i] = g.pts[k]
		}
		r = ovDropCollinear(r)
		if len(r) < 3 {
			continue
		}
		switch a := unionArea(r); {
		case a > 0:
			exts = append(exts, unionPoly{ovRotate(r)})
			extArea = append(extArea, a)
		case a < 0:
			holes = append(holes, ovRotate(r))
		}
	}
	for _, h := range holes {
		// The middle of a hole edge is on no other ring.
		m := [2]float64{(h[0][0] + h[1][0]) / 2, (h[0][1] + h[1][1]) / 2}
		best := -1
		for i, e := range exts {
			if (best < 0 || extArea[i] < extArea[best]) && unionInPoly(unionPoly{e[0]}, m) {
				best = i
			}
		}
		if best >= 0 {
			exts[best] = append(exts[best], h)
		}
	}
	slices.SortStableFunc(exts, func(x, y unionPoly) int {
		return cmp.Or(cmp.Compare(x[0][0][0], y[0][0][0]), cmp.Compare(x[0][0][1], y[0][0][1]))
	})
	return exts, nil
}

// ovSplitPinches cuts a cycle of node ids that visits a node more than once
// into simple cycles.
func ovSplitPinches(ring []int) [][]int {
	var out [][]int
	pos := map[int]int{}
	var stack []int
	for _, k := range ring {
		if p, ok := pos[k]; ok {
			out = append(out, slices.Clone(stack[p:]))
			for _, m := range stack[p+1:] {
				delete(pos, m)
			}
			stack = stack[:p+1]
			continue
		}
		pos[k] = len(stack)
		stack = append(stack, k)
	}
	return append(out, stack)
}

// ovDropCollinear removes repeated positions and vertices lying within 1e-9°
// of the straight segment between their neighbours.
func ovDropCollinear(r [][2]float64) [][2]float64 {
	for changed := true; changed && len(r) >= 3; {
		changed = false
		for i := 0; i < len(r) && len(r) >= 3; i++ {
			p, v, q := r[(i+len(r)-1)%len(r)], r[i], r[(i+1)%len(r)]
			drop := v == q
			if !drop {
				dx, dy := q[0]-p[0], q[1]-p[1]
				l := math.Hypot(dx, dy)
				between := (v[0]-p[0])*dx+(v[1]-p[1])*dy > 0 && (q[0]-v[0])*dx+(q[1]-v[1])*dy > 0
				drop = between && math.Abs(unionOrient(p, q, v)) <= precision*l
			}
			if drop {
				r = slices.Delete(r, i, i+1)
				i--
				changed = true
			}
		}
	}
	return r
}

// ovRotate starts a ring at its westernmost (then southernmost) vertex.
func ovRotate(r [][2]float64) [][2]float64 {
	m := 0
	for i, v := range r {
		if v[0] < r[m][0] || (v[0] == r[m][0] && v[1] < r[m][1]) {
			m = i
		}
	}
	return append(slices.Clone(r[m:]), r[:m]...)
}
