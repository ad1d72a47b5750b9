// Package signer is the signer's HTTP API: it authenticates the caller,
// checks each href, asks for storage credentials and returns presigned URLs,
// in the request shapes real clients already speak (the project's own
// /sign, DINAMIS /sign_urls, Planetary Computer /api/sas/v1/sign, whole STAC
// documents, redirects for GDAL and curl).
//
// Handlers return errors; one mapper (errors.go) turns them into a status, a
// JSON body {"error": code, "detail": message} and a log line. Middleware adds
// a request ID, body limits, CORS for configured origins and per-subject rate
// limits (429 with Retry-After). Every signed URL is logged once as an audit
// line (subject, method, bucket/key, expiry, mode), never with a token or a
// signature.
//
// Neighbours: internal/auth (tokens), internal/policy (static mode),
// internal/presign (hrefs, credentials, SigV4); cmd/signer builds the Config
// and runs the server.
package signer
