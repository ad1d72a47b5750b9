package render

import (
	"html/template"
	"math"
	"strconv"

	"gitlab.com/eocat/eocat/internal/crs"
)

// rings returns every ring of a Polygon or MultiPolygon, whether it is a
// crs.Geometry (as stacgen builds it) or decoded GeoJSON.
func rings(geom any) [][][2]float64 {
	switch g := geom.(type) {
	case *crs.Geometry:
		if g == nil {
			return nil
		}
		return rings(crs.Geometry(*g))
	case crs.Geometry:
		switch c := g.Coordinates.(type) {
		case [][][2]float64:
			return c
		case [][][][2]float64:
			var out [][][2]float64
			for _, p := range c {
				out = append(out, p...)
			}
			return out
		}
		return rings(map[string]any{"type": g.Type, "coordinates": g.Coordinates})
	case map[string]any:
		var out [][][2]float64
		var walk func(v any, depth int)
		walk = func(v any, depth int) {
			arr, ok := v.([]any)
			if !ok {
				return
			}
			if depth == 0 {
				ring := make([][2]float64, 0, len(arr))
				for _, p := range arr {
					pos, ok := p.([]any)
					if !ok || len(pos) < 2 {
						return
					}
					x, ok1 := number(pos[0])
					y, ok2 := number(pos[1])
					if !ok1 || !ok2 {
						return
					}
					ring = append(ring, [2]float64{x, y})
				}
				out = append(out, ring)
				return
			}
			for _, e := range arr {
				walk(e, depth-1)
			}
		}
		switch g["type"] {
		case "Polygon":
			walk(g["coordinates"], 1)
		case "MultiPolygon":
			walk(g["coordinates"], 2)
		}
		return out
	}
	return nil
}

// SVG is an inline outline drawing: the no-JavaScript footprint.
type SVG struct {
	ViewBox string
	Path    string // outline(s), in SVG path syntax
	Label   string // the accessible description
	arena   *arena // where Figure writes (nil: an arena of its own)
}

// Figure is the drawing as the "footprint" partial places it: a <figure
// data-map> with the SVG and its caption, which the scripts replace with a
// map. Written here rather than by six template actions on every item page
// (escaped as in rows.go).
func (s *SVG) Figure() template.HTML {
	b := s.arena.rows()
	b.Grow(256 + len(s.ViewBox) + len(s.Path) + 2*len(s.Label))
	b.WriteString("<figure class=\"map\" data-map>\n  <svg")
	b.attr("viewBox", s.ViewBox)
	b.WriteString(` role="img"`)
	b.attr("aria-label", s.Label)
	b.WriteString(` preserveAspectRatio="xMidYMid meet"><rect class="sea" width="100%" height="100%"/><path class="shape"`)
	b.attr("d", s.Path)
	b.WriteString("/></svg>\n  <figcaption>")
	b.text(s.Label)
	b.WriteString("</figcaption>\n</figure>")
	return b.html()
}

