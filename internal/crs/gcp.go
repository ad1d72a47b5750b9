package crs

import (
	"errors"
	"fmt"
	"math"
)

// GCP is a ground control point: the raster position (Pixel, Line, in pixels
// from the top-left corner of the image) of a point whose coordinates in the
// GCPs' CRS are X, Y (Z is carried but unused). It has the layout of
// geotiff.GCP, which converts to it element by element: crs.GCP(g).
type GCP struct {
	Pixel, Line float64
	X, Y, Z     float64
}

// ErrGCP is wrapped by the errors of NewGCPTransformer and
// NewTPSTransformer: too few GCPs for the order, or GCPs in a configuration
// that determines no transformation (collinear, duplicated).
var ErrGCP = errors.New("cannot fit a transformation to the GCPs")

// maxGCPOrder is the highest polynomial order GDAL accepts.
const maxGCPOrder = 3

// GCPTransformer is GDAL's GCP polynomial transformer (alg/gdal_crs.cpp,
// GDALCreateGCPTransformer, from GRASS's CRS.C): least-squares polynomials of
// order 1, 2 or 3 from pixel/line to the GCPs' CRS and back, fitted on
// coordinates centred on the mean of the GCPs (GDAL's normalisation), solved
// by the same Gauss–Jordan elimination with partial pivoting. With exactly
// as many GCPs as coefficients the polynomial interpolates them.
type GCPTransformer struct {
	order                           int
	toX, toY, fromX, fromY          [10]float64
	pixMean, lineMean, xMean, yMean float64
	gcps                            int
}

// AutoGCPOrder is the polynomial order GDAL picks when none is requested
// (nReqOrder 0, the default of gdalwarp, gdaltransform and the warper): 2
// with 6 GCPs or more — never 3, "unstable" — else 1.
func AutoGCPOrder(n int) int {
	if n >= 6 {
		return 2
	}
	return 1
}

// NewGCPTransformer fits GDAL's polynomial of the given order (1–3; 0 picks
// AutoGCPOrder, as GDAL does) to the GCPs. It fails, wrapping ErrGCP, when
// there are fewer GCPs than coefficients (3, 6, 10) or when they determine
// no polynomial (GDAL: "Transform is not solvable"), in either direction.
func NewGCPTransformer(gcps []GCP, order int) (*GCPTransformer, error) {
	if order == 0 {
		order = AutoGCPOrder(len(gcps))
	}
	if order < 1 || order > maxGCPOrder {
		return nil, fmt.Errorf("crs: GCP polynomial order %d out of range [0, %d]: %w", order, maxGCPOrder, ErrGCP)
	}
	n := (order + 1) * (order + 2) / 2
	if len(gcps) < n {
		return nil, fmt.Errorf("crs: %d GCPs for a polynomial of order %d, which needs at least %d: %w", len(gcps), order, n, ErrGCP)
	}
	t := &GCPTransformer{order: order, gcps: len(gcps)}
	for _, g := range gcps {
		if !finite(g.Pixel) || !finite(g.Line) || !finite(g.X) || !finite(g.Y) {
			return nil, fmt.Errorf("crs: non-finite GCP %+v: %w", g, ErrGCP)
		}
		t.pixMean += g.Pixel
		t.lineMean += g.Line
		t.xMean += g.X
		t.yMean += g.Y
	}
	k := float64(len(gcps))
	t.pixMean, t.lineMean, t.xMean, t.yMean = t.pixMean/k, t.lineMean/k, t.xMean/k, t.yMean/k

	pix := make([][2]float64, len(gcps))
	geo := make([][2]float64, len(gcps))
	for i, g := range gcps {
		pix[i] = [2]float64{g.Pixel, g.Line}
		geo[i] = [2]float64{g.X, g.Y}
	}
	if err := fitPolynomial(pix, geo, t.pixMean, t.lineMean, order, &t.toX, &t.toY); err != nil {
		return nil, fmt.Errorf("crs: pixel/line → CRS polynomial of order %d: %w", order, err)
	}
	if err := fitPolynomial(geo, pix, t.xMean, t.yMean, order, &t.fromX, &t.fromY); err != nil {
		return nil, fmt.Errorf("crs: CRS → pixel/line polynomial of order %d: %w", order, err)
	}
	return t, nil
}

// Order returns the order of the polynomials.
func (t *GCPTransformer) Order() int { return t.order }

