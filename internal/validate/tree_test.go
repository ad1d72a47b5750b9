package validate

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeCatalog lays out catalog.json, S2/collection.json and n items as
// stacgen does, after letting edit change the documents.
func writeCatalog(t *testing.T, n int, edit func(cat, col obj, items []obj)) string {
	t.Helper()
	dir := t.TempDir()
	cat, col := s2Catalog(), s2Collection(n)
	items := make([]obj, n)
	for i := range items {
		items[i] = s2Item(i)
	}
	if edit != nil {
		edit(cat, col, items)
	}
	write := func(rel string, v any) {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, mustJSON(t, v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("catalog.json", cat)
	write("S2/collection.json", col)
	for _, it := range items {
		id := it["id"].(string)
		write("S2/"+id+"/"+id+".json", it)
	}
	return dir
}

func TestTreeValid(t *testing.T) {
	v := officialValidator(t)
	dir := writeCatalog(t, 3, nil)
	for _, root := range []string{dir, filepath.Join(dir, "catalog.json")} {
		r, err := Tree(context.Background(), v, root, TreeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if r.Documents != 5 || len(r.Issues) != 0 {
			t.Errorf("%s: %d documents, issues %v; want 5, none", root, r.Documents, r.Issues)
		}
	}
	// The same tree over HTTP.
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	r, err := Tree(context.Background(), v, srv.URL+"/catalog.json", TreeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Documents != 5 || len(r.Issues) != 0 || len(r.Sources) == 0 {
		t.Errorf("http: %d documents, issues %v, sources %v", r.Documents, r.Issues, r.Sources)
	}
}

func TestTreeProblems(t *testing.T) {
	v := officialValidator(t)
	var badBBox, late, badShape string
	dir := writeCatalog(t, 4, func(cat, col obj, items []obj) {
		// a child link to nowhere
		cat["links"] = append(cat["links"].([]any), obj{"rel": "child", "href": "./missing/collection.json"})
		// item 1: bbox larger than its geometry
		items[1]["bbox"].([]any)[2] = 3.5
		badBBox = items[1]["id"].(string)
		// item 2: outside the collection's temporal extent
		items[2]["properties"].(obj)["datetime"] = "2025-06-01T00:00:00Z"
		late = items[2]["id"].(string)
		// item 3: fails the projection schema
		items[3]["properties"].(obj)["proj:shape"] = []any{1, 2, 3}
		badShape = items[3]["id"].(string)
	})
	r, err := Tree(context.Background(), v, filepath.Join(dir, "catalog.json"), TreeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Documents != 6 {
		t.Errorf("%d documents, want 6", r.Documents)
	}
	want := []struct{ file, ptr, msg string }{
		{"catalog.json", "/links/3/href", "child link"},
		{"S2/" + badBBox + "/" + badBBox + ".json", "/bbox", "not the envelope"},
		{"S2/collection.json", "/extent/spatial/bbox/0", badBBox},
		{"S2/collection.json", "/extent/temporal/interval/0", late},
		{badShape + ".json", "/properties/proj:shape", "projection/v2.0.0"},
	}
	for _, w := range want {
		found := false
		for _, is := range r.Issues {
			s := is.String()
			found = found || strings.HasSuffix(is.File, w.file) && is.Pointer == w.ptr && strings.Contains(s, w.msg)
		}
		if !found {
			t.Errorf("no issue %s %s %q in:\n%v", w.file, w.ptr, w.msg, r.Issues)
		}
	}
	for _, is := range r.Issues {
		t.Log(is)
	}
}

func TestBBoxAntimeridian(t *testing.T) {
	bb := box{170, -10, -170, 10}
	pts := [][2]float64{{170, -10}, {180, 0}, {-180, 0}, {-170, 10}}
	env := envelope(pts, bb.crosses())
	if !bb.contains(env, 1e-9) || !env.contains(bb, 1e-9) {
		t.Errorf("envelope %v != bbox %v", env, bb)
	}
	if (box{-180, -90, 180, 90}).contains(bb, 0) == false {
		t.Error("globe does not contain an antimeridian box")
	}
	if (box{160, -20, 179, 20}).contains(bb, 0) {
		t.Error("box west of the antimeridian contains one across it")
	}
	if !(box{150, -20, -160, 20}).contains(bb, 0) {
		t.Error("antimeridian box does not contain a smaller one")
	}
}

// TestTreeRemoteLinkToLocalFileIsNotFollowed: a catalog read over HTTP whose
// child link points to a local file gets an issue naming the link, and the
// file is not read (it would count as a document, and its broken schema
// would show); the same link from a local catalog is followed.
func TestTreeRemoteLinkToLocalFileIsNotFollowed(t *testing.T) {
	v := officialValidator(t)
	local := writeCatalog(t, 1, func(cat, col obj, items []obj) {
		cat["description"] = 42 // a schema problem that shows once the file is read
	})
	localURL := "file://" + filepath.ToSlash(filepath.Join(local, "catalog.json"))
	dir := writeCatalog(t, 1, func(cat, col obj, items []obj) {
		cat["links"] = append(cat["links"].([]any), obj{"rel": "child", "href": localURL})
	})
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	r, err := Tree(context.Background(), v, srv.URL+"/catalog.json", TreeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	refused := 0
	for _, is := range r.Issues {
		if strings.Contains(is.File, local) || strings.Contains(is.Message, "/description") {
			t.Errorf("the local file was read: %v", is)
		}
		if is.File == "catalog.json" && strings.Contains(is.Message, "child link "+localURL+" is not followed: a document read over the network may not link to a local file") {
			refused++
		}
	}
	if refused != 1 || r.Documents != 3 {
		t.Errorf("%d issues refusing the link (want 1), %d documents (want 3, the remote ones):\n%v", refused, r.Documents, r.Issues)
	}
	// From a local catalog, the same link is read (and its problem shows).
	r, err = Tree(context.Background(), v, filepath.Join(dir, "catalog.json"), TreeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Documents != 6 {
		t.Errorf("local root: %d documents, want 6 (the linked local catalog and its collection and item too)", r.Documents)
	}
}
