package validate

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// TestFastPathEquivalent: the rewritten schemas (fast.go) accept exactly the
// documents the original compiled schemas accept, schema by schema, and a
// Validator with the fast path reports exactly the issues of one without, on
// the whole equivalence corpus, every official example of STAC 1.0.0 and
// 1.1.0 and the official examples of the pinned extension versions
// (testdata/extension-examples), valid and invalid alike, for both the
// official and the compact schemas. On the official side every extension
// example is compared against at least one schema it declares.
func TestFastPathEquivalent(t *testing.T) {
	base, mutated := corpus(t)
	docs := append(base, mutated...)
	ext := extensionExamples(t)
	docs = append(docs, ext...)
	isExt := func(name string) bool { return strings.HasPrefix(name, "extension-examples/") }
	for _, version := range []string{"v1.0.0", "v1.1.0"} {
		for _, f := range exampleFiles(t, version) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			docs = append(docs, Doc{Name: version + "/" + filepath.Base(f), Data: b})
		}
	}
	for _, side := range []struct {
		name string
		new  func(testing.TB) *Validator
	}{{"official", officialValidator}, {"compact", compactValidator}} {
		t.Run(side.name, func(t *testing.T) {
			t.Parallel()
			fast, plain := side.new(t), side.new(t)
			plain.plain = true
			var checks, rejected, extChecks, extRejected int
			for _, d := range docs {
				docChecks := 0
				inst, err := parseJSON(d.Data)
				if err != nil {
					t.Fatal(err)
				}
				urls, _ := schemaURLs(d.Name, inst)
				typ, _ := docType(inst)
				for _, u := range urls {
					c := fast.compile(u)
					if c.err != nil || c.fast == nil {
						if isExt(d.Name) && side.name == "official" {
							t.Logf("%s: %s: not compared (%v; fast path %v)", d.Name, u, c.err, c.fast != nil)
						}
						continue // unavailable (compact side, unpinned) or no rewrite: plain path
					}
					want := c.schema.Validate(inst) == nil
					if got := c.fastFor(typ).Validate(inst) == nil; got != want {
						t.Errorf("%s: %s: fast path accepts=%v, original accepts=%v", d.Name, u, got, want)
					}
					// The native evaluator, on the rewritten graph and on the
					// original one.
					if got := holds(c.fastFor(typ), inst, 0); c.native && got != want {
						t.Errorf("%s: %s: native evaluator accepts=%v, original accepts=%v", d.Name, u, got, want)
					}
					if got := holds(c.schema, inst, 0); nativeGraph(c.schema) && got != want {
						t.Errorf("%s: %s: native evaluator on the original graph accepts=%v, original accepts=%v", d.Name, u, got, want)
					}
					checks++
					docChecks++
					if !want {
						rejected++
					}
					if isExt(d.Name) {
						extChecks++
						if !want {
							extRejected++
							t.Logf("%s: %s: rejected by the original and the fast path", d.Name, u)
						}
					}
				}
				if isExt(d.Name) && side.name == "official" && docChecks == 0 {
					t.Errorf("%s: compared against none of its schemas", d.Name)
				}
				a, errA := fast.Validate(d.Name, d.Data)
				b, errB := plain.Validate(d.Name, d.Data)
				// The library walks maps in random order: compare issues as sets.
				if (errA == nil) != (errB == nil) || !reflect.DeepEqual(sortedIssues(a), sortedIssues(b)) {
					t.Errorf("%s: fast path: %v %v; plain: %v %v", d.Name, a, errA, b, errB)
				}
			}
			for _, u := range []string{itemURL, extProj, extEO, extRas, extFile, extAuth} {
				if c := fast.compile(u); c.err == nil && (c.fast == nil || !c.native) {
					t.Errorf("%s: no fast path (%v) or not native (%v)", u, c.fast != nil, c.native)
				}
			}
			t.Logf("%d documents, %d (document, schema) verdicts compared (%d rejections): fast path and original agree", len(docs), checks, rejected)
			t.Logf("of which %d extension examples: %d verdicts compared (%d rejections)", len(ext), extChecks, extRejected)
		})
	}
}

func sortedIssues(is []Issue) []Issue {
	return slices.SortedFunc(slices.Values(is), func(a, b Issue) int {
		return cmp.Or(cmp.Compare(a.Pointer, b.Pointer), cmp.Compare(a.Schema, b.Schema), cmp.Compare(a.Message, b.Message))
	})
}

