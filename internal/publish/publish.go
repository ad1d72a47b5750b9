package publish

import (
	"compress/gzip"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// Marker is the file that identifies a folder written by stacgen.
const Marker = ".stacgen"

// Output is a temporary folder that becomes the destination on Commit.
type Output struct {
	dest string
	tmp  string
	dirs sync.Map // folders already created under tmp
}

func siblings(dest string) (dir, base string) {
	return filepath.Dir(dest), filepath.Base(dest)
}

func oldPath(dest string) string {
	dir, base := siblings(dest)
	return filepath.Join(dir, "."+base+".stacgen-old")
}

func randSuffix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Begin checks that dest may be replaced and creates the temporary folder.
func Begin(dest string) (*Output, error) {
	dest = filepath.Clean(dest)
	if err := Recover(dest); err != nil {
		return nil, err
	}
	if err := checkReplaceable(dest); err != nil {
		return nil, err
	}
	dir, base := siblings(dest)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	tmp := filepath.Join(dir, "."+base+".stacgen-tmp-"+randSuffix())
	if err := os.Mkdir(tmp, 0o755); err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	if err := os.WriteFile(filepath.Join(tmp, Marker), []byte("written by stacgen; this folder is replaced on every build\n"), 0o644); err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	return &Output{dest: dest, tmp: tmp}, nil
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
	o.dirs.Store(dir, true)
	return nil
}

// WriteFile writes a file at rel (slash-separated, inside the output).
func (o *Output) WriteFile(rel string, data []byte) error {
	p, err := o.path(rel)
	if err != nil {
		return err
	}
	return os.WriteFile(p, data, 0o644)
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
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Commit replaces the destination with the temporary folder.
func (o *Output) Commit() error {
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
	if moved {
		_ = os.RemoveAll(old)
	}
	return nil
}

// Abort removes the temporary folder; the destination is untouched.
func (o *Output) Abort() {
	if o != nil && o.tmp != "" {
		_ = os.RemoveAll(o.tmp)
	}
}

// Recover restores the previous output if a crash happened between the two
// renames of Commit, and removes temporary folders of dead builds.
func Recover(dest string) error {
	dest = filepath.Clean(dest)
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
	defer f.Close()
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
