package stac

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// The reference encoding: encoding/json's Encoder (SetEscapeHTML(false),
// SetIndent("", "  ")) over mirror types whose MarshalJSON is the original
// implementation (the struct through encoding/json, then the sorted extra
// fields), so that nothing of encode.go is used.

type refLink Link

func (l refLink) MarshalJSON() ([]byte, error) {
	type plain Link
	return refWithExtra(plain(l), l.Extra)
}

type refAsset Asset

func (a refAsset) MarshalJSON() ([]byte, error) {
	type plain Asset
	return refWithExtra(plain(a), a.Extra)
}

// refItem mirrors Item (TestRefMirrors checks the fields and tags).
type refItem struct {
	Type           string               `json:"type"`
	StacVersion    string               `json:"stac_version"`
	StacExtensions []string             `json:"stac_extensions"`
	ID             string               `json:"id"`
	Geometry       any                  `json:"geometry"`
	BBox           []float64            `json:"bbox,omitempty"`
	Properties     map[string]any       `json:"properties"`
	Links          []refLink            `json:"links"`
	Assets         map[string]*refAsset `json:"assets"`
	Collection     string               `json:"collection,omitempty"`
}

// refCollection mirrors Collection.
type refCollection struct {
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
	Assets         map[string]*refAsset      `json:"assets,omitempty"`
	Links          []refLink                 `json:"links"`
	Extra          map[string]any            `json:"-"`
}

func (c refCollection) MarshalJSON() ([]byte, error) {
	type plain refCollection
	return refWithExtra(plain(c), c.Extra)
}

// refCatalog mirrors Catalog.
type refCatalog struct {
	Type           string         `json:"type"`
	StacVersion    string         `json:"stac_version"`
	StacExtensions []string       `json:"stac_extensions"`
	ID             string         `json:"id"`
	Title          string         `json:"title,omitempty"`
	Description    string         `json:"description"`
	Links          []refLink      `json:"links"`
	Extra          map[string]any `json:"-"`
}

func (c refCatalog) MarshalJSON() ([]byte, error) {
	type plain refCatalog
	return refWithExtra(plain(c), c.Extra)
}

