package geotiff

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/eocat/eocat/internal/testenv"
)

// pixelType describes a sample type: GDAL and ENVI names, TIFF bits and
// SampleFormat, and a generator of random values (as float64, exactly
// representable in the type).
type pixelType struct {
	gdal   string
	envi   int
	bits   int
	format int
	gen    func(r *rand.Rand) float64
}

var pixelTypes = []pixelType{
	{"Byte", 1, 8, 1, func(r *rand.Rand) float64 { return float64(r.Intn(256)) }},
	{"Int16", 2, 16, 2, func(r *rand.Rand) float64 { return float64(r.Intn(65536) - 32768) }},
	{"UInt16", 12, 16, 1, func(r *rand.Rand) float64 { return float64(r.Intn(65536)) }},
	{"Int32", 3, 32, 2, func(r *rand.Rand) float64 { return float64(int32(r.Uint32())) }},
	{"UInt32", 13, 32, 1, func(r *rand.Rand) float64 { return float64(r.Uint32()) }},
	{"Float32", 4, 32, 3, genFloat},
	{"Float64", 5, 64, 3, genFloat},
}

// genFloat returns mostly smooth values (as grids have), sometimes special
// ones.
func genFloat(r *rand.Rand) float64 {
	switch r.Intn(40) {
	case 0:
		return math.NaN()
	case 1:
		return math.Inf(-1)
	case 2:
		return math.Copysign(0, -1)
	case 3:
		return 1e-40 // a float32 denormal
	case 4:
		return float64(float32(r.NormFloat64() * 1e30))
	}
	return float64(float32(r.NormFloat64() * 3))
}

// putSample appends v in the type's encoding.
func putSample(b []byte, bo binary.AppendByteOrder, pt pixelType, v float64) []byte {
	switch {
	case pt.bits == 8:
		return append(b, byte(v))
	case pt.bits == 16:
		return bo.AppendUint16(b, uint16(int64(v)))
	case pt.bits == 32 && pt.format == 3:
		return bo.AppendUint32(b, math.Float32bits(float32(v)))
	case pt.bits == 32:
		return bo.AppendUint32(b, uint32(int64(v)))
	}
	return bo.AppendUint64(b, math.Float64bits(v))
}

// sameSample compares a decoded sample with the expected value converted
// to float32 (NaN equals NaN; the sign of zero counts).
func sameSample(got float32, want float64) bool {
	w := float32(want)
	if w != w {
		return got != got
	}
	return math.Float32bits(got) == math.Float32bits(w)
}

// randomBands returns spp bands of w×h random values.
func randomBands(pt pixelType, w, h, spp int, seed int64) [][]float64 {
	r := rand.New(rand.NewSource(seed))
	bands := make([][]float64, spp)
	for b := range bands {
		bands[b] = make([]float64, w*h)
		for i := range bands[b] {
			bands[b][i] = pt.gen(r)
		}
	}
	return bands
}

// checkSamples decodes every band of image idx and compares it.
func checkSamples(t *testing.T, name string, imgs *Images, idx int, bands [][]float64) {
	t.Helper()
	for b, want := range bands {
		got, err := imgs.Samples(idx, b)
		if err != nil {
			t.Errorf("%s: image %d band %d: %v", name, idx, b, err)
			continue
		}
		if len(got) != len(want) {
			t.Errorf("%s: band %d: %d values, want %d", name, b, len(got), len(want))
			continue
		}
		bad := 0
		for i := range want {
			if !sameSample(got[i], want[i]) {
				if bad < 3 {
					t.Errorf("%s: image %d band %d value %d: got %v, want %v", name, idx, b, i, got[i], float32(want[i]))
				}
				bad++
			}
		}
		if bad > 0 {
			t.Errorf("%s: image %d band %d: %d of %d values differ", name, idx, b, bad, len(want))
		}
	}
}

func readImagesFile(t *testing.T, path string, opt ImageOptions) *Images {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	imgs, err := ReadImages(bytes.NewReader(b), int64(len(b)), opt)
	if err != nil {
		t.Fatalf("%s: %v", filepath.Base(path), err)
	}
	return imgs
}

