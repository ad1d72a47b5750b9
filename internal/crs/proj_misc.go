package crs

import (
	"fmt"
	"math"
	"math/cmplx"
)

// guarded rejects non-finite input and output around a projection whose
// own checks are partial (the variant-A mercator of projections.go).
type guarded struct{ p projection }

func (g guarded) forward(lam, phi float64) (x, y float64, err error) {
	if err := checkLatLon(lam, phi); err != nil {
		return 0, 0, err
	}
	x, y, err = g.p.forward(lam, phi)
	if err != nil {
		return 0, 0, err
	}
	return done(x, y)
}

func (g guarded) inverse(x, y float64) (lam, phi float64, err error) {
	if !finite(x) || !finite(y) {
		return 0, 0, errOutOfRange
	}
	lam, phi, err = g.p.inverse(x, y)
	if err != nil {
		return 0, 0, err
	}
	return done(lam, phi)
}

// cassini is Cassini-Soldner, EPSG 9806 (GN 7-2 §3.3.1; the series of
// Snyder 1987 eq. 13-…, which EPSG uses as the method's definition), and
// with hyperbolic the Hyperbolic Cassini-Soldner of Vanua Levu, EPSG 9833:
// N = FN + X − X³/(6ρν), ρ and ν at the latitude of the point. The forward
// series is the definition; the reverse starts from GN's reverse series and
// is refined by Newton's method so that it inverts the forward exactly
// (PROJ does the same for the hyperbolic form).
type cassini struct {
	mer             *meridian
	a, e2, m0, lon0 float64
	fe, fn          float64
	hyperbolic      bool
}

func newCassini(el Ellipsoid, lat0, lon0, fe, fn float64, hyperbolic bool) *cassini {
	m := newMeridian(el)
	return &cassini{mer: m, a: el.A, e2: el.E2(), m0: m.arc(lat0), lon0: lon0, fe: fe, fn: fn, hyperbolic: hyperbolic}
}

func (p *cassini) forward(lam, phi float64) (x, y float64, err error) {
	if err := checkLatLon(lam, phi); err != nil {
		return 0, 0, err
	}
	if math.Abs(phi) >= math.Pi/2-1e-12 {
		return done(p.fe, p.fn+p.mer.arc(clampLat(phi))-p.m0)
	}
	s, c := math.Sincos(phi)
	nu, rho := nuRho(p.a, p.e2, phi)
	A := (lam - p.lon0) * c
	tn := s / c
	T := tn * tn
	C := p.e2 * c * c / (1 - p.e2)
	A2 := A * A
	X := p.mer.arc(phi) - p.m0 + nu*tn*(A2/2+(5-T+6*C)*A2*A2/24)
	x = p.fe + nu*(A-T*A2*A/6-(8-T+8*C)*T*A2*A2*A/120)
	if p.hyperbolic {
		X -= X * X * X / (6 * rho * nu)
	}
	return done(x, p.fn+X)
}

func (p *cassini) inverse(x, y float64) (lam, phi float64, err error) {
	if !finite(x) || !finite(y) {
		return 0, 0, errOutOfRange
	}
	// GN 7-2 reverse series as the starting point.
	phi1 := p.mer.lat(p.m0 + (y - p.fn))
	if math.Abs(phi1) >= math.Pi/2-1e-9 {
		return p.lon0, phi1, nil
	}
	s1, c1 := math.Sincos(phi1)
	nu1, rho1 := nuRho(p.a, p.e2, phi1)
	t1 := s1 / c1
	T1 := t1 * t1
	D := (x - p.fe) / nu1
	D2 := D * D
	phi = phi1 - (nu1*t1/rho1)*(D2/2-(1+3*T1)*D2*D2/24)
	lam = p.lon0 + (D-T1*D2*D/3+(1+3*T1)*T1*D2*D2*D/15)/c1
	if !finite(lam) || !finite(phi) || math.Abs(phi) >= math.Pi/2 {
		phi, lam = phi1, p.lon0
	}
	return newtonInverse(p.forward, x, y, lam, phi)
}

// polyconic is American Polyconic, EPSG 9818 (GN 7-2 §3.3.2; Snyder 1987
// eq. 18-…):
//
//	E = FE + ν cot φ sin L,  N = FN + M − M0 + ν cot φ (1 − cos L),  L = (λ − λ0) sin φ
//
// and on the equator E = FE + a(λ − λ0), N = FN − M0. The reverse is
// Newton's method on these equations (Snyder's iteration in another form).
type polyconic struct{ arcOrigin }

