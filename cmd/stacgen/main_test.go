package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/eocat/eocat/internal/testenv"
)

// run executes stacgen in-process and returns its exit code and output.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := newApp(&stdout, &stderr).RunContext(context.Background(), append([]string{"stacgen"}, args...))
	if err != nil {
		stderr.WriteString("stacgen: " + err.Error() + "\n")
	}
	return exitCode(err), stdout.String(), stderr.String()
}

func quickstartConfig() string {
	return filepath.Join(testenv.RepoRoot(), "examples", "quickstart", "stacgen.yaml")
}

func readJSON(t *testing.T, p string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return v
}

func TestQuickstartBuildThenValidateWithOfficialSchemas(t *testing.T) {
	schemas := testenv.SharedDir(t, "stac-schemas")
	out := filepath.Join(t.TempDir(), "public")
	code, _, stderr := run(t, "build", "--config", quickstartConfig(), "--out", out, "--schemas", schemas, "--offline", "--base-url", "https://eocat.example.org/demo/")
	if code != 0 {
		t.Fatalf("build exit %d:\n%s", code, stderr)
	}
	for _, want := range []string{"2 collection(s), 4 item(s)", "19 header(s) read"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("summary lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "compact schemas") {
		t.Errorf("with --schemas every official schema must resolve from the mirror:\n%s", stderr)
	}
	root := readJSON(t, filepath.Join(out, "catalog.json"))
	if root["id"] != "eocat-quickstart" {
		t.Fatalf("root %v", root)
	}
	code, stdout, stderr := run(t, "validate", "--schemas", schemas, "--offline", filepath.Join(out, "catalog.json"))
	if code != 0 || !strings.Contains(stdout, "valid: 7 document(s), 0 warning(s)") {
		t.Fatalf("validate exit %d\n%s%s", code, stdout, stderr)
	}
}

func TestQuickstartOfflineWithoutMirrorUsesCompactSchemas(t *testing.T) {
	out := filepath.Join(t.TempDir(), "public")
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // an empty user cache
	code, _, stderr := run(t, "build", "--config", quickstartConfig(), "--out", out, "--offline")
	if code != 0 {
		t.Fatalf("build exit %d:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "compact schemas") {
		t.Errorf("the summary must say compact schemas were used:\n%s", stderr)
	}
}

func TestBadInputsGiveClearErrorsAndExitCodes(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("catalog: {id: x}\ncollections: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := run(t, "build", "--config", bad, "--out", filepath.Join(dir, "out"))
	if code != 1 || !strings.Contains(stderr, "catalog (line 1)") || !strings.Contains(stderr, "collections (line 2)") {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); !os.IsNotExist(err) {
		t.Fatal("a failed build created the output")
	}
	code, _, stderr = run(t, "build", "--config", quickstartConfig(), "--out", filepath.Join(dir, "out"), "--base-url", "example.org")
	if code != 1 || !strings.Contains(stderr, "absolute http(s) URL") {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	code, _, stderr = run(t, "validate")
	if code != 1 || !strings.Contains(stderr, "one PATH_OR_URL") {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	code, _, _ = run(t, "validate", "--offline", filepath.Join(dir, "missing.json"))
	if code != 1 {
		t.Fatalf("missing file: exit %d", code)
	}
	code, stdout, _ := run(t, "version")
	if code != 0 || !strings.HasPrefix(stdout, "stacgen ") {
		t.Fatalf("version: %d %q", code, stdout)
	}
	code, stdout, _ = run(t, "build", "--help")
	if code != 0 || !strings.Contains(stdout, "STACGEN_CONFIG") || !strings.Contains(stdout, "--incremental") {
		t.Fatalf("build --help:\n%s", stdout)
	}
}

func TestSignerIsAdvertisedWithTheAuthenticationExtension(t *testing.T) {
	schemas := testenv.SharedDir(t, "stac-schemas")
	data, err := os.ReadFile(quickstartConfig())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	text := strings.Replace(string(data), "collections:\n", "signer: {url: \"https://signer.example.org/\", issuer: \"https://idp.example.org/realms/eo\"}\n\ncollections:\n", 1)
	text = strings.ReplaceAll(text, "source: data/", "href_base: \"https://data.example.org/\"\n    source: "+filepath.Join(testenv.RepoRoot(), "examples", "quickstart", "data")+"/")
	cfgPath := filepath.Join(dir, "signed.yaml")
	if err := os.WriteFile(cfgPath, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "public")
	if code, _, stderr := run(t, "build", "--config", cfgPath, "--out", out, "--schemas", schemas, "--offline"); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	root := readJSON(t, filepath.Join(out, "catalog.json"))
	schemes := root["auth:schemes"].(map[string]any)
	flow := schemes["signer"].(map[string]any)["flows"].(map[string]any)["authorizationCode"].(map[string]any)
	if flow["authorizationApi"] != "https://signer.example.org/sign" || schemes["oidc"].(map[string]any)["openIdConnectUrl"] != "https://idp.example.org/realms/eo/.well-known/openid-configuration" {
		t.Fatalf("auth:schemes %v", schemes)
	}
	id := "SPOT6_2023-07-12_PMS"
	item := readJSON(t, filepath.Join(out, "spot-6-7-ortho", id, id+".json"))
	img := item["assets"].(map[string]any)["image"].(map[string]any)
	if img["href"] != "https://data.example.org/"+id+"/IMG_SPOT6_PMS_202307121034_ORT_R1C1.tif" {
		t.Errorf("href %v", img["href"])
	}
	if refs, _ := img["auth:refs"].([]any); len(refs) != 1 || refs[0] != "signer" {
		t.Errorf("auth:refs %v", img["auth:refs"])
	}
	if _, err := os.Stat(filepath.Join(out, "spot-6-7-ortho", id, "IMG_SPOT6_PMS_202307121034_ORT_R1C1.tif")); !os.IsNotExist(err) {
		t.Error("with href_base the data must not be copied")
	}
	// The official authentication v1.1.0 schema accepts every document.
	code, stdout, stderr := run(t, "validate", "--schemas", schemas, "--offline", out)
	if code != 0 || !strings.Contains(stdout, "valid: 7 document(s)") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestBuildExitCodes: build and validate share their exit codes — 2 when
// every failure is an invalid document, 1 when any item fails otherwise.
func TestBuildExitCodes(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(testenv.RepoRoot(), "examples", "quickstart"))); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "stacgen.yaml")
	out := filepath.Join(dir, "public")
	s2 := filepath.Join(dir, "data", "sentinel2-l2a", "S2A_MSIL2A_20240712T130251_N0510_R095_T23KPQ_20240712T183012")
	edit := func(file, old, new string) {
		t.Helper()
		b, err := os.ReadFile(file)
		if err != nil || !strings.Contains(string(b), old) {
			t.Fatalf("%s: %v, or no %q", file, err, old)
		}
		if err := os.WriteFile(file, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// An item whose sidecar breaks the eo extension's schema: invalid → 2.
	edit(filepath.Join(s2, "metadata.json"), `"eo:cloud_cover": 0.71`, `"eo:cloud_cover": 150`)
	code, _, stderr := run(t, "build", "-c", cfg, "--out", out, "--offline")
	if code != 2 || !strings.Contains(stderr, "eo:cloud_cover") || !strings.Contains(stderr, "1 item(s) failed") {
		t.Fatalf("invalid item: exit %d, want 2\n%s", code, stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("an invalid catalog was published: %v", err)
	}

	// Left out with --skip-invalid-items, the item publishes nothing, not
	// even its data files.
	code, _, stderr = run(t, "build", "-c", cfg, "--out", out, "--offline", "--skip-invalid-items")
	if code != 0 || !strings.Contains(stderr, "1 item(s) left out") {
		t.Fatalf("--skip-invalid-items: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "sentinel-2-l2a", filepath.Base(s2))); !os.IsNotExist(err) {
		t.Errorf("the left-out item's folder was published: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "sentinel-2-l2a", "S2A_MSIL2A_20240620T103631_N0510_R008_T31TEJ_20240620T170512", "B02.tif")); err != nil {
		t.Errorf("a valid item's data was not published: %v", err)
	}
	if err := os.RemoveAll(out); err != nil {
		t.Fatal(err)
	}

	// Plus an item that cannot be built (a raster that is not a TIFF): 1.
	if err := os.WriteFile(filepath.Join(dir, "data", "spot", "SPOT6_2023-07-12_PMS", "IMG_SPOT6_PMS_202307121034_ORT_R1C1.tif"), []byte("not a tiff"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = run(t, "build", "-c", cfg, "--out", out, "--offline")
	if code != 1 || !strings.Contains(stderr, "2 item(s) failed") {
		t.Fatalf("invalid item and broken raster: exit %d, want 1\n%s", code, stderr)
	}
}
