package serve

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// CacheControl is the Cache-Control header GitLab Pages sends with files.
const CacheControl = "max-age=600"

// NotFoundPage is the page, at the root of the site, served with status 404
// for every missing path.
const NotFoundPage = "404.html"

// contentTypes are the types that must not depend on the machine's MIME
// database; mime.TypeByExtension answers for the others.
var contentTypes = map[string]string{
	".html":    "text/html; charset=utf-8",
	".htm":     "text/html; charset=utf-8",
	".json":    "application/json",
	".geojson": "application/geo+json",
	".css":     "text/css; charset=utf-8",
	".js":      "text/javascript; charset=utf-8",
	".mjs":     "text/javascript; charset=utf-8",
	".svg":     "image/svg+xml",
	".png":     "image/png",
	".jpg":     "image/jpeg",
	".jpeg":    "image/jpeg",
	".webp":    "image/webp",
	".tif":     "image/tiff",
	".tiff":    "image/tiff",
	".parquet": "application/vnd.apache.parquet",
	".txt":     "text/plain; charset=utf-8",
	".xml":     "application/xml",
	".wasm":    "application/wasm",
}

// ContentType is the Content-Type served for a file name.
func ContentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if t, ok := contentTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

type handler struct {
	dir string // absolute
	log *slog.Logger
}

// Handler serves the static site in dir the way GitLab Pages does (see the
// package documentation). dir must be an existing folder; it is opened again
// for each request, so it may be replaced while served. A nil log discards
// the access log.
func Handler(dir string, log *slog.Logger) (http.Handler, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("cannot serve %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("cannot serve %s: not a folder", dir)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &handler{dir: abs, log: log}, nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &recorder{ResponseWriter: w}
	h.serve(rec, r)
	h.log.Debug("request", "method", r.Method, "path", r.URL.Path, "status", rec.statusCode(),
		"bytes", rec.bytes, "duration", time.Since(start))
}

func (h *handler) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	root, err := os.OpenRoot(h.dir)
	if err != nil { // the folder is gone (being replaced, or removed)
		h.log.Warn("cannot open the served folder", "dir", h.dir, "err", err)
		http.Error(w, "404 page not found", http.StatusNotFound)
		return
	}
	defer root.Close() //nolint:errcheck // a directory handle, read only

	// net/http has decoded %2e%2e into "..": Clean drops it at the root.
	clean := path.Clean("/" + r.URL.Path)
	name := strings.TrimPrefix(clean, "/")
	slash := strings.HasSuffix(r.URL.Path, "/")
	if hidden(name) {
		h.notFound(w, r, root)
		return
	}
	if name == "" {
		name = "."
	}
	fi, err := root.Stat(filepath.FromSlash(name))
	switch {
	case err == nil && fi.IsDir() && !slash:
		loc := &url.URL{Path: strings.TrimSuffix(clean, "/") + "/", RawQuery: r.URL.RawQuery}
		http.Redirect(w, r, loc.String(), http.StatusFound)
		return
	case err == nil && fi.IsDir():
		name = path.Join(name, "index.html")
	case err == nil && slash: // a file named as a folder ("a.json/")
		h.notFound(w, r, root)
		return
	case errors.Is(err, fs.ErrNotExist) && !slash && !strings.HasSuffix(name, ".html"):
		name += ".html" // Pages' ambiguous URLs: /about serves about.html
	}
	f, fi, ok := openRegular(root, name)
	if !ok {
		h.notFound(w, r, root)
		return
	}
	defer f.Close() //nolint:errcheck // read only; the response is written by then
	hd := w.Header()
	hd.Set("Content-Type", ContentType(name))
	hd.Set("Cache-Control", CacheControl)
	hd.Set("ETag", etag(fi))
	http.ServeContent(w, r, name, fi.ModTime(), f)
}

// hidden reports whether a slash-separated path has a component starting
// with a dot (cleaned paths have no "." or ".." components left).
func hidden(name string) bool {
	for seg := range strings.SplitSeq(name, "/") {
		if strings.HasPrefix(seg, ".") {
			return true
		}
	}
	return false
}

// openRegular opens name under root when it is a regular file (following
// symbolic links that stay inside root). Folders, devices and pipes are
// refused before being opened: opening a FIFO would block.
func openRegular(root *os.Root, name string) (*os.File, os.FileInfo, bool) {
	p := filepath.FromSlash(name)
	if fi, err := root.Stat(p); err != nil || !fi.Mode().IsRegular() {
		return nil, nil, false
	}
	f, err := root.Open(p)
	if err != nil {
		return nil, nil, false
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		_ = f.Close() // read only, and refused
		return nil, nil, false
	}
	return f, fi, true
}

// etag is a strong validator from the file's size and modification time (as
// nginx makes them): a rebuilt file gets a new one.
func etag(fi os.FileInfo) string {
	return `"` + strconv.FormatInt(fi.ModTime().UnixNano(), 16) + "-" + strconv.FormatInt(fi.Size(), 16) + `"`
}

// notFound answers 404 with the site's root 404.html, or plain text.
func (h *handler) notFound(w http.ResponseWriter, r *http.Request, root *os.Root) {
	f, fi, ok := openRegular(root, NotFoundPage)
	if !ok {
		http.Error(w, "404 page not found", http.StatusNotFound)
		return
	}
	defer f.Close() //nolint:errcheck // read only; the response is written by then
	hd := w.Header()
	hd.Set("Content-Type", ContentType(NotFoundPage))
	hd.Set("Content-Length", strconv.FormatInt(fi.Size(), 10))
	w.WriteHeader(http.StatusNotFound)
	if r.Method == http.MethodHead {
		return
	}
	if _, err := io.CopyN(w, f, fi.Size()); err != nil {
		h.log.Debug("writing the 404 page", "err", err)
	}
}

// recorder keeps the status and body size of a response for the access log.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(p)
	r.bytes += int64(n)
	return n, err
}

func (r *recorder) statusCode() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}

// Unwrap lets http.ResponseController reach the connection.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
