package geoparquet

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/parquet-go/parquet-go"
	"gitlab.com/eocat/eocat/internal/crs"
	"gitlab.com/eocat/eocat/internal/stac"
)

// File is the name of a collection's stac-geoparquet file, beside its
// collection.json.
const File = "items.parquet"

// MediaType of the file (stac-geoparquet, GeoParquet).
const MediaType = "application/vnd.apache.parquet"

// DefaultRowGroup is the number of rows per row group: small enough that a
// browser reading with range requests fetches little more than it needs
// (see docs/performance.md for the measurement), large enough that the
// footer stays small.
const DefaultRowGroup = 1000

// Version of the stac-geoparquet specification written.
const Version = "1.1.0"

// Writer collects the items of one collection as they are built and writes
// them as one stac-geoparquet file. Add is safe for concurrent use. Items
// are spilled to a temporary file as their encoded JSON, so memory stays
// at a few dozen bytes per item whatever the collection's size.
type Writer struct {
	mu       sync.Mutex
	spill    *os.File
	off      int64
	rows     []rowRef
	props    map[string]kind
	assets   map[string]map[string]kind
	types    map[string]bool // geometry types seen
	err      error
	rowGroup int
}

// rowRef is what sorting needs of an item, and where its JSON is.
type rowRef struct {
	id     string
	bucket int64  // month of the item's time (years*12+month), for the sort
	start  int64  // µs since the epoch; math.MinInt64 without a time
	curve  uint32 // Hilbert index of the bbox centre
	off    int64
	wkb    int32 // bytes of geometry WKB at off (0: no geometry), then the JSON
	n      int32 // bytes of JSON
}

// NewWriter starts a writer whose spill file lives in the system's
// temporary folder (never in the published output). rowGroup ≤ 0 means
// DefaultRowGroup.
func NewWriter(rowGroup int) (*Writer, error) {
	f, err := os.CreateTemp("", "stacgen-items-*.spill")
	if err != nil {
		return nil, fmt.Errorf("geoparquet: %w", err)
	}
	if rowGroup <= 0 {
		rowGroup = DefaultRowGroup
	}
	return &Writer{spill: f, props: map[string]kind{}, assets: map[string]map[string]kind{}, types: map[string]bool{}, rowGroup: rowGroup}, nil
}

// Close removes the spill file. It may be called more than once.
func (w *Writer) Close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.spill != nil {
		name := w.spill.Name()
		// Cleanup of a temporary file: nothing to do if it fails.
		_ = w.spill.Close()
		_ = os.Remove(name)
		w.spill = nil
	}
}

// Add records an item; doc is its encoded JSON (as published). The
// geometry is spilled as WKB beside the JSON, converted from the item's
// own value (the JSON is not decoded twice for it).
func (w *Writer) Add(it *stac.Item, doc []byte) error {
	wkb, err := wkbOf(it.Geometry)
	if err != nil {
		return fmt.Errorf("geoparquet: %s: %w", it.ID, err)
	}
	// A rowRef holds the sizes as int32.
	nw, nd := len(wkb), len(doc)
	if nw > math.MaxInt32 || nd > math.MaxInt32 {
		return fmt.Errorf("geoparquet: %s: an item of %d bytes (geometry %d bytes) is larger than 2 GiB", it.ID, nd, nw)
	}
	ref := rowRef{id: it.ID, start: math.MinInt64, wkb: int32(nw), n: int32(nd)}
	for _, k := range []string{"datetime", "start_datetime"} {
		if s, ok := it.Properties[k].(string); ok {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				ref.start = t.UnixMicro()
				ref.bucket = int64(t.UTC().Year())*12 + int64(t.UTC().Month())
				break
			}
		}
	}
	if len(it.BBox) >= 4 {
		w, s, e, n := it.BBox[0], it.BBox[1], it.BBox[len(it.BBox)/2], it.BBox[len(it.BBox)/2+1]
		if w > e {
			e += 360
		}
		ref.curve = hilbert(lonLat((w+e)/2, (s+n)/2))
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	if w.spill == nil {
		return errors.New("geoparquet: writer closed")
	}
	for _, b := range [][]byte{wkb, doc} {
		if _, err := w.spill.Write(b); err != nil {
			w.err = fmt.Errorf("geoparquet: spilling %s: %w", it.ID, err)
			return w.err
		}
	}
	ref.off = w.off
	w.off += int64(len(wkb) + len(doc))
	w.rows = append(w.rows, ref)
	for k, v := range it.Properties {
		w.props[k] = merge(w.props[k], kindOf(v))
	}
	for key, a := range it.Assets {
		fields := w.assets[key]
		if fields == nil {
			fields = map[string]kind{}
			w.assets[key] = fields
		}
		fields["href"] = kString
		if a.Type != "" {
			fields["type"] = kString
		}
		if a.Title != "" {
			fields["title"] = kString
		}
		if a.Description != "" {
			fields["description"] = kString
		}
		if a.Roles != nil {
			fields["roles"] = kStrings
		}
		for f, v := range a.Extra {
			fields[f] = merge(fields[f], kindOf(v))
		}
	}
	if g, ok := geometryType(it.Geometry); ok {
		w.types[g] = true
	}
	return nil
}

