// Package tifgrid reads PROJ's GeoTIFF horizontal shift grids (the .tif
// files of PROJ-data, e.g. fr_ign_ntf_r93.tif, de_adv_BETA2007.tif,
// nz_linz_nzgd2kgrid0005.tif) for package crs, with the TIFF reader of
// package geotiff: crs itself stays standard-library only and does not
// import geotiff, which does not import crs.
//
// Register adds the loader to a crs.Grids, after which the operations whose
// grid is a .tif of the directory are used as PROJ uses them.
//
// The reading follows PROJ 9's GTiffHGridShiftSet (the "Geodetic TIFF grids"
// specification): every IFD whose NewSubfileType is 0 or "page" and that has
// at least two samples is a sub-grid; the latitude and longitude offsets are
// the samples described as latitude_offset and longitude_offset in the GDAL
// metadata (samples 0 and 1 without descriptions), in arc-seconds (UNITTYPE
// arc-second, or degree, radian), the longitude offset positive east unless
// its positive_value item says west. The sample indexes, unit and sign carry
// over to the following IFDs that do not repeat them (PROJ-data's compact
// metadata for files of many sub-grids). Scale and offset items apply
// (offset + scale × raw, except to the GDAL_NODATA value); nodata is not
// otherwise special, as in PROJ's hgridshift. Nodes are the pixel centres
// of a PixelIsPoint raster (PixelIsArea is shifted by half a pixel), from
// ModelTransformation when present, else PixelScale and the first
// tiepoint; rows are north to south unless the georeferencing is
// bottom-up. Sub-grids nest by grid_name and parent_grid_name when the
// parent exists and contains the child, else by extent, as PROJ's
// insertIntoHierarchy does.
//
// Samples are decoded by geotiff.Images.Samples (none, DEFLATE or LZW,
// predictors 2 and 3, strips or tiles, either planar configuration; PROJ-data
// uses DEFLATE with the floating-point predictor).
package tifgrid

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"gitlab.com/eocat/eocat/internal/crs"
	"gitlab.com/eocat/eocat/internal/geotiff"
)

// DefaultMaxBytes bounds the decoded samples of one grid file read by Load
// (the offsets kept take as much again).
const DefaultMaxBytes = 1 << 30

// Register makes g read .tif grids with Load.
func Register(g *crs.Grids) {
	if g == nil {
		return
	}
	if g.Loaders == nil {
		g.Loaders = map[string]crs.GridLoader{}
	}
	g.Loaders[".tif"] = Load
}

// Load reads a PROJ GeoTIFF horizontal shift grid (a crs.GridLoader).
func Load(r io.ReaderAt, size int64) (*crs.GridData, error) {
	return Loader(DefaultMaxBytes)(r, size)
}

// Loader returns a crs.GridLoader that refuses files whose latitude and
// longitude samples take more than maxBytes decoded (4 bytes a value).
func Loader(maxBytes int64) crs.GridLoader {
	return func(r io.ReaderAt, size int64) (*crs.GridData, error) {
		return load(r, size, maxBytes)
	}
}

const (
	arcsecPerDegree = 3600
	arcsecPerRadian = 180 * 3600 / math.Pi
	filetypePage    = 2 // NewSubfileType: one page of a multi-page image
)

// extent is a sub-grid's extent in radians, as PROJ's ExtentAndRes.
type extent struct{ west, south, east, north float64 }

func (e extent) contains(o extent) bool {
	return o.west >= e.west && o.east <= e.east && o.south >= e.south && o.north <= e.north
}

