package crs

import (
	"fmt"
	"math"
)

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

	pLatProjCentre     = 8811 // Latitude of projection centre
	pLonProjCentre     = 8812 // Longitude of projection centre
	pAzimuthInitial    = 8813 // Azimuth of initial line
	pRectifiedGrid     = 8814 // Angle from Rectified to Skew Grid
	pScaleInitialLine  = 8815 // Scale factor on initial line
	pEastProjCentre    = 8816 // Easting at projection centre
	pNorthProjCentre   = 8817 // Northing at projection centre
	pLatPseudoStdPar   = 8818 // Latitude of pseudo standard parallel
	pScalePseudoStdPar = 8819 // Scale factor on pseudo standard parallel
	pInitialLongitude  = 8830 // Initial longitude
	pZoneWidth         = 8831 // Zone width
	pLatStdPar         = 8832 // Latitude of standard parallel
	pLonOrigin         = 8833 // Longitude of origin
	pColatConeAxis     = 1036 // Co-latitude of cone axis
	pEllipsoidScaling  = 1038 // Ellipsoid scaling factor
	pPlaneHeight       = 1039 // Projection plane origin height
)

// EPSG conversion method codes implemented before the generated table.
const (
	mTransverseMercator = 9807
	mLCC2SP             = 9802
	mLAEA               = 9820
	mMercatorA          = 9804
	mPseudoMercator     = 1024
)

