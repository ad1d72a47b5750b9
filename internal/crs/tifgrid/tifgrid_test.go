package tifgrid

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"gitlab.com/eocat/eocat/internal/crs"
	"gitlab.com/eocat/eocat/internal/geotiff"
	"gitlab.com/eocat/eocat/internal/testenv"
)

// The PROJ GeoTIFF grids of these tests are made at test time from NTv2
// files by testdata/ntv2_to_tif.py (GDAL's Python bindings, Debian package
// python3-gdal), which writes what PROJ-data's grid_tools/ntv2_to_gtiff.py
// writes (see the script): the real sources are Debian's proj-data NTv2
// files in /usr/share/proj, named here by their PROJ-data names (the
// proj_grid_name of proj.db's grid_alternatives).
//
// codes are CRSs whose datum has an operation with the grid. PROJ 9.1.1
// does not use ntf_r93 from NTF (Paris) (EPSG:27572 gives the same
// coordinates with and without it, in gdaltransform as here): NTF itself,
// EPSG:4275, is where the grid shows.
var projData = []struct {
	gsb, tif, src, dst string
	codes              []int
}{
	{"ntf_r93.gsb", "fr_ign_ntf_r93.tif", "EPSG:4275", "EPSG:4171", []int{27572, 4275}},
	{"BETA2007.gsb", "de_adv_BETA2007.tif", "EPSG:4314", "EPSG:4258", []int{31467}},
	{"nzgd2kgrid0005.gsb", "nz_linz_nzgd2kgrid0005.tif", "EPSG:4272", "EPSG:4167", []int{27200}},
}

// gridUnused are the codes whose coordinates do not depend on the grid.
var gridUnused = map[int]bool{27572: true}

const projDir = "/usr/share/proj"

// python returns a Python 3 interpreter with GDAL's bindings.
func python(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(p, "-c", "from osgeo import gdal").Run() == nil {
			return p
		}
	}
	testenv.Missing(t, "no python3 with GDAL's bindings (Debian package python3-gdal)")
	return ""
}

// convert writes the NTv2 file src as a PROJ GeoTIFF grid dst.
func convert(t *testing.T, py, src, dst, srcCRS, dstCRS string, opts ...string) {
	t.Helper()
	args := append([]string{filepath.Join("testdata", "ntv2_to_tif.py"), src, dst, "--source-crs", srcCRS, "--target-crs", dstCRS}, opts...)
	out, err := exec.Command(py, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ntv2_to_tif.py %s: %v\n%s", strings.Join(opts, " "), err, out)
	}
}

// debianGrids returns /usr/share/proj when it holds the three NTv2 files.
func debianGrids(t *testing.T) string {
	t.Helper()
	for _, p := range projData {
		if _, err := os.Stat(filepath.Join(projDir, p.gsb)); err != nil {
			testenv.Missing(t, "%s not found in %s (Debian package proj-data)", p.gsb, projDir)
		}
	}
	return projDir
}

// tifDir converts the three grids with PROJ-data's encoding into a new
// directory.
var tifOnce struct {
	sync.Mutex
	dir string
}

func projDataTifs(t *testing.T) string {
	t.Helper()
	src := debianGrids(t)
	py := python(t)
	tifOnce.Lock()
	defer tifOnce.Unlock()
	if tifOnce.dir != "" {
		return tifOnce.dir
	}
	dir, err := os.MkdirTemp("", "tifgrid")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range projData {
		convert(t, py, filepath.Join(src, p.gsb), filepath.Join(dir, p.tif), p.src, p.dst)
	}
	tifOnce.dir = dir
	return dir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if tifOnce.dir != "" {
		_ = os.RemoveAll(tifOnce.dir) // a temporary folder: nothing to report after the tests
	}
	os.Exit(code)
}

func grids(t *testing.T, dir string, register bool) *crs.Grids {
	t.Helper()
	g, err := crs.NewGrids(os.DirFS(dir), dir)
	if err != nil {
		t.Fatal(err)
	}
	if register {
		Register(g)
	}
	return g
}

