// Package crs converts raster coordinates to WGS 84 and builds the STAC item
// footprint (`geometry` and `bbox`) of a georeferenced raster. It is pure
// maths: no I/O, standard library only.
//
// Neighbours: internal/geotiff supplies the GDAL geotransform and EPSG code
// of a file; internal/catalog calls Footprint to fill an item's geometry and
// bbox.
//
// # Supported CRSs
//
// ForEPSG knows a fixed table (SupportedCodes lists it; CRS.Name gives the
// EPSG name):
//
//   - WGS 84 / UTM zones 1N–60N, 1S–60S (EPSG:32601–32660, 32701–32760)
//   - ETRS89 / UTM zones 28N–38N (EPSG:25828–25838)
//   - NAD83 / UTM zones 1N–23N (EPSG:26901–26923)
//   - RGF93 v1 / Lambert-93 (EPSG:2154), Lambert Conic Conformal 2SP
//   - ETRS89-extended / LAEA Europe (EPSG:3035), Lambert Azimuthal Equal Area
//   - WGS 84 / Pseudo-Mercator (EPSG:3857) and World Mercator (EPSG:3395)
//   - OSGB36 / British National Grid (EPSG:27700) and OSGB36 (EPSG:4277),
//     with the 7-parameter Position Vector Helmert EPSG:1314 that PROJ uses
//     when the OSTN15 grid is not installed
//   - geographic WGS 84, ETRS89, NAD83, RGF93 v1 (EPSG:4326, 4258, 4269, 4171)
//
// ETRS89, NAD83 and RGF93 v1 are taken as coincident with WGS 84, exactly as
// PROJ does without grids (null transformations EPSG:1149, 1188, 1671). All
// UTM families share one Transverse Mercator implementation (Krüger series to
// order n⁶, Karney 2011), one Ellipsoid type serves every CRS. Anything else
// — NAD27, ED50, MGI, NTF, polar stereographic, user-defined CRSs — returns an
// *UnsupportedError wrapping ErrUnsupported that names the CRS when known,
// never an approximate bbox.
//
// # Footprints
//
// Footprint densifies the outer pixel edges, maps them through the
// geotransform and the CRS, and returns a counter-clockwise, closed GeoJSON
// Polygon. An outline crossing ±180° becomes a MultiPolygon split at the
// antimeridian with a bbox whose west > east (RFC 7946 §3.1.9, §5.2).
// Longitudes are normalised into [-180, 180] and rounded to 1e-9°. Outlines
// around a pole, wider than 360° or outside a projection's domain are errors
// (ErrInvalidFootprint); a geographic grid that overshoots ±90° or 360° by
// at most a pixel (cell-centre registration) is clamped.
//
// # Accuracy and verification
//
// The target is agreement with GDAL/PROJ within 1 m. The tests check:
//   - every GDAL 3.6.2 `gdalinfo -json` sample in ../shared/geotiff-samples
//     with a geotransform and EPSG id: all four corners agree with GDAL's
//     wgs84Extent within 7 mm (the 1e-7° rounding of gdalinfo) for UTM north
//     and south, ETRS89 UTM, Lambert-93, LAEA, BNG, 3857 and 4326; NAD83
//     geographic is within 0.74 m (PROJ applies a small regional shift at
//     one corner near 180°); unsupported samples must fail with
//     ErrUnsupported;
//   - the EPSG Guidance Note 7-2 worked examples (Transverse Mercator,
//     LCC 2SP, Mercator variant A, Pseudo-Mercator, LAEA) and the Ordnance
//     Survey Annex C example, to their published precision;
//   - an independent Thomas/Redfearn (Snyder 1987) evaluation within ±3° of
//     the central meridian (< 1 mm), and forward/inverse round trips within
//     1 mm across every UTM zone, both hemispheres, ±5° from the meridian.
package crs
