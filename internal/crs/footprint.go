package crs

import (
	"errors"
	"fmt"
	"math"
)

// Geometry is a GeoJSON Polygon or MultiPolygon. Coordinates is
// [][][2]float64 for a Polygon and [][][][2]float64 for a MultiPolygon; each
// ring is closed, positions are [lon, lat] and exterior rings run
// counter-clockwise (RFC 7946 §3.1.6).
type Geometry struct {
	Type        string `json:"type"`
	Coordinates any    `json:"coordinates"`
}

// DefaultDensify is the number of segments per image edge used when
// Footprint is called with densify == 0.
const DefaultDensify = 16

// maxDensify bounds the work a caller can ask for.
const maxDensify = 100000

// precision is the rounding step of output coordinates in degrees
// (1e-9° ≈ 0.1 mm), which makes the output deterministic.
const precision = 1e-9

// ErrInvalidFootprint is wrapped by Footprint errors about its input
// (geotransform, size) or about footprints that cannot be represented in
// longitude/latitude (enclosing a pole, wider than 360°).
var ErrInvalidFootprint = errors.New("invalid footprint")

// rawTransformer is implemented by *CRS: longitudes without normalisation.
type rawTransformer interface {
	toWGS84Raw(x, y float64) (lon, lat float64, err error)
}

type vertex struct {
	px, py   float64 // pixel/line coordinates
	lon, lat float64 // continuous (unwrapped) longitude, latitude
}

// Footprint returns the WGS 84 outline of a width×height raster whose
// pixel/line → CRS mapping is the GDAL geotransform gt:
//
//	X = gt[0] + col·gt[1] + row·gt[2]
//	Y = gt[3] + col·gt[4] + row·gt[5]
//
// The outline follows the outer pixel edges (0..width, 0..height); each edge
// is split into densify segments (DefaultDensify when 0) so that it follows
// the curve of the projected edge in longitude/latitude. The result is a
// Polygon, or a MultiPolygon split at ±180° when the outline crosses the
// antimeridian (RFC 7946 §3.1.9); bbox is [west, south, east, north] with
// west > east in the latter case (RFC 7946 §5.2). Longitudes are normalised
// into [-180, 180] and all values rounded to 1e-9°.
func Footprint(t Transformer, gt [6]float64, width, height, densify int) (*Geometry, [4]float64, error) {
	var bbox [4]float64
	densify, err := checkFootprintArgs(t, width, height, densify)
	if err != nil {
		return nil, bbox, err
	}
	for _, v := range gt {
		if !finite(v) {
			return nil, bbox, fmt.Errorf("crs: footprint: non-finite geotransform %v: %w", gt, ErrInvalidFootprint)
		}
	}
	if gt[1]*gt[5]-gt[2]*gt[4] == 0 {
		return nil, bbox, fmt.Errorf("crs: footprint: degenerate geotransform %v: %w", gt, ErrInvalidFootprint)
	}
	toCRS := func(px, py float64) (float64, float64, error) {
		return gt[0] + px*gt[1] + py*gt[2], gt[3] + px*gt[4] + py*gt[5], nil
	}
	// Global geographic grids with cell-centre registration overshoot the
	// poles and the ±180° seam by up to half a pixel (GDAL passes lat 90.5
	// through unchanged). Within one pixel we clamp instead of failing.
	latTol := math.Abs(gt[4]) + math.Abs(gt[5])
	lonTol := 2 * (math.Abs(gt[1]) + math.Abs(gt[2]))
	return footprint(t, toCRS, width, height, densify, latTol, lonTol)
}

// FootprintFunc is Footprint for any pixel/line → CRS mapping toCRS (a GCP
// transformer's PixelToCRS, for example) instead of a geotransform; t
// converts the CRS coordinates to WGS 84. The outline, densification,
// antimeridian split and rounding are Footprint's. Unlike Footprint, it does
// not clamp latitudes overshooting ±90° (only by 1e-9°).
func FootprintFunc(t Transformer, toCRS func(px, py float64) (x, y float64, err error), width, height, densify int) (*Geometry, [4]float64, error) {
	var bbox [4]float64
	densify, err := checkFootprintArgs(t, width, height, densify)
	if err != nil {
		return nil, bbox, err
	}
	if toCRS == nil {
		return nil, bbox, fmt.Errorf("crs: footprint: nil pixel mapping: %w", ErrInvalidFootprint)
	}
	return footprint(t, toCRS, width, height, densify, 0, 0)
}

