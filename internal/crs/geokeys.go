package crs

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// GeoKeys is a GeoTIFF GeoKey directory, keyed by GeoKey ID: SHORT values
// stored in GeoKeyDirectoryTag, DOUBLE values from GeoDoubleParamsTag and
// ASCII values from GeoAsciiParamsTag (without the trailing '|'). It has the
// layout of geotiff.GeoKeys, which converts to it: crs.GeoKeys(info.GeoKeys).
type GeoKeys struct {
	Short  map[int]int
	Double map[int][]float64
	ASCII  map[int]string
}

// GeoKey IDs (GeoTIFF 1.1, OGC 19-008r4; GeoTIFF 1.0 names).
const (
	gkModelType      = 1024 // GTModelTypeGeoKey
	gkCitation       = 1026 // GTCitationGeoKey
	gkGeographic     = 2048 // GeographicTypeGeoKey (GeodeticCRSGeoKey)
	gkGeogCitation   = 2049 // GeogCitationGeoKey
	gkDatum          = 2050 // GeogGeodeticDatumGeoKey
	gkPrimeMeridian  = 2051 // GeogPrimeMeridianGeoKey
	gkGeogLinear     = 2052 // GeogLinearUnitsGeoKey
	gkGeogLinearSize = 2053 // GeogLinearUnitSizeGeoKey
	gkAngular        = 2054 // GeogAngularUnitsGeoKey
	gkAngularSize    = 2055 // GeogAngularUnitSizeGeoKey
	gkEllipsoid      = 2056 // GeogEllipsoidGeoKey
	gkSemiMajor      = 2057 // GeogSemiMajorAxisGeoKey
	gkSemiMinor      = 2058 // GeogSemiMinorAxisGeoKey
	gkInvFlattening  = 2059 // GeogInvFlatteningGeoKey
	gkPMLong         = 2061 // GeogPrimeMeridianLongGeoKey
	gkTOWGS84        = 2062 // GeogTOWGS84GeoKey
	gkProjected      = 3072 // ProjectedCSTypeGeoKey (ProjectedCRSGeoKey)
	gkPCSCitation    = 3073 // PCSCitationGeoKey
	gkProjection     = 3074 // ProjectionGeoKey
	gkCoordTrans     = 3075 // ProjCoordTransGeoKey (ProjMethodGeoKey)
	gkLinear         = 3076 // ProjLinearUnitsGeoKey
	gkLinearSize     = 3077 // ProjLinearUnitSizeGeoKey
	gkStdParallel1   = 3078 // ProjStdParallel1GeoKey
	gkStdParallel2   = 3079 // ProjStdParallel2GeoKey
	gkNatOriginLong  = 3080 // ProjNatOriginLongGeoKey
	gkNatOriginLat   = 3081 // ProjNatOriginLatGeoKey
	gkFalseEasting   = 3082 // ProjFalseEastingGeoKey
	gkFalseNorthing  = 3083 // ProjFalseNorthingGeoKey
	gkFOriginLong    = 3084 // ProjFalseOriginLongGeoKey
	gkFOriginLat     = 3085 // ProjFalseOriginLatGeoKey
	gkFOriginEasting = 3086 // ProjFalseOriginEastingGeoKey
	gkFOriginNorth   = 3087 // ProjFalseOriginNorthingGeoKey
	gkCenterLong     = 3088 // ProjCenterLongGeoKey
	gkCenterLat      = 3089 // ProjCenterLatGeoKey
	gkCenterEasting  = 3090 // ProjCenterEastingGeoKey
	gkCenterNorthing = 3091 // ProjCenterNorthingGeoKey
	gkScaleNatOrigin = 3092 // ProjScaleAtNatOriginGeoKey
	gkScaleCenter    = 3093 // ProjScaleAtCenterGeoKey
	gkAzimuth        = 3094 // ProjAzimuthAngleGeoKey
	gkStraightVPole  = 3095 // ProjStraightVertPoleLongGeoKey
	gkRectifiedAngle = 3096 // ProjRectifiedGridAngleGeoKey

	gkUserDefined = 32767 // KvUserDefined
)

var gkNames = map[int]string{
	gkModelType: "GTModelTypeGeoKey", gkCitation: "GTCitationGeoKey",
	gkGeographic: "GeographicTypeGeoKey", gkGeogCitation: "GeogCitationGeoKey",
	gkDatum: "GeogGeodeticDatumGeoKey", gkPrimeMeridian: "GeogPrimeMeridianGeoKey",
	gkGeogLinear: "GeogLinearUnitsGeoKey", gkGeogLinearSize: "GeogLinearUnitSizeGeoKey",
	gkAngular: "GeogAngularUnitsGeoKey", gkAngularSize: "GeogAngularUnitSizeGeoKey",
	gkEllipsoid: "GeogEllipsoidGeoKey", gkSemiMajor: "GeogSemiMajorAxisGeoKey",
	gkSemiMinor: "GeogSemiMinorAxisGeoKey", gkInvFlattening: "GeogInvFlatteningGeoKey",
	gkPMLong: "GeogPrimeMeridianLongGeoKey", gkTOWGS84: "GeogTOWGS84GeoKey",
	gkProjected: "ProjectedCSTypeGeoKey", gkPCSCitation: "PCSCitationGeoKey",
	gkProjection: "ProjectionGeoKey", gkCoordTrans: "ProjCoordTransGeoKey",
	gkLinear: "ProjLinearUnitsGeoKey", gkLinearSize: "ProjLinearUnitSizeGeoKey",
}

// GeoKeyError reports GeoKeys that FromGeoKeys cannot turn into a
// Definition: a CRS GDAL would not locate on the Earth (local, geocentric),
// a projection without an EPSG method, an EPSG code missing from the tables.
// It wraps ErrUnsupported.
type GeoKeyError struct {
	Key    int // GeoKey ID involved, 0 when none in particular
	Value  int // the key's SHORT value or code, when it matters
	Reason string
}

