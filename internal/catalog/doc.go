// Package catalog turns listed objects into STAC: objects → items →
// collections → root catalog.
//
// For each configured collection it groups the source's objects into items
// (one per leaf product folder, or by the named groups of a regular
// expression), maps files to assets by glob rules, reads every raster's
// header with ranged reads (a bounded worker pool, internal/geotiff),
// derives projection, raster/eo bands, file size/checksum and the WGS84
// footprint (internal/crs), merges sidecar metadata and templated
// properties, then computes collection extents, summaries and item_assets.
//
// Documents leave through a Sink as encoded bytes, each checked by the
// caller's Check hook (schema validation) as soon as it is produced, so
// items are never all held in memory. Links are relative (root, parent,
// collection, child, item); only the root carries an absolute self link, when
// a base URL is known. Item ids are restricted to [A-Za-z0-9._-] so that no
// id can escape the output folder. Output is deterministic: the same input
// gives byte-identical documents.
//
// Neighbours: internal/config (rules), internal/source (objects and bytes),
// internal/stac (types), internal/validate (via Check), internal/publish
// (Sink and incremental State persistence).
package catalog
