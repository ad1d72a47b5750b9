// Package schemas embeds the JSON Schema files that ship with eocat.
//
//   - official.lock.json pins every official schema stacgen may need (STAC core
//     1.0.0/1.1.0, GeoJSON, PROJJSON, the stac-extensions) by URL and SHA-256.
//     internal/validate refuses a pinned schema whose bytes differ, whether it
//     comes from a --schemas mirror, the user cache or the network.
//   - compact/<host>/<path> holds the project's own compact rewrites of the
//     schemas stacgen emits (STAC 1.1.0 core, the GeoJSON geometry, projection
//     v2.0.0, eo v2.0.0, raster v2.0.0, file v2.1.0, authentication v1.1.0,
//     sat v1.1.0, view v1.1.0),
//     laid out by the URL of the official schema they stand in for. They are
//     the last resort of the resolver, for offline or air-gapped runs, and are
//     tested to accept and reject the same documents as the official ones.
//   - *.json at the top level: the project's own schemas (e.g. stacgen's
//     configuration schema).
//
// The package only holds data; internal/validate resolves, verifies and
// compiles it.
package schemas