func (e *GeoKeyError) Error() string {
	if e.Key == 0 {
		return "crs: GeoKeys: " + e.Reason
	}
	name := gkNames[e.Key]
	if name == "" {
		name = "GeoKey"
	}
	if e.Value == 0 {
		return fmt.Sprintf("crs: GeoKeys: %s (%d): %s", name, e.Key, e.Reason)
	}
	return fmt.Sprintf("crs: GeoKeys: %s (%d) = %d: %s", name, e.Key, e.Value, e.Reason)
}

func (e *GeoKeyError) Unwrap() error { return ErrUnsupported }

// FromGeoKeys returns the Definition of the CRS that a GeoTIFF's GeoKeys
// describe, the way GDAL (frmts/gtiff/gt_wkt_srs.cpp over libgeotiff's
// GTIFGetDefn) reads them:
//
//   - GTModelTypeGeoKey 1 (projected) or 2 (geographic); a missing or
//     user-defined model type with a ProjectedCSTypeGeoKey code counts as
//     projected. Any other model is GDAL's local CRS, unless
//     PCSCitationGeoKey holds an "ESRI PE String = " WKT, which is then the
//     CRS (ESRI WKT1: GEOGCS, PROJCS with the common ESRI projections).
//   - A ProjectedCSTypeGeoKey code alone is the EPSG CRS. With any of
//     ProjectionGeoKey, ProjCoordTransGeoKey, GeographicTypeGeoKey,
//     GeogGeodeticDatumGeoKey or GeogEllipsoidGeoKey the CRS is built from the
//     keys, the code supplying what they lack (libgeotiff's normalisation).
//   - The geographic part: GeographicTypeGeoKey code, else
//     GeogGeodeticDatumGeoKey (datum → ellipsoid), GeogEllipsoidGeoKey, then
//     GeogSemiMajorAxis / GeogSemiMinorAxis / GeogInvFlattening overrides;
//     with no ellipsoid at all GDAL assumes WGS 84, and so does this.
//     GeogPrimeMeridianGeoKey or GeogPrimeMeridianLongGeoKey;
//     GeogAngularUnitsGeoKey / GeogAngularUnitSizeGeoKey; GeogTOWGS84GeoKey.
//   - The conversion: ProjectionGeoKey (an EPSG conversion code, through
//     the generated EPSG table), or
//     ProjCoordTransGeoKey with the Proj*GeoKeys, mapped per method to EPSG
//     methods and parameters as GDAL 3.6 does (e.g. CT_PolarStereographic is
//     variant B, 9829, when the scale is 1 and the latitude is not a pole,
//     else variant A, 9810; CT_Mercator is variant B, 9805, with a standard
//     parallel or a non-zero origin latitude at scale 1). Methods without an
//     EPSG code (Stereographic, Gnomonic, Miller, Robinson, Sinusoidal, Van
//     der Grinten, ESRI Geostationary_Satellite…) are *GeoKeyError.
//   - Linear parameters are in ProjLinearUnitsGeoKey units (converted to
//     metres), angular ones in GeogAngularUnitsGeoKey units (converted to
//     radians) as the GeoTIFF specification, libgeotiff ≥ 1.7.4 and
//     GDAL ≥ 3.10 read them (GDAL 3.0–3.9 took them as degrees whatever the
//     unit, which misplaces files in grads such as libgeotiff's
//     epsg_27563_allgeokeys.tif).
//
// Definition.Code is the ProjectedCSTypeGeoKey or GeographicTypeGeoKey code
// when there is one, else 0. Errors wrap ErrUnsupported; when the error is
// about the conversion code only, the Definition returned carries the
// geographic part (Method 0) and the error names the code.
func FromGeoKeys(k GeoKeys) (Definition, error) {
	if len(k.Short)+len(k.Double)+len(k.ASCII) == 0 {
		return Definition{}, &GeoKeyError{Reason: "no GeoKeys"}
	}
	g := gkReader{k}
	model, hasModel := g.short(gkModelType)
	pcs, _ := g.short(gkProjected)
	if (!hasModel || model == gkUserDefined) && gkIsCode(pcs) {
		model = 1 // GDAL ticket #3019
	}
	switch model {
	case 1, 2:
	case 3:
		return Definition{}, &GeoKeyError{Key: gkModelType, Value: model, Reason: "geocentric CRSs are not supported"}
	default:
		if pe, ok := k.ASCII[gkPCSCitation]; ok {
			if i := strings.Index(pe, "ESRI PE String = "); i >= 0 {
				return fromESRIWKT(pe[i+len("ESRI PE String = "):])
			}
		}
		return Definition{}, &GeoKeyError{Key: gkModelType, Value: model,
			Reason: "not a projected or geographic model type (GDAL makes it a local CRS, not located on the Earth)"}
	}

	if model == 1 && gkIsCode(pcs) && !g.has(gkProjection, gkCoordTrans, gkGeographic, gkDatum, gkEllipsoid) {
		def, err := gkProjectedCRS(pcs, gkProjected)
		if err != nil {
			return Definition{Code: pcs}, err
		}
		if u, ok := g.short(gkLinear); ok {
			size, err := g.linearUnit(u)
			if err != nil {
				return def, err
			}
			if size == 1 {
				size = 0
			}
			def.Unit = size
		}
		return def, nil
	}

	// A projected CRS code supplies the conversion and the geographic CRS
	// that the keys do not give (libgeotiff's GTIFGetPCSInfo).
	var base *Definition
	var baseErr error
	if model == 1 && gkIsCode(pcs) {
		d, err := gkProjectedCRS(pcs, gkProjected)
		if err == nil {
			base = &d
		}
		baseErr = err
	}

	def, angUnit, err := g.geographic(base, baseErr)
	if err != nil {
		return def, err
	}
	if model == 2 {
		if gcs, _ := g.short(gkGeographic); gkIsCode(gcs) {
			def.Code = gcs
		}
		if math.IsNaN(angUnit) {
			return def, &GeoKeyError{Key: gkAngular, Value: 9110, Reason: "sexagesimal DMS coordinates are not supported"}
		}
		if angUnit != deg {
			def.Unit = angUnit
		}
		return def, nil
	}
	if gkIsCode(pcs) {
		def.Code = pcs
	}

	linUnit := 1.0
	if base != nil && base.Unit != 0 {
		linUnit = base.Unit
	}
	if u, ok := g.short(gkLinear); ok {
		if linUnit, err = g.linearUnit(u); err != nil {
			return def, err
		}
	}
	if linUnit != 1 {
		def.Unit = linUnit
	}

	if ct, ok := g.short(gkCoordTrans); ok && ct != gkUserDefined {
		def.Method, def.Params, err = g.coordTrans(ct, angUnit, linUnit)
		return def, err
	}
	if conv, _ := g.short(gkProjection); gkIsCode(conv) {
		m, p, ok := gkConversion(conv)
		if !ok {
			return def, &GeoKeyError{Key: gkProjection, Value: conv,
				Reason: fmt.Sprintf("EPSG conversion %d is not a conversion of the EPSG dataset %s", conv, epsgVersion)}
		}
		def.Method, def.Params = m, p
		return def, nil
	}
	if base != nil {
		def.Method, def.Params = base.Method, base.Params
		return def, nil
	}
	if baseErr != nil {
		return def, baseErr
	}
	return def, &GeoKeyError{Key: gkCoordTrans, Reason: "projected CRS without ProjectedCSTypeGeoKey, ProjectionGeoKey or ProjCoordTransGeoKey"}
}

