package signer

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// POST /sign/stac rewrites the document in place: the signed hrefs and the
// top-level expiry change, every other byte (numbers, key order, spacing,
// escapes, nested "expiry" members) comes back as sent.
func TestSignSTACKeepsTheDocument(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.BatchLimit = 3 })
	blue := e.obj("public/S2/B02.tif")
	escaped := strings.ReplaceAll(blue, "/", `\/`) // the same href, JSON-escaped
	signed := regexp.MustCompile(`"(` + regexp.QuoteMeta(e.s3.Endpoint) + `/eodata/public/S2/B02\.tif\?X-Amz-[^"]*)"`)
	expiry := regexp.MustCompile(`^"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"$`)
	post := func(doc string) reply {
		t.Helper()
		req, _ := http.NewRequest("POST", e.api.URL+"/sign/stac", strings.NewReader(doc))
		req.Header.Set("Authorization", e.bearerOf("alice", nil)["Authorization"])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return reply{resp.StatusCode, resp.Header, b.Bytes()}
	}
	// normalise replaces each signed URL by SIGNED and each expiry value by
	// EXPIRY, checking them.
	normalise := func(t *testing.T, body []byte, header http.Header) string {
		t.Helper()
		out := signed.ReplaceAllStringFunc(string(body), func(m string) string {
			u, err := url.Parse(m[1 : len(m)-1])
			if err != nil || u.Query().Get("X-Amz-Signature") == "" {
				t.Errorf("not a presigned URL: %s", m)
			}
			return `"SIGNED"`
		})
		if x := header.Get("X-Expiry"); x != "" {
			if !expiry.MatchString(`"` + x + `"`) {
				t.Errorf("X-Expiry %q", x)
			}
			out = strings.ReplaceAll(out, `"`+x+`"`, `"EXPIRY"`)
		}
		return out
	}
	for _, tc := range []struct {
		name, in, want string
	}{
		{"item: expiry first, numbers and spacing as sent",
			"{\n  \"type\": \"Feature\",\n  \"id\": \"x\",\n  \"properties\": {\"eo:cloud_cover\": 12.50, \"big\": 12345678901234567890, \"expiry\": \"nested stays\"},\n  \"assets\": {\"B02\": {\"href\": \"" + blue + "\", \"roles\": [\"data\"]}, \"doc\": {\"href\": \"https://other.example.org/a%20b.pdf\"}}\n}\n",
			"{\"expiry\":\"EXPIRY\",\n  \"type\": \"Feature\",\n  \"id\": \"x\",\n  \"properties\": {\"eo:cloud_cover\": 12.50, \"big\": 12345678901234567890, \"expiry\": \"nested stays\"},\n  \"assets\": {\"B02\": {\"href\": \"SIGNED\", \"roles\": [\"data\"]}, \"doc\": {\"href\": \"https://other.example.org/a%20b.pdf\"}}\n}\n"},
		{"an existing top-level expiry is replaced, whatever its type",
			`{"expiry": {"old": 1}, "type": "Collection", "assets": {"a": {"href": "` + blue + `"}}, "expiry": null}`,
			`{"expiry": "EXPIRY", "type": "Collection", "assets": {"a": {"href": "SIGNED"}}, "expiry": "EXPIRY"}` + "\n"},
		{"item collection: the features' assets",
			`{"type":"FeatureCollection","assets":{"x":{"href":"` + blue + `"}},"features":[{"type":"Feature","assets":{"B02":{"href":"` + blue + `"}}},{"assets":{"n":{"href":1},"m":"not an asset"}},7]}`,
			`{"expiry":"EXPIRY","type":"FeatureCollection","assets":{"x":{"href":"` + blue + `"}},"features":[{"type":"Feature","assets":{"B02":{"href":"SIGNED"}}},{"assets":{"n":{"href":1},"m":"not an asset"}},7]}` + "\n"},
		{"escaped keys and hrefs are read as encoding/json reads them",
			`{"typ\u0065":"Feature","\u0061ssets":{"B02":{"hr\u0065f":"` + escaped + `"}},"é":"\u00e9\ud83d\udef0"}`,
			`{"expiry":"EXPIRY","typ\u0065":"Feature","\u0061ssets":{"B02":{"hr\u0065f":"SIGNED"}},"é":"\u00e9\ud83d\udef0"}` + "\n"},
		{"nothing on the storage: the document unchanged, no expiry",
			`{"type":"Feature","assets":{"doc":{"href":"https://other.example.org/x"}}}`,
			`{"type":"Feature","assets":{"doc":{"href":"https://other.example.org/x"}}}` + "\n"},
		{"the last type counts", `{"type":"Catalog","type":"Feature","assets":{}}`, `{"type":"Catalog","type":"Feature","assets":{}}` + "\n"},
	} {
		r := post(tc.in)
		if r.status != 200 {
			t.Errorf("%s: %d %s", tc.name, r.status, r.body)
			continue
		}
		if got := normalise(t, r.body, r.header); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
		if !json.Valid(r.body) {
			t.Errorf("%s: the answer is not valid JSON", tc.name)
		}
	}

	deep := `{"type":"Feature","properties":` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `}`
	for _, tc := range []struct {
		name, in string
		status   int
		code     string
		detail   string
	}{
		{"not JSON", `{"type":"Feature",`, 400, codeBadRequest, "request body: unexpected end of JSON input"},
		{"trailing data", `{"type":"Feature"} {}`, 400, codeBadRequest, "request body: invalid character"},
		{"an array", `[{"type":"Feature"}]`, 400, codeBadRequest, "want a JSON object"},
		{"no type", `{}`, 400, codeBadRequest, "type (none): want a STAC Item"},
		{"a catalog", `{"type":"Catalog"}`, 400, codeBadRequest, `type "Catalog": want a STAC Item`},
		{"too deep", deep, 400, codeBadRequest, "nested 201 levels deep; the limit is 128"},
		{"more assets than the batch limit", `{"type":"Feature","assets":{"a":{"href":"1"},"b":{"href":"2"},"c":{"href":"3"},"d":{"href":"4"}}}`, 413, codeTooLarge, "4 assets in one document; the limit is 3"},
		{"an href outside the rules", `{"type":"Feature","assets":{"a":{"href":"` + e.obj("users/bob/his.tif") + `"}}}`, 403, codeForbidden, "users/bob/his.tif"},
	} {
		wantError(t, tc.name, post(tc.in), tc.status, tc.code, tc.detail)
	}
}

