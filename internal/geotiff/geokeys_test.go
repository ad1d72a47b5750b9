package geotiff

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// geoKeyIDs names the GeoKeys as listgeo prints them (GeoTIFF 1.0 and 1.1
// names).
var geoKeyIDs = map[string]int{
	"GTModelTypeGeoKey": 1024, "GTRasterTypeGeoKey": 1025, "GTCitationGeoKey": 1026,
	"GeographicTypeGeoKey": 2048, "GeodeticCRSGeoKey": 2048,
	"GeogCitationGeoKey": 2049, "GeodeticCitationGeoKey": 2049,
	"GeogGeodeticDatumGeoKey": 2050, "GeodeticDatumGeoKey": 2050,
	"GeogPrimeMeridianGeoKey": 2051, "PrimeMeridianGeoKey": 2051,
	"GeogLinearUnitsGeoKey": 2052, "GeogLinearUnitSizeGeoKey": 2053,
	"GeogAngularUnitsGeoKey": 2054, "GeogAngularUnitSizeGeoKey": 2055,
	"GeogEllipsoidGeoKey": 2056, "EllipsoidGeoKey": 2056,
	"GeogSemiMajorAxisGeoKey": 2057, "EllipsoidSemiMajorAxisGeoKey": 2057,
	"GeogSemiMinorAxisGeoKey": 2058, "EllipsoidSemiMinorAxisGeoKey": 2058,
	"GeogInvFlatteningGeoKey": 2059, "EllipsoidInvFlatteningGeoKey": 2059,
	"GeogAzimuthUnitsGeoKey": 2060, "GeogPrimeMeridianLongGeoKey": 2061, "PrimeMeridianLongitudeGeoKey": 2061,
	"GeogTOWGS84GeoKey":     2062,
	"ProjectedCSTypeGeoKey": 3072, "ProjectedCRSGeoKey": 3072,
	"PCSCitationGeoKey": 3073, "ProjectedCitationGeoKey": 3073,
	"ProjectionGeoKey": 3074, "ProjCoordTransGeoKey": 3075, "ProjMethodGeoKey": 3075,
	"ProjLinearUnitsGeoKey": 3076, "ProjLinearUnitSizeGeoKey": 3077,
	"ProjStdParallel1GeoKey": 3078, "ProjStdParallel2GeoKey": 3079,
	"ProjNatOriginLongGeoKey": 3080, "ProjNatOriginLatGeoKey": 3081,
	"ProjFalseEastingGeoKey": 3082, "ProjFalseNorthingGeoKey": 3083,
	"ProjFalseOriginLongGeoKey": 3084, "ProjFalseOriginLatGeoKey": 3085,
	"ProjFalseOriginEastingGeoKey": 3086, "ProjFalseOriginNorthingGeoKey": 3087,
	"ProjCenterLongGeoKey": 3088, "ProjCenterLatGeoKey": 3089,
	"ProjCenterEastingGeoKey": 3090, "ProjCenterNorthingGeoKey": 3091,
	"ProjScaleAtNatOriginGeoKey": 3092, "ProjScaleAtCenterGeoKey": 3093,
	"ProjAzimuthAngleGeoKey": 3094, "ProjStraightVertPoleLongGeoKey": 3095,
	"ProjRectifiedGridAngleGeoKey": 3096,
	"VerticalCSTypeGeoKey":         4096, "VerticalGeoKey": 4096, "VerticalCitationGeoKey": 4097,
	"VerticalDatumGeoKey": 4098, "VerticalUnitsGeoKey": 4099,
}

// listgeoKey is one line of listgeo's Keyed_Information.
type listgeoKey struct {
	name, typ string
	count     int
	value     string
}

var listgeoLine = regexp.MustCompile(`^\s+(\w+) \((Short|Double|Ascii),(\d+)\): (.*)$`)

func readListgeo(t *testing.T, path string) []listgeoKey {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close() //nolint:errcheck // read only
	var out []listgeoKey
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	in := false
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.Contains(line, "Keyed_Information:"):
			in = true
		case strings.Contains(line, "End_Of_Keys."):
			in = false
		case in:
			m := listgeoLine.FindStringSubmatch(line)
			if m == nil && len(out) > 0 && out[len(out)-1].typ == "Double" {
				// listgeo wraps long DOUBLE arrays (TOWGS84) over lines.
				out[len(out)-1].value += " " + strings.TrimSpace(line)
				continue
			}
			if m == nil {
				t.Fatalf("%s: unexpected key line %q", path, line)
			}
			n, _ := strconv.Atoi(m[3])
			out = append(out, listgeoKey{name: m[1], typ: m[2], count: n, value: strings.TrimSpace(m[4])})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

var codeValue = regexp.MustCompile(`^Code-(\d+)\b`)

// TestGeoKeysAgainstListgeo checks the whole GeoKey directory of every sample
// against libgeotiff's listgeo: the same keys, the same DOUBLE values (as
// listgeo prints them, 15 significant digits), the same ASCII text, and the
// same SHORT values where listgeo prints a number.
func TestGeoKeysAgainstListgeo(t *testing.T) {
	dir := samplesDir(t)
	files := sampleFiles(t, dir)
	compared := 0
	for _, path := range files {
		name := filepath.Base(path)
		lg := path + ".listgeo.txt"
		if _, err := os.Stat(lg); err != nil {
			continue
		}
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			info, err := readBytes(data)
			if err != nil {
				t.Fatal(err)
			}
			want := readListgeo(t, lg)
			gk := info.GeoKeys
			if got := len(gk.Short) + len(gk.Double) + len(gk.ASCII); got != len(want) {
				t.Errorf("%d keys, listgeo %d", got, len(want))
			}
			for _, k := range want {
				id, ok := geoKeyIDs[k.name]
				if !ok {
					t.Errorf("test table lacks %s", k.name)
					continue
				}
				switch k.typ {
				case "Short":
					v, ok := gk.Short[id]
					if !ok {
						t.Errorf("%s (%d): missing SHORT key", k.name, id)
						continue
					}
					exp := -1
					if m := codeValue.FindStringSubmatch(k.value); m != nil {
						exp, _ = strconv.Atoi(m[1])
					} else if k.value == "User-Defined" {
						exp = 32767
					} else if n, err := strconv.Atoi(k.value); err == nil {
						exp = n
					}
					if exp >= 0 && v != exp {
						t.Errorf("%s: %d, listgeo %q", k.name, v, k.value)
					}
				case "Double":
					v, ok := gk.Double[id]
					if !ok {
						t.Errorf("%s (%d): missing DOUBLE key", k.name, id)
						continue
					}
					fs := strings.Fields(k.value)
					if len(v) != k.count || len(fs) != k.count {
						t.Errorf("%s: %v, listgeo %d values %q", k.name, v, k.count, k.value)
						continue
					}
					for i, f := range fs {
						if got := strconv.FormatFloat(v[i], 'g', 15, 64); got != f {
							t.Errorf("%s[%d]: %s, listgeo %s", k.name, i, got, f)
						}
					}
				case "Ascii":
					v, ok := gk.ASCII[id]
					if !ok {
						t.Errorf("%s (%d): missing ASCII key", k.name, id)
						continue
					}
					if exp := strings.TrimSuffix(strings.TrimPrefix(k.value, `"`), `"`); v != exp {
						t.Errorf("%s: %q, listgeo %q", k.name, v, exp)
					}
				}
			}
			compared++
		})
	}
	if compared == 0 {
		t.Fatal("no listgeo output compared")
	}
}

