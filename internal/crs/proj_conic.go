package crs

import (
	"fmt"
	"math"
)

// lcc is Lambert Conic Conformal in the forms of EPSG GN 7-2 §3.2.1:
// 1SP (9801), 1SP variant B (1102), 2SP Belgium (9803), 2SP Michigan (1051)
// and West Orientated (9826). With ψ the isometric latitude,
// t = exp(−ψ), r = aF·tⁿ and the reverse is exact (no series).
//
//	E = FE + r sin θ        (West Orientated: W = FE − r sin θ)
//	N = FN + rF − r cos θ,  θ = n(λ − λF) − β
//
// β is 29.2985″ for the Belgian variant, 0 otherwise.
type lcc struct {
	e, n, aF, rF float64 // aF includes k0 and the Michigan ellipsoid scaling
	lonF, beta   float64
	fe, fn       float64
	west         bool
}

// newLCC builds the cone from n and the latitude where the scale is k:
// aF = a·k·m₀/(n·t₀ⁿ), with m₀, t₀ at phiK. rF is r at latF.
func newLCC(el Ellipsoid, n, phiK, k, latF, lonF, fe, fn float64) (*lcc, error) {
	if n == 0 || !finite(n) {
		return nil, fmt.Errorf("the cone constant is 0: standard parallels symmetric about the equator")
	}
	e := el.E()
	l := &lcc{e: e, n: n, lonF: lonF, fe: fe, fn: fn}
	l.aF = el.A * k * lccM(phiK, e) / (n * math.Exp(-n*isoLat(phiK, e)))
	l.rF = l.aF * math.Exp(-n*isoLat(latF, e))
	return l, nil
}

// lccM is m = cos φ / √(1 − e² sin² φ).
func lccM(phi, e float64) float64 {
	s, c := math.Sincos(phi)
	return c / math.Sqrt(1-e*e*s*s)
}

// newLCC1SP: Lambert Conic Conformal (1SP), EPSG 9801 (also the base of
// 9826 and, with a separate false origin, 1102).
func newLCC1SP(el Ellipsoid, lat0, lon0, k0, fe, fn float64) (*lcc, error) {
	return newLCC(el, math.Sin(lat0), lat0, k0, lat0, lon0, fe, fn)
}

// newLCC2SPVariant: Lambert Conic Conformal (2SP) with the ellipsoid scaled
// by K (Michigan, EPSG 1051; K = 1 otherwise).
func newLCC2SPVariant(el Ellipsoid, latF, lonF, lat1, lat2, fe, fn, K float64) (*lcc, error) {
	e := el.E()
	var n float64
	if lat1 == lat2 {
		n = math.Sin(lat1)
	} else {
		// ln m1 − ln m2 over ln t1 − ln t2, with ln t = −ψ.
		n = (math.Log(lccM(lat1, e)) - math.Log(lccM(lat2, e))) / (isoLat(lat2, e) - isoLat(lat1, e))
	}
	return newLCC(el, n, lat1, K, latF, lonF, fe, fn)
}

func (l *lcc) forward(lam, phi float64) (x, y float64, err error) {
	if err := checkLatLon(lam, phi); err != nil {
		return 0, 0, err
	}
	if math.Abs(phi) >= math.Pi/2-1e-12 && phi*l.n < 0 { // the pole opposite the apex is at infinity
		return 0, 0, errOutOfRange
	}
	var r float64
	if math.Abs(phi) < math.Pi/2-1e-12 || phi*l.n < 0 {
		r = l.aF * math.Exp(-l.n*isoLat(phi, l.e))
	} // else the apex: r = 0
	s, c := math.Sincos(l.n*(lam-l.lonF) - l.beta)
	dx := r * s
	if l.west {
		dx = -dx
	}
	return done(l.fe+dx, l.fn+l.rF-r*c)
}

