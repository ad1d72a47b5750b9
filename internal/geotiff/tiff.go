package geotiff

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"sync"
)

// TIFF tags used by the package.
const (
	tagNewSubfileType  = 254
	tagImageWidth      = 256
	tagImageLength     = 257
	tagBitsPerSample   = 258
	tagCompression     = 259
	tagPhotometric     = 262
	tagStripOffsets    = 273
	tagSamplesPerPixel = 277
	tagRowsPerStrip    = 278
	tagStripByteCounts = 279
	tagPlanarConfig    = 284
	tagDateTime        = 306
	tagPredictor       = 317
	tagTileWidth       = 322
	tagTileLength      = 323
	tagTileOffsets     = 324
	tagTileByteCounts  = 325
	tagSampleFormat    = 339
	tagPixelScale      = 33550
	tagTiepoint        = 33922
	tagTransformation  = 34264
	tagGeoKeyDirectory = 34735
	tagGeoDoubleParams = 34736
	tagGeoASCIIParams  = 34737
	tagGDALMetadata    = 42112
	tagGDALNoData      = 42113
)

// knownTags are the tags whose values the package may decode: their size is
// checked against Options.MaxTagBytes and the file size. Other tags are
// skipped without reading their values.
var knownTags = map[uint16]bool{
	tagNewSubfileType: true, tagImageWidth: true, tagImageLength: true,
	tagBitsPerSample: true, tagCompression: true, tagPhotometric: true,
	tagStripOffsets: true, tagSamplesPerPixel: true, tagRowsPerStrip: true,
	tagStripByteCounts: true, tagPlanarConfig: true, tagDateTime: true,
	tagPredictor: true, tagTileWidth: true, tagTileLength: true,
	tagTileOffsets: true, tagTileByteCounts: true, tagSampleFormat: true,
	tagPixelScale: true, tagTiepoint: true, tagTransformation: true,
	tagGeoKeyDirectory: true, tagGeoDoubleParams: true, tagGeoASCIIParams: true,
	tagGDALMetadata: true, tagGDALNoData: true,
}

// maxEntries caps the number of entries of one IFD (real files have < 100).
const maxEntries = 4096

// typeSize returns the byte size of one value of a TIFF field type, 0 when
// the type is unknown.
func typeSize(typ uint16) int64 {
	switch typ {
	case 1, 2, 6, 7: // BYTE, ASCII, SBYTE, UNDEFINED
		return 1
	case 3, 8: // SHORT, SSHORT
		return 2
	case 4, 9, 11, 13: // LONG, SLONG, FLOAT, IFD
		return 4
	case 5, 10, 12, 16, 17, 18: // RATIONAL, SRATIONAL, DOUBLE, LONG8, SLONG8, IFD8
		return 8
	}
	return 0
}

// entry is one IFD entry; its values are either inline or at off.
type entry struct {
	tag    uint16
	typ    uint16
	count  int64
	inline []byte // the values when they fit in the entry, else nil
	off    int64
}

// size is the byte size of the first n values (n < 0: all of them).
func (e *entry) size(n int64) int64 {
	if n < 0 || n > e.count {
		n = e.count
	}
	return n * typeSize(e.typ)
}

// ifd is a parsed image file directory.
type ifd struct {
	index   int
	offset  int64
	end     int64   // end of the entry table and next-IFD offset
	entries []entry // the known tags, in file order, no duplicates
}

// entry returns the entry of tag, or nil. IFDs hold at most a few dozen
// known tags: a scan beats a map, which cost an allocation per entry.
func (d *ifd) entry(tag uint16) *entry {
	for i := range d.entries {
		if d.entries[i].tag == tag {
			return &d.entries[i]
		}
	}
	return nil
}

func (d *ifd) errorf(format string, args ...any) error {
	return fmt.Errorf("geotiff: IFD %d at offset %d: %s", d.index, d.offset, fmt.Sprintf(format, args...))
}

// span is a cached range of the file.
type span struct {
	off int64
	b   []byte
}

// reader reads and caches ranges of a TIFF file and decodes its IFDs.
type reader struct {
	r         io.ReaderAt
	size      int64
	opt       Options
	bo        binary.ByteOrder
	big       bool
	cache     []span
	pooled    []*[]byte // buffers of cache from blockPool, returned by release
	reads     int
	readBytes int64
}

// blockPool recycles the buffers of first-block reads (one per raster
// header, 16 KiB by default). Nothing Read returns refers to them: strings
// and numbers are copied out.
var blockPool = sync.Pool{New: func() any { b := make([]byte, DefaultFirstBlock); return &b }}

