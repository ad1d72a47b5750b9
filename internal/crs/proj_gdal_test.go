package crs

import (
	"bytes"
	"fmt"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"gitlab.com/eocat/eocat/internal/testenv"
)

// gdalTransform runs gdaltransform from src to dst on points given in the
// traditional GIS order (x = longitude or easting) and returns its output
// in the same order. Failed points come back as NaN.
func gdalTransform(t *testing.T, bin, src, dst string, pts [][2]float64) [][2]float64 {
	t.Helper()
	var in bytes.Buffer
	for _, p := range pts {
		fmt.Fprintf(&in, "%.17g %.17g\n", p[0], p[1])
	}
	cmd := exec.Command(bin, "-s_srs", src, "-t_srs", dst)
	cmd.Stdin = &in
	cmd.Env = append(cmd.Environ(), "PROJ_NETWORK=OFF", "OSR_USE_NON_DEPRECATED=NO")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("gdaltransform -s_srs %q -t_srs %q: %v\n%s", src, dst, err, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != len(pts) {
		t.Fatalf("gdaltransform -s_srs %q -t_srs %q: %d lines for %d points:\n%s%s", src, dst, len(lines), len(pts), out.String(), errb.String())
	}
	res := make([][2]float64, len(pts))
	for i, l := range lines {
		f := strings.Fields(l)
		res[i] = [2]float64{math.NaN(), math.NaN()}
		if len(f) < 2 {
			continue
		}
		x, err1 := strconv.ParseFloat(f[0], 64)
		y, err2 := strconv.ParseFloat(f[1], 64)
		if err1 == nil && err2 == nil {
			res[i] = [2]float64{x, y}
		}
	}
	return res
}

// minScale is the smaller singular value of the projection's Jacobian in
// grid metres per ground metre at (lam, phi) (finite differences, sphere of
// radius a for the ground metric), capped at 1.
func minScale(pr projection, a, lam, phi float64) float64 {
	const h = 1e-6
	if phi > 0 {
		phi = math.Min(phi, math.Pi/2-2*h)
	} else {
		phi = math.Max(phi, -math.Pi/2+2*h)
	}
	x0, y0, err0 := pr.forward(lam, phi)
	x1, y1, err1 := pr.forward(lam+h, phi)
	x2, y2, err2 := pr.forward(lam, phi+h)
	if err0 != nil || err1 != nil || err2 != nil {
		return 1
	}
	gl, gp := a*h*math.Cos(phi), a*h
	j11, j21 := (x1-x0)/gl, (y1-y0)/gl
	j12, j22 := (x2-x0)/gp, (y2-y0)/gp
	// Singular values of [[j11 j12] [j21 j22]].
	s := j11*j11 + j12*j12 + j21*j21 + j22*j22
	d := math.Abs(j11*j22 - j12*j21)
	smin := math.Sqrt(math.Max(0, (s-math.Sqrt(math.Max(0, s*s-4*d*d)))/2))
	return math.Min(1, smin)
}

// gdaltransformPath returns gdaltransform, or skips the test (fails it
// under CI=true) when it is not installed.
func gdaltransformPath(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("gdaltransform")
	if err != nil {
		testenv.Missing(t, "gdaltransform not found (Debian package gdal-bin): %v", err)
	}
	return bin
}

// TestMethodsAgainstPROJ compares every method with PROJ 9 (through GDAL's
// gdaltransform): forward within 1 mm on a 5×5 grid over each CRS's area
// of use, and our inverse of PROJ's grid coordinates within 1 mm of the
// input (times the local scale where it is below 1). Where PROJ 9.1 maps an EPSG method to other formulas (2SP
// Belgium, LAEA Spherical, Polar Stereographic C, Mercator C, West
// Orientated), dst is a PROJ string that expresses the EPSG formulas.
func TestMethodsAgainstPROJ(t *testing.T) {
	bin := gdaltransformPath(t)
	worstF, worstI := 0.0, 0.0
	methods := map[int]bool{}
	for _, c := range crsCases() {
		if c.noPROJ != "" {
			t.Logf("%-75s not checked: %s", c.label(), c.noPROJ)
			continue
		}
		pr, _, err := newProjection(c.method, c.el, c.p)
		if err != nil {
			t.Fatalf("%s: %v", c.label(), err)
		}
		src, dst := c.src, c.dst
		if src == "" {
			src = fmt.Sprintf("EPSG:%d", c.geog)
		}
		if dst == "" {
			dst = fmt.Sprintf("EPSG:%d", c.code)
		}
		unit := c.unit
		if unit == 0 {
			unit = 1
		}
		tol := c.tol
		if tol == 0 {
			tol = 1e-3
		}
		pts := casePoints(c, 5)
		in := make([][2]float64, len(pts))
		for i, p := range pts {
			in[i] = [2]float64{p[0] - c.pm/deg, p[1]} // longitudes of the base CRS
			if c.src != "" && strings.HasPrefix(c.src, "+proj=longlat") && in[i][0] > 180 {
				in[i][0] -= 360
			}
		}
		out := gdalTransform(t, bin, src, dst, in)
		wf, wi := 0.0, 0.0
		for i, p := range in {
			lam, phi := p[0]*deg, p[1]*deg
			g := out[i]
			if math.IsNaN(g[0]) {
				t.Errorf("%s: PROJ failed on (%v, %v)", c.label(), p[0], p[1])
				continue
			}
			gx, gy := g[0]*unit, g[1]*unit
			x, y, err := pr.forward(lam, phi)
			if err != nil {
				t.Errorf("%s: forward(%v, %v): %v", c.label(), p[0], p[1], err)
				continue
			}
			d := math.Hypot(x-gx, y-gy)
			wf = math.Max(wf, d)
			if d > tol {
				t.Errorf("%s: (%v°, %v°) → (%.4f, %.4f), PROJ (%.4f, %.4f): %.4f m", c.label(), p[0], p[1], x, y, gx, gy, d)
			}
			lam2, phi2, err := pr.inverse(gx, gy)
			if err != nil {
				t.Errorf("%s: inverse(%v, %v): %v", c.label(), gx, gy, err)
				continue
			}
			// The inverse of PROJ's grid point, on the ground, divided by
			// the smallest local scale: where the grid compresses the
			// ground (cylindrical equal-area projections near the poles,
			// Equal Earth's pole lines) a grid difference of d metres is
			// d/σ on the ground.
			di := groundDist(c.el.A, lam, phi, lam2, phi2) * minScale(pr, c.el.A, lam, phi)
			if math.Abs(math.Abs(phi)-math.Pi/2) < 1e-12 {
				di = c.el.A * math.Abs(phi2-phi) * minScale(pr, c.el.A, lam, phi)
			}
			wi = math.Max(wi, di)
			if di > tol {
				t.Errorf("%s: inverse of PROJ's (%.4f, %.4f) = (%.10f°, %.10f°), want (%v°, %v°): %.4f m (scaled)", c.label(), gx, gy, lam2/deg, phi2/deg, p[0], p[1], di)
			}
		}
		methods[c.method] = true
		worstF, worstI = math.Max(worstF, wf), math.Max(worstI, wi)
		t.Logf("%-75s %2d points: forward %.1e m, inverse %.1e m", c.label(), len(in), wf, wi)
	}
	t.Logf("%d methods checked against PROJ: worst forward difference %.2e m, worst inverse %.2e m", len(methods), worstF, worstI)
}

// TestEquidistantCylindricalAgainstPROJ checks EPSG 1028 piecewise, since
// PROJ 9.1's eqc ignores the flattening: the northing is the meridian
// distance, i.e. PROJ's tmerc northing on its central meridian (k0 = 1), and
// the easting is ν1 cos φ1 (λ − λ0), PROJ's spherical eqc with R = ν1.
func TestEquidistantCylindricalAgainstPROJ(t *testing.T) {
	bin := gdaltransformPath(t)
	lat1 := 40 * deg
	pr, _, err := newProjection(mEqc, WGS84, Params{8823: lat1, 8802: 10 * deg, 8806: 1000, 8807: 2000})
	if err != nil {
		t.Fatal(err)
	}
	var pts [][2]float64
	for lat := -90.0; lat <= 90; lat += 15 {
		pts = append(pts, [2]float64{10, lat})
	}
	out := gdalTransform(t, bin, projLongLat(WGS84), "+proj=tmerc +lat_0=0 +lon_0=10 +k=1 +x_0=0 +y_0=2000 "+projEllps(WGS84), pts)
	worst := 0.0
	for i, p := range pts {
		_, y, err := pr.forward(p[0]*deg, p[1]*deg)
		if err != nil {
			t.Fatal(err)
		}
		d := math.Abs(y - out[i][1])
		worst = math.Max(worst, d)
		if d > 1e-3 {
			t.Errorf("latitude %v°: northing %.4f, PROJ meridian distance %.4f", p[1], y, out[i][1])
		}
	}
	nu1 := WGS84.A / math.Sqrt(1-WGS84.E2()*math.Sin(lat1)*math.Sin(lat1))
	pts = [][2]float64{{-169, 0}, {-90, 30}, {0, 60}, {10, 0}, {100, -45}, {189, 10}}
	out = gdalTransform(t, bin, fmt.Sprintf("+proj=longlat +R=%.6f", nu1),
		fmt.Sprintf("+proj=eqc +lat_ts=40 +lon_0=10 +x_0=1000 +R=%.6f", nu1), pts)
	for i, p := range pts {
		x, _, err := pr.forward(p[0]*deg, p[1]*deg)
		if err != nil {
			t.Fatal(err)
		}
		d := math.Abs(x - out[i][0])
		worst = math.Max(worst, d)
		if d > 1e-3 {
			t.Errorf("longitude %v°: easting %.4f, PROJ %.4f", p[0], x, out[i][0])
		}
	}
	t.Logf("worst difference %.1e m", worst)
}

// TestTMZonedAgainstUTM checks EPSG 9824 (WGS 84 / UTM grid system) against
// PROJ's +proj=utm of the zone that the longitude selects, with the zone
// number prefixed to the easting.
func TestTMZonedAgainstUTM(t *testing.T) {
	bin := gdaltransformPath(t)
	for _, south := range []bool{false, true} {
		fn := 0.0
		if south {
			fn = 10000000
		}
		pr, _, err := newProjection(mTMZoned, WGS84, Params{8801: 0, 8830: -180 * deg, 8831: 6 * deg, 8805: 0.9996, 8806: 500000, 8807: fn})
		if err != nil {
			t.Fatal(err)
		}
		for _, lon := range []float64{-179.5, -123.4, -0.1, 0.1, 2.9, 3.1, 59.99, 117, 179.99} {
			zone := int(math.Floor((lon+180)/6)) + 1
			lat := 48.5
			dst := fmt.Sprintf("+proj=utm +zone=%d %s", zone, projEllps(WGS84))
			if south {
				lat = -33.2
				dst += " +south"
			}
			out := gdalTransform(t, bin, projLongLat(WGS84), dst, [][2]float64{{lon, lat}})
			x, y, err := pr.forward(lon*deg, lat*deg)
			if err != nil {
				t.Fatal(err)
			}
			wantX := float64(zone)*1e6 + out[0][0]
			if d := math.Hypot(x-wantX, y-out[0][1]); d > 1e-3 {
				t.Errorf("(%v°, %v°): (%.4f, %.4f), zone %d + PROJ (%.4f, %.4f): %.4f m", lon, lat, x, y, zone, wantX, out[0][1], d)
			}
			lam, phi, err := pr.inverse(x, y)
			if err != nil || groundDist(WGS84.A, lam, phi, lon*deg, lat*deg) > 1e-3 {
				t.Errorf("inverse(%v, %v) = (%v°, %v°, %v), want (%v°, %v°)", x, y, lam/deg, phi/deg, err, lon, lat)
			}
		}
	}
}
