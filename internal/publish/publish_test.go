package publish

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCommitReplacesAndAbortKeepsPrevious(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "public")
	o, err := Begin(dest)
	if err != nil {
		t.Fatal(err)
	}
	if err := o.WriteFile("a/b.json", []byte("v1")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dest); !os.IsNotExist(err) {
		t.Fatal("destination must not exist before Commit")
	}
	if err := o.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(dest, "a/b.json")); got != "v1" {
		t.Fatal(got)
	}
	// A second build that fails leaves v1 in place.
	o2, err := Begin(dest)
	if err != nil {
		t.Fatal(err)
	}
	_ = o2.WriteFile("a/b.json", []byte("v2"))
	o2.Abort()
	if got := read(t, filepath.Join(dest, "a/b.json")); got != "v1" {
		t.Fatalf("aborted build changed the output: %q", got)
	}
	if _, err := os.Stat(o2.Dir()); !os.IsNotExist(err) {
		t.Fatal("Abort left the temporary folder")
	}
	// A successful one replaces everything (no stale files survive).
	o3, _ := Begin(dest)
	_ = o3.WriteFile("c.json", []byte("v3"))
	if err := o3.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dest, "a/b.json")); !os.IsNotExist(err) {
		t.Fatal("stale file survived")
	}
	entries, _ := os.ReadDir(filepath.Dir(dest))
	if len(entries) != 1 {
		t.Fatalf("leftovers beside the output: %v", entries)
	}
}

func TestRefusesForeignFolderAndBadPaths(t *testing.T) {
	dest := t.TempDir()
	if err := os.WriteFile(filepath.Join(dest, "precious.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Begin(dest)
	if err == nil || !strings.Contains(err.Error(), "not written by stacgen") {
		t.Fatalf("want refusal, got %v", err)
	}
	o, err := Begin(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer o.Abort()
	for _, bad := range []string{"../escape.json", "/abs.json", "a/../../b", ""} {
		if err := o.WriteFile(bad, nil); err == nil {
			t.Errorf("path %q accepted", bad)
		}
	}
}

func TestRecoverRestoresAfterCrashBetweenRenames(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "public")
	o, _ := Begin(dest)
	_ = o.WriteFile("x.json", []byte("old"))
	if err := o.Commit(); err != nil {
		t.Fatal(err)
	}
	// Simulate a crash after the first rename of the next Commit.
	if err := os.Rename(dest, oldPath(dest)); err != nil {
		t.Fatal(err)
	}
	if err := Recover(dest); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(dest, "x.json")); got != "old" {
		t.Fatal(got)
	}
}

func TestStateRoundTrip(t *testing.T) {
	p := StatePath(filepath.Join(t.TempDir(), "public"))
	var v map[string]int
	if ok, err := LoadState(p, &v); ok || err != nil {
		t.Fatalf("missing state: %v %v", ok, err)
	}
	if err := SaveState(p, map[string]int{"a": 1}); err != nil {
		t.Fatal(err)
	}
	if ok, err := LoadState(p, &v); !ok || err != nil || v["a"] != 1 {
		t.Fatalf("%v %v %v", ok, err, v)
	}
	if err := os.WriteFile(p, []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadState(p, &v); err == nil {
		t.Fatal("corrupt state accepted")
	}
}
