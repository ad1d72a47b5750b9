package validate

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// mutation changes the value at a JSON pointer: "-" as last token appends to
// an array, "*" stands for the first key (sorted) or element. del removes it.
type mutation struct {
	ptr string
	val any
	del bool
}

func del(ptr string) mutation        { return mutation{ptr: ptr, del: true} }
func set(ptr string, v any) mutation { return mutation{ptr: ptr, val: v} }

var mutations = []mutation{
	// required fields
	del("/id"), del("/type"), del("/stac_version"), del("/links"), del("/assets"), del("/properties"), del("/geometry"),
	del("/bbox"), del("/properties/datetime"), del("/description"), del("/license"), del("/extent"), del("/extent/spatial"),
	del("/extent/temporal/interval"), del("/links/*/href"), del("/links/*/rel"), del("/assets/*/href"), del("/stac_extensions"),
	del("/collection"), del("/properties/auth:schemes"), del("/auth:schemes"), del("/properties/auth:schemes/signer/flows"),
	del("/properties/auth:schemes/oidc/openIdConnectUrl"), del("/auth:schemes/signer/flows/authorizationCode/method"),
	del("/geometry/coordinates"), del("/extent/temporal"), del("/summaries/bands/*/name"),
	// types and values
	set("/id", 42), set("/id", ""), set("/type", "Featur"), set("/type", "Catalog"), set("/type", "Collection"), set("/stac_version", 110),
	set("/properties", nil), set("/properties", "x"), set("/links", obj{}), set("/assets", []any{}), set("/assets/*", "x"),
	set("/properties/datetime", "2024-13-01T00:00:00Z"), set("/properties/datetime", "2024-01-01T10:00:00+02:00"),
	set("/properties/datetime", "yesterday"), set("/properties/datetime", nil), set("/properties/start_datetime", "2024-01-01T00:00:00Z"),
	set("/properties/created", "2024-01-01"), set("/properties/title", 1), set("/properties/description", ""),
	set("/properties/gsd", 0), set("/properties/instruments", "msi"), set("/properties/license", "CC BY"),
	set("/properties/bands", []any{obj{"name": "b"}}), set("/properties/providers", []any{obj{"roles": []any{"owner"}}}),
	set("/bbox", []any{0, 1, 2}), set("/bbox", []any{0, 1, 2, 3, 4}), set("/bbox", []any{"a", 1, 2, 3}), set("/bbox", []any{}),
	set("/geometry/type", "Circle"), set("/geometry/coordinates/0", []any{[]any{0, 0}, []any{1, 1}}), set("/geometry", nil),
	set("/geometry", obj{"type": "GeometryCollection", "geometries": []any{}}), set("/geometry/coordinates", "x"),
	set("/geometry", obj{"type": "Point", "coordinates": []any{1}}),
	// the geometry oneOf dispatch (fast.go rule 3): other types over the same
	// coordinates (a Polygon's are also MultiLineString coordinates), no or
	// non-string type, non-objects, nested collections
	set("/geometry/type", "MultiLineString"), set("/geometry/type", "MultiPolygon"), set("/geometry/type", "LineString"),
	set("/geometry/type", "MultiPoint"), set("/geometry/type", "Point"), set("/geometry/type", nil), set("/geometry/type", 3),
	set("/geometry/type", []any{"Polygon"}), del("/geometry/type"), set("/geometry", "Polygon"), set("/geometry", []any{}),
	set("/geometry", obj{}), set("/geometry", 0), set("/geometry/bbox", []any{0, 1}),
	set("/geometry", obj{"type": "MultiPoint", "coordinates": []any{[]any{1, 2}, []any{3, 4}}}),
	set("/geometry", obj{"type": "GeometryCollection", "geometries": []any{obj{"type": "Point", "coordinates": []any{1, 2}}, obj{"type": "LineString", "coordinates": []any{[]any{1, 2}}}}}),
	set("/geometry", obj{"type": "GeometryCollection", "geometries": []any{obj{"type": "Point", "coordinates": []any{1, 2}}, nil}}),
	set("/geometry", obj{"type": "GeometryCollection", "geometries": []any{obj{"type": "Polygon", "coordinates": []any{}}}}),
	set("/properties/proj:code", 32631), set("/properties/proj:code", nil), set("/properties/proj:code", "EPSG-32631"),
	set("/properties/proj:epsg", 32631), set("/properties/proj:shape", []any{10980, 10980, 3}),
	set("/properties/proj:centroid", obj{"lat": 100, "lon": 0}), set("/properties/proj:projjson", "x"),
	set("/properties/proj:geometry", obj{"type": "Polygon"}), set("/properties/proj:bbox", []any{1, 2, 3, 4, 5}),
	set("/assets/B04/proj:shape", []any{10980, 10980, 3}), set("/assets/B04/proj:shape", []any{10980.5, 10980}),
	set("/assets/B04/proj:transform", []any{1, 2, 3}), set("/assets/B04/proj:wkt2", 5),
	set("/assets/B04/file:size", -1), set("/assets/B04/file:size", "12"), set("/assets/B04/file:size", 1.5),
	set("/assets/B04/file:checksum", "XYZ"), set("/assets/B04/file:byte_order", "middle"), set("/assets/B04/file:foo", 1),
	set("/assets/B04/file:local_path", "/abs"), set("/assets/B04/file:values", []any{}), set("/links/*/file:size", -5),
	set("/assets/B04/bands/0/data_type", "uint12"), set("/assets/B04/bands/0/raster:bits_per_sample", 1.5),
	set("/assets/B04/bands/0/raster:sampling", "nearest"), set("/assets/B04/bands/0/raster:histogram", obj{"count": 1}),
	set("/assets/B04/bands/0/raster:scale", "1"), set("/assets/B04/bands/0/nodata", "none"),
	set("/assets/B04/bands/0/statistics", obj{}), set("/assets/B04/bands/0/eo:common_name", "infrared"),
	set("/assets/B04/bands/0/eo:center_wavelength", -1), set("/assets/B04/bands/0/raster:nodata", 0), set("/assets/B04/bands", []any{}),
	set("/assets/*/bands/0/eo:full_width_half_max", "x"), set("/properties/eo:cloud_cover", 101), set("/properties/eo:cloud_cover", "5"),
	set("/properties/eo:foo", 1), set("/properties/raster:scale", "x"), set("/assets/*/gsd", 0), set("/assets/*/roles", "data"),
	set("/assets/*/auth:refs", "signer"), set("/assets/*/auth:other", 1), set("/assets/*/eo:cloud_cover", -1),
	set("/links/*/method", "get"), set("/links/*/headers", obj{"a": 1}), set("/links/*/href", ""), set("/links/*/rel", 7),
	set("/links/-", obj{"rel": "self", "href": "relative.json"}), set("/links/-", obj{"rel": "x"}),
	set("/links/-", obj{"href": "x.json"}), set("/links/-", obj{"rel": "collection", "href": "../c.json"}),
	set("/links/*/auth:refs", "x"), set("/stac_extensions/-", extProj), set("/stac_extensions", "x"),
	set("/properties/auth:schemes/signer/type", 5), set("/properties/auth:schemes/oidc/type", "apiKey"),
	set("/properties/auth:schemes/oidc/type", "oauth2"), set("/properties/auth:schemes/signer/type", "http"),
	set("/properties/auth:schemes/signer/flows/authorizationCode/authorizationApi", "not a uri"),
	set("/properties/auth:schemes/signer/flows/authorizationCode/parameters/urls/required", "yes"),
	set("/properties/auth:schemes/signer/flows/authorizationCode/parameters/urls/schema", obj{"type": "tuple"}),
	set("/properties/auth:schemes/x", obj{"type": "http"}), set("/properties/auth:schemes/x", "http"),
	set("/properties/auth:refs", []any{"signer"}), set("/auth:schemes/oidc/flows", obj{}), set("/auth:schemes", []any{}),
	set("/auth:schemes/o2", obj{"type": "oauth2", "flows": obj{"implicit": obj{"scopes": obj{}}}}),
	set("/auth:schemes/o2", obj{"type": "oauth2", "flows": obj{"password": obj{"tokenUrl": "https://a.example/t", "scopes": obj{"a": "b"}}}}),
	set("/auth:schemes/k", obj{"type": "apiKey", "name": "x-api-key", "in": "header"}),
	// collections and catalogs
	set("/extent/spatial/bbox", []any{}), set("/extent/spatial/bbox", []any{[]any{0, 0, 1, 1}, []any{0, 0, 1, 1}}),
	set("/extent/spatial/bbox/0", []any{0, 0, 1}), set("/extent/temporal/interval", []any{}),
	set("/extent/temporal/interval/0", []any{"2024-01-01T00:00:00Z"}), set("/extent/temporal/interval/0/0", "2024-01-01"),
	set("/license", "CC BY"), set("/summaries/platform", []any{}), set("/summaries/gsd", obj{"minimum": 10}),
	set("/summaries/eo:cloud_cover", obj{"minimum": "a", "maximum": 5}), set("/summaries/eo:cloud_cover", []any{101}),
	set("/summaries/raster:bits_per_sample", []any{1.5}), set("/summaries/x", obj{"type": 5}), set("/summaries", []any{}),
	set("/item_assets/B04/href", "x"), set("/item_assets/B04", obj{"title": "x"}), set("/item_assets/B04/proj:shape", []any{1}),
	set("/item_assets/*/bands/0/eo:common_name", "ir"), set("/assets/thumbnail/file:size", -1),
	set("/providers", []any{obj{"roles": []any{"owner"}}}), set("/providers/0/url", 5), set("/description", ""), set("/description", 5),
	set("/type", "catalog"), set("/keywords", "s2"), set("/bands", []any{obj{"raster:scale": "x"}}),
}

