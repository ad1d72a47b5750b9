package crs

import (
	"fmt"
	"math"
)

// polarStereo is Polar Stereographic (EPSG GN 7-2 §3.5.2), variants A
// (9810), B (9829) and C (9830), all reduced to
//
//	ρ = 2·a·k0·t / √((1+e)^(1+e)·(1−e)^(1−e)),  t = tan(π/4 − χ/2) for the north pole
//	E = FE + ρ sin(λ − λ0);  N = FN ∓ ρ cos(λ − λ0)   (− north, + south)
//
// with t computed from the conformal latitude χ so that it stays exact near
// the pole. Variant B derives k0 from the standard parallel; variant C
// moves the false origin to the standard parallel.
type polarStereo struct {
	e, lon0, fe, fn float64
	south           bool
	scale           float64 // 2·a·k0/√(…)
}

func polarStereoCoef(e float64) float64 {
	return math.Sqrt(math.Pow(1+e, 1+e) * math.Pow(1-e, 1-e))
}

// polarT returns t for the north-pole aspect: tan(π/4 − χ/2) = 1/(tan χ + sec χ).
func polarT(phi, e float64) float64 {
	tp := conformalTau(math.Tan(phi), e)
	if tp < 0 { // avoid cancellation far from the north pole
		return math.Hypot(1, tp) - tp
	}
	return 1 / (tp + math.Hypot(1, tp))
}

// newPolarStereoA: variant A, latitude of natural origin ±90°.
func newPolarStereoA(el Ellipsoid, lat0, lon0, k0, fe, fn float64) (*polarStereo, error) {
	if math.Abs(math.Abs(lat0)-math.Pi/2) > 1e-9 {
		return nil, fmt.Errorf("latitude of natural origin must be ±90°")
	}
	e := el.E()
	return &polarStereo{e: e, lon0: lon0, fe: fe, fn: fn, south: lat0 < 0,
		scale: 2 * el.A * k0 / polarStereoCoef(e)}, nil
}

// newPolarStereoBC: variants B and C from the latitude of the standard
// parallel φF (its sign selects the pole). For C, (fe, fn) is the false
// origin on the standard parallel.
func newPolarStereoBC(el Ellipsoid, latF, lon0, fe, fn float64, variantC bool) (*polarStereo, error) {
	if latF == 0 || math.Abs(latF) > math.Pi/2 {
		return nil, fmt.Errorf("latitude of standard parallel must be in (0, ±90°]")
	}
	e := el.E()
	south := latF < 0
	var k0, rhoF float64
	if math.Abs(math.Abs(latF)-math.Pi/2) < 1e-12 {
		k0 = 1
	} else {
		mF := lccM(latF, e)
		tF := polarT(math.Abs(latF), e) // t of the standard parallel in its own hemisphere
		k0 = mF * polarStereoCoef(e) / (2 * tF)
		rhoF = el.A * mF
	}
	p := &polarStereo{e: e, lon0: lon0, fe: fe, fn: fn, south: south,
		scale: 2 * el.A * k0 / polarStereoCoef(e)}
	if variantC {
		if south {
			p.fn = fn - rhoF
		} else {
			p.fn = fn + rhoF
		}
	}
	return p, nil
}

func (p *polarStereo) forward(lam, phi float64) (x, y float64, err error) {
	if err := checkLatLon(lam, phi); err != nil {
		return 0, 0, err
	}
	if p.south {
		phi = -phi
	}
	if phi <= -math.Pi/2+1e-12 { // the other pole is at infinity
		return 0, 0, errOutOfRange
	}
	rho := 0.0
	if phi < math.Pi/2 {
		rho = p.scale * polarT(phi, p.e)
	}
	s, c := math.Sincos(lam - p.lon0)
	if p.south {
		return done(p.fe+rho*s, p.fn+rho*c)
	}
	return done(p.fe+rho*s, p.fn-rho*c)
}

