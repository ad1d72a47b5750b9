package render

import (
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"net/url"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gitlab.com/eocat/eocat/internal/stac"
)

// Link is a titled link: a step of the breadcrumbs (the current page has no
// Href), a licence, an item's related link.
type Link struct{ Title, Href string }

// Context is what a page knows of its parents.
type Context struct {
	CatalogTitle    string
	CollectionTitle string // item pages
}

// Common is the data every page's layout uses. Pages embed it, and the
// layout reads it through {{with .Common}}: text/template looks up a
// promoted field with a breadth-first search over the embedded structs on
// every access, a direct field with a short scan.
type Common struct {
	Title        string      // <title> and the main heading
	Description  string      // meta description (plain text)
	Root         string      // relative path to the site root ("", "../", "../../")
	Static       string      // path of the static files ("…_static/")
	CSP          string      // Content-Security-Policy
	JSONHref     string      // the page's JSON document (a relative reference)
	JSONType     string      // its media type
	Canonical    string      // absolute URL of the page, when the base URL is known
	JSONLD       template.JS // schema.org description (JSON)
	Runtime      template.JS // runtimeConfig (JSON)
	Geo          template.JS // GeoJSON FeatureCollection for the map, or "" (no map)
	CatalogTitle string
	Crumbs       []Link
	Generator    string
	SignIn       bool   // the page offers sign-in (loads oidc-client-ts and auth.js)
	arena        *arena // where the page's pieces are written (nil: an arena of its own)

	// Written by the renderer from the fields above just before the page
	// is executed (finish), so that the layout places each with one action
	// (html/template spends about a microsecond of reflection per action,
	// on every page):
	PageTitle  string        // the <title>: Title, then " · " CatalogTitle when they differ
	Head       template.HTML // the <head> elements after <title>: description, generator, canonical and alternate links, the site's stylesheets and scripts, the JSON-LD, runtime and map data blocks
	CrumbItems template.HTML // the <li> of the breadcrumbs (Crumbs): links, then the current page
}

// finish fills PageTitle, Head and CrumbItems. links are the <link> and
// <script> elements of the site's own files (Renderer.headLinks). Values
// are escaped as in rows.go; the data blocks are JSON that cannot close
// their <script> element (jsonJS).
func (c *Common) finish(links string) {
	c.PageTitle = c.Title
	if c.CatalogTitle != "" && c.Title != c.CatalogTitle {
		c.PageTitle += " · " + c.CatalogTitle
	}
	b := c.arena.rows()
	b.Grow(512 + len(c.Description) + len(c.Canonical) + len(links) + len(c.JSONLD) + len(c.Runtime) + len(c.Geo))
	meta := func(name, content string) {
		if content != "" {
			b.WriteString("\n<meta")
			b.attr("name", name)
			b.attr("content", content)
			b.char('>')
		}
	}
	meta("description", c.Description)
	meta("generator", c.Generator)
	if c.Canonical != "" {
		b.WriteString("\n<link rel=\"canonical\"")
		b.attr("href", hrefAttr(c.Canonical))
		b.char('>')
	}
	if c.JSONHref != "" {
		b.WriteString("\n<link rel=\"alternate\"")
		b.attr("type", c.JSONType)
		b.attr("href", hrefAttr(c.JSONHref))
		b.WriteString(` title="STAC JSON">`)
	}
	b.WriteString(links)
	block := func(open string, data template.JS) {
		if data != "" {
			b.WriteString(open)
			b.WriteString(string(data))
			b.WriteString("</script>")
		}
	}
	block("\n<script type=\"application/ld+json\">", c.JSONLD)
	block("\n<script type=\"application/json\" id=\"eocat-config\">", c.Runtime)
	block("\n<script type=\"application/json\" id=\"eocat-geo\">", c.Geo)
	c.Head = b.html()

	b = c.arena.rows()
	b.Grow(128 * len(c.Crumbs))
	for _, l := range c.Crumbs {
		b.WriteString("\n    <li>")
		if l.Href != "" {
			b.link(l.Href, l.Title)
		} else {
			b.cell(`<span aria-current="page"`, "", l.Title, "</span>")
		}
		b.WriteString("</li>")
	}
	c.CrumbItems = b.html()
}

// hrefAttr is href for an href attribute (before the attribute escaping):
// a safe URL (safeURL) normalized, anything else html/template's
// placeholder "#ZgotmplZ".
func hrefAttr(href string) string {
	if safeURL(href) == "" {
		return "#ZgotmplZ"
	}
	return normalizeURL(href)
}

// runtimeConfig is the site's runtime configuration, read by the scripts
// from a JSON data block (never written into the JavaScript).
type runtimeConfig struct {
	Root    string      `json:"root"` // the site root, relative to the page
	Basemap *basemap    `json:"basemap,omitempty"`
	Signer  *signerConf `json:"signer,omitempty"`
}

