//go:build !unix

package publish

// tryLock is a no-op where flock is unavailable: concurrent builds into one
// folder are not detected there.
func tryLock(uintptr) (held bool, err error) { return false, nil }