// apply returns a mutated copy of doc, or false when the pointer does not
// apply to it.
func (m mutation) apply(doc []byte) ([]byte, bool) {
	var root any
	if json.Unmarshal(doc, &root) != nil {
		return nil, false
	}
	root, ok := m.at(root, strings.Split(m.ptr, "/")[1:])
	if !ok {
		return nil, false
	}
	b, err := json.Marshal(root)
	return b, err == nil
}

// at applies m to the node v reached by toks and returns v's new value.
func (m mutation) at(v any, toks []string) (any, bool) {
	tok, last := toks[0], len(toks) == 1
	switch p := v.(type) {
	case map[string]any:
		if tok == "*" {
			keys := slices.Sorted(maps.Keys(p))
			if len(keys) == 0 {
				return nil, false
			}
			tok = keys[0]
		}
		child, exists := p[tok]
		switch {
		case last && m.del:
			delete(p, tok)
			return p, exists
		case last:
			p[tok] = m.val
			return p, true
		case !exists:
			return nil, false
		}
		nv, ok := m.at(child, toks[1:])
		p[tok] = nv
		return p, ok
	case []any:
		if tok == "-" {
			return append(p, m.val), last && !m.del
		}
		idx := 0
		if tok != "*" {
			n, err := strconv.Atoi(tok)
			if err != nil {
				return nil, false
			}
			idx = n
		}
		switch {
		case idx >= len(p):
			return nil, false
		case last && m.del:
			return slices.Delete(p, idx, idx+1), true
		case last:
			p[idx] = m.val
			return p, true
		}
		nv, ok := m.at(p[idx], toks[1:])
		p[idx] = nv
		return p, ok
	}
	return nil, false
}

