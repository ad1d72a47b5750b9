package render

import (
	"math"
	"strconv"
	"strings"

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
}

// footprintSVG draws rings (or, without them, the bbox) in an
// equirectangular view scaled by the cosine of the mid-latitude, so that
// shapes are not stretched. Across the antimeridian, western longitudes
// move by +360° so that the outline stays in one piece.
func footprintSVG(rs [][][2]float64, bbox []float64) *SVG {
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
	var b strings.Builder
	for _, r := range rs {
		for i, p := range r {
			x := p[0]
			if wrap && x < 0 {
				x += 360
			}
			if i == 0 {
				b.WriteString("M")
			} else {
				b.WriteString("L")
			}
			b.WriteString(num(px(x)) + " " + num(py(p[1])))
		}
		b.WriteString("Z")
	}
	vw, vh := (w+2*pad)*scale, (h+2*pad)*scale
	return &SVG{
		ViewBox: "0 0 " + num(vw) + " " + num(vh),
		Path:    b.String(),
	}
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

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