// arcOrigin is what Polyconic and Guam share: the meridian arc, its value
// at the latitude of origin, the longitude of origin and false origin.
type arcOrigin struct {
	mer             *meridian
	a, e2, m0, lon0 float64
	fe, fn          float64
}

func newArcOrigin(el Ellipsoid, lat0, lon0, fe, fn float64) arcOrigin {
	m := newMeridian(el)
	return arcOrigin{mer: m, a: el.A, e2: el.E2(), m0: m.arc(lat0), lon0: lon0, fe: fe, fn: fn}
}

func newPolyconic(el Ellipsoid, lat0, lon0, fe, fn float64) *polyconic {
	return &polyconic{newArcOrigin(el, lat0, lon0, fe, fn)}
}

func (p *polyconic) forward(lam, phi float64) (x, y float64, err error) {
	if err := checkLatLon(lam, phi); err != nil {
		return 0, 0, err
	}
	dl := lam - p.lon0
	if math.Abs(phi) < 1e-12 {
		return done(p.fe+p.a*dl, p.fn-p.m0)
	}
	phi = clampLat(phi)
	s, c := math.Sincos(phi)
	nu, _ := nuRho(p.a, p.e2, phi)
	L := dl * s
	k := nu * c / s
	// 1 − cos L = 2 sin²(L/2), without cancellation for small L.
	h := math.Sin(L / 2)
	sl := math.Sin(L)
	return done(p.fe+k*sl, p.fn+p.mer.arc(phi)-p.m0+k*2*h*h)
}

func (p *polyconic) inverse(x, y float64) (lam, phi float64, err error) {
	if !finite(x) || !finite(y) {
		return 0, 0, errOutOfRange
	}
	// Start on the central meridian's latitude, then Newton.
	phi = p.mer.lat(p.m0 + (y - p.fn))
	nu, _ := nuRho(p.a, p.e2, phi)
	lam = p.lon0 + (x-p.fe)/(nu*math.Max(math.Cos(phi), 0.1))
	return newtonInverse(p.forward, x, y, lam, phi)
}

// bonne is Bonne, EPSG 9827, and with south its South Orientated form
// EPSG 9828 (GN 7-2 §3.3.3): ρ = a·m0/sin φ0 + M0 − M, T = a·m·(λ − λ0)/ρ,
// E = FE + ρ sin T, N = FN + a·m0/sin φ0 − ρ cos T; the south-orientated
// grid returns W = FE − (E − FE) and S = FN − (N − FN) in that order.
type bonne struct {
	mer               *meridian
	a, e, m0arc, am0s float64
	lon0, fe, fn      float64
	south             bool
}

func newBonne(el Ellipsoid, lat0, lon0, fe, fn float64, south bool) (*bonne, error) {
	if lat0 == 0 {
		return nil, fmt.Errorf("latitude of natural origin 0 (the Sinusoidal limit) is not supported")
	}
	m := newMeridian(el)
	e := el.E()
	return &bonne{mer: m, a: el.A, e: e, m0arc: m.arc(lat0), am0s: el.A * lccM(lat0, e) / math.Sin(lat0),
		lon0: lon0, fe: fe, fn: fn, south: south}, nil
}

func (p *bonne) forward(lam, phi float64) (x, y float64, err error) {
	if err := checkLatLon(lam, phi); err != nil {
		return 0, 0, err
	}
	phi = clampLat(phi)
	rho := p.am0s + p.m0arc - p.mer.arc(phi)
	var dx, dy float64
	if rho != 0 {
		T := p.a * lccM(phi, p.e) * (lam - p.lon0) / rho
		s, c := math.Sincos(T)
		dx, dy = rho*s, p.am0s-rho*c
	} else {
		dy = p.am0s
	}
	if p.south {
		return done(p.fe-dx, p.fn-dy)
	}
	return done(p.fe+dx, p.fn+dy)
}

func (p *bonne) inverse(x, y float64) (lam, phi float64, err error) {
	X, Y := x-p.fe, y-p.fn
	if p.south {
		X, Y = -X, -Y
	}
	dy := p.am0s - Y
	rho := math.Copysign(math.Hypot(X, dy), p.am0s)
	if !finite(rho) {
		return 0, 0, errOutOfRange
	}
	M := p.am0s + p.m0arc - rho
	if math.Abs(M) > p.mer.arc(math.Pi/2)*(1+1e-12) {
		return 0, 0, errOutOfRange
	}
	phi = p.mer.lat(M)
	if math.Abs(phi) >= math.Pi/2-1e-12 {
		return p.lon0, phi, nil
	}
	var T float64
	if p.am0s > 0 {
		T = math.Atan2(X, dy)
	} else {
		T = math.Atan2(-X, -dy)
	}
	dl := rho * T / (p.a * lccM(phi, p.e))
	if math.Abs(dl) > math.Pi*(1+1e-9) {
		return 0, 0, errOutOfRange
	}
	return done(p.lon0+dl, phi)
}

