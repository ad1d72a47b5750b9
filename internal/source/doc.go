// Package source lists objects and reads byte ranges from where the data
// lives: S3 buckets (aws-sdk-go-v2, any S3-compatible endpoint) and local
// folders, behind one Source interface.
//
// Listing streams: objects reach the caller while the listing goes on, with
// the first level of sub-prefixes listed concurrently. Reads are ranged so
// that raster headers cost one small request each. S3 requests are retried
// with exponential backoff on throttling and 5xx (the SDK's standard
// retryer), bounded by per-request timeouts, and stop when the context is
// cancelled (Ctrl-C).
//
// Neighbours: internal/catalog consumes Sources; internal/geotiff reads
// headers through ReaderAt; internal/testenv starts a real S3 server for the
// conformance tests that run against both implementations.
package source