// scanSTAC finds what encoding/json would: for documents decoded into Go
// values the old way, every href of the chosen assets is among the spans
// found, and the type is the same; the spans are JSON strings; replacing
// them keeps the document valid.
func FuzzScanSTAC(f *testing.F) {
	for _, seed := range []string{
		`{"type":"Feature","assets":{"a":{"href":"x"},"b":{"href":"y","type":"z"}}}`,
		`{"type":"FeatureCollection","features":[{"assets":{"a":{"href":"x"}}},{"assets":[]},{}]}`,
		`{"type":"Collection","assets":{"a":{"href":"x\"y\\z\u00e9"}},"extent":{"spatial":{"bbox":[[-180,-90,180,90]]}}}`,
		` { "type" : "Feature" , "assets" : { } } `,
		`{"a":[{"b":"}"},"]"],"type":"Feature","assets":{"k":{"href":"v"}}}`,
		`{"type":"Feature","assets":{"a":{"href":"1","href":"2"}}}`,
		`{}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		if !json.Valid(doc) {
			return
		}
		sc, err := scanSTAC(doc)
		var ref any
		dec := json.NewDecoder(bytes.NewReader(doc))
		dec.UseNumber()
		if dec.Decode(&ref) != nil {
			t.Fatalf("json.Valid but not decodable: %q", doc)
		}
		obj, isObj := ref.(map[string]any)
		if err != nil {
			if isObj && maxDepth(doc) <= maxSTACDepth {
				t.Fatalf("scanSTAC refused a JSON object: %v", err)
			}
			return
		}
		if !isObj {
			t.Fatalf("scanSTAC accepted %q", doc)
		}
		if typ, _ := obj["type"].(string); typ != sc.typ {
			t.Errorf("type %q, encoding/json says %q", sc.typ, typ)
		}
		got := func(spans []jsonSpan) []string {
			var out []string
			for _, sp := range spans {
				if doc[sp.start] != '"' || doc[sp.end-1] != '"' {
					t.Fatalf("span %v is not a string: %q", sp, doc[sp.start:sp.end])
				}
				s, err := sp.str(doc)
				if err != nil {
					t.Fatalf("span %q: %v", doc[sp.start:sp.end], err)
				}
				out = append(out, s)
			}
			return out
		}
		hrefsOf := func(assets any) []string {
			var out []string
			m, _ := assets.(map[string]any)
			for _, a := range m {
				if am, ok := a.(map[string]any); ok {
					if h, ok := am["href"].(string); ok {
						out = append(out, h)
					}
				}
			}
			return out
		}
		want := hrefsOf(obj["assets"])
		features, _ := obj["features"].([]any)
		var wantF []string
		for _, f := range features {
			if fm, ok := f.(map[string]any); ok {
				wantF = append(wantF, hrefsOf(fm["assets"])...)
			}
		}
		for _, c := range []struct {
			got, want []string
		}{{got(sc.own), want}, {got(sc.features), wantF}} {
			for _, h := range c.want {
				if !slices.Contains(c.got, h) {
					t.Errorf("href %q not found (found %q)", h, c.got)
				}
			}
		}
		var edits []jsonEdit
		for _, sp := range append(append(sc.own, sc.features...), sc.expiry...) {
			edits = append(edits, jsonEdit{span: sp, with: []byte(`"replaced"`)})
		}
		edits = append(edits, jsonEdit{span: jsonSpan{sc.open, sc.open}, with: []byte(`"new":1,`)})
		if out := applyEdits(doc, edits); !json.Valid(out) && !sc.empty {
			t.Errorf("edited document is not valid JSON: %q", out)
		}
	})
}
