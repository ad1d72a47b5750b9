package geotiff

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/eocat/eocat/internal/testenv"
)

// field is one tag of a synthetic IFD: integer values of type typ, or text.
type field struct {
	tag, typ uint16
	vals     []uint64
	text     string
}

func short(tag uint16, v ...uint64) field { return field{tag: tag, typ: 3, vals: v} }
func long(tag uint16, v ...uint64) field  { return field{tag: tag, typ: 4, vals: v} }
func ascii(tag uint16, s string) field    { return field{tag: tag, typ: 2, text: s + "\x00"} }
func doubles(tag uint16, v ...float64) field {
	f := field{tag: tag, typ: 12}
	for _, x := range v {
		f.vals = append(f.vals, math.Float64bits(x))
	}
	return f
}

// synth is a synthetic TIFF: buf and, for each IFD, its offset and the
// position of its next-IFD pointer (for patching).
type synth struct {
	buf     []byte
	offsets []int64
	nextPos []int64
	big     bool
	bo      order
}

// order is a byte order that can also append.
type order interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// build writes a TIFF with the given IFDs in a chain, each entry table
// followed by its out-of-line values, then 64 bytes standing for pixel data.
func build(big bool, bo order, ifds ...[]field) *synth {
	s := &synth{big: big, bo: bo}
	var b []byte
	if bo == binary.BigEndian {
		b = append(b, "MM"...)
	} else {
		b = append(b, "II"...)
	}
	ptr := 4
	if big {
		b = bo.AppendUint16(b, 43)
		b = bo.AppendUint16(b, 8)
		b = bo.AppendUint16(b, 0)
		b = bo.AppendUint64(b, 0)
		ptr = 8
	} else {
		b = bo.AppendUint16(b, 42)
		b = bo.AppendUint32(b, 0)
	}
	putPtr := func(pos int, v uint64) {
		if big {
			bo.PutUint64(b[pos:], v)
		} else {
			bo.PutUint32(b[pos:], uint32(v))
		}
	}
	prev := len(b) - ptr
	for _, fields := range ifds {
		off := len(b)
		putPtr(prev, uint64(off))
		s.offsets = append(s.offsets, int64(off))
		entry := 12
		if big {
			entry = 20
		}
		if big {
			b = bo.AppendUint64(b, uint64(len(fields)))
		} else {
			b = bo.AppendUint16(b, uint16(len(fields)))
		}
		tbl := len(b)
		b = append(b, make([]byte, len(fields)*entry+ptr)...)
		prev = tbl + len(fields)*entry
		s.nextPos = append(s.nextPos, int64(prev))
		for i, f := range fields {
			var val []byte
			if f.text != "" {
				val = []byte(f.text)
			}
			for _, v := range f.vals {
				switch typeSize(f.typ) {
				case 2:
					val = bo.AppendUint16(val, uint16(v))
				case 4:
					val = bo.AppendUint32(val, uint32(v))
				case 8:
					val = bo.AppendUint64(val, v)
				default:
					val = append(val, byte(v))
				}
			}
			e := tbl + i*entry
			bo.PutUint16(b[e:], f.tag)
			bo.PutUint16(b[e+2:], f.typ)
			count := uint64(len(val)) / uint64(typeSize(f.typ))
			inl := e + 8
			if big {
				bo.PutUint64(b[e+4:], count)
				inl = e + 12
			} else {
				bo.PutUint32(b[e+4:], uint32(count))
			}
			if len(val) <= ptr {
				copy(b[inl:], val)
			} else {
				putPtr(inl, uint64(len(b)))
				b = append(b, val...)
			}
		}
	}
	s.buf = append(b, make([]byte, 64)...)
	return s
}

// image returns the fields of a small tiled GeoTIFF image whose tile data
// starts at dataOff.
func image(w, h uint64, kind uint64, dataOff uint64) []field {
	tiles := max(1, ((w+15)/16)*((h+15)/16))
	offs := make([]uint64, tiles)
	for i := range offs {
		offs[i] = dataOff + uint64(i)
	}
	return []field{
		long(tagNewSubfileType, kind), long(tagImageWidth, w), long(tagImageLength, h),
		short(tagBitsPerSample, 16), short(tagCompression, 8), short(tagPhotometric, 1),
		short(tagSamplesPerPixel, 1), short(tagTileWidth, 16), short(tagTileLength, 16),
		long(tagTileOffsets, offs...), long(tagTileByteCounts, offs...), short(tagSampleFormat, 2),
	}
}

func geoFields() []field {
	return []field{
		doubles(tagPixelScale, 10, 10, 0),
		doubles(tagTiepoint, 0, 0, 0, 500000, 4000000, 0),
		short(tagGeoKeyDirectory, 1, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, 2, 3072, 0, 1, 32631),
		ascii(tagGDALNoData, " -9999 "),
		ascii(tagGDALMetadata, `<GDALMetadata><Item name="DESCRIPTION" sample="0" role="description">elevation</Item><Item name="SCALE" sample="0" role="scale">0.5</Item><Item name="UNITTYPE" sample="0" role="unittype">m</Item><Item name="OFFSET" sample="9" role="offset">1</Item></GDALMetadata>`),
		ascii(tagDateTime, "2024:01:02 03:04:05"),
	}
}

