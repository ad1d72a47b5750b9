package crs

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
)

// datumShift converts geodetic coordinates on a CRS's datum (radians,
// longitudes from Greenwich) to WGS 84 and back. It reproduces what PROJ 9
// does for proj_create_crs_to_crs(source, EPSG:4326) without an area of
// interest, as GDAL's gdaltransform and gdalinfo use it:
//
//   - the candidates are the datum's operations to WGS 84 from the EPSG
//     dataset (direct ones; through one intermediate datum only when no
//     direct one is usable), whose area of use intersects the CRS's, and
//     whose grids, if any, are available;
//   - a "ballpark" null transformation is appended unless a candidate
//     without grids covers the whole area of use of the CRS;
//   - they are sorted as PROJ's operation factory sorts them;
//   - a single candidate is used for every point; otherwise, per point,
//     among the candidates whose area of use (as a bounding box in the CRS's
//     own coordinates) contains the point, the best accuracy wins (ties: an
//     area strictly inside the other's; unknown accuracy only when nothing
//     else applies; offshore areas never replace another) — PROJ's
//     pj_get_suggested_operation; a grid that does not cover the point
//     passes to the next one (twice at most), and a point that no
//     candidate's area contains uses the first candidate without grids.
type datumShift struct {
	datum string // name, for messages
	cands []*candidate

	// entries are PROJ's "prepared operations": one per candidate and
	// bounding box, computed on first use (projecting the areas of use
	// costs about 1 ms for 15 candidates).
	once    sync.Once
	ctx     crsContext
	entries []entry
}

// candidate is one operation (or chain of operations) from the datum to
// WGS 84.
type candidate struct {
	name     string
	steps    []step // in order, each already in the direction used
	acc      float64
	area     bbox
	grids    bool
	ballpark bool
	offshore bool
	projStep int     // PROJ pipeline length estimate, a sorting tie-break
	sortArea float64 // pseudo-area of the intersection with the CRS's area of use
	err      error   // not implemented: selecting it is an error
}

// entry is a candidate with one bounding box of its area of use (two for
// an area crossing the antimeridian): in source CRS coordinates (as
// toSI returns them) and in WGS 84 degrees.
type entry struct {
	c        *candidate
	src, dst box
}

type box struct{ minx, miny, maxx, maxy float64 }

func (b box) contains(x, y float64) bool {
	return x >= b.minx && y >= b.miny && x <= b.maxx && y <= b.maxy
}

// strictlyInside reports whether b lies strictly inside o (PROJ's test for
// two operations of equal accuracy).
func (b box) strictlyInside(o box) bool {
	return b.minx > o.minx && b.miny > o.miny && b.maxx < o.maxx && b.maxy < o.maxy
}

var everything = box{math.Inf(-1), math.Inf(-1), math.Inf(1), math.Inf(1)}

// step is one transformation between two datums on geodetic coordinates
// (radians). inv is the exact inverse of fwd (PROJ's pj_inv).
type step interface {
	fwd(lam, phi float64) (float64, float64, error)
	inv(lam, phi float64) (float64, float64, error)
	identity() bool
}

// errOutsideGrid is returned by a grid step for a point that no grid
// covers; selection then moves to another candidate.
var errOutsideGrid = errors.New("point outside the datum shift grid")

// errNotImplemented wraps the error of a candidate that uses an operation
// this package does not implement. PROJ cannot instantiate them either
// (time-dependent Helmert transformations without a coordinate epoch): it
// sorts them last and moves to another candidate when one is selected.
var errNotImplemented = errors.New("operation not implemented")

func (c *candidate) forward(lam, phi float64) (float64, float64, error) {
	if c.err != nil {
		return 0, 0, fmt.Errorf("%w: %w", errNotImplemented, c.err)
	}
	var err error
	for _, s := range c.steps {
		if lam, phi, err = s.fwd(lam, phi); err != nil {
			return 0, 0, err
		}
	}
	return lam, phi, nil
}

func (c *candidate) inverse(lam, phi float64) (float64, float64, error) {
	if c.err != nil {
		return 0, 0, fmt.Errorf("%w: %w", errNotImplemented, c.err)
	}
	var err error
	for i := len(c.steps) - 1; i >= 0; i-- {
		if lam, phi, err = c.steps[i].inv(lam, phi); err != nil {
			return 0, 0, err
		}
	}
	return lam, phi, nil
}

