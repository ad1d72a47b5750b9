package crs

import (
	"errors"
	"fmt"
	"math"
	"sync"
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

// CRS is the Transformer returned by ForEPSG and New.
type CRS struct {
	code  int
	name  string
	kind  kind
	proj  projection
	datum *datumShift // nil when the datum is WGS 84 or every operation to it is a null transformation
	pm    float64     // prime meridian, radians east of Greenwich
	unit  float64     // metres (projected) or radians (geographic) per axis unit; 0 = metre/degree
	// GDAL's coordinates (traditional GIS order) → the method's: swapped,
	// then negated (e.g. southing/westing data for an easting/northing
	// method).
	swapXY, flipX, flipY bool
}

type kind int

const (
	kindGeographic  kind = iota // x = lon, y = lat in degrees
	kindCylindrical             // lon is linear in x: continuous by construction
	kindOther                   // lon continuous except across the back meridian
)

const wgs84Datum = 6326

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
	sx, sy := c.toSI(x, y)
	lam, phi, err := c.proj.inverse(sx, sy)
	if err != nil {
		return 0, 0, fmt.Errorf("crs: %s: (%v, %v): %w", c, x, y, err)
	}
	lam += c.pm
	if c.datum != nil {
		if lam, phi, err = c.datum.toWGS84(sx, sy, lam, phi); err != nil {
			return 0, 0, fmt.Errorf("crs: %s: (%v, %v): datum %s to WGS 84: %w", c, x, y, c.datum.datum, err)
		}
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
	if c.datum == nil {
		x, y, err = c.forward(lam, phi)
		if err != nil {
			return 0, 0, fmt.Errorf("crs: %s: (%v, %v): %w", c, lon, lat, err)
		}
		return c.fromSI(x, y)
	}
	l, p, cand, err := c.datum.fromWGS84(lam, phi)
	if err != nil {
		return 0, 0, fmt.Errorf("crs: %s: (%v, %v): WGS 84 to datum %s: %w", c, lon, lat, c.datum.datum, err)
	}
	x, y, err = c.forward(l, p)
	if err != nil {
		return 0, 0, fmt.Errorf("crs: %s: (%v, %v): %w", c, lon, lat, err)
	}
	// PROJ picks the operation of the inverse direction by the WGS 84
	// position and that of the forward one by the CRS position, which can
	// disagree near the edge of an area of use. FromWGS84 is the inverse of
	// ToWGS84: when ToWGS84 would use another operation at the result, the
	// inverse of that operation is used instead.
	if len(c.datum.cands) > 1 {
		if _, _, fc, ferr := c.datum.forward(x, y, l, p); ferr == nil && fc != cand {
			if l2, p2, err2 := fc.inverse(lam, phi); err2 == nil {
				if x2, y2, err2 := c.forward(l2, p2); err2 == nil {
					if _, _, fc2, err2 := c.datum.forward(x2, y2, l2, p2); err2 == nil && fc2 == fc {
						x, y = x2, y2
					}
				}
			}
		}
	}
	return c.fromSI(x, y)
}

// forward projects a Greenwich longitude and a latitude (radians).
func (c *CRS) forward(lam, phi float64) (float64, float64, error) {
	return projectWrapped(c.proj, c.kind, lam-c.pm, phi)
}

// projectWrapped is proj.forward(lam, phi). The projections do not all
// reduce λ − λ0 into [−π, π] as PROJ's pj_fwd does: when the inverse does
// not give the longitude back, the longitude is tried one turn east or west.
func projectWrapped(proj projection, k kind, lam, phi float64) (float64, float64, error) {
	var firstErr error
	for _, turn := range []float64{0, 2 * math.Pi, -2 * math.Pi} {
		x, y, err := proj.forward(lam+turn, phi)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if k == kindGeographic || k == kindCylindrical {
			return x, y, nil
		}
		l, _, err := proj.inverse(x, y)
		if err == nil && math.Abs(math.Remainder(l-lam, 2*math.Pi)) < 1e-7 {
			return x, y, nil
		}
		if firstErr == nil {
			firstErr = errOutOfRange
		}
	}
	return 0, 0, firstErr
}

// toSI converts axis values to what the projection takes: metres, or
// degrees for the geographic identity.
func (c *CRS) toSI(x, y float64) (float64, float64) {
	if c.swapXY {
		x, y = y, x
	}
	if c.flipX {
		x = -x
	}
	if c.flipY {
		y = -y
	}
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
	case c.kind == kindGeographic:
		f := deg / c.unit
		x, y = x*f, y*f
	default:
		x, y = x/c.unit, y/c.unit
	}
	if c.flipX {
		x = -x
	}
	if c.flipY {
		y = -y
	}
	if c.swapXY {
		x, y = y, x
	}
	return x, y, nil
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

// ForEPSG returns the Transformer of an EPSG geographic 2D or projected CRS,
// without datum shift grids (as PROJ without grid files). Errors wrap
// ErrUnsupported and say what is missing: the code, a map projection method
// or a datum transformation method.
func ForEPSG(code int) (Transformer, error) {
	return ForEPSGWith(code, nil)
}

// ForEPSGWith is ForEPSG using the datum shift grids of g when an operation
// needs them (nil: none).
func ForEPSGWith(code int, g *Grids) (Transformer, error) {
	c, err := lookupWith(code, g)
	if err != nil {
		return nil, err
	}
	return c, nil
}

func lookup(code int) (*CRS, error) { return lookupWith(code, nil) }

func lookupWith(code int, g *Grids) (*CRS, error) {
	if code <= 0 {
		return nil, &UnsupportedError{Code: code, Reason: "missing or invalid EPSG code"}
	}
	db, err := loadEPSG()
	if err != nil {
		return nil, &UnsupportedError{Code: code, Reason: err.Error(), err: err}
	}
	def, rec, err := db.definition(code)
	if err != nil {
		return nil, err
	}
	return newCRS(def, rec, g)
}

// definition returns the Definition of a table CRS and its record.
func (db *epsgDB) definition(code int) (Definition, *crsRec, error) {
	rec, ok := db.geog[code]
	if !ok {
		rec, ok = db.proj[code]
	}
	if !ok {
		return Definition{}, nil, &UnsupportedError{Code: code,
			Reason: fmt.Sprintf("not a geographic 2D or projected CRS of the EPSG dataset %s (geocentric, geographic 3D, vertical and compound CRSs are not footprint CRSs)", epsgVersion)}
	}
	dr := db.datums[rec.datum]
	def := Definition{Code: code, Name: rec.name, Ellipsoid: dr.el, PrimeMeridian: dr.pm, Datum: rec.datum, Unit: rec.unit}
	if rec.conv != 0 {
		m, p, err := db.conversion(rec.conv)
		if err != nil {
			return Definition{}, nil, &UnsupportedError{Code: code, Name: rec.name, Reason: err.Error(), err: err}
		}
		def.Method, def.Params = m, p
	}
	return def, rec, nil
}

// NewWith is New using the datum shift grids of g (nil: none).
func NewWith(def Definition, g *Grids) (Transformer, error) {
	var rec *crsRec
	if def.Code != 0 {
		if db, err := loadEPSG(); err == nil {
			if r, ok := db.geog[def.Code]; ok && def.Method == 0 {
				rec = r
			} else if r, ok := db.proj[def.Code]; ok && def.Method != 0 {
				rec = r
			}
		}
	}
	c, err := newCRS(def, rec, g)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// newCRS builds a CRS; rec, when not nil, is the table record of def.Code
// (area of use, axis directions).
func newCRS(def Definition, rec *crsRec, g *Grids) (*CRS, error) {
	c := &CRS{code: def.Code, name: def.Name, pm: def.PrimeMeridian, unit: def.Unit}
	if c.name == "" {
		c.name = "user-defined"
	}
	fail := func(reason string, cause error) (*CRS, error) {
		return nil, &UnsupportedError{Code: def.Code, Name: def.Name, Reason: reason, err: cause}
	}
	if def.Ellipsoid.A <= 0 {
		return fail("no ellipsoid", nil)
	}
	if def.Method == 0 {
		c.kind, c.proj = kindGeographic, geographic{}
	} else {
		p, k, err := newProjection(def.Method, def.Ellipsoid, def.Params)
		if err != nil {
			var me *MethodError
			if errors.As(err, &me) {
				name := me.Name
				if name == "" {
					if db, derr := loadEPSG(); derr == nil {
						name = db.methods[me.Method]
					}
				}
				m := fmt.Sprintf("map projection method EPSG:%d", me.Method)
				if name != "" {
					m += " (" + name + ")"
				}
				if me.Detail != "" {
					return fail("it uses "+m+": "+me.Detail, err)
				}
				return fail("it uses "+m+", which is not implemented", err)
			}
			return fail(err.Error(), err)
		}
		c.kind, c.proj = k, p
	}
	if rec != nil && rec.conv != 0 {
		c.swapXY, c.flipX, c.flipY = rec.axes&16 != 0, rec.axes&2 != 0, rec.axes&4 != 0
	}
	switch len(def.ToWGS84) {
	case 0:
		if def.Datum == 0 || def.Datum == wgs84Datum {
			break
		}
		db, err := loadEPSG()
		if err != nil {
			return fail(err.Error(), err)
		}
		ctx := crsContext{projected: def.Method != 0, proj: c.proj, grids: g, pm: def.PrimeMeridian}
		if rec != nil {
			ctx.area = db.area(rec.extent)
		}
		d, err := db.newDatumShift(def.Datum, ctx)
		if err != nil {
			return fail("datum "+datumName(db, def.Datum)+": "+reasonOf(err), err)
		}
		c.datum = d
	case 3, 7:
		h := &helmert{src: def.Ellipsoid, tgt: WGS84, tx: def.ToWGS84[0], ty: def.ToWGS84[1], tz: def.ToWGS84[2]}
		if len(def.ToWGS84) == 7 {
			h.rx, h.ry, h.rz = def.ToWGS84[3]*arcsec, def.ToWGS84[4]*arcsec, def.ToWGS84[5]*arcsec
			h.ds = def.ToWGS84[6] * 1e-6
		}
		if !h.identity() {
			c.datum = &datumShift{datum: "TOWGS84", cands: []*candidate{{name: "TOWGS84", steps: []step{h}, acc: -1, area: bbox{-180, -90, 180, 90}}}}
		}
	default:
		return fail(fmt.Sprintf("TOWGS84 has %d parameters, want 3 or 7", len(def.ToWGS84)), nil)
	}
	return c, nil
}

func datumName(db *epsgDB, code int) string {
	if d := db.datums[code]; d != nil {
		return fmt.Sprintf("EPSG:%d (%s)", code, d.name)
	}
	return fmt.Sprintf("EPSG:%d", code)
}

func reasonOf(err error) string {
	var u *UnsupportedError
	if errors.As(err, &u) {
		return u.Reason
	}
	return err.Error()
}

var (
	supportedOnce  sync.Once
	supportedCodes []int
)

// SupportedCodes returns every EPSG code ForEPSG accepts, sorted: the
// geographic 2D and projected CRSs of the EPSG table whose map projection
// method is implemented and whose datum transformations to WGS 84 are
// (computed once, by building each CRS).
func SupportedCodes() []int {
	supportedOnce.Do(func() {
		db, err := loadEPSG()
		if err != nil {
			return
		}
		for _, code := range db.codes {
			if _, err := lookup(code); err == nil {
				supportedCodes = append(supportedCodes, code)
			}
		}
	})
	return append([]int(nil), supportedCodes...)
}

// Name returns the EPSG name of a geographic 2D or projected CRS code of
// the EPSG table (supported or not), else "".
func Name(code int) string {
	db, err := loadEPSG()
	if err != nil {
		return ""
	}
	if r, ok := db.geog[code]; ok {
		return r.name
	}
	if r, ok := db.proj[code]; ok {
		return r.name
	}
	return ""
}