// signerConf is what the sign-in and signing scripts need.
type signerConf struct {
	URL      string   `json:"url"`
	Issuer   string   `json:"issuer"`
	ClientID string   `json:"client_id"`
	Scopes   []string `json:"scopes"`
	Token    string   `json:"token"`
}

type basemap struct {
	URL         string `json:"url"`
	Attribution string `json:"attribution"`
}

// jsonJS is v as JSON for a <script> data block. encoding/json escapes <,
// > and & (and U+2028/U+2029), so no value can close the block: the
// result is safe to insert verbatim, as finish does (and html/template
// with template.JS, for a template that places a block itself).
func jsonJS(v any) template.JS {
	b, err := json.Marshal(v)
	if err != nil {
		return "null"
	}
	return template.JS(b) //nolint:gosec // G203: encoding/json escapes <, > and & (see above)
}

func (r *Renderer) common(rel, jsonRel, jsonType, title string, ctx Context) Common {
	root := rootPrefix(rel)
	return Common{
		Title: title, Root: root, Static: root + StaticDir + "/",
		JSONHref: path.Base(jsonRel), JSONType: jsonType, Canonical: r.absolute(rel),
		CatalogTitle: ctx.CatalogTitle, Generator: r.opts.Generator,
		Runtime: r.runtime(root), SignIn: r.signIn(),
	}
}

// runtime is the runtime configuration of the pages at root, encoded once
// per depth.
func (r *Renderer) runtime(root string) template.JS {
	if v, ok := r.runtimes.Load(root); ok {
		return v.(template.JS)
	}
	rc := runtimeConfig{Root: root, Signer: r.signer}
	if b := r.opts.Basemap; b != nil {
		rc.Basemap = &basemap{URL: b.URL, Attribution: b.Attribution}
	}
	js := jsonJS(rc)
	r.runtimes.Store(root, js)
	return js
}

// link resolves a page-relative reference for JSON-LD: absolute when the
// base URL is known.
func (r *Renderer) link(pageRel, ref string) string {
	if r.base == nil || strings.HasPrefix(ref, "https://") || strings.HasPrefix(ref, "http://") || safeURL(ref) == "" {
		return ref
	}
	if r.plainBase && plainPath(pageRel) && plainPath(ref) && !strings.HasPrefix(pageRel, "./") {
		// What the resolution below gives, without parsing.
		return r.opts.BaseURL + pageRel[:strings.LastIndexByte(pageRel, '/')+1] + strings.TrimPrefix(ref, "./")
	}
	return r.resolve(pageRel, ref)
}

// resolve is link's general case: ref resolved against the page's URL.
func (r *Renderer) resolve(pageRel, ref string) string {
	u, err := url.Parse(ref)
	if err != nil {
		return ref
	}
	return r.base.ResolveReference(&url.URL{Path: pageRel}).ResolveReference(u).String()
}

// ---- items ----

// Row is what a collection's item list and cards keep of an item.
type Row struct {
	ID    string
	Title string
	Start time.Time // datetime, or start_datetime
	Cloud *float64
	Thumb string // thumbnail href as in the item (relative to its folder, or absolute)
	BBox  []float64
}

type itemPage struct {
	Common
	PropRows      template.HTML // the rows of Props (rows.go)
	AssetRows     template.HTML // the rows of Assets
	SnippetBlocks template.HTML // the blocks of Snippets
	Snippets      []snippet     // commands for all the assets at once
	Signable      bool          // some asset can be signed
	ID            string
	Collection    Link
	When          string
	Where         string
	Props         []Prop
	Thumb         *image
	Assets        []assetView
	Footprint     *SVG
	Links         []Link // the item's other links (licence, via, related …) that are safe to follow
}

// Heading is the item page's <header>: the collection (a link), the title,
// the id when the title is another text, and the date. Written here rather
// than by seven template actions on every item page (escaped as in
// rows.go); Collection, Title, ID and When stay available to a template
// that lays the header out its own way.
func (p *itemPage) Heading() template.HTML {
	b := p.arena.rows()
	b.Grow(160 + len(p.Collection.Href) + len(p.Collection.Title) + len(p.Title) + len(p.ID) + len(p.When))
	b.WriteString("<header class=\"page\">\n  <p class=\"kicker\">")
	b.link(p.Collection.Href, p.Collection.Title)
	b.cell("</p>\n  <h1", "", p.Title, "</h1>")
	if p.Title != p.ID {
		b.cell("\n  <p class=\"id\"", "", p.ID, "</p>")
	}
	if p.When != "" {
		b.cell("\n  <p class=\"when\"><time", "", p.When, "</time></p>")
	}
	b.WriteString("\n</header>")
	return b.html()
}

type image struct{ Src, Alt string }

type assetView struct {
	Anchor      string // HTML id
	Key         string
	Title       string
	Description string
	Roles       string
	Type        string // readable media type
	TypeFull    string // the media type itself
	Size        string
	SizeExact   string
	Bands       []string
	Href        string // as in the JSON
	Link        string // Href when it is safe to follow, else ""
	Resolved    string // Href for the snippets: absolute when the base URL is known (else the scripts make it so)
	Snippets    []snippet
	Signable    bool // the signer can sign it (auth:refs) and the site offers sign-in
}

