package catalog

import (
	"context"
	"encoding/xml"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gitlab.com/eocat/eocat/internal/config"
	"gitlab.com/eocat/eocat/internal/crs"
	"gitlab.com/eocat/eocat/internal/testenv"
)

// TestGCPFootprintsMatchGDALWarp checks the footprint of rasters georeferenced
// only by ground control points against GDAL's: for each raster, gdalwarp -of
// VRT -t_srs EPSG:4326 (GDAL's GCP polynomial of the order it picks for the
// GCP count, then GDALSuggestedWarpOutput2 over the edges) gives an extent and
// an output pixel size, and every side of the item's bbox must lie within one
// such pixel of that extent. The rasters are Sentinel-1-like GRD swaths made
// with GDAL at test time (a rotated, mirrored, slightly curved grid of 21 × 10
// GCPs in EPSG:4326, the same in UTM 31N, and 5 GCPs: order 1) and the GCP
// samples of ../shared/geotiff-samples. The GDAL tools are required under
// CI=true.
func TestGCPFootprintsMatchGDALWarp(t *testing.T) {
	translate := gcpGDALTool(t, "gdal_translate")
	warp := gcpGDALTool(t, "gdalwarp")
	samples := testenv.SharedDir(t, "geotiff-samples")

	dir := t.TempDir() // the collection's source: one folder per item
	scratch := t.TempDir()
	blank := filepath.Join(scratch, "blank.vrt")
	if err := os.WriteFile(blank, []byte(fmt.Sprintf(
		`<VRTDataset rasterXSize="%d" rasterYSize="%d"><VRTRasterBand dataType="UInt16" band="1"/></VRTDataset>`,
		s1Width, s1Height)), 0o644); err != nil {
		t.Fatal(err)
	}
	makeGCPRaster := func(id, srs string, gcps [][4]float64) {
		t.Helper()
		out := filepath.Join(dir, id, "img.tif")
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			t.Fatal(err)
		}
		args := []string{"-q", "-of", "GTiff", "-co", "COMPRESS=DEFLATE", "-co", "TILED=YES", "-a_srs", srs}
		for _, g := range gcps {
			args = append(args, "-gcp", gcpNum(g[0]), gcpNum(g[1]), gcpNum(g[2]), gcpNum(g[3]))
		}
		gcpRunGDAL(t, translate, append(args, blank, out)...)
	}

	type raster struct {
		id   string
		gcps int
	}
	var rasters []raster
	geo := s1GCPs(21, 10, func(east, north float64) (float64, float64) {
		lat := s1CentreLat + north/kmPerDegree
		return s1CentreLon + east/(kmPerDegree*math.Cos(lat*math.Pi/180)), lat
	})
	makeGCPRaster("s1grd_4326", "EPSG:4326", geo)
	rasters = append(rasters, raster{"s1grd_4326", len(geo)})
	utm := s1GCPs(21, 10, func(east, north float64) (float64, float64) {
		return s1CentreE + 1000*east, s1CentreN + 1000*north
	})
	makeGCPRaster("s1grd_32631", "EPSG:32631", utm)
	rasters = append(rasters, raster{"s1grd_32631", len(utm)})
	var five [][4]float64 // of the 21 × 10: the four corners and one near the centre
	for _, k := range []int{0, 20, 4*21 + 10, 9 * 21, 9*21 + 20} {
		five = append(five, geo[k])
	}
	makeGCPRaster("s1grd_5gcps", "EPSG:4326", five)
	rasters = append(rasters, raster{"s1grd_5gcps", len(five)})
	for _, s := range []struct {
		id, file string
		gcps     int
	}{
		{"cog_gcps_ovr", "rio-tiler__cog_gcps_ovr.tif", 210},
		{"cint16", "rioxarray__cint16.tif", 210},
		{"austrian_capitals", "georust-geotiff__austrian_capitals_model_tie_points_pixel_is_area.tif", 4},
	} {
		copyFile(t, filepath.Join(samples, s.file), filepath.Join(dir, s.id, "img.tif"))
		rasters = append(rasters, raster{s.id, s.gcps})
	}

	cfg, err := config.Parse([]byte(`
catalog: {id: t, description: t}
collections:
  - {id: c, description: c, license: other, source: `+dir+`, datetime: "2024-01-01T00:00:00Z"}
`), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sink := newMemSink()
	res, err := Build(context.Background(), cfg, localSources(t, cfg), sink, Options{})
	if err != nil || res.Stats.Items != len(rasters) {
		t.Fatalf("build: %v, %+v", err, res)
	}
	if len(res.Warnings) > 0 {
		t.Errorf("warnings:\n%s", strings.Join(res.Warnings, "\n"))
	}

	for _, r := range rasters {
		t.Run(r.id, func(t *testing.T) {
			in := filepath.Join(dir, r.id, "img.tif")
			vrt := filepath.Join(scratch, r.id+".vrt")
			gcpRunGDAL(t, warp, "-q", "-overwrite", "-of", "VRT", "-t_srs", "EPSG:4326", in, vrt)
			want, px, py, size := gcpWarpExtent(t, vrt)
			tol := math.Max(math.Abs(px), math.Abs(py))

			item := sink.json(t, "c/"+r.id+"/"+r.id+".json")
			var bb [4]float64
			raw, _ := item["bbox"].([]any)
			if len(raw) != 4 {
				t.Fatalf("bbox %v", item["bbox"])
			}
			for i := range bb {
				bb[i] = raw[i].(float64)
			}
			d := [4]float64{(bb[0] - want[0]) / px, (bb[1] - want[1]) / py, (bb[2] - want[2]) / px, (bb[3] - want[3]) / py}
			t.Logf("%d GCPs (order %d): gdalwarp %dx%d px of %.3g° × %.3g°, extent %.6f %.6f %.6f %.6f; bbox − extent in pixels: west %+.4f south %+.4f east %+.4f north %+.4f",
				r.gcps, crs.AutoGCPOrder(r.gcps), size[0], size[1], px, py, want[0], want[1], want[2], want[3], d[0], d[1], d[2], d[3])
			for i, side := range []string{"west", "south", "east", "north"} {
				if diff := math.Abs(bb[i] - want[i]); !(diff <= tol) {
					t.Errorf("%s: bbox %.9f, gdalwarp %.9f: %.3g° apart, more than one output pixel (%.3g°)", side, bb[i], want[i], diff, tol)
				}
			}
			// GDAL keeps the west and north sides of the edges it samples
			// and moves the east and south ones to a whole number of
			// output pixels (up to half a pixel): on the former the two
			// outlines must agree closely, which a half-pixel shift of
			// the GCPs or another polynomial would break.
			for _, i := range []int{0, 3} {
				if math.Abs(d[i]) > 0.05 {
					t.Errorf("%s side %.3f output pixels from gdalwarp's (unsnapped: at most 0.05)", map[int]string{0: "west", 3: "north"}[i], d[i])
				}
			}

			geom, _ := item["geometry"].(map[string]any)
			if geom == nil || geom["type"] != "Polygon" {
				t.Fatalf("geometry %v, want a Polygon", item["geometry"])
			}
			rings, _ := geom["coordinates"].([]any)
			if len(rings) != 1 {
				t.Fatalf("%d rings", len(rings))
			}
			ring, _ := rings[0].([]any)
			if len(ring) < 4 {
				t.Fatalf("ring of %d positions", len(ring))
			}
			env := [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
			for _, v := range ring {
				p, _ := v.([]any)
				if len(p) != 2 {
					t.Fatalf("position %v", v)
				}
				lon, lat := p[0].(float64), p[1].(float64)
				if lon < bb[0]-1e-9 || lon > bb[2]+1e-9 || lat < bb[1]-1e-9 || lat > bb[3]+1e-9 {
					t.Errorf("vertex (%.9f, %.9f) outside the bbox %v", lon, lat, bb)
				}
				env = [4]float64{math.Min(env[0], lon), math.Min(env[1], lat), math.Max(env[2], lon), math.Max(env[3], lat)}
			}
			if first, last := ring[0].([]any), ring[len(ring)-1].([]any); first[0] != last[0] || first[1] != last[1] {
				t.Errorf("ring not closed: %v … %v", first, last)
			}
			for i := range env {
				if math.Abs(env[i]-bb[i]) > 1e-9 {
					t.Errorf("the vertices' envelope %v is not the bbox %v", env, bb)
					break
				}
			}
		})
	}
}

// The Sentinel-1-like GRD raster: 2000 pixels across track (range) by 1600
// lines along track, 125 m apart, so about 250 km × 200 km centred on
// 45° N 5° E (in UTM 31N: the same ground offsets from E, N).
const (
	s1Width, s1Height        = 2000, 1600
	s1CentreLat, s1CentreLon = 45.0, 5.0
	s1CentreE, s1CentreN     = 657600.0, 4984900.0
	kmPerDegree              = 111.2
)

// s1GCPs is a Sentinel-1-like grid of cols × rows GCPs (pixel, line, X, Y):
// pixels i·(width−1)/(cols−1), lines j·(height−1)/(rows−1), as in a GRD
// product's annotation. The swath is that of a descending pass (heading
// −168°) of a right-looking radar: lines run south-south-west, pixels run
// west-north-west (an image mirrored and rotated against north up). The
// ground spacing of pixels varies across the swath and the ground track
// bends, so that X, Y are not affine in pixel/line; toXY maps km east and
// north of the scene centre to the GCPs' CRS.
func s1GCPs(cols, rows int, toXY func(east, north float64) (x, y float64)) [][4]float64 {
	const heading = -168 * math.Pi / 180
	ae, an := math.Sin(heading), math.Cos(heading)                     // along track
	xe, xn := math.Sin(heading+math.Pi/2), math.Cos(heading+math.Pi/2) // across track, right of the flight
	var out [][4]float64
	for j := 0; j < rows; j++ {
		for i := 0; i < cols; i++ {
			p := float64(i) * (s1Width - 1) / float64(cols-1)
			l := float64(j) * (s1Height - 1) / float64(rows-1)
			u, v := p/s1Width, l/s1Height
			across := (u-0.5)*250 + 4*u*(u-1) + 0.6*u*u*u // km: not uniform across the swath
			along := (v - 0.5) * 200                      // km
			across += 3 * (along / 100) * (along / 100)   // the ground track bends
			x, y := toXY(along*ae+across*xe, along*an+across*xn)
			out = append(out, [4]float64{p, l, x, y})
		}
	}
	return out
}

func gcpNum(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// gcpGDALTool finds a GDAL program: beside $EOCAT_GDALINFO (exported by
// `.ci/tools.sh gdal`), else on PATH. Without it the test is skipped, or
// fails under CI=true.
func gcpGDALTool(t *testing.T, name string) string {
	t.Helper()
	if p := os.Getenv("EOCAT_GDALINFO"); p != "" {
		if q := filepath.Join(filepath.Dir(p), name); gcpIsFile(q) {
			return q
		}
	}
	p, err := exec.LookPath(name)
	if err != nil {
		testenv.Missing(t, "%s (GDAL's gdal-bin; install it with .ci/tools.sh gdal): %v", name, err)
	}
	return p
}

func gcpIsFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// gcpRunGDAL runs a GDAL program without the developer's GDAL/CPL settings
// and without .aux.xml side files (which would become assets).
func gcpRunGDAL(t *testing.T, bin string, args ...string) {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); !strings.HasPrefix(name, "GDAL_") && !strings.HasPrefix(name, "CPL_") {
			env = append(env, kv)
		}
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(env, "GDAL_PAM_ENABLED=NO")
	if out, err := cmd.CombinedOutput(); err != nil {
		shown := args
		if len(shown) > 12 {
			shown = append(shown[:12:12], "…", args[len(args)-2], args[len(args)-1])
		}
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(shown, " "), err, out)
	}
}

