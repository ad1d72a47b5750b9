package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path"
	"regexp"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"gitlab.com/eocat/eocat/internal/config"
	"gitlab.com/eocat/eocat/internal/crs"
	"gitlab.com/eocat/eocat/internal/geoparquet"
	"gitlab.com/eocat/eocat/internal/geotiff"
	"gitlab.com/eocat/eocat/internal/render"
	"gitlab.com/eocat/eocat/internal/source"
	"gitlab.com/eocat/eocat/internal/stac"
)

// maxSidecar bounds the size of a sidecar metadata file.
const maxSidecar = 1 << 20

// reservedSidecarKeys are top-level STAC fields that a sidecar cannot set
// as properties (the item's id comes from the grouping rule).
var reservedSidecarKeys = map[string]bool{
	"id": true, "type": true, "stac_version": true, "stac_extensions": true, "geometry": true,
	"bbox": true, "links": true, "assets": true, "collection": true, "properties": true,
}

// itemSummary is what a collection keeps of each item.
type itemSummary struct {
	id         string
	title      string
	bbox       []float64
	start, end time.Time
	props      map[string]any
	assets     map[string]*stac.Asset
	row        *render.Row // with Options.Pages
}

type itemBuilder struct {
	b       *builder
	c       *config.Collection
	src     source.Source
	prev    map[string]*ObjectMeta
	cur     map[string]*ObjectMeta
	parquet *geoparquet.Writer // with Options.Parquet
}

var safeID = regexp.MustCompile(`[^A-Za-z0-9._-]`)

// sanitizeID keeps ids usable as folder names that cannot escape the output.
func sanitizeID(id string) (string, error) {
	s := safeID.ReplaceAllString(id, "_")
	if s == "" || strings.HasPrefix(s, ".") {
		return "", fmt.Errorf("item id %q cannot be used as a folder name", id)
	}
	if len(s) > 200 {
		return "", fmt.Errorf("item id %q is longer than 200 characters", id)
	}
	return s, nil
}

// asset is one file of an item with its rule and derived metadata.
type asset struct {
	obj  source.Object
	key  string
	rule *config.AssetRule
	meta *ObjectMeta
}

// safeBuild is build with a panic turned into the item's error, so a bug
// triggered by one odd file costs that item (or, without
// SkipInvalidItems, fails the build with a message) instead of crashing
// stacgen and leaving its temporary folder behind.
func (ib *itemBuilder) safeBuild(ctx context.Context, g *group) (s *itemSummary, w []string, err error) {
	defer func() {
		if r := recover(); r != nil {
			keys := make([]string, 0, 3)
			for _, o := range g.objects[:min(len(g.objects), 3)] {
				keys = append(keys, o.Key)
			}
			if len(g.objects) > 3 {
				keys = append(keys, "…")
			}
			ib.b.opts.Logger.Error("stacgen bug while building an item", "collection", ib.c.ID, "item", g.id, "panic", r, "stack", string(debug.Stack()))
			s, w, err = nil, nil, fmt.Errorf("internal error on %s: %v (this is a stacgen bug: please report it with this message and, if you can, the files)", strings.Join(keys, ", "), r)
		}
	}()
	return ib.build(ctx, g)
}

