// Package signer is the signer's HTTP API: it authenticates the caller,
// checks each href, asks for storage credentials and returns presigned URLs,
// in the request shapes real clients already speak (the project's own
// /sign, DINAMIS /sign_urls, Planetary Computer /api/sas/v1/sign, whole STAC
// documents, redirects for GDAL and curl).
//
// Handlers return errors; one mapper (errors.go) turns them into a status, a
// JSON body {"error": code, "detail": message} and a log line. Middleware adds
// a request ID, X-Content-Type-Options: nosniff, CORS for configured
// origins, a bound on the headers (JSON 431) and per-subject rate limits
// (429 with Retry-After). Request bodies are read whole after
// authentication, once admitted against a process-wide
// budget of bytes in flight (body.go: 503 busy when it stays full); STAC
// documents are rewritten in place, never decoded into Go values (stac.go).
// Lifetimes below Config.MinLifetime are the caller's error (400
// invalid_duration); only credentials that really expire too soon are a 503.
// /readyz probes each dependency at most once per interval (ready.go). Every
// signed URL is logged once as an audit line (subject, method, bucket/key,
// expiry, mode), never with a token or a signature.
//
// In mode sts, POST /credentials (credentials.go) hands out temporary
// storage credentials for one folder, for tools that need prefix access
// (Zarr, rclone, GDAL /vsis3/): a new STS session with the caller's token and
// a session policy limited to the folder, which the storage intersects with
// the role's own; each is logged (subject, bucket, prefix, expiry, access key
// id, never a secret). In mode static it answers 404 not_supported: the
// signer's own credentials are never handed out.
//
// Callers authenticate with a bearer token or, in static mode when a store
// is configured, with a DINAMIS API key (access-key/secret-key headers;
// apikeys.go): the key acts as its owner with the claims kept at creation,
// and only a bearer token can create, list or revoke keys.
//
// New takes a Config whose values are valid: cmd/signer's configuration
// checks are the one place they are checked, and New only refuses a Config
// that cannot serve at all (no verifier, storage or credentials, an unknown
// mode, mode static without a policy). A zero lifetime, limit or interval
// takes its default, a Default… constant, except where Config's fields say
// otherwise: MaxLifetime is presign.MaxLifetime, MaxBodyBytes 1 MiB,
// BodyWait 2 s, ProbeTimeout 3 s, MaxInflightBytes DefaultInflightBytes
// (from the memory limit), RateBurst at least 1, and a zero RatePerSecond turns rate
// limits off.
// The metrics' names are the Metric… constants.
//
// Neighbours: internal/auth (tokens), internal/apikey (API keys),
// internal/policy (static mode), internal/presign (hrefs, credentials,
// SigV4); cmd/signer builds the Config and runs the server.
package signer