// Forward maps pixel/line to the GCPs' CRS.
func (t *GCPTransformer) Forward(pixel, line float64) (x, y float64) {
	return polyEval(pixel-t.pixMean, line-t.lineMean, &t.toX, &t.toY, t.order)
}

// Inverse maps coordinates of the GCPs' CRS to pixel/line with the reverse
// polynomial fitted on the same GCPs (not the exact inverse of Forward).
func (t *GCPTransformer) Inverse(x, y float64) (pixel, line float64) {
	return polyEval(x-t.xMean, y-t.yMean, &t.fromX, &t.fromY, t.order)
}

// PixelToCRS is Forward with the signature FootprintFunc takes.
func (t *GCPTransformer) PixelToCRS(pixel, line float64) (x, y float64, err error) {
	x, y = t.Forward(pixel, line)
	if !finite(x) || !finite(y) {
		return 0, 0, fmt.Errorf("crs: GCP polynomial: pixel (%g, %g) maps to (%v, %v)", pixel, line, x, y)
	}
	return x, y, nil
}

// polyTerm returns term i (0-based) of GDAL's ordering:
// 1, e, n, e², en, n², e³, e²n, en², n³.
func polyTerm(i int, e, n float64) float64 {
	switch i {
	case 0:
		return 1
	case 1:
		return e
	case 2:
		return n
	case 3:
		return e * e
	case 4:
		return e * n
	case 5:
		return n * n
	case 6:
		return e * e * e
	case 7:
		return e * e * n
	case 8:
		return e * n * n
	case 9:
		return n * n * n
	}
	return 0
}

// polyEval is GDAL's CRS_georef.
func polyEval(e, n float64, E, N *[10]float64, order int) (float64, float64) {
	switch order {
	case 1:
		return E[0] + E[1]*e + E[2]*n, N[0] + N[1]*e + N[2]*n
	case 2:
		e2, n2, en := e*e, n*n, e*n
		return E[0] + E[1]*e + E[2]*n + E[3]*e2 + E[4]*en + E[5]*n2,
			N[0] + N[1]*e + N[2]*n + N[3]*e2 + N[4]*en + N[5]*n2
	default:
		e2, en, n2 := e*e, e*n, n*n
		e3, e2n, en2, n3 := e*e2, e2*n, e*n2, n*n2
		return E[0] + E[1]*e + E[2]*n + E[3]*e2 + E[4]*en + E[5]*n2 + E[6]*e3 + E[7]*e2n + E[8]*en2 + E[9]*n3,
			N[0] + N[1]*e + N[2]*n + N[3]*e2 + N[4]*en + N[5]*n2 + N[6]*e3 + N[7]*e2n + N[8]*en2 + N[9]*n3
	}
}

// fitPolynomial is GDAL's calccoef: the coefficients E, N of the polynomials
// of (from - mean) giving to[·][0] and to[·][1], exactly (exactdet) with as
// many points as terms, else by least squares over the normal equations
// (calcls).
func fitPolynomial(from, to [][2]float64, meanE, meanN float64, order int, E, N *[10]float64) error {
	m := (order + 1) * (order + 2) / 2
	mat := make([]float64, m*m)
	a := make([]float64, m)
	b := make([]float64, m)
	at := func(i, j int) *float64 { return &mat[i*m+j] }
	if len(from) == m {
		for r, p := range from {
			for j := 0; j < m; j++ {
				*at(r, j) = polyTerm(j, p[0]-meanE, p[1]-meanN)
			}
			a[r], b[r] = to[r][0], to[r][1]
		}
	} else {
		for k, p := range from {
			e, n := p[0]-meanE, p[1]-meanN
			for i := 0; i < m; i++ {
				ti := polyTerm(i, e, n)
				for j := i; j < m; j++ {
					*at(i, j) += ti * polyTerm(j, e, n)
				}
				a[i] += to[k][0] * ti
				b[i] += to[k][1] * ti
			}
		}
		for i := 1; i < m; i++ {
			for j := 0; j < i; j++ {
				*at(i, j) = *at(j, i)
			}
		}
	}
	// solvemat: Gauss–Jordan with partial pivoting.
	for i := 0; i < m; i++ {
		pivot, mark := *at(i, i), i
		for i2 := i + 1; i2 < m; i2++ {
			if math.Abs(*at(i2, i)) > math.Abs(pivot) {
				pivot, mark = *at(i2, i), i2
			}
		}
		if pivot == 0 || !finite(pivot) {
			return fmt.Errorf("the GCPs determine no polynomial (collinear or duplicated points): %w", ErrGCP)
		}
		if mark != i {
			for j := 0; j < m; j++ {
				*at(mark, j), *at(i, j) = *at(i, j), *at(mark, j)
			}
			a[mark], a[i] = a[i], a[mark]
			b[mark], b[i] = b[i], b[mark]
		}
		for i2 := 0; i2 < m; i2++ {
			if i2 == i {
				continue
			}
			f := *at(i2, i) / pivot
			for j := i; j < m; j++ {
				*at(i2, j) -= f * *at(i, j)
			}
			a[i2] -= f * a[i]
			b[i2] -= f * b[i]
		}
	}
	for i := 0; i < m; i++ {
		E[i], N[i] = a[i] / *at(i, i), b[i] / *at(i, i)
		if !finite(E[i]) || !finite(N[i]) {
			return fmt.Errorf("the GCPs determine no polynomial: %w", ErrGCP)
		}
	}
	return nil
}