func (ib *itemBuilder) build(ctx context.Context, g *group) (*itemSummary, []string, error) {
	id, err := sanitizeID(g.id)
	if err != nil {
		return nil, nil, err
	}
	vars := map[string]string{"item": id, "collection": ib.c.ID, "folder": g.folder}
	for k, v := range g.vars {
		vars[k] = v
	}
	var warnings []string
	var sidecar map[string]any
	var assets []*asset
	taken := map[string]bool{}
	files := map[string]bool{}
	for i := range g.objects {
		o := g.objects[i]
		name := path.Base(o.Key)
		if ib.c.Items.Sidecar != "" && name == ib.c.Items.Sidecar {
			m, err := ib.meta(ctx, o, false, true)
			if err != nil {
				return nil, nil, err
			}
			sidecar = m.Sidecar
			continue
		}
		rule := matchRule(ib.c.Assets, name)
		if rule != nil && rule.Skip || rule == nil && !ib.c.IncludeUnmatchedFiles() {
			continue
		}
		if files[name] {
			return nil, nil, fmt.Errorf("two files named %q in one item (%s)", name, o.Key)
		}
		files[name] = true
		fv := fileVars(vars, name)
		key := stem(name)
		if a := g.assets[o.Key]; a != "" {
			key = a
		}
		if rule != nil && rule.Key != "" {
			key = config.Expand(rule.Key, fv)
		}
		if taken[key] {
			key += "_" + strings.TrimPrefix(path.Ext(name), ".")
		}
		if taken[key] {
			return nil, nil, fmt.Errorf("asset key %q is used twice (file %s)", key, o.Key)
		}
		taken[key] = true
		m, err := ib.meta(ctx, o, isTIFF(name), false)
		if err != nil {
			return nil, nil, err
		}
		assets = append(assets, &asset{obj: o, key: key, rule: rule, meta: m})
	}
	if len(assets) == 0 {
		return nil, nil, errors.New("no asset: every file was skipped or is a sidecar")
	}

	props := map[string]any{}
	for k, v := range ib.c.Properties {
		props[k] = config.ExpandValue(v, vars)
	}
	for k, v := range sidecar {
		if !reservedSidecarKeys[k] {
			props[k] = v
		}
	}
	start, end, err := ib.datetime(props, g.vars, assets)
	if err != nil {
		return nil, nil, err
	}

	item := &stac.Item{
		Type: "Feature", StacVersion: stac.Version, ID: id, Collection: ib.c.ID,
		Properties: props, Assets: map[string]*stac.Asset{},
		Links: []stac.Link{
			{Rel: "root", Href: "../../catalog.json", Type: stac.MediaJSON},
			{Rel: "parent", Href: "../collection.json", Type: stac.MediaJSON},
			{Rel: "collection", Href: "../collection.json", Type: stac.MediaJSON},
		},
	}
	if ib.b.opts.Pages != nil {
		item.Links = append(item.Links, htmlLink)
	}
	geom, w, err := ib.footprint(item, assets)
	if err != nil {
		return nil, nil, err
	}
	warnings = append(warnings, w...)
	item.Geometry = geom

	authRefs := ib.b.cfg.Signer != nil
	itemDir := ib.c.ID + "/" + id + "/"
	var copies []*asset // files published beside the item, once it is valid
	for _, a := range assets {
		_, codeOnItem := props["proj:code"]
		sa, err := ib.stacAsset(a, authRefs, codeOnItem, vars, &copies)
		if err != nil {
			return nil, nil, err
		}
		item.Assets[a.key] = sa
	}
	if s := ib.b.authSchemes(); s != nil {
		props["auth:schemes"] = s
	}
	item.StacExtensions = extensions(item.Properties, item.Assets)
	rel := itemDir + id + ".json"
	data, err := ib.b.encode(rel, item)
	if err != nil {
		return nil, nil, err
	}
	// Only a valid item publishes anything: its files, then its JSON (an
	// item left out by --skip-invalid-items leaves no orphan data behind).
	for _, a := range copies {
		if err := ib.copyFile(ctx, a, itemDir); err != nil {
			return nil, nil, err
		}
	}
	if err := ib.b.sink.WriteFile(rel, data); err != nil {
		return nil, nil, err
	}
	if ib.parquet != nil {
		if err := ib.parquet.Add(item, data); err != nil {
			return nil, nil, err
		}
	}
	var row *render.Row
	if pages := ib.b.opts.Pages; pages != nil {
		r, err := pages.Item(ib.b.sink, rel, item, ib.b.pageContext(ib.c))
		if err != nil {
			return nil, nil, err
		}
		row = &r
	}
	delete(props, "auth:schemes")
	return &itemSummary{id: id, title: stringProp(props, "title"), bbox: item.BBox, start: start, end: end, props: props, assets: item.Assets, row: row}, warnings, nil
}

func fileVars(vars map[string]string, name string) map[string]string {
	fv := make(map[string]string, len(vars)+3)
	for k, v := range vars {
		fv[k] = v
	}
	fv["file"], fv["stem"], fv["ext"] = name, stem(name), strings.TrimPrefix(path.Ext(name), ".")
	return fv
}

