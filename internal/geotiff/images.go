package geotiff

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// DefaultMaxSampleBytes is the default of ImageOptions.MaxSampleBytes.
const DefaultMaxSampleBytes = 256 << 20

// ImageOptions sets the limits of ReadImages: those of Read for the
// headers (MaxReadBytes counts header reads only), and MaxSampleBytes for
// the pixel data.
type ImageOptions struct {
	Options
	// MaxSampleBytes caps the memory of decoded samples: the float32 slices
	// returned by all Samples calls of one Images together (4 bytes per
	// value), and the decoded size of any one block. The compressed bytes of
	// a block may not exceed twice its decoded size (plus 1 KiB), so the
	// bytes read for samples stay within about twice this cap. Zero means
	// DefaultMaxSampleBytes.
	MaxSampleBytes int64
}

// Image is one image (IFD) of a TIFF: its structure, georeferencing and GDAL
// metadata, as ReadImages returns them; Images.Samples decodes its pixels.
type Image struct {
	// Index is the position of the IFD in the chain, from 0.
	Index int
	// SubfileType is the NewSubfileType tag (0 when absent).
	SubfileType int
	Width       int
	Height      int
	// SamplesPerPixel is the number of bands.
	SamplesPerPixel int
	// BitsPerSample and SampleFormat (1 unsigned, 2 signed, 3 IEEE float)
	// are those of the first sample; DataType is as Info.DataType.
	BitsPerSample, SampleFormat int
	DataType                    string
	// Compression, Predictor and Planar are as in Info.
	Compression       string
	Predictor, Planar int
	Tiled             bool
	// BlockWidth and BlockHeight are the tile size, or the width and
	// RowsPerStrip (at most the height) of strips.
	BlockWidth, BlockHeight int
	// GeoKeys is the IFD's GeoKey directory (empty maps when absent).
	GeoKeys GeoKeys
	// PixelIsPoint reports GTRasterTypeGeoKey = RasterPixelIsPoint.
	PixelIsPoint bool
	// GeoTransform is as Info.GeoTransform: GDAL's, pixel corners; nil when
	// there is none.
	GeoTransform *[6]float64
	// PixelScale, Tiepoints and ModelTransformation are the raw GeoTIFF
	// tags (nil when absent), for readers with conventions of their own
	// (PROJ's grids).
	PixelScale, Tiepoints, ModelTransformation []float64
	// Metadata lists the items of the GDAL_METADATA tag in file order.
	Metadata []MetadataItem
	// NoData comes from the GDAL_NODATA tag; nil when absent.
	NoData *NoData

	bits, format   int
	offsets, sizes []uint64 // per block
	across, down   int      // blocks per row and per column of one plane
}

// MetadataItem is one <Item> of the GDAL_METADATA XML.
type MetadataItem struct {
	Name string
	// Sample is the band (from 0) the item describes, -1 for the dataset.
	Sample int
	Role   string
	Value  string
}

// Item returns the value of the last item with that name and sample (-1:
// a dataset item), as PROJ reads grid metadata.
func (im *Image) Item(name string, sample int) (string, bool) {
	for i := len(im.Metadata) - 1; i >= 0; i-- {
		if it := im.Metadata[i]; it.Name == name && it.Sample == sample {
			return it.Value, true
		}
	}
	return "", false
}

// Images is the IFD chain of a TIFF read by ReadImages. It keeps the reader
// to decode samples on demand; it is not safe for concurrent use.
type Images struct {
	List []*Image

	rd       *reader
	maxBytes int64
	used     int64  // bytes of samples returned
	buf, raw []byte // decoded and compressed block buffers
	tmp      []byte // a row, for the floating-point predictor
}

// Reads returns the number of ReadAt calls made so far.
func (s *Images) Reads() int { return s.rd.reads }