// gkIsCode reports an EPSG code: neither missing, nor user-defined, nor private.
func gkIsCode(v int) bool { return v > 0 && v < gkUserDefined }

type gkReader struct{ k GeoKeys }

func (g gkReader) short(key int) (int, bool) {
	v, ok := g.k.Short[key]
	return v, ok
}

func (g gkReader) has(keys ...int) bool {
	for _, key := range keys {
		if _, ok := g.k.Short[key]; ok {
			return true
		}
	}
	return false
}

// double returns the first value of a DOUBLE key (libgeotiff's
// GTIFKeyGetDOUBLE also accepts a SHORT one).
func (g gkReader) double(key int) (float64, bool) {
	if v, ok := g.k.Double[key]; ok && len(v) > 0 {
		return v[0], true
	}
	if v, ok := g.k.Short[key]; ok {
		return float64(v), true
	}
	return 0, false
}

// first returns the value of the first key present, or def.
func (g gkReader) first(def float64, keys ...int) float64 {
	for _, key := range keys {
		if v, ok := g.double(key); ok {
			return v
		}
	}
	return def
}

// geographic builds the geographic part of the CRS (libgeotiff's
// GTIFGetDefn order: geographic CRS code, or the projected CRS's; then the
// datum, ellipsoid, axes and prime meridian keys override) and returns the
// angular unit (radians per unit, NaN for sexagesimal DMS) in which the
// angles of the keys are expressed.
func (g gkReader) geographic(base *Definition, baseErr error) (Definition, float64, error) {
	var def Definition
	var el *Ellipsoid
	pmDeg := 0.0

	gcs, _ := g.short(gkGeographic)
	switch {
	case gkIsCode(gcs):
		d, ok := gkLookupGeographic(gcs)
		if !ok {
			return def, 0, &GeoKeyError{Key: gkGeographic, Value: gcs,
				Reason: "not a geographic 2D CRS of the EPSG dataset " + epsgVersion}
		}
		def.Datum, pmDeg = d.Datum, d.PrimeMeridian/deg
		e := d.Ellipsoid
		el = &e
	case base != nil:
		def.Datum, pmDeg = base.Datum, base.PrimeMeridian/deg
		e := base.Ellipsoid
		el = &e
	case baseErr != nil && !g.has(gkDatum, gkEllipsoid) && !g.hasDouble(gkSemiMajor):
		// The projected CRS code was to supply the geographic CRS.
		return def, 0, baseErr
	}

	angUnit := deg
	if u, ok := g.short(gkAngular); ok {
		if u == gkUserDefined {
			if s, ok := g.double(gkAngularSize); ok && s > 0 {
				angUnit = s
			}
		} else if s, ok := gkAngularUnits[u]; ok {
			angUnit = s
		} else {
			return def, 0, &GeoKeyError{Key: gkAngular, Value: u, Reason: "unknown angular unit"}
		}
	}

	if d, ok := g.short(gkDatum); ok {
		def.Datum = 0 // user-defined: unknown datum, no shift (PROJ's ballpark)
		if gkIsCode(d) {
			e, _, err := gkDatumParts(d, gkDatum, d)
			if err != nil {
				return def, 0, err
			}
			def.Datum, el = d, &e
		}
	}
	if e, ok := g.short(gkEllipsoid); ok && gkIsCode(e) {
		known, ok := gkTableEllipsoid(e)
		if !ok {
			return def, 0, &GeoKeyError{Key: gkEllipsoid, Value: e, Reason: "not an ellipsoid of the EPSG dataset " + epsgVersion}
		}
		el = &known
	}

	// Axis overrides (libgeotiff: "for now we just override"): a semi-major
	// axis keeps the semi-minor axis of the ellipsoid it overrides; an
	// inverse flattening wins over a semi-minor axis.
	a, b, invf, byInvF := 0.0, 0.0, 0.0, true
	name := ""
	if el != nil {
		a, invf, name = el.A, el.InvF, el.Name
	}
	geogLin := 1.0
	if u, ok := g.short(gkGeogLinear); ok && u != 9001 {
		if u == gkUserDefined {
			geogLin = g.first(1, gkGeogLinearSize)
		} else if s, ok := gkLinearUnits[u]; ok {
			geogLin = s
		}
	}
	if v, ok := g.double(gkSemiMajor); ok {
		if el != nil {
			b, byInvF = gkSemiMinorAxis(a, invf), false
		}
		a = v * geogLin
	}
	if v, ok := g.double(gkSemiMinor); ok {
		b, byInvF = v*geogLin, false
	}
	if v, ok := g.double(gkInvFlattening); ok && !math.IsInf(v, 0) {
		invf, byInvF = v, true
	}
	switch {
	case a <= 0:
		def.Ellipsoid = WGS84 // GDAL: "unretrievable - using WGS84"
		def.Ellipsoid.Name = "unretrievable - using WGS84"
	case byInvF:
		def.Ellipsoid = Ellipsoid{Name: name, A: a, InvF: invf}
	default:
		f := 0.0
		if b > 0 && b != a {
			f = a / (a - b)
		}
		def.Ellipsoid = Ellipsoid{Name: name, A: a, InvF: f}
	}

	if pm, ok := g.short(gkPrimeMeridian); ok && gkIsCode(pm) {
		v, ok := gkPrimeMeridians[pm]
		if !ok {
			return def, 0, &GeoKeyError{Key: gkPrimeMeridian, Value: pm, Reason: "prime meridian not in the table of EPSG prime meridians"}
		}
		pmDeg = v
	} else if v, ok := g.double(gkPMLong); ok {
		pmDeg = gkAngle(v, angUnit) / deg
	}
	def.PrimeMeridian = pmDeg * deg

	if v, ok := g.k.Double[gkTOWGS84]; ok {
		def.ToWGS84 = append([]float64(nil), v...)
	}
	return def, angUnit, nil
}