func loadFile(t *testing.T, path string) *crs.GridData {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close() //nolint:errcheck // read only
	st, _ := f.Stat()
	d, err := Load(f, st.Size())
	if err != nil {
		t.Fatalf("Load %s: %v", path, err)
	}
	return d
}

// samplePoints returns points over every sub-grid: its nodes, the centres
// of its cells, its edges and corners, random points, and points just
// outside.
func samplePoints(d *crs.GridData, random int) [][2]float64 {
	var pts [][2]float64
	rng := rand.New(rand.NewSource(1))
	for _, s := range d.Subgrids {
		stepX := max(1, (s.Width-1)/40)
		stepY := max(1, (s.Height-1)/40)
		for j := 0; j < s.Height; j += stepY {
			for i := 0; i < s.Width; i += stepX {
				lon, lat := s.West+float64(i)*s.ResX, s.South+float64(j)*s.ResY
				pts = append(pts, [2]float64{lon, lat}, [2]float64{lon + s.ResX/2, lat + s.ResY/2})
			}
		}
		pts = append(pts, [2]float64{s.East, s.North}, [2]float64{s.West, s.North}, [2]float64{s.East, s.South},
			[2]float64{s.West - s.ResX/3, s.South}, [2]float64{s.East + s.ResX/3, s.North})
		for range random {
			pts = append(pts, [2]float64{s.West + rng.Float64()*(s.East-s.West), s.South + rng.Float64()*(s.North-s.South)})
		}
	}
	return pts
}

// compareShifts checks that the grid a of ga and b of gb give the same
// shifts at pts within tol arc-seconds (and fail at the same points); it
// returns the largest difference and the number of points inside.
func compareShifts(t *testing.T, ga *crs.Grids, a string, gb *crs.Grids, b string, pts [][2]float64, tol float64) (worst float64, inside int) {
	t.Helper()
	for _, p := range pts {
		l1, p1, err1 := ga.Shift(a, p[0], p[1])
		l2, p2, err2 := gb.Shift(b, p[0], p[1])
		if (err1 == nil) != (err2 == nil) {
			t.Errorf("%s/%s at (%.9f, %.9f): errors %v / %v", a, b, p[0], p[1], err1, err2)
			continue
		}
		if err1 != nil {
			continue
		}
		inside++
		d := math.Max(math.Abs(l1-l2), math.Abs(p1-p2))
		worst = math.Max(worst, d)
		if d > tol {
			t.Errorf("%s/%s at (%.9f, %.9f): shift (%.12f, %.12f)″ / (%.12f, %.12f)″: %.3g″ apart", a, b, p[0], p[1], l1, p1, l2, p2, d)
		}
	}
	return worst, inside
}

// TestShiftsMatchNTv2 compares the shifts of each PROJ-data-style .tif
// with those of the NTv2 file it was made from. Both hold the same float32
// values (the longitude offsets negated, which is exact) on the same nodes:
// the bound, 1e-9″ (30 nm), only allows for the last bits of the extents,
// which GDAL derives from the NTv2 header in degrees rather than seconds.
func TestShiftsMatchNTv2(t *testing.T) {
	src := debianGrids(t)
	dir := projDataTifs(t)
	gsb, tif := grids(t, src, false), grids(t, dir, true)
	for _, p := range projData {
		d := loadFile(t, filepath.Join(dir, p.tif))
		worst, n := compareShifts(t, gsb, p.gsb, tif, p.tif, samplePoints(d, 2000), 1e-9)
		if n < 1000 {
			t.Errorf("%s: only %d points inside the grid", p.tif, n)
		}
		t.Logf("%s (%d sub-grid(s), %d×%d): %d points, worst difference %.3g″", p.tif, len(d.Subgrids), d.Subgrids[0].Width, d.Subgrids[0].Height, n, worst)
	}
	// Without the loader the .tif is not a grid.
	if _, _, err := grids(t, dir, false).Shift(projData[0].tif, 2.35, 48.85); err == nil {
		t.Error("a .tif grid was read without its loader")
	}
}

