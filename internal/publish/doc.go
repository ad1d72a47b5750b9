// Package publish writes a build's output atomically and keeps the state of
// incremental builds.
//
// Begin creates a temporary folder beside the destination; the build writes
// into it; Commit swaps it into place with two renames on the same file
// system, and Recover repairs the one window where a crash could leave the
// destination missing. A failed or interrupted build therefore leaves the
// previous output untouched. A destination that exists but was not written
// by stacgen (no marker file) is never replaced.
//
// Neighbours: internal/catalog writes through an Output (it is a
// catalog.Sink); cmd/stacgen drives Begin → build → validate → Commit.
package publish
