package stac

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestAssetExtraFieldsSortedAfterKnown(t *testing.T) {
	a := Asset{Href: "./b.tif", Roles: []string{"data"}, Extra: map[string]any{
		"proj:shape": []int{2, 3}, "file:size": 10, "href": "ignored-duplicate",
	}}
	got, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"href":"./b.tif","roles":["data"],"file:size":10,"proj:shape":[2,3]}`
	if string(got) != want {
		t.Fatalf("got %s\nwant %s", got, want)
	}
}

func TestEncodeDeterministicAndUnescaped(t *testing.T) {
	it := Item{Type: "Feature", StacVersion: Version, StacExtensions: []string{}, ID: "a<b>",
		Properties: map[string]any{"z": 1, "a": "x&y", "datetime": "2024-01-01T00:00:00Z"},
		Links:      []Link{{Rel: "root", Href: "../../catalog.json", Type: MediaJSON}},
		Assets:     map[string]*Asset{"b": {Href: "b"}, "a": {Href: "a"}}}
	first, err := Encode(it)
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		again, _ := Encode(it)
		if string(again) != string(first) {
			t.Fatal("encoding is not deterministic")
		}
	}
	s := string(first)
	if !strings.Contains(s, `"a<b>"`) || !strings.Contains(s, `"x&y"`) {
		t.Fatalf("JSON should not HTML-escape (HTML escaping belongs to the renderer): %s", s)
	}
	if strings.Index(s, `"a": "x&y"`) > strings.Index(s, `"z": 1`) {
		t.Fatalf("properties not sorted: %s", s)
	}
	if !strings.HasSuffix(s, "}\n") {
		t.Fatal("missing trailing newline")
	}
}