// variants are encodings of the same grid, with the bound of the shift
// differences (arc-seconds) they allow.
var variants = []struct {
	name string
	opts []string
	tol  float64 // 0: 1e-9″; <0: uint16 quantization (half the scale)
}{
	{"projdata", nil, 0},
	{"lzw-pixel-tiled", []string{"--compress", "LZW", "--interleave", "PIXEL", "--tile", "16"}, 0},
	{"none-strips-bigendian", []string{"--compress", "NONE", "--strip-rows", "7", "--endianness", "BIG"}, 0},
	{"deflate-pred2-bigtiff", []string{"--predictor", "2", "--bigtiff", "--interleave", "PIXEL"}, 0},
	// Not predictor 3: libtiff 4.5.0 writes big-endian files with it that
	// it cannot read back (see geotiff's TestImageSamplesAgainstGDAL).
	{"lzw-pred2-bigendian-tiled", []string{"--compress", "LZW", "--predictor", "2", "--tile", "32", "--endianness", "BIG", "--bands", "2"}, 0},
	{"west-degree", []string{"--positive", "west", "--unit", "degree"}, 1e-5},
	{"uint16", []string{"--uint16", "--tile", "16"}, -1},
	{"uint16-lzw-none-pred", []string{"--uint16", "--compress", "LZW", "--predictor", "1", "--interleave", "PIXEL"}, -1},
	{"no-names-compact", []string{"--no-names", "--compact"}, 0},
	{"bottom-up", []string{"--bottom-up", "--compress", "NONE"}, 0},
}

// TestEncodings converts ntf_r93.gsb and a synthetic NTv2 file with nested
// sub-grids in every variant and compares the shifts with the NTv2 file's.
func TestEncodings(t *testing.T) {
	src := debianGrids(t)
	py := python(t)
	dir := t.TempDir()
	testenv.WriteNTv2(t, filepath.Join(dir, "nested.gsb"), binary.LittleEndian, nestedGrid)
	if err := os.Symlink(filepath.Join(src, "ntf_r93.gsb"), filepath.Join(dir, "ntf_r93.gsb")); err != nil {
		t.Fatal(err)
	}
	gsb := grids(t, dir, false)
	for _, v := range variants {
		for _, in := range []struct{ gsb, src, dst string }{{"ntf_r93.gsb", "EPSG:4275", "EPSG:4171"}, {"nested.gsb", "EPSG:4326", "EPSG:4326"}} {
			name := strings.TrimSuffix(in.gsb, ".gsb") + "-" + v.name + ".tif"
			out := t.TempDir()
			convert(t, py, filepath.Join(dir, in.gsb), filepath.Join(out, name), in.src, in.dst, v.opts...)
			d := loadFile(t, filepath.Join(out, name))
			if in.gsb == "nested.gsb" {
				checkNesting(t, name, d)
			}
			tol := v.tol
			switch {
			case tol == 0:
				tol = 1e-9
			case tol < 0:
				tol = uint16Tolerance(t, filepath.Join(out, name))
			}
			worst, n := compareShifts(t, gsb, in.gsb, grids(t, out, true), name, samplePoints(d, 300), tol)
			t.Logf("%s: %d points, worst %.3g″ (bound %.3g″)", name, n, worst, tol)
		}
	}
}

// uint16Tolerance returns half the largest scale of the offset samples of
// a uint16 grid (its quantization step), plus 1 %.
func uint16Tolerance(t *testing.T, path string) float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close() //nolint:errcheck // read only
	st, _ := f.Stat()
	imgs, err := geotiff.ReadImages(f, st.Size(), geotiff.ImageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	scale := 0.0
	for _, im := range imgs.List {
		for _, it := range im.Metadata {
			if it.Role == "scale" && it.Sample < 2 {
				v, _ := strconv.ParseFloat(it.Value, 64)
				scale = math.Max(scale, v)
			}
		}
	}
	if scale == 0 {
		t.Fatalf("%s: no scale item", path)
	}
	return scale / 2 * 1.01
}

// checkNesting checks the hierarchy of the nested grid.
func checkNesting(t *testing.T, name string, d *crs.GridData) {
	t.Helper()
	want := []int{-1, 0, 1, 0, -1}
	if len(d.Subgrids) != len(want) {
		t.Fatalf("%s: %d sub-grids, want %d", name, len(d.Subgrids), len(want))
	}
	for i, s := range d.Subgrids {
		if s.Parent != want[i] {
			t.Errorf("%s: sub-grid %d (%q) has parent %d, want %d", name, i, s.Name, s.Parent, want[i])
		}
	}
}