// EPSG conversion methods of the proj_*.go files.
const (
	mTMSouth         = 9808 // Transverse Mercator (South Orientated)
	mTMZoned         = 9824 // Transverse Mercator Zoned Grid System
	mTM3D            = 1111 // Transverse Mercator 3D (horizontal part)
	mLCC1SP          = 9801 // Lambert Conic Conformal (1SP)
	mLCC1SPB         = 1102 // Lambert Conic Conformal (1SP variant B)
	mLCC2SPBelgium   = 9803 // Lambert Conic Conformal (2SP Belgium)
	mLCC2SPMichigan  = 1051 // Lambert Conic Conformal (2SP Michigan)
	mLCCWest         = 9826 // Lambert Conic Conformal (West Orientated)
	mLCCNear         = 9817 // Lambert Conic Near-Conformal
	mAlbers          = 9822 // Albers Equal Area
	mPolarStereoA    = 9810 // Polar Stereographic (variant A)
	mPolarStereoB    = 9829 // Polar Stereographic (variant B)
	mPolarStereoC    = 9830 // Polar Stereographic (variant C)
	mObliqueStereo   = 9809 // Oblique Stereographic
	mLAEASpherical   = 1027 // Lambert Azimuthal Equal Area (Spherical)
	mLCEA            = 9835 // Lambert Cylindrical Equal Area
	mLCEASpherical   = 9834 // Lambert Cylindrical Equal Area (Spherical)
	mMercatorB       = 9805 // Mercator (variant B)
	mMercatorC       = 1044 // Mercator (variant C)
	mEqc             = 1028 // Equidistant Cylindrical
	mEqcSpherical    = 1029 // Equidistant Cylindrical (Spherical)
	mEqcSphericalOld = 9823 // Equidistant Cylindrical (Spherical), deprecated (EPSG:32662)
	mHOMA            = 9812 // Hotine Oblique Mercator (variant A)
	mHOMB            = 9815 // Hotine Oblique Mercator (variant B)
	mKrovak          = 9819 // Krovak
	mKrovakNorth     = 1041 // Krovak (North Orientated)
	mKrovakMod       = 1042 // Krovak Modified
	mKrovakModNorth  = 1043 // Krovak Modified (North Orientated)
	mCassini         = 9806 // Cassini-Soldner
	mCassiniHyp      = 9833 // Hyperbolic Cassini-Soldner
	mPolyconic       = 9818 // American Polyconic
	mNZMG            = 9811 // New Zealand Map Grid
	mColombiaUrban   = 1052 // Colombia Urban
	mEqualEarth      = 1078 // Equal Earth
	mBonne           = 9827 // Bonne
	mBonneSouth      = 9828 // Bonne (South Orientated)
	mGuam            = 9831 // Guam Projection
	mMAED            = 9832 // Modified Azimuthal Equidistant
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
		if el.InvF == 0 { // the ellipsoidal formulas divide by e
			return newLAEASphere(el.A, p[pLatNatOrigin], p[pLonNatOrigin], p[pFalseEasting], p[pFalseNorthing]), kindOther, nil
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

	// Methods of the proj_*.go files. Axis order of the results: easting,
	// northing, except 9808 (westing, southing), 9826 (westing, northing),
	// 9828 (westing, southing) and 9819/1042 (southing X, westing Y).
	made := func(pr projection, k kind, err error) (projection, kind, error) {
		if err != nil {
			return nil, 0, &MethodError{Method: method, Detail: err.Error()}
		}
		return pr, k, nil
	}
	natural := []int{pLatNatOrigin, pLonNatOrigin, pFalseEasting, pFalseNorthing}
	naturalK := []int{pLatNatOrigin, pLonNatOrigin, pScaleNatOrigin, pFalseEasting, pFalseNorthing}
	falseOrigin2SP := []int{pLatFalseOrigin, pLonFalseOrigin, pLatStdPar1, pLatStdPar2, pEastFalseOrig, pNorthFalseOrig}
	krovakParams := []int{pLatProjCentre, pLonOrigin, pColatConeAxis, pLatPseudoStdPar, pScalePseudoStdPar, pFalseEasting, pFalseNorthing}
	switch method {
	case mTMSouth:
		if err := need(naturalK...); err != nil {
			return nil, 0, err
		}
		tm := newTmerc(el, p[pLatNatOrigin], p[pLonNatOrigin], p[pScaleNatOrigin], 0, 0)
		return &rotated{p: tm, sx: -1, sy: -1, fe: p[pFalseEasting], fn: p[pFalseNorthing]}, kindOther, nil
	case mTM3D:
		if err := need(naturalK...); err != nil {
			return nil, 0, err
		}
		return newTmerc(el, p[pLatNatOrigin], p[pLonNatOrigin], p[pScaleNatOrigin], p[pFalseEasting], p[pFalseNorthing]), kindOther, nil
	case mTMZoned:
		if err := need(pLatNatOrigin, pInitialLongitude, pZoneWidth, pScaleNatOrigin, pFalseEasting, pFalseNorthing); err != nil {
			return nil, 0, err
		}
		pr, err := newTMZoned(el, p[pLatNatOrigin], p[pInitialLongitude], p[pZoneWidth], p[pScaleNatOrigin], p[pFalseEasting], p[pFalseNorthing])
		return made(pr, kindOther, err)
	case mLCC1SP, mLCCWest:
		if err := need(naturalK...); err != nil {
			return nil, 0, err
		}
		pr, err := newLCC1SP(el, p[pLatNatOrigin], p[pLonNatOrigin], p[pScaleNatOrigin], p[pFalseEasting], p[pFalseNorthing])
		if pr != nil {
			pr.west = method == mLCCWest
		}
		return made(pr, kindOther, err)
	case mLCC1SPB:
		if err := need(pLatNatOrigin, pScaleNatOrigin, pLatFalseOrigin, pLonFalseOrigin, pEastFalseOrig, pNorthFalseOrig); err != nil {
			return nil, 0, err
		}
		lat0 := p[pLatNatOrigin]
		pr, err := newLCC(el, math.Sin(lat0), lat0, p[pScaleNatOrigin], p[pLatFalseOrigin], p[pLonFalseOrigin], p[pEastFalseOrig], p[pNorthFalseOrig])
		return made(pr, kindOther, err)
	case mLCC2SPBelgium, mLCC2SPMichigan:
		if err := need(falseOrigin2SP...); err != nil {
			return nil, 0, err
		}
		K := 1.0
		if method == mLCC2SPMichigan {
			if err := need(pEllipsoidScaling); err != nil {
				return nil, 0, err
			}
			K = p[pEllipsoidScaling]
		}
		pr, err := newLCC2SPVariant(el, p[pLatFalseOrigin], p[pLonFalseOrigin], p[pLatStdPar1], p[pLatStdPar2], p[pEastFalseOrig], p[pNorthFalseOrig], K)
		if pr != nil && method == mLCC2SPBelgium {
			pr.beta = belgiumBeta
		}
		return made(pr, kindOther, err)
	case mLCCNear:
		if err := need(naturalK...); err != nil {
			return nil, 0, err
		}
		pr, err := newLCCNear(el, p[pLatNatOrigin], p[pLonNatOrigin], p[pScaleNatOrigin], p[pFalseEasting], p[pFalseNorthing])
		return made(pr, kindOther, err)
	case mAlbers:
		if err := need(falseOrigin2SP...); err != nil {
			return nil, 0, err
		}
		pr, err := newAlbers(el, p[pLatFalseOrigin], p[pLonFalseOrigin], p[pLatStdPar1], p[pLatStdPar2], p[pEastFalseOrig], p[pNorthFalseOrig])
		return made(pr, kindOther, err)
	case mPolarStereoA:
		if err := need(naturalK...); err != nil {
			return nil, 0, err
		}
		pr, err := newPolarStereoA(el, p[pLatNatOrigin], p[pLonNatOrigin], p[pScaleNatOrigin], p[pFalseEasting], p[pFalseNorthing])
		return made(pr, kindOther, err)
	case mPolarStereoB:
		if err := need(pLatStdPar, pLonOrigin, pFalseEasting, pFalseNorthing); err != nil {
			return nil, 0, err
		}
		pr, err := newPolarStereoBC(el, p[pLatStdPar], p[pLonOrigin], p[pFalseEasting], p[pFalseNorthing], false)
		return made(pr, kindOther, err)
	case mPolarStereoC:
		if err := need(pLatStdPar, pLonOrigin, pEastFalseOrig, pNorthFalseOrig); err != nil {
			return nil, 0, err
		}
		pr, err := newPolarStereoBC(el, p[pLatStdPar], p[pLonOrigin], p[pEastFalseOrig], p[pNorthFalseOrig], true)
		return made(pr, kindOther, err)
	case mObliqueStereo:
		if err := need(naturalK...); err != nil {
			return nil, 0, err
		}
		pr, err := newObliqueStereo(el, p[pLatNatOrigin], p[pLonNatOrigin], p[pScaleNatOrigin], p[pFalseEasting], p[pFalseNorthing])
		return made(pr, kindOther, err)
	case mLAEASpherical:
		if err := need(natural...); err != nil {
			return nil, 0, err
		}
		r := newAuthalic(el).radius(el.A)
		return newLAEASphere(r, p[pLatNatOrigin], p[pLonNatOrigin], p[pFalseEasting], p[pFalseNorthing]), kindOther, nil
	case mLCEA, mLCEASpherical:
		if err := need(pLatStdPar1, pLonNatOrigin, pFalseEasting, pFalseNorthing); err != nil {
			return nil, 0, err
		}
		pr, err := newLCEA(el, p[pLatStdPar1], p[pLonNatOrigin], p[pFalseEasting], p[pFalseNorthing], method == mLCEASpherical)
		return made(pr, kindCylindrical, err)
	case mMercatorB:
		if err := need(pLatStdPar1, pLonNatOrigin, pFalseEasting, pFalseNorthing); err != nil {
			return nil, 0, err
		}
		pr, err := newMercatorB(el, p[pLatStdPar1], p[pLonNatOrigin], p[pFalseEasting], p[pFalseNorthing])
		if err != nil {
			return made(nil, 0, err)
		}
		return guarded{pr}, kindCylindrical, nil
	case mMercatorC:
		if err := need(pLatStdPar1, pLonNatOrigin, pLatFalseOrigin, pEastFalseOrig, pNorthFalseOrig); err != nil {
			return nil, 0, err
		}
		pr, err := newMercatorC(el, p[pLatStdPar1], p[pLonNatOrigin], p[pLatFalseOrigin], p[pEastFalseOrig], p[pNorthFalseOrig])
		if err != nil {
			return made(nil, 0, err)
		}
		return guarded{pr}, kindCylindrical, nil
	case mEqc, mEqcSpherical, mEqcSphericalOld:
		lat1 := pLatStdPar1
		if method == mEqcSphericalOld {
			lat1 = pLatNatOrigin // the deprecated method's name for the same parameter
		}
		if err := need(lat1, pLonNatOrigin, pFalseEasting, pFalseNorthing); err != nil {
			return nil, 0, err
		}
		pr, err := newEqc(el, p[lat1], p[pLonNatOrigin], p[pFalseEasting], p[pFalseNorthing], method != mEqc)
		return made(pr, kindCylindrical, err)
	case mHOMA, mHOMB:
		fe, fn := pFalseEasting, pFalseNorthing
		if method == mHOMB {
			fe, fn = pEastProjCentre, pNorthProjCentre
		}
		if err := need(pLatProjCentre, pLonProjCentre, pAzimuthInitial, pScaleInitialLine, fe, fn); err != nil {
			return nil, 0, err
		}
		gamma, ok := p[pRectifiedGrid]
		if !ok { // as PROJ's omerc: the grid is not rotated against the initial line
			gamma = p[pAzimuthInitial]
		}
		pr, err := newHOM(el, p[pLatProjCentre], p[pLonProjCentre], p[pAzimuthInitial], gamma, p[pScaleInitialLine], p[fe], p[fn], method == mHOMB)
		return made(pr, kindOther, err)
	case mKrovak, mKrovakNorth, mKrovakMod, mKrovakModNorth:
		if err := need(krovakParams...); err != nil {
			return nil, 0, err
		}
		north := method == mKrovakNorth || method == mKrovakModNorth
		modified := method == mKrovakMod || method == mKrovakModNorth
		pr, err := newKrovak(el, p[pLatProjCentre], p[pLonOrigin], p[pColatConeAxis], p[pLatPseudoStdPar], p[pScalePseudoStdPar], p[pFalseEasting], p[pFalseNorthing], north, modified)
		return made(pr, kindOther, err)
	case mCassini, mCassiniHyp:
		if err := need(natural...); err != nil {
			return nil, 0, err
		}
		return newCassini(el, p[pLatNatOrigin], p[pLonNatOrigin], p[pFalseEasting], p[pFalseNorthing], method == mCassiniHyp), kindOther, nil
	case mPolyconic:
		if err := need(natural...); err != nil {
			return nil, 0, err
		}
		return newPolyconic(el, p[pLatNatOrigin], p[pLonNatOrigin], p[pFalseEasting], p[pFalseNorthing]), kindOther, nil
	case mNZMG:
		if err := need(natural...); err != nil {
			return nil, 0, err
		}
		return &nzmg{a: el.A, lat0: p[pLatNatOrigin], lon0: p[pLonNatOrigin], fe: p[pFalseEasting], fn: p[pFalseNorthing]}, kindOther, nil
	case mColombiaUrban:
		if err := need(pLatNatOrigin, pLonNatOrigin, pFalseEasting, pFalseNorthing, pPlaneHeight); err != nil {
			return nil, 0, err
		}
		return newColombiaUrban(el, p[pLatNatOrigin], p[pLonNatOrigin], p[pFalseEasting], p[pFalseNorthing], p[pPlaneHeight]), kindOther, nil
	case mEqualEarth:
		if err := need(pLonNatOrigin, pFalseEasting, pFalseNorthing); err != nil {
			return nil, 0, err
		}
		return newEqualEarth(el, p[pLonNatOrigin], p[pFalseEasting], p[pFalseNorthing]), kindOther, nil
	case mBonne, mBonneSouth:
		if err := need(natural...); err != nil {
			return nil, 0, err
		}
		pr, err := newBonne(el, p[pLatNatOrigin], p[pLonNatOrigin], p[pFalseEasting], p[pFalseNorthing], method == mBonneSouth)
		return made(pr, kindOther, err)
	case mGuam:
		if err := need(natural...); err != nil {
			return nil, 0, err
		}
		return newGuam(el, p[pLatNatOrigin], p[pLonNatOrigin], p[pFalseEasting], p[pFalseNorthing]), kindOther, nil
	case mMAED:
		if err := need(natural...); err != nil {
			return nil, 0, err
		}
		return newMAED(el, p[pLatNatOrigin], p[pLonNatOrigin], p[pFalseEasting], p[pFalseNorthing]), kindOther, nil
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

// New builds the Transformer of a CRS definition, without datum shift
// grids (NewWith takes them). Errors wrap ErrUnsupported and name what is
// missing (a method, a parameter, a datum transformation).
func New(def Definition) (Transformer, error) {
	return NewWith(def, nil)
}