func readBytes(b []byte) (*Info, error) { return Read(bytes.NewReader(b), int64(len(b))) }

func TestSyntheticValid(t *testing.T) {
	for _, big := range []bool{false, true} {
		for _, bo := range []order{binary.LittleEndian, binary.BigEndian} {
			main := append(image(40, 20, 0, 4000), geoFields()...)
			s := build(big, bo, main, image(20, 10, 1, 4000), image(40, 20, 4, 4000))
			s.buf = append(s.buf, make([]byte, 4200-len(s.buf))...)
			info, err := readBytes(s.buf)
			if err != nil {
				t.Fatalf("big %v %v: %v", big, bo, err)
			}
			gt := [6]float64{500000 - 5, 10, 0, 4000000 + 5, 0, -10} // PixelIsPoint shift
			switch {
			case info.Width != 40 || info.Height != 20 || info.DataType != "int16" || info.Compression != "deflate":
				t.Errorf("image %+v", info)
			case !info.Tiled || info.BlockWidth != 16 || info.Overviews != 1 || info.Masks != 1 || !info.COG:
				t.Errorf("layout %+v", info)
			case info.BigTIFF != big || info.BigEndian != (bo == binary.BigEndian):
				t.Errorf("format %+v", info)
			case info.EPSG != 32631 || info.ModelType != 1 || !info.PixelIsPoint || info.GeoTransform == nil || *info.GeoTransform != gt:
				t.Errorf("geo %+v %v", info, info.GeoTransform)
			case info.NoData == nil || info.NoData.Value != -9999 || info.NoData.Text != "-9999":
				t.Errorf("nodata %+v", info.NoData)
			case info.DateTime != "2024:01:02 03:04:05" || info.Bands[0].Description != "elevation" || *info.Bands[0].Scale != 0.5 || info.Bands[0].Unit != "m" || info.Bands[0].Offset != nil:
				t.Errorf("metadata %+v %+v", info, info.Bands)
			case info.Reads != 1:
				t.Errorf("%d reads", info.Reads)
			}
			if pt := info.ProjTransform(); len(pt) != 6 || pt[2] != gt[0] || pt[5] != gt[3] {
				t.Errorf("ProjTransform %v", pt)
			}
		}
	}
}

func TestSyntheticErrors(t *testing.T) {
	valid := func() *synth {
		return build(false, binary.LittleEndian, image(40, 20, 0, 4000), image(20, 10, 1, 4000))
	}
	tests := []struct {
		name string
		make func() []byte
		want string
	}{
		{"not a TIFF", func() []byte { return []byte("GIF89a, definitely not a TIFF file") }, "not a TIFF file"},
		{"too small", func() []byte { return []byte("II*") }, "not a TIFF file"},
		{"bad version", func() []byte { return []byte("II\x2b\x01\x08\x00\x00\x00") }, "not a TIFF file: version"},
		{"IFD cycle", func() []byte {
			s := valid()
			binary.LittleEndian.PutUint32(s.buf[s.nextPos[1]:], uint32(s.offsets[0]))
			return s.buf
		}, "IFD 2 at offset 8: IFD loop"},
		{"IFD self loop", func() []byte {
			s := valid()
			binary.LittleEndian.PutUint32(s.buf[s.nextPos[0]:], uint32(s.offsets[0]))
			return s.buf
		}, "IFD loop"},
		{"truncated", func() []byte { s := valid(); return s.buf[:s.nextPos[0]-20] }, "IFD 0 at offset 8"},
		{"first IFD beyond EOF", func() []byte {
			s := valid()
			binary.LittleEndian.PutUint32(s.buf[4:], 1<<30)
			return s.buf
		}, "beyond end of file"},
		{"absurd count", func() []byte {
			s := build(false, binary.LittleEndian, image(40, 20, 0, 4000))
			// Patch the TileOffsets entry count to 4e9.
			e := s.offsets[0] + 2 + 9*12
			binary.LittleEndian.PutUint16(s.buf[e:], tagStripOffsets)
			binary.LittleEndian.PutUint32(s.buf[e+4:], 4000000000)
			return s.buf
		}, "IFD 0 at offset 8: tag 273 count 4000000000 exceeds limit"},
		{"BigTIFF first IFD beyond size", func() []byte {
			s := build(true, binary.LittleEndian, image(40, 20, 0, 4000))
			binary.LittleEndian.PutUint64(s.buf[8:], 1<<62)
			return s.buf
		}, "beyond end of file"},
		{"BigTIFF tag value beyond size", func() []byte {
			s := build(true, binary.BigEndian, image(40, 20, 0, 4000))
			e := s.offsets[0] + 8 + 9*20 // TileOffsets, 6 LONGs: out of line
			binary.BigEndian.PutUint64(s.buf[e+12:], 1<<40)
			return s.buf
		}, "tag 324: 24 bytes at offset 1099511627776 beyond end of file"},
		{"BigTIFF huge entry count", func() []byte {
			s := build(true, binary.LittleEndian, image(40, 20, 0, 4000))
			binary.LittleEndian.PutUint64(s.buf[s.offsets[0]:], 1<<60)
			return s.buf
		}, "entry count 1152921504606846976 out of range"},
		{"zero-size image", func() []byte { return build(false, binary.LittleEndian, image(0, 20, 0, 4000)).buf }, "invalid image size 0x20"},
		{"too few offsets", func() []byte {
			f := image(40, 20, 0, 4000)
			f[9] = long(tagTileOffsets, 4000)
			return build(false, binary.LittleEndian, f).buf
		}, "1 offsets for 6 blocks"},
		{"too many IFDs", func() []byte {
			ifds := make([][]field, DefaultMaxIFDs+1)
			for i := range ifds {
				ifds[i] = image(40, 20, 0, 4000)
			}
			return build(false, binary.LittleEndian, ifds...).buf
		}, "more than 64 IFDs"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			info, err := readBytes(tc.make())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %+v, %v; want error containing %q", info, err, tc.want)
			}
		})
	}
}

