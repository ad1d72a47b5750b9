package catalog

import (
	"math"

	"gitlab.com/eocat/eocat/internal/geotiff"
)

// State is what an incremental build remembers of the previous run: per
// collection and object key, the object's fingerprint and what was derived
// from its bytes, so unchanged objects are not read again.
type State struct {
	Version     int                               `json:"version"`
	Config      string                            `json:"config"`   // digest of the configuration, base URL, version
	Listings    map[string]string                 `json:"listings"` // collection → digest of its (key, fingerprint) list
	Items       int                               `json:"items"`
	Failed      int                               `json:"failed,omitempty"` // items left out (--skip-invalid-items): retried next time
	Collections map[string]map[string]*ObjectMeta `json:"collections"`
}

// StateVersion changes whenever ObjectMeta's meaning changes.
const StateVersion = 4

// ObjectMeta is what stacgen derives from one object's bytes.
type ObjectMeta struct {
	Fingerprint string      `json:"fp"`
	MD5         string      `json:"md5,omitempty"`
	Raster      *RasterMeta `json:"raster,omitempty"`
	// Sidecar holds a sidecar file's JSON object.
	Sidecar map[string]any `json:"sidecar,omitempty"`
}

// RasterMeta is the part of a TIFF header stacgen uses.
type RasterMeta struct {
	Width        int              `json:"w"`
	Height       int              `json:"h"`
	EPSG         int              `json:"epsg,omitempty"`
	GeoTransform *[6]float64      `json:"gt,omitempty"`
	GCPs         int              `json:"gcps,omitempty"` // ground control points, when there is no geotransform
	GCPList      []geotiff.GCP    `json:"gcpl,omitempty"` // the points themselves
	GeoKeys      *geotiff.GeoKeys `json:"keys,omitempty"` // a user-defined CRS (EPSG 0): its GeoKeys
	COG          bool             `json:"cog,omitempty"`
	DateTime     string           `json:"dt,omitempty"`
	Bands        []BandMeta       `json:"bands"`
}

// BandMeta describes one band of a raster.
type BandMeta struct {
	DataType    string   `json:"type"`
	Bits        int      `json:"bits,omitempty"`
	NoData      string   `json:"nodata,omitempty"` // as written; "nan", "inf", "-inf" or a number
	Description string   `json:"desc,omitempty"`
	Scale       *float64 `json:"scale,omitempty"`
	Offset      *float64 `json:"offset,omitempty"`
	Unit        string   `json:"unit,omitempty"`
}

func rasterMeta(info *geotiff.Info) *RasterMeta {
	m := &RasterMeta{
		Width: info.Width, Height: info.Height, EPSG: info.EPSG,
		GeoTransform: info.GeoTransform, GCPs: info.GCPs, COG: info.COG, DateTime: info.DateTime,
	}
	if info.GeoTransform == nil {
		m.GCPList = info.GCPList
	}
	if info.EPSG == 0 && (info.GeoTransform != nil || len(info.GCPList) > 0) && len(info.GeoKeys.Short) > 0 {
		k := info.GeoKeys
		m.GeoKeys = &k
	}
	for i := range info.SamplesPerPixel {
		b := BandMeta{DataType: info.DataType, Bits: info.BitsPerSample}
		if info.NoData != nil {
			b.NoData = noDataText(info.NoData)
		}
		if i < len(info.Bands) {
			src := info.Bands[i]
			b.Description, b.Scale, b.Offset, b.Unit = src.Description, src.Scale, src.Offset, src.Unit
		}
		m.Bands = append(m.Bands, b)
	}
	return m
}

func noDataText(n *geotiff.NoData) string {
	switch {
	case math.IsNaN(n.Value):
		return "nan"
	case math.IsInf(n.Value, 1):
		return "inf"
	case math.IsInf(n.Value, -1):
		return "-inf"
	}
	return n.Text
}