func matchRule(rules []config.AssetRule, name string) *config.AssetRule {
	for i := range rules {
		if ok, _ := path.Match(rules[i].Match, name); ok {
			return &rules[i]
		}
	}
	return nil
}

func isTIFF(name string) bool {
	ext := strings.ToLower(path.Ext(name))
	return ext == ".tif" || ext == ".tiff"
}

// meta returns what is known of an object's bytes, reading them only when
// the previous state has nothing for this fingerprint.
func (ib *itemBuilder) meta(ctx context.Context, o source.Object, raster, sidecar bool) (*ObjectMeta, error) {
	fp := o.Fingerprint()
	if p := ib.prev[o.Key]; p != nil && p.Fingerprint == fp && (!raster || p.Raster != nil) && (!sidecar || p.Sidecar != nil) {
		ib.b.reused.Add(1)
		ib.store(o.Key, p)
		return p, nil
	}
	m := &ObjectMeta{Fingerprint: fp}
	if sidecar {
		data, err := ib.src.ReadFile(ctx, o.Key, maxSidecar)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(data, &m.Sidecar); err != nil {
			return nil, fmt.Errorf("sidecar %s: not a JSON object: %w", o.Key, err)
		}
		if m.Sidecar == nil {
			m.Sidecar = map[string]any{}
		}
	} else {
		sum, ok, err := ib.src.MD5(ctx, o)
		if err != nil {
			return nil, err
		}
		if ok {
			m.MD5 = sum
		}
	}
	if raster {
		info, err := geotiff.Read(ib.src.ReaderAt(ctx, o.Key, o.Size), o.Size)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o.Key, err)
		}
		ib.b.opts.Progress.HeaderReads.Add(1)
		m.Raster = rasterMeta(info)
	}
	ib.store(o.Key, m)
	return m, nil
}

func (ib *itemBuilder) store(key string, m *ObjectMeta) {
	if !ib.b.opts.KeepState {
		return
	}
	ib.b.stateMu.Lock()
	ib.cur[key] = m
	ib.b.stateMu.Unlock()
}

var datetimeLayouts = []string{"20060102T150405", time.RFC3339Nano, "2006-01-02T15:04:05", "20060102", "2006-01-02"}

func parseTime(s, layout string) (time.Time, error) {
	if layout != "" {
		return time.Parse(layout, s)
	}
	for _, l := range datetimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot parse %q as a date-time (formats tried: %s; set items.datetime_format)", s, strings.Join(datetimeLayouts, ", "))
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// datetime sets properties.datetime from, in order: the key pattern's
// datetime group, the sidecar (already merged into props), the first TIFF
// DateTime tag, the collection's fallback. It returns the item's interval.
func (ib *itemBuilder) datetime(props map[string]any, groups map[string]string, assets []*asset) (time.Time, time.Time, error) {
	var t time.Time
	switch {
	case groups["datetime"] != "":
		v, err := parseTime(groups["datetime"], ib.c.Items.DatetimeFormat)
		if err != nil {
			return t, t, fmt.Errorf("datetime from the key pattern: %w", err)
		}
		t = v
	case props["datetime"] != nil:
		s, _ := props["datetime"].(string)
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return t, t, fmt.Errorf("sidecar datetime %v is not RFC 3339", props["datetime"])
		}
		t = v
	}
	if t.IsZero() {
		for _, a := range assets {
			if r := a.meta.Raster; r != nil && r.DateTime != "" {
				if v, err := time.Parse("2006:01:02 15:04:05", strings.TrimSpace(r.DateTime)); err == nil {
					t = v
					break
				}
			}
		}
	}
	if t.IsZero() {
		t = ib.c.FallbackDatetime()
	}
	start, end, err := interval(props)
	if err != nil {
		return t, t, err
	}
	if t.IsZero() {
		if start.IsZero() || end.IsZero() {
			return t, t, errors.New("no datetime: add a (?P<datetime>...) group to items.pattern, a sidecar 'datetime', or the collection's 'datetime'")
		}
		props["datetime"] = nil
		return start, end, nil
	}
	props["datetime"] = formatTime(t)
	if start.IsZero() {
		start, end = t, t
	}
	return start, end, nil
}

