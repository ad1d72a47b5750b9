package render

import (
	"html/template"
	"strconv"

	"gitlab.com/eocat/eocat/internal/stac"
)

// schema.org descriptions for dataset search engines (Google Dataset Search
// needs at least name and description), written into a <script
// type="application/ld+json"> block as JSON with <, > and & escaped (jsonJS,
// ldItem.json): a "</script>" in a title cannot close it.

const schemaOrg = "https://schema.org"

// place is a schema.org Place for a bbox: GeoShape box "south west north
// east".
func place(b []float64) *ldPlace {
	if len(b) == 6 {
		b = []float64{b[0], b[1], b[3], b[4]} //nolint:gosec // G602: len(b) == 6 just above
	}
	if len(b) != 4 {
		return nil
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	return &ldPlace{Type: "Place", Geo: ldShape{Type: "GeoShape", Box: f(b[1]) + " " + f(b[0]) + " " + f(b[3]) + " " + f(b[2])}}
}

type ldPlace struct {
	Type string  `json:"@type"`
	Geo  ldShape `json:"geo"`
}

type ldShape struct {
	Type string `json:"@type"`
	Box  string `json:"box"`
}

func (r *Renderer) catalogJSONLD(rel string, cat *stac.Catalog, cards []Card) map[string]any {
	var datasets []any
	for _, c := range cards {
		datasets = append(datasets, map[string]any{"@type": "Dataset", "name": c.Title, "description": orID(c.Summary, c.Title), "url": r.link(rel, c.Href)})
	}
	out := map[string]any{
		"@context": schemaOrg, "@type": "DataCatalog",
		"name": orID(cat.Title, cat.ID), "description": orID(cat.Description, cat.ID),
	}
	if u := r.absolute(rel); u != "" {
		out["url"] = u
	}
	if len(datasets) > 0 {
		out["dataset"] = datasets
	}
	return out
}

func (r *Renderer) collectionJSONLD(rel string, c *stac.Collection) map[string]any {
	out := map[string]any{
		"@context": schemaOrg, "@type": "Dataset", "identifier": c.ID,
		"name": orID(c.Title, c.ID), "description": c.Description,
		"distribution": []any{map[string]any{"@type": "DataDownload", "encodingFormat": stac.MediaJSON, "contentUrl": r.link(rel, "collection.json"), "name": "STAC Collection"}},
	}
	if u := r.absolute(rel); u != "" {
		out["url"] = u
	}
	if l := license(c); l.Href != "" {
		out["license"] = l.Href
	} else if c.License != "" {
		out["license"] = c.License
	}
	if len(c.Keywords) > 0 {
		out["keywords"] = c.Keywords
	}
	var orgs []any
	for _, p := range c.Providers {
		o := map[string]any{"@type": "Organization", "name": p.Name}
		if u := safeURL(p.URL); u != "" {
			o["url"] = u
		}
		orgs = append(orgs, o)
	}
	if len(orgs) > 0 {
		out["provider"] = orgs
	}
	if bb := c.Extent.Spatial.BBox; len(bb) > 0 {
		if pl := place(bb[0]); pl != nil { // not a nil *ldPlace in the map
			out["spatialCoverage"] = pl
		}
	}
	if iv := c.Extent.Temporal.Interval; len(iv) > 0 && len(iv[0]) == 2 {
		s, e := "..", ".."
		if iv[0][0] != nil {
			s = *iv[0][0]
		}
		if iv[0][1] != nil {
			e = *iv[0][1]
		}
		out["temporalCoverage"] = s + "/" + e
	}
	return out
}

// ldItem is the item's schema.org Dataset. Structs rather than maps (as
// for the collection and the catalog, one page each) because items are
// many, and written by its json method rather than by encoding/json, whose
// reflection was a tenth of an item page. Fields are in the order a map
// would give.
type ldItem struct {
	Context          string       `json:"@context"`
	Type             string       `json:"@type"`
	Description      string       `json:"description"`
	Distribution     []ldDownload `json:"distribution"`
	Identifier       string       `json:"identifier"`
	IsPartOf         ldRef        `json:"isPartOf"`
	Name             string       `json:"name"`
	SpatialCoverage  *ldPlace     `json:"spatialCoverage,omitempty"`
	TemporalCoverage string       `json:"temporalCoverage,omitempty"`
	URL              string       `json:"url,omitempty"`
}

type ldDownload struct {
	Type           string `json:"@type"`
	ContentURL     string `json:"contentUrl"`
	EncodingFormat string `json:"encodingFormat,omitempty"`
	Name           string `json:"name"`
}

type ldRef struct {
	Type string `json:"@type"`
	Name string `json:"name"`
	URL  string `json:"url"`
}

func (r *Renderer) itemJSONLD(rel string, it *stac.Item, p *itemPage) *ldItem {
	out := &ldItem{
		Context: schemaOrg, Type: "Dataset", Identifier: it.ID, Name: p.Title,
		Description:     p.Description,
		IsPartOf:        ldRef{Type: "Dataset", Name: p.Collection.Title, URL: r.link(rel, p.Collection.Href)},
		URL:             r.absolute(rel),
		SpatialCoverage: place(it.BBox),
	}
	if s, ok := it.Properties["datetime"].(string); ok {
		out.TemporalCoverage = s
	} else if s, ok := it.Properties["start_datetime"].(string); ok {
		e, _ := it.Properties["end_datetime"].(string)
		out.TemporalCoverage = s + "/" + orID(e, "..")
	}
	out.Distribution = make([]ldDownload, 1, 1+len(p.Assets))
	out.Distribution[0] = ldDownload{Type: "DataDownload", EncodingFormat: stac.MediaGeoJSON, ContentURL: r.link(rel, it.ID+".json"), Name: "STAC Item"}
	for _, a := range p.Assets {
		if a.Link == "" {
			continue
		}
		out.Distribution = append(out.Distribution, ldDownload{Type: "DataDownload", ContentURL: r.link(rel, a.Link), Name: orID(a.Title, a.Key), EncodingFormat: a.TypeFull})
	}
	return out
}

// json is jsonJS(l): the bytes encoding/json writes for l (checked by
// TestItemJSONLDMatchesEncodingJSON), written directly into a.
func (l *ldItem) json(a *arena) template.JS {
	b := a.rows()
	n := 512 + len(l.Description) + len(l.Name) + len(l.URL) + len(l.IsPartOf.URL)
	for _, d := range l.Distribution {
		n += 96 + len(d.ContentURL) + len(d.EncodingFormat) + len(d.Name)
	}
	b.Grow(n)
	b.WriteString(`{"@context":`)
	writeJSONString(&b, l.Context)
	b.WriteString(`,"@type":`)
	writeJSONString(&b, l.Type)
	b.WriteString(`,"description":`)
	writeJSONString(&b, l.Description)
	b.WriteString(`,"distribution":`)
	if l.Distribution == nil {
		b.WriteString("null")
	} else {
		for i, d := range l.Distribution {
			if i == 0 {
				b.WriteString(`[{"@type":`)
			} else {
				b.WriteString(`,{"@type":`)
			}
			writeJSONString(&b, d.Type)
			b.WriteString(`,"contentUrl":`)
			writeJSONString(&b, d.ContentURL)
			if d.EncodingFormat != "" {
				b.WriteString(`,"encodingFormat":`)
				writeJSONString(&b, d.EncodingFormat)
			}
			b.WriteString(`,"name":`)
			writeJSONString(&b, d.Name)
			b.char('}')
		}
		if len(l.Distribution) == 0 {
			b.char('[')
		}
		b.char(']')
	}
	b.WriteString(`,"identifier":`)
	writeJSONString(&b, l.Identifier)
	b.WriteString(`,"isPartOf":{"@type":`)
	writeJSONString(&b, l.IsPartOf.Type)
	b.WriteString(`,"name":`)
	writeJSONString(&b, l.IsPartOf.Name)
	b.WriteString(`,"url":`)
	writeJSONString(&b, l.IsPartOf.URL)
	b.WriteString(`},"name":`)
	writeJSONString(&b, l.Name)
	if p := l.SpatialCoverage; p != nil {
		b.WriteString(`,"spatialCoverage":{"@type":`)
		writeJSONString(&b, p.Type)
		b.WriteString(`,"geo":{"@type":`)
		writeJSONString(&b, p.Geo.Type)
		b.WriteString(`,"box":`)
		writeJSONString(&b, p.Geo.Box)
		b.WriteString(`}}`)
	}
	if l.TemporalCoverage != "" {
		b.WriteString(`,"temporalCoverage":`)
		writeJSONString(&b, l.TemporalCoverage)
	}
	if l.URL != "" {
		b.WriteString(`,"url":`)
		writeJSONString(&b, l.URL)
	}
	b.char('}')
	return template.JS(b.String()) //nolint:gosec // G203: JSON strings written by writeJSONString (HTML-escaped, as encoding/json)
}
