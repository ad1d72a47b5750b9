package signer

import (
	"os"
	"runtime/debug"
)

// GCPercent is the garbage-collection target the signer runs with unless
// GOGC is set. Signing allocates many short-lived objects per URL (the SDK's
// SigV4 signer alone about 60) on a live heap of a few MiB, so collecting
// less often buys about twice the POST /sign throughput on two cores for a
// few tens of MiB (docs/performance.md).
const GCPercent = 400

// TuneGC applies GCPercent unless the GOGC environment variable is set.
func TuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(GCPercent)
	}
}
