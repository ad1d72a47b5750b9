package catalog

import (
	"maps"
	"math"
	"reflect"
	"slices"
	"sort"
	"sync"
	"time"

	"gitlab.com/eocat/eocat/internal/config"
	"gitlab.com/eocat/eocat/internal/render"
	"gitlab.com/eocat/eocat/internal/stac"
)

// maxSummaryValues bounds the distinct values listed in a string summary.
const maxSummaryValues = 32

// notSummarised are item properties that vary per item by nature.
var notSummarised = map[string]bool{
	"datetime": true, "start_datetime": true, "end_datetime": true, "created": true,
	"updated": true, "title": true, "description": true, "auth:schemes": true,
}

// aggregate accumulates what a collection needs from its items as they are
// built (extents, summaries, item_assets, links), so that items themselves are
// not kept in memory. Every result is independent of the order of add calls.
type aggregate struct {
	mu         sync.Mutex
	links      []itemLink
	rows       []render.Row // with Options.Pages: the collection's item list
	spans      []span       // merged longitude intervals of the item bboxes
	south      float64
	north      float64
	start, end time.Time
	nums       map[string][2]float64
	strs       map[string]map[string]bool
	skip       map[string]bool
	assets     map[string]map[string]any // item_assets candidates
}

type itemLink struct{ id, title string }

type span struct{ lo, hi float64 }

func newAggregate() *aggregate {
	return &aggregate{south: math.Inf(1), north: math.Inf(-1), nums: map[string][2]float64{},
		strs: map[string]map[string]bool{}, skip: map[string]bool{}, assets: map[string]map[string]any{}}
}

// add folds one item in.
func (a *aggregate) add(s *itemSummary) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.links = append(a.links, itemLink{s.id, s.title})
	if s.row != nil {
		a.rows = append(a.rows, *s.row)
	}
	if bb := s.bbox; len(bb) == 4 {
		a.south, a.north = math.Min(a.south, bb[1]), math.Max(a.north, bb[3])
		if bb[0] <= bb[2] {
			a.addSpan(span{bb[0], bb[2]})
		} else {
			a.addSpan(span{bb[0], 180})
			a.addSpan(span{-180, bb[2]})
		}
	}
	if a.start.IsZero() || s.start.Before(a.start) {
		a.start = s.start
	}
	if a.end.IsZero() || s.end.After(a.end) {
		a.end = s.end
	}
	a.addProps(s.props)
	for key, asset := range s.assets {
		fields := assetFields(asset)
		cur, seen := a.assets[key]
		if !seen {
			a.assets[key] = fields
			continue
		}
		for f, v := range cur {
			if !reflect.DeepEqual(fields[f], v) {
				delete(cur, f)
			}
		}
	}
}

// addSpan inserts an interval, merging overlapping ones (the list stays
// sorted and small: one entry per cluster of items).
func (a *aggregate) addSpan(n span) {
	out := a.spans[:0:0]
	for _, sp := range a.spans {
		if sp.hi < n.lo || sp.lo > n.hi {
			out = append(out, sp)
			continue
		}
		n = span{math.Min(n.lo, sp.lo), math.Max(n.hi, sp.hi)}
	}
	out = append(out, n)
	sort.Slice(out, func(i, j int) bool { return out[i].lo < out[j].lo })
	a.spans = out
}