func (g gkReader) hasDouble(key int) bool {
	_, ok := g.double(key)
	return ok
}

// gkSemiMinorAxis returns the semi-minor axis of an ellipsoid given by a and 1/f.
func gkSemiMinorAxis(a, invf float64) float64 {
	if invf == 0 {
		return a
	}
	return a * (1 - 1/invf)
}

// linearUnit returns metres per unit of a ProjLinearUnitsGeoKey value.
func (g gkReader) linearUnit(u int) (float64, error) {
	if u == gkUserDefined {
		if s, ok := g.double(gkLinearSize); ok && s > 0 {
			return s, nil
		}
		return 1, nil
	}
	s, ok := gkLinearUnits[u]
	if !ok {
		return 0, &GeoKeyError{Key: gkLinear, Value: u, Reason: "unknown linear unit"}
	}
	return s, nil
}

// GeoTIFF CT_* codes (ProjCoordTransGeoKey values).
const (
	ctTransverseMercator       = 1
	ctTMModifiedAlaska         = 2
	ctObliqueMercator          = 3
	ctObliqueMercatorLaborde   = 4
	ctObliqueMercatorRosenmund = 5
	ctObliqueMercatorSpherical = 6
	ctMercator                 = 7
	ctLambertConfConic2SP      = 8
	ctLambertConfConic1SP      = 9
	ctLambertAzimEqualArea     = 10
	ctAlbersEqualArea          = 11
	ctAzimuthalEquidistant     = 12
	ctEquidistantConic         = 13
	ctStereographic            = 14
	ctPolarStereographic       = 15
	ctObliqueStereographic     = 16
	ctEquirectangular          = 17
	ctCassiniSoldner           = 18
	ctGnomonic                 = 19
	ctMillerCylindrical        = 20
	ctOrthographic             = 21
	ctPolyconic                = 22
	ctRobinson                 = 23
	ctSinusoidal               = 24
	ctVanDerGrinten            = 25
	ctNewZealandMapGrid        = 26
	ctTMSouthOriented          = 27
	ctCylindricalEqualArea     = 28
	ctHotineObliqueMercatorAC  = 9815 // libgeotiff's CT_HotineObliqueMercatorAzimuthCenter
)

var ctNames = map[int]string{
	ctTransverseMercator: "CT_TransverseMercator", ctTMModifiedAlaska: "CT_TransvMercator_Modified_Alaska",
	ctObliqueMercator: "CT_ObliqueMercator", ctObliqueMercatorLaborde: "CT_ObliqueMercator_Laborde",
	ctObliqueMercatorRosenmund: "CT_ObliqueMercator_Rosenmund", ctObliqueMercatorSpherical: "CT_ObliqueMercator_Spherical",
	ctMercator: "CT_Mercator", ctLambertConfConic2SP: "CT_LambertConfConic_2SP",
	ctLambertConfConic1SP: "CT_LambertConfConic_1SP", ctLambertAzimEqualArea: "CT_LambertAzimEqualArea",
	ctAlbersEqualArea: "CT_AlbersEqualArea", ctAzimuthalEquidistant: "CT_AzimuthalEquidistant",
	ctEquidistantConic: "CT_EquidistantConic", ctStereographic: "CT_Stereographic",
	ctPolarStereographic: "CT_PolarStereographic", ctObliqueStereographic: "CT_ObliqueStereographic",
	ctEquirectangular: "CT_Equirectangular", ctCassiniSoldner: "CT_CassiniSoldner",
	ctGnomonic: "CT_Gnomonic", ctMillerCylindrical: "CT_MillerCylindrical",
	ctOrthographic: "CT_Orthographic", ctPolyconic: "CT_Polyconic", ctRobinson: "CT_Robinson",
	ctSinusoidal: "CT_Sinusoidal", ctVanDerGrinten: "CT_VanDerGrinten",
	ctNewZealandMapGrid: "CT_NewZealandMapGrid", ctTMSouthOriented: "CT_TransvMercator_SouthOriented",
	ctCylindricalEqualArea: "CT_CylindricalEqualArea", ctHotineObliqueMercatorAC: "CT_HotineObliqueMercatorAzimuthCenter",
}

// ctNoEPSG names the CT methods GDAL maps to a PROJ method that has no EPSG
// code; CT codes missing from here and from coordTrans are not read by GDAL
// at all.
var ctNoEPSG = map[int]string{
	ctStereographic:     "PROJ \"Stereographic\"",
	ctGnomonic:          "PROJ \"Gnomonic\"",
	ctMillerCylindrical: "PROJ \"Miller Cylindrical\"",
	ctRobinson:          "PROJ \"Robinson\"",
	ctSinusoidal:        "PROJ \"Sinusoidal\"",
	ctVanDerGrinten:     "PROJ \"Van Der Grinten\"",
}