// snippet is a ready-to-paste command. Signed is the same command for
// signed URLs, with SignedPlaceholder + "<asset anchor>/<file name>" where
// each URL goes (filled in by the scripts after signing); Relative lists the
// relative hrefs in Code, which the scripts make absolute.
type snippet struct {
	Label, Code, Signed string
	Relative            string // JSON array, or ""
}

// SignedPlaceholder stands for a presigned URL in snippet templates.
const SignedPlaceholder = "https://signed.invalid/"

// Item renders the page of the item whose JSON is at rel (beside it, as
// index.html) and returns its Row for the collection's list.
func (r *Renderer) Item(w Writer, rel string, it *stac.Item, ctx Context) (Row, error) {
	rel = pageOf(rel)
	row := rowOf(it)
	title := it.ID
	if row.Title != "" && row.Title != it.ID {
		title = row.Title
	}
	a := newArena() // the page's pieces; released once the page is written
	defer a.release()
	p := itemPage{Common: r.common(rel, it.ID+".json", stac.MediaGeoJSON, title, ctx), ID: it.ID}
	p.arena = a
	p.Collection = Link{Title: orID(ctx.CollectionTitle, it.Collection), Href: "../index.html"}
	p.Crumbs = []Link{{ctx.CatalogTitle, p.Root + "index.html"}, p.Collection, {Title: it.ID}}
	p.Description = fmt.Sprintf("%s: %s", p.Collection.Title, it.ID)
	p.When = whenText(it.Properties)
	if p.When != "" {
		p.Description += ", " + p.When
	}
	p.Props = props(it.Properties)
	rs := rings(it.Geometry)
	p.Footprint = footprintSVG(a, rs, it.BBox)
	if p.Footprint != nil {
		p.Where = bboxText(it.BBox)
		p.Footprint.Label = "Footprint of " + it.ID + ": " + p.Where
		geom := it.Geometry
		if len(rs) == 0 {
			geom = bboxPolygon(it.BBox)
		}
		p.Geo = itemGeoJS(a, geom, it.ID)
	}
	var imgOrigins []string
	if row.Thumb != "" {
		p.Thumb = &image{Src: row.Thumb, Alt: "Preview of " + it.ID}
		if o := origin(row.Thumb); o != "" {
			imgOrigins = append(imgOrigins, o)
		}
	}
	keys := make([]string, 0, len(it.Assets))
	p.Assets = make([]assetView, 0, len(it.Assets))
	for k := range it.Assets {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		a := r.asset(i, k, it.Assets[k], rel)
		p.Signable = p.Signable || a.Signable
		p.Assets = append(p.Assets, a)
	}
	p.Snippets = itemSnippets(a, p.Assets, p.Signable)
	p.PropRows, p.AssetRows, p.SnippetBlocks = propRows(a, p.Props), assetRows(a, p.Assets), snippetBlocks(a, p.Snippets)
	for _, l := range it.Links {
		switch l.Rel {
		case "root", "parent", "collection", "self", "alternate":
			continue
		}
		if href := safeURL(l.Href); href != "" {
			p.Links = append(p.Links, Link{Title: orID(l.Title, l.Rel+": "+l.Href), Href: href})
		}
	}
	p.CSP = r.csp(imgOrigins)
	p.JSONLD = r.itemJSONLD(rel, it, &p).json(a)
	return row, r.execute(w, "item.html", rel, &p.Common, &p)
}

func orID(title, id string) string {
	if title != "" {
		return title
	}
	return id
}

// rowOf extracts what lists and cards show of an item.
func rowOf(it *stac.Item) Row {
	row := Row{ID: it.ID, BBox: it.BBox}
	row.Title, _ = it.Properties["title"].(string)
	for _, k := range []string{"datetime", "start_datetime"} {
		if s, ok := it.Properties[k].(string); ok {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				row.Start = t
				break
			}
		}
	}
	if f, ok := number(it.Properties["eo:cloud_cover"]); ok {
		row.Cloud = &f
	}
	row.Thumb = thumbnail(it.Assets)
	return row
}

// thumbnail picks the href of the first asset (by key) with the thumbnail
// role, else the overview role, that is safe to show.
func thumbnail(assets map[string]*stac.Asset) string {
	keys := make([]string, 0, len(assets))
	for k := range assets {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, role := range []string{"thumbnail", "overview"} {
		for _, k := range keys {
			a := assets[k]
			for _, r := range a.Roles {
				if r == role && strings.HasPrefix(a.Type, "image/") && !strings.HasPrefix(a.Type, "image/tiff") {
					if href := safeURL(a.Href); href != "" {
						return href
					}
				}
			}
		}
	}
	return ""
}

// whenText is the item's date, or its interval.
func whenText(p map[string]any) string {
	if s, ok := p["datetime"].(string); ok {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return humanTime(t)
		}
	}
	s, _ := p["start_datetime"].(string)
	e, _ := p["end_datetime"].(string)
	ts, err1 := time.Parse(time.RFC3339Nano, s)
	te, err2 := time.Parse(time.RFC3339Nano, e)
	if err1 == nil && err2 == nil {
		return humanTime(ts) + " to " + humanTime(te)
	}
	return ""
}

