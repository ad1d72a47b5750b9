// Package auth verifies the OpenID Connect bearer tokens that callers send
// to the signer and, when the storage trusts another audience, exchanges
// them at the IdP (RFC 8693).
//
// Verification: discovery (read on first use, refreshed in the background
// every few minutes, retried at most every 2 s while the IdP is down) and
// JWKS per trusted issuer (keyset.go: keys are re-fetched, within budgets,
// when a token names an unknown kid, which is how rotation is picked up),
// the issuer chosen from the token's own iss claim among the trusted ones;
// go-oidc checks the signature, the issuer and an allow-list of asymmetric
// algorithms (so "none" and HMAC-with-a-public-key are refused); this
// package checks the audience and the time claims (exp required, nbf, iat
// not in the future) with Options.Leeway, since go-oidc's own nbf check has a
// fixed 5-minute leeway and ignores iat. Every failure is an *Error carrying
// whether the token or the IdP is at fault, which internal/signer maps to 401
// or 503. Ready fetches each issuer's discovery document and key set now,
// for readiness probes.
//
// Neighbours: internal/signer calls Verify (and Exchange in sts mode);
// internal/policy reads Principal.Claims; internal/presign receives the
// (exchanged) token for STS.
package auth
