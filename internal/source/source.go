package source

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"
)

// Object is one listed object. Key is relative to the source's root and
// always uses '/' separators.
type Object struct {
	Key      string
	Size     int64
	ETag     string // S3 entity tag without quotes; empty for local files
	Modified time.Time
}

// Fingerprint identifies an object's content for incremental builds: the
// ETag and size when the store gives one, else size and modification time.
func (o Object) Fingerprint() string {
	if o.ETag != "" {
		return o.ETag + "/" + strconv.FormatInt(o.Size, 10)
	}
	return strconv.FormatInt(o.Size, 10) + "@" + strconv.FormatInt(o.Modified.UnixNano(), 10)
}

// Source is a place holding a collection's objects.
type Source interface {
	// List calls fn once per object under the root, from one goroutine.
	// It stops at the first error returned by fn or by the store.
	List(ctx context.Context, fn func(Object) error) error
	// ReaderAt reads byte ranges of the object; ctx bounds every read.
	ReaderAt(ctx context.Context, key string, size int64) io.ReaderAt
	// ReadFile reads a whole small object, refusing more than limit bytes.
	ReadFile(ctx context.Context, key string, limit int64) ([]byte, error)
	// Open streams the whole object (used to copy assets into the output).
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// Href returns the asset href of key, or ok=false when the object is
	// not reachable by URL and must be copied into the output.
	Href(key string) (href string, ok bool)
	// MD5 returns the object's MD5 (hex) when known without reading it
	// (S3 single-part ETag) or, for local files, by hashing the file.
	MD5(ctx context.Context, obj Object) (string, bool, error)
	// String names the source in messages (s3://bucket/prefix/ or a path).
	String() string
}

// readFull is the ReadAt loop shared by implementations that fetch a range
// as a stream.
func readFull(r io.Reader, p []byte, want int) (int, error) {
	n, err := io.ReadFull(r, p[:want])
	if err == io.ErrUnexpectedEOF {
		err = io.EOF
	}
	return n, err
}

// readLimited reads a whole object through src.Open, refusing more than
// limit bytes.
func readLimited(ctx context.Context, src Source, key string, limit int64) ([]byte, error) {
	rc, err := src.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close() //nolint:errcheck // read only; io.ReadAll reports a failed read
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: reading %s: %w", src, key, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: %s is larger than the %d-byte limit for metadata files", src, key, limit)
	}
	return data, nil
}
