package crs

import (
	"errors"
	"math"
)

// errOutOfRange is returned by projections for coordinates outside their
// mathematical domain (poles of Mercator, antipode of LAEA, NaN, overflow).
var errOutOfRange = errors.New("coordinate outside the projection's domain")

// geographic is the identity "projection" of a geographic CRS whose
// coordinates are given as longitude (x) and latitude (y) in degrees, the
// traditional GIS order used by GeoTIFF/GDAL geotransforms.
type geographic struct{}

func (geographic) forward(lam, phi float64) (x, y float64, err error) {
	return lam * 180 / math.Pi, phi * 180 / math.Pi, nil
}

func (geographic) inverse(x, y float64) (lam, phi float64, err error) {
	if !finite(x) || !finite(y) || math.Abs(y) > 90+1e-9 {
		return 0, 0, errOutOfRange
	}
	return x * math.Pi / 180, math.Max(-90, math.Min(90, y)) * math.Pi / 180, nil
}

// lcc2sp is Lambert Conic Conformal (2SP), EPSG method 9802 (EPSG GN 7-2
// §3.2.1.1; Snyder 1987 eq. 15-1…15-11).
type lcc2sp struct {
	a, e         float64
	lonF, fe, fn float64
	n, aF, rF    float64
}

func newLCC2SP(el Ellipsoid, latF, lonF, lat1, lat2, fe, fn float64) *lcc2sp {
	e := el.E()
	m := func(phi float64) float64 {
		s, c := math.Sincos(phi)
		return c / math.Sqrt(1-e*e*s*s)
	}
	m1, m2 := m(lat1), m(lat2)
	t1, t2, tF := lccT(lat1, e), lccT(lat2, e), lccT(latF, e)
	var n float64
	if lat1 == lat2 {
		n = math.Sin(lat1)
	} else {
		n = (math.Log(m1) - math.Log(m2)) / (math.Log(t1) - math.Log(t2))
	}
	F := m1 / (n * math.Pow(t1, n))
	l := &lcc2sp{a: el.A, e: e, lonF: lonF, fe: fe, fn: fn, n: n, aF: el.A * F}
	l.rF = l.aF * math.Pow(tF, n)
	return l
}

// lccT is t = tan(π/4 − φ/2) / ((1 − e sinφ)/(1 + e sinφ))^(e/2).
func lccT(phi, e float64) float64 {
	es := e * math.Sin(phi)
	return math.Tan(math.Pi/4-phi/2) / math.Pow((1-es)/(1+es), e/2)
}

func (l *lcc2sp) forward(lam, phi float64) (x, y float64, err error) {
	if math.Abs(phi) >= math.Pi/2 && phi*l.n <= 0 { // the pole opposite to the cone apex maps to infinity
		return 0, 0, errOutOfRange
	}
	r := l.aF * math.Pow(lccT(phi, l.e), l.n)
	theta := l.n * (lam - l.lonF)
	s, c := math.Sincos(theta)
	x, y = l.fe+r*s, l.fn+l.rF-r*c
	if !finite(x) || !finite(y) {
		return 0, 0, errOutOfRange
	}
	return x, y, nil
}

func (l *lcc2sp) inverse(x, y float64) (lam, phi float64, err error) {
	dx, dy := x-l.fe, l.rF-(y-l.fn)
	r := math.Copysign(math.Hypot(dx, dy), l.n)
	var theta float64
	if l.n > 0 {
		theta = math.Atan2(dx, dy)
	} else {
		theta = math.Atan2(-dx, -dy)
	}
	t := math.Pow(r/l.aF, 1/l.n)
	phi = math.Pi/2 - 2*math.Atan(t)
	for i := 0; i < 15; i++ {
		es := l.e * math.Sin(phi)
		next := math.Pi/2 - 2*math.Atan(t*math.Pow((1-es)/(1+es), l.e/2))
		if math.Abs(next-phi) < 1e-15 {
			phi = next
			break
		}
		phi = next
	}
	lam = theta/l.n + l.lonF
	if !finite(lam) || !finite(phi) {
		return 0, 0, errOutOfRange
	}
	return lam, phi, nil
}

// laea is the ellipsoidal Lambert Azimuthal Equal Area, EPSG method 9820
// (EPSG GN 7-2 §3.6.1; Snyder 1987 eq. 24-…): the oblique aspect, and the
// polar aspects when the origin is a pole (the oblique formulas divide by
// cos β₀ = 0 there). The reverse latitude is refined by Newton iteration on
// q(φ) (Snyder eq. 3-16) instead of relying on the truncated series alone.
type laea struct {
	a, e, e2, qp    float64
	lon0, lat0      float64
	fe, fn          float64
	rq, d, sb0, cb0 float64
	polar           float64 // +1 north polar aspect, -1 south, 0 oblique
}

func newLAEA(el Ellipsoid, lat0, lon0, fe, fn float64) *laea {
	e2 := el.E2()
	e := math.Sqrt(e2)
	l := &laea{a: el.A, e: e, e2: e2, lon0: lon0, fe: fe, fn: fn, lat0: lat0}
	l.qp = l.q(math.Pi / 2)
	l.rq = el.A * math.Sqrt(l.qp/2)
	if math.Abs(math.Abs(lat0)-math.Pi/2) < 1e-12 {
		l.polar = math.Copysign(1, lat0)
		return l
	}
	b0 := math.Asin(l.q(lat0) / l.qp)
	l.sb0, l.cb0 = math.Sincos(b0)
	s0, c0 := math.Sincos(lat0)
	l.d = el.A * (c0 / math.Sqrt(1-e2*s0*s0)) / (l.rq * l.cb0)
	return l
}

