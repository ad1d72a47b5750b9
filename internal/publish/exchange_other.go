//go:build !linux

package publish

// exchange is unavailable outside Linux; Commit falls back to two renames.
func exchange(a, b string) error { return errExchangeUnsupported }