// toWGS84 shifts (lam, phi) on the source datum; x, y are the point's
// source CRS coordinates (for the area-of-use test).
func (d *datumShift) toWGS84(x, y, lam, phi float64) (float64, float64, error) {
	l, p, _, err := d.forward(x, y, lam, phi)
	return l, p, err
}

// forward is toWGS84, also returning the candidate used.
func (d *datumShift) forward(x, y, lam, phi float64) (float64, float64, *candidate, error) {
	l, p, c, err := d.apply(func(e *entry) bool { return e.src.contains(x, y) },
		func(c *candidate) (float64, float64, error) { return c.forward(lam, phi) }, true)
	if err != nil {
		return 0, 0, nil, err
	}
	return unwrapNear(l, lam), p, c, nil
}

// fromWGS84 is the inverse: WGS 84 (lam, phi) back to the source datum,
// choosing the candidate as PROJ does for the inverse direction (by the
// WGS 84 bounding boxes of the areas of use). CRS.FromWGS84 then checks the
// choice against the forward one.
func (d *datumShift) fromWGS84(lam, phi float64) (float64, float64, *candidate, error) {
	lon, lat := normLon(lam/deg), phi/deg
	l, p, c, err := d.apply(func(e *entry) bool { return e.dst.contains(lon, lat) },
		func(c *candidate) (float64, float64, error) { return c.inverse(lam, phi) }, false)
	if err != nil {
		return 0, 0, nil, err
	}
	return unwrapNear(l, lam), p, c, nil
}

func (d *datumShift) apply(in func(*entry) bool, run func(*candidate) (float64, float64, error), fwd bool) (float64, float64, *candidate, error) {
	if len(d.cands) == 1 {
		l, p, err := run(d.cands[0])
		return l, p, d.cands[0], err
	}
	d.once.Do(d.prepare)
	excluded := [2]int{-1, -1}
	var lastErr error
	for retry := 0; retry <= 2; retry++ {
		i := d.suggest(in, excluded, fwd)
		if i < 0 {
			break
		}
		c := d.entries[i].c
		l, p, err := run(c)
		if err == nil {
			return l, p, c, nil
		}
		if !errors.Is(err, errOutsideGrid) && !errors.Is(err, errNotImplemented) {
			return 0, 0, nil, err
		}
		lastErr = err
		if retry == 2 {
			break
		}
		excluded[retry] = i //nolint:gosec // G602: retry < 2 here: the loop breaks at 2 just above
	}
	// No candidate's area contains the point (or its grids do not cover it):
	// PROJ uses the first candidate that needs no grid.
	for _, c := range d.cands {
		if !c.grids {
			l, p, err := run(c)
			return l, p, c, err
		}
	}
	if lastErr == nil {
		lastErr = errOutsideGrid
	}
	return 0, 0, nil, lastErr
}

// suggest is PROJ's pj_get_suggested_operation.
func (d *datumShift) suggest(in func(*entry) bool, excluded [2]int, fwd bool) int {
	best, bestAcc := -1, math.MaxFloat64
	for i := range d.entries {
		if i == excluded[0] || i == excluded[1] {
			continue
		}
		e := &d.entries[i]
		if !in(e) {
			continue
		}
		nested := false
		if best >= 0 && e.c.acc == bestAcc {
			if fwd {
				nested = e.src.strictlyInside(d.entries[best].src)
			} else {
				nested = e.dst.strictlyInside(d.entries[best].dst)
			}
		}
		if best < 0 || (e.c.acc >= 0 && (e.c.acc < bestAcc || nested) && !e.c.offshore) {
			best, bestAcc = i, e.c.acc
		}
	}
	return best
}

// crsContext is what building a datum shift needs to know about the CRS.
type crsContext struct {
	area      *areaRec   // area of use of the CRS (nil: the world)
	pm        float64    // prime meridian of the CRS, radians
	projected bool       // source coordinates are projected (else degrees)
	proj      projection // forward projection, for the source bounding boxes
	grids     *Grids
}