// RowGroup is the number of rows per row group.
func (w *Writer) RowGroup() int { return w.rowGroup }

// item is the part of a STAC item's JSON a row needs (the geometry comes
// as WKB from Add).
type item struct {
	Type           string                    `json:"type"`
	StacVersion    string                    `json:"stac_version"`
	StacExtensions []string                  `json:"stac_extensions"`
	ID             string                    `json:"id"`
	Geometry       []byte                    `json:"-"` // WKB
	BBox           []float64                 `json:"bbox"`
	Properties     map[string]any            `json:"properties"`
	Links          []map[string]any          `json:"links"`
	Assets         map[string]map[string]any `json:"assets"`
	Collection     string                    `json:"collection"`
}

// WriteTo writes the file: rows sorted by month, then along a Hilbert curve
// over the bbox centres, then by time and id, so that a query on a date
// range and an area touches few row groups; row groups of the configured
// size carry min/max statistics for every column (datetime, the bbox
// fields, numeric properties). coll is embedded in the file metadata.
func (w *Writer) WriteTo(out io.Writer, coll *stac.Collection) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	rows := w.rows
	slices.SortFunc(rows, func(a, b rowRef) int {
		return cmp.Or(cmp.Compare(a.bucket, b.bucket), cmp.Compare(a.curve, b.curve), cmp.Compare(a.start, b.start), cmp.Compare(a.id, b.id))
	})
	schema := w.schema()
	meta, err := w.metadata(coll)
	if err != nil {
		return err
	}
	opts := []parquet.WriterOption{schema, parquet.MaxRowsPerRowGroup(int64(w.rowGroup)), parquet.Compression(&parquet.Snappy)}
	for _, kv := range meta {
		opts = append(opts, parquet.KeyValueMetadata(kv[0], kv[1]))
	}
	pw := parquet.NewGenericWriter[map[string]any](out, opts...)
	batch := make([]map[string]any, 0, 256)
	var buf []byte
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		_, err := pw.Write(batch)
		batch = batch[:0]
		return err
	}
	for _, r := range rows {
		n := int(r.wkb) + int(r.n)
		buf = slices.Grow(buf[:0], n)[:n]
		if _, err := w.spill.ReadAt(buf, r.off); err != nil {
			return fmt.Errorf("geoparquet: reading back %s: %w", r.id, err)
		}
		var it item
		if r.wkb > 0 {
			it.Geometry = bytes.Clone(buf[:r.wkb]) // buf is reused; the batch keeps rows
		}
		if err := json.Unmarshal(buf[r.wkb:], &it); err != nil {
			return fmt.Errorf("geoparquet: %s: %w", r.id, err)
		}
		row, err := w.row(&it)
		if err != nil {
			return fmt.Errorf("geoparquet: %s: %w", r.id, err)
		}
		batch = append(batch, row)
		if len(batch) == cap(batch) {
			if err := flush(); err != nil {
				return fmt.Errorf("geoparquet: %w", err)
			}
		}
	}
	if err := flush(); err != nil {
		return fmt.Errorf("geoparquet: %w", err)
	}
	if err := pw.Close(); err != nil {
		return fmt.Errorf("geoparquet: %w", err)
	}
	return nil
}

// Bytes is WriteTo into memory.
func (w *Writer) Bytes(coll *stac.Collection) ([]byte, error) {
	var b bytes.Buffer
	err := w.WriteTo(&b, coll)
	return b.Bytes(), err
}

// reserved are the top-level columns; properties cannot take their names
// (the catalog already refuses them in sidecars).
var reserved = map[string]bool{"type": true, "stac_version": true, "stac_extensions": true, "id": true, "geometry": true,
	"bbox": true, "links": true, "assets": true, "collection": true}

