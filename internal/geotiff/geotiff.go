package geotiff

import (
	"fmt"
	"io"
	"math"
)

// Default limits used by Read and by ReadWithOptions for zero Options fields.
const (
	DefaultFirstBlock   = 16 << 10
	DefaultMaxIFDs      = 64
	DefaultMaxTagBytes  = 1 << 20
	DefaultMaxReadBytes = 32 << 20
)

// Options sets the size of the first read and the safety limits. Zero fields
// take the Default* values.
type Options struct {
	// FirstBlock is the size of the first read, and of the read-ahead used
	// when an IFD lies outside what has been read. Ranges closer than
	// FirstBlock are coalesced into one read.
	FirstBlock int
	// MaxIFDs caps the number of IFDs followed in the main chain.
	MaxIFDs int
	// MaxTagBytes caps the byte size of any decoded tag value.
	MaxTagBytes int64
	// MaxReadBytes caps the total number of bytes read.
	MaxReadBytes int64
}

func (o Options) withDefaults() Options {
	if o.FirstBlock <= 0 {
		o.FirstBlock = DefaultFirstBlock
	}
	if o.MaxIFDs <= 0 {
		o.MaxIFDs = DefaultMaxIFDs
	}
	if o.MaxTagBytes <= 0 {
		o.MaxTagBytes = DefaultMaxTagBytes
	}
	if o.MaxReadBytes <= 0 {
		o.MaxReadBytes = DefaultMaxReadBytes
	}
	return o
}

// Info is what the header of a TIFF/GeoTIFF says about the raster. The image
// fields describe the full-resolution image (IFD 0).
type Info struct {
	Width, Height   int
	SamplesPerPixel int
	BitsPerSample   int // of the first sample
	// DataType is the STAC raster data_type: int8 int16 int32 int64 uint8
	// uint16 uint32 uint64 float16 float32 float64 cint16 cint32 cfloat32
	// cfloat64, or other. Unsigned samples of fewer than 8 bits are uint8, as
	// GDAL reports them as Byte.
	DataType string
	// NoData comes from the GDAL_NODATA tag (42113); nil when absent.
	NoData *NoData
	// Compression is a lower-case name (none, lzw, deflate, jpeg, packbits,
	// zstd, webp, lerc, lzma, jxl, ...) or "unknown(N)".
	Compression string
	// Predictor (default 1), Planar (PlanarConfiguration, default 1) and
	// Photometric (0 when absent) are the raw TIFF values.
	Predictor, Planar, Photometric int
	Tiled                          bool
	// BlockWidth and BlockHeight are the tile size, or the width and
	// RowsPerStrip (at most the height) of strips.
	BlockWidth, BlockHeight int
	// Overviews counts internal reduced-resolution IFDs (NewSubfileType bit 0
	// set, bit 2 clear); Masks counts IFDs with NewSubfileType bit 2 (mask)
	// set.
	Overviews int
	Masks     int
	// COG reports a Cloud Optimized GeoTIFF layout, as defined in the package
	// documentation.
	COG                bool
	BigTIFF, BigEndian bool
	// DateTime is the TIFF DateTime tag (306) as written, "" if absent.
	DateTime string
	// ModelType is GTModelTypeGeoKey (1 projected, 2 geographic, 3
	// geocentric), 0 when absent.
	ModelType int
	// EPSG is the horizontal CRS code: ProjectedCSTypeGeoKey when present,
	// else GeographicTypeGeoKey unless the model type is projected; 0 when
	// none or user-defined (32767 or private codes above it).
	EPSG int
	// VerticalEPSG is VerticalCSTypeGeoKey, 0 when none or user-defined.
	VerticalEPSG int
	// PixelIsPoint reports GTRasterTypeGeoKey = RasterPixelIsPoint.
	PixelIsPoint bool
	// GeoTransform is in GDAL order [originX, pixelW, rowRotX, originY,
	// colRotY, pixelH], as GDAL computes it (including the half-pixel shift
	// for PixelIsPoint); nil when there is none (no georeferencing, GCPs).
	GeoTransform *[6]float64
	// GCPs is the number of tiepoints when they are ground control points
	// (tiepoints without PixelScale or ModelTransformation): len(GCPList).
	GCPs int
	// GCPList holds those ground control points as GDAL reports them (with
	// PixelIsPoint, half a pixel is added to Pixel and Line); their CRS is
	// the one the GeoKeys describe. Nil when there are none.
	GCPList []GCP
	// GeoKeys is the whole GeoKey directory, for CRSs that have no EPSG
	// code (user-defined keys, ESRI PE strings in citations).
	GeoKeys GeoKeys
	// Bands has one entry per sample, from GDAL_METADATA (42112) when present.
	Bands []Band
	// Reads is the number of ReadAt calls made.
	Reads int
}