// release returns the pooled buffers; the cache is unusable afterwards.
func (rd *reader) release() {
	for _, b := range rd.pooled {
		blockPool.Put(b)
	}
	rd.pooled, rd.cache = nil, nil
}

var errBeyondEOF = errors.New("beyond end of file")

// cached returns [off, off+n) when one cached span holds it.
func (rd *reader) cached(off, n int64) ([]byte, bool) {
	for _, s := range rd.cache {
		if off >= s.off && off-s.off+n <= int64(len(s.b)) {
			return s.b[off-s.off : off-s.off+n], true
		}
	}
	return nil, false
}

// inFile reports whether [off, off+n) lies within the file.
func (rd *reader) inFile(off, n int64) bool {
	return off >= 0 && n >= 0 && off <= rd.size && n <= rd.size-off
}

// fetch reads max(n, ahead) bytes at off (clamped to the file size) with one
// ReadAt call and caches them.
func (rd *reader) fetch(off, n, ahead int64) error {
	if !rd.inFile(off, n) {
		return fmt.Errorf("%d bytes at offset %d: %w (size %d)", n, off, errBeyondEOF, rd.size)
	}
	n = max(n, min(ahead, rd.size-off))
	if rd.readBytes+n > rd.opt.MaxReadBytes {
		return fmt.Errorf("reading %d bytes at offset %d exceeds the read limit of %d bytes", n, off, rd.opt.MaxReadBytes)
	}
	var buf []byte
	if n <= DefaultFirstBlock {
		p := blockPool.Get().(*[]byte)
		rd.pooled = append(rd.pooled, p)
		buf = (*p)[:n]
	} else {
		buf = make([]byte, n)
	}
	rd.reads++
	rd.readBytes += n
	m, err := rd.r.ReadAt(buf, off)
	if m < len(buf) {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("reading %d bytes at offset %d: %w", n, off, err)
	}
	rd.cache = append(rd.cache, span{off, buf})
	return nil
}

// bytes returns [off, off+n), from the cache or with one read of at least
// ahead bytes.
func (rd *reader) bytes(off, n, ahead int64) ([]byte, error) {
	if !rd.inFile(off, n) {
		return nil, fmt.Errorf("%d bytes at offset %d: %w (size %d)", n, off, errBeyondEOF, rd.size)
	}
	if b, ok := rd.cached(off, n); ok {
		return b, nil
	}
	if err := rd.fetch(off, n, ahead); err != nil {
		return nil, err
	}
	b, _ := rd.cached(off, n)
	return b, nil
}

// prefetch reads the uncached ranges with as few reads as possible: ranges
// closer than one first block are merged into a single read.
func (rd *reader) prefetch(ranges [][2]int64) error {
	var todo [][2]int64
	for _, r := range ranges {
		if _, ok := rd.cached(r[0], r[1]-r[0]); !ok && rd.inFile(r[0], r[1]-r[0]) {
			todo = append(todo, r)
		}
	}
	sort.Slice(todo, func(i, j int) bool { return todo[i][0] < todo[j][0] })
	gap := int64(rd.opt.FirstBlock)
	for i := 0; i < len(todo); {
		start, end := todo[i][0], todo[i][1]
		for i++; i < len(todo) && todo[i][0] <= end+gap; i++ {
			end = max(end, todo[i][1])
		}
		if err := rd.fetch(start, end-start, 0); err != nil {
			return err
		}
	}
	return nil
}

// header parses the TIFF/BigTIFF header and returns the first IFD offset.
func (rd *reader) header() (int64, error) {
	b, err := rd.bytes(0, 8, int64(rd.opt.FirstBlock))
	if err != nil {
		return 0, fmt.Errorf("geotiff: not a TIFF file: %w", err)
	}
	switch string(b[:2]) {
	case "II":
		rd.bo = binary.LittleEndian
	case "MM":
		rd.bo = binary.BigEndian
	default:
		return 0, fmt.Errorf("geotiff: not a TIFF file: byte order mark %q", b[:2])
	}
	switch rd.bo.Uint16(b[2:]) {
	case 42:
		return int64(rd.bo.Uint32(b[4:])), nil
	case 43:
		rd.big = true
		if rd.bo.Uint16(b[4:]) != 8 || rd.bo.Uint16(b[6:]) != 0 {
			return 0, errors.New("geotiff: BigTIFF header with offset size other than 8")
		}
		b, err := rd.bytes(8, 8, 0)
		if err != nil {
			return 0, fmt.Errorf("geotiff: truncated BigTIFF header: %w", err)
		}
		off := rd.bo.Uint64(b)
		if off > math.MaxInt64 {
			return 0, fmt.Errorf("geotiff: first IFD offset %d beyond end of file (size %d)", off, rd.size)
		}
		return int64(off), nil
	}
	return 0, fmt.Errorf("geotiff: not a TIFF file: version %d", rd.bo.Uint16(b[2:]))
}