func interval(props map[string]any) (time.Time, time.Time, error) {
	var out [2]time.Time
	for i, k := range []string{"start_datetime", "end_datetime"} {
		if v, ok := props[k].(string); ok {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return out[0], out[1], fmt.Errorf("%s %q is not RFC 3339", k, v)
			}
			out[i] = t
		}
	}
	return out[0], out[1], nil
}

// footprint sets bbox and proj:code and returns the item geometry: the
// union of the footprints of every georeferenced raster (geotransform or
// ground control points), or with items.geometry "largest" the footprint of
// the raster with the most pixels (ties: first asset key). Rasters of one
// CRS on unrotated grids whose rectangles tile a rectangle (bands of one
// extent, a mosaic of tiles) are outlined once, over that rectangle; any
// other raster is merged by polygon union, and one that does not even
// touch the others is a warning naming both.
func (ib *itemBuilder) footprint(item *stac.Item, assets []*asset) (any, []string, error) {
	var geo []*asset
	var ungeoref []string
	codes := map[int]bool{}
	for _, a := range assets {
		r := a.meta.Raster
		if r == nil {
			continue
		}
		if r.GeoTransform == nil && len(r.GCPList) == 0 {
			ungeoref = append(ungeoref, path.Base(a.obj.Key)+": neither a geotransform nor ground control points")
			continue
		}
		if r.EPSG == 0 && r.GeoKeys == nil {
			ungeoref = append(ungeoref, path.Base(a.obj.Key)+": pixel coordinates but no coordinate reference system (no GeoKeys)")
			continue
		}
		codes[r.EPSG] = true
		geo = append(geo, a)
	}
	if len(geo) == 0 {
		if len(ungeoref) > 0 {
			return nil, []string{fmt.Sprintf("collection %s, item %s: %s; geometry is null", ib.c.ID, item.ID, strings.Join(ungeoref, "; "))}, nil
		}
		return nil, []string{fmt.Sprintf("collection %s, item %s: no raster; geometry is null", ib.c.ID, item.ID)}, nil
	}
	pixels := func(a *asset) int { return a.meta.Raster.Width * a.meta.Raster.Height }
	sort.SliceStable(geo, func(i, j int) bool {
		if pixels(geo[i]) != pixels(geo[j]) {
			return pixels(geo[i]) > pixels(geo[j])
		}
		return geo[i].key < geo[j].key
	})
	largest := geo[0]
	if code := largest.meta.Raster.EPSG; len(codes) == 1 && code != 0 {
		item.Properties["proj:code"] = fmt.Sprintf("EPSG:%d", code)
	}
	rest := geo[1:]
	if ib.c.Items.Geometry == config.GeometryLargest {
		rest = nil
	}
	var geom *crs.Geometry
	var bbox [4]float64
	var err error
	if len(rest) > 0 {
		var merged map[*asset]bool
		geom, bbox, merged, err = ib.b.tiledOutline(geo)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", largest.obj.Key, err)
		}
		if geom != nil {
			rest = rest[:0:0]
			for _, a := range geo {
				if !merged[a] {
					rest = append(rest, a)
				}
			}
		}
	}
	if geom == nil {
		if geom, bbox, err = ib.b.rasterOutline(largest.meta.Raster); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", largest.obj.Key, err)
		}
	}
	var warnings []string
	for _, a := range rest {
		g, _, err := ib.b.rasterOutline(a.meta.Raster)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", a.obj.Key, err)
		}
		u, b, disjoint, err := crs.Union(geom, g, unionTolerance)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: footprint union: %w", a.obj.Key, err)
		}
		if disjoint {
			warnings = append(warnings, fmt.Sprintf("collection %s, item %s: the footprint of %s does not intersect that of %s (a product assembled from different places?); the geometry covers both", ib.c.ID, item.ID, path.Base(a.obj.Key), path.Base(largest.obj.Key)))
		}
		geom, bbox = u, b
	}
	item.BBox = bbox[:]
	return geom, warnings, nil
}

