// Package testenv is what the project's tests share: the read-only fixtures
// that live beside the repository, the real servers and clients the
// integration tests start, and the rule for when one of them is missing.
//
// Fixtures: SharedDir finds ../shared/<sub>, or $EOCAT_SHARED/<sub> (the
// official STAC schemas and examples, GeoTIFF samples); RepoRoot is the
// repository's root.
//
// Servers and clients, each private to one test, on free loopback ports and
// stopped when the test ends:
//
//   - StartVersityGW: a real S3 server (versitygw, posix backend in
//     t.TempDir()) that really verifies SigV4, unlike an in-process fake;
//   - StartSeaweedFS: SeaweedFS with STS and policies using OIDC claim
//     variables (${jwt:sub}), what the signer's mode sts is tested against;
//   - StartDex: the Dex OpenID Provider (password grant, RFC 8693 token
//     exchange Dex's way, key rotation);
//   - StartOIDCProvider: go-oidc's in-process provider, signing tokens with
//     any claims and rotating its key on demand;
//   - StartTokenExchangeProvider: zitadel/oidc's provider library serving
//     standard RFC 8693 token exchange in process;
//   - StartChromium and NewTab: headless Chromium, with tabs that record
//     every console error, failed request and dialog.
//
// The external programs come from the variables `.ci/tools.sh` exports
// ($EOCAT_VERSITYGW, $EOCAT_WEED, $EOCAT_DEX, $EOCAT_CHROMIUM), else the tool
// cache $HOME/.cache/eocat/bin/<tool>-<version> (versitygw, SeaweedFS, Dex),
// else PATH (versitygw, Chromium). versitygw, SeaweedFS and Dex run in
// process groups of their own (Linux only), killed with everything they
// started; their output is logged when the test fails.
//
// Missing: a test that lacks a fixture, a program or a service is skipped
// on a developer machine and fails when CI=true (InCI), so that CI can never
// go green by silently skipping an integration test.
//
// Smaller helpers: Fetch (one plain HTTP request), DirWriter (files under a
// folder, as the renderer writes them), SyntheticItems (deterministic
// Sentinel-2-like items), ListingS3 (an in-process ListObjectsV2 that counts
// the listing requests in flight: a unit test's probe, not a stand-in for
// the real servers above), WriteNTv2 (synthetic NTv2 grid files),
// LockedBuffer (a goroutine-safe log sink for the servers' output),
// FirstDiff (where two golden texts first differ), and ScriptCmds and
// ScriptSetup (the commands and environment the testscript CLI scripts of
// cmd/stacgen and cmd/signer share).
package testenv