// coordTrans maps ProjCoordTransGeoKey and the Proj*GeoKeys to an EPSG
// method and its parameters, fetching each parameter with libgeotiff's
// fallbacks (GTIFFetchProjParms) and choosing the EPSG method the way GDAL's
// OGRSpatialReference setters do.
func (g gkReader) coordTrans(ct int, angUnit, linUnit float64) (int, Params, error) {
	ang := func(def float64, keys ...int) float64 { return gkAngle(g.first(def, keys...), angUnit) }
	lin := func(keys ...int) float64 { return g.first(0, keys...) * linUnit }
	fe := lin(gkFalseEasting, gkCenterEasting, gkFOriginEasting)
	fn := lin(gkFalseNorthing, gkCenterNorthing, gkFOriginNorth)
	lon := ang(0, gkNatOriginLong, gkFOriginLong, gkCenterLong)
	lat := ang(0, gkNatOriginLat, gkFOriginLat, gkCenterLat)
	k := g.first(1, gkScaleNatOrigin, gkScaleCenter)
	sp1 := ang(0, gkStdParallel1)
	sp2 := ang(0, gkStdParallel2)
	natural := func(m int) (int, Params, error) {
		return m, Params{8801: lat, 8802: lon, 8805: k, 8806: fe, 8807: fn}, nil
	}
	origin4 := func(m int) (int, Params, error) {
		return m, Params{8801: lat, 8802: lon, 8806: fe, 8807: fn}, nil
	}
	conic := func(m int) (int, Params, error) {
		return m, Params{8821: lat, 8822: lon, 8823: sp1, 8824: sp2, 8826: fe, 8827: fn}, nil
	}
	switch ct {
	case ctTransverseMercator:
		return natural(9807)
	case ctTMSouthOriented:
		return natural(9808)
	case ctLambertConfConic1SP:
		return natural(9801)
	case ctObliqueStereographic:
		return natural(9809)
	case ctMercator:
		// libgeotiff: only ProjScaleAtNatOriginGeoKey; GDAL: a standard
		// parallel selects variant B, so does a non-zero origin at scale 1.
		if _, ok := g.double(gkStdParallel1); ok {
			return 9805, Params{8823: sp1, 8802: lon, 8806: fe, 8807: fn}, nil
		}
		k := g.first(1, gkScaleNatOrigin)
		if lat != 0 && k == 1 {
			return 9805, Params{8823: lat, 8802: lon, 8806: fe, 8807: fn}, nil
		}
		return 9804, Params{8801: lat, 8802: lon, 8805: k, 8806: fe, 8807: fn}, nil
	case ctObliqueMercator, ctHotineObliqueMercatorAC:
		p := Params{8811: lat, 8812: lon, 8813: ang(0, gkAzimuth), 8814: ang(90, gkRectifiedAngle), 8815: k}
		if ct == ctObliqueMercator {
			p[8806], p[8807] = fe, fn
			return 9812, p, nil
		}
		p[8816], p[8817] = fe, fn
		return 9815, p, nil
	case ctObliqueMercatorLaborde:
		return 9813, Params{8811: lat, 8812: lon, 8813: ang(0, gkAzimuth), 8815: k, 8806: fe, 8807: fn}, nil
	case ctCassiniSoldner:
		return origin4(9806)
	case ctPolyconic:
		return origin4(9818)
	case ctNewZealandMapGrid:
		return origin4(9811)
	case ctLambertAzimEqualArea:
		return origin4(9820)
	case ctOrthographic:
		return origin4(9840)
	case ctAzimuthalEquidistant:
		return origin4(9832) // GDAL: Modified Azimuthal Equidistant
	case ctEquirectangular:
		p := Params{8823: sp1, 8802: lon, 8806: fe, 8807: fn}
		if lat != 0 {
			p[8801] = lat
		}
		return 1028, p, nil
	case ctCylindricalEqualArea:
		return 9835, Params{8823: sp1, 8802: ang(0, gkNatOriginLong, gkFOriginLong, gkCenterLong), 8806: fe, 8807: fn}, nil
	case ctAlbersEqualArea:
		return conic(9822)
	case ctLambertConfConic2SP:
		return conic(9802)
	case ctEquidistantConic:
		return conic(1119)
	case ctPolarStereographic:
		lon := ang(0, gkStraightVPole, gkNatOriginLong, gkFOriginLong, gkCenterLong)
		if k == 1 && math.Abs(math.Abs(lat)-math.Pi/2) > 1e-8*deg {
			return 9829, Params{8832: lat, 8833: lon, 8806: fe, 8807: fn}, nil
		}
		return 9810, Params{8801: lat, 8802: lon, 8805: k, 8806: fe, 8807: fn}, nil
	}
	name := ctNames[ct]
	if name == "" {
		name = "unknown CT code"
	}
	if proj, ok := ctNoEPSG[ct]; ok {
		return 0, nil, &GeoKeyError{Key: gkCoordTrans, Value: ct,
			Reason: fmt.Sprintf("%s: GDAL maps it to %s, which has no EPSG method; not supported", name, proj)}
	}
	return 0, nil, &GeoKeyError{Key: gkCoordTrans, Value: ct,
		Reason: name + ": GDAL does not read this projection method; not supported"}
}

// gkAngle converts an angle given in a unit of size unit (radians per
// unit) to radians; the sexagesimal DMS unit (9110) is encoded as NaN.
func gkAngle(v, unit float64) float64 {
	if math.IsNaN(unit) {
		return gkSexagesimal(v) * deg
	}
	return v * unit
}

// gkSexagesimal converts an EPSG 9110 value DDD.MMSSsss to degrees, as
// libgeotiff's GTIFAngleStringToDD does (formatting with 7 decimals).
func gkSexagesimal(v float64) float64 {
	s := strconv.FormatFloat(math.Abs(v), 'f', 7, 64)
	dot := strings.IndexByte(s, '.')
	d, _ := strconv.ParseFloat(s[:dot], 64)
	frac := s[dot+1:]
	m, _ := strconv.ParseFloat(frac[:2], 64)
	sec, _ := strconv.ParseFloat(frac[2:4]+"."+frac[4:], 64)
	out := d + m/60 + sec/3600
	if v < 0 {
		return -out
	}
	return out
}

// gkAngularUnits maps EPSG angular unit codes to radians per unit; NaN marks
// the sexagesimal DMS encoding (9110).
var gkAngularUnits = map[int]float64{
	9101: 1,                  // radian
	9102: deg,                // degree
	9103: deg / 60,           // arc-minute
	9104: deg / 3600,         // arc-second
	9105: math.Pi / 200,      // grad
	9106: math.Pi / 200,      // gon
	9109: 1e-6,               // microradian
	9110: math.NaN(),         // sexagesimal DMS
	9112: math.Pi / 20000,    // centesimal minute
	9113: math.Pi / 2000000,  // centesimal second
	9114: 2 * math.Pi / 6400, // mil_6400
	9122: deg,                // degree (supplier to define representation)
	1031: deg / 3600 / 1000,  // milliarc-second
}

