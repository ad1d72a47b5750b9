package validate

import (
	"os"
	"path/filepath"
	"testing"
)

// TestOfficialExamples: every official 1.0.0 and 1.1.0 example is valid
// against the official schemas.
func TestOfficialExamples(t *testing.T) {
	v := officialValidator(t)
	n := 0
	for _, version := range []string{"v1.0.0", "v1.1.0"} {
		for _, f := range exampleFiles(t, version) {
			doc, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			issues, err := v.Validate(filepath.Base(f), doc)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			for _, is := range issues {
				t.Errorf("%s: %s", f, is)
			}
			n++
		}
	}
	for u, src := range v.Sources() {
		if src != SourceDir {
			t.Errorf("%s came from %s, want the mirror", u, src)
		}
	}
	t.Logf("%d official examples valid, %d schemas from the mirror", n, len(v.Sources()))
}