// GCP is a ground control point: the raster position (Pixel, Line, in
// pixels from the top-left corner of the image) of a point whose CRS
// coordinates are X, Y, Z.
type GCP struct {
	Pixel, Line float64
	X, Y, Z     float64
}

// GeoKeys is a GeoTIFF GeoKey directory, keyed by GeoKey ID: SHORT values
// stored in GeoKeyDirectoryTag, DOUBLE values from GeoDoubleParamsTag and
// ASCII values from GeoAsciiParamsTag (without the trailing '|'). Its layout
// matches crs.GeoKeys, so that crs.GeoKeys(info.GeoKeys) converts it.
type GeoKeys struct {
	Short  map[int]int
	Double map[int][]float64
	ASCII  map[int]string
}

// NoData is the GDAL_NODATA value.
type NoData struct {
	Value float64 // may be NaN or ±Inf
	Text  string  // the tag's text, trimmed ("nan", "-3.4e+38", "0")
}

// Band is the GDAL per-band metadata of one sample.
type Band struct {
	Description   string
	Scale, Offset *float64
	Unit          string
}

// ProjTransform returns the STAC proj:transform, in rasterio/affine order
// [a, b, c, d, e, f] with x = a*col + b*row + c and y = d*col + e*row + f,
// or nil when there is no geotransform.
func (i *Info) ProjTransform() []float64 {
	if i == nil || i.GeoTransform == nil {
		return nil
	}
	g := i.GeoTransform
	return []float64{g[1], g[2], g[0], g[4], g[5], g[3]}
}

// Read parses the header of a TIFF/BigTIFF of the given size with the default
// Options.
func Read(r io.ReaderAt, size int64) (*Info, error) {
	return ReadWithOptions(r, size, Options{})
}

// ReadWithOptions parses the header of a TIFF/BigTIFF of the given size.
func ReadWithOptions(r io.ReaderAt, size int64, opt Options) (*Info, error) {
	if size < 8 {
		return nil, fmt.Errorf("geotiff: not a TIFF file: size %d is smaller than a TIFF header", size)
	}
	rd := &reader{r: r, size: size, opt: opt.withDefaults()}
	defer rd.release()
	info, err := rd.read()
	if info != nil {
		info.Reads = rd.reads
	}
	return info, err
}

// ifds reads the header and walks the IFD chain (at most MaxIFDs, no
// loops). Everything in the first block costs no read.
func (rd *reader) ifds() ([]*ifd, error) {
	off, err := rd.header()
	if err != nil {
		return nil, err
	}
	var ifds []*ifd
	seen := map[int64]bool{}
	for off != 0 {
		if len(ifds) == rd.opt.MaxIFDs {
			return nil, fmt.Errorf("geotiff: IFD %d at offset %d: more than %d IFDs", len(ifds), off, rd.opt.MaxIFDs)
		}
		if seen[off] {
			return nil, fmt.Errorf("geotiff: IFD %d at offset %d: IFD loop (offset already visited)", len(ifds), off)
		}
		seen[off] = true
		d, next, err := rd.readIFD(len(ifds), off)
		if err != nil {
			return nil, err
		}
		ifds = append(ifds, d)
		off = next
	}
	if len(ifds) == 0 {
		return nil, fmt.Errorf("geotiff: no IFD (first IFD offset is 0)")
	}
	return ifds, nil
}

// subfile is what the COG analysis needs from each IFD.
type subfile struct {
	kind          uint64 // NewSubfileType
	width, height uint64
	tiled         bool
	firstData     int64 // smallest known non-zero data offset, -1 if none
	ifdEnd        int64 // end of the IFD's entry table
}