// checkFootprintArgs validates the arguments common to Footprint and
// FootprintFunc and returns the number of segments per edge.
func checkFootprintArgs(t Transformer, width, height, densify int) (int, error) {
	if t == nil {
		return 0, fmt.Errorf("crs: footprint: nil transformer: %w", ErrInvalidFootprint)
	}
	if width <= 0 || height <= 0 {
		return 0, fmt.Errorf("crs: footprint: invalid raster size %dx%d: %w", width, height, ErrInvalidFootprint)
	}
	if densify == 0 {
		densify = DefaultDensify
	}
	if densify < 0 || densify > maxDensify {
		return 0, fmt.Errorf("crs: footprint: densify %d out of range [0, %d]: %w", densify, maxDensify, ErrInvalidFootprint)
	}
	return densify, nil
}

// footprint implements Footprint and FootprintFunc once the arguments are
// checked; latTol and lonTol are how far (degrees) a geographic outline may
// overshoot a pole and 360° of longitude and still be clamped.
func footprint(t Transformer, toCRS func(px, py float64) (float64, float64, error), width, height, densify int, latTol, lonTol float64) (*Geometry, [4]float64, error) {
	var bbox [4]float64

	// Geographic and cylindrical CRSs give longitudes that are continuous by
	// construction; anything else is unwrapped vertex by vertex, which is
	// safe because densified steps are far smaller than 180°.
	unwrap, geog := true, false
	if c, ok := t.(*CRS); ok {
		unwrap, geog = c.kind == kindOther, c.kind == kindGeographic
	}
	toLonLat := func(px, py float64) (float64, float64, error) {
		x, y, err := toCRS(px, py)
		if err != nil {
			return 0, 0, err
		}
		if geog && math.Abs(y) > 90 && math.Abs(y)-90 <= latTol+1e-9 {
			y = math.Copysign(90, y)
		}
		if r, ok := t.(rawTransformer); ok {
			return r.toWGS84Raw(x, y)
		}
		return t.ToWGS84(x, y)
	}

	w, h := float64(width), float64(height)
	corners := [5][2]float64{{0, 0}, {0, h}, {w, h}, {w, 0}, {0, 0}}
	ring := make([]vertex, 0, 4*densify+1)
	for e := 0; e < 4; e++ {
		a, b := corners[e], corners[e+1]
		for k := 0; k < densify; k++ {
			f := float64(k) / float64(densify)
			ring = append(ring, vertex{px: a[0] + f*(b[0]-a[0]), py: a[1] + f*(b[1]-a[1])})
		}
	}
	ring = append(ring, ring[0]) // closing vertex, transformed again on purpose
	for i := range ring {
		lon, lat, err := toLonLat(ring[i].px, ring[i].py)
		if err != nil {
			return nil, bbox, fmt.Errorf("crs: footprint: pixel (%g, %g): %w", ring[i].px, ring[i].py, err)
		}
		if unwrap && i > 0 {
			lon = nearestLon(lon, ring[i-1].lon)
		}
		ring[i].lon, ring[i].lat = lon, lat
	}
	n := len(ring) - 1
	if math.Abs(ring[n].lon-ring[0].lon) > 1e-6 {
		return nil, bbox, fmt.Errorf("crs: footprint: outline winds around a pole (net %.1f° of longitude): %w",
			ring[n].lon-ring[0].lon, ErrInvalidFootprint)
	}
	ring[n] = ring[0]

	minLon, maxLon := math.Inf(1), math.Inf(-1)
	for _, v := range ring {
		minLon, maxLon = math.Min(minLon, v.lon), math.Max(maxLon, v.lon)
	}
	if span := maxLon - minLon; span >= 360-1e-9 {
		// Only a longitude-linear raster (geographic, Mercator) can cover
		// every meridian; its footprint is the whole latitude band.
		if unwrap || (span > 360+1e-9 && !(geog && span <= 360+lonTol+1e-9)) {
			return nil, bbox, fmt.Errorf("crs: footprint: outline spans %.6f° of longitude: %w", span, ErrInvalidFootprint)
		}
		south, north := math.Inf(1), math.Inf(-1)
		for _, v := range ring {
			south, north = math.Min(south, v.lat), math.Max(north, v.lat)
		}
		s, n := round(south), round(north)
		if s == n {
			return nil, bbox, fmt.Errorf("crs: footprint: degenerate outline: %w", ErrInvalidFootprint)
		}
		band := [][2]float64{{-180, s}, {180, s}, {180, n}, {-180, n}, {-180, s}}
		return &Geometry{Type: "Polygon", Coordinates: [][][2]float64{band}}, [4]float64{-180, s, 180, n}, nil
	}
	// Shift so that minLon ∈ [-180, 180).
	shift := -360 * math.Floor((minLon+180)/360)
	if shift != 0 {
		for i := range ring {
			ring[i].lon += shift
		}
		maxLon += shift
	}

	if maxLon <= 180 {
		poly := finishRing(ring, 0)
		if poly == nil {
			return nil, bbox, fmt.Errorf("crs: footprint: degenerate outline: %w", ErrInvalidFootprint)
		}
		bbox = ringsBBox(poly)
		return &Geometry{Type: "Polygon", Coordinates: [][][2]float64{poly}}, bbox, nil
	}

	// The outline crosses +180°: clip into the part west of it (lon ≤ 180)
	// and the part east of it (lon ≥ 180, then shifted by -360°).
	cross := func(a, b vertex) vertex { return crossing(toLonLat, unwrap, a, b) }
	west := finishRing(clip(ring, func(v vertex) bool { return v.lon <= 180 }, cross), 0)
	east := finishRing(clip(ring, func(v vertex) bool { return v.lon >= 180 }, cross), -360)
	switch {
	case west == nil && east == nil:
		return nil, bbox, fmt.Errorf("crs: footprint: degenerate outline: %w", ErrInvalidFootprint)
	case east == nil:
		bbox = ringsBBox(west)
		return &Geometry{Type: "Polygon", Coordinates: [][][2]float64{west}}, bbox, nil
	case west == nil:
		bbox = ringsBBox(east)
		return &Geometry{Type: "Polygon", Coordinates: [][][2]float64{east}}, bbox, nil
	}
	wb, eb := ringsBBox(west), ringsBBox(east)
	bbox = [4]float64{wb[0], math.Min(wb[1], eb[1]), eb[2], math.Max(wb[3], eb[3])}
	return &Geometry{Type: "MultiPolygon", Coordinates: [][][][2]float64{{west}, {east}}}, bbox, nil
}