// gkLinearUnits maps EPSG length unit codes to metres per unit (EPSG dataset).
var gkLinearUnits = map[int]float64{
	9001: 1, 9002: 0.3048, 9003: 1200.0 / 3937, 9005: 0.3047972654, 9014: 1.8288,
	9030: 1852, 9031: 1.0000135965, 9033: 20.1168402336805, 9034: 0.201168402336805,
	9035: 1609.34721869444, 9036: 1000, 9037: 0.9143917962, 9038: 20.1166195164,
	9039: 0.201166195164, 9040: 0.914398414616029, 9041: 0.304799471538676,
	9042: 20.1167651215526, 9043: 0.201167651215526, 9050: 0.9143992,
	9051: 0.304799733333333, 9052: 20.1167824, 9053: 0.201167824,
	9060: 0.914399204289812, 9061: 0.304799734763271, 9062: 20.1167824943759,
	9063: 0.201167824943759, 9070: 0.304800833333333, 9080: 0.304799510248147,
	9081: 0.30479841, 9082: 0.3047996, 9083: 0.3047995, 9084: 0.914398530744441,
	9085: 0.91439523, 9086: 0.9143988, 9087: 0.9143985, 9093: 1609.344,
	9094: 0.304799710181509, 9095: 0.3048007491, 9096: 0.9144, 9097: 20.1168,
	9098: 0.201168, 9099: 0.914398, 9300: 0.304799333333333, 9301: 20.116756,
	9302: 0.20116756, 1025: 0.001, 1033: 0.01,
}

// gkPrimeMeridians maps EPSG prime meridian codes to degrees east of
// Greenwich (EPSG dataset, converted from grads and sexagesimal DMS).
var gkPrimeMeridians = map[int]float64{
	8901: 0,
	8902: gkSexagesimal(-9.0754862), // Lisbon
	8903: 2.5969213 * 0.9,           // Paris (grads)
	8904: gkSexagesimal(-74.04513),  // Bogota
	8905: gkSexagesimal(-3.411455),  // Madrid
	8906: gkSexagesimal(12.27084),   // Rome
	8907: gkSexagesimal(7.26225),    // Bern
	8908: gkSexagesimal(106.482779), // Jakarta
	8909: gkSexagesimal(-17.4),      // Ferro
	8910: gkSexagesimal(4.220471),   // Brussels
	8911: gkSexagesimal(18.03298),   // Stockholm
	8912: gkSexagesimal(23.4258815), // Athens
	8913: gkSexagesimal(10.43225),   // Oslo
	8914: gkSexagesimal(2.201395),   // Paris RGS
}

// The EPSG codes of GeoKeys resolve through the generated EPSG table
// (datum_table.go), the same one ForEPSG uses.

// gkTableEllipsoid returns an EPSG ellipsoid.
func gkTableEllipsoid(code int) (Ellipsoid, bool) {
	db, err := loadEPSG()
	if err != nil {
		return Ellipsoid{}, false
	}
	e, ok := db.ells[code]
	return e, ok
}

// gkDatumParts returns the ellipsoid and prime meridian (degrees) of an
// EPSG datum.
func gkDatumParts(datum, key, value int) (Ellipsoid, float64, error) {
	db, err := loadEPSG()
	if err == nil {
		if d, ok := db.datums[datum]; ok {
			return d.el, d.pm / deg, nil
		}
	}
	return Ellipsoid{}, 0, &GeoKeyError{Key: key, Value: value,
		Reason: fmt.Sprintf("datum EPSG:%d is not a geodetic datum of the EPSG dataset %s", datum, epsgVersion)}
}

// gkLookupGeographic returns an EPSG geographic 2D CRS.
func gkLookupGeographic(code int) (Definition, bool) {
	db, err := loadEPSG()
	if err != nil {
		return Definition{}, false
	}
	d, _, err := db.definition(code)
	return d, err == nil && d.Method == 0
}

// gkProjectedCRS returns an EPSG projected CRS.
func gkProjectedCRS(code, key int) (Definition, error) {
	db, err := loadEPSG()
	if err == nil {
		if d, _, err := db.definition(code); err == nil && d.Method != 0 {
			return d, nil
		}
	}
	return Definition{}, &GeoKeyError{Key: key, Value: code,
		Reason: "not a projected CRS of the EPSG dataset " + epsgVersion}
}

// gkConversion returns the method and parameters of an EPSG conversion
// (ProjectionGeoKey).
func gkConversion(code int) (int, Params, bool) {
	db, err := loadEPSG()
	if err != nil {
		return 0, nil, false
	}
	m, p, err := db.conversion(code)
	return m, p, err == nil
}

// ---- ESRI PE strings (WKT1, ESRI dialect) ----

// esriNode is a parsed WKT1 node: KEYWORD[values..., children...].
type esriNode struct {
	kw   string
	vals []string // quoted strings and numbers, in order
	kids []*esriNode
}

func (n *esriNode) kid(kw string) *esriNode {
	for _, k := range n.kids {
		if strings.EqualFold(k.kw, kw) {
			return k
		}
	}
	return nil
}

func (n *esriNode) num(i int) (float64, bool) {
	if i >= len(n.vals) {
		return 0, false
	}
	v, err := strconv.ParseFloat(n.vals[i], 64)
	return v, err == nil
}

func (n *esriNode) name() string {
	if len(n.vals) == 0 {
		return ""
	}
	return n.vals[0]
}

var errESRIWKT = errors.New("malformed WKT")