// nestedGrid has a parent with two children, one of which has a child, and
// a second top-level grid; the shifts are not bilinear, so that a node read
// from the wrong place shows.
var nestedGrid = []testenv.NTv2Sub{
	{Name: "PARENT", Parent: "NONE", West: 0, South: 0, East: 4, North: 4, Res: 0.25, Shift: func(lon, lat float64) (float64, float64) {
		return 1 + math.Sin(lon*2) + 0.3*lat*lat, -2 + math.Cos(lat*3) + 0.1*lon
	}},
	{Name: "CHILD1", Parent: "PARENT", West: 1, South: 1, East: 2, North: 2, Res: 0.05, Shift: func(lon, lat float64) (float64, float64) { return 10 + lon*lat, 20 - lon*lon }},
	{Name: "GRANDCH", Parent: "CHILD1", West: 1.2, South: 1.2, East: 1.4, North: 1.5, Res: 0.01, Shift: func(lon, lat float64) (float64, float64) { return -5 * lat, 3 * lon * lat }},
	{Name: "CHILD2", Parent: "PARENT", West: 2.5, South: 2.5, East: 3.5, North: 3, Res: 0.1, Shift: func(lon, lat float64) (float64, float64) { return math.Exp(lat - 3), lon }},
	{Name: "OTHER", Parent: "NONE", West: 10, South: -1, East: 12, North: 1, Res: 0.5, Shift: func(lon, lat float64) (float64, float64) { return lat * 2, lon / 3 }},
}

// points returns points of the projected CRS where the grid of p applies:
// random positions within the grid, less a margin, mapped through the CRS
// with the NTv2 grid.
func points(t *testing.T, d *crs.GridData, tr crs.Transformer, n int) [][2]float64 {
	t.Helper()
	inv := tr.(interface {
		FromWGS84(lon, lat float64) (x, y float64, err error)
	})
	s := d.Subgrids[0]
	rng := rand.New(rand.NewSource(2))
	var out [][2]float64
	for len(out) < n {
		mx, my := (s.East-s.West)*0.1, (s.North-s.South)*0.1
		lon := s.West + mx + rng.Float64()*(s.East-s.West-2*mx)
		lat := s.South + my + rng.Float64()*(s.North-s.South-2*my)
		x, y, err := inv.FromWGS84(lon, lat)
		if err != nil {
			t.Fatalf("EPSG:%d FromWGS84(%v, %v): %v", tr.EPSG(), lon, lat, err)
		}
		out = append(out, [2]float64{x, y})
	}
	return out
}

func haversine(lon1, lat1, lon2, lat2 float64) float64 {
	const r = 6371008.8
	const deg = math.Pi / 180
	p1, p2 := lat1*deg, lat2*deg
	dp, dl := p2-p1, (lon2-lon1)*deg
	a := math.Sin(dp/2)*math.Sin(dp/2) + math.Cos(p1)*math.Cos(p2)*math.Sin(dl/2)*math.Sin(dl/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(a)))
}

// TestForEPSGWith checks that a directory of PROJ-data's .tif grids gives
// the WGS 84 coordinates of the NTv2 directory (within 1 mm, both ways),
// and that without the loader the grid is not used (the datum shift then
// falls back to a Helmert transformation, metres away).
func TestForEPSGWith(t *testing.T) {
	src := debianGrids(t)
	dir := projDataTifs(t)
	gsb, tif, none := grids(t, src, false), grids(t, dir, true), grids(t, dir, false)
	for _, p := range projData {
		for _, code := range p.codes {
			testForEPSGWith(t, code, p.tif, loadFile(t, filepath.Join(dir, p.tif)), gsb, tif, none)
		}
	}
}

