package main

import (
	"flag"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gitlab.com/eocat/eocat/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files: testdata/quickstart (TestGoldenQuickstart) and the files the scripts of testdata/script compare with (TestScript)")

// goldenDir holds the quickstart's golden output: its JSON documents at
// their paths in the output, and goldenList.
const goldenDir = "testdata/quickstart"

// goldenList, in goldenDir, lists every file and folder of the output, one a
// line: "path size" for a file, "path/" for a folder, sorted by path.
const goldenList = "files.txt"

// TestGoldenQuickstart builds the quickstart as the README's first command
// does (stacgen build --config examples/quickstart/stacgen.yaml --out DIR
// --offline) and compares the output with testdata/quickstart: every JSON
// document (catalog, collections, items) byte for byte, and the list of
// every file and folder published, with each file's size. The HTML pages
// are compared line by line in internal/render (TestGoldenQuickstartPages);
// here only their sizes are, like the data copied beside the items, the
// stac-geoparquet files and the site's static files.
//
// Nothing is normalised, because nothing varies: two builds into folders of
// different names, from copies of the data with other modification times,
// wrote the same bytes in every file (pages and stac-geoparquet included).
// Without --base-url every link and href is relative; no document holds a
// time of the build (no created/updated), an absolute path or a file's
// modification time. The one input that could vary is pinned or cleared
// instead: the generator the pages name is "stacgen " + version, pinned to
// "devel" here in case the test binary was linked with -X main.version; the
// STACGEN_* variables and CI_PAGES_URL (GitLab CI sets it, and it is
// --base-url's default) are unset; the user's schema cache is replaced by an
// empty one (it only decides which schemas validate, but keeps the test
// hermetic).
//
// After a deliberate change to the output:
//
//	go test ./cmd/stacgen -run TestGoldenQuickstart -update
//
// rewrites testdata/quickstart; review its diff before committing it.
func TestGoldenQuickstart(t *testing.T) {
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "STACGEN_") || k == "CI_PAGES_URL" {
			t.Setenv(k, "") // restored after the test
			if err := os.Unsetenv(k); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	defer func(v string) { version = v }(version)
	version = "devel"

	out := filepath.Join(t.TempDir(), "public")
	code, _, stderr := run(t, "build", "--config", quickstartConfig(), "--out", out, "--offline")
	if code != 0 {
		t.Fatalf("build exit %d:\n%s", code, stderr)
	}
	got := goldenOf(t, out)

	if *update {
		if err := os.RemoveAll(goldenDir); err != nil {
			t.Fatal(err)
		}
		for rel, data := range got {
			p := filepath.Join(goldenDir, filepath.FromSlash(rel))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("rewrote %s: %d files", goldenDir, len(got))
		return
	}

	want := snapshot(t, goldenDir)
	if len(want) == 0 {
		t.Fatalf("no golden files in %s (go test ./cmd/stacgen -run TestGoldenQuickstart -update writes them)", goldenDir)
	}
	const hint = "go test ./cmd/stacgen -run TestGoldenQuickstart -update rewrites the golden files after review"
	if g, w := got[goldenList], want[goldenList]; g != w {
		t.Errorf("the files published differ from %s (%s):\n%s", filepath.Join(goldenDir, goldenList), hint, listDiff(w, g))
	}
	for _, rel := range slices.Sorted(maps.Keys(want)) {
		if rel == goldenList {
			continue
		}
		g, ok := got[rel]
		switch {
		case !ok:
			t.Errorf("%s: no longer written (%s)", rel, hint)
		case g != want[rel]:
			t.Errorf("%s differs from %s (%s):\n%s", rel, filepath.Join(goldenDir, filepath.FromSlash(rel)), hint, testenv.FirstDiff(want[rel], g))
		}
	}
	for _, rel := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[rel]; !ok {
			t.Errorf("%s: a new JSON document, not in %s (%s)", rel, goldenDir, hint)
		}
	}
}

// goldenOf maps each JSON document of the output folder to its content, and
// goldenList to the list of the folder's files and folders.
func goldenOf(t *testing.T, out string) map[string]string {
	t.Helper()
	golden := map[string]string{}
	var list strings.Builder
	err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == out {
			return err
		}
		rel, err := filepath.Rel(out, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			fmt.Fprintf(&list, "%s/\n", rel)
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(&list, "%s %d\n", rel, info.Size())
		if path.Ext(rel) == ".json" {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			golden[rel] = string(data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	golden[goldenList] = list.String()
	return golden
}

// listDiff shows the lines of one list missing from the other (a changed
// size shows as one of each).
func listDiff(want, got string) string {
	w, g := strings.Split(strings.TrimSpace(want), "\n"), strings.Split(strings.TrimSpace(got), "\n")
	var b strings.Builder
	for _, l := range w {
		if !slices.Contains(g, l) {
			b.WriteString("  - " + l + "\n")
		}
	}
	for _, l := range g {
		if !slices.Contains(w, l) {
			b.WriteString("  + " + l + "\n")
		}
	}
	return b.String()
}
