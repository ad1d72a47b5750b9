package crs

import (
	"fmt"
	"math"
)

// newMercatorB is Mercator (variant B), EPSG 9805: variant A with
// k0 = cos φ1 / √(1 − e² sin² φ1) from the latitude of the 1st standard
// parallel (GN 7-2 §3.5.1).
func newMercatorB(el Ellipsoid, lat1, lon0, fe, fn float64) (*mercator, error) {
	if math.Abs(lat1) >= math.Pi/2 {
		return nil, fmt.Errorf("latitude of 1st standard parallel must not be a pole")
	}
	e := el.E()
	return &mercator{a: el.A, e: e, k0: lccM(lat1, e), lon0: lon0, fe: fe, fn: fn}, nil
}

// newMercatorC is Mercator (variant C), EPSG 1044: variant B whose false
// origin (EF, NF) is at the latitude of false origin φF:
// N = (NF − a·k0·ψF) + a·k0·ψ.
func newMercatorC(el Ellipsoid, lat1, lon0, latF, ef, nf float64) (*mercator, error) {
	m, err := newMercatorB(el, lat1, lon0, ef, nf)
	if err != nil {
		return nil, err
	}
	if math.Abs(latF) >= math.Pi/2 {
		return nil, fmt.Errorf("latitude of false origin must not be a pole")
	}
	m.fn = nf - m.a*m.k0*isoLat(latF, m.e)
	return m, nil
}

// lcea is Lambert Cylindrical Equal Area, EPSG 9835 (ellipsoidal, Snyder
// 1987 eq. 10-…; GN 7-2 §3.4.3), and with sphere its spherical form EPSG
// 9834, where R is the radius of the authalic sphere when the figure of the
// earth is an ellipsoid (GN 7-2; PROJ ≥ 9.2 "+R_A").
type lcea struct {
	au           authalic
	a, k0        float64 // ellipsoidal: a, k0 = cos φ1/√(1 − e² sin² φ1); spherical: R, cos φ1
	lon0, fe, fn float64
	sphere       bool
}

func newLCEA(el Ellipsoid, lat1, lon0, fe, fn float64, sphere bool) (*lcea, error) {
	if math.Abs(lat1) >= math.Pi/2 {
		return nil, fmt.Errorf("latitude of 1st standard parallel must not be a pole")
	}
	au := newAuthalic(el)
	p := &lcea{au: au, lon0: lon0, fe: fe, fn: fn, sphere: sphere}
	if sphere {
		p.a, p.k0 = au.radius(el.A), math.Cos(lat1)
	} else {
		p.a, p.k0 = el.A, lccM(lat1, au.e)
	}
	return p, nil
}

func (p *lcea) forward(lam, phi float64) (x, y float64, err error) {
	if err := checkLatLon(lam, phi); err != nil {
		return 0, 0, err
	}
	x = p.fe + p.a*p.k0*(lam-p.lon0)
	if p.sphere {
		return done(x, p.fn+p.a*math.Sin(phi)/p.k0)
	}
	return done(x, p.fn+p.a*p.au.q(phi)/(2*p.k0))
}

func (p *lcea) inverse(x, y float64) (lam, phi float64, err error) {
	lam = p.lon0 + (x-p.fe)/(p.a*p.k0)
	s := (y - p.fn) * p.k0 / p.a // sin φ (sphere) or q/2
	if p.sphere {
		if math.Abs(s) > 1+1e-12 {
			return 0, 0, errOutOfRange
		}
		return done(lam, math.Asin(math.Max(-1, math.Min(1, s))))
	}
	if math.Abs(2*s) > p.au.qp*(1+1e-12) {
		return 0, 0, errOutOfRange
	}
	return done(lam, p.au.lat(2*s))
}

// eqc is Equidistant Cylindrical, EPSG 1028 (ellipsoidal: E = FE + ν1 cos φ1
// (λ − λ0), N = FN + M(φ)), and with sphere its spherical form EPSG 1029
// (and the deprecated 9823): E = FE + R cos φ1 (λ − λ0), N = FN + R φ with
// R = a, as PROJ's eqc computes it (e.g. for EPSG:32662).
//
// PROJ evaluated EPSG 1028 with the spherical formulas too (+proj=eqc
// ignored the flattening until PROJ PR #4656, 2026): GDAL 3.6 / PROJ 9.1
// northings of EPSG:4087 differ from these, the EPSG ones, by up to 25.3 km
// (at 55°N; 16.8 km at the poles).
type eqc struct {
	mer          *meridian
	a, xScale    float64 // a, ν1 cos φ1 (or R cos φ1)
	lon0, fe, fn float64
	sphere       bool
}

func newEqc(el Ellipsoid, lat1, lon0, fe, fn float64, sphere bool) (*eqc, error) {
	if math.Abs(lat1) >= math.Pi/2 {
		return nil, fmt.Errorf("latitude of 1st standard parallel must not be a pole")
	}
	p := &eqc{a: el.A, lon0: lon0, fe: fe, fn: fn, sphere: sphere}
	if sphere {
		p.xScale = el.A * math.Cos(lat1)
	} else {
		p.mer = newMeridian(el)
		nu1, _ := nuRho(el.A, el.E2(), lat1)
		p.xScale = nu1 * math.Cos(lat1)
	}
	return p, nil
}

func (p *eqc) forward(lam, phi float64) (x, y float64, err error) {
	if err := checkLatLon(lam, phi); err != nil {
		return 0, 0, err
	}
	phi = clampLat(phi)
	x = p.fe + p.xScale*(lam-p.lon0)
	if p.sphere {
		return done(x, p.fn+p.a*phi)
	}
	return done(x, p.fn+p.mer.arc(phi))
}