// TestRewriteRules: rule 3 (oneOf dispatch) of fast.go on small schemas,
// with instances that match no oneOf branch, one, or (where the branches
// overlap and must stay a oneOf) two, and arrays at and around their bounds;
// the rewritten graph is decided by the library and by the native evaluator.
func TestRewriteRules(t *testing.T) {
	schemas := map[string]string{
		// discriminated object branches and a null branch (GeoJSON's shape)
		"geo": `{"oneOf": [{"type": "null"},
			{"type": "object", "required": ["type", "c"], "properties": {"type": {"enum": ["P"]}, "c": {"type": "number"}}},
			{"type": "object", "required": ["type", "c"], "properties": {"type": {"const": "L"}, "c": {"type": "array"}}},
			{"$ref": "#/definitions/m"}],
			"definitions": {"m": {"type": "object", "required": ["type"], "properties": {"type": {"enum": ["M"]}}}}}`,
		// disjoint JSON types: anyOf
		"types": `{"oneOf": [{"type": "string"}, {"type": ["null", "object"]}, {"type": "integer", "minimum": 3}]}`,
		// disjoint types next to an anyOf of the node's own: both kept
		"both": `{"anyOf": [{"type": "string", "minLength": 2}, {"type": "number"}], "oneOf": [{"type": "string"}, {"type": "integer"}]}`,
		// overlapping types (integer within number): stays a oneOf
		"overlap": `{"oneOf": [{"type": "number", "maximum": 10}, {"type": "integer", "minimum": 5}]}`,
		// same discriminator value twice: stays a oneOf
		"same": `{"oneOf": [{"type": "object", "required": ["k"], "properties": {"k": {"const": "a"}, "x": {"type": "string"}}},
			{"type": "object", "required": ["k"], "properties": {"k": {"const": "a"}, "y": {"type": "string"}}}]}`,
		// branches without a discriminator: stays a oneOf
		"plain": `{"oneOf": [{"type": "object", "required": ["a"]}, {"type": "object", "required": ["b"]}]}`,
		// nested arrays, integer items
		"shape": `{"type": "array", "minItems": 2, "maxItems": 3, "items": {"type": ["array", "null"], "items": {"type": "integer"}}}`,
		// untyped: only arrays are constrained
		"untyped": `{"minItems": 1, "items": {"type": "string"}}`,
		// array branches (proj:transform: 6 or 9 numbers)
		"branches": `{"type": "array", "oneOf": [{"minItems": 2, "maxItems": 2}, {"minItems": 4, "maxItems": 4}], "anyOf": [{"maxItems": 1}, {"items": {"type": "integer"}}], "items": {"type": "number"}}`,
		// overlapping array branches: [1] and [1, 2] hold both, so fail oneOf
		"overlapShape": `{"oneOf": [{"minItems": 1}, {"maxItems": 2}], "items": {"type": "number"}}`,
		// uniqueItems
		"unique": `{"type": "array", "uniqueItems": true, "items": {"type": "number"}}`,
	}
	keepsOneOf := map[string]bool{"overlap": true, "same": true, "plain": true, "branches": true, "overlapShape": true}
	instances := []string{`null`, `0`, `4`, `7`, `12`, `4.5`, `"s"`, `[]`, `{}`, `{"type": "P", "c": 1}`, `{"type": "P", "c": []}`,
		`{"type": "L", "c": []}`, `{"type": "L"}`, `{"type": "M"}`, `{"type": "Q", "c": 1}`, `{"type": 1}`, `{"c": 1}`,
		`{"k": "a"}`, `{"k": "a", "x": "1"}`, `{"k": "a", "x": 1}`, `{"k": "a", "x": "1", "y": 2}`, `{"a": 1}`, `{"a": 1, "b": 2}`, `{"b": 2}`,
		`[[1, 2], null]`, `[[1, 2.5], null]`, `[[1.0, 2e2], [], null]`, `[[1], [2], [3], [4]]`, `[null]`, `[[1, "2"], null]`, `[1, 2]`,
		`"ab"`, `["a"]`, `["a", 1]`, `[1, 1]`, `[1, 2.5]`, `[[-0, 1e400], null]`, `[1, 2, 3, 4]`, `[1, 2.5, 3, 4]`, `[1, 2, 3]`}
	for name, src := range schemas {
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft7)
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(src))
		if err != nil {
			t.Fatal(name, err)
		}
		if err := c.AddResource("mem:///"+name, doc); err != nil {
			t.Fatal(name, err)
		}
		orig, err := c.Compile("mem:///" + name)
		if err != nil {
			t.Fatal(name, err)
		}
		fast := fastGraph(orig)
		if fast == nil {
			t.Fatalf("%s: no fast graph", name)
		}
		if got := len(fast.OneOf) > 0; got != keepsOneOf[name] {
			t.Errorf("%s: oneOf kept = %v, want %v", name, got, keepsOneOf[name])
		}
		if !nativeGraph(fast) {
			t.Errorf("%s: rewritten graph not native", name)
		}
		accepted := 0
		for _, in := range instances {
			v, err := jsonschema.UnmarshalJSON(strings.NewReader(in))
			if err != nil {
				t.Fatal(in, err)
			}
			want, got := orig.Validate(v) == nil, fast.Validate(v) == nil
			if got != want {
				t.Errorf("%s: %s: rewritten accepts=%v, original accepts=%v", name, in, got, want)
			}
			if got := holds(fast, v, 0); got != want {
				t.Errorf("%s: %s: native evaluator on the rewritten graph accepts=%v, original accepts=%v", name, in, got, want)
			}
			if want {
				accepted++
			}
		}
		if accepted == 0 || accepted == len(instances) {
			t.Errorf("%s: original accepts %d of %d instances: the cases prove nothing", name, accepted, len(instances))
		}
	}
}

