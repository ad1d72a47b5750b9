package crs

import "math"

// helmert is a 7-parameter Position Vector transformation (EPSG method 9606,
// "geog2D domain": heights are taken as 0 and dropped, as PROJ does for 2D
// CRSs) from a source datum to WGS 84. Rotations use the EPSG small-angle
// matrix (GN 7-2 §4.3.3.1), which is what PROJ applies for +proj=helmert
// without +exact.
type helmert struct {
	src        Ellipsoid
	tx, ty, tz float64 // metres
	rx, ry, rz float64 // radians
	ds         float64 // scale difference (unitless, ppm·1e-6)
}

const arcsec = math.Pi / (180 * 3600)

// osgb36ToWGS84 is EPSG:1314 "OSGB36 to WGS 84 (6)", the transformation PROJ
// and GDAL pick for EPSG:27700 → EPSG:4326 when the OSTN15 grid is absent
// (accuracy about 2 m against OSTN15, but it is what PROJ outputs).
var osgb36ToWGS84 = &helmert{
	src: Airy1830,
	tx:  446.448, ty: -125.157, tz: 542.06,
	rx: 0.15 * arcsec, ry: 0.247 * arcsec, rz: 0.842 * arcsec,
	ds: -20.489e-6,
}

// toWGS84 maps geodetic coordinates (radians) on the source datum to WGS 84.
func (h *helmert) toWGS84(lam, phi float64) (float64, float64) {
	x, y, z := h.src.toECEF(lam, phi, 0)
	m := 1 + h.ds
	xt := h.tx + m*(x-h.rz*y+h.ry*z)
	yt := h.ty + m*(h.rz*x+y-h.rx*z)
	zt := h.tz + m*(-h.ry*x+h.rx*y+z)
	l, p, _ := WGS84.fromECEF(xt, yt, zt)
	return unwrapNear(l, lam), p
}

// fromWGS84 is the exact algebraic inverse of toWGS84 (solves the 3×3 system
// by Cramer's rule), used for round-trip checks and forward projection.
func (h *helmert) fromWGS84(lam, phi float64) (float64, float64) {
	xt, yt, zt := WGS84.toECEF(lam, phi, 0)
	m := 1 + h.ds
	bx, by, bz := (xt-h.tx)/m, (yt-h.ty)/m, (zt-h.tz)/m
	// R = [[1,-rz,ry],[rz,1,-rx],[-ry,rx,1]]
	r := [3][3]float64{{1, -h.rz, h.ry}, {h.rz, 1, -h.rx}, {-h.ry, h.rx, 1}}
	det := det3(r)
	col := func(c int) float64 {
		t := r
		t[0][c], t[1][c], t[2][c] = bx, by, bz
		return det3(t) / det
	}
	l, p, _ := h.src.fromECEF(col(0), col(1), col(2))
	return unwrapNear(l, lam), p
}

func det3(m [3][3]float64) float64 {
	return m[0][0]*(m[1][1]*m[2][2]-m[1][2]*m[2][1]) -
		m[0][1]*(m[1][0]*m[2][2]-m[1][2]*m[2][0]) +
		m[0][2]*(m[1][0]*m[2][1]-m[1][1]*m[2][0])
}

// unwrapNear returns l shifted by a multiple of 2π to lie within π of ref,
// preserving the continuity of longitudes across a datum shift.
func unwrapNear(l, ref float64) float64 {
	return l - 2*math.Pi*math.Round((l-ref)/(2*math.Pi))
}
