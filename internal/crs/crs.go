package crs

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
)

// ErrUnsupported is wrapped by every error ForEPSG returns for a CRS this
// package cannot convert to WGS 84 within its accuracy target.
var ErrUnsupported = errors.New("unsupported CRS")

// Transformer converts coordinates of one CRS to WGS 84 longitude/latitude in
// degrees. For geographic CRSs x is the longitude and y the latitude (GDAL's
// traditional GIS order, as in GeoTIFF geotransforms).
type Transformer interface {
	ToWGS84(x, y float64) (lon, lat float64, err error)
	EPSG() int
}

// UnsupportedError reports a CRS that ForEPSG refuses. It wraps
// ErrUnsupported, so errors.Is(err, ErrUnsupported) holds.
type UnsupportedError struct {
	Code   int
	Name   string // EPSG name when known, else ""
	Reason string
	err    error // the cause (e.g. a *MethodError), if any
}

func (e *UnsupportedError) Error() string {
	if e.Name != "" {
		return fmt.Sprintf("crs: EPSG:%d (%s) is not supported: %s", e.Code, e.Name, e.Reason)
	}
	return fmt.Sprintf("crs: EPSG:%d is not supported: %s", e.Code, e.Reason)
}

func (e *UnsupportedError) Unwrap() []error {
	if e.err != nil {
		return []error{ErrUnsupported, e.err}
	}
	return []error{ErrUnsupported}
}

// CRS is the Transformer returned by ForEPSG.
type CRS struct {
	code  int
	name  string
	kind  kind
	proj  projection
	datum *helmert // nil when the datum is treated as coincident with WGS 84
	pm    float64  // prime meridian, radians east of Greenwich
	unit  float64  // metres (projected) or radians (geographic) per axis unit; 0 = metre/degree
}

type kind int

const (
	kindGeographic  kind = iota // x = lon, y = lat in degrees
	kindCylindrical             // lon is linear in x: continuous by construction
	kindOther                   // lon continuous except across the back meridian
)

// EPSG returns the EPSG code of the CRS.
func (c *CRS) EPSG() int { return c.code }

// Name returns the EPSG name of the CRS, e.g. "WGS 84 / UTM zone 31N".
func (c *CRS) Name() string { return c.name }

func (c *CRS) String() string {
	if c.code == 0 {
		return c.name
	}
	return fmt.Sprintf("EPSG:%d (%s)", c.code, c.name)
}

// ToWGS84 converts CRS coordinates to WGS 84 longitude/latitude in degrees,
// with the longitude normalised into [-180, 180].
func (c *CRS) ToWGS84(x, y float64) (lon, lat float64, err error) {
	lon, lat, err = c.toWGS84Raw(x, y)
	if err != nil {
		return 0, 0, err
	}
	return normLon(lon), lat, nil
}

// toWGS84Raw is ToWGS84 without longitude normalisation: the longitude is
// lon0 + Δλ, continuous across ±180° (e.g. 181.2 for UTM zone 60 east of the
// antimeridian, or the raw value of a geographic raster).
func (c *CRS) toWGS84Raw(x, y float64) (lon, lat float64, err error) {
	if !finite(x) || !finite(y) {
		return 0, 0, fmt.Errorf("crs: %s: non-finite coordinate (%v, %v)", c, x, y)
	}
	lam, phi, err := c.proj.inverse(c.toSI(x, y))
	if err != nil {
		return 0, 0, fmt.Errorf("crs: %s: (%v, %v): %w", c, x, y, err)
	}
	lam += c.pm
	if c.datum != nil {
		lam, phi = c.datum.toWGS84(lam, phi)
	}
	lon, lat = lam*180/math.Pi, phi*180/math.Pi
	if !finite(lon) || !finite(lat) || math.Abs(lat) > 90+1e-9 {
		return 0, 0, fmt.Errorf("crs: %s: (%v, %v): %w", c, x, y, errOutOfRange)
	}
	return lon, math.Max(-90, math.Min(90, lat)), nil
}

// FromWGS84 converts WGS 84 longitude/latitude in degrees to CRS
// coordinates (the inverse of ToWGS84; geographic CRSs return lon, lat).
func (c *CRS) FromWGS84(lon, lat float64) (x, y float64, err error) {
	if !finite(lon) || !finite(lat) || math.Abs(lat) > 90 {
		return 0, 0, fmt.Errorf("crs: %s: invalid WGS 84 coordinate (%v, %v)", c, lon, lat)
	}
	lam, phi := lon*math.Pi/180, lat*math.Pi/180
	if c.datum != nil {
		lam, phi = c.datum.fromWGS84(lam, phi)
	}
	x, y, err = c.proj.forward(lam-c.pm, phi)
	if err != nil {
		return 0, 0, fmt.Errorf("crs: %s: (%v, %v): %w", c, lon, lat, err)
	}
	return c.fromSI(x, y)
}

