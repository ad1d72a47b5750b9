// Package publish writes a build's output atomically and keeps the state of
// incremental builds.
//
// Begin takes an exclusive advisory lock (flock on ".<out>.stacgen-lock"
// beside the destination; the kernel releases it when the process dies, so
// a crashed build never leaves it held), failing at once with the holder's
// pid or waiting up to a given time. Under the lock it repairs what a dead
// build left (its temporary folders, the window between two renames) and
// creates a temporary folder beside the destination; the build writes into
// it; Commit swaps it into place with one renameat2(RENAME_EXCHANGE) where
// Linux and the file system have it (the destination never disappears), or
// two renames on the same file system elsewhere; Close drops an uncommitted
// temporary folder and releases the lock. A failed or interrupted build
// therefore leaves the previous output untouched, and two builds into one
// destination never mix. A destination that exists but was not written by
// stacgen (no marker file) is never replaced.
//
// The incremental state (".<out>.stacgen-state.json.gz") lives beside the
// output, never published. A build removes it before Commit and, when
// incremental, writes its own after, so a state never describes an output
// other than the one in place.
//
// Neighbours: internal/catalog writes through an Output (it is a
// catalog.Sink); cmd/stacgen drives Begin → build → validate → Commit →
// Close.
package publish
