package geotiff

import (
	"encoding/xml"
	"errors"
	"math"
	"strconv"
	"strings"
)

// GeoKeys used by the package.
const (
	keyModelType     = 1024
	keyRasterType    = 1025
	keyGeographic    = 2048
	keyProjected     = 3072
	keyVertical      = 4096
	keyVerticalUnits = 4099

	rasterPixelIsPoint = 2
	modelProjected     = 1
	userDefined        = 32767
)

// geo decodes the GeoTIFF and GDAL tags of the full-resolution IFD.
func (rd *reader) geo(d *ifd, info *Info) error {
	text, err := rd.ascii(d, tagGDALNoData)
	if err != nil {
		return err
	}
	if d.entry(tagGDALNoData) != nil {
		info.NoData = &NoData{Value: parseFloatPrefix(text), Text: text}
	}

	gk, err := rd.geoKeys(d)
	if err != nil {
		return err
	}
	info.GeoKeys = gk
	keys := gk.Short
	info.ModelType = keys[keyModelType]
	info.PixelIsPoint = keys[keyRasterType] == rasterPixelIsPoint
	if v, ok := keys[keyProjected]; ok {
		info.EPSG = epsgCode(v)
	} else if info.ModelType != modelProjected {
		info.EPSG = epsgCode(keys[keyGeographic])
	}
	info.VerticalEPSG = epsgCode(keys[keyVertical])

	if err := rd.georeferencing(d, info); err != nil {
		return err
	}

	info.Bands = make([]Band, info.SamplesPerPixel)
	md, err := rd.ascii(d, tagGDALMetadata)
	if err != nil {
		return err
	}
	applyGDALMetadata(md, info.Bands)
	if unit := verticalUnits[keys[keyVerticalUnits]]; unit != "" {
		for i := range info.Bands {
			if info.Bands[i].Unit == "" {
				info.Bands[i].Unit = unit
			}
		}
	}
	return nil
}

// verticalUnits names the usual VerticalUnitsGeoKey codes as GDAL does when
// it reports a band's unit type.
var verticalUnits = map[int]string{9001: "metre", 9002: "foot", 9003: "US survey foot"}

// epsgCode returns an EPSG code, or 0 for none and user-defined or private
// codes.
func epsgCode(v int) int {
	if v <= 0 || v >= userDefined {
		return 0
	}
	return v
}

// geoKeys decodes the GeoKey directory (GeoKeyDirectoryTag) with the values
// it points to in GeoDoubleParamsTag and GeoAsciiParamsTag, the way
// libgeotiff does: SHORT keys stored in the directory itself (count 1),
// DOUBLE keys as slices of the double parameters, ASCII keys as substrings of
// the ASCII parameters with the trailing '|' separator removed. Malformed
// entries (offsets out of range, unknown locations) are skipped, as libgeotiff
// and GDAL read what they can.
func (rd *reader) geoKeys(d *ifd) (GeoKeys, error) {
	keys := GeoKeys{Short: map[int]int{}}
	dir, err := rd.uints(d, tagGeoKeyDirectory, -1)
	if err != nil || len(dir) < 4 {
		return keys, err
	}
	// A GeoDoubleParams or GeoAsciiParams tag of the wrong type is ignored
	// (its keys are skipped) rather than failing the whole header.
	dbl, _ := rd.numbers(d, tagGeoDoubleParams, -1)
	asc, _ := rd.rawASCII(d, tagGeoASCIIParams)
	n := min(dir[3], uint64(len(dir))/4-1)
	for i := 1; uint64(i) <= n; i++ {
		key, loc, count, val := dir[4*i], dir[4*i+1], dir[4*i+2], dir[4*i+3]
		if key > math.MaxUint16 || val > math.MaxUint16 {
			continue // the directory's entries are SHORTs
		}
		switch loc {
		case 0:
			if count == 1 {
				keys.Short[int(key)] = int(val)
			}
		case tagGeoDoubleParams:
			if count == 0 || val+count > uint64(len(dbl)) {
				continue
			}
			if keys.Double == nil {
				keys.Double = map[int][]float64{}
			}
			keys.Double[int(key)] = append([]float64(nil), dbl[val:val+count]...)
		case tagGeoASCIIParams:
			if count == 0 || val+count > uint64(len(asc)) {
				continue
			}
			s := strings.TrimSuffix(asc[val:val+count], "|")
			if i := strings.IndexByte(s, 0); i >= 0 {
				s = s[:i]
			}
			if keys.ASCII == nil {
				keys.ASCII = map[int]string{}
			}
			keys.ASCII[int(key)] = s
		}
	}
	return keys, nil
}

