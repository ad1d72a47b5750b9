package stac

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
func (l Link) MarshalJSON() ([]byte, error) { return marshal(l) }

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
func (a Asset) MarshalJSON() ([]byte, error) { return marshal(a) }

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
	Assets         map[string]*Asset         `json:"assets,omitempty"`
	Links          []Link                    `json:"links"`
	Extra          map[string]any            `json:"-"`
}

// MarshalJSON encodes the collection with its extension fields.
func (c Collection) MarshalJSON() ([]byte, error) { return marshal(c) }

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
func (c Catalog) MarshalJSON() ([]byte, error) { return marshal(c) }