func load(r io.ReaderAt, size int64, maxBytes int64) (*crs.GridData, error) {
	imgs, err := geotiff.ReadImages(r, size, geotiff.ImageOptions{
		Options:        geotiff.Options{MaxIFDs: 100000, MaxReadBytes: 256 << 20},
		MaxSampleBytes: maxBytes,
	})
	if err != nil {
		return nil, err
	}
	// As in PROJ, these carry over from one IFD to the next.
	idxLat, idxLon := 0, 1
	toArcsec := 1.0
	positiveEast := true

	out := &crs.GridData{}
	var exts []extent
	var children [][]int
	byName := map[string]int{}
	var tops []int
	for _, im := range imgs.List {
		fail := func(format string, args ...any) error {
			return fmt.Errorf("tifgrid: IFD %d: %s", im.Index, fmt.Sprintf(format, args...))
		}
		skip := im.Index > 0 // a later IFD that is not a grid is ignored
		if im.SubfileType != 0 && im.SubfileType != filetypePage {
			if skip {
				continue
			}
			return nil, fail("NewSubfileType %d is not a grid", im.SubfileType)
		}
		if im.SamplesPerPixel < 2 {
			if skip {
				continue
			}
			return nil, fail("at least 2 samples per pixel are needed, found %d", im.SamplesPerPixel)
		}
		described, foundLat, foundLon := false, false, false
		for i := range im.SamplesPerPixel {
			desc, _ := im.Item("DESCRIPTION", i)
			if desc != "" {
				described = true
			}
			switch desc {
			case "latitude_offset":
				idxLat, foundLat = i, true
			case "longitude_offset":
				idxLon, foundLon = i, true
			}
		}
		if described && !foundLat && !foundLon {
			if skip {
				continue
			}
			return nil, fail("samples are described, but none as latitude_offset or longitude_offset")
		}
		if foundLat != foundLon {
			return nil, fail("latitude_offset and longitude_offset must both be present")
		}
		if idxLat >= im.SamplesPerPixel || idxLon >= im.SamplesPerPixel {
			return nil, fail("offset samples %d, %d beyond %d samples", idxLat, idxLon, im.SamplesPerPixel)
		}
		if foundLon {
			switch v, _ := im.Item("positive_value", idxLon); v {
			case "":
			case "east":
				positiveEast = true
			case "west":
				positiveEast = false
			default:
				return nil, fail("unsupported positive_value %q", v)
			}
		}
		unitLat, _ := im.Item("UNITTYPE", idxLat)
		unitLon, _ := im.Item("UNITTYPE", idxLon)
		if unitLat != unitLon {
			return nil, fail("latitude and longitude offsets in different units (%q, %q)", unitLat, unitLon)
		}
		switch unitLat {
		case "":
		case "arc-second":
			toArcsec = 1
		case "degree":
			toArcsec = arcsecPerDegree
		case "radian":
			toArcsec = arcsecPerRadian
		default:
			return nil, fail("unsupported unit %q", unitLat)
		}

		sd, ext, bottomUp, err := georef(im)
		if err != nil {
			return nil, fail("%v", err)
		}
		lat, err := imgs.Samples(im.Index, idxLat)
		if err != nil {
			return nil, err
		}
		lon, err := imgs.Samples(im.Index, idxLon)
		if err != nil {
			return nil, err
		}
		conv := sampleConv(im)
		w, h := im.Width, im.Height
		sd.Shifts = make([]float32, 2*w*h)
		for y := range h {
			ty := h - 1 - y // the file's rows run north to south
			if bottomUp {
				ty = y
			}
			for x := range w {
				k := ty*w + x
				dlon, dlat := conv(idxLon, lon[k]), conv(idxLat, lat[k])
				if toArcsec != 1 {
					dlon, dlat = float32(float64(dlon)*toArcsec), float32(float64(dlat)*toArcsec)
				}
				if !positiveEast {
					dlon = -dlon
				}
				sd.Shifts[2*(y*w+x)], sd.Shifts[2*(y*w+x)+1] = dlon, dlat
			}
		}

		// PROJ's insertIntoHierarchy: by names when they lead to a parent
		// that contains the grid, else by extent.
		i := len(out.Subgrids)
		sd.Parent = -1
		gridName, _ := im.Item("grid_name", -1)
		parentName, _ := im.Item("parent_grid_name", -1)
		sd.Name = gridName
		if gridName != "" {
			byName[gridName] = i
		}
		placed := false
		if parentName != "" {
			if p, ok := byName[parentName]; ok && p != i && exts[p].contains(ext) {
				sd.Parent, placed = p, true
			}
		} else if gridName != "" {
			tops, placed = append(tops, i), true
		}
		if !placed {
			for _, t := range tops {
				if exts[t].contains(ext) {
					sd.Parent = deepest(t, ext, exts, children)
					placed = true
					break
				}
			}
			if !placed {
				tops = append(tops, i)
			}
		}
		exts = append(exts, ext)
		children = append(children, nil)
		if sd.Parent >= 0 {
			children[sd.Parent] = append(children[sd.Parent], i)
		}
		out.Subgrids = append(out.Subgrids, sd)
	}
	if len(out.Subgrids) == 0 {
		return nil, fmt.Errorf("tifgrid: no grid in the file")
	}
	return out, nil
}

// deepest descends from grid p to the first child, recursively, that
// contains ext (PROJ's insertGrid).
func deepest(p int, ext extent, exts []extent, children [][]int) int {
	for _, c := range children[p] {
		if exts[c].contains(ext) {
			return deepest(c, ext, exts, children)
		}
	}
	return p
}