// unionTolerance (degrees, about 1 cm) is how far apart two outlines may be
// and still count as the same edge when footprints are merged.
const unionTolerance = 1e-7

// transformer returns the CRS of a raster: its EPSG code, or the
// user-defined CRS its GeoKeys describe.
func (b *builder) transformer(r *RasterMeta) (crs.Transformer, error) {
	if r.EPSG != 0 {
		return crs.ForEPSGWith(r.EPSG, b.opts.Grids)
	}
	if r.GeoKeys == nil {
		return nil, errors.New("the raster has no CRS (no GeoKeys)")
	}
	def, err := crs.FromGeoKeys(crs.GeoKeys(*r.GeoKeys))
	if err != nil {
		return nil, err
	}
	return crs.NewWith(def, b.opts.Grids)
}

// rasterOutline is the WGS 84 footprint of one raster, from its
// geotransform, or from its ground control points fitted the way GDAL does
// (a polynomial of the order GDAL picks for their number).
func (b *builder) rasterOutline(r *RasterMeta) (*crs.Geometry, [4]float64, error) {
	t, err := b.transformer(r)
	if err != nil {
		return nil, [4]float64{}, err
	}
	if r.GeoTransform != nil {
		return crs.Footprint(t, *r.GeoTransform, r.Width, r.Height, 0)
	}
	gcps := make([]crs.GCP, len(r.GCPList))
	for i, g := range r.GCPList {
		gcps[i] = crs.GCP(g)
	}
	if crs.IsGeographic(r.EPSG) {
		gcps = crs.UnwrapGCPLongitudes(gcps)
	}
	p, err := crs.NewGCPTransformer(gcps, 0)
	if err != nil {
		return nil, [4]float64{}, err
	}
	return crs.FootprintFunc(t, p.PixelToCRS, r.Width, r.Height, 0)
}

// tiledOutline outlines at once the largest group of rasters that share a
// CRS and unrotated pixel axes when their rectangles tile a rectangle
// (bands of one extent, a mosaic of tiles): one footprint over that
// rectangle, with the pixel size of the group's largest raster. It returns
// nil when no group of two or more does.
func (b *builder) tiledOutline(geo []*asset) (*crs.Geometry, [4]float64, map[*asset]bool, error) {
	type key struct {
		epsg int
		keys string
	}
	groups := map[key][]*asset{}
	var order []key
	for _, a := range geo {
		r := a.meta.Raster
		if r.GeoTransform == nil || r.GeoTransform[2] != 0 || r.GeoTransform[4] != 0 {
			continue
		}
		k := key{epsg: r.EPSG}
		if r.EPSG == 0 {
			kb, _ := json.Marshal(r.GeoKeys)
			k.keys = string(kb)
		}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], a)
	}
	var best []*asset
	for _, k := range order {
		if g := groups[k]; len(g) > len(best) {
			best = g
		}
	}
	if len(best) < 2 {
		return nil, [4]float64{}, nil, nil
	}
	rects := make([][4]float64, len(best))
	for i, a := range best {
		r := a.meta.Raster
		bb := projBBox(*r.GeoTransform, r.Width, r.Height)
		rects[i] = [4]float64{bb[0], bb[1], bb[2], bb[3]}
	}
	bb, exact := crs.RectUnion(rects)
	if !exact {
		return nil, [4]float64{}, nil, nil
	}
	r := best[0].meta.Raster // the largest: its pixel size
	w := max(1, int(math.Round((bb[2]-bb[0])/math.Abs(r.GeoTransform[1]))))
	h := max(1, int(math.Round((bb[3]-bb[1])/math.Abs(r.GeoTransform[5]))))
	gt := [6]float64{bb[0], (bb[2] - bb[0]) / float64(w), 0, bb[3], 0, -(bb[3] - bb[1]) / float64(h)}
	t, err := b.transformer(r)
	if err != nil {
		return nil, [4]float64{}, nil, err
	}
	geom, box, err := crs.Footprint(t, gt, w, h, 0)
	if err != nil {
		return nil, [4]float64{}, nil, err
	}
	merged := map[*asset]bool{}
	for _, a := range best {
		merged[a] = true
	}
	return geom, box, merged, nil
}