func testForEPSGWith(t *testing.T, code int, tifName string, d *crs.GridData, gsb, tif, none *crs.Grids) {
	t.Helper()
	type inverse interface {
		FromWGS84(lon, lat float64) (x, y float64, err error)
	}
	tg, err := crs.ForEPSGWith(code, gsb)
	if err != nil {
		t.Fatal(err)
	}
	tt, err := crs.ForEPSGWith(code, tif)
	if err != nil {
		t.Fatal(err)
	}
	tn, err := crs.ForEPSGWith(code, none)
	if err != nil {
		t.Fatal(err)
	}
	worst, worstInv, helmert := 0.0, 0.0, 0.0
	for _, xy := range points(t, d, tg, 300) {
		l1, p1, err1 := tg.ToWGS84(xy[0], xy[1])
		l2, p2, err2 := tt.ToWGS84(xy[0], xy[1])
		if err1 != nil || err2 != nil {
			t.Fatalf("EPSG:%d ToWGS84(%v): %v / %v", code, xy, err1, err2)
		}
		dist := haversine(l1, p1, l2, p2)
		worst = math.Max(worst, dist)
		if dist > 1e-3 {
			t.Errorf("EPSG:%d (%.3f, %.3f): .gsb (%.10f, %.10f), .tif (%.10f, %.10f): %.2g m", code, xy[0], xy[1], l1, p1, l2, p2, dist)
		}
		x1, y1, err1 := tg.(inverse).FromWGS84(l1, p1)
		x2, y2, err2 := tt.(inverse).FromWGS84(l1, p1)
		if err1 != nil || err2 != nil {
			t.Fatalf("EPSG:%d FromWGS84: %v / %v", code, err1, err2)
		}
		worstInv = math.Max(worstInv, math.Hypot(x1-x2, y1-y2))
		if l3, p3, err := tn.ToWGS84(xy[0], xy[1]); err == nil {
			helmert = math.Max(helmert, haversine(l1, p1, l3, p3))
		}
	}
	if worstInv > 1e-3 {
		t.Errorf("EPSG:%d: FromWGS84 differs by up to %.2g (CRS units)", code, worstInv)
	}
	switch {
	case gridUnused[code] && helmert != 0:
		t.Errorf("EPSG:%d: without the loader the results differ by up to %.3g m: the grid is used", code, helmert)
	case !gridUnused[code] && helmert < 0.1:
		t.Errorf("EPSG:%d: without the loader the results are within %.3g m of the grid's: the grid makes no difference", code, helmert)
	}
	t.Logf("EPSG:%d with %s: worst %.2g m (inverse %.2g); without the loader up to %.2f m away", code, tifName, worst, worstInv, helmert)
}

// TestGDALOracle compares ToWGS84 over a directory of .tif grids only
// with gdaltransform given the same directory as PROJ_DATA (with proj.db):
// PROJ 9.1.1 reads the .tif grids itself.
func TestGDALOracle(t *testing.T) {
	bin, err := exec.LookPath("gdaltransform")
	if err != nil {
		testenv.Missing(t, "gdaltransform not found (Debian package gdal-bin)")
	}
	if _, err := os.Stat(filepath.Join(projDir, "proj.db")); err != nil {
		testenv.Missing(t, "PROJ's proj.db not found in %s (Debian package proj-data)", projDir)
	}
	tifs := projDataTifs(t)
	data := t.TempDir()
	if err := os.Symlink(filepath.Join(projDir, "proj.db"), filepath.Join(data, "proj.db")); err != nil {
		t.Fatal(err)
	}
	for _, p := range projData {
		if err := os.Symlink(filepath.Join(tifs, p.tif), filepath.Join(data, p.tif)); err != nil {
			t.Fatal(err)
		}
	}
	g := grids(t, data, true)
	env := append(os.Environ(), "PROJ_NETWORK=OFF", "PROJ_DATA="+data, "PROJ_LIB="+data, "XDG_DATA_HOME="+data, "HOME="+data)
	for _, p := range projData {
		for _, code := range p.codes {
			gdalOracle(t, bin, env, code, p.tif, loadFile(t, filepath.Join(data, p.tif)), g)
		}
	}
}

