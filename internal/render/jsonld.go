package render

import (
	"strconv"

	"gitlab.com/eocat/eocat/internal/stac"
)

// schema.org descriptions for dataset search engines (Google Dataset Search
// needs at least name and description). html/template escapes them for the
// <script type="application/ld+json"> block: a "</script>" in a title
// cannot close it.

const schemaOrg = "https://schema.org"

// place is a schema.org Place for a bbox: GeoShape box "south west north
// east".
func place(b []float64) map[string]any {
	if len(b) == 6 {
		b = []float64{b[0], b[1], b[3], b[4]}
	}
	if len(b) != 4 {
		return nil
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	return map[string]any{"@type": "Place", "geo": map[string]any{"@type": "GeoShape", "box": f(b[1]) + " " + f(b[0]) + " " + f(b[3]) + " " + f(b[2])}}
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
		if pl := place(bb[0]); pl != nil {
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

func (r *Renderer) itemJSONLD(rel string, it *stac.Item, p *itemPage) map[string]any {
	out := map[string]any{
		"@context": schemaOrg, "@type": "Dataset", "identifier": it.ID, "name": p.Title,
		"description": p.Description,
		"isPartOf":    map[string]any{"@type": "Dataset", "name": p.Collection.Title, "url": r.link(rel, p.Collection.Href)},
	}
	if u := r.absolute(rel); u != "" {
		out["url"] = u
	}
	if pl := place(it.BBox); pl != nil {
		out["spatialCoverage"] = pl
	}
	if s, ok := it.Properties["datetime"].(string); ok {
		out["temporalCoverage"] = s
	} else if s, ok := it.Properties["start_datetime"].(string); ok {
		e, _ := it.Properties["end_datetime"].(string)
		out["temporalCoverage"] = s + "/" + orID(e, "..")
	}
	dist := []any{map[string]any{"@type": "DataDownload", "encodingFormat": stac.MediaGeoJSON, "contentUrl": r.link(rel, it.ID+".json"), "name": "STAC Item"}}
	for _, a := range p.Assets {
		if a.Link == "" {
			continue
		}
		d := map[string]any{"@type": "DataDownload", "contentUrl": r.link(rel, a.Link), "name": orID(a.Title, a.Key)}
		if a.TypeFull != "" {
			d["encodingFormat"] = a.TypeFull
		}
		dist = append(dist, d)
	}
	out["distribution"] = dist
	return out
}
