package crs

import (
	"errors"
	"math"
	"testing"
)

// casePoints returns an n×n grid of (lon, lat) in degrees over the case's
// area of use (Greenwich longitudes; an area across ±180° has lon max <
// lon min and is unrolled eastwards).
func casePoints(c crsCase, n int) [][2]float64 {
	w, s, e, nn := c.area[0], c.area[1], c.area[2], c.area[3]
	if e < w {
		e += 360
	}
	var pts [][2]float64
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			pts = append(pts, [2]float64{w + (e-w)*float64(i)/float64(n-1), s + (nn-s)*float64(j)/float64(n-1)})
		}
	}
	return pts
}

// groundDist is the distance in metres between two geodetic points in
// radians, for the small differences of these tests.
func groundDist(a float64, lam1, phi1, lam2, phi2 float64) float64 {
	dl := math.Remainder(lam2-lam1, 2*math.Pi) * math.Cos((phi1+phi2)/2)
	return a * math.Hypot(dl, phi2-phi1)
}

// TestRoundTripMethods: forward then inverse within 1 mm on an 11×11 grid
// over the area of use of each CRS (including the poles of the polar and
// world-wide ones), and the kind that Footprint relies on.
func TestRoundTripMethods(t *testing.T) {
	cylindrical := map[int]bool{mMercatorB: true, mMercatorC: true, mLCEA: true, mLCEASpherical: true,
		mEqc: true, mEqcSpherical: true, mEqcSphericalOld: true}
	for _, c := range crsCases() {
		pr, k, err := newProjection(c.method, c.el, c.p)
		if err != nil {
			t.Errorf("%s: %v", c.label(), err)
			continue
		}
		if want := map[bool]kind{true: kindCylindrical, false: kindOther}[cylindrical[c.method]]; k != want {
			t.Errorf("%s: kind %d, want %d", c.label(), k, want)
		}
		worst := 0.0
		for _, pt := range casePoints(c, 11) {
			lam, phi := pt[0]*deg-c.pm, pt[1]*deg
			x, y, err := pr.forward(lam, phi)
			if err != nil {
				t.Errorf("%s: forward(%v, %v): %v", c.label(), pt[0], pt[1], err)
				continue
			}
			lam2, phi2, err := pr.inverse(x, y)
			if err != nil {
				t.Errorf("%s: inverse(%v, %v) of (%v, %v): %v", c.label(), x, y, pt[0], pt[1], err)
				continue
			}
			d := groundDist(c.el.A, lam, phi, lam2, phi2)
			if math.Abs(math.Abs(phi)-math.Pi/2) < 1e-12 {
				// Any longitude is the pole. Where a projection's pole is a
				// line (Equal Earth) or has infinite scale in y (the
				// cylindrical equal-area ones), y varies with the square of
				// the distance to the pole and a double carries the latitude
				// to ~1e-8 rad only: check that the grid point comes back.
				x2, y2, err := pr.forward(lam2, phi2)
				if err != nil {
					t.Errorf("%s: forward(inverse(%v, %v)): %v", c.label(), x, y, err)
				}
				d = math.Hypot(x2-x, y2-y)
			}
			worst = math.Max(worst, d)
			if d > 1e-3 {
				t.Errorf("%s: (%v°, %v°) → (%.4f, %.4f) → (%.10f°, %.10f°): %.6f m", c.label(), pt[0], pt[1], x, y, lam2/deg, phi2/deg, d)
			}
			// The inverse returns λ0 + Δλ, |Δλ| ≤ 180°, unwrapped.
			if lon0, ok := originLon(c); ok && math.Abs(lam2-lon0) > math.Pi*(1+1e-12) {
				t.Errorf("%s: inverse longitude %v° is more than 180° from the origin %v°", c.label(), lam2/deg, lon0/deg)
			}
		}
		t.Logf("%-70s worst round trip %.1e m", c.label(), worst)
	}
}

