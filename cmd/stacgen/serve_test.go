package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"gitlab.com/eocat/eocat/internal/testenv"
)

var servingLine = regexp.MustCompile(`stacgen: serving (.+) at http://(127\.0\.0\.1:\d+)/ \(Ctrl-C to stop\)\n`)

// get fetches a URL without following redirects.
func get(t *testing.T, url string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	client := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

func TestServeABuiltCatalogLikePages(t *testing.T) {
	out := filepath.Join(t.TempDir(), "public")
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	if code, _, stderr := run(t, "build", "--config", quickstartConfig(), "--out", out, "--offline"); code != 0 {
		t.Fatalf("build exit %d:\n%s", code, stderr)
	}
	// A page, a folder without index.html and a 404 page of the test's own
	// (whatever the build writes besides the catalog).
	const notFoundPage, previewPage = "<h1>not in this catalog</h1>\n", "<h1>preview</h1>\n"
	if err := os.WriteFile(filepath.Join(out, "404.html"), []byte(notFoundPage), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(out, "preview"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "preview", "index.html"), []byte(previewPage), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(out, "unlisted"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "unlisted", "data.txt"), []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	var cog string
	if err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err == nil && cog == "" && strings.HasSuffix(p, ".tif") {
			cog = p
		}
		return err
	}); err != nil || cog == "" {
		t.Fatalf("no GeoTIFF in the build output (%v)", err)
	}

	t.Setenv("STACGEN_DIR", out) // the flag's environment variable
	var stdout bytes.Buffer
	stderr := &testenv.LockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- newApp(&stdout, stderr).RunContext(ctx, []string{"stacgen", "serve", "--listen", "127.0.0.1:0", "--log-level", "debug"})
	}()
	var addr string
	for deadline := time.Now().Add(10 * time.Second); addr == ""; {
		if m := servingLine.FindStringSubmatch(stderr.String()); m != nil {
			if m[1] != out {
				t.Errorf("serving %q, want %q", m[1], out)
			}
			addr = m[2]
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve returned before listening: %v\n%s", err, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no serving line:\n%s", stderr.String())
		}
	}
	base := "http://" + addr

	resp, body := get(t, base+"/catalog.json", nil)
	var root map[string]any
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || json.Unmarshal([]byte(body), &root) != nil || root["id"] != "eocat-quickstart" {
		t.Fatalf("/catalog.json: %d %q\n%.200s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if cc, nosniff := resp.Header.Get("Cache-Control"), resp.Header.Get("X-Content-Type-Options"); cc != "max-age=600" || nosniff != "nosniff" {
		t.Errorf("Cache-Control %q, X-Content-Type-Options %q", cc, nosniff)
	}

	resp, _ = get(t, base+"/preview?tab=map", nil)
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/preview/?tab=map" {
		t.Errorf("/preview: %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body = get(t, base+"/preview/", nil)
	if resp.StatusCode != 200 || body != previewPage || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("/preview/: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	resp, body = get(t, base+"/unlisted/", nil) // a folder without index.html: never listed
	if resp.StatusCode != 404 || body != notFoundPage {
		t.Errorf("/unlisted/: %d %q", resp.StatusCode, body)
	}
	for _, p := range []string{"/no/such/item.json", "/.stacgen", "/../" + filepath.Base(filepath.Dir(out))} {
		resp, body = get(t, base+p, nil)
		if resp.StatusCode != 404 || body != notFoundPage || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Errorf("%s: %d %q %q", p, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	}

	data, err := os.ReadFile(cog)
	if err != nil {
		t.Fatal(err)
	}
	rel, _ := filepath.Rel(out, cog)
	resp, body = get(t, base+"/"+filepath.ToSlash(rel), map[string]string{"Range": "bytes=0-15"})
	if resp.StatusCode != http.StatusPartialContent || body != string(data[:16]) ||
		resp.Header.Get("Content-Range") != "bytes 0-15/"+strconv.Itoa(len(data)) || resp.Header.Get("Content-Type") != "image/tiff" {
		t.Errorf("range of %s: %d %q %q", rel, resp.StatusCode, resp.Header.Get("Content-Range"), resp.Header.Get("Content-Type"))
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve after cancel: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop after cancel")
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		_ = c.Close() // a probe; the Error says what matters
		t.Error("still listening after stop")
	}
	log := stderr.String()
	for _, want := range []string{"msg=request method=GET path=/catalog.json status=200", "path=/no/such/item.json status=404", "path=/preview status=302"} {
		if !strings.Contains(log, want) {
			t.Errorf("access log lacks %q:\n%s", want, log)
		}
	}
	if stdout.Len() != 0 {
		t.Errorf("serve wrote to stdout: %q", stdout.String())
	}
}

func TestServeBadInputs(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "catalog.json")
	if err := os.WriteFile(file, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close() //nolint:errcheck // holds a port for the test; nothing was written
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--dir", filepath.Join(dir, "missing")}, "cannot serve " + filepath.Join(dir, "missing")},
		{[]string{"--dir", file}, "not a folder"},
		{[]string{"--dir", dir, "--listen", ln.Addr().String()}, "--listen: "},
		{[]string{"--dir", dir, "--listen", "nohost"}, "--listen: "},
		{[]string{"--dir", dir, "--log-level", "loud"}, "--log-level"},
		{[]string{dir}, "serve takes no arguments"},
	} {
		code, _, stderr := run(t, append([]string{"serve"}, c.args...)...)
		if code != exitError || !strings.Contains(stderr, c.want) || strings.Contains(stderr, "serving") {
			t.Errorf("serve %v: exit %d\n%s", c.args, code, stderr)
		}
	}
	code, stdout, _ := run(t, "serve", "--help")
	for _, want := range []string{"STACGEN_DIR", "STACGEN_LISTEN", `(default: "public")`, `(default: "127.0.0.1:8000")`, "GitLab Pages", "not a production"} {
		if code != 0 || !strings.Contains(stdout, want) {
			t.Errorf("serve --help lacks %q:\n%s", want, stdout)
		}
	}
}