// gcpWarpExtent reads a VRT written by gdalwarp: its extent [west, south,
// east, north], pixel sizes (x, y: both positive for a north-up grid) and
// size in pixels.
func gcpWarpExtent(t *testing.T, path string) (ext [4]float64, px, py float64, size [2]int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		XSize        int    `xml:"rasterXSize,attr"`
		YSize        int    `xml:"rasterYSize,attr"`
		GeoTransform string `xml:"GeoTransform"`
	}
	if err := xml.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	fields := strings.Split(v.GeoTransform, ",")
	if len(fields) != 6 || v.XSize <= 0 || v.YSize <= 0 {
		t.Fatalf("%s: size %d×%d, GeoTransform %q", path, v.XSize, v.YSize, v.GeoTransform)
	}
	var gt [6]float64
	for i, f := range fields {
		if gt[i], err = strconv.ParseFloat(strings.TrimSpace(f), 64); err != nil {
			t.Fatalf("%s: GeoTransform %q: %v", path, v.GeoTransform, err)
		}
	}
	if gt[2] != 0 || gt[4] != 0 || gt[1] <= 0 || gt[5] >= 0 {
		t.Fatalf("%s: GeoTransform %v is not north up", path, gt)
	}
	w, h := float64(v.XSize), float64(v.YSize)
	return [4]float64{gt[0], gt[3] + h*gt[5], gt[0] + w*gt[1], gt[3]}, gt[1], -gt[5], [2]int{v.XSize, v.YSize}
}