// TestNativeEvaluator: holds (eval.go) decides every keyword it implements
// as the library does, on schemas that exercise one or two keywords each and
// instances on both sides of each bound.
func TestNativeEvaluator(t *testing.T) {
	schemas := []string{
		`{"type": "integer"}`, `{"type": ["string", "null"]}`, `{"type": "number", "minimum": 1.5, "maximum": 3}`,
		`{"exclusiveMinimum": 0, "exclusiveMaximum": 10}`, `{"multipleOf": 0.5}`, `{"const": {"a": [1, 2.0]}}`,
		`{"enum": ["x", 1, null, [1]]}`, `{"minLength": 2, "maxLength": 3}`, `{"pattern": "^a(?!b)"}`,
		`{"format": "date-time"}`, `{"format": "uri"}`,
		`{"required": ["a"], "minProperties": 1, "maxProperties": 2}`,
		`{"properties": {"a": {"type": "string"}}, "patternProperties": {"^x": {"type": "number"}}, "additionalProperties": false}`,
		`{"additionalProperties": {"type": "boolean"}}`, `{"propertyNames": {"maxLength": 1}}`,
		`{"dependencies": {"a": ["b"], "c": {"required": ["d"]}}}`,
		`{"items": {"type": "number"}, "minItems": 1, "maxItems": 3, "uniqueItems": true}`,
		`{"items": [{"type": "string"}, {"type": "number"}], "additionalItems": false}`,
		`{"items": [{"type": "string"}], "additionalItems": {"type": "null"}}`, `{"contains": {"const": 2}}`,
		`{"not": {"type": "string"}}`, `{"allOf": [{"minimum": 0}, {"maximum": 5}]}`, `{"anyOf": [{"type": "string"}, {"minimum": 3}]}`,
		`{"oneOf": [{"type": "number"}, {"minimum": 2}]}`, `{"if": {"type": "string"}, "then": {"minLength": 2}, "else": {"type": "number"}}`,
		`{"definitions": {"d": {"type": "array", "items": {"$ref": "#/definitions/d"}}}, "$ref": "#/definitions/d"}`,
		`true`, `false`,
	}
	instances := []string{`null`, `true`, `0`, `0.3`, `2.25`, `1`, `1.5`, `2`, `2.0`, `2.5`, `3`, `3.5`, `10`, `-1`, `1e1`, `""`, `"a"`, `"ab"`,
		`"abc"`, `"abcd"`, `"é€"`, `"x"`, `"2024-01-01T00:00:00Z"`, `"2024-13-01"`, `"https://x.org/a"`, `"not a uri"`,
		`[]`, `[1]`, `[1, 1]`, `[1, 2, 3]`, `[1, 2, 3, 4]`, `["a", 1]`, `["a", 1, null]`, `["a", null]`, `[2]`, `[[1]]`, `[[[]]]`, `[[1, 2.0]]`,
		`{}`, `{"a": "s"}`, `{"a": 1}`, `{"a": "s", "b": 1}`, `{"x1": 1}`, `{"x1": "s"}`, `{"y": true}`, `{"y": 1}`, `{"ab": 1}`,
		`{"c": 1}`, `{"c": 1, "d": 2}`, `{"a": [1, 2.0]}`, `{"a": [1, 2]}`, `{"a": [1]}`}
	for i, src := range schemas {
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft7)
		c.UseRegexpEngine(ecmaRegexp)
		c.AssertFormat()
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(src))
		if err != nil {
			t.Fatal(src, err)
		}
		url := fmt.Sprintf("mem:///%d", i)
		if err := c.AddResource(url, doc); err != nil {
			t.Fatal(src, err)
		}
		sch, err := c.Compile(url)
		if err != nil {
			t.Fatal(src, err)
		}
		if !nativeGraph(sch) {
			t.Errorf("%s: not native", src)
			continue
		}
		accepted := 0
		for _, in := range instances {
			v, err := jsonschema.UnmarshalJSON(strings.NewReader(in))
			if err != nil {
				t.Fatal(in, err)
			}
			want := sch.Validate(v) == nil
			if got := holds(sch, v, 0); got != want {
				t.Errorf("%s: %s: native accepts=%v, library accepts=%v", src, in, got, want)
			}
			if want {
				accepted++
			}
		}
		if src != "true" && src != "false" && (accepted == 0 || accepted == len(instances)) {
			t.Errorf("%s: the library accepts %d of %d instances: the cases prove nothing", src, accepted, len(instances))
		}
	}
	// Keywords holds does not implement leave the graph to the library.
	c := jsonschema.NewCompiler()
	doc, _ := jsonschema.UnmarshalJSON(strings.NewReader(`{"$schema": "https://json-schema.org/draft/2020-12/schema", "unevaluatedProperties": false}`))
	if err := c.AddResource("mem:///u", doc); err != nil {
		t.Fatal(err)
	}
	if sch, err := c.Compile("mem:///u"); err != nil || nativeGraph(sch) {
		t.Errorf("a 2020-12 schema with unevaluatedProperties counts as native (err %v)", err)
	}
}