func gdalOracle(t *testing.T, bin string, env []string, code int, tifName string, d *crs.GridData, g *crs.Grids) {
	t.Helper()
	tr, err := crs.ForEPSGWith(code, g)
	if err != nil {
		t.Fatal(err)
	}
	pts := points(t, d, tr, 100)
	var in bytes.Buffer
	for _, xy := range pts {
		fmt.Fprintf(&in, "%.10f %.10f\n", xy[0], xy[1])
	}
	cmd := exec.Command(bin, "-s_srs", "EPSG:"+strconv.Itoa(code), "-t_srs", "EPSG:4326", "-output_xy")
	cmd.Env, cmd.Stdin = env, &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("gdaltransform: %v: %s", err, stderr.String())
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	worst, n := 0.0, 0
	for i := 0; sc.Scan() && i < len(pts); i++ {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			t.Fatalf("gdaltransform output %q", sc.Text())
		}
		glon, err1 := strconv.ParseFloat(f[0], 64)
		glat, err2 := strconv.ParseFloat(f[1], 64)
		if err := errors.Join(err1, err2); err != nil {
			t.Fatalf("gdaltransform output %q: %v", sc.Text(), err)
		}
		lon, lat, err := tr.ToWGS84(pts[i][0], pts[i][1])
		if err != nil {
			t.Fatal(err)
		}
		dist := haversine(lon, lat, glon, glat)
		worst = math.Max(worst, dist)
		n++
		if dist > 1e-3 {
			t.Errorf("EPSG:%d (%.3f, %.3f): ours (%.10f, %.10f), GDAL (%.10f, %.10f): %.2g m", code, pts[i][0], pts[i][1], lon, lat, glon, glat, dist)
		}
	}
	if n != len(pts) {
		t.Errorf("EPSG:%d: gdaltransform returned %d points of %d", code, n, len(pts))
	}
	t.Logf("EPSG:%d with %s: %d points, worst %.2g m from GDAL", code, tifName, n, worst)
}

// makeTif writes a GeoTIFF from a description (testdata/make_tif.py).
func makeTif(t *testing.T, py, path string, ifds []map[string]any) {
	t.Helper()
	spec, err := json.Marshal(ifds)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(py, filepath.Join("testdata", "make_tif.py"), path, string(spec)).CombinedOutput(); err != nil {
		t.Fatalf("make_tif.py: %v\n%s", err, out)
	}
}

// ifd describes a 3×2 Float32 grid with nodes from (10.25, 49.75) every
// 0.5°, latitude offsets 1…6 and longitude offsets 10…15 (rows north to
// south).
func ifd(edit func(m map[string]any, lat, lon map[string]any)) map[string]any {
	lat := map[string]any{"values": []float64{1, 2, 3, 4, 5, 6}, "desc": "latitude_offset", "unit": "arc-second"}
	lon := map[string]any{"values": []float64{10, 11, 12, 13, 14, 15}, "desc": "longitude_offset", "unit": "arc-second",
		"md": map[string]string{"positive_value": "east"}}
	m := map[string]any{"w": 3, "h": 2, "gt": []float64{10, 0.5, 0, 50, 0, -0.5}, "md": map[string]string{"TYPE": "HORIZONTAL_OFFSET"}}
	if edit != nil {
		edit(m, lat, lon)
	}
	if m["bands"] == nil {
		m["bands"] = []map[string]any{lat, lon}
	}
	return m
}