// footprintSVG draws rings (or, without them, the bbox) in an
// equirectangular view scaled by the cosine of the mid-latitude, so that
// shapes are not stretched. Across the antimeridian, western longitudes
// move by +360° so that the outline stays in one piece. The path and the
// figure are written into a (nil: an arena of their own).
func footprintSVG(a *arena, rs [][][2]float64, bbox []float64) *SVG {
	if len(bbox) == 6 {
		bbox = []float64{bbox[0], bbox[1], bbox[3], bbox[4]}
	}
	if len(rs) == 0 && len(bbox) == 4 {
		w, s, e, n := bbox[0], bbox[1], bbox[2], bbox[3]
		rs = [][][2]float64{{{w, s}, {e, s}, {e, n}, {w, n}, {w, s}}}
	}
	if len(rs) == 0 {
		return nil
	}
	wrap := len(bbox) == 4 && bbox[0] > bbox[2]
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, r := range rs {
		for _, p := range r {
			x := p[0]
			if wrap && x < 0 {
				x += 360
			}
			minX, maxX = math.Min(minX, x), math.Max(maxX, x)
			minY, maxY = math.Min(minY, p[1]), math.Max(maxY, p[1])
		}
	}
	k := math.Cos((minY + maxY) / 2 * math.Pi / 180)
	if k < 0.05 {
		k = 0.05
	}
	w, h := (maxX-minX)*k, maxY-minY
	pad := math.Max(math.Max(w, h)*0.08, 1e-6)
	// Scale so that the larger side is 1000 units: integers-ish paths.
	scale := 1000 / math.Max(math.Max(w, h), 1e-9)
	px := func(x float64) float64 { return ((x-minX)*k + pad) * scale }
	py := func(y float64) float64 { return ((maxY - y) + pad) * scale }
	n := 0
	for _, r := range rs {
		n += len(r)
	}
	b := a.rows()
	b.Grow(16*n + 8)
	for _, r := range rs {
		for i, p := range r {
			x := p[0]
			if wrap && x < 0 {
				x += 360
			}
			if i == 0 {
				b.char('M')
			} else {
				b.char('L')
			}
			b.tenths(px(x))
			b.char(' ')
			b.tenths(py(p[1]))
		}
		b.char('Z')
	}
	vw, vh := (w+2*pad)*scale, (h+2*pad)*scale
	return &SVG{
		ViewBox: "0 0 " + num(vw) + " " + num(vh),
		Path:    b.String(),
		arena:   a,
	}
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// appendTenths appends f with one decimal, rounded half away from zero:
// the path's coordinates (0 to about 1,200) without strconv's exact
// decimal conversion, a tenth of the drawing's time.
func appendTenths(b []byte, f float64) []byte {
	if !(f >= 0 && f < 1e15) {
		return strconv.AppendFloat(b, f, 'f', 1, 64)
	}
	n := int64(math.Round(f * 10))
	b = strconv.AppendInt(b, n/10, 10)
	return append(b, '.', byte('0'+n%10))
}

// feature is a GeoJSON Feature for the map script.
type feature struct {
	Type       string         `json:"type"`
	Geometry   any            `json:"geometry"`
	Properties map[string]any `json:"properties"`
}

// bboxPolygon is the GeoJSON polygon of a bbox (split in two across the
// antimeridian).
func bboxPolygon(b []float64) any {
	if len(b) == 6 {
		b = []float64{b[0], b[1], b[3], b[4]}
	}
	if len(b) != 4 {
		return nil
	}
	poly := func(w, s, e, n float64) [][][2]float64 {
		return [][][2]float64{{{w, s}, {e, s}, {e, n}, {w, n}, {w, s}}}
	}
	if b[0] > b[2] {
		return map[string]any{"type": "MultiPolygon", "coordinates": [][][][2]float64{poly(b[0], b[1], 180, b[3]), poly(-180, b[1], b[2], b[3])}}
	}
	return map[string]any{"type": "Polygon", "coordinates": poly(b[0], b[1], b[2], b[3])}
}

// itemGeoJS is what jsonJS(featureCollection(feature{Type: "Feature",
// Geometry: geom, Properties: map[string]any{"id": id}})) gives, written
// directly into a when geom is a footprint as stacgen builds it (Polygon
// or MultiPolygon rings): an item page's largest data block, on every item.
func itemGeoJS(a *arena, geom any, id string) template.JS {
	var g crs.Geometry
	switch v := geom.(type) {
	case *crs.Geometry:
		if v != nil {
			g = *v
		}
	case crs.Geometry:
		g = v
	}
	var polys [][][][2]float64
	switch c := g.Coordinates.(type) {
	case [][][2]float64:
		if g.Type == "Polygon" {
			polys = [][][][2]float64{c}
		}
	case [][][][2]float64:
		if g.Type == "MultiPolygon" {
			polys = c
		}
	}
	if polys == nil {
		return jsonJS(featureCollection(feature{Type: "Feature", Geometry: geom, Properties: map[string]any{"id": id}}))
	}
	b := a.rows()
	b.Grow(128 + len(id) + 48*len(polys[0][0]))
	b.WriteString(`{"features":[{"type":"Feature","geometry":{"type":"`)
	b.WriteString(g.Type)
	b.WriteString(`","coordinates":`)
	if g.Type == "MultiPolygon" {
		b.char('[')
	}
	for i, poly := range polys {
		if i > 0 {
			b.char(',')
		}
		b.char('[')
		for j, ring := range poly {
			if j > 0 {
				b.char(',')
			}
			b.char('[')
			for k, pt := range ring {
				if k > 0 {
					b.char(',')
				}
				b.char('[')
				b.float9(pt[0])
				b.char(',')
				b.float9(pt[1])
				b.char(']')
			}
			b.char(']')
		}
		b.char(']')
	}
	if g.Type == "MultiPolygon" {
		b.char(']')
	}
	b.WriteString(`},"properties":{"id":`)
	writeJSONString(&b, id)
	b.WriteString(`}}],"type":"FeatureCollection"}`)
	return template.JS(b.String()) //nolint:gosec // G203: JSON numbers, and the id as encoding/json writes it (HTML-escaped)
}

// appendJSONFloat formats f as encoding/json does. Footprint coordinates
// are rounded to 1e-9 (crs.Footprint), and the shortest decimal of such a
// value within ±1e6 is its integer and nine-digit fraction without trailing
// zeros: written from integers, which is several times faster than the
// shortest-decimal search.
func appendJSONFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	if a := math.Abs(f); a >= 1e-6 && a < 1e6 {
		if n := math.Round(f * 1e9); n/1e9 == f {
			i := int64(n)
			if i < 0 {
				b = append(b, '-')
				i = -i
			}
			b = strconv.AppendInt(b, i/1e9, 10)
			if frac := i % 1e9; frac != 0 {
				var d [10]byte
				d[0] = '.'
				for k := 9; k >= 1; k-- {
					d[k] = byte('0' + frac%10)
					frac /= 10
				}
				end := 10
				for d[end-1] == '0' {
					end--
				}
				b = append(b, d[:end]...)
			}
			return b
		}
	}
	format := byte('f')
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' { // e-07 → e-7, as encoding/json writes it
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}