func featureCollection(fs ...feature) map[string]any {
	return map[string]any{"type": "FeatureCollection", "features": fs}
}

func (r *Renderer) asset(i int, key string, a *stac.Asset, pageRel string) assetView {
	v := assetView{
		Anchor: "asset-" + strconv.Itoa(i+1), Key: key, Title: a.Title, Description: a.Description,
		Roles: strings.Join(a.Roles, ", "), Type: mediaName(a.Type), TypeFull: a.Type,
		Href: a.Href, Link: safeURL(a.Href), Resolved: a.Href,
	}
	if f, ok := number(a.Extra["file:size"]); ok && f >= 0 {
		v.Size, v.SizeExact = HumanSize(f), strconv.FormatFloat(f, 'f', 0, 64)+" bytes"
	}
	v.Bands = bandsText(a.Extra["bands"])
	if v.Link != "" {
		v.Resolved = r.link(pageRel, a.Href) // absolute when the base URL is known
	}
	v.Signable = r.signIn() && signerRef(a)
	return v
}

// signerRef reports whether an asset names the signer in auth:refs.
func signerRef(a *stac.Asset) bool {
	switch refs := a.Extra["auth:refs"].(type) {
	case []string:
		return slices.Contains(refs, "signer")
	case []any:
		return slices.Contains(refs, any("signer"))
	}
	return false
}

// bandsText reads like "B04 (red, 0.665 µm)".
func bandsText(v any) []string {
	var list []map[string]any
	switch t := v.(type) {
	case []map[string]any:
		list = t
	case []any:
		for _, e := range t {
			if m, ok := e.(map[string]any); ok {
				list = append(list, m)
			}
		}
	}
	var out []string
	for i, b := range list {
		name, _ := b["name"].(string)
		if name == "" {
			name = "band " + strconv.Itoa(i+1)
		}
		var detail []string
		if c, ok := b["eo:common_name"].(string); ok {
			detail = append(detail, c)
		}
		if f, ok := number(b["eo:center_wavelength"]); ok {
			detail = append(detail, formatNumber(f)+" µm")
		}
		if d, ok := b["data_type"].(string); ok {
			detail = append(detail, d)
		}
		if len(detail) > 0 {
			name += " (" + strings.Join(detail, ", ") + ")"
		}
		out = append(out, name)
	}
	return out
}

// fileName is the last segment of an href's (decoded) path, safe in a shell or a
// Python string: every run of bytes other than letters, digits and "._-"
// becomes one "_", and leading "_" and "." are dropped.
func fileName(urlPath string) string {
	base := path.Base(urlPath)
	b := make([]byte, 0, len(base))
	run := false
	for i := 0; i < len(base); i++ {
		c := base[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-' {
			b, run = append(b, c), false
		} else if !run {
			b, run = append(b, '_'), true
		}
	}
	name := strings.TrimLeft(string(b), "_.")
	if name == "" {
		return "asset"
	}
	return name
}

// snippets are the ready-to-paste commands of one collection-level asset
// (its stac-geoparquet file: DuckDB, GeoPandas, curl).
func snippets(href, mediaType string) []snippet {
	in, ok := inspectHref(href)
	if !ok || !in.safe {
		return nil
	}
	rel := ""
	if in.relative {
		rel = jsonList(nil, []string{href})
	}
	var curl rows
	curl.WriteString("curl -fL -o ")
	writeShellQuoted(&curl, fileName(in.path))
	curl.char(' ')
	writeShellQuoted(&curl, href)
	if strings.EqualFold(mediaType, "application/vnd.apache.parquet") {
		q := strings.ReplaceAll(href, "'", "''")
		return []snippet{
			{Label: "DuckDB", Relative: rel, Code: "INSTALL spatial; LOAD spatial;\nSELECT id, datetime, bbox FROM read_parquet('" + q + "')\nWHERE datetime >= '2024-06-01' ORDER BY datetime DESC LIMIT 20;"},
			{Label: "Python", Relative: rel, Code: "import geopandas\n\nitems = geopandas.read_parquet(" + strconv.Quote(href) + ")\nprint(items[[\"id\", \"datetime\"]].head())"},
			{Label: "curl", Relative: rel, Code: curl.String()},
		}
	}
	return []snippet{{Label: "curl", Relative: rel, Code: curl.String()}}
}

// jsonList is hrefs as a JSON list, written into a (nil: an arena of its
// own), or "" when there are none.
func jsonList(a *arena, hrefs []string) string {
	if len(hrefs) == 0 {
		return ""
	}
	b := a.rows()
	for i, h := range hrefs {
		if i == 0 {
			b.char('[')
		} else {
			b.char(',')
		}
		writeJSONString(&b, h)
	}
	b.char(']')
	return b.String()
}

