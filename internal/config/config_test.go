package config

import (
	"errors"
	"strings"
	"testing"
)

const good = `
catalog:
  id: demo
  description: Demo catalog
collections:
  - id: s2
    description: Sentinel-2
    license: CC-BY-4.0
    source: s3://bucket/s2/
    items:
      pattern: '(?P<id>S2[AB]_(?P<date>\d{8}))/'
    properties:
      platform: sentinel-2a
      s2:date: "{date}"
    assets:
      - match: 'B0?.tif'
        key: '{stem}'
        roles: [data]
        gsd: 10
`

func TestParseGood(t *testing.T) {
	cfg, err := Parse([]byte(good), "good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Collections[0]
	if !c.IsS3() || c.Pattern() == nil || *c.Assets[0].GSD != 10 || c.Properties["s2:date"] != "{date}" {
		t.Fatalf("unexpected parse: %+v", c)
	}
	if !c.IncludeUnmatchedFiles() {
		t.Fatal("include_unmatched should default to true")
	}
}

func TestParseReportsEveryProblemWithFieldAndLine(t *testing.T) {
	bad := `
catalog:
  id: "bad id!"
  description: x
collections:
  - id: a
    description: x
    license: CC-BY-4.0
    source: s3://bucket/a/
    colour: red
    assets:
      - match: '*.tif'
        gsd: -1
  - description: no id
    license: CC-BY-4.0
    source: data/
`
	_, err := Parse([]byte(bad), "bad.yaml")
	var p Problems
	if !errors.As(err, &p) {
		t.Fatalf("want Problems, got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{
		"catalog.id (line 3)",
		"collections[0] (line 6)", "colour",
		"collections[0].assets[0].gsd (line 13)",
		"collections[1] (line 14)", "'id'",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	if len(p) < 4 {
		t.Errorf("want at least 4 problems, got %d: %v", len(p), p)
	}
}

func TestSemanticChecks(t *testing.T) {
	bad := `
catalog: {id: c, description: d}
collections:
  - id: a
    description: x
    license: other
    source: s3:///nobucket
    datetime: yesterday
    items: {group_by: pattern, pattern: '(unclosed'}
    properties: {platform: "{sat}"}
  - id: a
    description: x
    license: other
    source: http://example.org/data
    items: {group_by: pattern, pattern: 'x(?P<date>\d+)', datetime_format: '2006'}
    assets:
      - {match: '[', key: '{nope}'}
`
	_, err := Parse([]byte(bad), "sem.yaml")
	if err == nil {
		t.Fatal("expected errors")
	}
	msg := err.Error()
	for _, want := range []string{
		"has no bucket", "collections[0].items.pattern", "missing closing )",
		"duplicate collection id \"a\"", "unsupported scheme",
		"needs a named group (?P<id>...)", "no (?P<datetime>...) group",
		"bad glob", "unknown placeholder {nope}", "unknown placeholder {sat}",
		"collections[0].datetime",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
}

func TestExpand(t *testing.T) {
	vars := map[string]string{"stem": "B02", "tile": "31TEJ"}
	if got := Expand("{stem}-{tile}-{unknown}", vars); got != "B02-31TEJ-{unknown}" {
		t.Fatal(got)
	}
	v := ExpandValue(map[string]any{"a": []any{"{tile}", 3}}, vars).(map[string]any)
	if v["a"].([]any)[0] != "31TEJ" || v["a"].([]any)[1] != 3 {
		t.Fatalf("%v", v)
	}
}