func (w *Writer) schema() *parquet.Schema {
	str := func() parquet.Node { return parquet.Optional(parquet.String()) }
	g := parquet.Group{
		"type":            parquet.String(),
		"stac_version":    parquet.String(),
		"stac_extensions": parquet.List(parquet.String()),
		"id":              parquet.String(),
		"geometry":        parquet.Optional(parquet.Leaf(parquet.ByteArrayType)),
		"bbox": parquet.Optional(parquet.Group{
			"xmin": parquet.Leaf(parquet.DoubleType), "ymin": parquet.Leaf(parquet.DoubleType),
			"xmax": parquet.Leaf(parquet.DoubleType), "ymax": parquet.Leaf(parquet.DoubleType),
		}),
		"links":      parquet.List(parquet.Group{"rel": parquet.String(), "href": parquet.String(), "type": str(), "title": str()}),
		"collection": str(),
	}
	for k, kd := range w.props {
		if !reserved[k] {
			g[k] = kd.node()
		}
	}
	assets := parquet.Group{}
	for key, fields := range w.assets {
		a := parquet.Group{}
		for f, kd := range fields {
			a[f] = kd.node()
		}
		assets[key] = parquet.Optional(a)
	}
	if len(assets) > 0 {
		g["assets"] = assets
	}
	return parquet.NewSchema("stac_item", g)
}

// row converts one decoded item to the schema's Go values: optional leaves
// take pointers (nil is null; a zero value is a value).
func (w *Writer) row(it *item) (map[string]any, error) {
	row := map[string]any{
		"type": it.Type, "stac_version": it.StacVersion, "stac_extensions": orEmpty(it.StacExtensions), "id": it.ID,
	}
	if it.Collection != "" {
		row["collection"] = &it.Collection
	}
	if len(it.Geometry) > 0 {
		row["geometry"] = it.Geometry
	}
	if b := it.BBox; len(b) == 4 || len(b) == 6 {
		h := len(b) / 2
		row["bbox"] = map[string]any{"xmin": b[0], "ymin": b[1], "xmax": b[h], "ymax": b[h+1]}
	}
	links := make([]any, 0, len(it.Links))
	for _, l := range it.Links {
		m := map[string]any{"rel": str(l["rel"]), "href": str(l["href"])}
		for _, k := range []string{"type", "title"} {
			if s, ok := l[k].(string); ok {
				m[k] = &s
			}
		}
		links = append(links, m)
	}
	row["links"] = links
	for k, kd := range w.props {
		if reserved[k] {
			continue
		}
		v, err := kd.value(it.Properties[k])
		if err != nil {
			return nil, fmt.Errorf("property %s: %w", k, err)
		}
		row[k] = v
	}
	if len(w.assets) > 0 {
		assets := map[string]any{}
		for key, fields := range w.assets {
			a, ok := it.Assets[key]
			if !ok {
				assets[key] = nil
				continue
			}
			m := map[string]any{}
			for f, kd := range fields {
				v, err := kd.value(a[f])
				if err != nil {
					return nil, fmt.Errorf("asset %s, %s: %w", key, f, err)
				}
				m[f] = v
			}
			assets[key] = m
		}
		row["assets"] = assets
	}
	return row, nil
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// metadata is the file's key-value metadata: GeoParquet's "geo" (with the
// bbox covering columns) and the collection, under the stac-geoparquet
// keys.
func (w *Writer) metadata(coll *stac.Collection) ([][2]string, error) {
	types := make([]string, 0, len(w.types))
	for t := range w.types {
		types = append(types, t)
	}
	sort.Strings(types)
	col := map[string]any{
		"encoding":       "WKB",
		"geometry_types": types,
		"covering": map[string]any{"bbox": map[string]any{
			"xmin": []string{"bbox", "xmin"}, "ymin": []string{"bbox", "ymin"},
			"xmax": []string{"bbox", "xmax"}, "ymax": []string{"bbox", "ymax"},
		}},
	}
	if coll != nil && len(coll.Extent.Spatial.BBox) > 0 && len(coll.Extent.Spatial.BBox[0]) == 4 {
		col["bbox"] = coll.Extent.Spatial.BBox[0]
	}
	geo, err := json.Marshal(map[string]any{"version": "1.1.0", "primary_column": "geometry", "columns": map[string]any{"geometry": col}})
	if err != nil {
		return nil, err
	}
	out := [][2]string{{"geo", string(geo)}}
	if coll != nil {
		c, err := stac.Encode(coll)
		if err != nil {
			return nil, err
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, c); err != nil {
			return nil, err
		}
		sg := `{"version":"` + Version + `","collections":{` + mustJSON(coll.ID) + `:` + compact.String() + `}}`
		out = append(out, [2]string{"stac-geoparquet", sg}, [2]string{"stac:collection", compact.String()})
	}
	return out, nil
}

func mustJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// ---- geometry ----

func geometryType(g any) (string, bool) {
	switch t := g.(type) {
	case *crs.Geometry:
		if t != nil {
			return t.Type, true
		}
	case map[string]any:
		s, ok := t["type"].(string)
		return s, ok
	}
	return "", false
}

// wkbOf encodes an item's geometry as little-endian WKB: directly from a
// footprint as stacgen computes it (*crs.Geometry), through its JSON
// otherwise (an item read back from a previous build); nil for no geometry.
func wkbOf(g any) ([]byte, error) {
	switch t := g.(type) {
	case nil:
		return nil, nil
	case *crs.Geometry:
		if t == nil {
			return nil, nil
		}
		switch c := t.Coordinates.(type) {
		case [][][2]float64:
			if t.Type == "Polygon" {
				return appendPolygon(make([]byte, 0, 9+len(c)*(4+16*len(c[0]))), c), nil
			}
		case [][][][2]float64:
			if t.Type == "MultiPolygon" {
				b := append(make([]byte, 0, 1024), 1)
				b = binary.LittleEndian.AppendUint32(b, 6)
				b = appendCount(b, len(c))
				for _, p := range c {
					b = appendPolygon(b, p)
				}
				return b, nil
			}
		}
	}
	raw, err := json.Marshal(g)
	if err != nil || string(raw) == "null" {
		return nil, err
	}
	return toWKB(raw)
}

// appendCount appends a WKB count (uint32) of points, rings or polygons: n
// is the length of a slice in memory, and 2^32 points (16 bytes each), rings
// or polygons (slice headers of 24 bytes) would take more than 64 GiB.
func appendCount(b []byte, n int) []byte {
	return binary.LittleEndian.AppendUint32(b, uint32(n)) //nolint:gosec // G115: bounded by memory, as said above
}

// appendPolygon appends one WKB Polygon.
func appendPolygon(b []byte, rs [][][2]float64) []byte {
	b = append(b, 1)
	b = binary.LittleEndian.AppendUint32(b, 3)
	b = appendCount(b, len(rs))
	for _, r := range rs {
		b = appendCount(b, len(r))
		for _, p := range r {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p[0]))
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p[1]))
		}
	}
	return b
}