// nearestLon shifts lon by a multiple of 360° to lie within 180° of ref.
func nearestLon(lon, ref float64) float64 {
	return lon - 360*math.Round((lon-ref)/360)
}

// clip is one Sutherland–Hodgman pass of a closed ring against the
// half-plane inside(v); cross returns the point where edge a→b meets 180°.
func clip(ring []vertex, inside func(vertex) bool, cross func(a, b vertex) vertex) []vertex {
	var out []vertex
	for i := 0; i+1 < len(ring); i++ {
		a, b := ring[i], ring[i+1]
		ina, inb := inside(a), inside(b)
		switch {
		case ina && inb:
			out = append(out, b)
		case ina && !inb:
			out = append(out, cross(a, b))
		case !ina && inb:
			out = append(out, cross(a, b), b)
		}
	}
	if len(out) > 0 {
		out = append(out, out[0])
	}
	return out
}

// crossing finds the point of the image edge a→b (a straight segment in
// pixel space) whose longitude is exactly 180°, by bisection on the true
// transformed edge rather than by interpolating in degrees.
func crossing(f func(px, py float64) (float64, float64, error), unwrap bool, a, b vertex) vertex {
	if a.lon == 180 {
		return a
	}
	if b.lon == 180 {
		return b
	}
	lo, hi := 0.0, 1.0
	loV, hiV := a, b
	for i := 0; i < 60 && hi-lo > 1e-15; i++ {
		m := (lo + hi) / 2
		v := vertex{px: a.px + m*(b.px-a.px), py: a.py + m*(b.py-a.py)}
		lon, lat, err := f(v.px, v.py)
		if err != nil { // cannot happen between two valid vertices in practice
			break
		}
		ref := loV.lon + (hiV.lon-loV.lon)/2
		if unwrap || math.Abs(lon-ref) > 180 {
			lon = nearestLon(lon, ref)
		}
		v.lon, v.lat = lon, lat
		if (lon <= 180) == (a.lon <= 180) {
			lo, loV = m, v
		} else {
			hi, hiV = m, v
		}
	}
	// Interpolate linearly inside the final (tiny) bracket.
	t := 0.5
	if hiV.lon != loV.lon {
		t = (180 - loV.lon) / (hiV.lon - loV.lon)
	}
	return vertex{lon: 180, lat: loV.lat + t*(hiV.lat-loV.lat)}
}

