package publish

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// begin starts an output that the test closes at its end.
func begin(t *testing.T, dest string) *Output {
	t.Helper()
	o, err := Begin(context.Background(), dest, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(o.Close)
	return o
}

func TestCommitReplacesAndCloseKeepsPrevious(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "public")
	o, err := Begin(context.Background(), dest, 0)
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
	o.Close()
	if got := read(t, filepath.Join(dest, "a/b.json")); got != "v1" {
		t.Fatal(got)
	}
	// A second build that fails leaves v1 in place.
	o2 := begin(t, dest)
	_ = o2.WriteFile("a/b.json", []byte("v2"))
	o2.Close()
	if got := read(t, filepath.Join(dest, "a/b.json")); got != "v1" {
		t.Fatalf("aborted build changed the output: %q", got)
	}
	if _, err := os.Stat(o2.Dir()); !os.IsNotExist(err) {
		t.Fatal("Close left the temporary folder")
	}
	// A successful one replaces everything (no stale files survive).
	o3 := begin(t, dest)
	_ = o3.WriteFile("c.json", []byte("v3"))
	if err := o3.Commit(); err != nil {
		t.Fatal(err)
	}
	o3.Close()
	if _, err := os.Stat(filepath.Join(dest, "a/b.json")); !os.IsNotExist(err) {
		t.Fatal("stale file survived")
	}
	entries, _ := os.ReadDir(filepath.Dir(dest))
	if len(entries) != 2 || entries[0].Name() != ".public.stacgen-lock" || entries[1].Name() != "public" {
		t.Fatalf("leftovers beside the output: %v", entries)
	}
}

func TestRefusesForeignFolderAndBadPaths(t *testing.T) {
	dest := t.TempDir()
	if err := os.WriteFile(filepath.Join(dest, "precious.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Begin(context.Background(), dest, 0)
	if err == nil || !strings.Contains(err.Error(), "not written by stacgen") {
		t.Fatalf("want refusal, got %v", err)
	}
	// The refusal released the lock.
	if _, err := os.Stat(filepath.Join(dest, "precious.txt")); err != nil {
		t.Fatal(err)
	}
	if held, err := lockHeld(LockPath(dest)); held || err != nil {
		t.Fatalf("lock still held after a refused Begin: %v %v", held, err)
	}
	o := begin(t, filepath.Join(t.TempDir(), "out"))
	for _, bad := range []string{"../escape.json", "/abs.json", "a/../../b", ""} {
		if err := o.WriteFile(bad, nil); err == nil {
			t.Errorf("path %q accepted", bad)
		}
	}
}

func TestRecoverRestoresAfterCrashBetweenRenames(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "public")
	o := begin(t, dest)
	_ = o.WriteFile("x.json", []byte("old"))
	if err := o.Commit(); err != nil {
		t.Fatal(err)
	}
	o.Close()
	// Simulate a crash after the first rename of the fallback Commit, and a
	// temporary folder left by a build that died.
	if err := os.Rename(dest, oldPath(dest)); err != nil {
		t.Fatal(err)
	}
	dead := filepath.Join(filepath.Dir(dest), ".public.stacgen-tmp-dead")
	if err := os.Mkdir(dead, 0o755); err != nil {
		t.Fatal(err)
	}
	o2 := begin(t, dest) // recovers under the lock
	if got := read(t, filepath.Join(dest, "x.json")); got != "old" {
		t.Fatal(got)
	}
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Fatal("a dead build's temporary folder was kept")
	}
	if _, err := os.Stat(o2.Dir()); err != nil {
		t.Fatal(err)
	}
}

// lockHeld reports whether another descriptor holds the flock of p.
func lockHeld(p string) (bool, error) {
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return false, err
	}
	defer f.Close() //nolint:errcheck // a probe of the lock; closing releases it
	return tryLock(f.Fd())
}

func TestSecondBuildFailsFastOrWaitsAndNeverTouchesTheFirst(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "public")
	first := begin(t, dest)
	if err := first.WriteFile("a.json", []byte("first")); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := Begin(context.Background(), dest, 0)
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("second Begin: want a LockedError, got %v", err)
	}
	if time.Since(start) > time.Second {
		t.Errorf("without a wait the refusal must be immediate, took %s", time.Since(start))
	}
	if want := fmt.Sprintf("pid %d on ", os.Getpid()); !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "--wait-lock") {
		t.Errorf("the error must name the holder (%q) and the way to wait: %v", want, err)
	}
	// The refused build removed nothing of the running one.
	if got := read(t, filepath.Join(first.Dir(), "a.json")); got != "first" {
		t.Fatal(got)
	}
	// A bounded wait gives up with the time waited.
	_, err = Begin(context.Background(), dest, 150*time.Millisecond)
	if !errors.As(err, &le) || le.Waited != 150*time.Millisecond || !strings.Contains(err.Error(), "gave up after waiting 150ms") {
		t.Fatalf("bounded wait: %v", err)
	}
	// A cancelled wait stops at once.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Begin(ctx, dest, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait: %v", err)
	}
	// A waiting build gets the folder once the first one is done.
	go func() {
		time.Sleep(200 * time.Millisecond)
		if err := first.Commit(); err != nil {
			t.Error(err)
		}
		first.Close()
	}()
	second, err := Begin(context.Background(), dest, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if got := read(t, filepath.Join(dest, "a.json")); got != "first" {
		t.Fatalf("the first build's output must be in place: %q", got)
	}
	if want := fmt.Sprintf("pid %d on ", os.Getpid()); !strings.HasPrefix(read(t, LockPath(dest)), want) {
		t.Errorf("lock file: %q", read(t, LockPath(dest)))
	}
}

func TestCommitNeverLeavesTheDestinationMissing(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("renameat2(RENAME_EXCHANGE) is Linux's")
	}
	dest := filepath.Join(t.TempDir(), "public")
	o := begin(t, dest)
	_ = o.WriteFile("x.json", []byte("v0"))
	if err := o.Commit(); err != nil {
		t.Fatal(err)
	}
	o.Close()
	// A reader polling the destination while it is replaced 100 times must
	// always find it, with one version or another.
	stop := make(chan struct{})
	missing := make(chan int, 1)
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				missing <- n
				return
			default:
			}
			if _, err := os.Stat(filepath.Join(dest, "x.json")); err != nil {
				n++
			}
		}
	}()
	for i := 1; i <= 100; i++ {
		o := begin(t, dest)
		v := fmt.Sprint("v", i)
		_ = o.WriteFile("x.json", []byte(v))
		if err := o.Commit(); err != nil {
			t.Fatal(err)
		}
		o.Close()
		if got := read(t, filepath.Join(dest, "x.json")); got != v {
			t.Fatalf("after commit %d: %q", i, got)
		}
		if _, err := os.Stat(o.Dir()); !os.IsNotExist(err) {
			t.Fatalf("the previous output was left at %s", o.Dir())
		}
	}
	close(stop)
	if n := <-missing; n > 0 {
		t.Errorf("the destination was missing %d time(s) during 100 commits", n)
	}
}

func TestRemoveState(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "public")
	if err := RemoveState(dest); err != nil {
		t.Fatalf("no state to remove: %v", err)
	}
	if err := SaveState(StatePath(dest), 1); err != nil {
		t.Fatal(err)
	}
	if err := RemoveState(dest); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(StatePath(dest)); !os.IsNotExist(err) {
		t.Fatal("state kept")
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
