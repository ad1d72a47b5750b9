package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/eocat/eocat/internal/testenv"
)

// TestValidateAgreesWithOfficialExamples: every official example is valid
// (exit 0), and deliberately broken variants are rejected with exit 2.
func TestValidateAgreesWithOfficialExamples(t *testing.T) {
	schemas := testenv.SharedDir(t, "stac-schemas")
	examples := testenv.SharedDir(t, "stac-examples")
	var files []string
	_ = filepath.WalkDir(examples, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json") {
			files = append(files, p)
		}
		return err
	})
	if len(files) < 16 {
		t.Fatalf("found only %d examples", len(files))
	}
	for _, f := range files {
		rel, _ := filepath.Rel(examples, f)
		t.Run(rel, func(t *testing.T) {
			code, stdout, stderr := run(t, "validate", "--schemas", schemas, "--offline", f)
			if code != 0 {
				t.Fatalf("official example rejected (exit %d):\n%s%s", code, stdout, stderr)
			}
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for name, mutate := range breakers {
				var doc map[string]any
				if err := json.Unmarshal(data, &doc); err != nil {
					t.Fatal(err)
				}
				if !mutate(doc) {
					continue
				}
				// The broken copy sits in a copy of the whole examples tree,
				// so that only the mutation can make it invalid.
				tree := copyTree(t, examples)
				broken := filepath.Join(tree, rel)
				out, _ := json.Marshal(doc)
				if err := os.WriteFile(broken, out, 0o644); err != nil {
					t.Fatal(err)
				}
				code, stdout, stderr := run(t, "validate", "--schemas", schemas, "--offline", broken)
				if code != 2 || !strings.Contains(stdout, "schema https://") {
					t.Errorf("%s: broken variant not rejected by a schema (exit %d):\n%s%s", name, code, stdout, stderr)
				}
			}
		})
	}
}

// breakers each break a document in a way the official schemas reject; they
// return false when they do not apply.
var breakers = map[string]func(map[string]any) bool{
	"no id": func(d map[string]any) bool { delete(d, "id"); return true },
	"numeric title": func(d map[string]any) bool {
		if p, ok := d["properties"].(map[string]any); ok {
			p["title"] = 42
		} else {
			d["title"] = 42
		}
		return true
	},
	"link without href": func(d map[string]any) bool {
		links, _ := d["links"].([]any)
		if len(links) == 0 {
			return false
		}
		delete(links[0].(map[string]any), "href")
		return true
	},
	"bad datetime": func(d map[string]any) bool {
		p, ok := d["properties"].(map[string]any)
		if !ok {
			return false
		}
		p["datetime"] = "yesterday"
		return true
	},
	"bbox of 3 numbers": func(d map[string]any) bool {
		if _, ok := d["bbox"]; !ok {
			return false
		}
		d["bbox"] = []any{1, 2, 3}
		return true
	},
	"collection without license": func(d map[string]any) bool {
		if d["type"] != "Collection" {
			return false
		}
		delete(d, "license")
		return true
	},
	"asset href a number": func(d map[string]any) bool {
		assets, _ := d["assets"].(map[string]any)
		for _, a := range assets {
			a.(map[string]any)["href"] = 42
			return true
		}
		return false
	},
}

func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}
