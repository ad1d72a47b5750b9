package publish

import (
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Marker is the file that identifies a folder written by stacgen.
const Marker = ".stacgen"

var marker = []byte("written by stacgen; this folder is replaced on every build\n")

// Output is a temporary folder that becomes the destination on Commit. It
// holds the destination's lock from Begin to Close.
type Output struct {
	dest      string
	tmp       string
	lock      *os.File
	committed bool
	dirs      sync.Map   // folders already created under tmp
	closeMu   sync.Mutex // Close may be called from several goroutines
	entries   atomic.Int64
	bytes     atomic.Int64
}

// Counts reports what the output holds so far: files and folders (GitLab
// Pages counts both against its entry limit), and the bytes of the files.
func (o *Output) Counts() (entries, bytes int64) {
	return o.entries.Load(), o.bytes.Load()
}

func siblings(dest string) (dir, base string) {
	return filepath.Dir(dest), filepath.Base(dest)
}

func oldPath(dest string) string {
	dir, base := siblings(dest)
	return filepath.Join(dir, "."+base+".stacgen-old")
}

// LockPath is the file whose advisory lock makes builds into dest exclusive.
func LockPath(dest string) string {
	dir, base := siblings(filepath.Clean(dest))
	return filepath.Join(dir, "."+base+".stacgen-lock")
}

func randSuffix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// LockedError is returned by Begin when another process holds the
// destination's lock past the wait.
type LockedError struct {
	Dest   string
	Holder string // what the holder wrote in the lock file ("pid N on HOST since T"), if anything
	Waited time.Duration
}

func (e *LockedError) Error() string {
	holder := e.Holder
	if holder == "" {
		holder = "another process"
	}
	msg := fmt.Sprintf("another stacgen build is writing %s (%s, lock %s)", e.Dest, holder, LockPath(e.Dest))
	if e.Waited > 0 {
		return msg + fmt.Sprintf("; gave up after waiting %s", e.Waited)
	}
	return msg + "; let it finish, or wait for it with --wait-lock DURATION"
}

// lockPoll is how often Begin retries a held lock while waiting.
const lockPoll = 100 * time.Millisecond

// acquire takes the exclusive lock of dest, waiting up to wait for a
// running build to finish.
func acquire(ctx context.Context, dest string, wait time.Duration) (*os.File, error) {
	p := LockPath(dest)
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("output lock: %w", err)
	}
	deadline := time.Now().Add(wait)
	for {
		held, err := tryLock(f.Fd())
		if err != nil {
			_ = f.Close() // the lock is not held: nothing written yet
			return nil, fmt.Errorf("output lock %s: %w", p, err)
		}
		if !held {
			break
		}
		if !time.Now().Before(deadline) {
			_ = f.Close() // the lock is not held: nothing written yet
			return nil, &LockedError{Dest: dest, Holder: lockHolder(p), Waited: wait}
		}
		select {
		case <-ctx.Done():
			_ = f.Close() // the lock is not held: nothing written yet
			return nil, ctx.Err()
		case <-time.After(min(lockPoll, time.Until(deadline))):
		}
	}
	host, _ := os.Hostname()
	info := fmt.Sprintf("pid %d on %s since %s\n", os.Getpid(), host, time.Now().UTC().Format(time.RFC3339))
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(info), 0)
	}
	return f, nil
}

// lockHolder reads what the lock's holder wrote in it, giving a holder that
// has just taken the lock a moment to write it.
func lockHolder(p string) string {
	for range 20 {
		if b, _ := os.ReadFile(p); len(b) > 0 {
			return strings.TrimSpace(string(b))
		}
		time.Sleep(10 * time.Millisecond)
	}
	return ""
}