func (l *lcc) inverse(x, y float64) (lam, phi float64, err error) {
	dx, dy := x-l.fe, l.rF-(y-l.fn)
	if l.west {
		dx = -dx
	}
	r := math.Hypot(dx, dy)
	if !finite(r) {
		return 0, 0, errOutOfRange
	}
	if r == 0 {
		return l.lonF, math.Copysign(math.Pi/2, l.n), nil
	}
	var theta float64
	if l.n > 0 {
		theta = math.Atan2(dx, dy)
	} else {
		theta = math.Atan2(-dx, -dy)
	}
	dl := (theta + l.beta) / l.n
	if math.Abs(dl) > math.Pi*(1+1e-12) { // in the gap of the developed cone
		return 0, 0, errOutOfRange
	}
	psi := -math.Log(r/math.Abs(l.aF)) / l.n
	return done(l.lonF+dl, latFromIso(psi, l.e))
}

// belgiumBeta is the 29.2985″ rotation of Lambert Conic Conformal (2SP
// Belgium), EPSG 9803.
const belgiumBeta = 29.2985 / 3600 * math.Pi / 180

// lccNear is Lambert Conic Near-Conformal, EPSG 9817 (GN 7-2 §3.2.1.5): the
// meridian distance is replaced by a truncated series in n (the method's
// definition) and M = k0(m + A·m³). The reverse solves the same equations
// by Newton's method.
type lccNear struct {
	k0, lon0, fe, fn      float64
	sinPhi0, r0, s0, capA float64
	ap, bp, cp, dp, ep    float64 // A′ (per degree), B′, C′, D′, E′
}

func newLCCNear(el Ellipsoid, lat0, lon0, k0, fe, fn float64) (*lccNear, error) {
	if lat0 == 0 {
		return nil, fmt.Errorf("latitude of natural origin must not be 0")
	}
	f := el.F()
	n := f / (2 - f)
	n2, n3 := n*n, n*n*n
	n4, n5 := n2*n2, n2*n3
	a := el.A
	l := &lccNear{k0: k0, lon0: lon0, fe: fe, fn: fn, sinPhi0: math.Sin(lat0)}
	l.ap = a * (1 - n + 5*(n2-n3)/4 + 81*(n4-n5)/64) * math.Pi / 180
	l.bp = 3 * a * (n - n2 + 7*(n3-n4)/8 + 55*n5/64) / 2
	l.cp = 15 * a * (n2 - n3 + 3*(n4-n5)/4) / 16
	l.dp = 35 * a * (n3 - n4 + 11*n5/16) / 48
	l.ep = 315 * a * (n4 - n5) / 512
	nu0, rho0 := nuRho(a, el.E2(), lat0)
	l.capA = 1 / (6 * rho0 * nu0)
	l.r0 = k0 * nu0 / math.Tan(lat0)
	l.s0 = l.s(lat0)
	return l, nil
}

func (l *lccNear) s(phi float64) float64 {
	return l.ap*phi*180/math.Pi - l.bp*math.Sin(2*phi) + l.cp*math.Sin(4*phi) -
		l.dp*math.Sin(6*phi) + l.ep*math.Sin(8*phi)
}

func (l *lccNear) ds(phi float64) float64 {
	return l.ap*180/math.Pi - 2*l.bp*math.Cos(2*phi) + 4*l.cp*math.Cos(4*phi) -
		6*l.dp*math.Cos(6*phi) + 8*l.ep*math.Cos(8*phi)
}

func (l *lccNear) forward(lam, phi float64) (x, y float64, err error) {
	if err := checkLatLon(lam, phi); err != nil {
		return 0, 0, err
	}
	m := l.s(phi) - l.s0
	M := l.k0 * (m + l.capA*m*m*m)
	r := l.r0 - M
	theta := (lam - l.lon0) * l.sinPhi0
	st := math.Sin(theta)
	return done(l.fe+r*st, l.fn+M+r*st*math.Tan(theta/2))
}