// ReadImages parses every IFD of a TIFF/BigTIFF (full-resolution images,
// overviews, masks, sub-grids alike; at most MaxIFDs) for its structure,
// GeoTIFF tags and GDAL metadata. Pixel data is read by Samples.
func ReadImages(r io.ReaderAt, size int64, opt ImageOptions) (*Images, error) {
	if size < 8 {
		return nil, fmt.Errorf("geotiff: not a TIFF file: size %d is smaller than a TIFF header", size)
	}
	rd := &reader{r: r, size: size, opt: opt.Options.withDefaults()}
	s := &Images{rd: rd, maxBytes: opt.MaxSampleBytes}
	if s.maxBytes <= 0 {
		s.maxBytes = DefaultMaxSampleBytes
	}
	ifds, err := rd.ifds()
	if err != nil {
		return nil, err
	}
	var ranges [][2]int64
	for _, d := range ifds {
		for _, e := range d.entries {
			if r, ok := d.valueRange(e.tag, -1); ok {
				ranges = append(ranges, r)
			}
		}
	}
	if err := rd.prefetch(ranges); err != nil {
		return nil, fmt.Errorf("geotiff: %w", err)
	}
	for _, d := range ifds {
		im, err := rd.imageOf(d)
		if err != nil {
			return nil, err
		}
		s.List = append(s.List, im)
	}
	return s, nil
}

