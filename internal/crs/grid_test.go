package crs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"gitlab.com/eocat/eocat/internal/testenv"
)

// testGrid has a parent over [0°, 4°]² with shifts linear in lon and lat
// (so bilinear interpolation is exact) and a child over [1°, 2°]² with a
// constant shift.
var testGrid = []testenv.NTv2Sub{
	{Name: "PARENT", Parent: "NONE", West: 0, South: 0, East: 4, North: 4, Res: 1,
		Shift: func(lon, lat float64) (float64, float64) { return 1 + 0.5*lon + 0.25*lat, -2 + 0.125*lon - 0.5*lat }},
	{Name: "CHILD", Parent: "PARENT", West: 1, South: 1, East: 2, North: 2, Res: 0.5,
		Shift: func(lon, lat float64) (float64, float64) { return 10, 20 }},
}

func TestNTv2(t *testing.T) {
	for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		dir := t.TempDir()
		testenv.WriteNTv2(t, filepath.Join(dir, "test.gsb"), bo, testGrid)
		if err := os.WriteFile(filepath.Join(dir, "other.tif"), []byte("not a grid"), 0o644); err != nil {
			t.Fatal(err)
		}
		g, err := NewGrids(os.DirFS(dir), dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := g.find([]string{"absent.gsb", "other.tif"}); ok {
			t.Error("find accepted a missing or non-NTv2 file")
		}
		name, ok := g.find([]string{"test.tif", "test.gsb"})
		if !ok || name != "test.gsb" {
			t.Fatalf("find = %q, %v", name, ok)
		}
		set, err := g.get(name)
		if err != nil {
			t.Fatal(err)
		}
		s := &gridStep{grids: g, name: name}
		for _, c := range []struct {
			lon, lat, dlon, dlat float64 // degrees, arc-seconds
		}{
			{0.3, 3.7, 1 + 0.5*0.3 + 0.25*3.7, -2 + 0.125*0.3 - 0.5*3.7}, // parent, exact bilinear
			{3.99, 0.01, 1 + 0.5*3.99 + 0.25*0.01, -2 + 0.125*3.99 - 0.5*0.01},
			{4, 4, 1 + 2 + 1, -2 + 0.5 - 2}, // north-east corner node
			{1.5, 1.25, 10, 20},             // child
		} {
			l, p, err := s.fwd(c.lon*deg, c.lat*deg)
			if err != nil {
				t.Fatalf("%v: fwd(%v, %v): %v", bo, c.lon, c.lat, err)
			}
			gl, gp := (l/deg-c.lon)*3600, (p/deg-c.lat)*3600
			if math.Abs(gl-c.dlon) > 1e-5 || math.Abs(gp-c.dlat) > 1e-5 {
				t.Errorf("%v: shift at (%v, %v) = (%v, %v)″, want (%v, %v)″", bo, c.lon, c.lat, gl, gp, c.dlon, c.dlat)
			}
			// The inverse iterates back to the start (PROJ looks the grid up
			// at the shifted point: at the corner node it is outside).
			if c.lon == 4 {
				if _, _, err := s.inv(l, p); !errors.Is(err, errOutsideGrid) {
					t.Errorf("inverse outside the grid: %v", err)
				}
				continue
			}
			l2, p2, err := s.inv(l, p)
			if err != nil {
				t.Fatalf("inv: %v", err)
			}
			if math.Abs(l2/deg-c.lon) > 1e-10 || math.Abs(p2/deg-c.lat) > 1e-10 {
				t.Errorf("%v: inverse of (%v, %v) = (%v, %v)", bo, c.lon, c.lat, l2/deg, p2/deg)
			}
		}
		if sg := set.gridAt(1.5*deg, 1.5*deg); sg == nil || sg.name != "CHILD" {
			t.Errorf("gridAt(1.5, 1.5) = %v, want the child", sg)
		}
		for _, p := range [][2]float64{{-0.5, 1}, {1, 4.5}, {5, 2}} {
			if _, _, err := s.fwd(p[0]*deg, p[1]*deg); !errors.Is(err, errOutsideGrid) {
				t.Errorf("fwd(%v) outside the grid: err %v", p, err)
			}
		}
		// Backward use of the file (a grid given in the target → source
		// direction) is the inverse.
		b := &gridStep{grids: g, name: name, backward: true}
		l, p, _ := s.fwd(0.7*deg, 2.2*deg)
		if l2, p2, err := b.fwd(l, p); err != nil || math.Abs(l2/deg-0.7) > 1e-10 || math.Abs(p2/deg-2.2) > 1e-10 {
			t.Errorf("backward step: (%v, %v) %v", l2/deg, p2/deg, err)
		}
	}
}

func TestNTv2Invalid(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bad.gsb"), []byte("NUM_OREC not really"), 0o644); err != nil {
		t.Fatal(err)
	}
	g, err := NewGrids(os.DirFS(dir), dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.get("bad.gsb"); err == nil {
		t.Error("a truncated file parsed")
	}
	s := &gridStep{grids: g, name: "bad.gsb"}
	if _, _, err := s.fwd(0, 0); err == nil || errors.Is(err, errOutsideGrid) {
		t.Errorf("unreadable grid: err %v, want a read error", err)
	}
	absent := filepath.Join(dir, "absent")
	if _, err := NewGrids(os.DirFS(absent), absent); err == nil || !strings.Contains(err.Error(), absent+":") || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("NewGrids of a missing directory: %v, want an error naming %s", err, absent)
	}
	// A file listed but gone by the time it is read: the error names it by
	// its path, as os.Open does.
	if err := os.Remove(filepath.Join(dir, "bad.gsb")); err != nil {
		t.Fatal(err)
	}
	g.cache = map[string]*gridFile{}
	want := "crs: grid bad.gsb: open " + filepath.Join(dir, "bad.gsb") + ": no such file or directory"
	if _, err := g.get("bad.gsb"); err == nil || err.Error() != want {
		t.Errorf("missing grid file: %v, want %q", err, want)
	}
}