// maxTPSGCPs bounds the dense (n+3)² system of the thin-plate spline.
const maxTPSGCPs = 2000

// TPSTransformer is a thin-plate spline through the GCPs, GDAL's
// GDALCreateTPSTransformer (alg/gdal_tps.cpp, alg/thinplatespline.cpp),
// which GDAL uses only when asked (gdalwarp -tps, METHOD=GCP_TPS): it
// interpolates every GCP exactly, with the kernel r²·log r² plus an affine
// part, and is the smoothest such surface.
type TPSTransformer struct {
	px, py   []float64 // centred, scaled pixel/line of the GCPs
	wx, wy   []float64 // kernel weights for X and Y
	ax, ay   [3]float64
	pixMean  float64
	lineMean float64
	scale    float64 // pixels per unit of px, py
}

// NewTPSTransformer solves the thin-plate spline through the GCPs. It needs
// at least 3 GCPs not all on one line, no two at the same pixel/line, and
// at most 2000 of them (the system is dense); errors wrap ErrGCP.
func NewTPSTransformer(gcps []GCP) (*TPSTransformer, error) {
	n := len(gcps)
	if n < 3 {
		return nil, fmt.Errorf("crs: thin-plate spline: %d GCPs, need at least 3: %w", n, ErrGCP)
	}
	if n > maxTPSGCPs {
		return nil, fmt.Errorf("crs: thin-plate spline: %d GCPs, at most %d: %w", n, maxTPSGCPs, ErrGCP)
	}
	t := &TPSTransformer{px: make([]float64, n), py: make([]float64, n)}
	for _, g := range gcps {
		if !finite(g.Pixel) || !finite(g.Line) || !finite(g.X) || !finite(g.Y) {
			return nil, fmt.Errorf("crs: non-finite GCP %+v: %w", g, ErrGCP)
		}
		t.pixMean += g.Pixel / float64(n)
		t.lineMean += g.Line / float64(n)
	}
	// Centred and scaled into [-1, 1] for a well-conditioned system; the
	// interpolant is the same (scaling adds c·r² to the kernel, which the
	// side conditions Σw = Σw·x = Σw·y = 0 turn into a constant).
	for _, g := range gcps {
		t.scale = math.Max(t.scale, math.Max(math.Abs(g.Pixel-t.pixMean), math.Abs(g.Line-t.lineMean)))
	}
	if t.scale == 0 {
		return nil, fmt.Errorf("crs: thin-plate spline: all GCPs at one pixel: %w", ErrGCP)
	}
	for i, g := range gcps {
		t.px[i], t.py[i] = (g.Pixel-t.pixMean)/t.scale, (g.Line-t.lineMean)/t.scale
	}
	// [K P; Pᵀ 0] [w; a] = [v; 0], K_ij = U(|p_i - p_j|), P_i = (1, x_i, y_i).
	size := n + 3
	mat := make([]float64, size*size)
	rx := make([]float64, size)
	ry := make([]float64, size)
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			u := tpsKernel(t.px[i]-t.px[j], t.py[i]-t.py[j])
			mat[i*size+j], mat[j*size+i] = u, u
		}
		for k, v := range [3]float64{1, t.px[i], t.py[i]} {
			mat[i*size+n+k], mat[(n+k)*size+i] = v, v
		}
		rx[i], ry[i] = gcps[i].X, gcps[i].Y
	}
	if err := solveDense(mat, size, rx, ry); err != nil {
		return nil, fmt.Errorf("crs: thin-plate spline: %w", err)
	}
	t.wx, t.wy = rx[:n], ry[:n]
	copy(t.ax[:], rx[n:])
	copy(t.ay[:], ry[n:])
	return t, nil
}

