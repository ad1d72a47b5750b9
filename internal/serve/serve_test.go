package serve

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	indexBody    = "<!doctype html><h1>home</h1>\n"
	notFoundBody = "<!doctype html><h1>custom not found</h1>\n"
	catalogBody  = `{"type":"Catalog","id":"eocat-test","description":"0123456789"}`
	secret       = "TOP SECRET outside the site"
)

// modTime is every file's modification time, so Last-Modified is known.
var modTime = time.Date(2024, 6, 15, 10, 36, 29, 0, time.UTC)

const lastModified = "Sat, 15 Jun 2024 10:36:29 GMT"

// site writes a small Pages site in <tmp>/public and a secret beside it, and
// returns the site's folder.
func site(t *testing.T, with404 bool) string {
	t.Helper()
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "public")
	files := map[string]string{
		"index.html":                  indexBody,
		"catalog.json":                catalogBody,
		"about.html":                  "about page",
		"col/index.html":              "collection page",
		"col/item/item.json":          `{"type":"Feature"}`,
		"a b/index.html":              "spaced folder",
		"empty/file.txt":              "a file in a folder without index.html",
		"nested/index.html/x.txt":     "index.html is a folder here",
		".stacgen":                    "stacgen marker",
		".hidden/secret.txt":          "hidden folder",
		"col/.git/config":             "[core]",
		"LICENSE":                     "no extension",
		"UPPER.JSON":                  "{}",
		"data.geojson":                `{"type":"FeatureCollection","features":[]}`,
		"style.css":                   "body{}",
		"app.js":                      "console.log(1)",
		"mod.mjs":                     "export {}",
		"icon.svg":                    "<svg/>",
		"img.png":                     "png",
		"photo.jpg":                   "jpg",
		"pic.webp":                    "webp",
		"cog.tif":                     "II*\x00",
		"scene.tiff":                  "MM\x00*",
		"items.parquet":               "PAR1",
		"notes.txt":                   "notes",
		"feed.xml":                    "<feed/>",
		"lib.wasm":                    "\x00asm",
		"doc.pdf":                     "%PDF-1.7",
		"blob.eocatunknownextension":  "<html>not html</html>",
		"../outside/secret.txt":       secret,
		"../outside/dir/secret.txt":   secret,
		"../public-evil/catalog.json": secret,
	}
	if with404 {
		files["404.html"] = notFoundBody
	}
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, modTime, modTime); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{ // name → target
		"link-inside.json":   "catalog.json",
		"col/link-up.json":   "../catalog.json",
		"link-dir":           "col",
		"link-outside.txt":   "../outside/secret.txt",
		"link-outside-dir":   "../outside/dir",
		"link-absolute.txt":  filepath.Join(tmp, "outside", "secret.txt"),
		"link-abs-inside":    filepath.Join(dir, "catalog.json"),
		"col/link-deep.txt":  "../../outside/secret.txt",
		"link-dangling.json": "nowhere.json",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, filepath.FromSlash(name))); err != nil {
			t.Skipf("symbolic links unavailable: %v", err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "no-index"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

type response struct {
	status int
	header http.Header
	body   string
}

// do sends one request with its request target written exactly as given
// (a Go client would not send "/../x" or "%2e%2e" untouched) and reads the
// response.
func do(t *testing.T, addr, method, target string, header map[string]string) response {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close() //nolint:errcheck // the response has been read by then
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	var req bytes.Buffer
	fmt.Fprintf(&req, "%s %s HTTP/1.1\r\nHost: preview.test\r\nConnection: close\r\n", method, target)
	for k, v := range header {
		fmt.Fprintf(&req, "%s: %s\r\n", k, v)
	}
	req.WriteString("\r\n")
	if _, err := conn.Write(req.Bytes()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	return response{resp.StatusCode, resp.Header, string(body)}
}

func start(t *testing.T, dir string) string {
	t.Helper()
	h, err := Handler(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

type check struct {
	name    string
	method  string // GET when empty
	target  string
	req     map[string]string
	status  int
	header  map[string]string // exact values
	absent  []string          // headers that must not be sent
	body    *string           // exact body, when set
	has     []string          // substrings of the body
	hasNot  []string          // substrings the body must not contain
	isFile  bool              // a file response: caching and validators
	noCache bool              // an error or redirect: no Cache-Control
}

func str(s string) *string { return &s }

func (c check) run(t *testing.T, addr string) {
	t.Helper()
	method := c.method
	if method == "" {
		method = http.MethodGet
	}
	r := do(t, addr, method, c.target, c.req)
	if r.status != c.status {
		t.Fatalf("%s %s: status %d, want %d; body %q", method, c.target, r.status, c.status, r.body)
	}
	if got := r.header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("X-Content-Type-Options %q, want nosniff", got)
	}
	for k, want := range c.header {
		if got := r.header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	for _, k := range c.absent {
		if v, ok := r.header[http.CanonicalHeaderKey(k)]; ok {
			t.Errorf("%s sent: %q", k, v)
		}
	}
	if c.isFile {
		if got := r.header.Get("Cache-Control"); got != "max-age=600" {
			t.Errorf("Cache-Control %q, want max-age=600", got)
		}
		if got := r.header.Get("Last-Modified"); got != lastModified {
			t.Errorf("Last-Modified %q, want %q", got, lastModified)
		}
		if et := r.header.Get("ETag"); len(et) < 3 || et[0] != '"' || et[len(et)-1] != '"' {
			t.Errorf("ETag %q, want a strong quoted validator", et)
		}
	}
	if c.noCache {
		if got := r.header.Get("Cache-Control"); got != "" {
			t.Errorf("Cache-Control %q on a %d", got, r.status)
		}
	}
	if c.body != nil && r.body != *c.body {
		t.Errorf("body %q, want %q", r.body, *c.body)
	}
	for _, s := range c.has {
		if !strings.Contains(r.body, s) {
			t.Errorf("body lacks %q:\n%s", s, r.body)
		}
	}
	for _, s := range c.hasNot {
		if strings.Contains(r.body, s) {
			t.Errorf("body contains %q:\n%s", s, r.body)
		}
	}
}

// notFound is the custom 404 page response.
func notFound(name, target string) check {
	return check{name: name, target: target, status: 404, body: str(notFoundBody), hasNot: []string{secret},
		header: map[string]string{"Content-Type": "text/html; charset=utf-8", "Content-Length": strconv.Itoa(len(notFoundBody))}, noCache: true}
}

func TestFilesFoldersAndMethods(t *testing.T) {
	addr := start(t, site(t, true))
	html := "text/html; charset=utf-8"
	checks := []check{
		{name: "root serves index.html", target: "/", status: 200, body: str(indexBody), isFile: true,
			header: map[string]string{"Content-Type": html, "Content-Length": strconv.Itoa(len(indexBody)), "Accept-Ranges": "bytes"}},
		{name: "index.html by name, no redirect", target: "/index.html", status: 200, body: str(indexBody), isFile: true},
		{name: "HEAD: headers, no body", method: "HEAD", target: "/catalog.json", status: 200, body: str(""), isFile: true,
			header: map[string]string{"Content-Type": "application/json", "Content-Length": strconv.Itoa(len(catalogBody))}},
		{name: "query string ignored", target: "/catalog.json?v=2", status: 200, body: str(catalogBody), isFile: true},
		{name: "folder with slash serves its index.html", target: "/col/", status: 200, body: str("collection page"), isFile: true,
			header: map[string]string{"Content-Type": html}},
		{name: "folder without slash redirects", target: "/col", status: 302, noCache: true,
			header: map[string]string{"Location": "/col/"}, hasNot: []string{"collection page"}},
		{name: "redirect keeps the query", target: "/col?limit=10&page=2", status: 302,
			header: map[string]string{"Location": "/col/?limit=10&page=2"}},
		{name: "redirect of a nested folder", target: "/col/item", status: 302, header: map[string]string{"Location": "/col/item/"}},
		{name: "redirect escapes the path", target: "/a%20b", status: 302, header: map[string]string{"Location": "/a%20b/"}},
		{name: "escaped folder served", target: "/a%20b/", status: 200, body: str("spaced folder")},
		{name: "HEAD redirects too", method: "HEAD", target: "/col", status: 302, header: map[string]string{"Location": "/col/"}, body: str("")},
		{name: "redirect cannot leave the host", target: "//col", status: 302, header: map[string]string{"Location": "/col/"}},
		{name: "folder without index.html redirects like Pages", target: "/no-index", status: 302, header: map[string]string{"Location": "/no-index/"}},
		notFound("no listing of an empty folder", "/no-index/"),
		{name: "no listing of a folder with files", target: "/empty/", status: 404, body: str(notFoundBody), hasNot: []string{"file.txt"}},
		{name: "file in a folder without index", target: "/empty/file.txt", status: 200, body: str("a file in a folder without index.html")},
		notFound("index.html that is a folder", "/nested/"),
		{name: "ambiguous URL serves .html", target: "/about", status: 200, body: str("about page"), isFile: true,
			header: map[string]string{"Content-Type": html}},
		notFound("no .html fallback with a slash", "/about/"),
		notFound("file named as a folder", "/catalog.json/"),
		notFound("missing file", "/missing.json"),
		notFound("missing nested file", "/col/item/missing.tif"),
		{name: "HEAD of a missing file", method: "HEAD", target: "/missing.json", status: 404, body: str(""),
			header: map[string]string{"Content-Type": html, "Content-Length": strconv.Itoa(len(notFoundBody))}},
		{name: "404.html by name", target: "/404.html", status: 200, body: str(notFoundBody), isFile: true},
		{name: "no sniffing of unknown types", target: "/blob.eocatunknownextension", status: 200,
			header: map[string]string{"Content-Type": "application/octet-stream"}, body: str("<html>not html</html>")},
		{name: "POST", method: "POST", target: "/catalog.json", status: 405, noCache: true,
			header: map[string]string{"Allow": "GET, HEAD"}, hasNot: []string{catalogBody}},
		{name: "PUT", method: "PUT", target: "/new.json", status: 405, header: map[string]string{"Allow": "GET, HEAD"}},
		{name: "DELETE", method: "DELETE", target: "/catalog.json", status: 405, header: map[string]string{"Allow": "GET, HEAD"}},
		{name: "OPTIONS", method: "OPTIONS", target: "/", status: 405, header: map[string]string{"Allow": "GET, HEAD"}},
		{name: "PATCH on a missing path is 405, not 404", method: "PATCH", target: "/missing", status: 405, header: map[string]string{"Allow": "GET, HEAD"}},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) { c.run(t, addr) })
	}
}

func TestContentTypes(t *testing.T) {
	addr := start(t, site(t, true))
	for file, want := range map[string]string{
		"index.html":                 "text/html; charset=utf-8",
		"catalog.json":               "application/json",
		"UPPER.JSON":                 "application/json",
		"data.geojson":               "application/geo+json",
		"style.css":                  "text/css; charset=utf-8",
		"app.js":                     "text/javascript; charset=utf-8",
		"mod.mjs":                    "text/javascript; charset=utf-8",
		"icon.svg":                   "image/svg+xml",
		"img.png":                    "image/png",
		"photo.jpg":                  "image/jpeg",
		"pic.webp":                   "image/webp",
		"cog.tif":                    "image/tiff",
		"scene.tiff":                 "image/tiff",
		"items.parquet":              "application/vnd.apache.parquet",
		"notes.txt":                  "text/plain; charset=utf-8",
		"feed.xml":                   "application/xml",
		"lib.wasm":                   "application/wasm",
		"doc.pdf":                    "application/pdf", // from mime.TypeByExtension
		"LICENSE":                    "application/octet-stream",
		"blob.eocatunknownextension": "application/octet-stream",
	} {
		t.Run(file, func(t *testing.T) {
			check{target: "/" + file, status: 200, isFile: true, header: map[string]string{"Content-Type": want}}.run(t, addr)
		})
	}
}

func TestRangesAndConditionalRequests(t *testing.T) {
	addr := start(t, site(t, true))
	n := strconv.Itoa(len(catalogBody))
	etag := do(t, addr, "GET", "/catalog.json", nil).header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	checks := []check{
		{name: "one range", target: "/catalog.json", req: map[string]string{"Range": "bytes=0-7"}, status: 206, body: str(catalogBody[:8]), isFile: true,
			header: map[string]string{"Content-Range": "bytes 0-7/" + n, "Content-Length": "8", "Content-Type": "application/json"}},
		{name: "open range", target: "/catalog.json", req: map[string]string{"Range": "bytes=8-"}, status: 206, body: str(catalogBody[8:]),
			header: map[string]string{"Content-Range": fmt.Sprintf("bytes 8-%d/%s", len(catalogBody)-1, n)}},
		{name: "suffix range", target: "/catalog.json", req: map[string]string{"Range": "bytes=-5"}, status: 206, body: str(catalogBody[len(catalogBody)-5:])},
		{name: "several ranges", target: "/catalog.json", req: map[string]string{"Range": "bytes=0-1,10-14"}, status: 206,
			has: []string{"Content-Range: bytes 0-1/" + n, "Content-Range: bytes 10-14/" + n, "Content-Type: application/json",
				"\r\n\r\n" + catalogBody[:2] + "\r\n", "\r\n\r\n" + catalogBody[10:15] + "\r\n"},
			hasNot: []string{catalogBody}},
		{name: "range of a TIFF", target: "/cog.tif", req: map[string]string{"Range": "bytes=0-1"}, status: 206, body: str("II"),
			header: map[string]string{"Content-Type": "image/tiff", "Content-Range": "bytes 0-1/4"}},
		{name: "range through the .html fallback", target: "/about", req: map[string]string{"Range": "bytes=0-4"}, status: 206, body: str("about")},
		{name: "unsatisfiable range", target: "/catalog.json", req: map[string]string{"Range": "bytes=1000-2000"}, status: 416,
			header: map[string]string{"Content-Range": "bytes */" + n}, hasNot: []string{catalogBody}},
		{name: "If-None-Match hit", target: "/catalog.json", req: map[string]string{"If-None-Match": etag}, status: 304, body: str(""),
			header: map[string]string{"ETag": etag, "Cache-Control": "max-age=600"}},
		{name: "If-None-Match miss", target: "/catalog.json", req: map[string]string{"If-None-Match": `"other"`}, status: 200, body: str(catalogBody)},
		{name: "If-Modified-Since not modified", target: "/catalog.json", req: map[string]string{"If-Modified-Since": lastModified}, status: 304, body: str("")},
		{name: "If-Modified-Since modified", target: "/catalog.json", req: map[string]string{"If-Modified-Since": "Fri, 14 Jun 2024 10:36:29 GMT"}, status: 200, body: str(catalogBody)},
		{name: "If-Range matches: partial", target: "/catalog.json", req: map[string]string{"Range": "bytes=0-3", "If-Range": etag}, status: 206, body: str(catalogBody[:4])},
		{name: "If-Range stale: whole file", target: "/catalog.json", req: map[string]string{"Range": "bytes=0-3", "If-Range": `"stale"`}, status: 200, body: str(catalogBody)},
		{name: "If-Match stale", target: "/catalog.json", req: map[string]string{"If-Match": `"stale"`}, status: 412},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) { c.run(t, addr) })
	}
	if other := do(t, addr, "GET", "/about.html", nil).header.Get("ETag"); other == etag {
		t.Errorf("two files share the ETag %s", etag)
	}
}

func TestNothingOutsideTheFolderNorHidden(t *testing.T) {
	addr := start(t, site(t, true))
	checks := []check{
		notFound("dot-dot", "/../outside/secret.txt"),
		notFound("encoded dot-dot", "/%2e%2e/outside/secret.txt"),
		notFound("encoded dot-dot and slashes", "/..%2Foutside%2Fsecret.txt"),
		notFound("deep dot-dot", "/col/item/../../../outside/secret.txt"),
		notFound("sibling folder with the same prefix", "/../public-evil/catalog.json"),
		notFound("backslashes are not separators", "/..%5Coutside%5Csecret.txt"),
		// Cleaning keeps the request inside: these reach the site's own files.
		{name: "dot-dot cleaned at the root", target: "/../catalog.json", status: 200, body: str(catalogBody)},
		{name: "encoded dot-dot cleaned", target: "/%2e%2e/%2E%2E/catalog.json", status: 200, body: str(catalogBody)},
		{name: "dot segments cleaned", target: "/col/./item/../index.html", status: 200, body: str("collection page")},
		{name: "double slashes cleaned", target: "/col//item///item.json", status: 200, body: str(`{"type":"Feature"}`)},
		// Symbolic links: followed inside, never out.
		{name: "link to a file inside", target: "/link-inside.json", status: 200, body: str(catalogBody),
			header: map[string]string{"Content-Type": "application/json"}},
		{name: "relative link up, still inside", target: "/col/link-up.json", status: 200, body: str(catalogBody)},
		{name: "link to a folder inside", target: "/link-dir/", status: 200, body: str("collection page")},
		{name: "link to a folder redirects", target: "/link-dir", status: 302, header: map[string]string{"Location": "/link-dir/"}},
		notFound("link to a file outside", "/link-outside.txt"),
		notFound("link deep outside", "/col/link-deep.txt"),
		notFound("link to a folder outside", "/link-outside-dir/secret.txt"),
		notFound("link to a folder outside, as folder", "/link-outside-dir/"),
		notFound("absolute link outside", "/link-absolute.txt"),
		notFound("absolute link even inside", "/link-abs-inside"),
		notFound("dangling link", "/link-dangling.json"),
		// Dotfiles and dot-folders.
		notFound("stacgen marker", "/.stacgen"),
		notFound("encoded dotfile", "/%2estacgen"),
		notFound("file in a dot-folder", "/.hidden/secret.txt"),
		notFound("dot-folder with slash", "/.hidden/"),
		notFound("dot-folder without slash: no redirect", "/.hidden"),
		notFound("nested dot-folder", "/col/.git/config"),
		notFound("dot-folder reached by dot-dot", "/col/../.hidden/secret.txt"),
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) { c.run(t, addr) })
	}
}

