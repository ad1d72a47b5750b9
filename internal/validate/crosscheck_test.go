package validate

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"gitlab.com/eocat/eocat/internal/testenv"
)

// breakFastPath replaces the fast rewrite of every schema of doc by one that
// accepts anything: the divergence a bug in fast.go or eval.go would cause.
func breakFastPath(t *testing.T, v *Validator, doc []byte) {
	t.Helper()
	c := jsonschema.NewCompiler()
	if err := c.AddResource("mem:///true.json", true); err != nil {
		t.Fatal(err)
	}
	yes, err := c.Compile("mem:///true.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := parseJSON(doc)
	if err != nil {
		t.Fatal(err)
	}
	urls, _ := schemaURLs("doc", inst)
	if len(urls) == 0 {
		t.Fatal("no schema")
	}
	for _, u := range urls {
		cs := v.compile(u)
		if cs.err != nil {
			t.Fatal(cs.err)
		}
		cs.fast, cs.native = yes, false
	}
}

func TestCrossCheckCatchesAFastPathDivergence(t *testing.T) {
	valid, err := os.ReadFile(filepath.Join(testenv.SharedDir(t, "stac-examples"), "v1.1.0", "simple-item.json"))
	if err != nil {
		t.Fatal(err)
	}
	invalid := []byte(strings.Replace(string(valid), `"id": "20201211_223832_CS2"`, `"id": 42`, 1))
	if string(invalid) == string(valid) {
		t.Fatal("the example changed: no id to break")
	}

	// The library rejects the broken document; a healthy fast path too.
	v, err := New(Options{Offline: true, NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	if is, err := v.Validate("invalid.json", invalid); err != nil || len(is) == 0 {
		t.Fatalf("healthy validator: %v %v, want issues", is, err)
	}

	for _, tc := range []struct {
		name        string
		period      int
		wantSampled bool // the second invalid document is cross-checked too
	}{{"default period", 0, false}, {"every document", 1, true}} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := New(Options{Offline: true, NoCache: true, CrossCheck: tc.period})
			if err != nil {
				t.Fatal(err)
			}
			breakFastPath(t, v, valid)
			// The first document of its kind is always cross-checked.
			_, err = v.Validate("first.json", invalid)
			var de *DivergenceError
			if !errors.As(err, &de) || de.Doc != "first.json" || len(de.Issues) == 0 || !strings.Contains(err.Error(), "--exact-validation") {
				t.Fatalf("first invalid document: %v, want a DivergenceError naming it", err)
			}
			_, err = v.Validate("second.json", invalid)
			if sampled := errors.As(err, &de); sampled != tc.wantSampled {
				t.Fatalf("second invalid document: %v (sampled %v, want %v)", err, sampled, tc.wantSampled)
			}
			if _, err := v.Validate("valid.json", valid); err != nil {
				t.Fatalf("valid document: %v", err)
			}
			if v.CrossChecked() == 0 {
				t.Error("CrossChecked() = 0")
			}
		})
	}

	// --exact-validation: the library decides; no fast path to diverge.
	v, err = New(Options{Offline: true, NoCache: true, Exact: true})
	if err != nil {
		t.Fatal(err)
	}
	breakFastPath(t, v, valid)
	if is, err := v.Validate("invalid.json", invalid); err != nil || len(is) == 0 {
		t.Fatalf("exact validator: %v %v, want the library's issues", is, err)
	}

	// Off: the broken fast path is believed.
	v, err = New(Options{Offline: true, NoCache: true, CrossCheck: -1})
	if err != nil {
		t.Fatal(err)
	}
	breakFastPath(t, v, valid)
	if is, err := v.Validate("invalid.json", invalid); err != nil || len(is) != 0 {
		t.Fatalf("no cross-check: %v %v, want the broken fast path's verdict", is, err)
	}
}