// sampleConv returns the conversion of raw samples: offset + scale × raw
// in float64 rounded to float32 when the metadata has scale or offset
// items, except for the nodata value (PROJ's GTiffGrid::readValue).
func sampleConv(im *geotiff.Image) func(sample int, v float32) float32 {
	scale := make([]float64, im.SamplesPerPixel)
	offset := make([]float64, im.SamplesPerPixel)
	for i := range scale {
		scale[i] = 1
	}
	scaled := false
	for _, it := range im.Metadata {
		if it.Sample < 0 || it.Sample >= im.SamplesPerPixel || (it.Role != "scale" && it.Role != "offset") {
			continue
		}
		v, err := parseFloat(it.Value)
		if err != nil {
			continue
		}
		scaled = true
		if it.Role == "scale" {
			scale[it.Sample] = v
		} else {
			offset[it.Sample] = v
		}
	}
	if !scaled {
		return func(_ int, v float32) float32 { return v }
	}
	hasNoData, noData := false, float32(0)
	if nd := im.NoData; nd != nil {
		if v, err := parseFloat(nd.Text); err == nil {
			hasNoData, noData = true, float32(v)
		}
	}
	return func(sample int, v float32) float32 {
		if hasNoData && v == noData {
			return v
		}
		return float32(float64(v)*scale[sample] + offset[sample])
	}
}

// parseFloat parses a number of the metadata (C locale, spaces around).
func parseFloat(s string) (float64, error) {
	return strconv.ParseFloat(strings.TrimSpace(s), 64)
}

// georef returns the sub-grid's nodes in degrees (without shifts), its
// extent in radians and whether its first row is the southernmost, as
// PROJ's GTiffDataset::nextGrid computes them.
func georef(im *geotiff.Image) (crs.SubgridData, extent, bool, error) {
	var sd crs.SubgridData
	geographic, pixelIsArea := true, false
	if t, ok := im.GeoKeys.Short[1024]; ok { // GTModelTypeGeoKey
		switch t {
		case 2:
		case 1:
			geographic = false
		default:
			return sd, extent{}, false, fmt.Errorf("GTModelTypeGeoKey %d is not geographic", t)
		}
	}
	if !geographic {
		return sd, extent{}, false, fmt.Errorf("the grid is not referenced in a geographic CRS")
	}
	pixelIsArea = im.GeoKeys.Short[1025] == 1 // GTRasterTypeGeoKey = RasterPixelIsArea
	var west, north, hRes, vRes float64
	if m := im.ModelTransformation; len(m) == 16 {
		if m[1] != 0 || m[4] != 0 {
			return sd, extent{}, false, fmt.Errorf("rotation terms in ModelTransformation are not supported")
		}
		west, hRes, north, vRes = m[3], m[0], m[7], -m[5]
	} else {
		s, t := im.PixelScale, im.Tiepoints
		if len(s) != 3 {
			return sd, extent{}, false, fmt.Errorf("%d ModelPixelScale values, want 3", len(s))
		}
		if len(t) != 6 {
			return sd, extent{}, false, fmt.Errorf("%d ModelTiepoint values, want 6", len(t))
		}
		hRes, vRes = s[0], s[1]
		west = t[3] - t[0]*hRes
		north = t[4] + t[1]*vRes
	}
	if pixelIsArea {
		west += 0.5 * hRes
		north -= 0.5 * vRes
	}
	east := west + hRes*float64(im.Width-1)
	south := north - vRes*float64(im.Height-1)
	const d = math.Pi / 180
	e := extent{west: west * d, east: east * d, north: north * d, south: south * d}
	resX, resY := hRes*d, math.Abs(vRes)*d
	bottomUp := vRes < 0
	if bottomUp {
		e.north, e.south = e.south, e.north
		north, south = south, north
	}
	if !(math.Abs(e.west) <= 4*math.Pi && math.Abs(e.east) <= 4*math.Pi &&
		math.Abs(e.north) <= math.Pi+1e-5 && math.Abs(e.south) <= math.Pi+1e-5 &&
		e.west < e.east && e.south < e.north && resX > 1e-10 && resY > 1e-10) {
		return sd, extent{}, false, fmt.Errorf("inconsistent georeferencing: [%v, %v] × [%v, %v] every %v, %v degrees", west, east, south, north, hRes, vRes)
	}
	sd.West, sd.South, sd.East, sd.North = west, south, east, north
	sd.ResX, sd.ResY = hRes, math.Abs(vRes)
	sd.Width, sd.Height = im.Width, im.Height
	return sd, e, bottomUp, nil
}