// georeferencing sets GeoTransform or GCPs the way GDAL does: PixelScale with
// a tiepoint first, then ModelTransformation, else the tiepoints are GCPs.
func (rd *reader) georeferencing(d *ifd, info *Info) error {
	scale, err := rd.numbers(d, tagPixelScale, -1)
	if err != nil {
		return err
	}
	ties, err := rd.numbers(d, tagTiepoint, -1)
	if err != nil {
		return err
	}
	mt, err := rd.numbers(d, tagTransformation, -1)
	if err != nil {
		return err
	}
	var gt [6]float64
	switch {
	case len(scale) >= 2 && scale[0] != 0 && scale[1] != 0:
		if len(ties) < 6 {
			return nil
		}
		gt = [6]float64{0, scale[0], 0, 0, 0, -scale[1]}
		gt[0] = ties[3] - ties[0]*gt[1]
		gt[3] = ties[4] - ties[1]*gt[5]
	case len(mt) == 16:
		gt = [6]float64{mt[3], mt[0], mt[1], mt[7], mt[4], mt[5]}
	default:
		// GDAL: every tiepoint is a GCP (pixel, line) -> (X, Y, Z); with
		// PixelIsPoint the pixel/line refer to pixel centres and GDAL adds
		// half a pixel to both.
		info.GCPs = len(ties) / 6
		shift := 0.0
		if info.PixelIsPoint {
			shift = 0.5
		}
		for i := 0; i+6 <= len(ties); i += 6 {
			info.GCPList = append(info.GCPList, GCP{
				Pixel: ties[i] + shift, Line: ties[i+1] + shift,
				X: ties[i+3], Y: ties[i+4], Z: ties[i+5],
			})
		}
		return nil
	}
	if info.PixelIsPoint {
		gt[0] -= gt[1]*0.5 + gt[2]*0.5
		gt[3] -= gt[4]*0.5 + gt[5]*0.5
	}
	info.GeoTransform = &gt
	return nil
}

// gdalMetadata is the XML of the GDAL_METADATA tag.
type gdalMetadata struct {
	Items []struct {
		Name   string `xml:"name,attr"`
		Sample string `xml:"sample,attr"`
		Role   string `xml:"role,attr"`
		Value  string `xml:",chardata"`
	} `xml:"Item"`
}

// applyGDALMetadata fills the bands from the per-sample items of the
// GDAL_METADATA XML. Malformed XML is ignored, as GDAL does.
func applyGDALMetadata(text string, bands []Band) {
	if text == "" {
		return
	}
	var md gdalMetadata
	if xml.Unmarshal([]byte(text), &md) != nil {
		return
	}
	for _, it := range md.Items {
		s, err := strconv.Atoi(it.Sample)
		if err != nil || s < 0 || s >= len(bands) {
			continue
		}
		b := &bands[s]
		role := strings.ToLower(it.Role)
		if role == "" {
			role = strings.ToLower(it.Name)
		}
		switch role {
		case "description":
			b.Description = it.Value
		case "unittype":
			b.Unit = it.Value
		case "scale", "offset":
			v, err := strconv.ParseFloat(strings.TrimSpace(it.Value), 64)
			if err != nil {
				continue
			}
			if role == "scale" {
				b.Scale = &v
			} else {
				b.Offset = &v
			}
		}
	}
}

// parseFloatPrefix parses text like C's atof: the longest valid numeric
// prefix ("nan", "inf" and exponents included), 0 when there is none.
func parseFloatPrefix(text string) float64 {
	for n := min(len(text), 64); n > 0; n-- {
		if v, err := strconv.ParseFloat(text[:n], 64); err == nil || isRangeErr(err) {
			return v
		}
	}
	return 0
}

func isRangeErr(err error) bool {
	return errors.Is(err, strconv.ErrRange)
}
