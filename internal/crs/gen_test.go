package crs

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/eocat/eocat/internal/testenv"
)

// TestGeneratedTable checks that `go generate` reproduces epsg_gen.go byte
// for byte from the installed proj.db (when it holds the same EPSG version).
func TestGeneratedTable(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	if _, err := exec.LookPath("sqlite3"); err != nil {
		testenv.Missing(t, "sqlite3 not found (Debian package sqlite3)")
	}
	db := filepath.Join(projDataDir(t), "proj.db")
	v, err := exec.Command("sqlite3", "-readonly", db, "SELECT value FROM metadata WHERE key = 'EPSG.VERSION'").Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(v)); got != epsgVersion {
		t.Skipf("%s holds EPSG %s, the table %s: run go generate to upgrade", db, got, epsgVersion)
	}
	out := filepath.Join(t.TempDir(), "epsg_gen.go")
	cmd := exec.Command("go", "run", "./gen", "-db", db, "-o", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run ./gen: %v\n%s", err, b)
	}
	want, err := os.ReadFile("epsg_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("go generate does not reproduce epsg_gen.go (%d bytes, committed %d): regenerate and commit it", len(got), len(want))
	}
}

// BenchmarkDecodeEPSG measures the one-time decoding of the table.
func BenchmarkDecodeEPSG(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := decodeEPSG(epsgTable); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkForEPSG measures building a CRS with many datum operations.
func BenchmarkForEPSG(b *testing.B) {
	if _, err := loadEPSG(); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		if _, err := ForEPSG(23031); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkToWGS84Datum measures a point through ED50 / UTM zone 31N (per-point
// choice among 15 operations).
func BenchmarkToWGS84Datum(b *testing.B) {
	tr, err := ForEPSG(23031)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		if _, _, err := tr.ToWGS84(450000, 4800000); err != nil {
			b.Fatal(err)
		}
	}
}
