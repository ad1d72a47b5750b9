// Package config loads and checks stacgen's YAML configuration.
//
// A configuration names the root catalog and, per collection, a source
// (s3://bucket/prefix/ or a local folder), how objects group into items, asset
// rules and item properties. Load validates the file against the published
// JSON Schema (schemas/stacgen-config.schema.json) and then against rules a
// schema cannot express (regular expressions compile, placeholders exist, ids
// are unique); every problem is reported at once, naming the field and line.
//
// Neighbours: cmd/stacgen calls Load; internal/source opens Collection.Source;
// internal/catalog applies the grouping, asset and property rules.
package config