func (b *builder) buildCollection(c *config.Collection, a *aggregate) *stac.Collection {
	coll := &stac.Collection{
		Type: "Collection", StacVersion: stac.Version, ID: c.ID, Title: c.Title,
		Description: c.Description, Keywords: c.Keywords, License: c.License, Providers: c.Providers,
		Extent:     stac.Extent{Spatial: stac.SpatialExtent{BBox: [][]float64{a.spatialUnion()}}, Temporal: a.temporal()},
		Summaries:  a.summaries(),
		ItemAssets: a.itemAssets(),
		Links: []stac.Link{
			{Rel: "root", Href: "../catalog.json", Type: stac.MediaJSON},
			{Rel: "parent", Href: "../catalog.json", Type: stac.MediaJSON},
		},
	}
	if b.opts.Pages != nil {
		coll.Links = append(coll.Links, htmlLink)
	}
	sort.Slice(a.links, func(i, j int) bool { return a.links[i].id < a.links[j].id })
	for _, it := range a.links {
		coll.Links = append(coll.Links, stac.Link{Rel: "item", Href: "./" + it.id + "/" + it.id + ".json", Type: stac.MediaGeoJSON, Title: it.title})
	}
	if s := b.authSchemes(); s != nil {
		coll.Extra = map[string]any{"auth:schemes": s}
	}
	coll.StacExtensions = extensions(mergeMaps(coll.Summaries, coll.Extra), nil)
	for _, ia := range coll.ItemAssets {
		for _, e := range extensions(ia, nil) {
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
func (a *aggregate) temporal() stac.TemporalExtent {
	iv := []*string{nil, nil}
	if !a.start.IsZero() {
		s, e := formatTime(a.start), formatTime(a.end)
		iv = []*string{&s, &e}
	}
	return stac.TemporalExtent{Interval: [][]*string{iv}}
}

// spatialUnion is the smallest bbox holding every item bbox, crossing the
// antimeridian (west > east) when that is smaller.
func (a *aggregate) spatialUnion() []float64 {
	merged := a.spans
	if len(merged) == 0 {
		return []float64{-180, -90, 180, 90}
	}
	// The largest gap between consecutive spans (on the circle) is left out.
	gapLen := merged[0].lo + 360 - merged[len(merged)-1].hi // gap across ±180
	west, east := merged[0].lo, merged[len(merged)-1].hi
	for i := 1; i < len(merged); i++ {
		if g := merged[i].lo - merged[i-1].hi; g > gapLen {
			gapLen, west, east = g, merged[i].lo, merged[i-1].hi
		}
	}
	return []float64{west, a.south, east, a.north}
}

// addProps folds an item's properties into the summaries: numbers →
// {minimum, maximum}; strings and string lists → distinct values.
func (a *aggregate) addProps(props map[string]any) {
	for k, v := range props {
		if notSummarised[k] || a.skip[k] {
			continue
		}
		switch t := v.(type) {
		case float64, int, int64:
			f := toFloat(t)
			r, ok := a.nums[k]
			if !ok {
				r = [2]float64{f, f}
			}
			a.nums[k] = [2]float64{math.Min(r[0], f), math.Max(r[1], f)}
		case string:
			if _, err := time.Parse(time.RFC3339Nano, t); err == nil {
				a.skip[k] = true // per-item timestamps say nothing as a list
				continue
			}
			addStr(a.strs, k, t)
		case []any:
			for _, e := range t {
				if s, ok := e.(string); ok {
					addStr(a.strs, k, s)
				} else {
					a.skip[k] = true
				}
			}
		default:
			a.skip[k] = true
		}
		if set := a.strs[k]; len(set) > maxSummaryValues {
			a.skip[k] = true // too many distinct values to be a useful summary
			delete(a.strs, k)
		}
	}
}

func (a *aggregate) summaries() map[string]any {
	out := map[string]any{}
	for k, r := range a.nums {
		if !a.skip[k] && a.strs[k] == nil {
			out[k] = map[string]any{"minimum": r[0], "maximum": r[1]}
		}
	}
	for k, set := range a.strs {
		if a.skip[k] {
			continue
		}
		if _, isNum := a.nums[k]; isNum {
			continue
		}
		out[k] = slices.Sorted(maps.Keys(set))
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

// itemAssets describes each asset key with the fields equal in every item
// that has it (item_assets needs at least two fields per key).
func (a *aggregate) itemAssets() map[string]map[string]any {
	out := map[string]map[string]any{}
	for k, f := range a.assets {
		if len(f) >= 2 {
			out[k] = f
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// assetFields returns the item_assets fields of an asset. Every item's
// assets are built by the same code, so equal values have equal Go types and
// compare with reflect.DeepEqual.
func assetFields(a *stac.Asset) map[string]any {
	out := map[string]any{}
	for k, v := range map[string]string{"type": a.Type, "title": a.Title, "description": a.Description} {
		if v != "" {
			out[k] = v
		}
	}
	if len(a.Roles) > 0 {
		out["roles"] = a.Roles
	}
	for _, k := range []string{"gsd", "bands"} {
		if v, ok := a.Extra[k]; ok {
			out[k] = v
		}
	}
	return out
}