// TestGCPListAgainstGDAL checks the GCPs of every sample that has some
// against gdalinfo's gcpList (same order, exact values).
func TestGCPListAgainstGDAL(t *testing.T) {
	dir := samplesDir(t)
	compared := 0
	for _, path := range sampleFiles(t, dir) {
		jb, err := os.ReadFile(path + ".gdalinfo.json")
		if err != nil {
			continue
		}
		var g struct {
			GCPs *struct {
				GCPList []struct {
					Pixel, Line, X, Y, Z float64
				} `json:"gcpList"`
			} `json:"gcps"`
		}
		if err := json.Unmarshal(jb, &g); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		info, err := readBytes(data)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(path)
		if g.GCPs == nil {
			if info.GCPList != nil || info.GCPs != 0 {
				t.Errorf("%s: %d GCPs, gdalinfo none", name, len(info.GCPList))
			}
			continue
		}
		if len(info.GCPList) != len(g.GCPs.GCPList) || info.GCPs != len(info.GCPList) {
			t.Errorf("%s: %d GCPs (count %d), gdalinfo %d", name, len(info.GCPList), info.GCPs, len(g.GCPs.GCPList))
			continue
		}
		for i, w := range g.GCPs.GCPList {
			if got := info.GCPList[i]; got != (GCP{w.Pixel, w.Line, w.X, w.Y, w.Z}) {
				t.Errorf("%s: GCP %d %+v, gdalinfo %+v", name, i, got, w)
			}
		}
		compared++
	}
	if compared == 0 {
		t.Fatal("no sample with GCPs")
	}
	t.Logf("%d samples with GCPs compared", compared)
}

// TestGeoKeysSynthetic covers the directory forms the samples lack:
// several DOUBLE keys sharing GeoDoubleParams, ASCII keys with and without
// the '|' terminator, a multi-valued TOWGS84, out-of-range offsets (skipped),
// PixelIsPoint GCPs (shifted by half a pixel, as GDAL does).
func TestGeoKeysSynthetic(t *testing.T) {
	dirKeys := []uint64{1, 1, 1, 8,
		1024, 0, 1, 2,
		1025, 0, 1, 2,
		1026, 34737, 5, 0, // "first" without '|'
		2049, 34737, 7, 5, // "second|"
		2057, 34736, 1, 0,
		2062, 34736, 3, 1,
		3073, 34737, 10, 100, // out of range: skipped
		3082, 34736, 2, 3, // out of range: skipped
	}
	fields := append(image(2, 2, 0, 0),
		short(tagGeoKeyDirectory, dirKeys...),
		doubles(tagGeoDoubleParams, 6378137, 1.5, -2, 3),
		ascii(tagGeoASCIIParams, "firstsecond|"),
		doubles(tagTiepoint, 0, 0, 0, 10, 50, 0, 1, 1, 0, 11, 49, 7),
	)
	s := build(false, binary.LittleEndian, fields)
	info, err := readBytes(s.buf)
	if err != nil {
		t.Fatal(err)
	}
	gk := info.GeoKeys
	if gk.Short[1024] != 2 || gk.Short[1025] != 2 || len(gk.Short) != 2 {
		t.Errorf("Short %v", gk.Short)
	}
	if len(gk.Double) != 2 || gk.Double[2057][0] != 6378137 || len(gk.Double[2062]) != 3 || gk.Double[2062][2] != 3 {
		t.Errorf("Double %v", gk.Double)
	}
	if len(gk.ASCII) != 2 || gk.ASCII[1026] != "first" || gk.ASCII[2049] != "second" {
		t.Errorf("ASCII %v", gk.ASCII)
	}
	want := []GCP{{0.5, 0.5, 10, 50, 0}, {1.5, 1.5, 11, 49, 7}}
	if info.GCPs != 2 || len(info.GCPList) != 2 || info.GCPList[0] != want[0] || info.GCPList[1] != want[1] {
		t.Errorf("GCPs %d %v, want %v", info.GCPs, info.GCPList, want)
	}
}
