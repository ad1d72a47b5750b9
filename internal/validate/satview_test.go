package validate

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Documents and mutations for the Satellite v1.1.0 and View Geometry v1.1.0
// extensions, which stacgen emits when a product's sidecar metadata carries
// sat:* or view:* fields.

const (
	extSat  = "https://stac-extensions.github.io/sat/v1.1.0/schema.json"
	extView = "https://stac-extensions.github.io/view/v1.1.0/schema.json"
)

func s2SatFields() obj {
	return obj{
		"sat:platform_international_designator": "2015-028A", "sat:orbit_state": "descending",
		"sat:absolute_orbit": 44625, "sat:relative_orbit": 51, "sat:orbit_cycle": 143,
		"sat:anx_datetime": "2024-01-05T09:50:12.123456Z",
		"sat:orbit_state_vectors": obj{
			"2024-01-05T10:54:31.024Z":  []any{4062431.2, 487932.7, 5874211.9, -6388.1, 1412.4, 4345.7},
			"2024-01-05T10:54:41+00:00": []any{3998320.5, 502051.3, 5917516.1, -6433.6, 1411.5, 4315.5, 0.1, 0.1, 0.1},
		},
	}
}

func s2ViewFields() obj {
	return obj{"view:incidence_angle": 5.2, "view:azimuth": 104.3, "view:sun_elevation": 25.6, "view:sun_azimuth": 161.2, "view:off_nadir": 4.9}
}

func withExts(d obj, exts ...string) obj {
	d["stac_extensions"] = append(d["stac_extensions"].([]any), func() []any {
		var out []any
		for _, e := range exts {
			out = append(out, e)
		}
		return out
	}()...)
	return d
}

// satViewDocs returns the generated base documents using sat and view.
func satViewDocs() map[string]any {
	// Every field of both extensions in properties, view angles per band.
	full := withExts(s2Item(13), extSat, extView)
	for k, v := range s2SatFields() {
		full["properties"].(obj)[k] = v
	}
	for k, v := range s2ViewFields() {
		full["properties"].(obj)[k] = v
	}
	for i, b := range s2Bands {
		a := full["assets"].(obj)[b.key].(obj)
		a["view:incidence_angle"] = 5 + 0.1*float64(i)
		a["view:azimuth"] = 100 + float64(i)
	}
	full["assets"].(obj)["SCL"].(obj)["sat:relative_orbit"] = 51

	// One sat field in properties; view only in one asset.
	minimal := withExts(s2Item(15), extSat, extView)
	minimal["properties"].(obj)["sat:relative_orbit"] = 51
	minimal["assets"].(obj)["B02"].(obj)["view:incidence_angle"] = 7.5
	minimal["assets"].(obj)["B02"].(obj)["view:moon_elevation"] = 12

	// View only in properties, a single field.
	props := withExts(s2Item(17), extView)
	props["properties"].(obj)["view:sun_elevation"] = -5.5

	// Collection: summaries for both, item_assets with view fields.
	col := withExts(s2Collection(2), extSat, extView)
	sum := col["summaries"].(obj)
	sum["sat:relative_orbit"] = []any{51, 94}
	sum["sat:orbit_state"] = []any{"ascending", "descending"}
	sum["view:incidence_angle"] = obj{"minimum": 0.5, "maximum": 11.2}
	sum["view:sun_elevation"] = obj{"minimum": -2, "maximum": 70}
	col["item_assets"].(obj)["B04"].(obj)["view:incidence_angle"] = 5.2
	col["item_assets"].(obj)["B04"].(obj)["sat:orbit_state"] = "descending"
	col["assets"].(obj)["thumbnail"].(obj)["view:azimuth"] = 104.3

	// Collection naming view fields only in its summaries.
	colSum := withExts(s2Collection(1), extView, extSat)
	colSum["summaries"].(obj)["view:sun_azimuth"] = obj{"minimum": 120, "maximum": 170}

	return map[string]any{
		"s2/item-satview.json": full, "s2/item-sat-min.json": minimal, "s2/item-view-props.json": props,
		"s2/collection-satview.json": col, "s2/collection-view-summaries.json": colSum,
	}
}