func (l *lccNear) inverse(x, y float64) (lam, phi float64, err error) {
	dx, dy := x-l.fe, l.r0-(y-l.fn)
	r := math.Copysign(math.Hypot(dx, dy), l.r0)
	var theta float64
	if l.r0 > 0 {
		theta = math.Atan2(dx, dy)
	} else {
		theta = math.Atan2(-dx, -dy)
	}
	M := l.r0 - r
	// m + A m³ = M/k0, increasing in m: Newton from m = M/k0.
	target := M / l.k0
	m := target
	for i := 0; i < 20; i++ {
		d := (m + l.capA*m*m*m - target) / (1 + 3*l.capA*m*m)
		m -= d
		if math.Abs(d) < 1e-9 {
			break
		}
	}
	st := m + l.s0
	phi = math.Asin(l.sinPhi0) // start at the latitude of origin
	for i := 0; i < 20; i++ {
		d := (st - l.s(phi)) / l.ds(phi)
		phi += d
		if math.Abs(d) < 1e-15 {
			break
		}
	}
	if math.Abs(phi) > math.Pi/2+1e-9 {
		return 0, 0, errOutOfRange
	}
	return done(l.lon0+theta/l.sinPhi0, clampLat(phi))
}

// albers is Albers Equal Area, EPSG 9822 (GN 7-2 §3.4.1; Snyder 1987
// eq. 14-1…14-6). The reverse latitude comes from authalic.lat (Newton).
type albers struct {
	au            authalic
	a, n, c, rho0 float64
	lonF, fe, fn  float64
}

func newAlbers(el Ellipsoid, latF, lonF, lat1, lat2, fe, fn float64) (*albers, error) {
	au := newAuthalic(el)
	e := au.e
	m1, m2 := lccM(lat1, e), lccM(lat2, e)
	q1, q2 := au.q(lat1), au.q(lat2)
	var n float64
	if math.Abs(lat1-lat2) < 1e-12 {
		n = math.Sin(lat1)
	} else {
		n = (m1*m1 - m2*m2) / (q2 - q1)
	}
	if n == 0 || !finite(n) {
		return nil, fmt.Errorf("the cone constant is 0: standard parallels symmetric about the equator")
	}
	p := &albers{au: au, a: el.A, n: n, lonF: lonF, fe: fe, fn: fn}
	p.c = m1*m1 + n*q1
	p.rho0 = p.rho(au.q(latF))
	if !finite(p.rho0) {
		return nil, fmt.Errorf("latitude of false origin outside the projection's domain")
	}
	return p, nil
}

func (p *albers) rho(q float64) float64 {
	return p.a * math.Sqrt(p.c-p.n*q) / p.n
}

func (p *albers) forward(lam, phi float64) (x, y float64, err error) {
	if err := checkLatLon(lam, phi); err != nil {
		return 0, 0, err
	}
	r := p.rho(p.au.q(phi))
	s, c := math.Sincos(p.n * (lam - p.lonF))
	return done(p.fe+r*s, p.fn+p.rho0-r*c)
}

func (p *albers) inverse(x, y float64) (lam, phi float64, err error) {
	dx, dy := x-p.fe, p.rho0-(y-p.fn)
	r := math.Hypot(dx, dy)
	var theta float64
	if p.n > 0 {
		theta = math.Atan2(dx, dy)
	} else {
		theta = math.Atan2(-dx, -dy)
	}
	dl := theta / p.n
	if !finite(r) || math.Abs(dl) > math.Pi*(1+1e-12) {
		return 0, 0, errOutOfRange
	}
	q := (p.c - r*r*p.n*p.n/(p.a*p.a)) / p.n
	if math.Abs(q) > p.au.qp*(1+1e-12) { // beyond the pole circle
		return 0, 0, errOutOfRange
	}
	return done(p.lonF+dl, p.au.lat(q))
}