// copyFile publishes an asset's file beside its item (a source without
// hrefs of its own, such as a local folder without href_base).
func (ib *itemBuilder) copyFile(ctx context.Context, a *asset, itemDir string) error {
	rc, err := ib.src.Open(ctx, a.obj.Key)
	if err != nil {
		return err
	}
	defer rc.Close() //nolint:errcheck // read only; a failed read is reported by CopyFile
	if err := ib.b.sink.CopyFile(itemDir+path.Base(a.obj.Key), rc); err != nil {
		return fmt.Errorf("copying %s: %w", a.obj.Key, err)
	}
	return nil
}

// stacAsset builds the STAC asset of one file; a file the source cannot
// link to is added to copies, to be published beside the item.
func (ib *itemBuilder) stacAsset(a *asset, authRefs, codeOnItem bool, vars map[string]string, copies *[]*asset) (*stac.Asset, error) {
	name := path.Base(a.obj.Key)
	sa := &stac.Asset{Extra: map[string]any{"file:size": a.obj.Size}}
	if href, ok := ib.src.Href(a.obj.Key); ok {
		sa.Href = href
		if authRefs {
			sa.Extra["auth:refs"] = []string{"signer"}
		}
	} else {
		sa.Href = "./" + name
		*copies = append(*copies, a)
	}
	if a.meta.MD5 != "" {
		sa.Extra["file:checksum"] = "d510" + a.meta.MD5 // multihash: MD5 (0xd5), 16 bytes
	}
	r := a.meta.Raster
	sa.Type = mediaType(name, r)
	sa.Roles = defaultRoles(name, r)
	if rule := a.rule; rule != nil {
		fv := fileVars(vars, name)
		sa.Title = config.Expand(rule.Title, fv)
		sa.Description = config.Expand(rule.Description, fv)
		if rule.Type != "" {
			sa.Type = rule.Type
		}
		if rule.Roles != nil {
			sa.Roles = rule.Roles
		}
		if rule.GSD != nil {
			sa.Extra["gsd"] = *rule.GSD
		}
	}
	if r == nil {
		return sa, nil
	}
	if r.GeoTransform != nil || len(r.GCPList) > 0 {
		if !codeOnItem && r.EPSG != 0 {
			sa.Extra["proj:code"] = fmt.Sprintf("EPSG:%d", r.EPSG)
		}
		sa.Extra["proj:shape"] = []int{r.Height, r.Width}
	}
	if r.GeoTransform != nil { // a GCP raster has no affine transform
		gt := *r.GeoTransform
		sa.Extra["proj:transform"] = []float64{gt[1], gt[2], gt[0], gt[4], gt[5], gt[3]}
		sa.Extra["proj:bbox"] = projBBox(gt, r.Width, r.Height)
	}
	var cfgBands []map[string]any
	if a.rule != nil {
		cfgBands = a.rule.Bands
	}
	bands := make([]map[string]any, len(r.Bands))
	for i, bm := range r.Bands {
		band := map[string]any{"data_type": bm.DataType}
		if bm.NoData != "" {
			band["nodata"] = noDataValue(bm.NoData)
		}
		if bm.Description != "" {
			band["description"] = bm.Description
		}
		if bm.Scale != nil {
			band["raster:scale"] = *bm.Scale
		}
		if bm.Offset != nil {
			band["raster:offset"] = *bm.Offset
		}
		if bm.Unit != "" {
			band["unit"] = bm.Unit
		}
		if res := resolution(r); res > 0 {
			band["raster:spatial_resolution"] = res
		}
		if i < len(cfgBands) {
			for k, v := range cfgBands[i] {
				band[k] = config.ExpandValue(v, vars)
			}
		}
		bands[i] = band
	}
	sa.Extra["bands"] = bands
	return sa, nil
}

