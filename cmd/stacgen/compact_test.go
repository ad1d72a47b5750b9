package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/eocat/eocat/internal/testenv"
	"gitlab.com/eocat/eocat/internal/validate"
)

// TestCompactSchemasAgreeOnStacgenOutput: on everything stacgen emits for the
// quickstart (with and without a signer), the compact schemas give the
// official schemas' verdict, schema by schema, with none skipped.
func TestCompactSchemasAgreeOnStacgenOutput(t *testing.T) {
	mirror := testenv.SharedDir(t, "stac-schemas")
	official, err := validate.New(validate.Options{SchemaDir: mirror, Offline: true, NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	compact, err := validate.New(validate.Options{Offline: true, NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(quickstartConfig())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	signed := strings.Replace(string(data), "collections:\n", "signer: {url: \"https://signer.example.org\", issuer: \"https://idp.example.org\"}\ncollections:\n", 1)
	signed = strings.ReplaceAll(signed, "source: data/", "source: "+filepath.Join(testenv.RepoRoot(), "examples", "quickstart", "data")+"/")
	if err := os.WriteFile(filepath.Join(dir, "signed.yaml"), []byte(signed), 0o644); err != nil {
		t.Fatal(err)
	}
	docs := 0
	for _, cfg := range []string{quickstartConfig(), filepath.Join(dir, "signed.yaml")} {
		out := filepath.Join(t.TempDir(), "public")
		if code, _, stderr := run(t, "build", "--config", cfg, "--out", out, "--schemas", mirror, "--offline"); code != 0 {
			t.Fatalf("%s: exit %d\n%s", cfg, code, stderr)
		}
		_ = filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
				return err
			}
			doc, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if !strings.Contains(string(doc), `"stac_version"`) {
				return nil // a copied sidecar, not a STAC document
			}
			docs++
			agree, detail, err := validate.CompareEngines(official, compact, p, doc)
			if err != nil {
				t.Fatal(err)
			}
			if !agree || strings.Contains(detail, "skipped") {
				t.Errorf("%s:\n%s", p, detail)
			}
			return nil
		})
	}
	if docs != 14 {
		t.Fatalf("compared %d documents, want 14", docs)
	}
}
