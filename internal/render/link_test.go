package render

import (
	"encoding/json"
	"fmt"
	"html"
	"math"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"gitlab.com/eocat/eocat/internal/crs"
)

// TestLinkFastPathMatchesResolution: link's concatenation of plain paths
// gives what URL resolution gives, and everything else is resolved.
func TestLinkFastPathMatchesResolution(t *testing.T) {
	for _, base := range []string{"https://eocat.example.org/", "https://example.org/group/cat/", "https://example.org/My%20Cat/"} {
		r := &Renderer{opts: Options{BaseURL: base}}
		var err error
		if r.base, err = url.Parse(base); err != nil {
			t.Fatal(err)
		}
		r.plainBase = r.base.String() == base
		pages := []string{"index.html", "c/index.html", "c/x/index.html", "c/page-2.html", "c/id with space/index.html", "c/%41/index.html", "c/./x/index.html", "c/../x/index.html"}
		refs := []string{"x.json", "./B04.tif", "a/b.tif", "../index.html", "./a/../b.tif", "a//b.tif", "a b.tif", "a%20b.tif", "?q=1", "#frag", "x.tif?x=1", "./", ".", "~u/x.tif", "A-b_c.d~e.TIF"}
		plain := 0
		for _, p := range pages {
			for _, ref := range refs {
				if safeURL(ref) == "" {
					continue
				}
				got, want := r.link(p, ref), r.resolve(p, ref)
				if got != want {
					t.Errorf("base %s page %q ref %q: link %q, resolution %q", base, p, ref, got, want)
				}
				if r.plainBase && plainPath(p) && plainPath(ref) {
					plain++
				}
			}
		}
		if r.plainBase && plain == 0 {
			t.Errorf("base %s: no case took the fast path", base)
		}
	}
}

// TestItemGeoJSMatchesEncodingJSON: the footprint data block written by
// hand is byte for byte what encoding/json writes.
func TestItemGeoJSMatchesEncodingJSON(t *testing.T) {
	ring := [][2]float64{{3.5599541, 43.8875706}, {-179.999999999, -0.0000005}, {1e-7, 2.5e-8}, {0, -90}, {180, 90}, {12345.678, 1e21},
		{0.000001, -0.000001}, {999999.999999999, -999999.999999999}, {1e6, 0.1 + 0.2}, {-0.5, 43.100000001}, {3.5599541, 43.8875706}}
	// Values as crs.Footprint rounds them (to 1e-9), over several magnitudes.
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		v := (rng.Float64()*2 - 1) * math.Pow(10, float64(rng.IntN(10)-4))
		ring = append(ring, [2]float64{math.Round(v*1e9) / 1e9, v})
	}
	ring = append(ring, ring[0])
	for _, g := range []any{
		&crs.Geometry{Type: "Polygon", Coordinates: [][][2]float64{ring}},
		crs.Geometry{Type: "MultiPolygon", Coordinates: [][][][2]float64{{ring}, {ring, ring}}},
		map[string]any{"type": "Point", "coordinates": []any{1.0, 2.0}},
		nil,
	} {
		for _, id := range []string{"S2A_x", `</script><script>alert(1)</script>`, "a\u2028b&c\"d"} {
			want := jsonJS(featureCollection(feature{Type: "Feature", Geometry: g, Properties: map[string]any{"id": id}}))
			if got := itemGeoJS(nil, g, id); got != want {
				t.Errorf("%v, id %q:\n got %s\nwant %s", g, id, got, want)
			}
		}
	}
}

// hostileStrings are values that every writer must escape or quote as its
// reference does: markup, quotes, shell and Python metacharacters, control
// bytes, non-ASCII, U+2028, RTL, emoji and invalid UTF-8.
var hostileStrings = []string{
	"", "plain", "B04.tif", "./a b/c.tif", `"><img src=x onerror=alert(1)>`, "</script><script>alert(1)</script>",
	"it's", `back\slash`, "tab\tnew\nline\r\x00nul\x1f\x7f", "é ü 中文 שלום", "\u2028\u2029", "🛰️ emoji",
	"a&b<c>d", "javascript:alert(1)", "\xff\xfe invalid", "'; rm -rf / #", "$(id) `id` ${HOME}",
}

