package crs

import "math"

// Ellipsoid is a reference ellipsoid given by its semi-major axis (metres)
// and inverse flattening. InvF == 0 denotes a sphere of radius A.
type Ellipsoid struct {
	Name string
	A    float64 // semi-major axis, metres
	InvF float64 // inverse flattening (0 for a sphere)
}

// Ellipsoids used by the supported CRSs (EPSG dataset values).
var (
	WGS84    = Ellipsoid{Name: "WGS 84", A: 6378137, InvF: 298.257223563}      // EPSG:7030
	GRS80    = Ellipsoid{Name: "GRS 1980", A: 6378137, InvF: 298.257222101}    // EPSG:7019
	Airy1830 = Ellipsoid{Name: "Airy 1830", A: 6377563.396, InvF: 299.3249646} // EPSG:7001
)

// F returns the flattening.
func (el Ellipsoid) F() float64 {
	if el.InvF == 0 {
		return 0
	}
	return 1 / el.InvF
}

// E2 returns the first eccentricity squared, e² = f(2-f).
func (el Ellipsoid) E2() float64 {
	f := el.F()
	return f * (2 - f)
}

// E returns the first eccentricity.
func (el Ellipsoid) E() float64 { return math.Sqrt(el.E2()) }

// toECEF converts geodetic latitude/longitude (radians) and ellipsoidal
// height (metres) to Earth-centred, Earth-fixed Cartesian coordinates
// (EPSG GN 7-2 §4.1.1, method 9602).
func (el Ellipsoid) toECEF(lam, phi, h float64) (x, y, z float64) {
	e2 := el.E2()
	sphi, cphi := math.Sincos(phi)
	slam, clam := math.Sincos(lam)
	nu := el.A / math.Sqrt(1-e2*sphi*sphi)
	x = (nu + h) * cphi * clam
	y = (nu + h) * cphi * slam
	z = ((1-e2)*nu + h) * sphi
	return x, y, z
}

// fromECEF is the inverse of toECEF. It iterates the latitude until it is
// stable to ~1e-15 rad (sub-nanometre), which converges in a few steps for
// points near the ellipsoid surface.
func (el Ellipsoid) fromECEF(x, y, z float64) (lam, phi, h float64) {
	e2 := el.E2()
	p := math.Hypot(x, y)
	lam = math.Atan2(y, x)
	if p == 0 { // on the polar axis
		b := el.A * (1 - el.F())
		if z >= 0 {
			return lam, math.Pi / 2, z - b
		}
		return lam, -math.Pi / 2, -z - b
	}
	phi = math.Atan2(z, p*(1-e2))
	for i := 0; i < 10; i++ {
		s := math.Sin(phi)
		nu := el.A / math.Sqrt(1-e2*s*s)
		next := math.Atan2(z+e2*nu*s, p)
		if math.Abs(next-phi) < 1e-15 {
			phi = next
			break
		}
		phi = next
	}
	s, c := math.Sincos(phi)
	nu := el.A / math.Sqrt(1-e2*s*s)
	if math.Abs(c) > 1e-10 {
		h = p/c - nu
	} else {
		h = math.Abs(z) - nu*(1-e2)
	}
	return lam, phi, h
}