// satViewMutations change sat: and view: fields, their placement and the
// conditions that make the extensions require them.
var satViewMutations = []mutation{
	// sat: integers ≥ 1
	set("/properties/sat:relative_orbit", 0), set("/properties/sat:relative_orbit", -1), set("/properties/sat:relative_orbit", 1.5),
	set("/properties/sat:relative_orbit", "51"), set("/properties/sat:relative_orbit", 1), set("/properties/sat:relative_orbit", nil),
	set("/properties/sat:absolute_orbit", 0), set("/properties/sat:absolute_orbit", 2.5), set("/properties/sat:absolute_orbit", 123456789),
	set("/properties/sat:absolute_orbit", []any{1}), set("/properties/sat:orbit_cycle", 0), set("/properties/sat:orbit_cycle", 3),
	set("/properties/sat:orbit_cycle", -3), set("/properties/sat:orbit_cycle", true),
	// sat: strings
	set("/properties/sat:orbit_state", "crossing"), set("/properties/sat:orbit_state", "Ascending"),
	set("/properties/sat:orbit_state", "geostationary"), set("/properties/sat:orbit_state", 1), set("/properties/sat:orbit_state", nil),
	set("/properties/sat:platform_international_designator", 5), set("/properties/sat:platform_international_designator", ""),
	set("/properties/sat:platform_international_designator", []any{"2015-028A"}),
	set("/properties/sat:anx_datetime", "2024-01-01T00:00:00Z"), set("/properties/sat:anx_datetime", "2024-01-01"),
	set("/properties/sat:anx_datetime", "2024-13-01T00:00:00Z"), set("/properties/sat:anx_datetime", 5),
	set("/properties/sat:anx_datetime", "2024-01-01T10:00:00+02:00"),
	// sat:orbit_state_vectors: keys and vectors
	set("/properties/sat:orbit_state_vectors", obj{}), set("/properties/sat:orbit_state_vectors", "x"),
	set("/properties/sat:orbit_state_vectors", []any{}),
	set("/properties/sat:orbit_state_vectors/2024-01-05T10:54:31.024Z", []any{1, 2, 3, 4, 5}),
	set("/properties/sat:orbit_state_vectors/2024-01-05T10:54:31.024Z", []any{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}),
	set("/properties/sat:orbit_state_vectors/2024-01-05T10:54:31.024Z", []any{"1", 2, 3, 4, 5, 6}),
	set("/properties/sat:orbit_state_vectors/2024-01-05T10:54:31.024Z", obj{"x": 1}),
	set("/properties/sat:orbit_state_vectors/yesterday", []any{1, 2, 3, 4, 5, 6}),
	set("/properties/sat:orbit_state_vectors/2024-01-05T10:54Z", []any{1, 2, 3, 4, 5, 6}),
	set("/properties/sat:orbit_state_vectors/2024-01-05T10:54Z", []any{1, 2}),
	set("/properties/sat:orbit_state_vectors/x2024-01-05T10:54:31Z", []any{1, 2, 3, 4, 5, 6, 7}),
	set("/properties/sat:orbit_state_vectors/2024-01-05T10:54:31.5Zjunk", []any{1, 2, 3, 4, 5, 6, 7, 8}),
	set("/properties/sat:orbit_state_vectors/junk2024-01-05T10:54+01:00", []any{1, 2, 3, 4, 5, 6}),
	set("/properties/sat:orbit_state_vectors/x2024-01-05T10:54:31.5Z", []any{1, 2, 3, 4, 5, 6}),
	set("/properties/sat:orbit_state_vectors/2024-01-05T10:54:31.5", []any{1, 2, 3, 4, 5, 6}),
	set("/properties/sat:orbit_state_vectors/2024-01-05T10:54Zjunk", []any{1, 2, 3, 4, 5, 6}),
	set("/properties/sat:orbit_state_vectors/2024-01-05T10:54:31+0100", []any{1, 2, 3, 4, 5, 6}),
	set("/properties/sat:orbit_state_vectors/2024-01-05T10:54:31Z", []any{1, 2, 3, 4, 5, 6, 7, 8, 9}),
	set("/properties/sat:orbit_state_vectors/2024-01-05T10:54:31Z", []any{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}),
	// sat: unknown fields, placement
	set("/properties/sat:foo", 1), set("/properties/sat:", 1), set("/properties/satx:foo", 1),
	del("/properties/sat:relative_orbit"), del("/properties/sat:orbit_state_vectors"),
	set("/assets/SCL/sat:relative_orbit", 0), set("/assets/B04/sat:orbit_state", "north"), set("/assets/*/sat:bar", 1),
	set("/assets/B04/sat:absolute_orbit", 7), set("/item_assets/B04/sat:absolute_orbit", -1), set("/item_assets/B04/sat:orbit_state", "up"),
	set("/summaries/sat:relative_orbit", "x"), set("/summaries/sat:foo", []any{1}), set("/assets/thumbnail/sat:orbit_cycle", 0),
	set("/links/*/sat:relative_orbit", 0), set("/sat:relative_orbit", 0),
	set("/stac_extensions", []any{extSat}), set("/stac_extensions/0", extSat),

	// view: angles and ranges
	set("/properties/view:incidence_angle", -1), set("/properties/view:incidence_angle", 91), set("/properties/view:incidence_angle", 90),
	set("/properties/view:incidence_angle", "30"), set("/properties/view:incidence_angle", nil), set("/properties/view:off_nadir", 0),
	set("/properties/view:off_nadir", -0.1), set("/properties/view:off_nadir", 90.5), set("/properties/view:azimuth", 360),
	set("/properties/view:azimuth", 360.5), set("/properties/view:azimuth", -1), set("/properties/view:sun_azimuth", 400),
	set("/properties/view:sun_azimuth", 0), set("/properties/view:sun_elevation", -90), set("/properties/view:sun_elevation", -91),
	set("/properties/view:sun_elevation", 91), set("/properties/view:sun_elevation", "x"), set("/properties/view:moon_azimuth", 10),
	set("/properties/view:moon_azimuth", 361), set("/properties/view:moon_elevation", -1), set("/properties/view:moon_elevation", 45),
	set("/properties/view:moon_elevation", 90.01), set("/properties/view:foo", 1), set("/properties/view:", 0),
	set("/properties/view:off_nadir", []any{1}),
	// view: which object carries the fields
	del("/properties/view:sun_elevation"), del("/properties/view:incidence_angle"),
	set("/assets/B04/view:incidence_angle", 100), set("/assets/B04/view:azimuth", -5), set("/assets/*/view:bar", 1),
	set("/assets/B02/view:incidence_angle", 100), set("/assets/B02/view:incidence_angle", "7"), del("/assets/B02/view:incidence_angle"),
	set("/assets/B02/view:moon_elevation", -3), set("/assets/B02", obj{"href": "x.tif", "view:sun_azimuth": 3}),
	set("/assets/visual/view:sun_elevation", 30), set("/assets/preview/view:azimuth", 1000),
	set("/assets", obj{"a": obj{"href": "a.tif", "view:azimuth": 1}}), set("/assets", obj{}), set("/assets", "x"),
	set("/properties", obj{"datetime": "2024-01-01T00:00:00Z"}), set("/properties", obj{"datetime": "2024-01-01T00:00:00Z", "view:azimuth": 1}),
	set("/properties/view:azimuth", 400), // with valid view: assets the properties are not checked
	// collections
	set("/summaries/view:off_nadir", obj{"minimum": 0, "maximum": 100}), set("/summaries/view:off_nadir", "x"),
	set("/summaries", "x"), del("/summaries"), del("/summaries/view:sun_azimuth"), del("/summaries/view:incidence_angle"),
	set("/item_assets/B04/view:incidence_angle", 100), del("/item_assets/B04/view:incidence_angle"),
	set("/item_assets/B02/view:azimuth", 5), set("/item_assets/B02/view:azimuth", 500), set("/item_assets", obj{}),
	set("/assets/thumbnail/view:azimuth", -1), del("/assets/thumbnail/view:azimuth"), set("/assets/thumbnail/view:sun_elevation", 10),
	set("/links/*/view:azimuth", 1), set("/view:azimuth", 1), set("/type", "Catalog"),
	set("/stac_extensions", []any{extView}), set("/stac_extensions/-", extView),
}

// upgradedExamples returns the official 1.1.0 examples that use sat or view
// v1.0.0 (for which there is no compact schema) with those extensions moved
// to v1.1.0, whose fields are a superset: those the official schemas accept,
// and those they reject (a Collection without any view: field).
func upgradedExamples(t *testing.T) (valid, invalid []Doc) {
	official := officialValidator(t)
	r := strings.NewReplacer(
		"https://stac-extensions.github.io/sat/v1.0.0/schema.json", extSat,
		"https://stac-extensions.github.io/view/v1.0.0/schema.json", extView)
	for _, f := range exampleFiles(t, "v1.1.0") {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		up := []byte(r.Replace(string(b)))
		if bytes.Equal(up, b) {
			continue
		}
		d := Doc{Name: "examples/" + filepath.Base(filepath.Dir(f)) + "/" + filepath.Base(f) + "@sat,view-v1.1.0", Data: up}
		issues, err := official.Validate(d.Name, d.Data)
		if err != nil {
			t.Fatal(err)
		}
		if len(issues) == 0 {
			valid = append(valid, d)
		} else {
			invalid = append(invalid, d)
		}
	}
	if len(valid) == 0 {
		t.Fatal("no official example uses sat or view")
	}
	return valid, invalid
}