// randomStrings adds n strings of random bytes drawn from a set rich in
// special characters.
func randomStrings(n int) []string {
	const alphabet = "aZ09._-/:'\"\\<>&\t\n\x00 é\u2028🛰"
	rng := rand.New(rand.NewPCG(3, 4))
	out := append([]string(nil), hostileStrings...)
	for range n {
		b := make([]byte, rng.IntN(24))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		out = append(out, string(b))
	}
	return out
}

// TestWritersMatchTheirReferences: the escaping and quoting written without
// intermediate strings give what the standard functions give, the pieces
// sharing one arena as an item page's do.
func TestWritersMatchTheirReferences(t *testing.T) {
	a := &arena{}
	check := func(name, in, got, want string) {
		if got != want {
			t.Errorf("%s(%q) = %q, want %q", name, in, got, want)
		}
	}
	for _, s := range randomStrings(5000) {
		b := a.rows()
		b.text(s)
		check("text", s, b.String(), html.EscapeString(s))
		b = a.rows()
		writeShellQuoted(&b, s)
		check("writeShellQuoted", s, b.String(), shellQuote(s))
		b = a.rows()
		writeShellQuoted(&b, "/vsicurl/", s, "/x")
		check("writeShellQuoted (parts)", s, b.String(), shellQuote("/vsicurl/"+s+"/x"))
		b = a.rows()
		writePyQuoted(&b, s)
		check("writePyQuoted", s, b.String(), strconv.Quote(s))
		b = a.rows()
		writeJSONString(&b, s)
		want, _ := json.Marshal(s)
		check("writeJSONString", s, b.String(), string(want))
		check("normalizeURL", s, normalizeURL(s), normalizeURLReference(s))
	}
}

// shellQuote is the reference of writeShellQuoted.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// normalizeURLReference percent-encodes every byte but RFC 3986's
// unreserved and reserved characters and "%", one at a time.
func normalizeURLReference(s string) string {
	const keep = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&()*+,;=%"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; strings.IndexByte(keep, c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// TestArenaPiecesOneAtATime: writing into a piece after another was started
// in the same arena panics rather than interleaving the two; a released
// arena is empty and keeps its buffer for the next page.
func TestArenaPiecesOneAtATime(t *testing.T) {
	a := newArena()
	first := a.rows()
	first.WriteString("first")
	second := a.rows()
	second.WriteString("second")
	if got := second.String(); got != "second" {
		t.Fatalf("second piece = %q", got)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("writing into the first piece after the second started did not panic")
			}
		}()
		first.WriteString("more")
	}()
	func() {
		defer func() {
			if recover() == nil {
				t.Error("reading the first piece after the second started did not panic")
			}
		}()
		_ = first.String()
	}()
	a.release()
	if len(a.buf) != 0 || a.open != 0 || cap(a.buf) == 0 {
		t.Errorf("a released arena holds %d bytes, open at %d, capacity %d: it should be empty, its buffer kept", len(a.buf), a.open, cap(a.buf))
	}
}

