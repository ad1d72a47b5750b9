//go:build !unix

package apikey

// lockFile is a no-op where flock is unavailable.
func lockFile(string) (func() error, error) { return func() error { return nil }, nil }