// newDatumShift builds the datum shift of a datum from the EPSG table; nil
// when the datum is WGS 84 or every candidate is a null transformation.
func (db *epsgDB) newDatumShift(datum int, ctx crsContext) (*datumShift, error) {
	if datum == wgs84Datum {
		return nil, nil
	}
	dr := db.datums[datum]
	if dr == nil {
		return nil, fmt.Errorf("datum EPSG:%d is not in the EPSG table", datum)
	}
	crsArea := bbox{-180, -90, 180, 90}
	if ctx.area != nil {
		crsArea = ctx.area.box
	}
	d := &datumShift{datum: dr.name}
	var cands []*candidate
	if l := db.lists[datum]; l != nil {
		build := func(chains [][]opRef) {
			var kept [][]opRef
			var built []*candidate
			usable := map[int]bool{}
			for _, ch := range chains {
				c := db.candidate(ch, ctx)
				if c == nil { // grid missing
					continue
				}
				usable[ch[0].op.code] = true
				kept, built = append(kept, ch), append(built, c)
			}
			for i, c := range built {
				sup := false
				for _, b := range l.supersededBy[kept[i][0].op.code] {
					sup = sup || usable[b]
				}
				if !sup && c.area.intersects(crsArea) {
					cands = append(cands, c)
				}
			}
		}
		build(l.direct)
		if len(cands) == 0 {
			build(l.pivots)
		}
	}
	covered := false
	for _, c := range cands {
		covered = covered || (!c.grids && c.err == nil && c.area.contains(crsArea))
	}
	if !covered {
		cands = append(cands, &candidate{name: "Ballpark geographic offset from " + dr.name + " to WGS 84",
			acc: -1, area: bbox{-180, -90, 180, 90}, ballpark: true, projStep: 1})
	}
	for _, c := range cands {
		c.sortArea = c.area.intersection(crsArea).pseudoArea()
	}
	sortCandidates(cands)
	d.cands = cands
	identity := true
	for _, c := range cands {
		for _, s := range c.steps {
			identity = identity && s.identity()
		}
		identity = identity && c.err == nil
	}
	if identity {
		return nil, nil
	}
	if len(cands) == 1 && cands[0].err != nil {
		return nil, cands[0].err
	}
	d.ctx = ctx
	return d, nil
}

func (d *datumShift) prepare() {
	for _, c := range d.cands {
		for _, part := range c.area.split() {
			e := entry{c: c, dst: box{part.w, part.s, part.e, part.n}, src: everything}
			if !c.ballpark {
				var ok bool
				if e.src, ok = sourceBox(part, d.ctx); !ok {
					continue // PROJ drops an operation whose area it cannot transform
				}
			}
			d.entries = append(d.entries, e)
		}
	}
}