// originLon returns the longitude of origin of a case, where the inverse is
// centred (not for HOM, whose centre is the natural origin, nor for the
// zoned grid).
func originLon(c crsCase) (float64, bool) {
	if c.method == mHOMA || c.method == mHOMB || c.method == mTMZoned {
		return 0, false
	}
	for _, code := range []int{pLonNatOrigin, pLonFalseOrigin, pLonOrigin, pLonProjCentre} {
		if v, ok := c.p[code]; ok {
			return v, true
		}
	}
	return 0, false
}

// TestOutOfDomain: NaN in either direction, the singular pole of each
// polar or conic method and far-away grid coordinates give errOutOfRange.
func TestOutOfDomain(t *testing.T) {
	for _, c := range crsCases() {
		pr, _, err := newProjection(c.method, c.el, c.p)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := pr.forward(math.NaN(), 0.5); !errors.Is(err, errOutOfRange) {
			t.Errorf("%s: forward(NaN) error %v", c.label(), err)
		}
		if _, _, err := pr.forward(0.1, math.Inf(1)); !errors.Is(err, errOutOfRange) {
			t.Errorf("%s: forward(lat +Inf) error %v", c.label(), err)
		}
		if _, _, err := pr.inverse(math.NaN(), 0); !errors.Is(err, errOutOfRange) {
			t.Errorf("%s: inverse(NaN) error %v", c.label(), err)
		}
		if _, _, err := pr.inverse(0, math.Inf(-1)); !errors.Is(err, errOutOfRange) {
			t.Errorf("%s: inverse(y −Inf) error %v", c.label(), err)
		}
	}
	singular := []struct {
		name     string
		method   int
		el       Ellipsoid
		p        Params
		lam, phi float64
	}{
		{"UPS North at the south pole", mPolarStereoA, WGS84, Params{8801: 90 * deg, 8802: 0, 8805: 0.994, 8806: 2e6, 8807: 2e6}, 0, -90 * deg},
		{"UPS South at the north pole", mPolarStereoA, WGS84, Params{8801: -90 * deg, 8802: 0, 8805: 0.994, 8806: 2e6, 8807: 2e6}, 0, 90 * deg},
		{"LCC 1SP (north) at the south pole", mLCC1SP, tClarke1866, Params{8801: 18 * deg, 8802: -77 * deg, 8805: 1, 8806: 0, 8807: 0}, 0, -90 * deg},
		{"Mercator B at a pole", mMercatorB, tKrassowsky, Params{8823: 42 * deg, 8802: 51 * deg, 8806: 0, 8807: 0}, 0, 90 * deg},
		{"Oblique Stereographic (sphere) at the antipode", mObliqueStereo, Ellipsoid{A: 6371000},
			Params{8801: 52 * deg, 8802: 5 * deg, 8805: 0.9999079, 8806: 155000, 8807: 463000},
			5*deg - math.Pi, -52 * deg},
		{"LAEA spherical at the antipode", mLAEASpherical, tClarke1866, Params{8801: 45 * deg, 8802: -100 * deg, 8806: 0, 8807: 0}, 80 * deg, -45 * deg},
	}
	for _, c := range singular {
		pr, _, err := newProjection(c.method, c.el, c.p)
		if err != nil {
			t.Fatal(err)
		}
		if x, y, err := pr.forward(c.lam, c.phi); !errors.Is(err, errOutOfRange) {
			t.Errorf("%s: forward = (%v, %v, %v), want errOutOfRange", c.name, x, y, err)
		}
	}
	// HOM: the poles of the centre line's great circle on the aposphere,
	// χ′ = ±γ0 at B(λ − λ0) = ∓90°, where v is infinite.
	pr, _, err := newProjection(mHOMB, tEverest67, Params{8811: 4 * deg, 8812: 115 * deg, 8813: dms(53, 18, 56.9537),
		8814: dms(53, 7, 48.3685), 8815: 0.99984, 8816: 590476.87, 8817: 442857.65})
	if err != nil {
		t.Fatal(err)
	}
	h := pr.(*hom)
	for _, sg := range []float64{1, -1} {
		g0 := math.Asin(sg * h.sg0)
		phi := latFromIso((gdInv(g0)-h.lnH)/h.bigB, h.e)
		lam := h.lon0 - sg*math.Pi/(2*h.bigB)
		if x, y, err := h.forward(lam, phi); !errors.Is(err, errOutOfRange) {
			t.Errorf("HOM at the pole of the centre line (%v°, %v°): (%v, %v, %v), want errOutOfRange", lam/deg, phi/deg, x, y, err)
		}
		if _, _, err := h.forward(lam+0.01, phi); err != nil {
			t.Errorf("HOM 0.01 rad from the pole of the centre line: %v", err)
		}
	}
	far := []struct {
		name   string
		method int
		el     Ellipsoid
		p      Params
		x, y   float64
	}{
		{"LAEA spherical beyond the antipode circle", mLAEASpherical, tClarke1866, Params{8801: 45 * deg, 8802: -100 * deg, 8806: 0, 8807: 0}, 2.6e7, 0},
		{"LCEA beyond the poles", mLCEA, WGS84, Params{8823: 30 * deg, 8802: 0, 8806: 0, 8807: 0}, 0, 1e7},
		{"Equal Earth beyond the poles", mEqualEarth, WGS84, Params{8802: 0, 8806: 0, 8807: 0}, 0, 9e6},
		{"Equal Earth beyond the outline", mEqualEarth, WGS84, Params{8802: 0, 8806: 0, 8807: 0}, 1.8e7, 0},
		{"Albers in the gap of the cone", mAlbers, GRS80, Params{8821: 23 * deg, 8822: -96 * deg, 8823: 29.5 * deg, 8824: 45.5 * deg, 8826: 0, 8827: 0}, 0, 2e7},
		{"Equidistant Cylindrical beyond the poles", mEqc, WGS84, Params{8823: 0, 8802: 0, 8806: 0, 8807: 0}, 0, 1.1e7},
		{"TM zoned, zone 0", mTMZoned, WGS84, Params{8801: 0, 8830: -180 * deg, 8831: 6 * deg, 8805: 0.9996, 8806: 500000, 8807: 0}, 500000, 0},
	}
	for _, c := range far {
		pr, _, err := newProjection(c.method, c.el, c.p)
		if err != nil {
			t.Fatal(err)
		}
		if lam, phi, err := pr.inverse(c.x, c.y); !errors.Is(err, errOutOfRange) {
			t.Errorf("%s: inverse = (%v°, %v°, %v), want errOutOfRange", c.name, lam/deg, phi/deg, err)
		}
	}
}

