package validate

import (
	"cmp"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

// TestFastPathEquivalent: the rewritten schemas (fast.go) accept exactly the
// documents the original compiled schemas accept, schema by schema, and a
// Validator with the fast path reports exactly the issues of one without, on
// the whole equivalence corpus and every official example, valid and invalid
// alike, for both the official and the compact schemas.
func TestFastPathEquivalent(t *testing.T) {
	base, mutated := corpus(t)
	docs := append(base, mutated...)
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
			var checks, rejected int
			for _, d := range docs {
				inst, err := parseJSON(d.Data)
				if err != nil {
					t.Fatal(err)
				}
				urls, _ := schemaURLs(d.Name, inst)
				typ, _ := docType(inst)
				for _, u := range urls {
					c := fast.compile(u)
					if c.err != nil || c.fast == nil {
						continue // unavailable (compact side) or no rewrite: plain path
					}
					want := c.schema.Validate(inst) == nil
					if got := c.fastFor(typ).Validate(inst) == nil; got != want {
						t.Errorf("%s: %s: fast path accepts=%v, original accepts=%v", d.Name, u, got, want)
					}
					checks++
					if !want {
						rejected++
					}
				}
				a, errA := fast.Validate(d.Name, d.Data)
				b, errB := plain.Validate(d.Name, d.Data)
				// The library walks maps in random order: compare issues as sets.
				if (errA == nil) != (errB == nil) || !reflect.DeepEqual(sortedIssues(a), sortedIssues(b)) {
					t.Errorf("%s: fast path: %v %v; plain: %v %v", d.Name, a, errA, b, errB)
				}
			}
			for _, u := range []string{itemURL, extProj, extEO, extRas, extFile, extAuth} {
				if c := fast.compile(u); c.err == nil && c.fast == nil {
					t.Errorf("%s: no fast path", u)
				}
			}
			t.Logf("%d documents, %d (document, schema) verdicts compared (%d rejections): fast path and original agree", len(docs), checks, rejected)
		})
	}
}

func sortedIssues(is []Issue) []Issue {
	return slices.SortedFunc(slices.Values(is), func(a, b Issue) int {
		return cmp.Or(cmp.Compare(a.Pointer, b.Pointer), cmp.Compare(a.Schema, b.Schema), cmp.Compare(a.Message, b.Message))
	})
}