// Begin takes the destination's lock (waiting up to wait for another build
// into it to finish), repairs what a crashed build left, checks that dest
// may be replaced and creates the temporary folder. Everything until Close,
// including reading and writing the incremental state, happens under the
// lock.
func Begin(ctx context.Context, dest string, wait time.Duration) (_ *Output, err error) {
	dest = filepath.Clean(dest)
	dir, base := siblings(dest)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	lock, err := acquire(ctx, dest, wait)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = lock.Close() // releases the lock; err is the failure to report
		}
	}()
	if err := recoverLocked(dest); err != nil {
		return nil, err
	}
	if err := checkReplaceable(dest); err != nil {
		return nil, err
	}
	tmp := filepath.Join(dir, "."+base+".stacgen-tmp-"+randSuffix())
	if err := os.Mkdir(tmp, 0o755); err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	if err := os.WriteFile(filepath.Join(tmp, Marker), marker, 0o644); err != nil {
		_ = os.RemoveAll(tmp)
		return nil, fmt.Errorf("output: %w", err)
	}
	o := &Output{dest: dest, tmp: tmp, lock: lock}
	o.entries.Store(1) // the marker
	o.bytes.Store(int64(len(marker)))
	return o, nil
}

// checkReplaceable refuses a destination that holds files not written by stacgen.
func checkReplaceable(dest string) error {
	st, err := os.Stat(dest)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("output %s: %w", dest, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("output %s exists and is not a folder", dest)
	}
	entries, err := os.ReadDir(dest)
	if err != nil {
		return fmt.Errorf("output %s: %w", dest, err)
	}
	if len(entries) == 0 {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dest, Marker)); err != nil {
		return fmt.Errorf("output %s is a non-empty folder not written by stacgen (no %s file): refusing to replace it; choose another --out or empty it", dest, Marker)
	}
	return nil
}

// Dir is the temporary folder being written.
func (o *Output) Dir() string { return o.tmp }

func (o *Output) path(rel string) (string, error) {
	if !fs.ValidPath(rel) || rel == "." {
		return "", fmt.Errorf("output: invalid path %q", rel)
	}
	p := filepath.Join(o.tmp, filepath.FromSlash(rel))
	if err := o.mkdirAll(filepath.Dir(p)); err != nil {
		return "", err
	}
	return p, nil
}

// mkdirAll is os.MkdirAll remembering the folders it made, so that writing
// many files costs one mkdir per folder and no stat.
func (o *Output) mkdirAll(dir string) error {
	if dir == o.tmp {
		return nil
	}
	if len(dir) <= len(o.tmp) {
		return fmt.Errorf("output: %s is outside %s", dir, o.tmp)
	}
	if _, done := o.dirs.Load(dir); done {
		return nil
	}
	if err := o.mkdirAll(filepath.Dir(dir)); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	if _, loaded := o.dirs.LoadOrStore(dir, true); !loaded {
		o.entries.Add(1)
	}
	return nil
}

// WriteFile writes a file at rel (slash-separated, inside the output).
func (o *Output) WriteFile(rel string, data []byte) error {
	p, err := o.path(rel)
	if err != nil {
		return err
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		return err
	}
	o.entries.Add(1)
	o.bytes.Add(int64(len(data)))
	return nil
}