// readIFD parses the IFD at off and returns it with the next IFD offset.
func (rd *reader) readIFD(index int, off int64) (*ifd, int64, error) {
	d := &ifd{index: index, offset: off}
	countSize, entrySize, ptrSize := int64(2), int64(12), int64(4)
	if rd.big {
		countSize, entrySize, ptrSize = 8, 20, 8
	}
	ahead := int64(rd.opt.FirstBlock)
	b, err := rd.bytes(off, countSize, ahead)
	if err != nil {
		return nil, 0, d.errorf("entry count: %v", err)
	}
	var n uint64
	if rd.big {
		n = rd.bo.Uint64(b)
	} else {
		n = uint64(rd.bo.Uint16(b))
	}
	if n == 0 || n > maxEntries {
		return nil, 0, d.errorf("entry count %d out of range [1, %d]", n, maxEntries)
	}
	tbl, err := rd.bytes(off+countSize, int64(n)*entrySize+ptrSize, ahead)
	if err != nil {
		return nil, 0, d.errorf("%d entries: %v", n, err)
	}
	d.end = off + countSize + int64(len(tbl))
	d.entries = make([]entry, 0, min(int(n), len(knownTags)))
	for i := range int64(n) {
		eb := tbl[i*entrySize : (i+1)*entrySize]
		e := entry{tag: rd.bo.Uint16(eb), typ: rd.bo.Uint16(eb[2:])}
		var count uint64
		var val []byte
		if rd.big {
			count, val = rd.bo.Uint64(eb[4:]), eb[12:20]
		} else {
			count, val = uint64(rd.bo.Uint32(eb[4:])), eb[8:12]
		}
		if !knownTags[e.tag] || d.entry(e.tag) != nil {
			continue
		}
		ts := typeSize(e.typ)
		if ts == 0 {
			return nil, 0, d.errorf("tag %d has unknown field type %d", e.tag, e.typ)
		}
		if count == 0 {
			return nil, 0, d.errorf("tag %d has no values", e.tag)
		}
		if count > uint64(rd.opt.MaxTagBytes)/uint64(ts) { //nolint:gosec // G115: withDefaults makes MaxTagBytes > 0
			return nil, 0, d.errorf("tag %d count %d exceeds limit of %d bytes", e.tag, count, rd.opt.MaxTagBytes)
		}
		e.count = int64(count) //nolint:gosec // G115: count ≤ MaxTagBytes (above)
		if sz := e.size(-1); sz <= int64(len(val)) {
			e.inline = val[:sz]
		} else {
			var o uint64
			if rd.big {
				o = rd.bo.Uint64(val)
			} else {
				o = uint64(rd.bo.Uint32(val))
			}
			if o > uint64(rd.size) || !rd.inFile(int64(o), sz) { //nolint:gosec // G115: the size of a file is ≥ 0; int64(o) only once o ≤ it
				return nil, 0, d.errorf("tag %d: %d bytes at offset %d beyond end of file (size %d)", e.tag, sz, o, rd.size)
			}
			e.off = int64(o) //nolint:gosec // G115: o ≤ the file size (above)
		}
		d.entries = append(d.entries, e)
	}
	next := tbl[n*uint64(entrySize):]
	var nx uint64
	if rd.big {
		nx = rd.bo.Uint64(next)
	} else {
		nx = uint64(rd.bo.Uint32(next))
	}
	if nx > uint64(rd.size) { //nolint:gosec // G115: the size of a file is ≥ 0
		return nil, 0, d.errorf("next IFD offset %d beyond end of file (size %d)", nx, rd.size)
	}
	return d, int64(nx), nil //nolint:gosec // G115: nx ≤ the file size (above)
}

// valueRange returns the file range of the first n values of tag (n < 0:
// all), or false when the values are inline or the tag is absent.
func (d *ifd) valueRange(tag uint16, n int64) ([2]int64, bool) {
	e := d.entry(tag)
	if e == nil || e.inline != nil {
		return [2]int64{}, false
	}
	return [2]int64{e.off, e.off + e.size(n)}, true
}