// imageOf decodes the structure, georeferencing and metadata of an IFD.
func (rd *reader) imageOf(d *ifd) (*Image, error) {
	im := &Image{Index: d.index}
	vals := map[uint16]uint64{
		tagNewSubfileType: 0, tagImageWidth: 0, tagImageLength: 0, tagSamplesPerPixel: 1,
		tagCompression: 1, tagPredictor: 1, tagPlanarConfig: 1,
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
	im.SubfileType = int(min(vals[tagNewSubfileType], math.MaxInt32))
	im.Width, im.Height, im.SamplesPerPixel = int(w), int(h), int(spp)
	im.Compression = compressionName(vals[tagCompression])
	im.Predictor, im.Planar = int(min(vals[tagPredictor], 1<<16)), int(min(vals[tagPlanarConfig], 1<<16))
	bits, err := rd.uints(d, tagBitsPerSample, -1, 1)
	if err != nil {
		return nil, err
	}
	formats, err := rd.uints(d, tagSampleFormat, -1, 1)
	if err != nil {
		return nil, err
	}
	im.BitsPerSample, im.SampleFormat = int(min(bits[0], 1<<16)), int(min(formats[0], 1<<16))
	im.DataType = dataType(bits, formats)
	im.bits, im.format = im.BitsPerSample, im.SampleFormat
	for i := range int(spp) {
		if b, f := bits[min(i, len(bits)-1)], formats[min(i, len(formats)-1)]; b != bits[0] || f != formats[0] {
			im.bits = 0 // mixed sample types: Samples refuses them
		}
	}

	bw, bh := w, min(vals[tagRowsPerStrip], h)
	offTag, sizeTag := uint16(tagStripOffsets), uint16(tagStripByteCounts)
	if d.entry(tagTileWidth) != nil {
		im.Tiled = true
		bw, bh, offTag, sizeTag = vals[tagTileWidth], vals[tagTileLength], tagTileOffsets, tagTileByteCounts
	}
	if bw == 0 || bh == 0 || bw > maxDimension || bh > maxDimension {
		return nil, d.errorf("invalid block size %dx%d", bw, bh)
	}
	im.BlockWidth, im.BlockHeight = int(bw), int(bh)
	im.across, im.down = int((w+bw-1)/bw), int((h+bh-1)/bh) //nolint:gosec // G115: w, h ≤ maxDimension (MaxInt32), checked above
	if im.offsets, err = rd.uints(d, offTag, -1); err != nil {
		return nil, err
	}
	if im.sizes, err = rd.uints(d, sizeTag, -1); err != nil {
		return nil, err
	}
	blocks := uint64(im.across) * uint64(im.down) //nolint:gosec // G115: across and down are positive (≤ MaxInt32): the product is < 2^62
	if im.Planar == 2 && blocks <= uint64(len(im.offsets)) {
		blocks *= spp // no overflow: the offsets are few
	}
	if uint64(len(im.offsets)) < blocks || uint64(len(im.sizes)) < blocks {
		return nil, d.errorf("tags %d/%d have %d/%d values for %d blocks", offTag, sizeTag, len(im.offsets), len(im.sizes), blocks)
	}
	im.offsets, im.sizes = im.offsets[:blocks], im.sizes[:blocks]

	if im.GeoKeys, err = rd.geoKeys(d); err != nil {
		return nil, err
	}
	im.PixelIsPoint = im.GeoKeys.Short[keyRasterType] == rasterPixelIsPoint
	if im.PixelScale, err = rd.numbers(d, tagPixelScale, -1); err != nil {
		return nil, err
	}
	if im.Tiepoints, err = rd.numbers(d, tagTiepoint, -1); err != nil {
		return nil, err
	}
	if im.ModelTransformation, err = rd.numbers(d, tagTransformation, -1); err != nil {
		return nil, err
	}
	geo := &Info{PixelIsPoint: im.PixelIsPoint}
	if err := rd.georeferencing(d, geo); err != nil {
		return nil, err
	}
	im.GeoTransform = geo.GeoTransform

	text, err := rd.ascii(d, tagGDALNoData)
	if err != nil {
		return nil, err
	}
	if d.entry(tagGDALNoData) != nil {
		im.NoData = &NoData{Value: parseFloatPrefix(text), Text: text}
	}
	md, err := rd.ascii(d, tagGDALMetadata)
	if err != nil {
		return nil, err
	}
	im.Metadata = metadataItems(md)
	return im, nil
}

// metadataItems returns the items of the GDAL_METADATA XML (none when it is
// malformed, as GDAL ignores it then).
func metadataItems(text string) []MetadataItem {
	var md gdalMetadata
	if text == "" || xml.Unmarshal([]byte(text), &md) != nil {
		return nil
	}
	var out []MetadataItem
	for _, it := range md.Items {
		s := -1
		if it.Sample != "" {
			v, err := strconv.Atoi(strings.TrimSpace(it.Sample))
			if err != nil || v < 0 {
				continue
			}
			s = v
		}
		out = append(out, MetadataItem{Name: it.Name, Sample: s, Role: it.Role, Value: it.Value})
	}
	return out
}

// Samples decodes band sample (from 0) of image index of the list: Width ×
// Height values, row by row from the top row of the file, as float32 (exact
// for 8- and 16-bit integers and float32; 32-bit integers beyond 2^24 and
// float64 are rounded). No scale, offset or nodata is applied; a sparse
// block (offset and byte count 0, as GDAL writes) reads as the nodata
// value, or 0. Compressions: none, DEFLATE, LZW; predictors: none,
// horizontal (2), floating point (3); planar configurations 1 and 2;
// strips or tiles; integers of 8, 16 or 32 bits, floats of 32 or 64 bits.
func (s *Images) Samples(index, sample int) ([]float32, error) {
	if index < 0 || index >= len(s.List) {
		return nil, fmt.Errorf("geotiff: no image %d (%d images)", index, len(s.List))
	}
	im := s.List[index]
	if sample < 0 || sample >= im.SamplesPerPixel {
		return nil, fmt.Errorf("geotiff: IFD %d: no sample %d (%d samples per pixel)", im.Index, sample, im.SamplesPerPixel)
	}
	bps := im.bits / 8
	if err := im.supported(); err != nil {
		return nil, fmt.Errorf("geotiff: IFD %d: %v", im.Index, err)
	}
	n := int64(im.Width) * int64(im.Height)
	if float64(n)*4 > float64(s.maxBytes-s.used) {
		return nil, fmt.Errorf("geotiff: IFD %d: decoding %d samples would exceed the limit of %d bytes", im.Index, n, s.maxBytes)
	}
	spp := 1
	if im.Planar != 2 {
		spp = im.SamplesPerPixel
	}
	bw, bh := im.BlockWidth, im.BlockHeight
	if full := float64(bw) * float64(bh) * float64(spp) * float64(bps); full > float64(s.maxBytes) {
		return nil, fmt.Errorf("geotiff: IFD %d: a block of %.0f bytes exceeds the limit of %d bytes", im.Index, full, s.maxBytes)
	}
	fill := float32(0)
	if im.NoData != nil {
		fill = float32(im.NoData.Value)
	}
	out := make([]float32, n)
	s.used += 4 * n
	perPlane := im.across * im.down
	for by := range im.down {
		rows := bh
		if !im.Tiled {
			rows = min(bh, im.Height-by*bh) // the last strip may be shorter
		}
		for bx := range im.across {
			k := by*im.across + bx
			if im.Planar == 2 {
				k += sample * perPlane
			}
			x0, y0 := bx*bw, by*bh
			cw, ch := min(bw, im.Width-x0), min(rows, im.Height-y0)
			if im.offsets[k] == 0 && im.sizes[k] == 0 {
				for y := range ch {
					row := out[(y0+y)*im.Width+x0:]
					for x := range cw {
						row[x] = fill
					}
				}
				continue
			}
			blk, bo, err := s.block(im, k, bw, rows, spp, bps)
			if err != nil {
				return nil, fmt.Errorf("geotiff: IFD %d block %d: %v", im.Index, k, err)
			}
			si := 0
			if im.Planar != 2 {
				si = sample
			}
			for y := range ch {
				row := out[(y0+y)*im.Width+x0:]
				p := blk[(y*bw*spp+si)*bps:]
				for x := range cw {
					row[x] = im.value(p[x*spp*bps:], bo)
				}
			}
		}
	}
	return out, nil
}

// supported tells whether Samples can decode the image.
func (im *Image) supported() error {
	switch {
	case im.bits == 0:
		return fmt.Errorf("samples of different types are not supported")
	case im.format == 1 || im.format == 2:
		if im.bits != 8 && im.bits != 16 && im.bits != 32 {
			return fmt.Errorf("%d-bit integer samples are not supported", im.bits)
		}
	case im.format == 3:
		if im.bits != 32 && im.bits != 64 {
			return fmt.Errorf("%d-bit floating-point samples are not supported", im.bits)
		}
	default:
		return fmt.Errorf("SampleFormat %d is not supported", im.format)
	}
	switch im.Compression {
	case "none", "deflate", "lzw":
	default:
		return fmt.Errorf("compression %s is not supported", im.Compression)
	}
	switch im.Predictor {
	case 1, 2:
	case 3:
		if im.format != 3 {
			return fmt.Errorf("floating-point predictor with SampleFormat %d", im.format)
		}
	default:
		return fmt.Errorf("predictor %d is not supported", im.Predictor)
	}
	if im.Planar != 1 && im.Planar != 2 {
		return fmt.Errorf("PlanarConfiguration %d is not supported", im.Planar)
	}
	return nil
}

// value decodes one sample at p.
func (im *Image) value(p []byte, bo binary.ByteOrder) float32 {
	switch im.bits {
	case 8:
		if im.format == 2 {
			return float32(int8(p[0])) //nolint:gosec // G115: a signed sample: two's complement, as intended
		}
		return float32(p[0])
	case 16:
		if im.format == 2 {
			return float32(int16(bo.Uint16(p))) //nolint:gosec // G115: a signed sample: two's complement, as intended
		}
		return float32(bo.Uint16(p))
	case 32:
		switch im.format {
		case 3:
			return math.Float32frombits(bo.Uint32(p))
		case 2:
			return float32(int32(bo.Uint32(p))) //nolint:gosec // G115: a signed sample: two's complement, as intended
		}
		return float32(bo.Uint32(p))
	}
	return float32(math.Float64frombits(bo.Uint64(p))) // 64-bit float
}

// block reads, decompresses and un-predicts block k (rows rows of width bw,
// spp interleaved samples of bps bytes) and returns it with the byte order
// of its samples.
func (s *Images) block(im *Image, k, bw, rows, spp, bps int) ([]byte, binary.ByteOrder, error) {
	rd := s.rd
	need := bw * rows * spp * bps
	off, size := im.offsets[k], im.sizes[k]
	if im.Compression == "none" {
		if size < uint64(need) { //nolint:gosec // G115: need is a product of positive sizes
			return nil, nil, fmt.Errorf("%d bytes for %d decoded bytes", size, need)
		}
		size = uint64(need) //nolint:gosec // G115: as above
	} else if size > 2*uint64(need)+1024 { //nolint:gosec // G115: as above
		return nil, nil, fmt.Errorf("%d compressed bytes for %d decoded bytes", size, need)
	}
	if off > uint64(rd.size) || !rd.inFile(int64(off), int64(size)) { //nolint:gosec // G115: the size of a file is ≥ 0; off ≤ it; a size ≥ 2^63 becomes negative, which inFile refuses
		return nil, nil, fmt.Errorf("%d bytes at offset %d: %v (size %d)", size, off, errBeyondEOF, rd.size)
	}
	if cap(s.raw) < int(size) { //nolint:gosec // G115: size ≤ the file size (inFile above)
		s.raw = make([]byte, size)
	}
	raw := s.raw[:size]
	rd.reads++
	if m, err := rd.r.ReadAt(raw, int64(off)); m < len(raw) { //nolint:gosec // G115: off ≤ the file size (above)
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, nil, fmt.Errorf("reading %d bytes at offset %d: %w", size, off, err)
	}
	var blk []byte
	switch im.Compression {
	case "none":
		blk = raw
	case "deflate":
		if cap(s.buf) < need {
			s.buf = make([]byte, need)
		}
		blk = s.buf[:need]
		zr, err := zlib.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, nil, fmt.Errorf("DEFLATE: %v", err)
		}
		if _, err := io.ReadFull(zr, blk); err != nil {
			return nil, nil, fmt.Errorf("DEFLATE: %v", err)
		}
	case "lzw":
		if cap(s.buf) < need {
			s.buf = make([]byte, need)
		}
		blk = s.buf[:need]
		if err := lzwDecode(raw, blk); err != nil {
			return nil, nil, fmt.Errorf("LZW: %v", err)
		}
	}
	bo := rd.bo
	rowLen := bw * spp // samples per row
	switch im.Predictor {
	case 2:
		for r := range rows {
			horizontalAcc(blk[r*rowLen*bps:(r+1)*rowLen*bps], spp, bps, rd.bo)
		}
	case 3:
		if cap(s.tmp) < rowLen*bps {
			s.tmp = make([]byte, rowLen*bps)
		}
		for r := range rows {
			floatAcc(blk[r*rowLen*bps:(r+1)*rowLen*bps], s.tmp[:rowLen*bps], spp, bps)
		}
		bo = binary.BigEndian // floatAcc leaves the most significant byte first
	}
	return blk, bo, nil
}