// TestImageSamplesAgainstGDAL writes random rasters of every type as raw ENVI
// files, has gdal_translate (libtiff) encode them as TIFFs with the
// compressions, predictors, interleaves, block layouts, byte orders and
// BigTIFF, and checks that Samples decodes the exact values, with the
// structure, georeferencing and metadata of each image.
func TestImageSamplesAgainstGDAL(t *testing.T) {
	bin, err := exec.LookPath("gdal_translate")
	if err != nil {
		testenv.Missing(t, "gdal_translate not found (Debian package gdal-bin)")
	}
	const w, h, spp = 37, 23, 3
	type variant struct {
		co                          []string
		compression                 string
		predictor, planar           int
		tiled                       bool
		blockW, blockH              int
		floatOnly, bigEndian, bigTF bool
	}
	variants := []variant{
		{co: []string{"COMPRESS=NONE", "INTERLEAVE=PIXEL"}, compression: "none", predictor: 1, planar: 1, blockW: w, blockH: 0},
		{co: []string{"COMPRESS=DEFLATE", "PREDICTOR=2", "INTERLEAVE=PIXEL", "TILED=YES", "BLOCKXSIZE=16", "BLOCKYSIZE=16"}, compression: "deflate", predictor: 2, planar: 1, tiled: true, blockW: 16, blockH: 16},
		{co: []string{"COMPRESS=LZW", "PREDICTOR=2", "INTERLEAVE=BAND", "BLOCKYSIZE=5", "ENDIANNESS=BIG"}, compression: "lzw", predictor: 2, planar: 2, blockW: w, blockH: 5, bigEndian: true},
		{co: []string{"COMPRESS=LZW", "INTERLEAVE=PIXEL", "BIGTIFF=YES"}, compression: "lzw", predictor: 1, planar: 1, blockW: w, blockH: 0, bigTF: true},
		{co: []string{"COMPRESS=DEFLATE", "PREDICTOR=3", "INTERLEAVE=PIXEL", "BLOCKYSIZE=3"}, compression: "deflate", predictor: 3, planar: 1, blockW: w, blockH: 3, floatOnly: true},
		{co: []string{"COMPRESS=LZW", "PREDICTOR=3", "INTERLEAVE=BAND", "TILED=YES", "BLOCKXSIZE=32", "BLOCKYSIZE=32", "ENDIANNESS=BIG"}, compression: "lzw", predictor: 3, planar: 2, tiled: true, blockW: 32, blockH: 32, floatOnly: true, bigEndian: true},
		{co: []string{"COMPRESS=DEFLATE", "PREDICTOR=3", "INTERLEAVE=BAND", "BLOCKYSIZE=23", "ENDIANNESS=BIG", "BIGTIFF=YES"}, compression: "deflate", predictor: 3, planar: 2, blockW: w, blockH: 23, floatOnly: true, bigEndian: true, bigTF: true},
	}
	dir := t.TempDir()
	n := 0
	for ti, pt := range pixelTypes {
		bands := randomBands(pt, w, h, spp, int64(ti))
		raw := filepath.Join(dir, pt.gdal+".bin")
		var b []byte
		for _, band := range bands {
			for _, v := range band {
				b = putSample(b, binary.LittleEndian, pt, v)
			}
		}
		if err := os.WriteFile(raw, b, 0o644); err != nil {
			t.Fatal(err)
		}
		hdr := fmt.Sprintf("ENVI\nsamples = %d\nlines = %d\nbands = %d\nheader offset = 0\nfile type = ENVI Standard\ndata type = %d\ninterleave = bsq\nbyte order = 0\n", w, h, spp, pt.envi)
		if err := os.WriteFile(filepath.Join(dir, pt.gdal+".hdr"), []byte(hdr), 0o644); err != nil {
			t.Fatal(err)
		}
		for vi, v := range variants {
			if v.floatOnly && pt.format != 3 {
				continue
			}
			name := fmt.Sprintf("%s-%d.tif", pt.gdal, vi)
			out := filepath.Join(dir, name)
			args := []string{"-q", "-of", "GTiff", "-a_srs", "EPSG:4326", "-a_ullr", "10", "50", "11.85", "48.85",
				"-a_nodata", "7", "-mo", "TYPE=TEST_GRID", "-mo", "grid_name=G" + name}
			for _, co := range v.co {
				args = append(args, "-co", co)
			}
			if cmd := exec.Command(bin, append(args, raw, out)...); true {
				if b, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("gdal_translate %s: %v\n%s", strings.Join(v.co, " "), err, b)
				}
			}
			imgs := readImagesFile(t, out, ImageOptions{})
			if len(imgs.List) != 1 {
				t.Fatalf("%s: %d images", name, len(imgs.List))
			}
			im := imgs.List[0]
			bh := v.blockH
			if bh == 0 {
				bh = im.BlockHeight // GDAL's choice of RowsPerStrip
			}
			if im.Width != w || im.Height != h || im.SamplesPerPixel != spp || im.BitsPerSample != pt.bits || im.SampleFormat != pt.format ||
				im.DataType != strings.ToLower(pt.gdal) && !(pt.gdal == "Byte" && im.DataType == "uint8") ||
				im.Compression != v.compression || im.Predictor != v.predictor || im.Planar != v.planar || im.Tiled != v.tiled ||
				im.BlockWidth != v.blockW || im.BlockHeight != bh {
				t.Errorf("%s: image %+v", name, *im)
			}
			if gt := im.GeoTransform; gt == nil || math.Abs(gt[0]-10) > 1e-12 || math.Abs(gt[1]-0.05) > 1e-12 || math.Abs(gt[3]-50) > 1e-12 || math.Abs(gt[5]+0.05) > 1e-12 {
				t.Errorf("%s: geotransform %v", name, im.GeoTransform)
			}
			if len(im.PixelScale) != 3 || len(im.Tiepoints) != 6 || im.PixelIsPoint || im.GeoKeys.Short[2048] != 4326 {
				t.Errorf("%s: georeferencing tags %v %v %v %v", name, im.PixelScale, im.Tiepoints, im.PixelIsPoint, im.GeoKeys.Short)
			}
			if im.NoData == nil || im.NoData.Value != 7 {
				t.Errorf("%s: nodata %+v", name, im.NoData)
			}
			if v, ok := im.Item("TYPE", -1); !ok || v != "TEST_GRID" {
				t.Errorf("%s: TYPE item %q %v (metadata %+v)", name, v, ok, im.Metadata)
			}
			want := bands
			if v.bigEndian && v.predictor == 3 {
				// libtiff 4.5.0 (Debian 12) writes the byte planes of a
				// big-endian file least significant first, and reads them
				// most significant first (as Technical Note 3 has them, and
				// as Samples does): GDAL does not read back what it wrote.
				// The reference is then what GDAL reads.
				want = gdalReads(t, bin, out, pt, w, h, spp)
				if sameBands(want, bands) {
					t.Errorf("%s: GDAL now reads big-endian predictor 3 files as written: compare with the written values", name)
				}
			}
			checkSamples(t, name, imgs, 0, want)
			n++
		}
	}
	// Several IFDs, as PROJ's multi-grid files: a second image appended.
	first := filepath.Join(dir, "Float32-4.tif")
	bands := randomBands(pixelTypes[5], w, h, spp, 99)
	var b []byte
	for _, band := range bands {
		for _, v := range band {
			b = putSample(b, binary.LittleEndian, pixelTypes[5], v)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "second.bin"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	hdr, _ := os.ReadFile(filepath.Join(dir, "Float32.hdr"))
	if err := os.WriteFile(filepath.Join(dir, "second.hdr"), hdr, 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command(bin, "-q", "-mo", "grid_name=SECOND", "-co", "APPEND_SUBDATASET=YES", "-co", "COMPRESS=DEFLATE", "-co", "PREDICTOR=3",
		filepath.Join(dir, "second.bin"), first).CombinedOutput(); err != nil {
		t.Fatalf("gdal_translate APPEND_SUBDATASET: %v\n%s", err, b)
	}
	imgs := readImagesFile(t, first, ImageOptions{})
	if len(imgs.List) != 2 {
		t.Fatalf("appended: %d images", len(imgs.List))
	}
	if v, _ := imgs.List[1].Item("grid_name", -1); v != "SECOND" || imgs.List[1].Index != 1 {
		t.Errorf("second image: grid_name %q, index %d", v, imgs.List[1].Index)
	}
	checkSamples(t, "appended", imgs, 0, randomBands(pixelTypes[5], w, h, spp, 5))
	checkSamples(t, "appended", imgs, 1, bands)
	t.Logf("%d GDAL-encoded files decoded", n+1)
}

// gdalReads returns the samples GDAL reads from a TIFF (through an ENVI
// copy).
func gdalReads(t *testing.T, bin, path string, pt pixelType, w, h, spp int) [][]float64 {
	t.Helper()
	out := path + ".envi"
	if b, err := exec.Command(bin, "-q", "-of", "ENVI", "-co", "INTERLEAVE=BSQ", path, out).CombinedOutput(); err != nil {
		t.Fatalf("gdal_translate -of ENVI: %v\n%s", err, b)
	}
	hdr, err := os.ReadFile(path + ".hdr")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(hdr), "byte order = 0") {
		t.Fatalf("ENVI header without little-endian byte order:\n%s", hdr)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	bps := pt.bits / 8
	if len(raw) != w*h*spp*bps {
		t.Fatalf("ENVI copy of %d bytes, want %d", len(raw), w*h*spp*bps)
	}
	bands := make([][]float64, spp)
	for b := range bands {
		bands[b] = make([]float64, w*h)
		for i := range bands[b] {
			p := raw[(b*w*h+i)*bps:]
			switch pt.bits {
			case 32:
				bands[b][i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(p)))
			case 64:
				bands[b][i] = math.Float64frombits(binary.LittleEndian.Uint64(p))
			default:
				t.Fatalf("gdalReads: %d-bit samples", pt.bits)
			}
		}
	}
	return bands
}

func sameBands(a, b [][]float64) bool {
	for i := range a {
		for j := range a[i] {
			if !sameSample(float32(a[i][j]), b[i][j]) {
				return false
			}
		}
	}
	return true
}

// --- synthetic files, without GDAL ---

// encodeBlock encodes one block (rows of bw samples×spp values of bps
// bytes, already in byte order bo) with a predictor and a compression.
func encodeBlock(t testing.TB, raw []byte, bw, spp, bps, predictor int, compression string, bo binary.ByteOrder) []byte {
	t.Helper()
	b := append([]byte(nil), raw...)
	rowLen := bw * spp * bps
	for r := 0; r+rowLen <= len(b); r += rowLen {
		row := b[r : r+rowLen]
		switch predictor {
		case 2:
			n := len(row) / bps
			for i := n - 1; i >= spp; i-- {
				p, q := row[i*bps:], row[(i-spp)*bps:]
				switch bps {
				case 1:
					p[0] -= q[0]
				case 2:
					bo.PutUint16(p, bo.Uint16(p)-bo.Uint16(q))
				case 4:
					bo.PutUint32(p, bo.Uint32(p)-bo.Uint32(q))
				case 8:
					bo.PutUint64(p, bo.Uint64(p)-bo.Uint64(q))
				}
			}
		case 3:
			// Byte planes, most significant first, then differences.
			wc := len(row) / bps
			tmp := make([]byte, len(row))
			for i := range wc {
				v := row[i*bps : (i+1)*bps]
				for k := range bps {
					if bo == binary.LittleEndian {
						tmp[k*wc+i] = v[bps-1-k]
					} else {
						tmp[k*wc+i] = v[k]
					}
				}
			}
			for i := len(tmp) - 1; i >= spp; i-- {
				tmp[i] -= tmp[i-spp]
			}
			copy(row, tmp)
		}
	}
	switch compression {
	case "deflate":
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		if _, err := zw.Write(b); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		return z.Bytes()
	case "lzw":
		return lzwEncode(b)
	}
	return b
}

// lzwEncode is a TIFF LZW encoder (as libtiff's: MSB first, early change,
// a clear code when the table is full).
func lzwEncode(data []byte) []byte {
	var out []byte
	var acc uint64
	var nacc uint
	width := uint(9)
	put := func(code int) {
		acc = acc<<width | uint64(code)
		nacc += width
		for nacc >= 8 {
			out = append(out, byte(acc>>(nacc-8)))
			nacc -= 8
		}
	}
	dict := map[[2]int]int{}
	next := lzwFirst
	put(lzwClear)
	cur := -1
	for _, c := range data {
		if cur < 0 {
			cur = int(c)
			continue
		}
		if code, ok := dict[[2]int{cur, int(c)}]; ok {
			cur = code
			continue
		}
		put(cur)
		dict[[2]int{cur, int(c)}] = next
		next++
		if next == lzwMax-2 {
			put(lzwClear)
			dict, next, width = map[[2]int]int{}, lzwFirst, 9
		} else if next >= 1<<width && width < 12 {
			width++
		}
		cur = int(c)
	}
	if cur >= 0 {
		put(cur)
		next++
		if next >= 1<<width && width < 12 {
			width++
		}
	}
	put(lzwEOI)
	if nacc > 0 {
		out = append(out, byte(acc<<(8-nacc)))
	}
	return out
}

// synthImage describes a synthetic image and builds a TIFF of it.
type synthImage struct {
	w, h, spp   int
	pt          pixelType
	planar      int
	tiled       bool
	bw, bh      int // tile size, or RowsPerStrip (bw ignored)
	predictor   int
	compression string
	big         bool
	bo          order
	extra       []field
	sparse      map[int]bool // blocks written as offset 0, count 0
	mangle      func([]byte) []byte
}

func (s synthImage) file(t testing.TB, bands [][]float64) []byte {
	t.Helper()
	bps := s.pt.bits / 8
	bw, bh := s.w, s.bh
	if s.tiled {
		bw = s.bw
	}
	across, down := (s.w+bw-1)/bw, (s.h+bh-1)/bh
	planes, spp := 1, s.spp
	if s.planar == 2 {
		planes, spp = s.spp, 1
	}
	var blocks [][]byte
	for p := range planes {
		for by := range down {
			for bx := range across {
				rows := bh
				if !s.tiled {
					rows = min(bh, s.h-by*bh)
				}
				var raw []byte
				for y := range rows {
					for x := range bw {
						for k := range spp {
							band := p + k
							v := 0.0
							if gx, gy := bx*bw+x, by*bh+y; gx < s.w && gy < s.h {
								v = bands[band][gy*s.w+gx]
							}
							raw = putSample(raw, s.bo, s.pt, v)
						}
					}
				}
				blk := encodeBlock(t, raw, bw, spp, bps, s.predictor, s.compression, s.bo)
				if s.mangle != nil {
					blk = s.mangle(blk)
				}
				blocks = append(blocks, blk)
			}
		}
	}
	comp := map[string]uint64{"none": 1, "lzw": 5, "deflate": 8, "jpeg": 7}[s.compression]
	bits := make([]uint64, s.spp)
	formats := make([]uint64, s.spp)
	for i := range bits {
		bits[i], formats[i] = uint64(s.pt.bits), uint64(s.pt.format)
	}
	fields := func(offs []uint64) []field {
		counts := make([]uint64, len(blocks))
		for i, b := range blocks {
			if !s.sparse[i] {
				counts[i] = uint64(len(b))
			}
		}
		f := []field{
			long(tagImageWidth, uint64(s.w)), long(tagImageLength, uint64(s.h)),
			short(tagBitsPerSample, bits...), short(tagCompression, comp), short(tagPhotometric, 1),
			short(tagSamplesPerPixel, uint64(s.spp)), short(tagPlanarConfig, uint64(s.planar)),
			short(tagPredictor, uint64(s.predictor)), short(tagSampleFormat, formats...),
		}
		if s.tiled {
			f = append(f, short(tagTileWidth, uint64(s.bw)), short(tagTileLength, uint64(s.bh)),
				long(tagTileOffsets, offs...), long(tagTileByteCounts, counts...))
		} else {
			f = append(f, long(tagRowsPerStrip, uint64(s.bh)), long(tagStripOffsets, offs...), long(tagStripByteCounts, counts...))
		}
	extra:
		for _, e := range s.extra { // replacing the field of the same tag
			for i := range f {
				if f[i].tag == e.tag {
					f[i] = e
					continue extra
				}
			}
			f = append(f, e)
		}
		return f
	}
	offs := make([]uint64, len(blocks))
	start := uint64(len(build(s.big, s.bo, fields(offs)).buf))
	for i, b := range blocks {
		if !s.sparse[i] {
			offs[i] = start
		}
		start += uint64(len(b))
	}
	out := build(s.big, s.bo, fields(offs)).buf
	for _, b := range blocks {
		out = append(out, b...)
	}
	return out
}

func readImagesBytes(b []byte, opt ImageOptions) (*Images, error) {
	return ReadImages(bytes.NewReader(b), int64(len(b)), opt)
}

// TestImageSamplesSynthetic decodes files written by the encoders above: every
// compression and predictor, both planar configurations, strips (the last
// one short) and tiles (edge tiles padded), both byte orders and BigTIFF.
func TestImageSamplesSynthetic(t *testing.T) {
	f32, u16, i32, f64, u8 := pixelTypes[5], pixelTypes[2], pixelTypes[3], pixelTypes[6], pixelTypes[0]
	cases := []synthImage{
		{w: 13, h: 7, spp: 2, pt: f32, planar: 1, bh: 3, predictor: 3, compression: "deflate", bo: binary.LittleEndian},
		{w: 13, h: 7, spp: 2, pt: f32, planar: 2, bh: 3, predictor: 3, compression: "deflate", bo: binary.BigEndian, big: true},
		{w: 20, h: 10, spp: 2, pt: u16, planar: 2, tiled: true, bw: 16, bh: 16, predictor: 2, compression: "lzw", bo: binary.LittleEndian},
		{w: 200, h: 100, spp: 1, pt: u16, planar: 1, bh: 100, predictor: 1, compression: "lzw", bo: binary.BigEndian},
		{w: 9, h: 5, spp: 3, pt: i32, planar: 1, tiled: true, bw: 16, bh: 16, predictor: 2, compression: "none", bo: binary.BigEndian},
		{w: 9, h: 5, spp: 2, pt: f64, planar: 1, bh: 2, predictor: 3, compression: "lzw", bo: binary.LittleEndian},
		{w: 9, h: 5, spp: 2, pt: u8, planar: 2, bh: 5, predictor: 2, compression: "deflate", bo: binary.LittleEndian},
	}
	for i, c := range cases {
		bands := randomBands(c.pt, c.w, c.h, c.spp, int64(i))
		b := c.file(t, bands)
		imgs, err := readImagesBytes(b, ImageOptions{})
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		checkSamples(t, fmt.Sprintf("case %d (%+v)", i, c), imgs, 0, bands)
		if imgs.Reads() == 0 {
			t.Error("no read counted")
		}
	}
}

func TestLZWRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for _, n := range []int{0, 1, 2, 300, 5000, 100000} {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(r.Intn(4)) // repetitive: long strings, full tables
			if r.Intn(3) == 0 {
				data[i] = byte(r.Intn(256))
			}
		}
		out := make([]byte, n)
		if err := lzwDecode(lzwEncode(data), out); err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		if !bytes.Equal(out, data) {
			t.Fatalf("%d bytes: round trip differs", n)
		}
		if n > 0 {
			if err := lzwDecode(lzwEncode(data[:n-1]), out); err == nil {
				t.Errorf("%d bytes: short data decoded without error", n)
			}
		}
	}
	if err := lzwDecode([]byte{0, 1, 2}, make([]byte, 4)); err == nil || !strings.Contains(err.Error(), "old-style") {
		t.Errorf("old-style LZW: %v", err)
	}
	// A first code that is not a literal, and a code beyond the table.
	for _, codes := range [][]int{{lzwClear, 300}, {lzwClear, 65, 400}} {
		var b []byte
		var acc uint64
		var nacc uint
		for _, c := range codes {
			acc, nacc = acc<<9|uint64(c), nacc+9
			for nacc >= 8 {
				b, nacc = append(b, byte(acc>>(nacc-8))), nacc-8
			}
		}
		b = append(b, byte(acc<<(8-nacc)), 0, 0)
		if err := lzwDecode(b, make([]byte, 10)); err == nil || !strings.Contains(err.Error(), "corrupted") {
			t.Errorf("codes %v: %v", codes, err)
		}
	}
}

