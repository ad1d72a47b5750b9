//go:build !race

package signer

// raceEnabled: the tests run with the race detector (scripts/test).
const raceEnabled = false
