package validate

import (
	"os"
	"path/filepath"
	"testing"

	"gitlab.com/eocat/eocat/internal/testenv"
)

// mirror returns the official schema mirror (../shared/stac-schemas).
func mirror(t testing.TB) string {
	t.Helper()
	return testenv.SharedDir(t, "stac-schemas")
}

// officialValidator validates against the mirror only.
func officialValidator(t testing.TB) *Validator {
	t.Helper()
	v, err := New(Options{SchemaDir: mirror(t), Offline: true, NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// compactValidator can only use the embedded compact schemas.
func compactValidator(t testing.TB) *Validator {
	t.Helper()
	v, err := New(Options{Offline: true, NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// exampleFiles lists the official example documents of a STAC version.
func exampleFiles(t testing.TB, version string) []string {
	t.Helper()
	dir := filepath.Join(testenv.SharedDir(t, "stac-examples"), version)
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Ext(p) == ".json" {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no examples in %s", dir)
	}
	return files
}