// itemSnippets are the commands that open or download every asset of an
// item at once: GDAL for the rasters, curl (or the AWS CLI for s3://
// hrefs), and a Python loop. With signable assets, Signed holds the same
// commands for their presigned URLs.
func itemSnippets(ar *arena, assets []assetView, signable bool) []snippet {
	out, rel := commandSet(ar, assets, func(a *assetView) string { return a.Resolved })
	relative := jsonList(ar, rel)
	for i := range out {
		out[i].Relative = relative
	}
	if !signable {
		return out
	}
	signed, _ := commandSet(ar, assets, func(a *assetView) string {
		if !a.Signable {
			return a.Resolved
		}
		h, ok := inspectHref(a.Href)
		if !ok {
			return a.Resolved
		}
		return SignedPlaceholder + a.Anchor + "/" + fileName(h.path)
	})
	// The signed commands replace the unsigned ones label by label (the
	// AWS CLI and boto3 ones become curl and requests).
	for i := range out {
		want := out[i].Label
		if want == "Python (boto3)" {
			want = "Python"
		}
		for _, s := range signed {
			if s.Label == want {
				out[i].Signed = s.Code
			}
		}
	}
	return out
}

// commandSet builds itemSnippets' commands for the hrefs that href gives,
// into ar, and returns those hrefs that are relative.
func commandSet(ar *arena, assets []assetView, href func(a *assetView) string) (out []snippet, rel []string) {
	type target struct {
		href, name, bucket, key string // bucket and key: an s3:// href
		raster                  bool
	}
	targets := make([]target, 0, len(assets))
	for i := range assets {
		h := href(&assets[i])
		in, ok := inspectHref(h)
		switch {
		case !ok:
			continue
		case in.scheme == "s3" && in.host != "":
			targets = append(targets, target{href: h, name: fileName(in.path), bucket: in.host, key: strings.TrimPrefix(in.path, "/"), raster: isRaster(assets[i].TypeFull)})
		case in.safe:
			if in.relative {
				rel = append(rel, h)
			}
			targets = append(targets, target{href: h, name: fileName(in.path), raster: isRaster(assets[i].TypeFull)})
		}
	}
	// Each command is written in one piece (arena.rows), in one pass over
	// the targets it wants.
	command := func(label, head, tail string, wants func(t *target) bool, write func(b *rows, t *target)) {
		b, lines := rows{}, 0
		for i := range targets {
			if !wants(&targets[i]) {
				continue
			}
			if lines == 0 {
				b = ar.rows()
				b.WriteString(head)
			} else {
				b.char('\n')
			}
			write(&b, &targets[i])
			lines++
		}
		if lines > 0 {
			b.WriteString(tail)
			out = append(out, snippet{Label: label, Code: b.String()})
		}
	}
	all := func(*target) bool { return true }
	command("GDAL: read a raster", "", "", func(t *target) bool { return t.raster }, func(b *rows, t *target) {
		b.WriteString("gdalinfo ")
		if t.bucket != "" {
			writeShellQuoted(b, "/vsis3/", t.bucket, "/", t.key)
		} else {
			writeShellQuoted(b, "/vsicurl/", t.href)
		}
	})
	command("Download every asset", "", "", all, func(b *rows, t *target) {
		if t.bucket != "" {
			b.WriteString("aws s3 cp ")
			writeShellQuoted(b, t.href)
			b.char(' ')
			writeShellQuoted(b, t.name)
		} else {
			b.WriteString("curl -fL -o ")
			writeShellQuoted(b, t.name)
			b.char(' ')
			writeShellQuoted(b, t.href)
		}
	})
	command("Python", "import requests\n\nfor name, url in [\n",
		"\n]:\n    r = requests.get(url, timeout=60)\n    r.raise_for_status()\n    with open(name, \"wb\") as f:\n        f.write(r.content)",
		func(t *target) bool { return t.bucket == "" }, func(b *rows, t *target) {
			b.WriteString("    (")
			writePyQuoted(b, t.name)
			b.WriteString(", ")
			writePyQuoted(b, t.href)
			b.WriteString("),")
		})
	command("Python (boto3)", "import boto3\n\ns3 = boto3.client(\"s3\")\nfor bucket, key, name in [\n", "\n]:\n    s3.download_file(bucket, key, name)",
		func(t *target) bool { return t.bucket != "" }, func(b *rows, t *target) {
			b.WriteString("    (")
			writePyQuoted(b, t.bucket)
			b.WriteString(", ")
			writePyQuoted(b, t.key)
			b.WriteString(", ")
			writePyQuoted(b, t.name)
			b.WriteString("),")
		})
	return out, rel
}