// parseESRIWKT parses WKT1 (brackets or parentheses, quoted strings with ""
// escapes).
func parseESRIWKT(s string) (*esriNode, error) {
	p := 0
	skip := func() {
		for p < len(s) && strings.IndexByte(" \t\r\n", s[p]) >= 0 {
			p++
		}
	}
	var node func(depth int) (*esriNode, error)
	node = func(depth int) (*esriNode, error) {
		if depth > 32 {
			return nil, errESRIWKT
		}
		skip()
		start := p
		for p < len(s) && (s[p] == '_' || s[p] >= 'A' && s[p] <= 'Z' || s[p] >= 'a' && s[p] <= 'z' || p > start && s[p] >= '0' && s[p] <= '9') {
			p++
		}
		n := &esriNode{kw: s[start:p]}
		skip()
		if n.kw == "" || p >= len(s) || (s[p] != '[' && s[p] != '(') {
			return nil, errESRIWKT
		}
		p++
		for {
			skip()
			if p >= len(s) {
				return nil, errESRIWKT
			}
			switch c := s[p]; {
			case c == ']' || c == ')':
				p++
				return n, nil
			case c == ',':
				p++
			case c == '"':
				p++
				var sb strings.Builder
				for {
					if p >= len(s) {
						return nil, errESRIWKT
					}
					if s[p] == '"' {
						if p+1 < len(s) && s[p+1] == '"' {
							sb.WriteByte('"')
							p += 2
							continue
						}
						p++
						break
					}
					sb.WriteByte(s[p])
					p++
				}
				n.vals = append(n.vals, sb.String())
			case c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z':
				// A child node, or a bare word (AXIS direction).
				q := p
				for q < len(s) && (s[q] == '_' || s[q] >= 'A' && s[q] <= 'Z' || s[q] >= 'a' && s[q] <= 'z' || s[q] >= '0' && s[q] <= '9') {
					q++
				}
				r := q
				for r < len(s) && strings.IndexByte(" \t\r\n", s[r]) >= 0 {
					r++
				}
				if r < len(s) && (s[r] == '[' || s[r] == '(') {
					k, err := node(depth + 1)
					if err != nil {
						return nil, err
					}
					n.kids = append(n.kids, k)
				} else {
					n.vals = append(n.vals, s[p:q])
					p = q
				}
			default:
				start := p
				for p < len(s) && strings.IndexByte(",])", s[p]) < 0 {
					p++
				}
				n.vals = append(n.vals, strings.TrimSpace(s[start:p]))
			}
		}
	}
	n, err := node(0)
	if err != nil {
		return nil, err
	}
	return n, nil
}

// esriDatums maps ESRI datum names to EPSG datum codes (PROJ's ESRI
// aliases for common datums).
var esriDatums = map[string]int{
	"d_wgs_1984": 6326, "d_north_american_1983": 6269, "d_north_american_1927": 6267,
	"d_etrs_1989": 6258, "d_european_1950": 6230, "d_osgb_1936": 6277,
	"d_gda_1994": 6283, "gda2020": 1168, "d_rgf_1993": 6171, "d_wgs_1972": 6322,
	"d_north_american_1983_harn": 6152, "d_north_american_1983_csrs": 6140,
	"d_nad_1983_2011": 1116, "d_nad_1983_nsrs2007": 6759, "d_sirgas_2000": 6674,
	"d_nzgd_2000": 6167, "d_jgd_2000": 6612, "d_jgd_2011": 1128, "d_hartebeesthoek_1994": 6148,
}

// gkGenericDatum reports a datum name that identifies nothing (PROJ then uses
// a ballpark, i.e. no shift, to WGS 84).
func gkGenericDatum(name string) bool {
	n := strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(name, "D_"), "d_"))
	for _, p := range []string{"unknown", "unnamed", "not_specified", "not specified", "none", "undefined", "user_defined", "custom"} {
		if strings.HasPrefix(n, p) {
			return true
		}
	}
	return n == ""
}

// esriProjection describes how an ESRI projection maps to an EPSG method:
// parameter names (lower case) to EPSG parameter codes; angular parameters
// are flagged.
type esriProjection struct {
	method int
	params map[string]int
}

var esriFalseEN = map[string]int{"false_easting": 8806, "false_northing": 8807}

func esriParams(extra map[string]int, false8826 bool) map[string]int {
	m := map[string]int{}
	for k, v := range extra {
		m[k] = v
	}
	if false8826 {
		m["false_easting"], m["false_northing"] = 8826, 8827
	} else {
		for k, v := range esriFalseEN {
			m[k] = v
		}
	}
	return m
}

var esriProjections = map[string]esriProjection{
	"albers": {9822, esriParams(map[string]int{"central_meridian": 8822, "standard_parallel_1": 8823,
		"standard_parallel_2": 8824, "latitude_of_origin": 8821}, true)},
	"transverse_mercator": {9807, esriParams(map[string]int{"central_meridian": 8802, "scale_factor": 8805, "latitude_of_origin": 8801}, false)},
	"gauss_kruger":        {9807, esriParams(map[string]int{"central_meridian": 8802, "scale_factor": 8805, "latitude_of_origin": 8801}, false)},
	"mercator":            {9805, esriParams(map[string]int{"central_meridian": 8802, "standard_parallel_1": 8823}, false)},
	"lambert_azimuthal_equal_area": {9820, esriParams(map[string]int{"central_meridian": 8802, "latitude_of_origin": 8801,
		"longitude_of_center": 8802, "latitude_of_center": 8801}, false)},
	"stereographic_north_pole": {9829, esriParams(map[string]int{"central_meridian": 8833, "standard_parallel_1": 8832}, false)},
	"stereographic_south_pole": {9829, esriParams(map[string]int{"central_meridian": 8833, "standard_parallel_1": 8832}, false)},
	"polar_stereographic":      {9810, esriParams(map[string]int{"central_meridian": 8802, "scale_factor": 8805, "latitude_of_origin": 8801}, false)},
	"double_stereographic":     {9809, esriParams(map[string]int{"central_meridian": 8802, "scale_factor": 8805, "latitude_of_origin": 8801}, false)},
	"equidistant_cylindrical":  {1028, esriParams(map[string]int{"central_meridian": 8802, "standard_parallel_1": 8823}, false)},
	"plate_carree":             {1028, esriParams(map[string]int{"central_meridian": 8802}, false)},
	"cassini":                  {9806, esriParams(map[string]int{"central_meridian": 8802, "latitude_of_origin": 8801}, false)},
	"polyconic":                {9818, esriParams(map[string]int{"central_meridian": 8802, "latitude_of_origin": 8801}, false)},
	"cylindrical_equal_area":   {9835, esriParams(map[string]int{"central_meridian": 8802, "standard_parallel_1": 8823}, false)},
	"azimuthal_equidistant":    {9832, esriParams(map[string]int{"central_meridian": 8802, "latitude_of_origin": 8801}, false)},
	"hotine_oblique_mercator_azimuth_natural_origin": {9812, esriParams(map[string]int{"scale_factor": 8815, "azimuth": 8813,
		"longitude_of_center": 8812, "latitude_of_center": 8811}, false)},
	"hotine_oblique_mercator_azimuth_center": {9815, map[string]int{"false_easting": 8816, "false_northing": 8817,
		"scale_factor": 8815, "azimuth": 8813, "longitude_of_center": 8812, "latitude_of_center": 8811}},
}