// raw returns the bytes of the first n values of tag (n < 0: all).
func (rd *reader) raw(d *ifd, tag uint16, n int64) (*entry, []byte, error) {
	e := d.entry(tag)
	if e == nil {
		return nil, nil, nil
	}
	if e.inline != nil {
		return e, e.inline[:e.size(n)], nil
	}
	b, err := rd.bytes(e.off, e.size(n), 0)
	if err != nil {
		return nil, nil, d.errorf("tag %d: %v", tag, err)
	}
	return e, b, nil
}

// numbers decodes the first n values of tag (n < 0: all) as float64, for
// any numeric field type. It returns nil when the tag is absent.
func (rd *reader) numbers(d *ifd, tag uint16, n int64) ([]float64, error) {
	e, b, err := rd.raw(d, tag, n)
	if e == nil || err != nil {
		return nil, err
	}
	ts := int(typeSize(e.typ))
	out := make([]float64, 0, len(b)/ts)
	for i := 0; i+ts <= len(b); i += ts {
		v := b[i : i+ts]
		var f float64
		switch e.typ {
		case 1, 7:
			f = float64(v[0])
		case 6:
			f = float64(int8(v[0])) //nolint:gosec // G115: SBYTE: two's complement, as intended
		case 3:
			f = float64(rd.bo.Uint16(v))
		case 8:
			f = float64(int16(rd.bo.Uint16(v))) //nolint:gosec // G115: SSHORT: two's complement, as intended
		case 4, 13:
			f = float64(rd.bo.Uint32(v))
		case 9:
			f = float64(int32(rd.bo.Uint32(v))) //nolint:gosec // G115: SLONG: two's complement, as intended
		case 11:
			f = float64(math.Float32frombits(rd.bo.Uint32(v)))
		case 12:
			f = math.Float64frombits(rd.bo.Uint64(v))
		case 16, 18:
			f = float64(rd.bo.Uint64(v))
		case 17:
			f = float64(int64(rd.bo.Uint64(v))) //nolint:gosec // G115: SLONG8: two's complement, as intended
		case 5:
			f = float64(rd.bo.Uint32(v)) / float64(rd.bo.Uint32(v[4:]))
		case 10:
			f = float64(int32(rd.bo.Uint32(v))) / float64(int32(rd.bo.Uint32(v[4:]))) //nolint:gosec // G115: SRATIONAL: two's complement, as intended
		default: // ASCII
			return nil, d.errorf("tag %d: ASCII where a number is expected", tag)
		}
		out = append(out, f)
	}
	return out, nil
}

// uints decodes the first n values of tag as non-negative integers below
// 2^53; it returns def when the tag is absent.
func (rd *reader) uints(d *ifd, tag uint16, n int64, def ...uint64) ([]uint64, error) {
	fs, err := rd.numbers(d, tag, n)
	if err != nil {
		return nil, err
	}
	if fs == nil {
		return def, nil
	}
	out := make([]uint64, len(fs))
	for i, f := range fs {
		if !(f >= 0 && f <= 1<<53) || f != math.Trunc(f) {
			return nil, d.errorf("tag %d: value %v is not a valid unsigned integer", tag, f)
		}
		out[i] = uint64(f)
	}
	return out, nil
}

// uint returns the first value of tag, or def when the tag is absent.
func (rd *reader) uint(d *ifd, tag uint16, def uint64) (uint64, error) {
	v, err := rd.uints(d, tag, 1, def)
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

// ascii returns the text of an ASCII (or BYTE/UNDEFINED) tag up to the first
// NUL, trimmed of white space; "" when the tag is absent.
func (rd *reader) ascii(d *ifd, tag uint16) (string, error) {
	e, b, err := rd.raw(d, tag, -1)
	if e == nil || err != nil {
		return "", err
	}
	if typeSize(e.typ) != 1 {
		return "", d.errorf("tag %d: field type %d where ASCII is expected", tag, e.typ)
	}
	if i := strings.IndexByte(string(b), 0); i >= 0 {
		b = b[:i]
	}
	return strings.TrimSpace(string(b)), nil
}

// rawASCII returns the bytes of an ASCII (or BYTE/UNDEFINED) tag as they are,
// NULs included; "" when the tag is absent.
func (rd *reader) rawASCII(d *ifd, tag uint16) (string, error) {
	e, b, err := rd.raw(d, tag, -1)
	if e == nil || err != nil {
		return "", err
	}
	if typeSize(e.typ) != 1 {
		return "", d.errorf("tag %d: field type %d where ASCII is expected", tag, e.typ)
	}
	return string(b), nil
}