// toSI converts axis values to what the projection takes: metres, or
// degrees for the geographic identity.
func (c *CRS) toSI(x, y float64) (float64, float64) {
	switch {
	case c.unit == 0:
		return x, y
	case c.kind == kindGeographic:
		f := c.unit / deg
		return x * f, y * f
	}
	return x * c.unit, y * c.unit
}

func (c *CRS) fromSI(x, y float64) (float64, float64, error) {
	switch {
	case c.unit == 0:
		return x, y, nil
	case c.kind == kindGeographic:
		f := deg / c.unit
		return x * f, y * f, nil
	}
	return x / c.unit, y / c.unit, nil
}

// normLon maps a longitude in degrees into [-180, 180], keeping +180 as is.
func normLon(lon float64) float64 {
	if lon >= -180 && lon <= 180 {
		return lon
	}
	lon = math.Mod(lon+180, 360)
	if lon < 0 {
		lon += 360
	}
	return lon - 180
}

const deg = math.Pi / 180

// geographicCRS lists geographic CRSs whose datum PROJ (without grids)
// transforms to WGS 84 by a null transformation: the coordinates are used
// unchanged. Verified against GDAL/PROJ output for 4326 and 4269 in the test
// fixtures.
var geographicCRS = map[int]string{
	4326: "WGS 84",
	4258: "ETRS89",   // EPSG:1149 ETRS89 to WGS 84 (1): null, 1 m
	4269: "NAD83",    // EPSG:1188 NAD83 to WGS 84 (1): null, 4 m
	4171: "RGF93 v1", // EPSG:1671 RGF93 v1 to WGS 84 (1): null, 1 m
}

// ForEPSG returns the Transformer for an EPSG code, or an error wrapping
// ErrUnsupported naming the CRS when it is known but not implemented.
func ForEPSG(code int) (Transformer, error) {
	c, err := lookup(code)
	if err != nil {
		return nil, err
	}
	return c, nil
}

func lookup(code int) (*CRS, error) {
	utm := func(name string, el Ellipsoid, zone int, south bool) *CRS {
		fn := 0.0
		if south {
			fn = 10000000
		}
		lon0 := float64(6*zone-183) * deg
		return &CRS{code: code, name: name, kind: kindOther,
			proj: newTmerc(el, 0, lon0, 0.9996, 500000, fn)}
	}
	switch {
	case code >= 32601 && code <= 32660:
		z := code - 32600
		return utm(fmt.Sprintf("WGS 84 / UTM zone %dN", z), WGS84, z, false), nil
	case code >= 32701 && code <= 32760:
		z := code - 32700
		return utm(fmt.Sprintf("WGS 84 / UTM zone %dS", z), WGS84, z, true), nil
	case code >= 25828 && code <= 25838: // ETRS89 → WGS 84 null (EPSG:1149)
		z := code - 25800
		return utm(fmt.Sprintf("ETRS89 / UTM zone %dN", z), GRS80, z, false), nil
	case code >= 26901 && code <= 26923: // NAD83 → WGS 84 null (EPSG:1188)
		z := code - 26900
		return utm(fmt.Sprintf("NAD83 / UTM zone %dN", z), GRS80, z, false), nil
	}
	if name, ok := geographicCRS[code]; ok {
		return &CRS{code: code, name: name, kind: kindGeographic, proj: geographic{}}, nil
	}
	switch code {
	case 4277: // same EPSG:1314 Helmert as 27700
		return &CRS{code: code, name: "OSGB36", kind: kindGeographic, proj: geographic{}, datum: osgb36ToWGS84}, nil
	case 3857:
		return &CRS{code: code, name: "WGS 84 / Pseudo-Mercator", kind: kindCylindrical,
			proj: &mercator{a: WGS84.A, k0: 1, sphere: true}}, nil
	case 3395:
		return &CRS{code: code, name: "WGS 84 / World Mercator", kind: kindCylindrical,
			proj: &mercator{a: WGS84.A, e: WGS84.E(), k0: 1}}, nil
	case 2154: // RGF93 v1 → WGS 84 null (EPSG:1671)
		return &CRS{code: code, name: "RGF93 v1 / Lambert-93", kind: kindOther,
			proj: newLCC2SP(GRS80, 46.5*deg, 3*deg, 49*deg, 44*deg, 700000, 6600000)}, nil
	case 3035: // ETRS89 → WGS 84 null (EPSG:1149)
		return &CRS{code: code, name: "ETRS89-extended / LAEA Europe", kind: kindOther,
			proj: newLAEA(GRS80, 52*deg, 10*deg, 4321000, 3210000)}, nil
	case 27700:
		return &CRS{code: code, name: "OSGB36 / British National Grid", kind: kindOther,
			proj:  newTmerc(Airy1830, 49*deg, -2*deg, 0.9996012717, 400000, -100000),
			datum: osgb36ToWGS84}, nil
	}
	return nil, unsupported(code)
}

