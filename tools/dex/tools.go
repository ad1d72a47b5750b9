//go:build tools

// Package tools pins Dex, the OpenID Provider the signer's integration tests
// run against (.ci/tools.sh dex builds it). It is a module of its own so
// that Dex's dependencies never enter the main module.
package tools

import _ "github.com/dexidp/dex/cmd/dex"