// esriLinearParams are the ESRI parameters in the linear unit.
var esriLinearParams = map[string]bool{"false_easting": true, "false_northing": true}

// fromESRIWKT builds a Definition from an ESRI PE string (GDAL imports it
// with PROJ, which maps ESRI projections and parameters to EPSG ones).
func fromESRIWKT(wkt string) (Definition, error) {
	root, err := parseESRIWKT(strings.TrimSpace(wkt))
	if err != nil {
		return Definition{}, &GeoKeyError{Key: gkPCSCitation, Reason: "ESRI PE string: " + err.Error()}
	}
	fail := func(format string, args ...any) (Definition, error) {
		return Definition{}, &GeoKeyError{Key: gkPCSCitation, Reason: "ESRI PE string: " + fmt.Sprintf(format, args...)}
	}
	geogcs := root
	if strings.EqualFold(root.kw, "PROJCS") {
		if geogcs = root.kid("GEOGCS"); geogcs == nil {
			return fail("PROJCS without GEOGCS")
		}
	} else if !strings.EqualFold(root.kw, "GEOGCS") {
		return fail("%s is not a PROJCS or GEOGCS", root.kw)
	}

	var def Definition
	datum := geogcs.kid("DATUM")
	if datum == nil {
		return fail("GEOGCS without DATUM")
	}
	sph := datum.kid("SPHEROID")
	if sph == nil {
		return fail("DATUM without SPHEROID")
	}
	a, ok1 := sph.num(1)
	invf, ok2 := sph.num(2)
	if !ok1 || !ok2 || a <= 0 {
		return fail("invalid SPHEROID %v", sph.vals)
	}
	def.Ellipsoid = Ellipsoid{Name: sph.name(), A: a, InvF: invf}
	if code, ok := esriDatums[strings.ToLower(datum.name())]; ok {
		def.Datum = code
	} else if !gkGenericDatum(datum.name()) {
		return fail("datum %q is not in the built-in table of ESRI datum names", datum.name())
	}
	angUnit := deg
	if u := geogcs.kid("UNIT"); u != nil {
		if v, ok := u.num(1); ok && v > 0 {
			angUnit = v
		}
	}
	if pm := geogcs.kid("PRIMEM"); pm != nil {
		if v, ok := pm.num(1); ok {
			def.PrimeMeridian = v * angUnit
		}
	}
	if root == geogcs {
		if angUnit != deg && math.Abs(angUnit-deg) > 1e-15 {
			def.Unit = angUnit
		}
		return def, nil
	}

	projNode := root.kid("PROJECTION")
	if projNode == nil {
		return fail("PROJCS without PROJECTION")
	}
	linUnit := 1.0
	if u := root.kid("UNIT"); u != nil {
		if v, ok := u.num(1); ok && v > 0 {
			linUnit = v
		}
	}
	if linUnit != 1 {
		def.Unit = linUnit
	}
	vals := map[string]float64{}
	for _, k := range root.kids {
		if strings.EqualFold(k.kw, "PARAMETER") {
			if v, ok := k.num(1); ok {
				vals[strings.ToLower(k.name())] = v
			}
		}
	}
	pname := strings.ToLower(projNode.name())
	proj, ok := esriProjections[pname]
	switch pname {
	case "lambert_conformal_conic":
		if _, two := vals["standard_parallel_2"]; two {
			proj = esriProjection{9802, esriParams(map[string]int{"central_meridian": 8822, "standard_parallel_1": 8823,
				"standard_parallel_2": 8824, "latitude_of_origin": 8821}, true)}
		} else {
			if _, has := vals["latitude_of_origin"]; !has {
				vals["latitude_of_origin"] = vals["standard_parallel_1"]
			}
			proj = esriProjection{9801, esriParams(map[string]int{"central_meridian": 8802, "scale_factor": 8805, "latitude_of_origin": 8801}, false)}
		}
		ok = true
	case "mercator_auxiliary_sphere":
		if vals["auxiliary_sphere_type"] != 0 {
			return fail("Mercator_Auxiliary_Sphere with Auxiliary_Sphere_Type %v is not supported", vals["auxiliary_sphere_type"])
		}
		proj, ok = esriProjection{1024, esriParams(map[string]int{"central_meridian": 8802}, false)}, true
	}
	if !ok {
		return fail("projection %q has no EPSG method in the built-in ESRI mapping; not supported", projNode.name())
	}
	def.Method = proj.method
	def.Params = Params{}
	names := make([]string, 0, len(proj.params))
	for n := range proj.params {
		names = append(names, n)
	}
	sort.Strings(names) // deterministic when two ESRI names share a code
	for _, n := range names {
		code := proj.params[n]
		v, has := vals[n]
		if !has {
			if _, set := def.Params[code]; set {
				continue
			}
			v = 0
			if code == 8805 || code == 8815 {
				v = 1
			}
		}
		if esriLinearParams[n] {
			def.Params[code] = v * linUnit
		} else if code == 8805 || code == 8815 {
			def.Params[code] = v
		} else {
			def.Params[code] = v * angUnit
		}
	}
	if proj.method == 9812 || proj.method == 9815 {
		def.Params[8814] = def.Params[8813] // ESRI: rectified grid angle = azimuth
	}
	if proj.method == 1024 {
		def.Params[8801] = 0
	}
	return def, nil
}
