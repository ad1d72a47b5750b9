package testenv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"gitlab.com/eocat/eocat/internal/stac"
)

// SyntheticItems are n Sentinel-2-like items of collection "s2", spread
// over 2024 and the globe, the same for the same n: some cross the
// antimeridian, one in ten has no cloud cover, item 5 has no geometry.
func SyntheticItems(n int) []*stac.Item {
	r := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([]*stac.Item, n)
	for i := range out {
		lon, lat := r.Float64()*358-179, r.Float64()*160-80
		w, s, e, nn := lon, lat, lon+1, lat+1
		if i%97 == 0 { // across the antimeridian
			w, e = 179.5, -179.5
		}
		var geom any
		if i != 5 {
			if w > e {
				geom = map[string]any{"type": "MultiPolygon", "coordinates": [][][][2]float64{
					{{{w, s}, {180, s}, {180, nn}, {w, nn}, {w, s}}},
					{{{-180, s}, {e, s}, {e, nn}, {-180, nn}, {-180, s}}}}}
			} else {
				geom = map[string]any{"type": "Polygon", "coordinates": [][][2]float64{{{w, s}, {e, s}, {e, nn}, {w, nn}, {w, s}}}}
			}
		}
		props := map[string]any{
			"datetime":           start.Add(time.Duration(r.Int64N(int64(365 * 24 * time.Hour)))).Format(time.RFC3339Nano),
			"platform":           []string{"sentinel-2a", "sentinel-2b"}[i%2],
			"instruments":        []string{"msi"},
			"sat:relative_orbit": float64(i%143 + 1),
			"gsd":                10,
		}
		if i%10 != 0 {
			props["eo:cloud_cover"] = math.Round(r.Float64()*1000) / 10
		}
		out[i] = &stac.Item{
			Type: "Feature", StacVersion: stac.Version, StacExtensions: []string{stac.ExtEO}, ID: fmt.Sprintf("S2_%05d", i),
			Geometry: geom, BBox: []float64{w, s, e, nn}, Properties: props, Collection: "s2",
			Links: []stac.Link{{Rel: "collection", Href: "../collection.json", Type: stac.MediaJSON}},
			Assets: map[string]*stac.Asset{
				"B04": {Href: fmt.Sprintf("https://data.example.org/s2/%05d/B04.tif", i), Type: stac.MediaCOG, Roles: []string{"data"},
					Extra: map[string]any{"file:size": int64(1000 + i), "bands": []map[string]any{{"name": "B04"}}}},
			},
		}
	}
	return out
}