// writeShellQuoted writes shellQuote of the concatenated parts.
func writeShellQuoted(b *rows, parts ...string) {
	b.char('\'')
	for _, s := range parts {
		for {
			i := strings.IndexByte(s, '\'')
			if i < 0 {
				break
			}
			b.WriteString(s[:i])
			b.WriteString(`'\''`)
			s = s[i+1:]
		}
		b.WriteString(s)
	}
	b.char('\'')
}

// writePyQuoted writes strconv.Quote(s), a valid Python string literal.
func writePyQuoted(b *rows, s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			b.WriteString(strconv.Quote(s))
			return
		}
	}
	b.char('"')
	b.WriteString(s)
	b.char('"')
}

// writeJSONString writes s as encoding/json encodes a string (with <, >
// and & escaped).
func writeJSONString(b *rows, s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			j, _ := json.Marshal(s)
			b.Write(j)
			return
		}
	}
	b.char('"')
	b.WriteString(s)
	b.char('"')
}

// ---- collections ----

type collectionPage struct {
	Common
	First       bool // page 1, with the collection's description
	ID          string
	Markdown    template.HTML
	License     Link
	Providers   []providerView
	Keywords    []string
	Where       string
	When        string
	Footprint   *SVG
	Summaries   []Prop
	SummaryRows template.HTML // the rows of Summaries (rows.go)
	ItemAssets  []assetDef
	Assets      []assetView // the collection's own assets (its stac-geoparquet file …)
	Search      *searchView // with a stac-geoparquet asset
	Items       []rowView
	Pager       pager
}

type providerView struct{ Name, Roles, Link, Description string }

// searchView is the search form of a collection page: its fields come from
// the collection's extent and summaries.
type searchView struct {
	Parquet          string // href of the stac-geoparquet file
	MinDate, MaxDate string // the temporal extent, as yyyy-mm-dd
	Ranges           []rangeField
	Enums            []enumField
}

type rangeField struct{ Key, Label, Unit, Min, Max string }

type enumField struct {
	Key, Label string
	Values     []string
}

// searchFor returns the search form when the collection has a
// stac-geoparquet asset (role collection-mirror).
func searchFor(c *stac.Collection) *searchView {
	var href string
	for _, a := range c.Assets {
		if !strings.EqualFold(a.Type, "application/vnd.apache.parquet") || !slices.Contains(a.Roles, "collection-mirror") {
			continue
		}
		if p, ok := inspectHref(a.Href); ok && p.relative {
			href = a.Href
		}
	}
	if href == "" {
		return nil
	}
	v := &searchView{Parquet: href}
	if iv := c.Extent.Temporal.Interval; len(iv) > 0 && len(iv[0]) == 2 {
		day := func(p *string) string {
			if p == nil {
				return ""
			}
			t, err := time.Parse(time.RFC3339Nano, *p)
			if err != nil {
				return ""
			}
			return t.UTC().Format("2006-01-02")
		}
		v.MinDate, v.MaxDate = day(iv[0][0]), day(iv[0][1])
	}
	for _, k := range fieldOrder(c.Summaries, nil) {
		switch t := c.Summaries[k].(type) {
		case map[string]any:
			lo, ok1 := number(t["minimum"])
			hi, ok2 := number(t["maximum"])
			if ok1 && ok2 && lo < hi {
				v.Ranges = append(v.Ranges, rangeField{Key: k, Label: label(k), Unit: fields[k].unit, Min: formatNumber(lo), Max: formatNumber(hi)})
			}
		case []string:
			if len(t) > 1 {
				v.Enums = append(v.Enums, enumField{Key: k, Label: label(k), Values: t})
			}
		}
	}
	return v
}

type assetDef struct {
	Key, Title, Type, TypeFull, Roles, GSD string
	Bands                                  []string
}

type rowView struct{ ID, Href, Title, When, Cloud string }

type pager struct {
	Page, Pages, From, To, Total int
	First, Prev, Next, Last      string
}

// Card is what the catalog page shows of a collection.
type Card struct {
	ID, Title, Href string
	Summary         string // the description, cut short, as plain text
	Thumb           *image
	Where, When     string
	Items           int
	License         string
	Providers       string
	Keywords        []string
}

// listPage names page n (1-based) of a collection's item list.
func listPage(n int) string {
	if n == 1 {
		return "index.html"
	}
	return "page-" + strconv.Itoa(n) + ".html"
}