// nzmg is New Zealand Map Grid, EPSG 9811 (GN 7-2 §3.9; LINZ): a power
// series in Δφ (10⁵ arc-seconds) for the isometric latitude difference, then
// a complex polynomial of degree 6. The reverse solves the polynomial by
// Newton's method and refines the latitude on the forward series.
type nzmg struct {
	a, lat0, lon0, fe, fn float64
}

var (
	nzmgA = [10]float64{0.6399175073, -0.1358797613, 0.063294409, -0.02526853, 0.0117879,
		-0.0055161, 0.0026906, -0.001333, 0.00067, -0.00034}
	nzmgB = [6]complex128{complex(0.7557853228, 0), complex(0.249204646, 0.003371507),
		complex(-0.001541739, 0.041058560), complex(-0.10162907, 0.01727609),
		complex(-0.26623489, -0.36249218), complex(-0.6870983, -1.1651967)}
	nzmgD = [9]float64{1.5627014243, 0.5185406398, -0.03333098, -0.1052906, -0.0368594,
		0.007317, 0.01220, 0.00394, -0.0013}
)

const sec5 = 1e5 / 3600 * math.Pi / 180 // 10⁵ arc-seconds in radians

func nzmgPsi(dphi float64) (psi, dpsi float64) {
	for i := len(nzmgA) - 1; i >= 0; i-- {
		dpsi = dpsi*dphi + float64(i+1)*nzmgA[i]
		psi = (psi + nzmgA[i]) * dphi
	}
	return psi, dpsi
}

func nzmgZeta(z complex128) (zeta, dzeta complex128) {
	for i := len(nzmgB) - 1; i >= 0; i-- {
		dzeta = dzeta*z + complex(float64(i+1), 0)*nzmgB[i]
		zeta = (zeta + nzmgB[i]) * z
	}
	return zeta, dzeta
}

func (p *nzmg) forward(lam, phi float64) (x, y float64, err error) {
	if err := checkLatLon(lam, phi); err != nil {
		return 0, 0, err
	}
	psi, _ := nzmgPsi((phi - p.lat0) / sec5)
	zeta, _ := nzmgZeta(complex(psi, lam-p.lon0))
	return done(p.fe+p.a*imag(zeta), p.fn+p.a*real(zeta))
}

func (p *nzmg) inverse(x, y float64) (lam, phi float64, err error) {
	zeta := complex((y-p.fn)/p.a, (x-p.fe)/p.a)
	if !finite(real(zeta)) || !finite(imag(zeta)) || cmplx.Abs(zeta) > 1 {
		return 0, 0, errOutOfRange
	}
	z := zeta / nzmgB[0]
	for i := 0; i < 30; i++ {
		f, df := nzmgZeta(z)
		d := (f - zeta) / df
		z -= d
		if cmplx.Abs(d) < 1e-15 {
			break
		}
	}
	psi := real(z)
	var dphi, pw float64 = 0, 1
	for _, d := range nzmgD {
		pw *= psi
		dphi += d * pw
	}
	for i := 0; i < 10; i++ { // polish on the forward series
		f, df := nzmgPsi(dphi)
		d := (f - psi) / df
		dphi -= d
		if math.Abs(d) < 1e-15 {
			break
		}
	}
	return done(p.lon0+imag(z), p.lat0+dphi*sec5)
}

// colombiaUrban is Colombia Urban, EPSG 1052 (GN 7-2 §3.3.4): a local
// projection at the height h0 of the projection plane.
//
//	E = FE + A·ν·cos φ·(λ − λ0),  N = FN + G·ρ0·[(φ − φ0) + B·(λ − λ0)²·ν²·cos² φ]
//
// with A = 1 + h0/ν0, B = tan φ0/(2ρ0ν0), G = 1 + h0/ρm, ρm at (φ0 + φ)/2.
// GN's reverse formulas are the start of a Newton refinement on the forward.
type colombiaUrban struct {
	a, e2, lat0, lon0, h0 float64
	fe, fn                float64
	capA, capB, rho0      float64
	capC, capD            float64
}