func (rd *reader) read() (*Info, error) {
	ifds, err := rd.ifds()
	if err != nil {
		return nil, err
	}
	// One coalesced pass for every out-of-block value needed: all of IFD 0's
	// tags, and the first data offset of every IFD.
	var ranges [][2]int64
	for _, e := range ifds[0].entries {
		if tag := e.tag; tag != tagStripOffsets && tag != tagTileOffsets && tag != tagStripByteCounts && tag != tagTileByteCounts {
			if r, ok := ifds[0].valueRange(tag, -1); ok {
				ranges = append(ranges, r)
			}
		}
	}
	for _, d := range ifds {
		for _, tag := range []uint16{tagStripOffsets, tagTileOffsets} {
			if r, ok := d.valueRange(tag, 1); ok {
				ranges = append(ranges, r)
			}
		}
	}
	if err := rd.prefetch(ranges); err != nil {
		return nil, fmt.Errorf("geotiff: %w", err)
	}

	info, err := rd.image(ifds[0])
	if err != nil {
		return nil, err
	}
	subs := make([]subfile, len(ifds))
	for i, d := range ifds {
		if subs[i], err = rd.subfile(d); err != nil {
			return nil, err
		}
		if i > 0 && subs[i].kind&4 != 0 {
			info.Masks++
		} else if i > 0 && subs[i].kind&1 != 0 {
			info.Overviews++
		}
	}
	info.COG = isCOG(subs)
	if err := rd.geo(ifds[0], info); err != nil {
		return nil, err
	}
	return info, nil
}

// Safety bounds on image dimensions.
const (
	maxDimension = math.MaxInt32
	maxSamples   = 65535
)

// image decodes the image structure of the full-resolution IFD.
func (rd *reader) image(d *ifd) (*Info, error) {
	info := &Info{BigTIFF: rd.big, BigEndian: rd.bo.Uint16([]byte{0, 1}) == 1}
	vals := map[uint16]uint64{
		tagImageWidth: 0, tagImageLength: 0, tagSamplesPerPixel: 1, tagCompression: 1,
		tagPredictor: 1, tagPlanarConfig: 1, tagPhotometric: 0,
		tagRowsPerStrip: math.MaxUint32, tagTileWidth: 0, tagTileLength: 0,
	}
	for tag, def := range vals {
		v, err := rd.uint(d, tag, def)
		if err != nil {
			return nil, err
		}
		vals[tag] = v
	}
	w, h, spp := vals[tagImageWidth], vals[tagImageLength], vals[tagSamplesPerPixel]
	if w == 0 || h == 0 || w > maxDimension || h > maxDimension {
		return nil, d.errorf("invalid image size %dx%d", w, h)
	}
	if spp == 0 || spp > maxSamples {
		return nil, d.errorf("invalid SamplesPerPixel %d", spp)
	}
	info.Width, info.Height, info.SamplesPerPixel = int(w), int(h), int(spp)
	info.Compression = compressionName(vals[tagCompression])
	info.Predictor, info.Planar, info.Photometric = int(min(vals[tagPredictor], 1<<16)), int(min(vals[tagPlanarConfig], 1<<16)), int(min(vals[tagPhotometric], 1<<16))

	bits, err := rd.uints(d, tagBitsPerSample, -1, 1)
	if err != nil {
		return nil, err
	}
	formats, err := rd.uints(d, tagSampleFormat, -1, 1)
	if err != nil {
		return nil, err
	}
	info.BitsPerSample = int(min(bits[0], 1<<16))
	info.DataType = dataType(bits, formats)

	// Blocks: the offsets must cover every block of the image.
	bw, bh := w, min(vals[tagRowsPerStrip], h)
	offsetsTag := uint16(tagStripOffsets)
	if d.entry(tagTileWidth) != nil {
		info.Tiled = true
		bw, bh, offsetsTag = vals[tagTileWidth], vals[tagTileLength], tagTileOffsets
	}
	if bw == 0 || bh == 0 || bw > maxDimension || bh > maxDimension {
		return nil, d.errorf("invalid block size %dx%d", bw, bh)
	}
	info.BlockWidth, info.BlockHeight = int(bw), int(bh)
	e := d.entry(offsetsTag)
	if e == nil {
		return nil, d.errorf("missing tag %d (block offsets)", offsetsTag)
	}
	blocks := ((w + bw - 1) / bw) * ((h + bh - 1) / bh)
	perPlane := uint64(e.count) //nolint:gosec // G115: a count is checked against MaxTagBytes (> 0) when read
	if info.Planar == 2 {
		perPlane /= spp
	}
	if perPlane < blocks {
		return nil, d.errorf("tag %d has %d offsets for %d blocks", offsetsTag, e.count, blocks)
	}
	if info.DateTime, err = rd.ascii(d, tagDateTime); err != nil {
		return nil, err
	}
	return info, nil
}