// sourceBox is the bounding box, in source CRS coordinates, of an area of
// use, as PROJ's reproject_bbox computes it (21 points per edge).
func sourceBox(a bbox, ctx crsContext) (box, bool) {
	pm := ctx.pm / deg
	if !ctx.projected {
		return box{a.w - pm, a.s, a.e - pm, a.n}, true
	}
	b := box{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	const n = 20 // PROJ's reproject_bbox: 21 points per edge
	add := func(lon, lat float64) {
		x, y, err := projectWrapped(ctx.proj, kindOther, (lon-pm)*deg, lat*deg)
		if err != nil || !finite(x) || !finite(y) {
			return
		}
		b.minx, b.maxx = math.Min(b.minx, x), math.Max(b.maxx, x)
		b.miny, b.maxy = math.Min(b.miny, y), math.Max(b.maxy, y)
	}
	for i := 0; i <= n; i++ {
		f := float64(i) / n
		lon := a.w + f*(a.e-a.w)
		lat := a.s + f*(a.n-a.s)
		add(lon, a.s)
		add(lon, a.n)
		add(a.w, lat)
		add(a.e, lat)
	}
	return b, b.minx <= b.maxx && b.miny <= b.maxy
}

// candidate builds the candidate of a chain of operations; nil when a grid
// it needs is not available.
func (db *epsgDB) candidate(chain []opRef, ctx crsContext) *candidate {
	c := &candidate{acc: 0, area: bbox{-180, -90, 180, 90}}
	var names []string
	// PROJ flattens a concatenated operation when it prefixes the inverse
	// projection, and then sums the accuracies of its steps.
	flat := chain
	if len(chain) > 1 || ctx.projected {
		flat = nil
		for _, r := range chain {
			if r.op.kind == 'C' {
				for i := range r.op.steps {
					s := r.op.steps[i]
					if r.inv {
						s = r.op.steps[len(r.op.steps)-1-i]
						s.inv = !s.inv
					}
					flat = append(flat, s)
				}
			} else {
				flat = append(flat, r)
			}
		}
	}
	for i, r := range chain {
		a := db.area(r.op.extent)
		if i == 0 {
			c.area = a.box
		} else {
			c.area = c.area.intersection(a.box)
		}
		c.offshore = c.offshore || a.offshore
	}
	for _, r := range flat {
		o := r.op
		n := o.name
		if r.inv {
			n = "Inverse of " + n
		}
		names = append(names, n)
		if o.acc < 0 || c.acc < 0 {
			c.acc = -1
		} else {
			c.acc += o.acc
		}
		steps, err := db.steps(r, ctx)
		if err != nil {
			if errors.Is(err, errGridMissing) {
				return nil
			}
			c.err = err
		}
		for _, s := range steps {
			if _, ok := s.(*gridStep); ok {
				c.grids = true
			}
		}
		c.steps = append(c.steps, steps...)
		c.projStep += projSteps(o)
	}
	c.name = strings.Join(names, " + ")
	return c
}

// projSteps estimates the number of steps of PROJ's pipeline for an
// operation (used only to order equally good candidates as PROJ does).
func projSteps(o *opRec) int {
	switch o.kind {
	case 'N':
		return 1
	case 'H', 'B':
		return 9
	case 'C':
		n := 0
		for _, s := range o.steps {
			n += projSteps(s.op)
		}
		return n
	}
	return 5
}

var errGridMissing = errors.New("grid not available")

// steps returns the transformation steps of an operation used in the given
// direction (an inverse operation is PROJ's approximate inverse: the same
// method with negated parameters, or the grid applied backwards).
func (db *epsgDB) steps(r opRef, ctx crsContext) ([]step, error) {
	o := r.op
	src, tgt := db.datums[o.src], db.datums[o.tgt]
	if r.inv {
		src, tgt = tgt, src
	}
	sign := 1.0
	if r.inv {
		sign = -1
	}
	switch o.kind {
	case 'N':
		return []step{nullStep{}}, nil
	case 'H', 'B':
		p := o.params
		h := &helmert{src: src.el, tgt: tgt.el,
			tx: sign * p[0], ty: sign * p[1], tz: sign * p[2],
			rx: sign * p[3] * arcsec, ry: sign * p[4] * arcsec, rz: sign * p[5] * arcsec, ds: sign * p[6] * 1e-6}
		if o.kind == 'B' {
			h.px, h.py, h.pz = p[7], p[8], p[9]
		}
		return []step{h}, nil
	case 'F':
		return []step{offsetStep{dphi: sign * o.params[0] * arcsec, dlam: sign * o.params[1] * arcsec}}, nil
	case 'R':
		// The prime meridian is already applied by the CRS: only what the
		// rotation adds to the difference of the two prime meridians remains.
		rot := o.params[0]*deg - (db.datums[o.src].pm - db.datums[o.tgt].pm)
		return []step{offsetStep{dlam: sign * rot}}, nil
	case 'G':
		name, ok := ctx.grids.find(o.grids)
		if !ok {
			return nil, errGridMissing
		}
		return []step{&gridStep{grids: ctx.grids, name: name, backward: o.gridInv != r.inv}}, nil
	case 'C':
		var out []step
		for i := range o.steps {
			s := o.steps[i]
			if r.inv {
				s = o.steps[len(o.steps)-1-i]
				s.inv = !s.inv
			}
			st, err := db.steps(s, ctx)
			if err != nil {
				return nil, err
			}
			out = append(out, st...)
		}
		return out, nil
	}
	return nil, &UnsupportedError{Reason: fmt.Sprintf("transformation EPSG:%d (%s) %s", o.code, o.name, db.methodPhrase(o))}
}

// methodPhrase explains why an operation is not implemented.
func (db *epsgDB) methodPhrase(o *opRec) string {
	if o.method != 0 {
		if n := db.methods[o.method]; n != "" {
			return fmt.Sprintf("uses method EPSG:%d (%s): %s", o.method, n, o.reason)
		}
		return fmt.Sprintf("uses method EPSG:%d: %s", o.method, o.reason)
	}
	return "is not implemented: " + o.reason
}

// sortCandidates orders candidates as PROJ's operation factory does
// (SortFunction in coordinateoperationfactory.cpp), for the criteria that
// apply here.
func sortCandidates(cs []*candidate) {
	sort.SliceStable(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if (a.err == nil) != (b.err == nil) { // PROJ: "isPROJExportable" first
			return a.err == nil
		}
		if a.ballpark != b.ballpark {
			return !a.ballpark
		}
		if (a.acc >= 0) != (b.acc >= 0) {
			return a.acc >= 0
		}
		if a.acc < 0 && b.acc < 0 && a.grids != b.grids {
			return a.grids
		}
		if a.sortArea != b.sortArea {
			return a.sortArea > b.sortArea
		}
		if a.acc != b.acc {
			return a.acc < b.acc
		}
		if a.grids != b.grids {
			return !a.grids
		}
		if len(a.steps) != len(b.steps) {
			return len(a.steps) < len(b.steps)
		}
		if a.projStep != b.projStep {
			return a.projStep < b.projStep
		}
		if len(a.name) != len(b.name) {
			return len(a.name) < len(b.name)
		}
		return a.name > b.name
	})
}

