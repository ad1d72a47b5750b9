package crs

import "fmt"

// Params holds the parameter values of a map projection (an EPSG
// "conversion"), keyed by EPSG parameter code and normalised: angles in
// radians, lengths in metres, scale factors unitless. Longitudes are relative
// to the prime meridian of the base geographic CRS.
type Params map[int]float64

// EPSG parameter codes used by the conversion methods.
const (
	pLatNatOrigin   = 8801 // Latitude of natural origin
	pLonNatOrigin   = 8802 // Longitude of natural origin
	pScaleNatOrigin = 8805 // Scale factor at natural origin
	pFalseEasting   = 8806
	pFalseNorthing  = 8807
	pLatFalseOrigin = 8821 // Latitude of false origin
	pLonFalseOrigin = 8822 // Longitude of false origin
	pLatStdPar1     = 8823 // Latitude of 1st standard parallel
	pLatStdPar2     = 8824 // Latitude of 2nd standard parallel
	pEastFalseOrig  = 8826 // Easting at false origin
	pNorthFalseOrig = 8827 // Northing at false origin
)

// EPSG conversion method codes implemented before the generated table.
const (
	mTransverseMercator = 9807
	mLCC2SP             = 9802
	mLAEA               = 9820
	mMercatorA          = 9804
	mPseudoMercator     = 1024
)

// MethodError reports a conversion method (or a parameter it needs) that
// this package does not implement. It wraps ErrUnsupported.
type MethodError struct {
	Method int    // EPSG method code
	Name   string // EPSG method name when known
	Detail string // e.g. the missing parameter
}

func (e *MethodError) Error() string {
	s := fmt.Sprintf("map projection method EPSG:%d", e.Method)
	if e.Name != "" {
		s += " (" + e.Name + ")"
	}
	if e.Detail != "" {
		return s + ": " + e.Detail
	}
	return s + " is not implemented"
}

func (e *MethodError) Unwrap() error { return ErrUnsupported }

// newProjection returns the projection of an EPSG conversion method on the
// ellipsoid el, and the kind that Footprint uses to keep longitudes
// continuous. A missing required parameter or an unknown method is a
// *MethodError.
func newProjection(method int, el Ellipsoid, p Params) (projection, kind, error) {
	need := func(codes ...int) error {
		for _, c := range codes {
			if _, ok := p[c]; !ok {
				return &MethodError{Method: method, Detail: fmt.Sprintf("parameter EPSG:%d is missing", c)}
			}
		}
		return nil
	}
	switch method {
	case mTransverseMercator:
		if err := need(pLatNatOrigin, pLonNatOrigin, pScaleNatOrigin, pFalseEasting, pFalseNorthing); err != nil {
			return nil, 0, err
		}
		return newTmerc(el, p[pLatNatOrigin], p[pLonNatOrigin], p[pScaleNatOrigin], p[pFalseEasting], p[pFalseNorthing]), kindOther, nil
	case mLCC2SP:
		if err := need(pLatFalseOrigin, pLonFalseOrigin, pLatStdPar1, pLatStdPar2, pEastFalseOrig, pNorthFalseOrig); err != nil {
			return nil, 0, err
		}
		return newLCC2SP(el, p[pLatFalseOrigin], p[pLonFalseOrigin], p[pLatStdPar1], p[pLatStdPar2], p[pEastFalseOrig], p[pNorthFalseOrig]), kindOther, nil
	case mLAEA:
		if err := need(pLatNatOrigin, pLonNatOrigin, pFalseEasting, pFalseNorthing); err != nil {
			return nil, 0, err
		}
		return newLAEA(el, p[pLatNatOrigin], p[pLonNatOrigin], p[pFalseEasting], p[pFalseNorthing]), kindOther, nil
	case mMercatorA:
		if err := need(pLonNatOrigin, pScaleNatOrigin, pFalseEasting, pFalseNorthing); err != nil {
			return nil, 0, err
		}
		return &mercator{a: el.A, e: el.E(), k0: p[pScaleNatOrigin], lon0: p[pLonNatOrigin], fe: p[pFalseEasting], fn: p[pFalseNorthing]}, kindCylindrical, nil
	case mPseudoMercator:
		if err := need(pLonNatOrigin, pFalseEasting, pFalseNorthing); err != nil {
			return nil, 0, err
		}
		return &mercator{a: el.A, k0: 1, lon0: p[pLonNatOrigin], fe: p[pFalseEasting], fn: p[pFalseNorthing], sphere: true}, kindCylindrical, nil
	}
	return nil, 0, &MethodError{Method: method}
}

// Definition describes a CRS by its parts: what the generated EPSG table
// holds for a code, and what a GeoTIFF's user-defined GeoKeys carry.
type Definition struct {
	Code          int    // EPSG code, 0 for a user-defined CRS
	Name          string // e.g. "WGS 84 / UTM zone 31N"; "" for user-defined
	Ellipsoid     Ellipsoid
	PrimeMeridian float64 // radians east of Greenwich
	// Datum is the EPSG code of the geodetic datum, 0 when unknown or
	// user-defined; it selects the datum transformations to WGS 84.
	Datum int
	// ToWGS84 are 3 or 7 Position Vector Helmert parameters (metres,
	// arc-seconds, ppm) given with the CRS itself (GeoTIFF's
	// GeogTOWGS84GeoKey, WKT1 TOWGS84); nil when not given.
	ToWGS84 []float64
	// Method is the EPSG conversion method code; 0 for a geographic CRS.
	Method int
	Params Params
	// Unit converts axis values to SI: metres per unit for a projected CRS,
	// radians per unit for a geographic one. 0 means metre / degree.
	Unit float64
}

// New builds the Transformer of a CRS definition. Errors wrap ErrUnsupported
// and name what is missing (a method, a parameter, a datum transformation).
func New(def Definition) (Transformer, error) {
	c := &CRS{code: def.Code, name: def.Name, pm: def.PrimeMeridian, unit: def.Unit}
	if c.name == "" {
		c.name = "user-defined"
	}
	if def.Ellipsoid.A <= 0 {
		return nil, &UnsupportedError{Code: def.Code, Name: def.Name, Reason: "no ellipsoid"}
	}
	if def.Method == 0 {
		c.kind, c.proj = kindGeographic, geographic{}
	} else {
		p, k, err := newProjection(def.Method, def.Ellipsoid, def.Params)
		if err != nil {
			return nil, &UnsupportedError{Code: def.Code, Name: c.name, Reason: err.Error(), err: err}
		}
		c.kind, c.proj = k, p
	}
	switch len(def.ToWGS84) {
	case 0:
		// Datum transformations by code come with the generated table.
	case 3, 7:
		h := &helmert{src: def.Ellipsoid, tx: def.ToWGS84[0], ty: def.ToWGS84[1], tz: def.ToWGS84[2]}
		if len(def.ToWGS84) == 7 {
			h.rx, h.ry, h.rz = def.ToWGS84[3]*arcsec, def.ToWGS84[4]*arcsec, def.ToWGS84[5]*arcsec
			h.ds = def.ToWGS84[6] * 1e-6
		}
		if *h != (helmert{src: def.Ellipsoid}) {
			c.datum = h
		}
	default:
		return nil, &UnsupportedError{Code: def.Code, Name: c.name, Reason: fmt.Sprintf("TOWGS84 has %d parameters, want 3 or 7", len(def.ToWGS84))}
	}
	return c, nil
}