// toWKB encodes a GeoJSON Polygon or MultiPolygon as little-endian WKB.
func toWKB(raw json.RawMessage) ([]byte, error) {
	var g struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		return nil, err
	}
	var b []byte
	ring := func(r [][]float64) {
		b = appendCount(b, len(r))
		for _, p := range r {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p[0]))
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p[1]))
		}
	}
	polygon := func(rs [][][]float64) {
		b = append(b, 1)
		b = binary.LittleEndian.AppendUint32(b, 3)
		b = appendCount(b, len(rs))
		for _, r := range rs {
			ring(r)
		}
	}
	switch g.Type {
	case "Polygon":
		var c [][][]float64
		if err := json.Unmarshal(g.Coordinates, &c); err != nil {
			return nil, err
		}
		polygon(c)
	case "MultiPolygon":
		var c [][][][]float64
		if err := json.Unmarshal(g.Coordinates, &c); err != nil {
			return nil, err
		}
		b = append(b, 1)
		b = binary.LittleEndian.AppendUint32(b, 6)
		b = appendCount(b, len(c))
		for _, p := range c {
			polygon(p)
		}
	default:
		return nil, fmt.Errorf("geometry type %q is not written as WKB", g.Type)
	}
	return b, nil
}

// lonLat maps a position to a 16-bit grid.
func lonLat(lon, lat float64) (uint32, uint32) {
	for lon > 180 {
		lon -= 360
	}
	x := uint32(math.Max(0, math.Min(65535, (lon+180)/360*65536)))
	y := uint32(math.Max(0, math.Min(65535, (lat+90)/180*65536)))
	return x, y
}

// hilbert is the index of (x, y) along a Hilbert curve over the 2^16 × 2^16
// grid: cells close on the curve are close on the ground.
func hilbert(x, y uint32) uint32 {
	const n = 1 << 16
	var d uint64
	for s := uint32(n / 2); s > 0; s /= 2 {
		var rx, ry uint32
		if x&s != 0 {
			rx = 1
		}
		if y&s != 0 {
			ry = 1
		}
		d += uint64(s) * uint64(s) * uint64((3*rx)^ry)
		if ry == 0 { // rotate the quadrant
			if rx == 1 {
				x, y = n-1-x, n-1-y
			}
			x, y = y, x
		}
	}
	return uint32(d)
}