// TestGridsFS reads grids from an fs.FS other than a folder (NTv2, and a
// loader's format through a file that is not an io.ReaderAt).
func TestGridsFS(t *testing.T) {
	dir := t.TempDir()
	testenv.WriteNTv2(t, filepath.Join(dir, "test.gsb"), binary.LittleEndian, testGrid)
	gsb, err := os.ReadFile(filepath.Join(dir, "test.gsb"))
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{"test.gsb": {Data: gsb}, "const.grd": {Data: []byte("10 20")}, "sub/x.gsb": {Data: gsb}}
	g, err := NewGrids(onlyReader{fsys}, "mem")
	if err != nil {
		t.Fatal(err)
	}
	g.Loaders[".grd"] = func(r io.ReaderAt, size int64) (*GridData, error) {
		b := make([]byte, size)
		if _, err := r.ReadAt(b, 0); err != nil {
			return nil, err
		}
		var dl, dp float32
		if _, err := fmt.Sscan(string(b), &dl, &dp); err != nil {
			return nil, err
		}
		return &GridData{Subgrids: []SubgridData{{Name: "C", Parent: -1, West: 0, South: 0, East: 1, North: 1, ResX: 1, ResY: 1, Width: 2, Height: 2,
			Shifts: []float32{dl, dp, dl, dp, dl, dp, dl, dp}}}}, nil
	}
	if g.Dir() != "mem" {
		t.Errorf("Dir() = %q", g.Dir())
	}
	if _, ok := g.find([]string{"x.gsb", "sub"}); ok {
		t.Error("find accepted a file of a sub-directory, or the sub-directory")
	}
	for _, c := range []struct {
		name       string
		lon, lat   float64
		dlon, dlat float64
	}{{"test.gsb", 1.5, 1.25, 10, 20}, {"const.grd", 0.5, 0.5, 10, 20}} {
		dl, dp, err := g.Shift(c.name, c.lon, c.lat)
		if err != nil || math.Abs(dl-c.dlon) > 1e-9 || math.Abs(dp-c.dlat) > 1e-9 {
			t.Errorf("Shift(%s) = %v, %v, %v", c.name, dl, dp, err)
		}
	}
}

// onlyReader hides the io.ReaderAt of an fs.FS's regular files.
type onlyReader struct{ fs.FS }

func (o onlyReader) Open(name string) (fs.File, error) {
	f, err := o.FS.Open(name)
	if err != nil || name == "." {
		return f, err
	}
	return struct{ fs.File }{f}, nil
}

// TestGridsCache checks the bound on memory (least recently used grids are
// dropped and read again) and concurrent use.
func TestGridsCache(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a.gsb", "b.gsb", "c.gsb"} {
		testenv.WriteNTv2(t, filepath.Join(dir, n), binary.LittleEndian, testGrid[:1])
	}
	g, err := NewGrids(os.DirFS(dir), dir)
	if err != nil {
		t.Fatal(err)
	}
	one, _ := g.get("a.gsb")
	g.MaxBytes = 2*one.bytes + 1
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			s := &gridStep{grids: g, name: []string{"a.gsb", "b.gsb", "c.gsb"}[i%3]}
			for k := 0; k < 50; k++ {
				if _, _, err := s.fwd(2*deg, 2*deg); err != nil {
					t.Error(err)
					return
				}
			}
		}(i)
	}
	wg.Wait()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.bytes > g.MaxBytes+one.bytes {
		t.Errorf("cache holds %d bytes, bound %d", g.bytes, g.MaxBytes)
	}
}

// TestGridDatumShift uses a real PROJ grid when present: NTF → WGS 84 with
// ntf_r93.gsb (EPSG:1 "WGS 84 to NTF (3)" used backwards, as PROJ does),
// compared with GDAL's output for the same point (gdaltransform -s_srs
// EPSG:4275 -t_srs EPSG:4326 with PROJ_DATA=/usr/share/proj).
func TestGridDatumShift(t *testing.T) {
	dir := "/usr/share/proj"
	if _, err := os.Stat(filepath.Join(dir, "ntf_r93.gsb")); err != nil {
		testenv.Missing(t, "ntf_r93.gsb not found in %s (Debian package proj-data)", dir)
	}
	g, err := NewGrids(os.DirFS(dir), dir)
	if err != nil {
		t.Fatal(err)
	}
	with, err := ForEPSGWith(4275, g)
	if err != nil {
		t.Fatal(err)
	}
	without, err := ForEPSG(4275)
	if err != nil {
		t.Fatal(err)
	}
	// GDAL 3.6.2 / PROJ 9.1.1: 2.35 48.85 → with the grid (fr_ign_ntf_r93
	// found as ntf_r93.gsb) 2.34929559368578 48.8499335625692, without it
	// (Helmert EPSG:1193 "NTF to WGS 84 (1)") 2.34927701920473 48.8499307603512.
	for _, c := range []struct {
		tr       Transformer
		lon, lat float64
	}{{with, 2.34929559368578, 48.8499335625692}, {without, 2.34927701920473, 48.8499307603512}} {
		lon, lat, err := c.tr.ToWGS84(2.35, 48.85)
		if err != nil {
			t.Fatal(err)
		}
		if d := haversine(lon, lat, c.lon, c.lat); d > 0.01 {
			t.Errorf("NTF (2.35, 48.85) → (%.9f, %.9f), GDAL (%.9f, %.9f): %.3f m", lon, lat, c.lon, c.lat, d)
		}
	}
}