// TestImageSamplesSparseAndItems checks sparse blocks (GDAL's nodata blocks) and
// the metadata items.
func TestImageSamplesSparseAndItems(t *testing.T) {
	md := `<GDALMetadata><Item name="grid_name">A</Item><Item name="DESCRIPTION" sample="1" role="description">longitude_offset</Item>` +
		`<Item name="grid_name">B</Item><Item name="bad" sample="x">1</Item></GDALMetadata>`
	c := synthImage{w: 4, h: 6, spp: 2, pt: pixelTypes[5], planar: 2, bh: 2, predictor: 1, compression: "deflate", bo: binary.LittleEndian,
		sparse: map[int]bool{1: true, 5: true}, extra: []field{ascii(tagGDALNoData, "-99"), ascii(tagGDALMetadata, md)}}
	bands := randomBands(c.pt, c.w, c.h, c.spp, 1)
	for _, p := range []struct{ band, block int }{{0, 1}, {1, 2}} { // blocks 1 and 5: band 0 rows 2-3, band 1 rows 4-5
		for y := 2 * p.block; y < 2*p.block+2; y++ {
			for x := range c.w {
				bands[p.band][y*c.w+x] = -99
			}
		}
	}
	imgs, err := readImagesBytes(c.file(t, bands), ImageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkSamples(t, "sparse", imgs, 0, bands)
	im := imgs.List[0]
	if v, ok := im.Item("grid_name", -1); !ok || v != "B" {
		t.Errorf("grid_name = %q, %v; want the last item, B", v, ok)
	}
	if v, _ := im.Item("DESCRIPTION", 1); v != "longitude_offset" {
		t.Errorf("DESCRIPTION of sample 1 = %q", v)
	}
	if _, ok := im.Item("DESCRIPTION", 0); ok {
		t.Error("DESCRIPTION of sample 0 found")
	}
	if len(im.Metadata) != 3 {
		t.Errorf("metadata %+v: the item with a bad sample should be dropped", im.Metadata)
	}
}

func TestImageSamplesErrors(t *testing.T) {
	f32 := pixelTypes[5]
	base := synthImage{w: 8, h: 4, spp: 2, pt: f32, planar: 1, bh: 4, predictor: 3, compression: "deflate", bo: binary.LittleEndian}
	bands := randomBands(f32, 8, 4, 2, 1)
	// 32 values a band (128 bytes); blocks of 256 bytes (planar 1) or 128
	// (planar 2).
	separate := base
	separate.planar = 2
	imgs, err := readImagesBytes(separate.file(t, bands), ImageOptions{MaxSampleBytes: 200})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := imgs.Samples(0, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := imgs.Samples(0, 1); err == nil || !strings.Contains(err.Error(), "exceed the limit") {
		t.Errorf("over MaxSampleBytes: %v", err)
	}
	if _, err := imgs.Samples(0, 2); err == nil {
		t.Error("sample 2 of 2 decoded")
	}
	if _, err := imgs.Samples(1, 0); err == nil {
		t.Error("image 1 of 1 decoded")
	}
	imgs, err = readImagesBytes(base.file(t, bands), ImageOptions{MaxSampleBytes: 200})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := imgs.Samples(0, 0); err == nil || !strings.Contains(err.Error(), "a block of 256 bytes") {
		t.Errorf("block over MaxSampleBytes: %v", err)
	}

	mutate := func(name string, s synthImage, edit func([]byte) []byte, want string) {
		t.Helper()
		b := s.file(t, bands)
		if edit != nil {
			b = edit(b)
		}
		imgs, err := readImagesBytes(b, ImageOptions{})
		if err == nil {
			_, err = imgs.Samples(0, 0)
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", name, err, want)
		}
	}
	s := base
	s.compression = "jpeg"
	s.predictor = 1
	mutate("jpeg", s, nil, "compression jpeg is not supported")
	s = base
	s.pt = pixelTypes[2]
	s.predictor = 3
	mutate("predictor 3 on integers", s, nil, "floating-point predictor")
	s = base
	s.predictor = 1
	s.extra = []field{short(tagPredictor, 5)}
	mutate("predictor 5", s, nil, "predictor 5")
	mutate("truncated", base, func(b []byte) []byte { return b[:len(b)-5] }, "beyond end of file")
	s = base
	s.mangle = func(b []byte) []byte { b[0] ^= 0xff; return b }
	mutate("corrupt zlib header", s, nil, "DEFLATE: zlib: invalid header")
	s.mangle = func(b []byte) []byte { return b[:len(b)/2] }
	mutate("truncated deflate", s, nil, "DEFLATE: unexpected EOF")
	s.compression, s.predictor = "lzw", 1
	mutate("truncated LZW", s, nil, "LZW: not enough data")
	s.compression = "none"
	s.mangle = func(b []byte) []byte { return append(b, 1, 2, 3) } // longer than needed: fine
	b := s.file(t, bands)
	if imgs, err := readImagesBytes(b, ImageOptions{}); err != nil {
		t.Error(err)
	} else {
		checkSamples(t, "uncompressed with extra bytes", imgs, 0, bands)
	}
	s.compression = "deflate"
	s.mangle = func(b []byte) []byte { return append(b, make([]byte, 2000)...) }
	mutate("compressed too long", s, nil, "compressed bytes for 256 decoded bytes")
	s = base
	s.compression = "none"
	s.predictor = 1
	mutate("short uncompressed", s, func(b []byte) []byte { return b[:len(b)-1] }, "beyond end of file")
	s = base
	s.extra = []field{short(tagBitsPerSample, 32, 16)}
	mutate("mixed types", s, nil, "different types")
	s = base
	s.pt = pixelTypes[5]
	s.extra = []field{short(tagSampleFormat, 6, 6)}
	mutate("complex", s, nil, "SampleFormat 6")
}

func FuzzImageSamples(f *testing.F) {
	bands := randomBands(pixelTypes[5], 5, 3, 2, 1)
	for _, s := range []synthImage{
		{w: 5, h: 3, spp: 2, pt: pixelTypes[5], planar: 1, bh: 2, predictor: 3, compression: "deflate", bo: binary.LittleEndian},
		{w: 5, h: 3, spp: 2, pt: pixelTypes[5], planar: 2, tiled: true, bw: 16, bh: 16, predictor: 2, compression: "lzw", bo: binary.BigEndian},
	} {
		f.Add(s.file(f, bands))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		imgs, err := readImagesBytes(b, ImageOptions{MaxSampleBytes: 1 << 20})
		if err != nil {
			return
		}
		for i, im := range imgs.List {
			for s := range min(im.SamplesPerPixel, 4) {
				_, _ = imgs.Samples(i, s) // fuzzed input: an error is expected, a panic is not
			}
		}
	})
}
