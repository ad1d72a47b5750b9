package stac

import (
	"bytes"
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"sync"
)

// Version is the STAC version of every document stacgen writes.
const Version = "1.1.0"

// Extension schema URLs emitted by stacgen.
const (
	ExtProjection = "https://stac-extensions.github.io/projection/v2.0.0/schema.json"
	ExtRaster     = "https://stac-extensions.github.io/raster/v2.0.0/schema.json"
	ExtEO         = "https://stac-extensions.github.io/eo/v2.0.0/schema.json"
	ExtFile       = "https://stac-extensions.github.io/file/v2.1.0/schema.json"
	ExtAuth       = "https://stac-extensions.github.io/authentication/v1.1.0/schema.json"
	ExtView       = "https://stac-extensions.github.io/view/v1.1.0/schema.json"
	ExtSat        = "https://stac-extensions.github.io/sat/v1.1.0/schema.json"
)

// Media types.
const (
	MediaJSON    = "application/json"
	MediaGeoJSON = "application/geo+json"
	MediaCOG     = "image/tiff; application=geotiff; profile=cloud-optimized"
	MediaGeoTIFF = "image/tiff; application=geotiff"
	MediaHTML    = "text/html"
)

// Link is a STAC link object.
type Link struct {
	Rel   string         `json:"rel"`
	Href  string         `json:"href"`
	Type  string         `json:"type,omitempty"`
	Title string         `json:"title,omitempty"`
	Extra map[string]any `json:"-"`
}

// MarshalJSON encodes the link with its extra fields (such as auth:refs).
func (l Link) MarshalJSON() ([]byte, error) {
	type plain Link
	return withExtra(plain(l), l.Extra)
}

// Asset is a STAC asset. Extension fields (proj:*, file:*, bands, data_type,
// nodata, gsd, auth:refs ...) live in Extra.
type Asset struct {
	Href        string         `json:"href"`
	Type        string         `json:"type,omitempty"`
	Title       string         `json:"title,omitempty"`
	Description string         `json:"description,omitempty"`
	Roles       []string       `json:"roles,omitempty"`
	Extra       map[string]any `json:"-"`
}

// MarshalJSON encodes the asset with its extension fields.
func (a Asset) MarshalJSON() ([]byte, error) {
	type plain Asset
	return withExtra(plain(a), a.Extra)
}

// Item is a STAC Item (a GeoJSON Feature).
type Item struct {
	Type           string            `json:"type"`
	StacVersion    string            `json:"stac_version"`
	StacExtensions []string          `json:"stac_extensions"`
	ID             string            `json:"id"`
	Geometry       any               `json:"geometry"`
	BBox           []float64         `json:"bbox,omitempty"`
	Properties     map[string]any    `json:"properties"`
	Links          []Link            `json:"links"`
	Assets         map[string]*Asset `json:"assets"`
	Collection     string            `json:"collection,omitempty"`
}

// Provider describes an organisation that captures, processes or hosts data.
type Provider struct {
	Name        string   `json:"name" yaml:"name"`
	Description string   `json:"description,omitempty" yaml:"description"`
	Roles       []string `json:"roles,omitempty" yaml:"roles"`
	URL         string   `json:"url,omitempty" yaml:"url"`
}

// Extent is a collection's spatial and temporal extent.
type Extent struct {
	Spatial  SpatialExtent  `json:"spatial"`
	Temporal TemporalExtent `json:"temporal"`
}

// SpatialExtent holds bounding boxes; the first is the union of the others.
type SpatialExtent struct {
	BBox [][]float64 `json:"bbox"`
}

// TemporalExtent holds intervals of RFC 3339 strings or nil for open ends.
type TemporalExtent struct {
	Interval [][]*string `json:"interval"`
}

// Collection is a STAC Collection.
type Collection struct {
	Type           string                    `json:"type"`
	StacVersion    string                    `json:"stac_version"`
	StacExtensions []string                  `json:"stac_extensions"`
	ID             string                    `json:"id"`
	Title          string                    `json:"title,omitempty"`
	Description    string                    `json:"description"`
	Keywords       []string                  `json:"keywords,omitempty"`
	License        string                    `json:"license"`
	Providers      []Provider                `json:"providers,omitempty"`
	Extent         Extent                    `json:"extent"`
	Summaries      map[string]any            `json:"summaries,omitempty"`
	ItemAssets     map[string]map[string]any `json:"item_assets,omitempty"`
	Links          []Link                    `json:"links"`
	Extra          map[string]any            `json:"-"`
}

// MarshalJSON encodes the collection with its extension fields.
func (c Collection) MarshalJSON() ([]byte, error) {
	type plain Collection
	return withExtra(plain(c), c.Extra)
}

// Catalog is a STAC Catalog.
type Catalog struct {
	Type           string         `json:"type"`
	StacVersion    string         `json:"stac_version"`
	StacExtensions []string       `json:"stac_extensions"`
	ID             string         `json:"id"`
	Title          string         `json:"title,omitempty"`
	Description    string         `json:"description"`
	Links          []Link         `json:"links"`
	Extra          map[string]any `json:"-"`
}

// MarshalJSON encodes the catalog with its extension fields.
func (c Catalog) MarshalJSON() ([]byte, error) {
	type plain Catalog
	return withExtra(plain(c), c.Extra)
}

// Encode returns the canonical, indented encoding of a STAC document.
func Encode(doc any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// withExtra encodes v (a struct) followed by the sorted extra fields. Extra
// keys never override the struct's own fields.
func withExtra(v any, extra map[string]any) ([]byte, error) {
	base, err := json.Marshal(v)
	if err != nil || len(extra) == 0 {
		return base, err
	}
	known := fieldNames(reflect.TypeOf(v))
	keys := make([]string, 0, len(extra))
	for k := range extra {
		if !known[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var buf bytes.Buffer
	buf.Grow(len(base) + 64*len(keys))
	buf.Write(base[:len(base)-1]) // drop the closing brace
	for _, k := range keys {
		kb, _ := json.Marshal(k)
		vb, err := json.Marshal(extra[k])
		if err != nil {
			return nil, err
		}
		if buf.Len() > 1 {
			buf.WriteByte(',')
		}
		buf.Write(kb)
		buf.WriteByte(':')
		buf.Write(vb)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

var fieldNameCache sync.Map // reflect.Type → map[string]bool

// fieldNames returns the JSON names of a struct type's fields.
func fieldNames(t reflect.Type) map[string]bool {
	if m, ok := fieldNameCache.Load(t); ok {
		return m.(map[string]bool)
	}
	m := map[string]bool{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			m[name] = true
		}
	}
	fieldNameCache.Store(t, m)
	return m
}