// finishRing shifts, rounds, removes repeated positions, closes and orients
// a ring counter-clockwise. It returns nil for rings without area.
func finishRing(ring []vertex, shift float64) [][2]float64 {
	out := make([][2]float64, 0, len(ring))
	for _, v := range ring {
		p := [2]float64{round(v.lon + shift), round(v.lat)}
		if len(out) > 0 && out[len(out)-1] == p {
			continue
		}
		out = append(out, p)
	}
	if len(out) > 1 && out[len(out)-1] == out[0] {
		out = out[:len(out)-1]
	}
	out = simplify(out, simplifyTolerance)
	if len(out) < 3 {
		return nil
	}
	area := 0.0
	for i := range out {
		j := (i + 1) % len(out)
		area += out[i][0]*out[j][1] - out[j][0]*out[i][1]
	}
	if area == 0 {
		return nil
	}
	if area < 0 {
		// Reverse, keeping the first vertex first.
		for i, j := 1, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return append(out, out[0])
}

func round(v float64) float64 {
	// Dividing by the exact integer 1/precision yields the double nearest to
	// k·1e-9, which encodes as a short decimal.
	r := math.Round(v*(1/precision)) / (1 / precision)
	if r == 0 {
		return 0 // no negative zero in the output
	}
	return r
}

func ringsBBox(ring [][2]float64) [4]float64 {
	b := [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for _, p := range ring {
		b[0], b[1] = math.Min(b[0], p[0]), math.Min(b[1], p[1])
		b[2], b[3] = math.Max(b[2], p[0]), math.Max(b[3], p[1])
	}
	return b
}

// simplifyTolerance is how far (in degrees, ≈1 cm) a densified vertex may lie
// from the straight segment between its neighbours and still be dropped:
// edges that stay straight in longitude/latitude (geographic and Mercator
// rasters, short UTM edges) keep only their corners, curved ones keep the
// vertices that carry the curve.
const simplifyTolerance = 1e-7

// simplify is Douglas–Peucker on an open ring (the closing vertex omitted),
// anchored at its first vertex; the result keeps the input's order.
func simplify(ring [][2]float64, tol float64) [][2]float64 {
	if len(ring) < 4 {
		return ring
	}
	closed := append(append([][2]float64(nil), ring...), ring[0])
	keep := make([]bool, len(closed))
	keep[0], keep[len(closed)-1] = true, true
	// The vertex farthest from the first one splits the ring into two
	// chains, so that the closing segment is never degenerate.
	far, best := 0, -1.0
	for i, p := range closed {
		if d := math.Hypot(p[0]-closed[0][0], p[1]-closed[0][1]); d > best {
			far, best = i, d
		}
	}
	keep[far] = true
	var dp func(a, b int)
	dp = func(a, b int) {
		idx, dmax := -1, tol
		for i := a + 1; i < b; i++ {
			if d := segmentDistance(closed[i], closed[a], closed[b]); d > dmax {
				idx, dmax = i, d
			}
		}
		if idx >= 0 {
			keep[idx] = true
			dp(a, idx)
			dp(idx, b)
		}
	}
	dp(0, far)
	dp(far, len(closed)-1)
	out := ring[:0:0]
	for i, p := range closed[:len(closed)-1] {
		if keep[i] {
			out = append(out, p)
		}
	}
	return out
}

// segmentDistance is the planar distance from p to the segment a–b.
func segmentDistance(p, a, b [2]float64) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	if dx == 0 && dy == 0 {
		return math.Hypot(p[0]-a[0], p[1]-a[1])
	}
	t := ((p[0]-a[0])*dx + (p[1]-a[1])*dy) / (dx*dx + dy*dy)
	t = math.Max(0, math.Min(1, t))
	return math.Hypot(p[0]-a[0]-t*dx, p[1]-a[1]-t*dy)
}
