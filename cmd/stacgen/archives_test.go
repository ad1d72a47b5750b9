package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"gitlab.com/eocat/eocat/internal/publish"
	"gitlab.com/eocat/eocat/internal/testenv"
	"go.yaml.in/yaml/v3"
)

// writeConfig writes a configuration file and returns its path.
func writeConfig(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// countItems checks that out holds one complete build of n items of
// collection c: the marker, the root, the collection, and every item the
// collection links, each present and parseable.
func countItems(t *testing.T, out, c string, n int) {
	t.Helper()
	if !publish.Intact(out) {
		t.Fatalf("%s is not a complete stacgen output", out)
	}
	coll := readJSON(t, filepath.Join(out, c, "collection.json"))
	items := 0
	for _, l := range coll["links"].([]any) {
		link := l.(map[string]any)
		if link["rel"] != "item" {
			continue
		}
		items++
		item := readJSON(t, filepath.Join(out, c, filepath.FromSlash(link["href"].(string))))
		if item["type"] != "Feature" {
			t.Fatalf("item %v", link["href"])
		}
	}
	if items != n {
		t.Fatalf("%s links %d items, want %d", c, items, n)
	}
	entries, _ := os.ReadDir(filepath.Join(out, c))
	dirs := 0
	for _, e := range entries {
		if e.IsDir() {
			dirs++
			if _, err := os.Stat(filepath.Join(out, c, e.Name(), "index.html")); err != nil {
				t.Fatalf("item %s has no page: %v", e.Name(), err)
			}
		}
	}
	if dirs != n {
		t.Fatalf("%s holds %d item folders, want %d", c, dirs, n)
	}
}

func TestConcurrentBuildsIntoOneOutNeverCorruptIt(t *testing.T) {
	const n = 2000
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	seedBench(t, data, n)
	cfg := writeConfig(t, dir, "c.yaml", fmt.Sprintf(`catalog: {id: big, description: concurrent builds}
collections:
  - id: s2
    description: many products
    license: other
    source: %s
    href_base: https://data.example.org/s2/
    datetime: "2024-06-15T10:36:29Z"
`, data))
	out := filepath.Join(dir, "public")
	// Two processes, as a scheduled pipeline and a manual run are: the lock
	// is the kernel's, between processes.
	bin, err := stacgenBinary()
	if err != nil {
		t.Fatal(err)
	}
	build := func(extra ...string) (int, string, int) {
		cmd := exec.Command(bin, append([]string{"build", "-c", cfg, "--out", out, "--offline"}, extra...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Start()
		if err != nil {
			t.Error(err)
			return -1, "", 0
		}
		pid := cmd.Process.Pid
		err = cmd.Wait()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Error(err)
		}
		return code, stderr.String(), pid
	}

	// Two builds at once, no wait: exactly one publishes, the other fails
	// at once naming the running build's pid.
	var wg sync.WaitGroup
	codes, errs, pids := make([]int, 2), make([]string, 2), make([]int, 2)
	for i := range 2 {
		wg.Go(func() { codes[i], errs[i], pids[i] = build() })
	}
	wg.Wait()
	ok, refused := 0, 0
	for i := range 2 {
		switch {
		case codes[i] == 0:
			ok++
		case codes[i] == 1 && strings.Contains(errs[i], "another stacgen build is writing") && strings.Contains(errs[i], fmt.Sprintf("pid %d", pids[1-i])):
			refused++
		default:
			t.Errorf("build %d: exit %d\n%s", i, codes[i], errs[i])
		}
	}
	if ok != 1 || refused != 1 {
		t.Fatalf("want one build published and one refused naming the other's pid, got %d and %d:\n%s\n%s", ok, refused, errs[0], errs[1])
	}
	countItems(t, out, "s2", n)

	// With --wait-lock both publish, one after the other.
	for i := range 2 {
		wg.Go(func() { codes[i], errs[i], _ = build("--wait-lock", "5m") })
	}
	wg.Wait()
	for i := range 2 {
		if codes[i] != 0 {
			t.Errorf("waiting build %d: exit %d\n%s", i, codes[i], errs[i])
		}
	}
	countItems(t, out, "s2", n)
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if got := strings.Join(names, " "); got != ".public.stacgen-lock c.yaml data public" {
		t.Errorf("beside the output: %s", got)
	}
}

func TestIncrementalStateAlwaysMatchesTheOutput(t *testing.T) {
	dir := t.TempDir()
	base, err := os.ReadFile(quickstartConfig())
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(testenv.RepoRoot(), "examples", "quickstart", "data") + "/"
	text := strings.ReplaceAll(string(base), "source: data/", "source: "+data)
	c1 := writeConfig(t, dir, "c1.yaml", text)
	c2 := writeConfig(t, dir, "c2.yaml", strings.Replace(text, "title: eocat quickstart catalog", "title: C2 catalog", 1))
	out := filepath.Join(dir, "public")
	title := func() any { return readJSON(t, filepath.Join(out, "catalog.json"))["title"] }

	if code, _, stderr := run(t, "build", "-c", c1, "--out", out, "--offline", "--incremental"); code != 0 {
		t.Fatalf("C1 incremental: %d\n%s", code, stderr)
	}
	if _, err := os.Stat(publish.StatePath(out)); err != nil {
		t.Fatalf("an incremental build keeps its state: %v", err)
	}
	if code, _, stderr := run(t, "build", "-c", c2, "--out", out, "--offline"); code != 0 || title() != "C2 catalog" {
		t.Fatalf("C2: %d %v\n%s", code, title(), stderr)
	}
	if _, err := os.Stat(publish.StatePath(out)); !os.IsNotExist(err) {
		t.Fatalf("a plain build must remove the state of the output it replaced: %v", err)
	}
	code, _, stderr := run(t, "build", "-c", c1, "--out", out, "--offline", "--incremental")
	if code != 0 || title() != "eocat quickstart catalog" || strings.Contains(stderr, "up to date") || !strings.Contains(stderr, "19 header(s) read") {
		t.Fatalf("C1 again: %d, title %v\n%s", code, title(), stderr)
	}
	// Nothing changed: now it is up to date.
	code, _, stderr = run(t, "build", "-c", c1, "--out", out, "--offline", "--incremental")
	if code != 0 || !strings.Contains(stderr, "up to date") {
		t.Fatalf("C1 unchanged: %d\n%s", code, stderr)
	}
	// --skip-invalid-items is in the digest.
	code, _, stderr = run(t, "build", "-c", c1, "--out", out, "--offline", "--incremental", "--skip-invalid-items")
	if code != 0 || strings.Contains(stderr, "up to date") {
		t.Fatalf("C1 with --skip-invalid-items: %d\n%s", code, stderr)
	}
}

func TestNoSampleRasterCrashesABuild(t *testing.T) {
	samples := testenv.SharedDir(t, "geotiff-samples")
	tifs, err := filepath.Glob(filepath.Join(samples, "*.tif"))
	if err != nil || len(tifs) < 20 {
		t.Fatalf("samples: %v %d", err, len(tifs))
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	for _, tif := range tifs {
		name := strings.TrimSuffix(filepath.Base(tif), ".tif")
		if err := os.MkdirAll(filepath.Join(data, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := linkOrCopy(tif, filepath.Join(data, name, "image.tif")); err != nil {
			t.Fatal(err)
		}
	}
	cfg := writeConfig(t, dir, "c.yaml", fmt.Sprintf(`catalog: {id: samples, description: every sample raster}
collections:
  - {id: s, description: samples, license: other, source: %s, href_base: "https://data.example.org/", datetime: "2024-01-01T00:00:00Z"}
`, data))
	for _, skip := range []bool{false, true} {
		args := []string{"build", "-c", cfg, "--out", filepath.Join(dir, "public"), "--offline"}
		if skip {
			args = append(args, "--skip-invalid-items")
		}
		code, _, stderr := run(t, args...)
		if strings.Contains(stderr, "panic") || strings.Contains(stderr, "internal error") || strings.Contains(stderr, "goroutine ") {
			t.Fatalf("skip=%v: a sample crashed the build:\n%s", skip, stderr)
		}
		if want := map[bool]int{false: 1, true: 0}[skip]; code != want {
			t.Errorf("skip=%v: exit %d, want %d\n%s", skip, code, want, stderr)
		}
		if !skip {
			continue
		}
		// Only the geostationary view (no EPSG method) is left out; rasters
		// without a CRS are published with a null geometry and a warning;
		// the GCP samples get their footprint.
		for _, want := range []string{
			"1 item(s) left out", "left out: collection s, item rasterio__goes: ", "Geostationary",
			"item rasterio__rotated: image.tif: pixel coordinates but no coordinate reference system (no GeoKeys); geometry is null",
		} {
			if !strings.Contains(stderr, want) {
				t.Errorf("skip=%v: stderr lacks %q:\n%s", skip, want, stderr)
			}
		}
		if strings.Contains(stderr, "item rio-tiler__cog_gcps_ovr") || strings.Contains(stderr, "item rioxarray__cint16") {
			t.Errorf("skip=%v: a GCP sample is reported:\n%s", skip, stderr)
		}
	}
}

func TestPagesBudgetRefusesASiteTooLargeForGitLabPages(t *testing.T) {
	out := filepath.Join(t.TempDir(), "public")
	code, _, stderr := run(t, "build", "-c", quickstartConfig(), "--out", out, "--offline")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	// The count is what the folder holds, as GitLab counts it.
	entries := 0
	_ = filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if p != out {
			entries++
		}
		return err
	})
	if want := fmt.Sprintf("published %d files and folders", entries); !strings.Contains(stderr, want) {
		t.Fatalf("summary lacks %q:\n%s", want, stderr)
	}
	before := readJSON(t, filepath.Join(out, "catalog.json"))
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--max-files", fmt.Sprint(entries - 1)}, fmt.Sprintf("%d files and folders (--max-files %d)", entries, entries-1)},
		{[]string{"--max-bytes", "100kB"}, "(--max-bytes 100.0 kB)"},
		{[]string{"--max-files", "10", "--max-bytes", "0.1MB"}, " and "},
	} {
		args := append([]string{"build", "-c", quickstartConfig(), "--out", out, "--offline"}, c.args...)
		code, _, stderr := run(t, args...)
		if code != 1 || !strings.Contains(stderr, c.want) || !strings.Contains(stderr, "nothing was published") || !strings.Contains(stderr, "--pages=false") {
			t.Errorf("%v: exit %d\n%s", c.args, code, stderr)
		}
	}
	if after := readJSON(t, filepath.Join(out, "catalog.json")); after["id"] != before["id"] || !publish.Intact(out) {
		t.Error("a refused build changed the published output")
	}
	if code, _, stderr := run(t, "build", "-c", quickstartConfig(), "--out", out, "--offline", "--max-bytes", "lots"); code != 1 || !strings.Contains(stderr, `"lots" is not a size`) {
		t.Errorf("bad --max-bytes: %d %s", code, stderr)
	}
	// JSON only: no page, no alternate link.
	code, _, stderr = run(t, "build", "-c", quickstartConfig(), "--out", out, "--offline", "--pages=false")
	if code != 0 {
		t.Fatalf("--pages=false: %d\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "index.html")); !os.IsNotExist(err) {
		t.Error("--pages=false wrote index.html")
	}
	if data, _ := os.ReadFile(filepath.Join(out, "catalog.json")); strings.Contains(string(data), "text/html") {
		t.Error("--pages=false still links a page")
	}
}

func TestIncrementalRebuildsPagesWhenTemplatesOrSiteChange(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "public")
	tpl := filepath.Join(dir, "templates")
	if err := os.MkdirAll(tpl, 0o755); err != nil {
		t.Fatal(err)
	}
	args := []string{"build", "-c", quickstartConfig(), "--out", out, "--offline", "--incremental", "--templates", tpl}
	if code, _, stderr := run(t, args...); code != 0 {
		t.Fatalf("%d\n%s", code, stderr)
	}
	if _, _, stderr := run(t, args...); !strings.Contains(stderr, "up to date") {
		t.Fatalf("nothing changed, yet:\n%s", stderr)
	}
	// A data centre changes its 404 page: every page is rendered again.
	if err := os.WriteFile(filepath.Join(tpl, "404.html"), []byte(`{{define "content"}}<h1>Nothing here, sorry</h1>{{end}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := run(t, args...)
	if code != 0 || strings.Contains(stderr, "up to date") {
		t.Fatalf("changed template: %d\n%s", code, stderr)
	}
	if data, _ := os.ReadFile(filepath.Join(out, "404.html")); !strings.Contains(string(data), "Nothing here, sorry") {
		t.Error("the new 404 template is not in the output")
	}
	// --site overlays too, and a missing folder is an error.
	site := filepath.Join(dir, "site")
	if err := os.MkdirAll(site, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(site, "eocat.css"), []byte("body { color: teal }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = run(t, append(args, "--site", site)...)
	if data, _ := os.ReadFile(filepath.Join(out, "_static", "eocat.css")); code != 0 || string(data) != "body { color: teal }\n" {
		t.Errorf("--site: %d %q\n%s", code, data, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "_static", "eocat.js")); err != nil {
		t.Error("--site dropped the embedded files it does not override")
	}
	if code, _, stderr := run(t, append(args, "--site", filepath.Join(dir, "nope"))...); code != 1 || !strings.Contains(stderr, "--site") {
		t.Errorf("missing --site folder: %d\n%s", code, stderr)
	}
}

// TestGitLabCIPublishesLikeTheREADMESays checks the pipeline a data centre
// copies: the pages job's command and the artifact options Pages needs.
func TestGitLabCIPublishesLikeTheREADMESays(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), ".gitlab-ci.yml"))
	if err != nil {
		t.Fatal(err)
	}
	type job struct {
		Script        []string          `yaml:"script"`
		Variables     map[string]string `yaml:"variables"`
		ResourceGroup string            `yaml:"resource_group"`
		Rules         []map[string]any  `yaml:"rules"`
		Artifacts     struct {
			Paths []string `yaml:"paths"`
		} `yaml:"artifacts"`
	}
	var doc map[string]yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	ci := map[string]job{}
	for _, name := range []string{"pages", ".catalog-from-s3"} {
		var j job
		n := doc[name]
		if err := n.Decode(&j); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ci[name] = j
	}
	readme, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"pages", ".catalog-from-s3"} {
		job := ci[name]
		if job.Variables["ARTIFACT_COMPRESSION_LEVEL"] != "fastest" || job.Variables["FF_USE_FASTZIP"] != "true" {
			t.Errorf("%s: Pages needs ARTIFACT_COMPRESSION_LEVEL=fastest and FF_USE_FASTZIP=true for Range requests: %v", name, job.Variables)
		}
		if job.ResourceGroup == "" || !slices.Equal(job.Artifacts.Paths, []string{"public"}) {
			t.Errorf("%s: resource_group %q, artifacts %v", name, job.ResourceGroup, job.Artifacts.Paths)
		}
		schedule := false
		for _, r := range job.Rules {
			if r["if"] == `$CI_PIPELINE_SOURCE == "schedule"` {
				schedule = true
			}
		}
		if !schedule {
			t.Errorf("%s does not run on schedules", name)
		}
	}
	cmd := strings.TrimPrefix(ci["pages"].Script[0], "go run ./cmd/")
	if !strings.Contains(string(readme), cmd) {
		t.Errorf("the README does not show the pages job's command %q", cmd)
	}
}