// TestItemJSONLDMatchesEncodingJSON: ldItem.json is byte for byte what
// encoding/json writes, optional fields present or not.
func TestItemJSONLDMatchesEncodingJSON(t *testing.T) {
	ss := randomStrings(300)
	rng := rand.New(rand.NewPCG(5, 6))
	pick := func() string { return ss[rng.IntN(len(ss))] }
	for i := range 2000 {
		l := &ldItem{Context: schemaOrg, Type: "Dataset", Description: pick(), Identifier: pick(), Name: pick(),
			IsPartOf: ldRef{Type: "Dataset", Name: pick(), URL: pick()}}
		if i%3 != 0 {
			l.URL, l.TemporalCoverage = pick(), pick()
		}
		if i%4 != 0 {
			l.SpatialCoverage = place([]float64{rng.Float64()*360 - 180, -rng.Float64() * 90, rng.Float64() * 180, rng.Float64() * 90})
		}
		switch i % 5 {
		case 0: // nil: "distribution":null
		case 1:
			l.Distribution = []ldDownload{}
		default:
			for range rng.IntN(6) + 1 {
				d := ldDownload{Type: "DataDownload", ContentURL: pick(), Name: pick()}
				if rng.IntN(2) == 0 {
					d.EncodingFormat = pick()
				}
				l.Distribution = append(l.Distribution, d)
			}
		}
		if got, want := l.json(nil), jsonJS(l); got != want {
			t.Fatalf("item %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

// TestInspectHrefMatchesURLParsing: the snippets' view of an href is what
// url.Parse, safeURL and the URL's scheme say of it.
func TestInspectHrefMatchesURLParsing(t *testing.T) {
	hrefs := append([]string{"B04.tif", "./B04.tif", "../x/y.tif", "a b.tif", "x%20y.tif", "s3://bucket/key/a b.tif", "s3://bucket/k%20ey.tif",
		"https://example.org/x.tif?sig=1#f", "HTTPS://Example.org/x.tif", "//evil.example/x", "javascript:alert(1)", "data:text/html,x",
		"https://user:pw@example.org/x", "/abs/path.tif", "?q", "#frag", "%zz", "http://[::1]:80/x",
		"https://eocat.example.org/c/x/B04.tif", "https://Host-1.example.org:8443/a/b.tif", "https://h:/x", "https://:80/x", "https://h:8a/x",
		"http://h/./x", "http://h/a/../x", "http://h//x", "http://h/", "s3://bucket/a/b.tif", "s3://Bucket.x/k", "s3:///k", "https://h/a b"}, hostileStrings...)
	for _, h := range []string{"https://eocat.example.org/c/x/B04.tif", "s3://bucket/a/b.tif", "http://h:80/x"} {
		if _, _, _, ok := plainAbsolute(h); !ok {
			t.Errorf("%q did not take the fast path", h)
		}
	}
	for _, h := range hrefs {
		got, ok := inspectHref(h)
		u, err := url.Parse(h)
		if ok != (err == nil) {
			t.Errorf("%q: parsed %v, url.Parse error %v", h, ok, err)
			continue
		}
		if !ok {
			continue
		}
		want := hrefParts{scheme: u.Scheme, host: u.Host, path: u.Path, safe: safeByParsing(h, u)}
		want.relative = want.safe && u.Scheme == ""
		if got != want {
			t.Errorf("%q: got %+v, want %+v", h, got, want)
		}
	}
}

// safeByParsing is what safeURL allows, decided from url.Parse's result
// (as safeURL did before inspectHref): http(s) with a host and no user
// information, or a reference without a scheme or host; no control bytes.
func safeByParsing(href string, u *url.URL) bool {
	if strings.ContainsAny(href, "\x00\r\n\t") {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		return u.Host != "" && u.User == nil
	case "":
		return href != "" && u.Host == "" && !strings.HasPrefix(href, "//") && !strings.HasPrefix(href, "\\")
	}
	return false
}

// TestAppendTenths: the footprint drawing's one-decimal numbers are within
// half a tenth of the value, and strconv's wherever it does not round a tie.
func TestAppendTenths(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range 100000 {
		f := rng.Float64() * math.Pow(10, float64(i%6))
		got := string(appendTenths(nil, f))
		v, err := strconv.ParseFloat(got, 64)
		if err != nil || math.Abs(v-f) > 0.05+1e-9 {
			t.Fatalf("appendTenths(%v) = %q", f, got)
		}
		if want := strconv.FormatFloat(f, 'f', 1, 64); got != want && math.Abs(math.Abs(v-f)-0.05) > 1e-9 {
			t.Fatalf("appendTenths(%v) = %q, strconv %q", f, got, want)
		}
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), -3.25, 1e16} {
		if got, want := string(appendTenths(nil, f)), strconv.FormatFloat(f, 'f', 1, 64); got != want {
			t.Errorf("appendTenths(%v) = %q, want %q", f, got, want)
		}
	}
}

// TestMaybeRFC3339: no string that time.Parse accepts as RFC 3339 is
// skipped by the check that spares the others a failed parse.
func TestMaybeRFC3339(t *testing.T) {
	in := append(randomStrings(2000), "2024-06-15T10:36:29Z", "2024-06-15T10:36:29.024Z", "2024-06-15T10:36:29+02:00",
		"2024-06-15t10:36:29z", "0001-01-01T00:00:00Z", "2024-06-15", "2024-6-15T10:36:29Z", "+2024-06-15T10:36:29Z")
	for _, s := range in {
		if _, err := time.Parse(time.RFC3339Nano, s); err == nil && !maybeRFC3339(s) {
			t.Errorf("maybeRFC3339(%q) = false, but time.Parse accepts it", s)
		}
	}
	if !maybeRFC3339("2024-06-15T10:36:29Z") || maybeRFC3339("sentinel-2b") {
		t.Error("maybeRFC3339 does not tell a date from a platform name")
	}
}

// TestItemSnippetsForS3AndHTTP: the commands for s3:// hrefs (GDAL's
// /vsis3/, the AWS CLI, boto3) and for http(s) ones (/vsicurl/, curl,
// requests), side by side in one item, as the page shows them.
func TestItemSnippetsForS3AndHTTP(t *testing.T) {
	const cog = "image/tiff; application=geotiff; profile=cloud-optimized"
	assets := []assetView{
		{Anchor: "asset-1", Href: "s3://bucket/S2/x/B04.tif", Resolved: "s3://bucket/S2/x/B04.tif", TypeFull: cog},
		{Anchor: "asset-2", Href: "s3://bucket/S2/x/it's.json", Resolved: "s3://bucket/S2/x/it's.json", TypeFull: "application/json"},
		{Anchor: "asset-3", Href: "https://data.example.org/S2/x/B08.tif", Resolved: "https://data.example.org/S2/x/B08.tif", TypeFull: cog},
		{Anchor: "asset-4", Href: "./thumb.png", Resolved: "./thumb.png", TypeFull: "image/png"},
	}
	want := []snippet{
		{Label: "GDAL: read a raster", Code: "gdalinfo '/vsis3/bucket/S2/x/B04.tif'\ngdalinfo '/vsicurl/https://data.example.org/S2/x/B08.tif'"},
		{Label: "Download every asset", Code: "aws s3 cp 's3://bucket/S2/x/B04.tif' 'B04.tif'\naws s3 cp 's3://bucket/S2/x/it'\\''s.json' 'it_s.json'\n" +
			"curl -fL -o 'B08.tif' 'https://data.example.org/S2/x/B08.tif'\ncurl -fL -o 'thumb.png' './thumb.png'"},
		{Label: "Python", Code: "import requests\n\nfor name, url in [\n    (\"B08.tif\", \"https://data.example.org/S2/x/B08.tif\"),\n    (\"thumb.png\", \"./thumb.png\"),\n]:\n" +
			"    r = requests.get(url, timeout=60)\n    r.raise_for_status()\n    with open(name, \"wb\") as f:\n        f.write(r.content)"},
		{Label: "Python (boto3)", Code: "import boto3\n\ns3 = boto3.client(\"s3\")\nfor bucket, key, name in [\n    (\"bucket\", \"S2/x/B04.tif\", \"B04.tif\"),\n" +
			"    (\"bucket\", \"S2/x/it's.json\", \"it_s.json\"),\n]:\n    s3.download_file(bucket, key, name)"},
	}
	for i := range want {
		want[i].Relative = `["./thumb.png"]`
	}
	a := &arena{}
	got := itemSnippets(a, assets, false)
	if len(got) != len(want) {
		t.Fatalf("%d snippets, want %d: %q", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("snippet %d:\n got %q\nwant %q", i, got[i], want[i])
		}
	}
}
