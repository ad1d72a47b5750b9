package crs

import "math"

// Helpers shared by the map projections of the proj_*.go files. Every
// projection there takes an Ellipsoid whose InvF may be 0 (a sphere, e = 0):
// none of these helpers divides by e.

// isoLat returns the isometric latitude ψ = asinh(tan χ), χ the conformal
// latitude of φ: ψ = atanh(sin φ) − e·atanh(e·sin φ), evaluated through
// conformalTau so that it stays accurate near the poles.
func isoLat(phi, e float64) float64 {
	return math.Asinh(conformalTau(math.Tan(phi), e))
}

// latFromIso inverts isoLat.
func latFromIso(psi, e float64) float64 {
	return math.Atan(geodeticTau(math.Sinh(psi), e))
}

// gd is the Gudermannian function gd(x) = atan(sinh x); gdInv its inverse.
func gd(x float64) float64    { return math.Atan(math.Sinh(x)) }
func gdInv(x float64) float64 { return math.Asinh(math.Tan(x)) }

// nuRho returns the radii of curvature in the prime vertical (ν) and in the
// meridian (ρ) at latitude φ.
func nuRho(a, e2, phi float64) (nu, rho float64) {
	s := math.Sin(phi)
	w := 1 - e2*s*s
	nu = a / math.Sqrt(w)
	return nu, nu * (1 - e2) / w
}

// meridian computes the meridian arc length M(φ) from the equator with
// Helmert's series in the third flattening n to order n⁶ (truncation error
// far below a micrometre on any terrestrial ellipsoid); the inverse refines
// the rectifying-latitude guess by Newton's method on M itself, so
// phi(M(φ)) == φ to rounding.
type meridian struct {
	a, e2 float64
	b     float64    // a/(1+n)·(1 + n²/4 + n⁴/64 + n⁶/256): M = b·μ
	c     [6]float64 // μ = φ + Σ c[k]·sin(2(k+1)φ)
	d     [6]float64 // φ ≈ μ + Σ d[k]·sin(2(k+1)μ)
}

func newMeridian(el Ellipsoid) *meridian {
	f := el.F()
	n := f / (2 - f)
	n2 := n * n
	n3, n4 := n2*n, n2*n2
	n5, n6 := n4*n, n3*n3
	return &meridian{
		a: el.A, e2: el.E2(),
		b: el.A / (1 + n) * (1 + n2/4 + n4/64 + n6/256),
		c: [6]float64{
			-3*n/2 + 9*n3/16 - 3*n5/32,
			15*n2/16 - 15*n4/32 + 135*n6/2048,
			-35*n3/48 + 105*n5/256,
			315*n4/512 - 189*n6/512,
			-693 * n5 / 1280,
			1001 * n6 / 2048,
		},
		d: [6]float64{
			3*n/2 - 27*n3/32 + 269*n5/512,
			21*n2/16 - 55*n4/32 + 6759*n6/4096,
			151*n3/96 - 417*n5/128,
			1097*n4/512 - 15543*n6/2560,
			8011 * n5 / 2560,
			293393 * n6 / 61440,
		},
	}
}

func sinSeries(c *[6]float64, x float64) float64 {
	s := 0.0
	for k := len(c) - 1; k >= 0; k-- {
		s += c[k] * math.Sin(float64(2*(k+1))*x)
	}
	return s
}

// arc returns M(φ).
func (m *meridian) arc(phi float64) float64 { return m.b * (phi + sinSeries(&m.c, phi)) }

// lat returns the latitude whose meridian arc is M (clamped to ±π/2).
func (m *meridian) lat(M float64) float64 {
	mu := M / m.b
	if math.Abs(mu) >= math.Pi/2 {
		return math.Copysign(math.Pi/2, mu)
	}
	phi := mu + sinSeries(&m.d, mu)
	for i := 0; i < 5; i++ {
		_, rho := nuRho(m.a, m.e2, phi)
		d := (M - m.arc(phi)) / rho
		phi += d
		if math.Abs(d) < 1e-15 {
			break
		}
	}
	return math.Max(-math.Pi/2, math.Min(math.Pi/2, phi))
}

// authalic handles the authalic latitude β of the equal-area projections:
// q(φ) (Snyder 1987, eq. 3-12), qp = q(90°), and the inverse of q by Newton's
// method (Snyder eq. 3-16) from the usual series start. For a sphere q = 2 sin φ.
type authalic struct {
	e, e2, qp float64
}

func newAuthalic(el Ellipsoid) authalic {
	au := authalic{e2: el.E2()}
	au.e = math.Sqrt(au.e2)
	au.qp = au.q(math.Pi / 2)
	return au
}