// Collection renders the collection whose JSON is at rel: index.html with
// its description and the first page of items (newest first), then
// page-2.html … for the rest. It returns the collection's card for the
// catalog page.
func (r *Renderer) Collection(w Writer, rel string, c *stac.Collection, rows []Row, ctx Context) (Card, error) {
	dir := path.Dir(rel)
	sort.Slice(rows, func(i, j int) bool {
		if !rows[i].Start.Equal(rows[j].Start) {
			return rows[i].Start.After(rows[j].Start)
		}
		return rows[i].ID < rows[j].ID
	})
	title := orID(c.Title, c.ID)
	base := collectionPage{ID: c.ID, Markdown: r.markdown(c.Description), License: license(c)}
	base.Keywords = c.Keywords
	for _, pr := range c.Providers {
		base.Providers = append(base.Providers, providerView{Name: pr.Name, Roles: strings.Join(pr.Roles, ", "), Link: safeURL(pr.URL), Description: pr.Description})
	}
	var bbox []float64
	if bb := c.Extent.Spatial.BBox; len(bb) > 0 {
		bbox = bb[0]
	}
	base.Where = bboxText(bbox)
	if iv := c.Extent.Temporal.Interval; len(iv) > 0 && len(iv[0]) == 2 {
		base.When = intervalText(iv[0][0], iv[0][1])
	}
	base.Footprint = footprintSVG(nil, nil, bbox)
	if base.Footprint != nil {
		base.Footprint.Label = "Spatial extent of " + title + ": " + base.Where
	}
	base.Summaries = summaries(c.Summaries)
	base.SummaryRows = propRows(nil, base.Summaries)
	base.ItemAssets = itemAssets(c.ItemAssets)
	base.Search = searchFor(c)
	keys := make([]string, 0, len(c.Assets))
	for k := range c.Assets {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		a := r.asset(i, k, c.Assets[k], dir+"/index.html")
		a.Snippets = snippets(a.Resolved, a.TypeFull)
		base.Assets = append(base.Assets, a)
	}

	size := r.opts.PageSize
	pages := max(1, (len(rows)+size-1)/size)
	for n := 1; n <= pages; n++ {
		prel := dir + "/" + listPage(n)
		p := base
		p.Common = r.common(prel, "collection.json", stac.MediaJSON, title, ctx)
		p.First = n == 1
		p.Description = plainSummary(c.Description, 300)
		if n > 1 {
			p.Title = fmt.Sprintf("%s — items, page %d of %d", title, n, pages)
		}
		p.Crumbs = []Link{{ctx.CatalogTitle, p.Root + "index.html"}, {Title: title}}
		if n > 1 {
			p.Crumbs[1].Href = "index.html"
			p.Crumbs = append(p.Crumbs, Link{Title: fmt.Sprintf("Page %d", n)})
		}
		lo, hi := (n-1)*size, min(n*size, len(rows))
		p.Pager = pager{Page: n, Pages: pages, From: lo + 1, To: hi, Total: len(rows)}
		if len(rows) == 0 {
			p.Pager.From = 0
		}
		if n > 1 {
			p.Pager.First, p.Pager.Prev = listPage(1), listPage(n-1)
		}
		if n < pages {
			p.Pager.Next, p.Pager.Last = listPage(n+1), listPage(pages)
		}
		feats := []feature{}
		if bbox != nil {
			feats = append(feats, feature{Type: "Feature", Geometry: bboxPolygon(bbox), Properties: map[string]any{"extent": true}})
		}
		p.Items = make([]rowView, 0, hi-lo)
		for _, row := range rows[lo:hi] {
			href := row.ID + "/index.html"
			rv := rowView{ID: row.ID, Href: href, Title: row.Title}
			if !row.Start.IsZero() {
				rv.When = humanTime(row.Start)
			}
			if row.Cloud != nil {
				rv.Cloud = formatNumber(math.Round(*row.Cloud*10)/10) + " %"
			}
			p.Items = append(p.Items, rv)
			if g := bboxPolygon(row.BBox); g != nil {
				feats = append(feats, feature{Type: "Feature", Geometry: g, Properties: map[string]any{"id": row.ID, "href": href}})
			}
		}
		if len(feats) > 0 {
			p.Geo = jsonJS(featureCollection(feats...))
		}
		p.CSP = r.csp(nil)
		if n == 1 { // one Dataset per collection, not one per list page
			p.JSONLD = jsonJS(r.collectionJSONLD(prel, c))
		}
		if err := r.execute(w, "collection.html", prel, &p.Common, &p); err != nil {
			return Card{}, err
		}
	}
	card := Card{ID: c.ID, Title: title, Href: dir + "/index.html", Summary: plainSummary(c.Description, 240),
		Where: base.Where, When: base.When, Items: len(rows), License: base.License.Title, Keywords: c.Keywords}
	var names []string
	for _, pr := range c.Providers {
		names = append(names, pr.Name)
	}
	card.Providers = strings.Join(names, ", ")
	for _, row := range rows { // the newest item with a thumbnail
		if row.Thumb == "" {
			continue
		}
		src := row.Thumb
		if origin(src) == "" {
			src = dir + "/" + row.ID + "/" + strings.TrimPrefix(src, "./")
		}
		card.Thumb = &image{Src: src, Alt: "Preview of " + row.ID + ", the newest item of " + title}
		break
	}
	return card, nil
}

