package crs_test

import (
	"errors"
	"fmt"
	"math"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gitlab.com/eocat/eocat/internal/crs"
	"gitlab.com/eocat/eocat/internal/testenv"
)

// polyXY is a known polynomial pixel/line → x, y of order up to 3.
func polyXY(order int, px, py float64) (float64, float64) {
	x := 500000 + 10*px - 3*py
	y := 4000000 - 2*px - 10*py
	if order >= 2 {
		x += 1e-3*px*px + 2e-4*px*py - 5e-4*py*py
		y += -4e-4*px*px + 1e-3*px*py + 3e-4*py*py
	}
	if order >= 3 {
		x += 1e-7*px*px*px - 2e-7*px*px*py + 3e-8*px*py*py + 1e-7*py*py*py
		y += -1e-7*px*px*px + 5e-8*px*px*py - 1e-7*px*py*py + 2e-7*py*py*py
	}
	return x, y
}

// TestGCPTransformerSynthetic fits GCPs taken from known polynomials of
// order 1–3 (least squares over a grid, and exactly determined) and checks
// that Forward reproduces the polynomial everywhere, and Inverse the pixel
// position of the GCPs for order 1 (where the reverse fit is exact).
func TestGCPTransformerSynthetic(t *testing.T) {
	for order := 1; order <= 3; order++ {
		for _, exact := range []bool{false, true} {
			t.Run(fmt.Sprintf("order%d exact=%v", order, exact), func(t *testing.T) {
				var gcps []crs.GCP
				if exact {
					// As many GCPs as coefficients, in general position.
					pts := [][2]float64{{0, 0}, {1000, 30}, {40, 900}, {800, 700}, {300, 200}, {100, 600}, {650, 150}, {900, 950}, {500, 500}, {250, 850}}
					for _, p := range pts[:(order+1)*(order+2)/2] {
						x, y := polyXY(order, p[0], p[1])
						gcps = append(gcps, crs.GCP{Pixel: p[0], Line: p[1], X: x, Y: y})
					}
				} else {
					for i := 0; i <= 10; i++ {
						for j := 0; j <= 7; j++ {
							px, py := float64(i)*100, float64(j)*130
							x, y := polyXY(order, px, py)
							gcps = append(gcps, crs.GCP{Pixel: px, Line: py, X: x, Y: y, Z: 12})
						}
					}
				}
				tr, err := crs.NewGCPTransformer(gcps, order)
				if err != nil {
					t.Fatal(err)
				}
				if tr.Order() != order {
					t.Errorf("order %d, want %d", tr.Order(), order)
				}
				worst := 0.0
				for _, p := range [][2]float64{{0, 0}, {1000, 910}, {123.4, 567.8}, {-50, 1000}, {999.5, 0.5}} {
					x, y := tr.Forward(p[0], p[1])
					wx, wy := polyXY(order, p[0], p[1])
					worst = math.Max(worst, math.Hypot(x-wx, y-wy))
				}
				if worst > 1e-6 {
					t.Errorf("Forward is %.3g m from the polynomial", worst)
				}
				if order == 1 {
					for _, g := range gcps {
						px, py := tr.Inverse(g.X, g.Y)
						if math.Hypot(px-g.Pixel, py-g.Line) > 1e-9 {
							t.Errorf("Inverse(%v, %v) = (%v, %v), want (%v, %v)", g.X, g.Y, px, py, g.Pixel, g.Line)
						}
					}
				}
				t.Logf("worst %.3g m", worst)
			})
		}
	}
}