// CopyFile writes r to a file at rel.
func (o *Output) CopyFile(rel string, r io.Reader) error {
	p, err := o.path(rel)
	if err != nil {
		return err
	}
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	n, err := io.Copy(f, r)
	if err != nil {
		_ = f.Close() // the copy failed: that is the error
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	o.entries.Add(1)
	o.bytes.Add(n)
	return nil
}

// errExchangeUnsupported: the platform cannot swap two paths atomically.
var errExchangeUnsupported = errors.New("atomic exchange unsupported")

// Commit replaces the destination with the temporary folder: one atomic
// exchange where the kernel has renameat2(RENAME_EXCHANGE), else two
// renames (the previous output moved aside, then the new one moved in; a
// crash between them is repaired by the next Begin). The lock is kept until
// Close.
func (o *Output) Commit() error {
	if _, err := os.Stat(o.dest); err == nil {
		switch err := exchange(o.tmp, o.dest); {
		case err == nil:
			o.committed = true
			_ = os.RemoveAll(o.tmp) // now the previous output
			return nil
		case !errors.Is(err, errExchangeUnsupported):
			return fmt.Errorf("output: swapping %s into %s: %w", o.tmp, o.dest, err)
		}
	}
	old := oldPath(o.dest)
	if err := os.RemoveAll(old); err != nil {
		return fmt.Errorf("output: %w", err)
	}
	moved := false
	if _, err := os.Stat(o.dest); err == nil {
		if err := os.Rename(o.dest, old); err != nil {
			return fmt.Errorf("output: moving the previous %s aside: %w", o.dest, err)
		}
		moved = true
	}
	if err := os.Rename(o.tmp, o.dest); err != nil {
		if moved {
			_ = os.Rename(old, o.dest)
		}
		return fmt.Errorf("output: %w", err)
	}
	o.committed = true
	if moved {
		_ = os.RemoveAll(old)
	}
	return nil
}

// Close removes the temporary folder unless it was committed (the
// destination is then untouched) and releases the lock. It may be called
// more than once.
func (o *Output) Close() {
	if o == nil {
		return
	}
	o.closeMu.Lock()
	defer o.closeMu.Unlock()
	if o.lock == nil {
		return
	}
	if !o.committed {
		_ = os.RemoveAll(o.tmp)
	}
	_ = o.lock.Close() // closing the descriptor releases the flock
	o.lock = nil
}

// recoverLocked restores the previous output if a crash happened between
// the two renames of Commit, and removes the temporary folders of builds
// that died. It runs under the destination's lock: no live build owns a
// temporary folder then.
func recoverLocked(dest string) error {
	old := oldPath(dest)
	if _, err := os.Stat(old); err == nil {
		if _, err := os.Stat(dest); errors.Is(err, fs.ErrNotExist) {
			if err := os.Rename(old, dest); err != nil {
				return fmt.Errorf("output: restoring %s from %s: %w", dest, old, err)
			}
		} else if err := os.RemoveAll(old); err != nil {
			return fmt.Errorf("output: %w", err)
		}
	}
	dir, base := siblings(dest)
	stale, _ := filepath.Glob(filepath.Join(dir, "."+base+".stacgen-tmp-*"))
	for _, s := range stale {
		_ = os.RemoveAll(s)
	}
	return nil
}

// RemoveState deletes the incremental state file of dest, if any. A build
// calls it before Commit, so a state never describes an output other than
// the one in place (a crash after it only costs a full read next time).
func RemoveState(dest string) error {
	if err := os.Remove(StatePath(dest)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("state: %w", err)
	}
	return nil
}

// Intact reports whether dest holds a complete stacgen output (its marker
// and root catalog).
func Intact(dest string) bool {
	for _, f := range []string{Marker, "catalog.json"} {
		if _, err := os.Stat(filepath.Join(dest, f)); err != nil {
			return false
		}
	}
	return true
}

// StatePath is where the incremental state of dest is kept: beside the
// output, not inside it, so it is never published.
func StatePath(dest string) string {
	dir, base := siblings(filepath.Clean(dest))
	return filepath.Join(dir, "."+base+".stacgen-state.json.gz")
}

// LoadState reads a gzip-compressed JSON state into v; a missing file
// returns (false, nil).
func LoadState(file string, v any) (bool, error) {
	f, err := os.Open(file)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close() //nolint:errcheck // read only; a failed read is reported by the decoder
	zr, err := gzip.NewReader(f)
	if err != nil {
		return false, fmt.Errorf("state %s: %w", file, err)
	}
	if err := json.NewDecoder(zr).Decode(v); err != nil {
		return false, fmt.Errorf("state %s: %w", file, err)
	}
	return true, nil
}

// SaveState writes v as gzip-compressed JSON, atomically.
func SaveState(file string, v any) error {
	tmp := file + ".tmp-" + randSuffix()
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	zw := gzip.NewWriter(f)
	err = json.NewEncoder(zw).Encode(v)
	if cerr := zw.Close(); err == nil {
		err = cerr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, file)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("state %s: %w", file, err)
	}
	return nil
}