func refWithExtra(v any, extra map[string]any) ([]byte, error) {
	base, err := refMarshal(v)
	if err != nil || len(extra) == 0 {
		return base, err
	}
	known := map[string]bool{}
	t := reflect.TypeOf(v)
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		known[name] = true
	}
	var keys []string
	for k := range extra {
		if !known[k] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	buf := bytes.NewBuffer(base[:len(base)-1])
	for _, k := range keys {
		kb, _ := refMarshal(k)
		vb, err := refMarshal(extra[k])
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

func refMarshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// toRef swaps the document types for their mirrors.
func toRef(doc any) any {
	links := func(l []Link) []refLink {
		if l == nil {
			return nil
		}
		out := make([]refLink, len(l))
		for i := range l {
			out[i] = refLink(l[i])
		}
		return out
	}
	switch d := doc.(type) {
	case *Item:
		r := refItem{d.Type, d.StacVersion, d.StacExtensions, d.ID, d.Geometry, d.BBox, d.Properties, links(d.Links), nil, d.Collection}
		if d.Assets != nil {
			r.Assets = map[string]*refAsset{}
			for k, a := range d.Assets {
				r.Assets[k] = (*refAsset)(a)
			}
		}
		return r
	case *Collection:
		r := refCollection{d.Type, d.StacVersion, d.StacExtensions, d.ID, d.Title, d.Description, d.Keywords, d.License,
			d.Providers, d.Extent, d.Summaries, d.ItemAssets, nil, links(d.Links), d.Extra}
		if d.Assets != nil {
			r.Assets = map[string]*refAsset{}
			for k, a := range d.Assets {
				r.Assets[k] = (*refAsset)(a)
			}
		}
		return r
	case *Catalog:
		return refCatalog{d.Type, d.StacVersion, d.StacExtensions, d.ID, d.Title, d.Description, links(d.Links), d.Extra}
	}
	panic(fmt.Sprintf("toRef: %T", doc))
}

func reference(doc any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	err := enc.Encode(toRef(doc))
	return buf.Bytes(), err
}

// TestRefMirrors: the mirrors have the fields and tags of the real types.
func TestRefMirrors(t *testing.T) {
	for _, p := range [][2]any{{Item{}, refItem{}}, {Collection{}, refCollection{}}, {Catalog{}, refCatalog{}}} {
		a, b := reflect.TypeOf(p[0]), reflect.TypeOf(p[1])
		if a.NumField() != b.NumField() {
			t.Fatalf("%s has %d fields, its mirror %d", a, a.NumField(), b.NumField())
		}
		for i := range a.NumField() {
			fa, fb := a.Field(i), b.Field(i)
			if fa.Name != fb.Name || fa.Tag != fb.Tag {
				t.Errorf("%s field %d: %s %q, mirror %s %q", a, i, fa.Name, fa.Tag, fb.Name, fb.Tag)
			}
		}
	}
}

// strs are strings that exercise every escaping rule.
var strs = []string{"", "plain", "a<b>&c", "quote\"back\\slash", "tab\tnl\ncr\rbs\bff\f", "\x00\x01\x1f\x7f",
	"é ü 中文 🛰", "bad \xff utf8 \xc3", "line\u2028para\u2029", "</script>", "https://example.com/a b?c=d&e=f#g"}

// nums are numbers at encoding/json's formatting boundaries.
var nums = []any{0.0, math.Copysign(0, -1), 1.0, -1.5, 1e-6, 9.99e-7, 1e-7, 1e20, 1e21, 123456789.123456789, 5e-324,
	math.MaxFloat64, 0.1, 1.0 / 3, float32(1e-7), float32(3.4e38), float32(0.1), 42, int64(-7), uint8(200), -0.000001}

// randomValue returns a random Extra/properties value.
func randomValue(r *rand.Rand, depth int) any {
	switch n := r.IntN(16); {
	case n < 3:
		return strs[r.IntN(len(strs))]
	case n < 6:
		return nums[r.IntN(len(nums))]
	case n == 6:
		return r.IntN(2) == 0
	case n == 7:
		return nil
	case n == 8:
		return []int{r.IntN(20000), r.IntN(20000)}
	case n == 9:
		return []float64{r.Float64() * 1e6, -r.Float64(), 0}
	case n == 10:
		return []string{strs[r.IntN(len(strs))]}
	case n == 11:
		return [][2]float64{{r.Float64(), r.Float64()}, {1, 2}}
	case n == 12 && depth < 3:
		m := map[string]any{}
		for range r.IntN(4) {
			m[strs[r.IntN(len(strs))]+fmt.Sprint(r.IntN(3))] = randomValue(r, depth+1)
		}
		if r.IntN(5) == 0 {
			return map[string]any(nil)
		}
		return m
	case n == 13 && depth < 3:
		var l []any
		for range r.IntN(4) {
			l = append(l, randomValue(r, depth+1))
		}
		if l == nil && r.IntN(2) == 0 {
			return []any{}
		}
		return l
	case n == 14:
		return []Provider{{Name: strs[r.IntN(len(strs))], Roles: []string{"host"}}, {Name: "b", URL: "https://x"}}
	default:
		return map[string]map[string]any{"k": {"a": 1.5}, "j": nil}
	}
}

func randomExtra(r *rand.Rand, known ...string) map[string]any {
	if r.IntN(4) == 0 {
		return nil
	}
	m := map[string]any{}
	for range r.IntN(6) {
		m[strs[r.IntN(len(strs))]+":"+fmt.Sprint(r.IntN(4))] = randomValue(r, 0)
	}
	if len(known) > 0 && r.IntN(3) == 0 {
		m[known[r.IntN(len(known))]] = "must not override" // known keys are skipped
	}
	return m
}

func randomLinks(r *rand.Rand) []Link {
	if r.IntN(6) == 0 {
		return nil
	}
	var l []Link
	for range r.IntN(4) {
		l = append(l, Link{Rel: strs[r.IntN(len(strs))], Href: strs[r.IntN(len(strs))], Type: strs[r.IntN(3)], Title: strs[r.IntN(len(strs))],
			Extra: randomExtra(r, "rel", "href")})
	}
	return l
}

func pick(r *rand.Rand) string { return strs[r.IntN(len(strs))] }

func randomDoc(r *rand.Rand) any {
	switch r.IntN(3) {
	case 0:
		it := &Item{Type: "Feature", StacVersion: Version, StacExtensions: []string{ExtEO, ExtFile}, ID: pick(r),
			Properties: map[string]any{"datetime": "2024-06-15T10:36:29Z"}, Links: randomLinks(r), Collection: strs[r.IntN(3)]}
		for range r.IntN(4) {
			it.Properties[pick(r)] = randomValue(r, 0)
		}
		switch r.IntN(5) {
		case 0:
			it.Geometry = nil
		case 4:
			it.Geometry, it.BBox = nil, []float64{} // empty, not nil: omitted
		case 1:
			it.Geometry = map[string]any{"type": "Point", "coordinates": []any{1.5, -2.25}}
		default:
			it.Geometry = struct {
				Type        string `json:"type"`
				Coordinates any    `json:"coordinates"`
			}{"Polygon", [][][2]float64{{{0, 0}, {r.Float64(), 0}, {1, 1e-7}, {0, 0}}}}
			if r.IntN(2) == 0 {
				it.Geometry = map[string]any{"type": "MultiPolygon", "coordinates": [][][][2]float64{
					{{{179, 0}, {180, 0}, {180, 1}, {179, 0}}}, {{{-180, 0}, {-179, r.Float64()}, {-180, 1}, {-180, 0}}, nil}}}
			}
			it.BBox = []float64{0, 0, r.Float64(), 1}
		}
		if r.IntN(5) > 0 {
			it.Assets = map[string]*Asset{}
			for range r.IntN(5) {
				it.Assets[pick(r)] = &Asset{Href: pick(r), Type: strs[r.IntN(3)], Title: pick(r), Description: strs[r.IntN(2)],
					Roles: [][]string{nil, {}, {"data"}, {"data", pick(r)}}[r.IntN(4)], Extra: randomExtra(r, "href", "roles", "type")}
			}
			if r.IntN(6) == 0 {
				it.Assets["nil"] = nil
			}
		}
		return it
	case 1:
		start := "2024-01-01T00:00:00Z"
		return &Collection{Type: "Collection", StacVersion: Version, StacExtensions: [][]string{nil, {}, {ExtEO}}[r.IntN(3)], ID: pick(r),
			Title: strs[r.IntN(3)], Description: pick(r), Keywords: [][]string{nil, {}, {"a", pick(r)}}[r.IntN(3)], License: "CC-BY-4.0",
			Providers: [][]Provider{nil, {{Name: pick(r), Description: pick(r), Roles: []string{"producer"}}}}[r.IntN(2)],
			Extent:    Extent{Spatial: SpatialExtent{BBox: [][]float64{{-180, -90, 180, 90}}}, Temporal: TemporalExtent{Interval: [][]*string{{&start, nil}}}},
			Summaries: []map[string]any{nil, {}, {pick(r): randomValue(r, 0)}}[r.IntN(3)], ItemAssets: map[string]map[string]any{"B04": {"roles": []string{"data"}, "title": pick(r)}},
			Assets: []map[string]*Asset{nil, {"items": {Href: "./items.parquet", Type: pick(r), Roles: []string{"collection-mirror"}, Extra: randomExtra(r, "href")}}}[r.IntN(2)],
			Links:  randomLinks(r), Extra: randomExtra(r, "id", "links")}
	default:
		return &Catalog{Type: "Catalog", StacVersion: Version, StacExtensions: []string{}, ID: pick(r), Title: strs[r.IntN(2)],
			Description: pick(r), Links: randomLinks(r), Extra: randomExtra(r, "type")}
	}
}

// TestEncodeMatchesEncodingJSON: Encode writes exactly the bytes of the
// reference (encoding/json with the original MarshalJSON methods) on 3,000
// random documents covering every string escape, number format, nil and
// empty collection, extra fields that collide with struct fields, and the
// value types stacgen puts in properties and extra fields.
func TestEncodeMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		doc := randomDoc(r)
		want, err := reference(doc)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Encode(doc)
		if err != nil {
			t.Fatalf("doc %d: %v", i, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("doc %d (%T): Encode differs from encoding/json\n got: %s\nwant: %s", i, doc, got, want)
		}
		// MarshalJSON (for callers of json.Marshal) is the compact form.
		m, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, want); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(m, bytes.ReplaceAll(compact.Bytes(), []byte("\n"), nil)) && !htmlEscapedEqual(m, compact.Bytes()) {
			t.Fatalf("doc %d: json.Marshal differs\n got: %s\nwant: %s", i, m, compact.Bytes())
		}
	}
}

// htmlEscapedEqual: json.Marshal HTML-escapes; a is b with <, > and &
// escaped.
func htmlEscapedEqual(a, b []byte) bool {
	var e bytes.Buffer
	json.HTMLEscape(&e, b)
	return bytes.Equal(a, e.Bytes())
}

// TestEncodeErrors: what encoding/json refuses, Encode refuses.
func TestEncodeErrors(t *testing.T) {
	for _, v := range []any{math.NaN(), math.Inf(1), float32(math.Inf(-1)), make(chan int), func() {}} {
		doc := &Item{Type: "Feature", Properties: map[string]any{"x": v}}
		if _, err := reference(doc); err == nil {
			t.Fatalf("reference accepts %T", v)
		}
		if b, err := Encode(doc); err == nil {
			t.Errorf("Encode accepts %v: %s", v, b)
		}
	}
}

func BenchmarkEncodeItem(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	var it *Item
	for it == nil || len(it.Assets) < 4 {
		it, _ = randomDoc(r).(*Item)
	}
	b.Run("stac.Encode", func(b *testing.B) {
		for b.Loop() {
			if _, err := Encode(it); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		for b.Loop() {
			if _, err := reference(it); err != nil {
				b.Fatal(err)
			}
		}
	})
}