// horizontalAcc undoes TIFF predictor 2 on one row: each sample adds the
// sample stride positions before it, in integers of bps bytes (modulo 2^bits).
func horizontalAcc(row []byte, stride, bps int, bo binary.ByteOrder) {
	n := len(row) / bps
	for i := stride; i < n; i++ {
		p, q := row[i*bps:], row[(i-stride)*bps:]
		switch bps {
		case 1:
			p[0] += q[0]
		case 2:
			bo.PutUint16(p, bo.Uint16(p)+bo.Uint16(q))
		case 4:
			bo.PutUint32(p, bo.Uint32(p)+bo.Uint32(q))
		case 8:
			bo.PutUint64(p, bo.Uint64(p)+bo.Uint64(q))
		}
	}
}

// floatAcc undoes TIFF predictor 3 (floating point) on one row, as libtiff
// does: bytes are differenced with a stride of the samples per pixel, and
// laid out in planes, the most significant bytes of every sample first. The
// row is left with each sample's bytes most significant first.
func floatAcc(row, tmp []byte, stride, bps int) {
	for i := stride; i < len(row); i++ {
		row[i] += row[i-stride]
	}
	copy(tmp, row)
	wc := len(row) / bps
	for i := range wc {
		for b := range bps {
			row[i*bps+b] = tmp[b*wc+i]
		}
	}
}
