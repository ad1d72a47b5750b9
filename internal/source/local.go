package source

import (
	"context"
	"crypto/md5" //nolint:gosec // G501: the MD5 that S3 gives as ETag, published as a download checksum, not a security control
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Local is a folder on disk.
type Local struct {
	root     string
	hrefBase string
}

var _ Source = (*Local)(nil)

// NewLocal returns a source over the folder root. When hrefBase is set,
// asset hrefs are hrefBase + key; otherwise assets are copied.
func NewLocal(root, hrefBase string) (*Local, error) {
	st, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", root, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("source %s: not a folder", root)
	}
	if hrefBase != "" && !strings.HasSuffix(hrefBase, "/") {
		hrefBase += "/"
	}
	return &Local{root: root, hrefBase: hrefBase}, nil
}

func (l *Local) String() string { return l.root }

// List walks the folder in lexical order, skipping hidden files and folders.
func (l *Local) List(ctx context.Context, fn func(Object) error) error {
	return filepath.WalkDir(l.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p != l.root && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(l.root, p)
		if err != nil {
			return err
		}
		return fn(Object{Key: filepath.ToSlash(rel), Size: info.Size(), Modified: info.ModTime()})
	})
}

func (l *Local) path(key string) (string, error) {
	if !fs.ValidPath(key) {
		return "", fmt.Errorf("source %s: invalid key %q", l.root, key)
	}
	return filepath.Join(l.root, filepath.FromSlash(key)), nil
}

type fileReaderAt struct {
	ctx  context.Context
	path string
}

func (f fileReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if err := f.ctx.Err(); err != nil {
		return 0, err
	}
	fh, err := os.Open(f.path)
	if err != nil {
		return 0, err
	}
	defer fh.Close() //nolint:errcheck // read only; ReadAt reports a failed read
	return fh.ReadAt(p, off)
}

// ReaderAt opens the file for each read (a header takes one or two).
func (l *Local) ReaderAt(ctx context.Context, key string, _ int64) io.ReaderAt {
	p, err := l.path(key)
	if err != nil {
		return errReaderAt{err}
	}
	return fileReaderAt{ctx: ctx, path: p}
}

type errReaderAt struct{ err error }

func (e errReaderAt) ReadAt([]byte, int64) (int, error) { return 0, e.err }

// ReadFile reads a whole file of at most limit bytes.
func (l *Local) ReadFile(ctx context.Context, key string, limit int64) ([]byte, error) {
	return readLimited(ctx, l, key, limit)
}

// Open opens the file.
func (l *Local) Open(_ context.Context, key string) (io.ReadCloser, error) {
	p, err := l.path(key)
	if err != nil {
		return nil, err
	}
	return os.Open(p)
}

// Href returns hrefBase + key, or ok=false when files are to be copied.
func (l *Local) Href(key string) (string, bool) {
	if l.hrefBase == "" {
		return "", false
	}
	return l.hrefBase + escapeKey(key), true
}

// MD5 hashes the file.
func (l *Local) MD5(ctx context.Context, obj Object) (string, bool, error) {
	rc, err := l.Open(ctx, obj.Key)
	if err != nil {
		return "", false, err
	}
	defer rc.Close() //nolint:errcheck // read only; io.Copy reports a failed read
	h := md5.New()   //nolint:gosec // G401: S3's ETag for local files (see the import)
	if _, err := io.Copy(h, rc); err != nil {
		return "", false, err
	}
	return hex.EncodeToString(h.Sum(nil)), true, nil
}
