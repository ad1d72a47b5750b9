package validate

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// extExamplesDir holds official examples of the pinned extension versions
// (testdata/extension-examples/README.md).
const extExamplesDir = "testdata/extension-examples"

// extExamplesLock is testdata/extension-examples/examples.lock.json.
type extExamplesLock struct {
	Comment string `json:"comment"`
	Files   []struct {
		Path         string `json:"path"` // below extExamplesDir
		Repository   string `json:"repository"`
		Commit       string `json:"commit"`
		SourcePath   string `json:"source_path"`
		URL          string `json:"url"`
		SHA256       string `json:"sha256"`
		License      string `json:"license"`
		ReleaseMatch string `json:"release_match"`
	} `json:"files"`
	NotSourced []struct {
		Version string `json:"version"`
		Reason  string `json:"reason"`
	} `json:"not_sourced"`
}

func readExtExamplesLock(t testing.TB) extExamplesLock {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(extExamplesDir, "examples.lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	var l extExamplesLock
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		t.Fatalf("examples.lock.json: %v", err)
	}
	return l
}

// extensionExamples returns the locked examples, failing the test on a file
// whose bytes differ from its lock entry.
func extensionExamples(t testing.TB) []Doc {
	t.Helper()
	return lockedExamples(t, readExtExamplesLock(t))
}

// lockedExamples reads the files l lists, checking their SHA-256.
func lockedExamples(t testing.TB, l extExamplesLock) []Doc {
	t.Helper()
	var docs []Doc
	for _, f := range l.Files {
		data, err := os.ReadFile(filepath.Join(extExamplesDir, filepath.FromSlash(f.Path)))
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256Hex(data); sum != f.SHA256 {
			t.Fatalf("%s: SHA-256 %s, the lock says %s: these files are copies of other projects' files and are never edited", f.Path, sum, f.SHA256)
		}
		docs = append(docs, Doc{Name: "extension-examples/" + f.Path, Data: data})
	}
	return docs
}

// TestExtensionExamplesLock: every file of testdata/extension-examples is
// in its lock with its SHA-256, under the folder of an extension version
// that schemas/official.lock.json pins and that the file declares, with its
// origin (repository, commit, path, raw URL), licence and what is known of
// its release; the versions without an example are listed with a reason.
func TestExtensionExamplesLock(t *testing.T) {
	l := readExtExamplesLock(t)
	files := map[string][]byte{} // read and checked against their SHA-256
	for _, d := range lockedExamples(t, l) {
		files[strings.TrimPrefix(d.Name, "extension-examples/")] = d.Data
	}
	lock, err := loadLock()
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	covered := map[string]int{}
	for _, f := range l.Files {
		if listed[f.Path] {
			t.Errorf("%s: listed twice", f.Path)
		}
		listed[f.Path] = true
		ext, ver, _ := strings.Cut(filepath.ToSlash(filepath.Dir(f.Path)), "/")
		schema := "https://stac-extensions.github.io/" + ext + "/" + ver + "/schema.json"
		if _, pinned := lock.Schemas[schema]; !pinned {
			t.Errorf("%s: %s is not pinned in schemas/official.lock.json", f.Path, schema)
		}
		covered[ext+"/"+ver]++
		repo, _ := strings.CutPrefix(f.Repository, "stac-extensions/")
		if repo != ext || len(f.Commit) != 40 || !strings.HasPrefix(f.SourcePath, "examples/") ||
			f.URL != "https://raw.githubusercontent.com/"+f.Repository+"/"+f.Commit+"/"+f.SourcePath {
			t.Errorf("%s: origin %s %s %s %s does not fit", f.Path, f.Repository, f.Commit, f.SourcePath, f.URL)
		}
		if f.License != "Apache-2.0" || f.ReleaseMatch == "" {
			t.Errorf("%s: licence %q, release_match %q", f.Path, f.License, f.ReleaseMatch)
		}
		data := files[f.Path]
		var doc struct {
			Extensions []string `json:"stac_extensions"`
		}
		if err := json.Unmarshal(data, &doc); err != nil || !slices.Contains(doc.Extensions, schema) {
			t.Errorf("%s: does not declare %s (%v)", f.Path, schema, err)
		}
	}
	err = filepath.WalkDir(extExamplesDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(extExamplesDir, p)
		rel = filepath.ToSlash(rel)
		if rel != "examples.lock.json" && rel != "README.md" && !listed[rel] {
			t.Errorf("%s: not in examples.lock.json", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Every pinned extension version has examples or a reason.
	for _, u := range slices.Sorted(maps.Keys(lock.Schemas)) {
		rest, ok := strings.CutPrefix(u, "https://stac-extensions.github.io/")
		if !ok {
			continue
		}
		v := strings.TrimSuffix(rest, "/schema.json")
		reason := ""
		for _, n := range l.NotSourced {
			if n.Version == v {
				reason = n.Reason
			}
		}
		switch {
		case covered[v] > 0 && reason != "":
			t.Errorf("%s: has examples and is listed as not sourced", v)
		case covered[v] == 0 && reason == "":
			t.Errorf("%s: pinned, without examples or a reason in not_sourced", v)
		case covered[v] > 0:
			t.Logf("%s: %d example(s)", v, covered[v])
		default:
			t.Logf("%s: no example: %s", v, reason)
		}
	}
}