// license is the collection's licence with a link: its "license" link
// when it has one, else the SPDX page of an SPDX identifier.
func license(c *stac.Collection) Link {
	for _, l := range c.Links {
		if l.Rel == "license" {
			if href := safeURL(l.Href); href != "" {
				return Link{Title: orID(l.Title, c.License), Href: href}
			}
		}
	}
	switch strings.ToLower(c.License) {
	case "", "other", "proprietary", "various":
		return Link{Title: orID(c.License, "not stated")}
	}
	if spdxID.MatchString(c.License) {
		return Link{Title: c.License, Href: "https://spdx.org/licenses/" + c.License + ".html"}
	}
	return Link{Title: c.License}
}

var spdxID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.+-]*$`)

// plainSummary is the first paragraph of a Markdown text, cut at n runes.
func plainSummary(md string, n int) string {
	s := strings.TrimSpace(md)
	if i := strings.Index(s, "\n\n"); i >= 0 {
		s = s[:i]
	}
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		s = strings.TrimSpace(string(r[:n-1])) + "…"
	}
	return s
}

// summaries reads like "10 – 60 m" for ranges and "sentinel-2a, sentinel-2b"
// for enumerations.
func summaries(m map[string]any) []Prop {
	var out []Prop
	for _, k := range fieldOrder(m, nil) {
		v := m[k]
		if rng, ok := v.(map[string]any); ok {
			lo, ok1 := number(rng["minimum"])
			hi, ok2 := number(rng["maximum"])
			if ok1 && ok2 {
				a, b := prop(k, lo), prop(k, hi)
				val := a.Value
				if lo != hi {
					val = strings.TrimSuffix(a.Value, " "+fields[k].unit) + " – " + b.Value
				}
				out = append(out, Prop{Key: k, Label: label(k), Value: val})
				continue
			}
		}
		if list, ok := v.([]string); ok {
			vals := make([]string, len(list))
			for i, s := range list {
				vals[i] = prop(k, s).Value
			}
			out = append(out, Prop{Key: k, Label: label(k), Value: strings.Join(vals, ", ")})
			continue
		}
		out = append(out, prop(k, v))
	}
	return out
}

func itemAssets(m map[string]map[string]any) []assetDef {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []assetDef
	for _, k := range keys {
		a := m[k]
		d := assetDef{Key: k}
		d.Title, _ = a["title"].(string)
		d.TypeFull, _ = a["type"].(string)
		d.Type = mediaName(d.TypeFull)
		d.Roles = text(a["roles"])
		if a["roles"] == nil {
			d.Roles = ""
		}
		if f, ok := number(a["gsd"]); ok {
			d.GSD = formatNumber(f) + " m"
		}
		d.Bands = bandsText(a["bands"])
		out = append(out, d)
	}
	return out
}

// ---- the catalog ----

type catalogPage struct {
	Common
	Markdown template.HTML
	Cards    []Card
}

type notFoundPage struct{ Common }

// Catalog renders the root page (index.html beside the catalog JSON at
// rel), the site's 404.html, and copies the static files.
func (r *Renderer) Catalog(w Writer, rel string, cat *stac.Catalog, cards []Card) error {
	title := orID(cat.Title, cat.ID)
	prel := pageOf(rel)
	p := catalogPage{Common: r.common(prel, path.Base(rel), stac.MediaJSON, title, Context{CatalogTitle: title}), Markdown: r.markdown(cat.Description), Cards: cards}
	p.Description = plainSummary(cat.Description, 300)
	p.Crumbs = []Link{{Title: title}}
	var origins []string
	for _, c := range cards {
		if c.Thumb != nil {
			if o := origin(c.Thumb.Src); o != "" {
				origins = append(origins, o)
			}
		}
	}
	p.CSP = r.csp(origins)
	p.JSONLD = jsonJS(r.catalogJSONLD(prel, cat, cards))
	if err := r.execute(w, "catalog.html", prel, &p.Common, &p); err != nil {
		return err
	}
	// 404.html is served at any depth: its links are absolute paths from
	// the base URL when known, else from the host's root.
	root := "/"
	if u, err := url.Parse(r.opts.BaseURL); err == nil && r.opts.BaseURL != "" {
		root = u.EscapedPath()
	}
	nf := notFoundPage{Common: Common{Title: "Page not found", Root: root, Static: root + StaticDir + "/", CatalogTitle: title, Generator: r.opts.Generator,
		Crumbs: []Link{{title, root + "index.html"}, {Title: "Page not found"}}, CSP: r.csp(nil), Runtime: r.runtime(root)}}
	if err := r.execute(w, "404.html", "404.html", &nf.Common, &nf); err != nil {
		return err
	}
	if r.signIn() {
		// The redirect URI of the sign-in: a real file, since a redirect
		// URI cannot carry a fragment.
		cb := notFoundPage{Common: r.common("callback.html", "", "", "Signing in", Context{CatalogTitle: title})}
		cb.JSONHref = ""
		cb.Crumbs = []Link{{title, "index.html"}, {Title: "Signing in"}}
		cb.CSP = r.csp(nil)
		if err := r.execute(w, "callback.html", "callback.html", &cb.Common, &cb); err != nil {
			return err
		}
	}
	return r.Static(w)
}
