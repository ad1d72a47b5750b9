package catalog

import (
	"encoding/json"
	"math"
	"reflect"
	"sort"
	"time"

	"gitlab.com/eocat/eocat/internal/config"
	"gitlab.com/eocat/eocat/internal/stac"
)

// maxSummaryValues bounds the distinct values listed in a string summary.
const maxSummaryValues = 32

// notSummarised are item properties that vary per item by nature.
var notSummarised = map[string]bool{
	"datetime": true, "start_datetime": true, "end_datetime": true, "created": true,
	"updated": true, "title": true, "description": true, "auth:schemes": true,
}

func (b *builder) buildCollection(c *config.Collection, items []*itemSummary) *stac.Collection {
	coll := &stac.Collection{
		Type: "Collection", StacVersion: stac.Version, ID: c.ID, Title: c.Title,
		Description: c.Description, Keywords: c.Keywords, License: c.License, Providers: c.Providers,
		Extent:     stac.Extent{Spatial: stac.SpatialExtent{BBox: [][]float64{spatialUnion(items)}}, Temporal: temporal(items)},
		Summaries:  summaries(items),
		ItemAssets: itemAssets(items),
		Links: []stac.Link{
			{Rel: "root", Href: "../catalog.json", Type: stac.MediaJSON},
			{Rel: "parent", Href: "../catalog.json", Type: stac.MediaJSON},
		},
	}
	for _, it := range items {
		coll.Links = append(coll.Links, stac.Link{Rel: "item", Href: "./" + it.id + "/" + it.id + ".json", Type: stac.MediaGeoJSON, Title: it.title})
	}
	if s := b.authSchemes(); s != nil {
		coll.Extra = map[string]any{"auth:schemes": s}
	}
	coll.StacExtensions = extensions(mergeMaps(coll.Summaries, coll.Extra), nil)
	for _, a := range coll.ItemAssets {
		for _, e := range extensions(a, nil) {
			coll.StacExtensions = appendUnique(coll.StacExtensions, e)
		}
	}
	sort.Strings(coll.StacExtensions)
	return coll
}

func mergeMaps(ms ...map[string]any) map[string]any {
	out := map[string]any{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func appendUnique(list []string, s string) []string {
	for _, e := range list {
		if e == s {
			return list
		}
	}
	return append(list, s)
}

// temporal is the [earliest start, latest end] of the items.
func temporal(items []*itemSummary) stac.TemporalExtent {
	var lo, hi time.Time
	for _, it := range items {
		if lo.IsZero() || it.start.Before(lo) {
			lo = it.start
		}
		if hi.IsZero() || it.end.After(hi) {
			hi = it.end
		}
	}
	iv := []*string{nil, nil}
	if !lo.IsZero() {
		s, e := formatTime(lo), formatTime(hi)
		iv = []*string{&s, &e}
	}
	return stac.TemporalExtent{Interval: [][]*string{iv}}
}

// spatialUnion is the smallest bbox holding every item bbox, crossing the
// antimeridian (west > east) when that is smaller.
func spatialUnion(items []*itemSummary) []float64 {
	type span struct{ lo, hi float64 }
	var spans []span
	south, north := math.Inf(1), math.Inf(-1)
	for _, it := range items {
		bb := it.bbox
		if len(bb) != 4 {
			continue
		}
		south, north = math.Min(south, bb[1]), math.Max(north, bb[3])
		if bb[0] <= bb[2] {
			spans = append(spans, span{bb[0], bb[2]})
		} else {
			spans = append(spans, span{bb[0], 180}, span{-180, bb[2]})
		}
	}
	if len(spans) == 0 {
		return []float64{-180, -90, 180, 90}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].lo < spans[j].lo })
	merged := []span{spans[0]}
	for _, s := range spans[1:] {
		last := &merged[len(merged)-1]
		if s.lo <= last.hi {
			last.hi = math.Max(last.hi, s.hi)
		} else {
			merged = append(merged, s)
		}
	}
	// The largest gap between consecutive spans (on the circle) is left out.
	gapLen := merged[0].lo + 360 - merged[len(merged)-1].hi // gap across ±180
	west, east := merged[0].lo, merged[len(merged)-1].hi
	for i := 1; i < len(merged); i++ {
		if g := merged[i].lo - merged[i-1].hi; g > gapLen {
			gapLen, west, east = g, merged[i].lo, merged[i-1].hi
		}
	}
	return []float64{west, south, east, north}
}

// summaries: numbers → {minimum, maximum}; strings and string lists →
// sorted distinct values (when few enough).
func summaries(items []*itemSummary) map[string]any {
	nums := map[string][2]float64{}
	strs := map[string]map[string]bool{}
	skip := map[string]bool{}
	for _, it := range items {
		for k, v := range it.props {
			if notSummarised[k] || skip[k] {
				continue
			}
			switch t := v.(type) {
			case float64, int, int64:
				f := toFloat(t)
				r, ok := nums[k]
				if !ok {
					r = [2]float64{f, f}
				}
				nums[k] = [2]float64{math.Min(r[0], f), math.Max(r[1], f)}
			case string:
				if _, err := time.Parse(time.RFC3339Nano, t); err == nil {
					skip[k] = true // per-item timestamps say nothing as a list
					continue
				}
				addStr(strs, k, t)
			case []any:
				for _, e := range t {
					if s, ok := e.(string); ok {
						addStr(strs, k, s)
					} else {
						skip[k] = true
					}
				}
			default:
				skip[k] = true
			}
		}
	}
	out := map[string]any{}
	for k, r := range nums {
		if !skip[k] && strs[k] == nil {
			out[k] = map[string]any{"minimum": r[0], "maximum": r[1]}
		}
	}
	for k, set := range strs {
		if skip[k] || len(set) > maxSummaryValues {
			continue
		}
		if _, isNum := nums[k]; isNum {
			continue
		}
		vals := make([]string, 0, len(set))
		for s := range set {
			vals = append(vals, s)
		}
		sort.Strings(vals)
		out[k] = vals
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func addStr(m map[string]map[string]bool, k, v string) {
	if m[k] == nil {
		m[k] = map[string]bool{}
	}
	m[k][v] = true
}

func toFloat(v any) float64 {
	switch t := v.(type) {
	case float64:
		return t
	case int:
		return float64(t)
	case int64:
		return float64(t)
	}
	return math.NaN()
}

// itemAssetFields are the asset fields that item_assets may describe.
var itemAssetFields = []string{"type", "title", "description", "roles", "gsd", "bands"}

// itemAssets describes each asset key with the fields equal in every item
// that has it (item_assets needs at least two fields per key).
func itemAssets(items []*itemSummary) map[string]map[string]any {
	common := map[string]map[string]any{}
	for _, it := range items {
		for key, a := range it.assets {
			fields := assetFields(a)
			cur, seen := common[key]
			if !seen {
				common[key] = fields
				continue
			}
			for f, v := range cur {
				if !reflect.DeepEqual(fields[f], v) {
					delete(cur, f)
				}
			}
		}
	}
	for k, f := range common {
		if len(f) < 2 {
			delete(common, k)
		}
	}
	if len(common) == 0 {
		return nil
	}
	return common
}

// assetFields returns the item_assets fields of an asset, normalised
// through JSON so that equal values compare equal.
func assetFields(a *stac.Asset) map[string]any {
	raw, _ := json.Marshal(a)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	out := map[string]any{}
	for _, f := range itemAssetFields {
		if v, ok := m[f]; ok {
			out[f] = v
		}
	}
	return out
}
