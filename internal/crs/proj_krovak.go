package crs

import (
	"fmt"
	"math"
)

// krovak is the Krovak oblique conic conformal projection (EPSG GN 7-2
// §3.2.4): Krovak (9819), Krovak (North Orientated) (1041), Krovak Modified
// (1042) and Krovak Modified (North Orientated) (1043).
//
// The ellipsoid is mapped conformally to the Gauss sphere (latitude U,
// tan(π/4 + U/2) = t0·e^(B·ψ), ψ the isometric latitude), rotated to the
// oblique pole at co-latitude αC (T, D), then projected on the cone of
// the pseudo standard parallel φP. The GN's asin forms of the rotation are
// written with atan2 and its latitude iteration in closed form via ψ.
//
// Axis order: 9819 and 1042 return (X, Y) = (southing, westing) as the
// EPSG formulas and CRSs (e.g. EPSG:5513) order them; the North
// Orientated methods return (easting, northing) = (−Y, −X).
type krovak struct {
	e, lnT0, bigB   float64
	lonO, sa, ca    float64 // αC
	n, r0, gdP      float64
	fe, fn          float64
	north, modified bool
}

func newKrovak(el Ellipsoid, latC, lonO, alphaC, latP, kP, fe, fn float64, north, modified bool) (*krovak, error) {
	if latP <= 0 || latP >= math.Pi/2 {
		return nil, fmt.Errorf("latitude of pseudo standard parallel must be in (0°, 90°)")
	}
	e2 := el.E2()
	e := math.Sqrt(e2)
	sC, cC := math.Sincos(latC)
	A := el.A * math.Sqrt(1-e2) / (1 - e2*sC*sC)
	B := math.Sqrt(1 + e2*cC*cC*cC*cC/(1-e2))
	g0 := math.Asin(sC / B)
	k := &krovak{e: e, bigB: B, lonO: lonO, fe: fe, fn: fn, north: north, modified: modified}
	k.lnT0 = gdInv(g0) - B*isoLat(latC, e)
	k.sa, k.ca = math.Sincos(alphaC)
	k.n = math.Sin(latP)
	k.r0 = kP * A / math.Tan(latP)
	k.gdP = gdInv(latP)
	return k, nil
}

// Constants of Krovak Modified (GN 7-2 §3.2.4.2): the reference point and
// the coefficients of the 5th-order polynomial correction.
const (
	krovX0 = 1089000.0
	krovY0 = 654000.0
)

var krovC = [10]float64{2.946529277e-02, 2.515965696e-02, 1.193845912e-07, -4.668270147e-07,
	9.233980362e-12, 1.523735715e-12, 1.696780024e-18, 4.408314235e-18, -8.331083518e-24, -3.689471323e-24}

// krovakDelta returns the corrections dX, dY of Krovak Modified at (Xp, Yp).
func krovakDelta(xp, yp float64) (dx, dy float64) {
	c := &krovC
	xr, yr := xp-krovX0, yp-krovY0
	x2, y2 := xr*xr, yr*yr
	dx = c[0] + c[2]*xr - c[3]*yr - 2*c[5]*xr*yr + c[4]*(x2-y2) + c[6]*xr*(x2-3*y2) -
		c[7]*yr*(3*x2-y2) + 4*c[8]*xr*yr*(x2-y2) + c[9]*(x2*x2+y2*y2-6*x2*y2)
	dy = c[1] + c[2]*yr + c[3]*xr + 2*c[4]*xr*yr + c[5]*(x2-y2) + c[7]*xr*(x2-3*y2) +
		c[6]*yr*(3*x2-y2) - 4*c[9]*xr*yr*(x2-y2) + c[8]*(x2*x2+y2*y2-6*x2*y2)
	return dx, dy
}

func (k *krovak) forward(lam, phi float64) (x, y float64, err error) {
	if err := checkLatLon(lam, phi); err != nil {
		return 0, 0, err
	}
	var U float64
	if math.Abs(phi) >= math.Pi/2-1e-12 {
		U = math.Copysign(math.Pi/2, phi)
	} else {
		U = gd(k.lnT0 + k.bigB*isoLat(phi, k.e))
	}
	V := k.bigB * (k.lonO - lam)
	sU, cU := math.Sincos(U)
	sV, cV := math.Sincos(V)
	sT := k.ca*sU + k.sa*cU*cV
	T := math.Asin(math.Max(-1, math.Min(1, sT)))
	D := math.Atan2(cU*sV, k.ca*cU*cV-k.sa*sU)
	if T <= -math.Pi/2+1e-12 { // the cone's far apex
		return 0, 0, errOutOfRange
	}
	r := k.r0 * math.Exp(k.n*(k.gdP-gdInv(T)))
	st, ct := math.Sincos(k.n * D)
	xp, yp := r*ct, r*st
	if k.modified {
		dx, dy := krovakDelta(xp, yp)
		xp, yp = xp-dx, yp-dy
	}
	X, Y := xp+k.fn, yp+k.fe
	if k.north {
		return done(-Y, -X)
	}
	return done(X, Y)
}

func (k *krovak) inverse(x, y float64) (lam, phi float64, err error) {
	X, Y := x, y
	if k.north {
		X, Y = -y, -x
	}
	xp, yp := X-k.fn, Y-k.fe
	if !finite(xp) || !finite(yp) {
		return 0, 0, errOutOfRange
	}
	if k.modified {
		// Xp = X − FN + dX(Xp): fixed-point iteration (the correction is
		// a few centimetres with tiny gradients).
		x0, y0 := xp, yp
		for i := 0; i < 10; i++ {
			dx, dy := krovakDelta(xp, yp)
			nx, ny := x0+dx, y0+dy
			conv := math.Abs(nx-xp) < 1e-10 && math.Abs(ny-yp) < 1e-10
			xp, yp = nx, ny
			if conv {
				break
			}
		}
	}
	r := math.Hypot(xp, yp)
	if r == 0 {
		return 0, 0, errOutOfRange // the cone's apex, the oblique pole
	}
	D := math.Atan2(yp, xp) / k.n
	T := gd(k.gdP - math.Log(r/k.r0)/k.n)
	sT, cT := math.Sincos(T)
	sD, cD := math.Sincos(D)
	U := math.Asin(math.Max(-1, math.Min(1, k.ca*sT-k.sa*cT*cD)))
	V := math.Atan2(cT*sD, k.sa*sT+k.ca*cT*cD)
	lam = k.lonO - V/k.bigB
	if math.Abs(U) >= math.Pi/2-1e-15 {
		return done(lam, U)
	}
	return done(lam, latFromIso((gdInv(U)-k.lnT0)/k.bigB, k.e))
}