// TestLCC1SPVariantB: variant B is the 1SP cone with the false origin
// moved to (φF, λF): every point keeps its distance r from the apex, and its
// bearing θ = n(λ − λF) differs from the 1SP one by n(λ0 − λF).
func TestLCC1SPVariantB(t *testing.T) {
	pr1, _, err := newProjection(mLCC1SP, tClarke1866, Params{8801: 18 * deg, 8802: -77 * deg, 8805: 1, 8806: 250000, 8807: 150000})
	if err != nil {
		t.Fatal(err)
	}
	prB, _, err := newProjection(mLCC1SPB, tClarke1866, Params{8801: 18 * deg, 8805: 1, 8821: 17 * deg, 8822: -76 * deg, 8826: 100000, 8827: 200000})
	if err != nil {
		t.Fatal(err)
	}
	one, b := pr1.(*lcc), prB.(*lcc)
	if x, y, _ := b.forward(-76*deg, 17*deg); math.Abs(x-100000) > 1e-6 || math.Abs(y-200000) > 1e-6 {
		t.Errorf("variant B at its false origin: (%v, %v), want (100000, 200000)", x, y)
	}
	for _, pt := range [][2]float64{{-77, 18}, {-76.5, 17.5}, {-78, 18.5}, {-76, 17}, {-70, 30}} {
		x1, y1, _ := one.forward(pt[0]*deg, pt[1]*deg)
		xb, yb, _ := b.forward(pt[0]*deg, pt[1]*deg)
		r1, t1 := math.Hypot(x1-250000, one.rF-(y1-150000)), math.Atan2(x1-250000, one.rF-(y1-150000))
		rb, tb := math.Hypot(xb-100000, b.rF-(yb-200000)), math.Atan2(xb-100000, b.rF-(yb-200000))
		if math.Abs(r1-rb) > 1e-6 || math.Abs(tb-t1-one.n*(-77*deg+76*deg)) > 1e-12 {
			t.Errorf("%v: 1SP r = %.6f θ = %.12f, variant B r = %.6f θ = %.12f", pt, r1, t1, rb, tb)
		}
	}
	// With the false origin at the natural origin, variant B is 1SP.
	b2, _, _ := newProjection(mLCC1SPB, tClarke1866, Params{8801: 18 * deg, 8805: 1, 8821: 18 * deg, 8822: -77 * deg, 8826: 250000, 8827: 150000})
	for _, pt := range [][2]float64{{-77, 18}, {-76.5, 17.5}, {-78, 18.5}, {-76, 17}} {
		x1, y1, _ := one.forward(pt[0]*deg, pt[1]*deg)
		x2, y2, _ := b2.forward(pt[0]*deg, pt[1]*deg)
		if math.Hypot(x1-x2, y1-y2) > 1e-6 {
			t.Errorf("%v: 1SP (%v, %v), variant B (%v, %v)", pt, x1, y1, x2, y2)
		}
	}
}

