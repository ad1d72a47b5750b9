// Package geoparquet writes a collection's items as one stac-geoparquet
// 1.1.0 file (GeoParquet 1.1 underneath): the mirror of a static collection
// that DuckDB, GeoPandas, rustac, and the site's own search in the browser
// query without a server.
//
// One row per item: type, stac_version, stac_extensions, id, geometry (WKB,
// little-endian), bbox as a struct {xmin, ymin, xmax, ymax} (GeoParquet's
// bbox covering), links as a list of structs, assets as a struct of structs
// (one per asset key), collection, and every property as a top-level
// column. Column types are inferred from all of the collection's values
// (kind.go): integers, doubles, booleans, strings, RFC 3339 strings as
// TIMESTAMP(MICROS, UTC), lists of strings; anything else (objects, mixed
// lists, mixed types) as JSON text. Every column is optional: an absent
// value is null, a zero is a zero.
//
// Rows are sorted by month, then along a Hilbert curve over the bbox
// centres, then by time and id, and cut into row groups of DefaultRowGroup
// rows with min/max statistics, so that a date-range and area query reads
// few row groups over HTTP range requests. Snappy compression: the codec
// every reader, hyparquet in the browser included, decodes without extra
// code. The file metadata holds GeoParquet's "geo" key, and the collection
// under "stac-geoparquet" ({"version", "collections"}) and "stac:collection".
//
// Writer.Add is called as each item is emitted, with its encoded JSON; the
// JSON is spilled to a temporary file outside the output and read back in
// sorted order by WriteTo, so memory holds only a sort key per item.
//
// Neighbours: internal/catalog creates one Writer per collection and writes
// the file through its Sink (part of the atomic publish); internal/stac
// provides the items.
package geoparquet
