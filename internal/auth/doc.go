// Package auth verifies the OpenID Connect bearer tokens that callers send
// to the signer and, when the storage trusts another audience, exchanges
// them at the IdP (RFC 8693).
//
// Verification uses go-oidc: discovery and JWKS per trusted issuer (keys are
// re-fetched when a token names an unknown kid, which is how rotation is
// picked up), the issuer chosen from the token's own iss claim among the
// trusted ones, audience, expiry with a small clock-skew leeway, and an
// allow-list of asymmetric algorithms (so "none" and HMAC-with-a-public-key
// are refused). Every failure is an *Error carrying whether the token or the
// IdP is at fault, which internal/signer maps to 401 or 503.
//
// Neighbours: internal/signer calls Verify (and Exchange in sts mode);
// internal/policy reads Principal.Claims; internal/presign receives the
// (exchanged) token for STS.
package auth