// TestMethodsOnSphere: every method, the five older ones included, on a
// sphere (InvF = 0, e = 0: no formula may divide by e) gives finite
// coordinates and round trips within 1 mm.
func TestMethodsOnSphere(t *testing.T) {
	sphere := Ellipsoid{Name: "sphere", A: 6371000}
	cases := crsCases()
	cases = append(cases,
		crsCase{name: "Transverse Mercator", method: mTransverseMercator, p: Params{8801: 49 * deg, 8802: -2 * deg, 8805: 0.9996, 8806: 400000, 8807: -100000}, area: [4]float64{-8, 49, 2, 61}},
		crsCase{name: "LCC 2SP", method: mLCC2SP, p: Params{8821: 46.5 * deg, 8822: 3 * deg, 8823: 49 * deg, 8824: 44 * deg, 8826: 700000, 8827: 6600000}, area: [4]float64{-9, 41, 10, 52}},
		crsCase{name: "LAEA", method: mLAEA, p: Params{8801: 52 * deg, 8802: 10 * deg, 8806: 4321000, 8807: 3210000}, area: [4]float64{-35, 25, 45, 85}},
		crsCase{name: "Mercator A", method: mMercatorA, p: Params{8801: 0, 8802: 110 * deg, 8805: 0.997, 8806: 3900000, 8807: 900000}, area: [4]float64{100, -10, 130, 10}},
		crsCase{name: "Pseudo-Mercator", method: mPseudoMercator, p: Params{8801: 0, 8802: 0, 8806: 0, 8807: 0}, area: [4]float64{-180, -85, 180, 85}},
	)
	for _, c := range cases {
		c.el = sphere
		pr, _, err := newProjection(c.method, c.el, c.p)
		if err != nil {
			t.Errorf("%s on a sphere: %v", c.label(), err)
			continue
		}
		worst := 0.0
		for _, pt := range casePoints(c, 5) {
			lam, phi := pt[0]*deg-c.pm, pt[1]*deg
			if math.Abs(pt[1]) == 90 {
				continue
			}
			x, y, err := pr.forward(lam, phi)
			if err != nil || !finite(x) || !finite(y) {
				t.Errorf("%s on a sphere: forward(%v, %v) = (%v, %v, %v)", c.label(), pt[0], pt[1], x, y, err)
				continue
			}
			lam2, phi2, err := pr.inverse(x, y)
			if err != nil {
				t.Errorf("%s on a sphere: inverse(%v, %v): %v", c.label(), x, y, err)
				continue
			}
			d := groundDist(c.el.A, lam, phi, lam2, phi2)
			worst = math.Max(worst, d)
			if d > 1e-3 {
				t.Errorf("%s on a sphere: (%v°, %v°) round trip %.6f m", c.label(), pt[0], pt[1], d)
			}
		}
		t.Logf("%-70s on a sphere: worst round trip %.1e m", c.label(), worst)
	}
}