// tpsKernel is the thin-plate radial basis r²·log r² (GDAL's
// VizGeorefSpline2DBase_func), 0 at r = 0.
func tpsKernel(dx, dy float64) float64 {
	r2 := dx*dx + dy*dy
	if r2 == 0 {
		return 0
	}
	return r2 * math.Log(r2)
}

// Forward maps pixel/line to the GCPs' CRS.
func (t *TPSTransformer) Forward(pixel, line float64) (x, y float64) {
	e, n := (pixel-t.pixMean)/t.scale, (line-t.lineMean)/t.scale
	x = t.ax[0] + t.ax[1]*e + t.ax[2]*n
	y = t.ay[0] + t.ay[1]*e + t.ay[2]*n
	for i := range t.px {
		u := tpsKernel(e-t.px[i], n-t.py[i])
		x += t.wx[i] * u
		y += t.wy[i] * u
	}
	return x, y
}

// PixelToCRS is Forward with the signature FootprintFunc takes.
func (t *TPSTransformer) PixelToCRS(pixel, line float64) (x, y float64, err error) {
	x, y = t.Forward(pixel, line)
	if !finite(x) || !finite(y) {
		return 0, 0, fmt.Errorf("crs: thin-plate spline: pixel (%g, %g) maps to (%v, %v)", pixel, line, x, y)
	}
	return x, y, nil
}

// solveDense solves mat·x = r1 and mat·x = r2 in place (Gaussian
// elimination with partial pivoting, then back substitution); mat is
// size×size, row-major.
func solveDense(mat []float64, size int, r1, r2 []float64) error {
	scale := 0.0
	for _, v := range mat {
		scale = math.Max(scale, math.Abs(v))
	}
	for c := 0; c < size; c++ {
		p := c
		for r := c + 1; r < size; r++ {
			if math.Abs(mat[r*size+c]) > math.Abs(mat[p*size+c]) {
				p = r
			}
		}
		if math.Abs(mat[p*size+c]) <= 1e-12*scale {
			return fmt.Errorf("the GCPs determine no spline (collinear or duplicated points): %w", ErrGCP)
		}
		if p != c {
			for j := 0; j < size; j++ {
				mat[p*size+j], mat[c*size+j] = mat[c*size+j], mat[p*size+j]
			}
			r1[p], r1[c] = r1[c], r1[p]
			r2[p], r2[c] = r2[c], r2[p]
		}
		piv := mat[c*size+c]
		for r := c + 1; r < size; r++ {
			f := mat[r*size+c] / piv
			if f == 0 {
				continue
			}
			row, prow := mat[r*size:(r+1)*size], mat[c*size:(c+1)*size]
			for j := c; j < size; j++ {
				row[j] -= f * prow[j]
			}
			r1[r] -= f * r1[c]
			r2[r] -= f * r2[c]
		}
	}
	for c := size - 1; c >= 0; c-- {
		s1, s2 := r1[c], r2[c]
		for j := c + 1; j < size; j++ {
			s1 -= mat[c*size+j] * r1[j]
			s2 -= mat[c*size+j] * r2[j]
		}
		r1[c], r2[c] = s1/mat[c*size+c], s2/mat[c*size+c]
	}
	return nil
}

// UnwrapGCPLongitudes returns a copy of GCPs whose X are longitudes in
// degrees, each shifted by a multiple of 360° to lie within 180° of the
// first GCP's, so that a scene crossing the antimeridian (GCPs at 179.9 and
// -179.9) gets a continuous polynomial. GDAL fits the GCPs as they are, which
// breaks such scenes; call this only for GCPs in a geographic CRS. The
// footprint of the result is then split at ±180° as usual.
func UnwrapGCPLongitudes(gcps []GCP) []GCP {
	out := append([]GCP(nil), gcps...)
	for i := 1; i < len(out); i++ {
		out[i].X = nearestLon(out[i].X, out[0].X)
	}
	return out
}
