package crs

import (
	"fmt"
	"math"
)

// hom is Hotine Oblique Mercator (EPSG GN 7-2 §3.5.5), variant A (9812:
// false easting/northing at the natural origin, where the centre line
// crosses the equator of the aposphere) and variant B (9815: easting and
// northing at the projection centre).
//
// The rectified grid angle γc rotates the skew (u, v) axes onto the grid:
//
//	E = v cos γc + u sin γc + FE,  N = u cos γc − v sin γc + FN
//
// which covers γc = αc (Alaska zone 1, Swiss and Hungarian grids with
// αc = γc = 90°), γc ≠ αc (Malaysian and Bornean RSO grids, γc = 53°07'48.3685″
// or its supplement) alike. GN's Q = H/t^B is evaluated as exp(ln H + B·ψ),
// ψ the isometric latitude, which stays finite at the poles.
type hom struct {
	e, a, bigB    float64 // A, B of GN
	lnH, sg0, cg0 float64 // γ0
	lon0          float64 // λ0, longitude of the natural origin
	sgc, cgc      float64 // γc
	uOff          float64 // |uc|·sign(φc) for variant B, else 0
	fe, fn        float64
}

func newHOM(el Ellipsoid, latC, lonC, alphaC, gammaC, kC, fe, fn float64, variantB bool) (*hom, error) {
	if math.Abs(latC) >= math.Pi/2 {
		return nil, fmt.Errorf("latitude of projection centre must not be a pole")
	}
	e2 := el.E2()
	e := math.Sqrt(e2)
	sC, cC := math.Sincos(latC)
	B := math.Sqrt(1 + e2*cC*cC*cC*cC/(1-e2))
	A := el.A * B * kC * math.Sqrt(1-e2) / (1 - e2*sC*sC)
	D := B * math.Sqrt(1-e2) / (cC * math.Sqrt(1-e2*sC*sC))
	D2m1 := math.Max(0, D*D-1) // D < 1 by rounding: D² taken as 1
	sign := 1.0
	if latC < 0 {
		sign = -1
	}
	F := D + math.Sqrt(D2m1)*sign
	G := (F - 1/F) / 2
	sa := math.Sin(alphaC)
	if math.Abs(sa/D) > 1 {
		return nil, fmt.Errorf("azimuth of initial line inconsistent with the latitude of projection centre")
	}
	g0 := math.Asin(sa / D)
	h := &hom{e: e, a: A, bigB: B, fe: fe, fn: fn}
	h.lnH = math.Log(F) - B*isoLat(latC, e)
	h.sg0, h.cg0 = math.Sincos(g0)
	// GN: λ0 = λc − asin(G tan γ0)/B. With G² = D² − 1 and sin γ0 = sin αc/D,
	// 1 − (G tan γ0)² = cos² αc / cos² γ0, so the arcsine is
	// atan2(G sin αc, D |cos αc|): exact where αc = 90° (Swiss, Hungarian
	// grids) makes G tan γ0 = 1 and asin loses half the digits (6 cm).
	h.lon0 = lonC - math.Atan2(G*sa, D*math.Abs(math.Cos(alphaC)))/B
	h.sgc, h.cgc = math.Sincos(gammaC)
	if variantB {
		uc := A / B * math.Atan(math.Sqrt(D2m1)/math.Cos(alphaC)) * sign
		h.uOff = math.Abs(uc) * sign
	}
	return h, nil
}

func (h *hom) forward(lam, phi float64) (x, y float64, err error) {
	if err := checkLatLon(lam, phi); err != nil {
		return 0, 0, err
	}
	lnQ := h.lnH + h.bigB*isoLat(clampLat(phi), h.e)
	S, T := math.Sinh(lnQ), math.Cosh(lnQ)
	sV, cV := math.Sincos(h.bigB * (lam - h.lon0))
	U := (-sV*h.cg0 + S*h.sg0) / T
	if math.Abs(U) >= 1-1e-12 { // at the poles of the centre line v is infinite
		return 0, 0, errOutOfRange
	}
	v := -h.a * math.Atanh(U) / h.bigB
	u := h.a*math.Atan2(S*h.cg0+sV*h.sg0, cV)/h.bigB - h.uOff
	return done(v*h.cgc+u*h.sgc+h.fe, u*h.cgc-v*h.sgc+h.fn)
}

func (h *hom) inverse(x, y float64) (lam, phi float64, err error) {
	dx, dy := x-h.fe, y-h.fn
	v := dx*h.cgc - dy*h.sgc
	u := dy*h.cgc + dx*h.sgc + h.uOff
	if !finite(u) || !finite(v) {
		return 0, 0, errOutOfRange
	}
	w := -h.bigB * v / h.a
	S, T := math.Sinh(w), math.Cosh(w)
	sV, cV := math.Sincos(h.bigB * u / h.a)
	U := (sV*h.cg0 + S*h.sg0) / T
	if math.Abs(U) >= 1 {
		return done(h.lon0, math.Copysign(math.Pi/2, U))
	}
	phi = latFromIso((math.Atanh(U)-h.lnH)/h.bigB, h.e)
	return done(h.lon0-math.Atan2(S*h.cg0-sV*h.sg0, cV)/h.bigB, phi)
}