func TestTruncatedEverywhere(t *testing.T) {
	s := build(false, binary.LittleEndian, append(image(40, 20, 0, 4000), geoFields()...), image(20, 10, 1, 4000))
	for n := 0; n < len(s.buf)-64; n++ {
		if info, err := readBytes(s.buf[:n]); err == nil {
			t.Fatalf("truncated at %d: no error, %+v", n, info)
		}
	}
}

func TestReaderError(t *testing.T) {
	s := build(false, binary.LittleEndian, image(40, 20, 0, 4000))
	cr := &countingReader{r: bytes.NewReader(s.buf), limit: 1}
	if _, err := Read(cr, int64(len(s.buf))); !errors.Is(err, errReadLimit) {
		t.Fatalf("got %v, want the reader's error", err)
	}
	if _, err := ReadWithOptions(bytes.NewReader(s.buf), int64(len(s.buf)), Options{FirstBlock: 16, MaxReadBytes: 100}); err == nil || !strings.Contains(err.Error(), "read limit") {
		t.Fatalf("got %v, want read limit error", err)
	}
}

// zeroPadReader serves data and zeros up to a virtual size, and refuses to
// serve more than limit bytes in total.
type zeroPadReader struct {
	data  []byte
	total int64
	limit int64
}

func (z *zeroPadReader) ReadAt(p []byte, off int64) (int, error) {
	z.total += int64(len(p))
	if z.total > z.limit {
		return 0, errReadLimit
	}
	clear(p)
	if off < int64(len(z.data)) {
		copy(p, z.data[off:])
	}
	return len(p), nil
}

func FuzzRead(f *testing.F) {
	// Seeds: the first 4 KiB of every sample (when the fixtures are there)
	// and synthetic files.
	if dir := filepath.Join(testenv.RepoRoot(), "..", "shared", "geotiff-samples"); os.Getenv("EOCAT_SHARED") == "" {
		files, _ := filepath.Glob(filepath.Join(dir, "*.tif"))
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b[:min(len(b), 4096)], uint32(len(b)))
			}
		}
	}
	for _, big := range []bool{false, true} {
		s := build(big, binary.BigEndian, append(image(40, 20, 0, 4000), geoFields()...), image(20, 10, 1, 4000), image(40, 20, 4, 4000))
		f.Add(s.buf, uint32(0))
		f.Add(s.buf, uint32(5000))
	}
	const limit = 8 << 20
	f.Fuzz(func(t *testing.T, data []byte, extra uint32) {
		size := int64(len(data)) + int64(extra)
		z := &zeroPadReader{data: data, limit: limit}
		info, err := ReadWithOptions(z, size, Options{MaxReadBytes: limit})
		if err != nil {
			if info != nil {
				t.Fatalf("error %v with non-nil info", err)
			}
			return
		}
		if z.total > limit {
			t.Fatalf("read %d bytes", z.total)
		}
		if info.Width <= 0 || info.Height <= 0 || info.Width > math.MaxInt32 || info.Height > math.MaxInt32 ||
			info.SamplesPerPixel <= 0 || info.SamplesPerPixel > 65535 || len(info.Bands) != info.SamplesPerPixel ||
			float64(info.Width)*float64(info.Height)*float64(info.SamplesPerPixel) > 1<<78 {
			t.Fatalf("nonsense image: %+v", info)
		}
		if info.BlockWidth <= 0 || info.BlockHeight <= 0 || info.DataType == "" || info.Compression == "" {
			t.Fatalf("nonsense structure: %+v", info)
		}
		if info.Overviews+info.Masks >= DefaultMaxIFDs || info.Reads > 2*DefaultMaxIFDs+4 || info.Reads < 1 {
			t.Fatalf("nonsense counts: %+v", info)
		}
		if info.COG && !info.Tiled {
			t.Fatalf("untiled COG: %+v", info)
		}
	})
}