func (au authalic) q(phi float64) float64 {
	s := math.Sin(phi)
	if au.e == 0 {
		return 2 * s
	}
	es := au.e * s
	return (1 - au.e2) * (s/(1-es*es) + math.Atanh(es)/au.e)
}

// radius returns the radius of the authalic sphere R_A = a·√(qp/2).
func (au authalic) radius(a float64) float64 { return a * math.Sqrt(au.qp/2) }

// lat returns the latitude φ with q(φ) = q.
func (au authalic) lat(q float64) float64 {
	r := q / au.qp
	if math.Abs(r) >= 1 {
		return math.Copysign(math.Pi/2, r)
	}
	beta := math.Asin(r)
	if au.e == 0 {
		return beta
	}
	e2 := au.e2
	e4, e6 := e2*e2, e2*e2*e2
	phi := beta + (e2/3+31*e4/180+517*e6/5040)*math.Sin(2*beta) +
		(23*e4/360+251*e6/3780)*math.Sin(4*beta) + (761*e6/45360)*math.Sin(6*beta)
	for i := 0; i < 6 && math.Abs(phi) < math.Pi/2-1e-9; i++ {
		s, c := math.Sincos(phi)
		w := 1 - e2*s*s
		d := w * w / (2 * c) * (q/(1-e2) - s/w - math.Atanh(au.e*s)/au.e)
		phi += d
		if math.Abs(d) < 1e-15 {
			break
		}
	}
	return math.Max(-math.Pi/2, math.Min(math.Pi/2, phi))
}

// newtonInverse inverts fwd near (lam, phi) by Newton's method with a
// finite-difference Jacobian. It is used where EPSG defines a method by
// its forward formulas and gives only approximate reverse formulas (the
// reverse then reproduces the forward to well below a millimetre), or none.
func newtonInverse(fwd func(lam, phi float64) (float64, float64, error), x, y, lam, phi float64) (float64, float64, error) {
	const h = 1e-7 // radians, ~0.6 m
	for i := 0; i < 30; i++ {
		fx, fy, err := fwd(lam, phi)
		if err != nil {
			return 0, 0, err
		}
		dx, dy := x-fx, y-fy
		if math.Abs(dx) < 1e-10 && math.Abs(dy) < 1e-10 {
			return lam, phi, nil
		}
		hp := h
		if phi > 0 {
			hp = -h // step towards the equator, away from a pole
		}
		x1, y1, err1 := fwd(lam+h, phi)
		x2, y2, err2 := fwd(lam, phi+hp)
		if err1 != nil || err2 != nil {
			return 0, 0, errOutOfRange
		}
		a, c := (x1-fx)/h, (y1-fy)/h
		b, d := (x2-fx)/hp, (y2-fy)/hp
		det := a*d - b*c
		if det == 0 || !finite(det) {
			return 0, 0, errOutOfRange
		}
		dl := (d*dx - b*dy) / det
		dp := (a*dy - c*dx) / det
		// Damp steps that would leave the latitude range or jump wildly.
		for math.Abs(phi+dp) > math.Pi/2 || math.Abs(dl) > 1 || math.Abs(dp) > 1 {
			dl, dp = dl/2, dp/2
		}
		lam += dl
		phi += dp
		if math.Abs(dl) < 1e-14 && math.Abs(dp) < 1e-14 {
			return lam, phi, nil
		}
	}
	return 0, 0, errOutOfRange
}

// rotated applies a fixed orientation and false origin to a projection
// computed without false origin: x = fe + sx·x', y = fn + sy·y' (sx, sy =
// ±1). It serves the south- and west-orientated variants of a method.
type rotated struct {
	p      projection
	sx, sy float64
	fe, fn float64
}

func (r *rotated) forward(lam, phi float64) (x, y float64, err error) {
	x, y, err = r.p.forward(lam, phi)
	if err != nil {
		return 0, 0, err
	}
	return r.fe + r.sx*x, r.fn + r.sy*y, nil
}

func (r *rotated) inverse(x, y float64) (lam, phi float64, err error) {
	return r.p.inverse(r.sx*(x-r.fe), r.sy*(y-r.fn))
}

// checkLatLon rejects NaN and latitudes beyond the poles.
func checkLatLon(lam, phi float64) error {
	if !finite(lam) || !finite(phi) || math.Abs(phi) > math.Pi/2+1e-12 {
		return errOutOfRange
	}
	return nil
}

// clampLat maps latitudes within rounding of a pole onto it.
func clampLat(phi float64) float64 { return math.Max(-math.Pi/2, math.Min(math.Pi/2, phi)) }

// done returns (a, b) or errOutOfRange when either is not finite.
func done(a, b float64) (float64, float64, error) {
	if !finite(a) || !finite(b) {
		return 0, 0, errOutOfRange
	}
	return a, b, nil
}