// TestLoadCases checks Load on small files: sample selection, sign, units,
// scale and offset with nodata, georeferencing, skipped IFDs, nesting, and
// the errors PROJ raises.
func TestLoadCases(t *testing.T) {
	py := python(t)
	dir := t.TempDir()
	basic := []float32{13, 4, 14, 5, 15, 6, 10, 1, 11, 2, 12, 3}
	scaledShifts := func(f func(lon, lat float32) (float32, float32)) []float32 {
		out := make([]float32, len(basic))
		for i := 0; i < len(basic); i += 2 {
			out[i], out[i+1] = f(basic[i], basic[i+1])
		}
		return out
	}
	cases := []struct {
		name   string
		ifds   []map[string]any
		shifts []float32 // of the first sub-grid
		check  func(*crs.GridData) string
		err    string
	}{
		{name: "basic", ifds: []map[string]any{ifd(nil)}, shifts: basic, check: func(d *crs.GridData) string {
			s := d.Subgrids[0]
			if s.West != 10.25 || s.North != 49.75 || s.East != 11.25 || s.South != 49.25 || s.ResX != 0.5 || s.ResY != 0.5 || s.Width != 3 || s.Height != 2 || s.Parent != -1 {
				return fmt.Sprintf("sub-grid %+v", s)
			}
			return ""
		}},
		{name: "no descriptions", ifds: []map[string]any{ifd(func(m, lat, lon map[string]any) {
			delete(lat, "desc")
			delete(lon, "desc")
			delete(lat, "unit")
			delete(lon, "unit")
		})}, shifts: basic},
		{name: "swapped samples, pixel is area", ifds: []map[string]any{ifd(func(m, lat, lon map[string]any) {
			m["bands"] = []map[string]any{lon, lat}
			m["point"] = false
			m["gt"] = []float64{10.25, 0.5, 0, 49.75, 0, -0.5} // PixelIsArea: nodes half a pixel in
		})}, shifts: basic, check: func(d *crs.GridData) string {
			if s := d.Subgrids[0]; s.West != 10.5 || s.North != 49.5 {
				return fmt.Sprintf("PixelIsArea nodes from (%v, %v), want (10.5, 49.5)", s.West, s.North)
			}
			return ""
		}},
		{name: "positive west", ifds: []map[string]any{ifd(func(m, lat, lon map[string]any) {
			lon["md"] = map[string]string{"positive_value": "west"}
		})}, shifts: scaledShifts(func(lon, lat float32) (float32, float32) { return -lon, lat })},
		{name: "degrees", ifds: []map[string]any{ifd(func(m, lat, lon map[string]any) {
			lat["unit"], lon["unit"] = "degree", "degree"
		})}, shifts: scaledShifts(func(lon, lat float32) (float32, float32) { return lon * 3600, lat * 3600 })},
		{name: "radians", ifds: []map[string]any{ifd(func(m, lat, lon map[string]any) {
			lat["unit"], lon["unit"] = "radian", "radian"
		})}, shifts: scaledShifts(func(lon, lat float32) (float32, float32) {
			return float32(float64(lon) * 180 * 3600 / math.Pi), float32(float64(lat) * 180 * 3600 / math.Pi)
		})},
		{name: "uint16 scaled, nodata", ifds: []map[string]any{ifd(func(m, lat, lon map[string]any) {
			m["type"], m["nodata"] = "UInt16", 7
			lat["values"] = []float64{1, 2, 3, 7, 5, 6}
			lat["scale"], lat["offset"] = 0.5, -1
			lon["scale"], lon["offset"] = 2, 0.25
		})}, shifts: []float32{13*2 + 0.25, 7, 14*2 + 0.25, 5*0.5 - 1, 15*2 + 0.25, 6*0.5 - 1, 10*2 + 0.25, 1*0.5 - 1, 11*2 + 0.25, 2*0.5 - 1, 12*2 + 0.25, 3*0.5 - 1}},
		{name: "later IFDs that are not grids", ifds: []map[string]any{ifd(nil),
			ifd(func(m, lat, lon map[string]any) { m["bands"] = []map[string]any{lat} }),
			ifd(func(m, lat, lon map[string]any) { lat["desc"], lon["desc"] = "foo", "bar" }),
		}, shifts: basic, check: func(d *crs.GridData) string {
			if len(d.Subgrids) != 1 {
				return fmt.Sprintf("%d sub-grids, want 1", len(d.Subgrids))
			}
			return ""
		}},
		{name: "nesting", ifds: []map[string]any{
			ifd(func(m, lat, lon map[string]any) {
				m["w"], m["h"], m["gt"] = 10, 10, []float64{0, 1, 0, 10, 0, -1}
				m["md"] = map[string]string{"grid_name": "A"}
				lat["values"], lon["values"] = make([]float64, 100), make([]float64, 100)
			}),
			ifd(func(m, lat, lon map[string]any) {
				m["w"], m["h"], m["gt"] = 4, 4, []float64{2, 0.5, 0, 8, 0, -0.5}
				m["md"] = map[string]string{"grid_name": "B", "parent_grid_name": "A"}
				lat["values"], lon["values"] = make([]float64, 16), make([]float64, 16)
			}),
			ifd(func(m, lat, lon map[string]any) { // unknown parent: by extent, into B
				m["w"], m["h"], m["gt"] = 2, 2, []float64{2.5, 0.25, 0, 7.5, 0, -0.25}
				m["md"] = map[string]string{"parent_grid_name": "Z"}
				lat["values"], lon["values"] = make([]float64, 4), make([]float64, 4)
			}),
			ifd(func(m, lat, lon map[string]any) { // named, without parent: top level
				m["w"], m["h"], m["gt"] = 2, 2, []float64{5, 1, 0, 5, 0, -1}
				m["md"] = map[string]string{"grid_name": "C"}
				lat["values"], lon["values"] = make([]float64, 4), make([]float64, 4)
			}),
			ifd(func(m, lat, lon map[string]any) { // neither: by extent, into A
				m["w"], m["h"], m["gt"] = 2, 2, []float64{7, 1, 0, 3, 0, -1}
				m["md"] = map[string]string{}
				lat["values"], lon["values"] = make([]float64, 4), make([]float64, 4)
			}),
		}, check: func(d *crs.GridData) string {
			var got []int
			for _, s := range d.Subgrids {
				got = append(got, s.Parent)
			}
			if fmt.Sprint(got) != "[-1 0 1 -1 0]" {
				return fmt.Sprintf("parents %v, want [-1 0 1 -1 0]", got)
			}
			return ""
		}},
		{name: "one sample", ifds: []map[string]any{ifd(func(m, lat, lon map[string]any) { m["bands"] = []map[string]any{lat} })}, err: "at least 2 samples"},
		{name: "other descriptions", ifds: []map[string]any{ifd(func(m, lat, lon map[string]any) { lat["desc"], lon["desc"] = "foo", "bar" })}, err: "none as latitude_offset"},
		{name: "latitude only", ifds: []map[string]any{ifd(func(m, lat, lon map[string]any) { lon["desc"] = "bar" })}, err: "must both be present"},
		{name: "positive north", ifds: []map[string]any{ifd(func(m, lat, lon map[string]any) {
			lon["md"] = map[string]string{"positive_value": "north"}
		})}, err: `unsupported positive_value "north"`},
		{name: "mixed units", ifds: []map[string]any{ifd(func(m, lat, lon map[string]any) { lat["unit"] = "degree" })}, err: "different units"},
		{name: "metres", ifds: []map[string]any{ifd(func(m, lat, lon map[string]any) { lat["unit"], lon["unit"] = "metre", "metre" })}, err: `unsupported unit "metre"`},
		{name: "projected", ifds: []map[string]any{ifd(func(m, lat, lon map[string]any) { m["srs"] = "EPSG:3857" })}, err: "not referenced in a geographic CRS"},
	}
	for i, c := range cases {
		path := filepath.Join(dir, fmt.Sprintf("case%d.tif", i))
		makeTif(t, py, path, c.ifds)
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := f.Stat()
		d, err := Load(f, st.Size())
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want %q", c.name, err, c.err)
			}
			_ = f.Close() // read only
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			_ = f.Close() // read only
			continue
		}
		if c.shifts != nil && fmt.Sprint(d.Subgrids[0].Shifts) != fmt.Sprint(c.shifts) {
			t.Errorf("%s: shifts %v, want %v", c.name, d.Subgrids[0].Shifts, c.shifts)
		}
		if c.check != nil {
			if msg := c.check(d); msg != "" {
				t.Errorf("%s: %s", c.name, msg)
			}
		}
		if _, err := Loader(8)(f, st.Size()); err == nil || !strings.Contains(err.Error(), "exceed the limit") {
			t.Errorf("%s: Loader(8): %v, want the limit error", c.name, err)
		}
		_ = f.Close() // read only
	}
	if _, err := Load(strings.NewReader("not a TIFF file"), 15); err == nil {
		t.Error("Load read a text file")
	}
	Register(nil) // no panic
}
