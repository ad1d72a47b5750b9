package crs

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gitlab.com/eocat/eocat/internal/testenv"
)

// gdalinfo is the subset of `gdalinfo -json` output the tests use.
type gdalinfo struct {
	Size             []int     `json:"size"`
	GeoTransform     []float64 `json:"geoTransform"`
	CoordinateSystem struct {
		WKT string `json:"wkt"`
	} `json:"coordinateSystem"`
	WGS84Extent *struct {
		Type        string         `json:"type"`
		Coordinates [][][2]float64 `json:"coordinates"`
	} `json:"wgs84Extent"`
}

// topLevelEPSG returns N of the last ID["EPSG",N] that is a direct child of
// the outermost WKT node (IDs of nested nodes such as units, methods or the
// components of a COMPOUNDCRS/BOUNDCRS do not count).
func topLevelEPSG(wkt string) (int, bool) {
	depth, code, found := 0, 0, false
	inQuote := false
	for i := 0; i < len(wkt); i++ {
		ch := wkt[i]
		if inQuote {
			if ch == '"' {
				if i+1 < len(wkt) && wkt[i+1] == '"' { // "" escape
					i++
					continue
				}
				inQuote = false
			}
			continue
		}
		switch ch {
		case '"':
			inQuote = true
		case '[', '(':
			depth++
		case ']', ')':
			depth--
		default:
			if depth == 1 && strings.HasPrefix(wkt[i:], `ID["EPSG",`) && (i == 0 || !isIdent(wkt[i-1])) {
				rest := wkt[i+len(`ID["EPSG",`):]
				end := strings.IndexAny(rest, ",]")
				if end > 0 {
					if n, err := strconv.Atoi(strings.TrimSpace(rest[:end])); err == nil {
						code, found = n, true
					}
				}
			}
		}
	}
	return code, found
}

func isIdent(c byte) bool {
	return c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}

func TestTopLevelEPSG(t *testing.T) {
	cases := []struct {
		wkt  string
		code int
		ok   bool
	}{
		{`PROJCRS["x",BASEGEOGCRS["y",ID["EPSG",4326]],CS[Cartesian,2],AXIS["e",east,LENGTHUNIT["metre",1,ID["EPSG",9001]]],ID["EPSG",32631]]`, 32631, true},
		{`PROJCRS["Lambert Conformal Conic",CS[Cartesian,2],AXIS["n",north,LENGTHUNIT["metre",1,ID["EPSG",9001]]]]`, 0, false},
		{`COMPOUNDCRS["a + b",GEOGCRS["a",ID["EPSG",4326]],VERTCRS["b",ID["EPSG",3855]]]`, 0, false},
		{`GEOGCRS["with ] in ""name""",ID["EPSG",4269]]`, 4269, true},
	}
	for _, c := range cases {
		code, ok := topLevelEPSG(c.wkt)
		if code != c.code || ok != c.ok {
			t.Errorf("topLevelEPSG(%.40q…) = %d, %v; want %d, %v", c.wkt, code, ok, c.code, c.ok)
		}
	}
}

// haversine returns the great-circle distance in metres between two points
// given in degrees, on a sphere of the WGS 84 mean radius. At the sub-metre
// scale its relative error (< 0.5 %) is irrelevant.
func haversine(lon1, lat1, lon2, lat2 float64) float64 {
	const r = 6371008.8
	p1, p2 := lat1*deg, lat2*deg
	dp, dl := p2-p1, (lon2-lon1)*deg
	a := math.Sin(dp/2)*math.Sin(dp/2) + math.Cos(p1)*math.Cos(p2)*math.Sin(dl/2)*math.Sin(dl/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(a)))
}