func TestAutoGCPOrder(t *testing.T) {
	for n, want := range map[int]int{3: 1, 4: 1, 5: 1, 6: 2, 9: 2, 10: 2, 210: 2} {
		if got := crs.AutoGCPOrder(n); got != want {
			t.Errorf("AutoGCPOrder(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestGCPTransformerErrors(t *testing.T) {
	line := []crs.GCP{{0, 0, 0, 0, 0}, {1, 1, 1, 1, 0}, {2, 2, 2, 2, 0}, {3, 3, 3, 3, 0}}
	square := []crs.GCP{{0, 0, 0, 0, 0}, {1, 0, 1, 0, 0}, {0, 1, 0, 1, 0}, {1, 1, 1, 1, 0}}
	for name, c := range map[string]struct {
		gcps  []crs.GCP
		order int
	}{
		"none":              {nil, 0},
		"two":               {square[:2], 1},
		"five for order 2":  {append(square, crs.GCP{Pixel: 2, Line: 2}), 2},
		"order 4":           {square, 4},
		"order -1":          {square, -1},
		"collinear":         {line, 1},
		"duplicated":        {[]crs.GCP{square[0], square[0], square[0], square[1]}, 1},
		"NaN":               {[]crs.GCP{square[0], square[1], {Pixel: math.NaN()}}, 1},
		"seven for order 3": {append(square, crs.GCP{Pixel: 2, Line: 0}, crs.GCP{Pixel: 0, Line: 2}, crs.GCP{Pixel: 1, Line: 1}), 3},
	} {
		t.Run(name, func(t *testing.T) {
			tr, err := crs.NewGCPTransformer(c.gcps, c.order)
			if !errors.Is(err, crs.ErrGCP) {
				t.Fatalf("NewGCPTransformer = %v, %v; want ErrGCP", tr, err)
			}
			t.Log(err)
		})
	}
	if _, err := crs.NewTPSTransformer(line); !errors.Is(err, crs.ErrGCP) {
		t.Errorf("TPS on collinear GCPs: %v", err)
	}
	if _, err := crs.NewTPSTransformer(square[:2]); !errors.Is(err, crs.ErrGCP) {
		t.Errorf("TPS on 2 GCPs: %v", err)
	}
}

// TestTPSSynthetic: the spline interpolates its GCPs and reproduces an
// affine mapping exactly.
func TestTPSSynthetic(t *testing.T) {
	var gcps []crs.GCP
	for i, p := range [][2]float64{{0, 0}, {1000, 30}, {40, 900}, {800, 700}, {300, 200}, {100, 600}, {650, 150}, {900, 950}} {
		x, y := polyXY(1, p[0], p[1])
		if i%2 == 1 {
			x += 3 // not affine: the spline must still pass through
		}
		gcps = append(gcps, crs.GCP{Pixel: p[0], Line: p[1], X: x, Y: y})
	}
	tr, err := crs.NewTPSTransformer(gcps)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gcps {
		if x, y := tr.Forward(g.Pixel, g.Line); math.Hypot(x-g.X, y-g.Y) > 1e-6 {
			t.Errorf("TPS(%v, %v) = (%v, %v), want (%v, %v)", g.Pixel, g.Line, x, y, g.X, g.Y)
		}
	}
	for i := range gcps {
		gcps[i].X, gcps[i].Y = polyXY(1, gcps[i].Pixel, gcps[i].Line)
	}
	if tr, err = crs.NewTPSTransformer(gcps); err != nil {
		t.Fatal(err)
	}
	x, y := tr.Forward(437, 512)
	wx, wy := polyXY(1, 437, 512)
	if math.Hypot(x-wx, y-wy) > 1e-6 {
		t.Errorf("affine TPS (%v, %v), want (%v, %v)", x, y, wx, wy)
	}
}

// gcpPoints returns pixel/line positions on the outline of a w×h raster
// (corners and 16 points per edge) and a few inside.
func gcpPoints(w, h float64) [][2]float64 {
	var pts [][2]float64
	corners := [5][2]float64{{0, 0}, {0, h}, {w, h}, {w, 0}, {0, 0}}
	for e := 0; e < 4; e++ {
		for k := 0; k < 16; k++ {
			f := float64(k) / 16
			pts = append(pts, [2]float64{corners[e][0] + f*(corners[e+1][0]-corners[e][0]), corners[e][1] + f*(corners[e+1][1]-corners[e][1])})
		}
	}
	return append(pts, [2]float64{w / 2, h / 2}, [2]float64{w / 3, 2 * h / 3}, [2]float64{0.5, 0.5})
}

// gdaltransform runs GDAL's gdaltransform with args on pts and returns the
// x, y it prints for each.
func gdaltransform(t *testing.T, bin string, pts [][2]float64, args ...string) [][2]float64 {
	t.Helper()
	var in strings.Builder
	for _, p := range pts {
		fmt.Fprintf(&in, "%.17g %.17g\n", p[0], p[1])
	}
	cmd := exec.Command(bin, append([]string{"-output_xy"}, args...)...)
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("gdaltransform %v: %v: %s", args, err, out)
	}
	lines := strings.Fields(strings.TrimSpace(string(out)))
	if len(lines) != 2*len(pts) {
		t.Fatalf("gdaltransform %v: %d values for %d points: %s", args, len(lines), len(pts), out)
	}
	res := make([][2]float64, len(pts))
	for i := range res {
		for j := 0; j < 2; j++ {
			v, err := strconv.ParseFloat(lines[2*i+j], 64)
			if err != nil {
				t.Fatalf("gdaltransform output %q: %v", lines[2*i+j], err)
			}
			res[i][j] = v
		}
	}
	return res
}

// metresPerUnit returns a conversion of coordinate differences to metres:
// degrees for geographic GCPs (1° of latitude ≈ 111.32 km; longitudes
// scaled by cos φ), metres otherwise.
func gcpDistance(geographic bool, a, b [2]float64) float64 {
	if geographic {
		return gkDistance(a[0], a[1], b[0], b[1])
	}
	return math.Hypot(a[0]-b[0], a[1]-b[1])
}

// TestGCPTransformerAgainstGDAL compares the GCP transformers with GDAL's on
// the GCP samples: gdaltransform maps pixel/line positions of the outline
// through the file's GCPs with GDAL's default (polynomial of the order it
// picks for the GCP count), with -order 1 and 3, and with -tps; then, with
// -t_srs EPSG:4326, through the GCPs' CRS to WGS 84, which FootprintFunc
// must reproduce. gdaltransform is required under CI=true.
func TestGCPTransformerAgainstGDAL(t *testing.T) {
	bin, err := exec.LookPath("gdaltransform")
	if err != nil {
		testenv.Missing(t, "gdaltransform: %v", err)
	}
	const tol = 0.01 // metres
	for _, name := range []string{
		"rio-tiler__cog_gcps_ovr.tif", // 210 GCPs, EPSG:4326 (Sentinel-1 style)
		"rioxarray__cint16.tif",       // 210 GCPs, EPSG:4326, outside the 100×100 image
		"georust-geotiff__austrian_capitals_model_tie_points_pixel_is_area.tif", // 4 GCPs, EPSG:3035
	} {
		t.Run(name, func(t *testing.T) {
			s := gkReadSample(t, name)
			if s.info.GeoTransform != nil || len(s.info.GCPList) == 0 {
				t.Fatalf("not a GCP sample")
			}
			path := filepath.Join(testenv.SharedDir(t, "geotiff-samples"), name)
			gcps := make([]crs.GCP, len(s.info.GCPList))
			for i, g := range s.info.GCPList {
				gcps[i] = crs.GCP(g)
			}
			tr, err := crs.ForEPSG(s.info.EPSG)
			if err != nil {
				t.Fatalf("ForEPSG(%d): %v", s.info.EPSG, err)
			}
			geographic := s.info.EPSG == 4326
			w, h := float64(s.info.Width), float64(s.info.Height)
			pts := gcpPoints(w, h)

			type mapping struct {
				label string
				args  []string
				f     func(px, py float64) (float64, float64, error)
			}
			var maps []mapping
			for _, order := range []int{0, 1, 2, 3} {
				if order > 1 && len(gcps) < (order+1)*(order+2)/2 {
					continue
				}
				p, err := crs.NewGCPTransformer(gcps, order)
				if err != nil {
					t.Fatalf("order %d: %v", order, err)
				}
				args := []string{path}
				if order > 0 {
					args = append([]string{"-order", strconv.Itoa(order)}, args...)
				}
				maps = append(maps, mapping{fmt.Sprintf("polynomial order %d (asked %d)", p.Order(), order), args, p.PixelToCRS})
			}
			tps, err := crs.NewTPSTransformer(gcps)
			if err != nil {
				t.Fatal(err)
			}
			maps = append(maps, mapping{"thin-plate spline", []string{"-tps", path}, tps.PixelToCRS})

			for _, m := range maps {
				want := gdaltransform(t, bin, pts, m.args...)
				worst := 0.0
				for i, p := range pts {
					x, y, err := m.f(p[0], p[1])
					if err != nil {
						t.Fatal(err)
					}
					d := gcpDistance(geographic, [2]float64{x, y}, want[i])
					worst = math.Max(worst, d)
					if d > tol {
						t.Errorf("%s: pixel %v: (%.12g, %.12g), GDAL (%.12g, %.12g): %.3g m", m.label, p, x, y, want[i][0], want[i][1], d)
					}
				}
				t.Logf("%s: worst %.2g m from gdaltransform over %d points", m.label, worst, len(pts))
			}

			// Default transformer, through the GCPs' CRS to WGS 84.
			p, _ := crs.NewGCPTransformer(gcps, 0)
			want := gdaltransform(t, bin, pts, "-t_srs", "EPSG:4326", path)
			worst := 0.0
			for i, q := range pts {
				x, y, _ := p.PixelToCRS(q[0], q[1])
				lon, lat, err := tr.ToWGS84(x, y)
				if err != nil {
					t.Fatal(err)
				}
				d := gkDistance(lon, lat, want[i][0], want[i][1])
				worst = math.Max(worst, d)
				if d > tol {
					t.Errorf("WGS 84: pixel %v: (%.10f, %.10f), GDAL (%.10f, %.10f): %.3g m", q, lon, lat, want[i][0], want[i][1], d)
				}
			}
			geom, bbox, err := crs.FootprintFunc(tr, p.PixelToCRS, s.info.Width, s.info.Height, 0)
			if err != nil {
				t.Fatalf("FootprintFunc: %v", err)
			}
			verts := gkVertices(geom)
			for i, c := range []int{0, 16, 32, 48} { // the corners of pts
				best := math.Inf(1)
				for _, v := range verts {
					best = math.Min(best, gkDistance(v[0], v[1], want[c][0], want[c][1]))
				}
				if best > tol {
					t.Errorf("corner %d: GDAL %v is %.3g m from the nearest footprint vertex", i, want[c], best)
				}
			}
			t.Logf("WGS 84: worst %.2g m from gdaltransform -t_srs EPSG:4326; footprint %s bbox %v", worst, geom.Type, bbox)
		})
	}
}

// TestFootprintFuncMatchesFootprint: with the geotransform as the mapping,
// FootprintFunc gives Footprint's result.
func TestFootprintFuncMatchesFootprint(t *testing.T) {
	tr, err := crs.ForEPSG(32631)
	if err != nil {
		t.Fatal(err)
	}
	gt := [6]float64{565000, 10, 2, 4835000, 1, -10}
	g1, b1, err1 := crs.Footprint(tr, gt, 1024, 768, 0)
	g2, b2, err2 := crs.FootprintFunc(tr, func(px, py float64) (float64, float64, error) {
		return gt[0] + px*gt[1] + py*gt[2], gt[3] + px*gt[4] + py*gt[5], nil
	}, 1024, 768, 0)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if fmt.Sprint(g1) != fmt.Sprint(g2) || b1 != b2 {
		t.Errorf("Footprint %v %v, FootprintFunc %v %v", g1, b1, g2, b2)
	}
	if _, _, err := crs.FootprintFunc(tr, nil, 10, 10, 0); !errors.Is(err, crs.ErrInvalidFootprint) {
		t.Errorf("nil mapping: %v", err)
	}
	boom := errors.New("boom")
	if _, _, err := crs.FootprintFunc(tr, func(px, py float64) (float64, float64, error) { return 0, 0, boom }, 10, 10, 0); !errors.Is(err, boom) {
		t.Errorf("mapping error: %v", err)
	}
}

// TestUnwrapGCPLongitudes: GCPs of a scene across the antimeridian fit a
// continuous polynomial once unwrapped, and the footprint is split at 180°.
func TestUnwrapGCPLongitudes(t *testing.T) {
	var gcps []crs.GCP
	for i := 0; i <= 4; i++ {
		for j := 0; j <= 4; j++ {
			lon := 179.0 + float64(i)*0.5 // 179 .. 181
			gcps = append(gcps, crs.GCP{Pixel: float64(i) * 250, Line: float64(j) * 250,
				X: math.Remainder(lon, 360), Y: -16 - float64(j)*0.5})
		}
	}
	un := crs.UnwrapGCPLongitudes(gcps)
	if un[24].X != 181 || gcps[24].X != -179 {
		t.Fatalf("unwrapped %v (input %v)", un[24].X, gcps[24].X)
	}
	p, err := crs.NewGCPTransformer(un, 0)
	if err != nil {
		t.Fatal(err)
	}
	tr, _ := crs.ForEPSG(4326)
	geom, bbox, err := crs.FootprintFunc(tr, p.PixelToCRS, 1000, 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	if geom.Type != "MultiPolygon" || math.Abs(bbox[0]-179) > 1e-9 || math.Abs(bbox[2]+179) > 1e-9 {
		t.Errorf("footprint %s %v", geom.Type, bbox)
	}
}