func (p *eqc) inverse(x, y float64) (lam, phi float64, err error) {
	lam = p.lon0 + (x-p.fe)/p.xScale
	if p.sphere {
		phi = (y - p.fn) / p.a
		if math.Abs(phi) > math.Pi/2+1e-12 {
			return 0, 0, errOutOfRange
		}
		return done(lam, clampLat(phi))
	}
	M := y - p.fn
	if math.Abs(M) > p.mer.arc(math.Pi/2)*(1+1e-12) {
		return 0, 0, errOutOfRange
	}
	return done(lam, p.mer.lat(M))
}

// equalEarth is Equal Earth, EPSG 1078 (Šavrič, Patterson & Jenny 2018;
// GN 7-2 §3.4.4): the polynomial of θ, sin θ = (√3/2) sin β, on the
// authalic sphere (β the authalic latitude, R the authalic radius).
type equalEarth struct {
	au           authalic
	r            float64
	lon0, fe, fn float64
}

const (
	eeA1 = 1.340264
	eeA2 = -0.081106
	eeA3 = 0.000893
	eeA4 = 0.003796
)

func newEqualEarth(el Ellipsoid, lon0, fe, fn float64) *equalEarth {
	au := newAuthalic(el)
	return &equalEarth{au: au, r: au.radius(el.A), lon0: lon0, fe: fe, fn: fn}
}

func eeY(t float64) float64 {
	t2 := t * t
	t6 := t2 * t2 * t2
	return t * (eeA1 + eeA2*t2 + t6*(eeA3+eeA4*t2))
}

func eeDY(t float64) float64 {
	t2 := t * t
	t6 := t2 * t2 * t2
	return eeA1 + 3*eeA2*t2 + t6*(7*eeA3+9*eeA4*t2)
}

func (p *equalEarth) forward(lam, phi float64) (x, y float64, err error) {
	if err := checkLatLon(lam, phi); err != nil {
		return 0, 0, err
	}
	sb := math.Max(-1, math.Min(1, p.au.q(phi)/p.au.qp))
	t := math.Asin(math.Sqrt(3) / 2 * sb)
	x = p.r * 2 * (lam - p.lon0) * math.Cos(t) / (math.Sqrt(3) * eeDY(t))
	return done(p.fe+x, p.fn+p.r*eeY(t))
}

func (p *equalEarth) inverse(x, y float64) (lam, phi float64, err error) {
	yy := (y - p.fn) / p.r
	tMax := math.Pi / 3 // θ at the poles: asin(√3/2)
	if !finite(yy) || math.Abs(yy) > eeY(tMax)*(1+1e-12) {
		return 0, 0, errOutOfRange
	}
	t := yy / eeA1
	for i := 0; i < 20; i++ {
		d := (eeY(t) - yy) / eeDY(t)
		t -= d
		if math.Abs(d) < 1e-15 {
			break
		}
	}
	t = math.Max(-tMax, math.Min(tMax, t))
	dl := (x - p.fe) / p.r * math.Sqrt(3) * eeDY(t) / (2 * math.Cos(t))
	if !finite(dl) || math.Abs(dl) > math.Pi*(1+1e-9) {
		return 0, 0, errOutOfRange
	}
	sb := math.Max(-1, math.Min(1, 2*math.Sin(t)/math.Sqrt(3)))
	return done(p.lon0+dl, p.au.lat(sb*p.au.qp))
}

// tmZoned is Transverse Mercator Zoned Grid System, EPSG 9824 (GN 7-2
// §3.5.3.2): the zone Z = ⌊(λ − λI)/W⌋ + 1 selects the central meridian
// λI + (Z − ½)W and prefixes the easting: E = Z·10⁶ + FE + x. The reverse
// reads Z from the easting.
type tmZoned struct {
	tm          *tmerc // central meridian 0
	lonI, width float64
	zones       int
	fe          float64
}

func newTMZoned(el Ellipsoid, lat0, lonI, width, k0, fe, fn float64) (*tmZoned, error) {
	if width <= 0 || width > math.Pi {
		return nil, fmt.Errorf("zone width must be in (0°, 180°]")
	}
	z := int(math.Round(2 * math.Pi / width))
	return &tmZoned{tm: newTmerc(el, lat0, 0, k0, 0, fn), lonI: lonI, width: width, zones: z, fe: fe}, nil
}

func (p *tmZoned) forward(lam, phi float64) (x, y float64, err error) {
	if err := checkLatLon(lam, phi); err != nil {
		return 0, 0, err
	}
	off := math.Mod(lam-p.lonI, 2*math.Pi)
	if off < 0 {
		off += 2 * math.Pi
	}
	z := int(off/p.width) + 1
	if z > p.zones {
		z = p.zones
	}
	lon0 := p.lonI + (float64(z)-0.5)*p.width
	dl := math.Remainder(lam-lon0, 2*math.Pi)
	x, y, err = p.tm.forward(dl, phi)
	if err != nil {
		return 0, 0, err
	}
	return float64(z)*1e6 + p.fe + x, y, nil
}

func (p *tmZoned) inverse(x, y float64) (lam, phi float64, err error) {
	if !finite(x) {
		return 0, 0, errOutOfRange
	}
	z := math.Floor(x / 1e6)
	if z < 1 || z > float64(p.zones) {
		return 0, 0, errOutOfRange
	}
	lam, phi, err = p.tm.inverse(x-z*1e6-p.fe, y)
	if err != nil {
		return 0, 0, err
	}
	return lam + p.lonI + (z-0.5)*p.width, phi, nil
}