func TestPlainNotFoundWithout404Page(t *testing.T) {
	addr := start(t, site(t, false))
	for _, target := range []string{"/missing.json", "/no-index/", "/.stacgen", "/../outside/secret.txt"} {
		t.Run(target, func(t *testing.T) {
			check{target: target, status: 404, body: str("404 page not found\n"), noCache: true,
				header: map[string]string{"Content-Type": "text/plain; charset=utf-8"}}.run(t, addr)
		})
	}
}

func TestAFolderReplacedWhileServedIsServedAnew(t *testing.T) {
	dir := site(t, true)
	addr := start(t, dir)
	check{target: "/", status: 200, body: str(indexBody)}.run(t, addr)
	// What a stacgen build does: the new output takes the folder's name.
	next := dir + ".next"
	if err := os.MkdirAll(filepath.Join(next, "col"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(next, "index.html"), []byte("rebuilt"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(dir, dir+".old"); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(next, dir); err != nil {
		t.Fatal(err)
	}
	check{target: "/", status: 200, body: str("rebuilt")}.run(t, addr)
	check{target: "/catalog.json", status: 404, body: str("404 page not found\n")}.run(t, addr)
	// While the folder is missing, everything is 404.
	if err := os.Rename(dir, next); err != nil {
		t.Fatal(err)
	}
	check{target: "/", status: 404, body: str("404 page not found\n")}.run(t, addr)
}

func TestOnlyRegularFiles(t *testing.T) {
	mkfifo, err := exec.LookPath("mkfifo")
	if err != nil {
		t.Skip("no mkfifo")
	}
	dir := site(t, true)
	if out, err := exec.Command(mkfifo, filepath.Join(dir, "pipe.json")).CombinedOutput(); err != nil {
		t.Skipf("mkfifo: %v %s", err, out)
	}
	addr := start(t, dir)
	t.Cleanup(func() { // releases a handler stuck opening the pipe, so that a failure does not hang
		if f, err := os.OpenFile(filepath.Join(dir, "pipe.json"), os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			_ = f.Close() // only opened to release the handler
		}
	})
	// Opening a FIFO blocks until a writer comes: it must not even be opened.
	notFound("named pipe", "/pipe.json").run(t, addr)
}

func TestHandlerNeedsAFolder(t *testing.T) {
	dir := site(t, true)
	for _, bad := range []string{filepath.Join(dir, "missing"), filepath.Join(dir, "catalog.json")} {
		if _, err := Handler(bad, nil); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("Handler(%s): %v", bad, err)
		}
	}
}

func TestAccessLogAtDebugLevel(t *testing.T) {
	dir := site(t, true)
	var buf bytes.Buffer
	for _, level := range []slog.Level{slog.LevelInfo, slog.LevelDebug} {
		buf.Reset()
		h, err := Handler(dir, slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: level})))
		if err != nil {
			t.Fatal(err)
		}
		for _, target := range []string{"/catalog.json", "/missing", "/col"} {
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", target, nil))
		}
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("HEAD", "/catalog.json", nil))
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("HEAD", "/missing", nil))
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/catalog.json", nil))
		lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
		if level == slog.LevelInfo {
			if buf.Len() != 0 {
				t.Errorf("access log above debug level:\n%s", buf.String())
			}
			continue
		}
		if len(lines) != 6 {
			t.Fatalf("want one line per request, got:\n%s", buf.String())
		}
		for i, want := range []string{
			"level=DEBUG msg=request method=GET path=/catalog.json status=200 bytes=" + strconv.Itoa(len(catalogBody)) + " duration=",
			"method=GET path=/missing status=404 bytes=" + strconv.Itoa(len(notFoundBody)) + " duration=",
			"method=GET path=/col status=302 ",
			"method=HEAD path=/catalog.json status=200 bytes=0 duration=",
			"method=HEAD path=/missing status=404 bytes=0 duration=",
			"method=POST path=/catalog.json status=405 ",
		} {
			if !strings.Contains(lines[i], want) {
				t.Errorf("line %d %q lacks %q", i, lines[i], want)
			}
		}
	}
}
