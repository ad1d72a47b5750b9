// Package presign turns asset hrefs into short-lived presigned S3 URLs.
//
// An href is accepted only when it addresses an object on the configured
// storage: path-style (https://endpoint/bucket/key), virtual-host
// (https://bucket.endpoint/key) or s3://bucket/key, in an allowed bucket.
// Parsing is strict: userinfo, other schemes, "." and ".." segments after
// percent-decoding, encoded slashes, control characters and unknown query
// parameters are refused; existing X-Amz-* parameters are dropped and the URL
// is re-signed from the canonical key, so a caller cannot smuggle a signature
// or a different object through.
//
// Signing uses the AWS SDK's low-level SigV4 signer (aws/signer/v4
// PresignHTTP) with an unsigned payload; the expiry returned is clamped to the
// signing credentials' own expiry, so a URL never dies before the time stated,
// and when that would make it shorter than Signer.MinLifetime, Sign fails
// with ErrExpired instead. STS.Probe tells whether the storage's STS answers
// (readiness).
//
// Neighbours: internal/signer calls Parse and Sign for each request;
// internal/policy decides whether the caller may; credentials come from the
// standard AWS chain (static mode) or STS AssumeRoleWithWebIdentity (sts mode,
// see credentials.go).
package presign