// SupportedCodes returns every EPSG code ForEPSG accepts, sorted.
func SupportedCodes() []int {
	var out []int
	for _, r := range [][2]int{{32601, 32660}, {32701, 32760}, {25828, 25838}, {26901, 26923}} {
		for c := r[0]; c <= r[1]; c++ {
			out = append(out, c)
		}
	}
	for c := range geographicCRS {
		out = append(out, c)
	}
	out = append(out, 2154, 3035, 3395, 3857, 4277, 27700)
	sort.Ints(out)
	return out
}

// unsupportedCRS names CRSs that users are likely to meet but that need a
// datum shift or projection this package does not implement. It only serves
// better error messages.
var unsupportedCRS = map[int][2]string{
	4267:  {"NAD27", reasonNAD27},
	4230:  {"ED50", reasonED50},
	4283:  {"GDA94", reasonDatum},
	7844:  {"GDA2020", reasonDatum},
	4167:  {"NZGD2000", reasonDatum},
	4612:  {"JGD2000", reasonDatum},
	6668:  {"JGD2011", reasonDatum},
	4617:  {"NAD83(CSRS)", reasonDatum},
	4759:  {"NAD83(NSRS2007)", reasonDatum},
	6318:  {"NAD83(2011)", reasonDatum},
	3031:  {"WGS 84 / Antarctic Polar Stereographic", reasonMethod},
	3413:  {"WGS 84 / NSIDC Sea Ice Polar Stereographic North", reasonMethod},
	3976:  {"WGS 84 / NSIDC Sea Ice Polar Stereographic South", reasonMethod},
	32661: {"WGS 84 / UPS North (N,E)", reasonMethod},
	32761: {"WGS 84 / UPS South (N,E)", reasonMethod},
	3034:  {"ETRS89-extended / LCC Europe", reasonMethod},
	5070:  {"NAD83 / Conus Albers", reasonMethod},
	2056:  {"CH1903+ / LV95", reasonDatum},
	28992: {"Amersfoort / RD New", reasonDatum},
	31259: {"MGI / Austria GK M34", reasonDatum},
	31258: {"MGI / Austria GK M31", reasonDatum},
	31257: {"MGI / Austria GK M28", reasonDatum},
	31256: {"MGI / Austria GK East", reasonDatum},
	31255: {"MGI / Austria GK Central", reasonDatum},
	31254: {"MGI / Austria GK West", reasonDatum},
	27561: {"NTF (Paris) / Lambert Nord France", reasonDatum},
	27562: {"NTF (Paris) / Lambert Centre France", reasonDatum},
	27563: {"NTF (Paris) / Lambert Sud France", reasonDatum},
	27564: {"NTF (Paris) / Lambert Corse", reasonDatum},
	27572: {"NTF (Paris) / Lambert zone II", reasonDatum},
}

const (
	reasonNAD27  = "the NAD27 → WGS 84 datum shift needs NADCON/NTv2 grids (tens of metres), which this package does not implement"
	reasonED50   = "the ED50 → WGS 84 datum shift is region-dependent (tens to hundreds of metres) and not implemented"
	reasonDatum  = "its datum shift to WGS 84 is not implemented"
	reasonMethod = "its map projection is not implemented"
)

func unsupported(code int) error {
	switch {
	case code <= 0:
		return &UnsupportedError{Code: code, Reason: "missing or invalid EPSG code"}
	case code >= 26701 && code <= 26722:
		return &UnsupportedError{Code: code, Name: fmt.Sprintf("NAD27 / UTM zone %dN", code-26700), Reason: reasonNAD27}
	case code >= 23028 && code <= 23038:
		return &UnsupportedError{Code: code, Name: fmt.Sprintf("ED50 / UTM zone %dN", code-23000), Reason: reasonED50}
	}
	if v, ok := unsupportedCRS[code]; ok {
		return &UnsupportedError{Code: code, Name: v[0], Reason: v[1]}
	}
	return &UnsupportedError{Code: code, Reason: "no built-in definition; supported are " + supportedSummary}
}

var supportedSummary = strings.Join([]string{
	"WGS 84 / UTM (32601-32660, 32701-32760)",
	"ETRS89 / UTM (25828-25838)",
	"NAD83 / UTM (26901-26923)",
	"Lambert-93 (2154)", "LAEA Europe (3035)", "British National Grid (27700)", "OSGB36 (4277)",
	"Pseudo-Mercator (3857)", "World Mercator (3395)",
	"geographic 4326, 4258, 4269, 4171",
}, ", ")

// Name returns the EPSG name of a CRS code when this package knows it
// (supported, or known and refused), else "".
func Name(code int) string {
	c, err := lookup(code)
	if err == nil {
		return c.name
	}
	var u *UnsupportedError
	if errors.As(err, &u) {
		return u.Name
	}
	return ""
}