func (p *polarStereo) inverse(x, y float64) (lam, phi float64, err error) {
	dx, dy := x-p.fe, y-p.fn
	rho := math.Hypot(dx, dy)
	if !finite(rho) {
		return 0, 0, errOutOfRange
	}
	pole := math.Pi / 2
	if p.south {
		pole = -pole
	}
	if rho == 0 {
		return p.lon0, pole, nil
	}
	t := rho / p.scale
	// tan χ = (1 − t²)/(2t) for the north aspect.
	phi = math.Atan(geodeticTau((1-t*t)/(2*t), p.e))
	if p.south {
		return done(p.lon0+math.Atan2(dx, dy), -phi)
	}
	return done(p.lon0+math.Atan2(dx, -dy), phi)
}

// obliqueStereo is Oblique Stereographic, EPSG 9809 (GN 7-2 §3.5.1, the
// "double" projection: conformal sphere of Gauss/Schreiber, then the
// spherical stereographic). The conformal latitude on the sphere is
// χ = gd(½ ln c + n·ψ), ψ the isometric latitude, which is GN's
// w = c·(Sa·Sb^e)^n, sin χ = (w − 1)/(w + 1) written without overflow.
type obliqueStereo struct {
	e, n, halfLnC  float64
	chi0, lon0     float64
	sChi0, cChi0   float64
	twoRk0, fe, fn float64
}

func newObliqueStereo(el Ellipsoid, lat0, lon0, k0, fe, fn float64) (*obliqueStereo, error) {
	if math.Abs(lat0) >= math.Pi/2 {
		return nil, fmt.Errorf("latitude of natural origin must not be a pole (use Polar Stereographic)")
	}
	e2 := el.E2()
	e := math.Sqrt(e2)
	nu0, rho0 := nuRho(el.A, e2, lat0)
	s0, c0 := math.Sincos(lat0)
	n := math.Sqrt(1 + e2*c0*c0*c0*c0/(1-e2))
	psi0 := isoLat(lat0, e)
	// w1 = exp(2nψ0); sin χ0 = (w1 − 1)/(w1 + 1) = tanh(nψ0).
	sinChi := math.Tanh(n * psi0)
	c := (n + s0) * (1 - sinChi) / ((n - s0) * (1 + sinChi))
	p := &obliqueStereo{e: e, n: n, halfLnC: math.Log(c) / 2, lon0: lon0, fe: fe, fn: fn}
	p.chi0 = gd(p.halfLnC + n*psi0)
	p.sChi0, p.cChi0 = math.Sincos(p.chi0)
	p.twoRk0 = 2 * math.Sqrt(rho0*nu0) * k0
	return p, nil
}

func (p *obliqueStereo) forward(lam, phi float64) (x, y float64, err error) {
	if err := checkLatLon(lam, phi); err != nil {
		return 0, 0, err
	}
	var chi float64
	if math.Abs(phi) >= math.Pi/2 {
		chi = phi
	} else {
		chi = gd(p.halfLnC + p.n*isoLat(phi, p.e))
	}
	dl := p.n * (lam - p.lon0)
	sc, cc := math.Sincos(chi)
	sl, cl := math.Sincos(dl)
	B := 1 + sc*p.sChi0 + cc*p.cChi0*cl
	if B < 1e-12 { // antipode of the origin
		return 0, 0, errOutOfRange
	}
	return done(p.fe+p.twoRk0*cc*sl/B, p.fn+p.twoRk0*(sc*p.cChi0-cc*p.sChi0*cl)/B)
}

func (p *obliqueStereo) inverse(x, y float64) (lam, phi float64, err error) {
	dx, dy := x-p.fe, y-p.fn
	rho := math.Hypot(dx, dy)
	if !finite(rho) {
		return 0, 0, errOutOfRange
	}
	if rho == 0 {
		return p.lon0, latFromIso((gdInv(p.chi0)-p.halfLnC)/p.n, p.e), nil
	}
	c := 2 * math.Atan(rho/p.twoRk0)
	sc, cc := math.Sincos(c)
	chi := math.Asin(math.Max(-1, math.Min(1, cc*p.sChi0+dy*sc*p.cChi0/rho)))
	dl := math.Atan2(dx*sc, rho*p.cChi0*cc-dy*p.sChi0*sc)
	if math.Abs(chi) >= math.Pi/2-1e-15 {
		return done(p.lon0+dl/p.n, chi)
	}
	return done(p.lon0+dl/p.n, latFromIso((gdInv(chi)-p.halfLnC)/p.n, p.e))
}