// pseudoArea is PROJ's getPseudoArea: the longitude extent times the
// difference of the sines of the latitudes.
func (a bbox) pseudoArea() float64 {
	w, e := a.w, a.e
	if w > e {
		e += 360
	}
	return (e - w) * (math.Sin(a.n*deg) - math.Sin(a.s*deg))
}

func (a bbox) split() []bbox {
	if a.w <= a.e {
		return []bbox{a}
	}
	return []bbox{{a.w, a.s, 180, a.n}, {-180, a.s, a.e, a.n}}
}

func (a bbox) intersects(b bbox) bool {
	if a.s > b.n || b.s > a.n {
		return false
	}
	for _, x := range a.split() {
		for _, y := range b.split() {
			if x.w <= y.e && y.w <= x.e {
				return true
			}
		}
	}
	return false
}

// contains reports whether b lies within a (PROJ's
// GeographicBoundingBox::contains, antimeridian included).
func (a bbox) contains(b bbox) bool {
	if b.s < a.s || b.n > a.n {
		return false
	}
	if a.w == -180 && a.e == 180 {
		return true
	}
	if b.w == -180 && b.e == 180 {
		return false
	}
	aw, ae, bw, be := a.w, a.e, b.w, b.e
	if aw > ae {
		ae += 360
	}
	if bw > be {
		be += 360
	}
	for _, k := range []float64{0, 360, -360} {
		if bw+k >= aw && be+k <= ae {
			return true
		}
	}
	return false
}

// intersection of two boxes (the first part that overlaps when one crosses
// the antimeridian).
func (a bbox) intersection(b bbox) bbox {
	for _, x := range a.split() {
		for _, y := range b.split() {
			r := bbox{math.Max(x.w, y.w), math.Max(x.s, y.s), math.Min(x.e, y.e), math.Min(x.n, y.n)}
			if r.w <= r.e && r.s <= r.n {
				if len(a.split())+len(b.split()) == 4 && r.e == 180 {
					// both cross the antimeridian: so does the intersection
					r.e = math.Min(a.e, b.e)
				}
				return r
			}
		}
	}
	return bbox{0, 0, 0, 0}
}

type nullStep struct{}

func (nullStep) fwd(l, p float64) (float64, float64, error) { return l, p, nil }
func (nullStep) inv(l, p float64) (float64, float64, error) { return l, p, nil }
func (nullStep) identity() bool                             { return true }

// offsetStep is EPSG's Geographic2D offsets (9619, and the horizontal part
// of 9618 and 9660) and the residual of a longitude rotation (9601).
type offsetStep struct{ dlam, dphi float64 }

func (o offsetStep) fwd(l, p float64) (float64, float64, error) { return l + o.dlam, p + o.dphi, nil }
func (o offsetStep) inv(l, p float64) (float64, float64, error) { return l - o.dlam, p - o.dphi, nil }
func (o offsetStep) identity() bool                             { return o.dlam == 0 && o.dphi == 0 }