// corpus returns the equivalence corpus: the official 1.1.0 examples (and
// those using sat/view v1.0.0 moved to v1.1.0) and the Sentinel-2-like
// documents, then their mutations.
func corpus(t *testing.T) (base, mutated []Doc) {
	for _, f := range exampleFiles(t, "v1.1.0") {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		base = append(base, Doc{Name: "examples/" + filepath.Base(filepath.Dir(f)) + "/" + filepath.Base(f), Data: b})
	}
	col := s2Collection(3)
	noAuth := s2Item(7)
	noAuth["stac_extensions"] = []any{extProj, extEO, extRas, extFile}
	delete(noAuth["properties"].(obj), "auth:schemes")
	for _, a := range noAuth["assets"].(obj) {
		delete(a.(obj), "auth:refs")
	}
	nullGeom := s2Item(9)
	nullGeom["geometry"] = nil
	delete(nullGeom, "bbox")
	range_ := s2Item(11)
	range_["properties"].(obj)["start_datetime"] = "2024-01-01T00:00:00Z"
	range_["properties"].(obj)["end_datetime"] = "2024-01-02T00:00:00+00:00"
	range_["properties"].(obj)["datetime"] = nil
	docs := map[string]any{
		"s2/item-0.json": s2Item(0), "s2/item-1.json": s2Item(1), "s2/item-noauth.json": noAuth, "s2/item-nullgeom.json": nullGeom,
		"s2/item-range.json": range_, "s2/collection.json": col, "s2/catalog.json": s2Catalog(),
	}
	maps.Copy(docs, satViewDocs())
	for name, d := range docs {
		base = append(base, Doc{Name: name, Data: mustJSON(t, d)})
	}
	upgraded, rejected := upgradedExamples(t)
	base = append(base, upgraded...)
	slices.SortFunc(base, func(a, b Doc) int { return strings.Compare(a.Name, b.Name) })
	all := slices.Concat(mutations, satViewMutations)
	for _, d := range base {
		for i, m := range all {
			if b, ok := m.apply(d.Data); ok && string(b) != string(d.Data) {
				mutated = append(mutated, Doc{Name: d.Name + "#" + strconv.Itoa(i) + m.ptr, Data: b})
			}
		}
	}
	return base, append(mutated, rejected...)
}

// TestCompactEquivalence: the compact schemas accept and reject exactly the
// documents the official ones do, schema by schema.
func TestCompactEquivalence(t *testing.T) {
	official, compact := officialValidator(t), compactValidator(t)
	base, mutated := corpus(t)
	if len(mutated) < 200 {
		t.Fatalf("only %d mutated documents", len(mutated))
	}
	var accepted, rejected, disagree int
	for i, d := range append(base, mutated...) {
		agree, detail, err := CompareEngines(official, compact, d.Name, d.Data)
		if err != nil {
			t.Fatal(err)
		}
		if !agree {
			disagree++
			t.Errorf("%s: engines disagree:\n%s", d.Name, detail)
		}
		issues, err := official.Validate(d.Name, d.Data)
		if err != nil {
			t.Fatal(err)
		}
		if len(issues) == 0 {
			accepted++
		} else {
			rejected++
		}
		if i < len(base) && len(issues) > 0 {
			t.Errorf("base document %s invalid: %v", d.Name, issues)
		}
	}
	for u, src := range compact.Sources() {
		if src != SourceCompact {
			t.Errorf("compact validator loaded %s from %s", u, src)
		}
	}
	t.Logf("equivalence: %d documents (%d base, %d mutated): %d accepted, %d rejected by the official schemas; %d disagreements; %d compact schemas used",
		len(base)+len(mutated), len(base), len(mutated), accepted, rejected, disagree, len(compact.Sources()))
}