// subfile decodes what the COG analysis needs from an IFD.
func (rd *reader) subfile(d *ifd) (subfile, error) {
	s := subfile{ifdEnd: d.end}
	var err error
	if s.kind, err = rd.uint(d, tagNewSubfileType, 0); err != nil {
		return s, err
	}
	if s.width, err = rd.uint(d, tagImageWidth, 0); err != nil {
		return s, err
	}
	if s.height, err = rd.uint(d, tagImageLength, 0); err != nil {
		return s, err
	}
	tag := uint16(tagStripOffsets)
	if s.tiled = d.entry(tagTileWidth) != nil; s.tiled {
		tag = tagTileOffsets
	}
	s.firstData = -1
	e := d.entry(tag)
	if e == nil {
		return s, nil
	}
	// The whole offsets array when it is already in memory, else its first
	// value (prefetched).
	n := int64(1)
	if _, ok := rd.cached(e.off, e.size(-1)); ok || e.inline != nil {
		n = -1
	}
	offs, err := rd.uints(d, tag, n)
	if err != nil {
		return s, err
	}
	for _, o := range offs {
		if o != 0 && (s.firstData < 0 || int64(o) < s.firstData) { //nolint:gosec // G115: uints returns values ≤ 2^53
			s.firstData = int64(o) //nolint:gosec // G115: as above
		}
	}
	return s, nil
}

// isCOG applies the COG definition of the package documentation.
func isCOG(subs []subfile) bool {
	main := subs[0]
	overviews := 0
	prevW := main.width
	firstData, ifdsEnd := int64(math.MaxInt64), int64(0)
	for i, s := range subs {
		if !s.tiled || s.firstData < 0 {
			return false
		}
		firstData, ifdsEnd = min(firstData, s.firstData), max(ifdsEnd, s.ifdEnd)
		if i == 0 || s.kind&4 != 0 {
			continue
		}
		if s.kind&1 == 0 || s.width >= prevW {
			return false // a second full-resolution image, or unordered overviews
		}
		prevW = s.width
		overviews++
	}
	if overviews == 0 && (main.width > 512 || main.height > 512) {
		return false
	}
	return ifdsEnd <= firstData
}

// compressionName maps a TIFF Compression value to a lower-case name.
func compressionName(c uint64) string {
	switch c {
	case 1:
		return "none"
	case 2:
		return "ccittrle"
	case 3:
		return "ccittfax3"
	case 4:
		return "ccittfax4"
	case 5:
		return "lzw"
	case 6:
		return "ojpeg"
	case 7:
		return "jpeg"
	case 8, 32946:
		return "deflate"
	case 32773:
		return "packbits"
	case 34712:
		return "jpeg2000"
	case 34887:
		return "lerc"
	case 34925:
		return "lzma"
	case 50000:
		return "zstd"
	case 50001:
		return "webp"
	case 50002, 52546:
		return "jxl"
	}
	return fmt.Sprintf("unknown(%d)", c)
}

// dataType maps BitsPerSample and SampleFormat to a STAC data_type; samples
// of different types give "other".
func dataType(bits, formats []uint64) string {
	dt := ""
	for i, b := range bits {
		f := formats[min(i, len(formats)-1)]
		t := sampleType(b, f)
		if dt != "" && t != dt {
			return "other"
		}
		dt = t
	}
	return dt
}

func sampleType(bits, format uint64) string {
	switch format {
	case 1, 4: // unsigned, void
		switch {
		case bits <= 8:
			return "uint8"
		case bits <= 16:
			return "uint16"
		case bits <= 32:
			return "uint32"
		case bits <= 64:
			return "uint64"
		}
	case 2:
		switch bits {
		case 8:
			return "int8"
		case 16:
			return "int16"
		case 32:
			return "int32"
		case 64:
			return "int64"
		}
	case 3:
		switch bits {
		case 16:
			return "float16"
		case 32:
			return "float32"
		case 64:
			return "float64"
		}
	case 5:
		switch bits {
		case 32:
			return "cint16"
		case 64:
			return "cint32"
		}
	case 6:
		switch bits {
		case 64:
			return "cfloat32"
		case 128:
			return "cfloat64"
		}
	}
	return "other"
}
