package validate

import (
	"encoding/json"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"gitlab.com/eocat/eocat/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite schemas/official.lock.json from the shared mirror")

// TestLockFile checks that the embedded lock pins exactly the mirror's files.
func TestLockFile(t *testing.T) {
	got, err := LockMirror(mirror(t))
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		b, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(testenv.RepoRoot(), "schemas", lockFile)
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %d pins to %s (embedded on the next build)", len(got.Schemas), path)
		return
	}
	want, err := loadLock()
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Schemas) < 40 {
		t.Errorf("lock pins only %d schemas", len(want.Schemas))
	}
	for _, u := range slices.Sorted(maps.Keys(got.Schemas)) {
		if want.Schemas[u] != got.Schemas[u] {
			t.Errorf("%s: mirror sha256 %s, lock %q", u, got.Schemas[u], want.Schemas[u])
		}
	}
	for u := range want.Schemas {
		if _, ok := got.Schemas[u]; !ok {
			t.Errorf("%s pinned but missing from the mirror", u)
		}
	}
}