// resolution is the pixel size in metres for projected rasters without
// rotation, else 0.
func resolution(r *RasterMeta) float64 {
	if r.GeoTransform == nil {
		return 0
	}
	gt := *r.GeoTransform
	if gt[2] != 0 || gt[4] != 0 || math.Abs(gt[1]) != math.Abs(gt[5]) || crs.IsGeographic(r.EPSG) {
		return 0
	}
	return math.Abs(gt[1])
}

func projBBox(gt [6]float64, w, h int) []float64 {
	minX, minY := math.Inf(1), math.Inf(1)
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	for _, p := range [][2]float64{{0, 0}, {float64(w), 0}, {0, float64(h)}, {float64(w), float64(h)}} {
		x := gt[0] + p[0]*gt[1] + p[1]*gt[2]
		y := gt[3] + p[0]*gt[4] + p[1]*gt[5]
		minX, maxX = math.Min(minX, x), math.Max(maxX, x)
		minY, maxY = math.Min(minY, y), math.Max(maxY, y)
	}
	return []float64{minX, minY, maxX, maxY}
}

// noDataValue is a number, or one of "nan", "inf", "-inf" (STAC 1.1 bands).
func noDataValue(s string) any {
	switch s {
	case "nan", "inf", "-inf":
		return s
	}
	var f float64
	if err := json.Unmarshal([]byte(s), &f); err == nil {
		return f
	}
	if _, err := fmt.Sscan(s, &f); err == nil {
		return f
	}
	return s
}

var mediaTypes = map[string]string{
	".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".jp2": "image/jp2",
	".json": "application/json", ".geojson": stac.MediaGeoJSON, ".xml": "application/xml",
	".txt": "text/plain", ".html": "text/html", ".pdf": "application/pdf",
	".nc": "application/netcdf", ".h5": "application/x-hdf5", ".zip": "application/zip",
	".parquet": "application/vnd.apache.parquet",
}

// mediaType gives the COG profile only to real COGs.
func mediaType(name string, r *RasterMeta) string {
	if r != nil {
		switch {
		case r.COG && r.GeoTransform != nil:
			return stac.MediaCOG
		case r.GeoTransform != nil:
			return stac.MediaGeoTIFF
		default:
			return "image/tiff"
		}
	}
	return mediaTypes[strings.ToLower(path.Ext(name))]
}

func defaultRoles(name string, r *RasterMeta) []string {
	if r != nil {
		return []string{"data"}
	}
	lower := strings.ToLower(name)
	switch ext := path.Ext(lower); {
	case (ext == ".png" || ext == ".jpg" || ext == ".jpeg") &&
		(strings.Contains(lower, "preview") || strings.Contains(lower, "thumb") || strings.Contains(lower, "quicklook")):
		return []string{"thumbnail"}
	case ext == ".xml" || ext == ".json" || ext == ".txt":
		return []string{"metadata"}
	}
	return nil
}

func stringProp(props map[string]any, k string) string {
	s, _ := props[k].(string)
	return s
}

// extensionPrefixes maps field prefixes to the extension schema declaring them.
var extensionPrefixes = map[string]string{
	"proj": stac.ExtProjection, "raster": stac.ExtRaster, "eo": stac.ExtEO,
	"file": stac.ExtFile, "auth": stac.ExtAuth, "view": stac.ExtView, "sat": stac.ExtSat,
}

// extensions lists the schemas of the extension fields used, sorted.
func extensions(props map[string]any, assets map[string]*stac.Asset) []string {
	used := map[string]bool{}
	var scan func(v any)
	scanKeys := func(m map[string]any) {
		for k, v := range m {
			if p, _, ok := strings.Cut(k, ":"); ok {
				if ext := extensionPrefixes[p]; ext != "" {
					used[ext] = true
				}
			}
			scan(v)
		}
	}
	scan = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			scanKeys(t)
		case []map[string]any:
			for _, m := range t {
				scanKeys(m)
			}
		case []any:
			for _, e := range t {
				scan(e)
			}
		}
	}
	scanKeys(props)
	for _, a := range assets {
		scanKeys(a.Extra)
	}
	out := make([]string, 0, len(used))
	for ext := range used {
		out = append(out, ext)
	}
	sort.Strings(out)
	return out
}
