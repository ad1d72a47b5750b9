package crs

import "math"

// helmert is a 7-parameter Position Vector transformation between two
// datums (EPSG methods 9603/9606/9607 and their geocentric and geog3D
// variants; Coordinate Frame rotations are stored negated), optionally about
// a pivot point (Molodensky-Badekas, 9636/1063). Heights are taken as 0 and
// dropped ("geog2D domain"), as PROJ does for 2D CRSs. Rotations use the
// EPSG small-angle matrix (GN 7-2 §4.3.3.1), which is what PROJ applies for
// +proj=helmert without +exact:
//
//	X' = T + P + (1+ds)·R·(X − P),  R = [[1, −rz, ry], [rz, 1, −rx], [−ry, rx, 1]]
type helmert struct {
	src, tgt   Ellipsoid
	tx, ty, tz float64 // metres
	rx, ry, rz float64 // radians
	ds         float64 // scale difference (unitless, ppm·1e-6)
	px, py, pz float64 // pivot (Molodensky-Badekas), metres
}

const arcsec = math.Pi / (180 * 3600)

// fwd maps geodetic coordinates (radians) on the source datum to the target
// datum.
func (h *helmert) fwd(lam, phi float64) (float64, float64, error) {
	x, y, z := h.src.toECEF(lam, phi, 0)
	x, y, z = x-h.px, y-h.py, z-h.pz
	m := 1 + h.ds
	xt := h.tx + h.px + m*(x-h.rz*y+h.ry*z)
	yt := h.ty + h.py + m*(h.rz*x+y-h.rx*z)
	zt := h.tz + h.pz + m*(-h.ry*x+h.rx*y+z)
	l, p, _ := h.tgt.fromECEF(xt, yt, zt)
	return unwrapNear(l, lam), p, nil
}

// inv is PROJ's reverse Helmert: translation removed, then the transposed
// rotation matrix and the scale divided out (helmert_reverse_3d).
func (h *helmert) inv(lam, phi float64) (float64, float64, error) {
	xt, yt, zt := h.tgt.toECEF(lam, phi, 0)
	m := 1 + h.ds
	x, y, z := (xt-h.tx-h.px)/m, (yt-h.ty-h.py)/m, (zt-h.tz-h.pz)/m
	xs := x + h.rz*y - h.ry*z + h.px
	ys := -h.rz*x + y + h.rx*z + h.py
	zs := h.ry*x - h.rx*y + z + h.pz
	l, p, _ := h.src.fromECEF(xs, ys, zs)
	return unwrapNear(l, lam), p, nil
}

func (h *helmert) identity() bool {
	return h.tx == 0 && h.ty == 0 && h.tz == 0 && h.rx == 0 && h.ry == 0 && h.rz == 0 && h.ds == 0 &&
		h.src.A == h.tgt.A && h.src.InvF == h.tgt.InvF
}

// unwrapNear returns l shifted by a multiple of 2π to lie within π of ref,
// preserving the continuity of longitudes across a datum shift.
func unwrapNear(l, ref float64) float64 {
	return l - 2*math.Pi*math.Round((l-ref)/(2*math.Pi))
}
