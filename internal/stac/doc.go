// Package stac holds the STAC 1.1.0 document types that stacgen emits (Item,
// Collection, Catalog, Asset, Link) and their deterministic JSON encoding.
//
// It does no I/O and imports nothing from AWS or net/http: internal/catalog
// fills these types from source objects and raster headers, internal/validate
// checks the encoded bytes against the official schemas, and internal/publish
// writes them. Encoding is byte-for-byte deterministic: known fields in the
// specification's order, extension fields (Extra) sorted by name, two-space
// indentation and a trailing newline, exactly what encoding/json writes with
// HTML escaping off (proved on random documents in encode_test.go), written by
// a direct encoder rather than re-indenting encoding/json's output.
package stac