func newColombiaUrban(el Ellipsoid, lat0, lon0, fe, fn, h0 float64) *colombiaUrban {
	e2 := el.E2()
	nu0, rho0 := nuRho(el.A, e2, lat0)
	return &colombiaUrban{a: el.A, e2: e2, lat0: lat0, lon0: lon0, h0: h0, fe: fe, fn: fn,
		capA: 1 + h0/nu0, capB: math.Tan(lat0) / (2 * rho0 * nu0), rho0: rho0,
		capC: 1 + h0/el.A, capD: rho0 * (1 + h0/(el.A*(1-e2)))}
}

func (p *colombiaUrban) forward(lam, phi float64) (x, y float64, err error) {
	if err := checkLatLon(lam, phi); err != nil {
		return 0, 0, err
	}
	l := lam - p.lon0
	nu, _ := nuRho(p.a, p.e2, phi)
	_, rhoM := nuRho(p.a, p.e2, (p.lat0+phi)/2)
	G := 1 + p.h0/rhoM
	nc := nu * math.Cos(phi)
	return done(p.fe+p.capA*nc*l, p.fn+G*p.rho0*((phi-p.lat0)+p.capB*l*l*nc*nc))
}

func (p *colombiaUrban) inverse(x, y float64) (lam, phi float64, err error) {
	if !finite(x) || !finite(y) {
		return 0, 0, errOutOfRange
	}
	de := (x - p.fe) / p.capC
	phi = p.lat0 + (y-p.fn)/p.capD - p.capB*de*de
	if math.Abs(phi) >= math.Pi/2 {
		return 0, 0, errOutOfRange
	}
	nu, _ := nuRho(p.a, p.e2, phi)
	lam = p.lon0 + de/(nu*math.Cos(phi))
	return newtonInverse(p.forward, x, y, lam, phi)
}

// guam is the Guam Projection, EPSG 9831 (GN 7-2 §3.9.2): an approximation
// of the azimuthal equidistant for small areas.
//
//	x = a(λ − λ0) cos φ/√(1 − e² sin² φ),  E = FE + x,
//	N = FN + M − M0 + x² tan φ √(1 − e² sin² φ)/(2a)
type guam struct{ arcOrigin }

func newGuam(el Ellipsoid, lat0, lon0, fe, fn float64) *guam {
	return &guam{newArcOrigin(el, lat0, lon0, fe, fn)}
}

func (p *guam) forward(lam, phi float64) (x, y float64, err error) {
	if err := checkLatLon(lam, phi); err != nil {
		return 0, 0, err
	}
	if math.Abs(phi) >= math.Pi/2-1e-9 {
		return 0, 0, errOutOfRange
	}
	s, c := math.Sincos(phi)
	w := math.Sqrt(1 - p.e2*s*s)
	x = p.a * (lam - p.lon0) * c / w
	return done(p.fe+x, p.fn+p.mer.arc(phi)-p.m0+x*x*s/c*w/(2*p.a))
}

func (p *guam) inverse(x, y float64) (lam, phi float64, err error) {
	if !finite(x) || !finite(y) {
		return 0, 0, errOutOfRange
	}
	X := x - p.fe
	phi = p.mer.lat(p.m0 + (y - p.fn))
	for i := 0; i < 10 && math.Abs(phi) < math.Pi/2-1e-9; i++ { // GN's iteration
		s, c := math.Sincos(phi)
		w := math.Sqrt(1 - p.e2*s*s)
		phi = p.mer.lat(p.m0 + (y - p.fn) - X*X*s/c*w/(2*p.a))
	}
	s, c := math.Sincos(phi)
	lam = p.lon0 + X*math.Sqrt(1-p.e2*s*s)/(p.a*c)
	return newtonInverse(p.forward, x, y, lam, phi)
}

// maed is Modified Azimuthal Equidistant, EPSG 9832 (GN 7-2 §3.9.1): the
// azimuth and a series for the geodesic distance from the origin (a close
// approximation of the geodesic azimuthal equidistant for small areas). The
// reverse is Newton's method on the forward from a spherical start.
type maed struct {
	a, e2, lat0, lon0 float64
	nu0, s0, c0       float64
	capG              float64
	fe, fn            float64
}

func newMAED(el Ellipsoid, lat0, lon0, fe, fn float64) *maed {
	e2 := el.E2()
	nu0, _ := nuRho(el.A, e2, lat0)
	s0, c0 := math.Sincos(lat0)
	return &maed{a: el.A, e2: e2, lat0: lat0, lon0: lon0, nu0: nu0, s0: s0, c0: c0,
		capG: math.Sqrt(e2) * s0 / math.Sqrt(1-e2), fe: fe, fn: fn}
}