// TestGroundTruthGDAL compares the four image corners of every sample that
// has a geotransform, a top-level EPSG id and a non-empty wgs84Extent with
// GDAL 3.6.2/PROJ's wgs84Extent (corner order UL, LL, LR, UR).
func TestGroundTruthGDAL(t *testing.T) {
	dir := testenv.SharedDir(t, "geotiff-samples")
	files, err := filepath.Glob(filepath.Join(dir, "*.gdalinfo.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		testenv.Missing(t, "no *.gdalinfo.json in %s", dir)
	}
	sort.Strings(files)
	const tol = 1.0 // metres
	var compared, unsupported int
	worstByCRS := map[int]float64{}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".tif.gdalinfo.json")
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var gi gdalinfo
		if err := json.Unmarshal(raw, &gi); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		code, hasCode := topLevelEPSG(gi.CoordinateSystem.WKT)
		switch {
		case len(gi.GeoTransform) != 6 || len(gi.Size) != 2:
			t.Logf("skip %s: no geotransform", name)
			continue
		case !hasCode:
			t.Logf("skip %s: no top-level EPSG id in the WKT", name)
			continue
		case gi.WGS84Extent == nil || len(gi.WGS84Extent.Coordinates) == 0 || len(gi.WGS84Extent.Coordinates[0]) < 4:
			t.Logf("skip %s (EPSG:%d): no wgs84Extent", name, code)
			continue
		}
		tr, err := ForEPSG(code)
		if err != nil {
			if !errors.Is(err, ErrUnsupported) {
				t.Errorf("%s: ForEPSG(%d) error does not wrap ErrUnsupported: %v", name, code, err)
			}
			unsupported++
			t.Logf("UNSUPPORTED %s: %v", name, err)
			continue
		}
		var gt [6]float64
		copy(gt[:], gi.GeoTransform)
		w, h := float64(gi.Size[0]), float64(gi.Size[1])
		pix := [4][2]float64{{0, 0}, {0, h}, {w, h}, {w, 0}}
		worst := 0.0
		for i, p := range pix {
			x := gt[0] + p[0]*gt[1] + p[1]*gt[2]
			y := gt[3] + p[0]*gt[4] + p[1]*gt[5]
			lon, lat, err := tr.ToWGS84(x, y)
			if err != nil {
				if want := gi.WGS84Extent.Coordinates[0][i]; math.Abs(want[1]) > 90 {
					// GDAL passes an invalid latitude through (half-pixel
					// overshoot of a cell-centred global grid); we refuse it
					// per point, and Footprint clamps it (checked below).
					t.Logf("%s: corner %d: GDAL lat %v is invalid, ToWGS84 rejects it: %v", name, i, want[1], err)
					continue
				}
				t.Errorf("%s: corner %d: %v", name, i, err)
				continue
			}
			want := gi.WGS84Extent.Coordinates[0][i]
			if math.Abs(want[1]) > 90 {
				t.Errorf("%s: corner %d: lat %v accepted, want an error", name, i, lat)
				continue
			}
			// GDAL keeps longitudes > 180 (README note 3): compare modulo 360.
			dlon := math.Remainder(lon-want[0], 360)
			d := haversine(want[0], want[1], want[0]+dlon, lat)
			worst = math.Max(worst, d)
			if d > tol {
				t.Errorf("%s (EPSG:%d) corner %d: got (%.9f, %.9f), GDAL (%.7f, %.7f): %.3f m apart",
					name, code, i, lon, lat, want[0], want[1], d)
			}
		}
		// The whole pipeline: every GDAL corner (latitude clamped to ±90,
		// longitude modulo 360) must be a vertex of the footprint.
		geom, bbox, err := Footprint(tr, gt, gi.Size[0], gi.Size[1], 0)
		if err != nil {
			t.Errorf("%s: Footprint: %v", name, err)
		} else {
			verts := allVertices(geom)
			for i, want := range gi.WGS84Extent.Coordinates[0][:4] {
				wlat := math.Max(-90, math.Min(90, want[1]))
				best := math.Inf(1)
				for _, v := range verts {
					best = math.Min(best, haversine(v[0], v[1], v[0]+math.Remainder(want[0]-v[0], 360), wlat))
				}
				if best > tol && !(geom.Type == "Polygon" && bbox[0] == -180 && bbox[2] == 180) {
					t.Errorf("%s: GDAL corner %d %v is %.3f m from the nearest footprint vertex (%s %v)", name, i, want, best, geom.Type, bbox)
				}
			}
			t.Logf("   footprint %s bbox %v", geom.Type, bbox)
		}
		compared++
		worstByCRS[code] = math.Max(worstByCRS[code], worst)
		t.Logf("ok %s (EPSG:%d %s): worst corner %.4f m", name, code, tr.(*CRS).Name(), worst)
	}
	var codes []int
	for c := range worstByCRS {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	var sb strings.Builder
	for _, c := range codes {
		fmt.Fprintf(&sb, " EPSG:%d=%.4fm", c, worstByCRS[c])
	}
	t.Logf("compared %d files, %d unsupported; worst per CRS:%s", compared, unsupported, sb.String())
	if compared == 0 {
		t.Fatal("no sample was compared: fixture set or parser broken")
	}
}

// allVertices flattens a Polygon or MultiPolygon into its positions.
func allVertices(g *Geometry) [][2]float64 {
	var out [][2]float64
	switch c := g.Coordinates.(type) {
	case [][][2]float64:
		for _, r := range c {
			out = append(out, r...)
		}
	case [][][][2]float64:
		for _, p := range c {
			for _, r := range p {
				out = append(out, r...)
			}
		}
	}
	return out
}
