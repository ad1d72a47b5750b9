package testenv

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// InCI reports whether the tests run under CI (CI=true), where a missing
// fixture or service is a failure rather than a skip.
func InCI() bool { return os.Getenv("CI") == "true" }

// RepoRoot returns the repository's root directory (the folder holding go.mod).
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// SharedDir returns the path of ../shared/<sub> (or $EOCAT_SHARED/<sub>).
// When it does not exist the test is skipped, or fails under CI.
func SharedDir(t testing.TB, sub string) string {
	t.Helper()
	base := os.Getenv("EOCAT_SHARED")
	if base == "" {
		base = filepath.Join(RepoRoot(), "..", "shared")
	}
	dir := filepath.Join(base, sub)
	if _, err := os.Stat(dir); err != nil {
		Missing(t, "shared fixtures %s: %v", dir, err)
	}
	return dir
}

// Missing skips the test, or fails it when CI=true.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if InCI() {
		t.Fatalf("required under CI=true: "+format, args...)
	}
	t.Skipf("skipped (set CI=true to make this a failure): "+format, args...)
}