func (p *maed) forward(lam, phi float64) (x, y float64, err error) {
	if err := checkLatLon(lam, phi); err != nil {
		return 0, 0, err
	}
	if math.Abs(phi) >= math.Pi/2-1e-9 {
		return 0, 0, errOutOfRange
	}
	sp, cp := math.Sincos(phi)
	nu, _ := nuRho(p.a, p.e2, phi)
	psi := math.Atan((1-p.e2)*sp/cp + p.e2*p.nu0*p.s0/(nu*cp))
	sl, cl := math.Sincos(lam - p.lon0)
	spsi, cpsi := math.Sincos(psi)
	alpha := math.Atan2(sl, p.c0*spsi/cpsi-p.s0*cl)
	sa, ca := math.Sincos(alpha)
	H := math.Sqrt(p.e2) * p.c0 * ca / math.Sqrt(1-p.e2)
	var s float64
	if math.Abs(sa) < 1e-12 {
		s = math.Asin(math.Max(-1, math.Min(1, p.c0*spsi-p.s0*cpsi))) * math.Copysign(1, ca)
	} else {
		s = math.Asin(math.Max(-1, math.Min(1, sl*cpsi/sa)))
	}
	G, H2 := p.capG, H*H
	s2 := s * s
	c := p.nu0 * s * (1 - s2*H2*(1-H2)/6 + s2*s/8*G*H*(1-2*H2) +
		s2*s2/120*(H2*(4-7*H2)-3*G*G*(1-7*H2)) - s2*s2*s/48*G*H)
	return done(p.fe+c*sa, p.fn+c*ca)
}

func (p *maed) inverse(x, y float64) (lam, phi float64, err error) {
	if !finite(x) || !finite(y) {
		return 0, 0, errOutOfRange
	}
	dx, dy := (x-p.fe)/p.nu0, (y-p.fn)/p.nu0
	c := math.Hypot(dx, dy)
	if c > math.Pi/2 { // the series is meant for small areas
		return 0, 0, errOutOfRange
	}
	phi, lam = p.lat0, p.lon0
	if c > 0 { // spherical azimuthal equidistant start
		sc, cc := math.Sincos(c)
		phi = math.Asin(cc*p.s0 + dy*sc*p.c0/c)
		lam = p.lon0 + math.Atan2(dx*sc, c*p.c0*cc-dy*p.s0*sc)
	}
	return newtonInverse(p.forward, x, y, lam, phi)
}

// laeaSphere is Lambert Azimuthal Equal Area (Spherical), EPSG 1027 (GN 7-2
// §3.6.2; Snyder 1987 eq. 24-2…24-4), with R the radius of the authalic
// sphere when the figure of the earth is an ellipsoid (GN 7-2; PROJ ≥ 9.2
// "+R_A"; PROJ 9.1 uses the ellipsoidal formulas instead). It also serves
// EPSG 9820 on a sphere, where the ellipsoidal formulas divide by e = 0.
type laeaSphere struct {
	r, lon0, fe, fn float64
	s0, c0, lat0    float64
}

func newLAEASphere(r, lat0, lon0, fe, fn float64) *laeaSphere {
	s0, c0 := math.Sincos(lat0)
	return &laeaSphere{r: r, lon0: lon0, fe: fe, fn: fn, s0: s0, c0: c0, lat0: lat0}
}

func (p *laeaSphere) forward(lam, phi float64) (x, y float64, err error) {
	if err := checkLatLon(lam, phi); err != nil {
		return 0, 0, err
	}
	sp, cp := math.Sincos(phi)
	sl, cl := math.Sincos(lam - p.lon0)
	den := 1 + p.s0*sp + p.c0*cp*cl
	if den <= 1e-12 {
		return 0, 0, errOutOfRange
	}
	k := p.r * math.Sqrt(2/den)
	return done(p.fe+k*cp*sl, p.fn+k*(p.c0*sp-p.s0*cp*cl))
}

func (p *laeaSphere) inverse(x, y float64) (lam, phi float64, err error) {
	dx, dy := x-p.fe, y-p.fn
	rho := math.Hypot(dx, dy)
	if !finite(rho) || rho > 2*p.r*(1+1e-12) {
		return 0, 0, errOutOfRange
	}
	if rho == 0 {
		return p.lon0, p.lat0, nil
	}
	c := 2 * math.Asin(math.Min(1, rho/(2*p.r)))
	sc, cc := math.Sincos(c)
	phi = math.Asin(math.Max(-1, math.Min(1, cc*p.s0+dy*sc*p.c0/rho)))
	return done(p.lon0+math.Atan2(dx*sc, rho*p.c0*cc-dy*p.s0*sc), phi)
}