// q is Snyder's q(φ) = (1−e²)[sinφ/(1−e²sin²φ) − (1/2e)ln((1−e sinφ)/(1+e sinφ))].
func (l *laea) q(phi float64) float64 {
	s := math.Sin(phi)
	es := l.e * s
	return (1 - l.e2) * (s/(1-es*es) - 1/(2*l.e)*math.Log((1-es)/(1+es)))
}

func (l *laea) forward(lam, phi float64) (x, y float64, err error) {
	if l.polar != 0 { // GN 7-2: ρ = a·√(qP ∓ q)
		d := l.qp - l.polar*l.q(phi)
		if d < 0 || l.polar*phi <= -math.Pi/2+1e-12 { // the opposite pole
			return 0, 0, errOutOfRange
		}
		rho := l.a * math.Sqrt(d)
		sl, cl := math.Sincos(lam - l.lon0)
		return l.fe + rho*sl, l.fn - l.polar*rho*cl, nil
	}
	beta := math.Asin(math.Max(-1, math.Min(1, l.q(phi)/l.qp)))
	sb, cb := math.Sincos(beta)
	sl, cl := math.Sincos(lam - l.lon0)
	den := 1 + l.sb0*sb + l.cb0*cb*cl
	if den <= 1e-12 { // antipode of the centre
		return 0, 0, errOutOfRange
	}
	B := l.rq * math.Sqrt(2/den)
	x = l.fe + B*l.d*cb*sl
	y = l.fn + B/l.d*(l.cb0*sb-l.sb0*cb*cl)
	return x, y, nil
}

func (l *laea) inverse(x, y float64) (lam, phi float64, err error) {
	dx, dy := x-l.fe, y-l.fn
	var rho float64
	if l.polar != 0 {
		rho = math.Hypot(dx, dy)
	} else {
		rho = math.Hypot(dx/l.d, l.d*dy)
	}
	if !finite(rho) || rho > 2*l.rq*(1+1e-12) {
		return 0, 0, errOutOfRange
	}
	if rho == 0 {
		return l.lon0, l.lat0, nil
	}
	var betaP float64
	if l.polar != 0 {
		betaP = l.polar * math.Asin(math.Max(-1, math.Min(1, 1-rho*rho/(l.a*l.a*l.qp))))
		lam = l.lon0 + math.Atan2(dx, -l.polar*dy)
	} else {
		C := 2 * math.Asin(math.Min(1, rho/(2*l.rq)))
		sC, cC := math.Sincos(C)
		betaP = math.Asin(math.Max(-1, math.Min(1, cC*l.sb0+l.d*dy*sC*l.cb0/rho)))
		lam = l.lon0 + math.Atan2(dx*sC, l.d*rho*l.cb0*cC-l.d*l.d*dy*l.sb0*sC)
	}
	// Series (GN 7-2) for the starting value, then Newton on q(φ) = qp·sinβ'.
	e2, e4 := l.e2, l.e2*l.e2
	e6 := e4 * e2
	phi = betaP + (e2/3+31*e4/180+517*e6/5040)*math.Sin(2*betaP) +
		(23*e4/360+251*e6/3780)*math.Sin(4*betaP) + (761*e6/45360)*math.Sin(6*betaP)
	qt := l.qp * math.Sin(betaP)
	for i := 0; i < 5 && math.Abs(phi) < math.Pi/2-1e-9; i++ {
		s, c := math.Sincos(phi)
		w := 1 - e2*s*s
		d := w * w / (2 * c) * (qt/(1-e2) - s/w + 1/(2*l.e)*math.Log((1-l.e*s)/(1+l.e*s)))
		phi += d
		if math.Abs(d) < 1e-15 {
			break
		}
	}
	if !finite(lam) || !finite(phi) {
		return 0, 0, errOutOfRange
	}
	return lam, phi, nil
}

// mercator is Mercator (variant A / 1SP), EPSG method 9804, and with
// sphere == true the Popular Visualisation Pseudo Mercator, EPSG method 1024
// (spherical formulas with R = a applied to WGS 84 coordinates).
type mercator struct {
	a, e, k0     float64
	lon0, fe, fn float64
	sphere       bool
}

func (m *mercator) forward(lam, phi float64) (x, y float64, err error) {
	if math.Abs(phi) >= math.Pi/2 {
		return 0, 0, errOutOfRange
	}
	x = m.fe + m.a*m.k0*(lam-m.lon0)
	psi := math.Asinh(math.Tan(phi))
	if !m.sphere {
		psi -= m.e * math.Atanh(m.e*math.Sin(phi))
	}
	y = m.fn + m.a*m.k0*psi
	return x, y, nil
}

func (m *mercator) inverse(x, y float64) (lam, phi float64, err error) {
	psi := (y - m.fn) / (m.a * m.k0)
	lam = (x-m.fe)/(m.a*m.k0) + m.lon0
	taup := math.Sinh(psi)
	if m.sphere {
		phi = math.Atan(taup)
	} else {
		phi = math.Atan(geodeticTau(taup, m.e))
	}
	if !finite(lam) || !finite(phi) {
		return 0, 0, errOutOfRange
	}
	return lam, phi, nil
}
