package crs

import (
	"math"
	"math/cmplx"
)

// projection converts between projected coordinates (metres) and geodetic
// coordinates (radians) on the projection's own ellipsoid. inverse returns
// lam = lon0 + Δλ without wrapping, so longitudes stay continuous across
// ±180° for any raster that does not straddle the projection's back meridian.
type projection interface {
	forward(lam, phi float64) (x, y float64, err error)
	inverse(x, y float64) (lam, phi float64, err error)
}

// tmerc is the ellipsoidal Transverse Mercator (EPSG method 9807) computed
// with Krüger's series in the third flattening n, extended to order n⁶ as
// given by Karney, "Transverse Mercator with an accuracy of a few
// nanometers", J. Geodesy 85 (2011), eqs. (35) and (36). The truncation error
// is below 5 nm within 3900 km of the central meridian, which covers every
// UTM zone with a wide margin. This is the same series family PROJ uses for
// +proj=tmerc / +proj=utm (Poder/Engsager "extended" algorithm).
type tmerc struct {
	el       Ellipsoid
	lon0, k0 float64 // radians, scale
	fe, fn   float64 // metres
	e, e2    float64
	kA       float64    // k0 · rectifying radius
	xi0      float64    // ξ of the latitude of origin (scaled by kA gives M0)
	alp, bet [6]float64 // forward / inverse Krüger coefficients
}

func newTmerc(el Ellipsoid, lat0, lon0, k0, fe, fn float64) *tmerc {
	n := el.F() / (2 - el.F())
	n2 := n * n
	n3 := n2 * n
	n4, n5, n6 := n2*n2, n2*n3, n3*n3
	t := &tmerc{el: el, lon0: lon0, k0: k0, fe: fe, fn: fn, e2: el.E2()}
	t.e = math.Sqrt(t.e2)
	rectA := el.A / (1 + n) * (1 + n2/4 + n4/64 + n6/256)
	t.kA = k0 * rectA
	t.alp = [6]float64{
		n/2 - 2*n2/3 + 5*n3/16 + 41*n4/180 - 127*n5/288 + 7891*n6/37800,
		13*n2/48 - 3*n3/5 + 557*n4/1440 + 281*n5/630 - 1983433*n6/1935360,
		61*n3/240 - 103*n4/140 + 15061*n5/26880 + 167603*n6/181440,
		49561*n4/161280 - 179*n5/168 + 6601661*n6/7257600,
		34729*n5/80640 - 3418889*n6/1995840,
		212378941 * n6 / 319334400,
	}
	t.bet = [6]float64{
		n/2 - 2*n2/3 + 37*n3/96 - n4/360 - 81*n5/512 + 96199*n6/604800,
		n2/48 + n3/15 - 437*n4/1440 + 46*n5/105 - 1118711*n6/3870720,
		17*n3/480 - 37*n4/840 - 209*n5/4480 + 5569*n6/90720,
		4397*n4/161280 - 11*n5/504 - 830251*n6/7257600,
		4583*n5/161280 - 108847*n6/3991680,
		20648693 * n6 / 638668800,
	}
	if lat0 != 0 {
		// ξ of the origin: conformal latitude on the central meridian,
		// mapped through the forward series with η = 0.
		chi := math.Atan(conformalTau(math.Tan(lat0), t.e))
		t.xi0 = real(complex(chi, 0) + clenshawSin(t.alp, complex(chi, 0)))
	}
	return t
}

// conformalTau returns tan χ for τ = tan φ (Karney 2011, eq. 7–9).
func conformalTau(tau, e float64) float64 {
	sig := math.Sinh(e * math.Atanh(e*tau/math.Hypot(1, tau)))
	return math.Hypot(1, sig)*tau - sig*math.Hypot(1, tau)
}

// geodeticTau inverts conformalTau by Newton's method (Karney 2011, eq. 19–21).
func geodeticTau(taup, e float64) float64 {
	e2 := e * e
	tau := taup / (1 - e2)
	for i := 0; i < 8; i++ {
		tp := conformalTau(tau, e)
		d := (taup - tp) * (1 + (1-e2)*tau*tau) /
			((1 - e2) * math.Hypot(1, tau) * math.Hypot(1, tp))
		tau += d
		if math.Abs(d) <= 1e-14*math.Max(1, math.Abs(tau)) {
			break
		}
	}
	return tau
}

// clenshawSin evaluates Σ c[j]·sin(2(j+1)ζ) for complex ζ by Clenshaw
// summation. With ζ = ξ + iη its real part is Σ c sin(2jξ)cosh(2jη) and its
// imaginary part Σ c cos(2jξ)sinh(2jη), i.e. both Krüger sums at once.
func clenshawSin(c [6]float64, z complex128) complex128 {
	a := 2 * cmplx.Cos(2*z)
	var b1, b2 complex128
	for j := len(c) - 1; j >= 0; j-- {
		b1, b2 = a*b1-b2+complex(c[j], 0), b1
	}
	return cmplx.Sin(2*z) * b1
}

func (t *tmerc) forward(lam, phi float64) (x, y float64, err error) {
	if math.Abs(phi) > math.Pi/2+1e-12 {
		return 0, 0, errOutOfRange
	}
	dl := lam - t.lon0
	sl, cl := math.Sincos(dl)
	taup := conformalTau(math.Tan(phi), t.e)
	xip := math.Atan2(taup, cl)
	etap := math.Asinh(sl / math.Hypot(taup, cl))
	z := complex(xip, etap)
	z += clenshawSin(t.alp, z)
	x = t.fe + t.kA*imag(z)
	y = t.fn + t.kA*(real(z)-t.xi0)
	if !finite(x) || !finite(y) {
		return 0, 0, errOutOfRange
	}
	return x, y, nil
}

func (t *tmerc) inverse(x, y float64) (lam, phi float64, err error) {
	xi := (y-t.fn)/t.kA + t.xi0
	eta := (x - t.fe) / t.kA
	if math.Abs(eta) > 10 || math.Abs(xi) > 10 { // far outside any sane domain
		return 0, 0, errOutOfRange
	}
	z := complex(xi, eta)
	z -= clenshawSin(t.bet, z)
	xip, etap := real(z), imag(z)
	sxi, cxi := math.Sincos(xip)
	seta := math.Sinh(etap)
	taup := sxi / math.Hypot(seta, cxi)
	lam = t.lon0 + math.Atan2(seta, cxi)
	phi = math.Atan(geodeticTau(taup, t.e))
	if !finite(lam) || !finite(phi) {
		return 0, 0, errOutOfRange
	}
	return lam, phi, nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
