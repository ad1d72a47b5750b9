package render

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/yuin/goldmark"
	"gitlab.com/eocat/eocat/internal/config"
)

// StaticDir is the folder of the published site holding the static files
// (CSS, JavaScript, vendored libraries). Collection ids start with a letter
// or digit, so it cannot clash with a collection folder.
const StaticDir = "_static"

// DefaultPageSize is the number of items per page of a collection's list.
const DefaultPageSize = 100

// Writer receives the rendered files at slash-separated paths relative to
// the site root (a catalog.Sink, a publish.Output).
type Writer interface {
	// WriteFile writes data at rel. It must not retain data after it
	// returns: the renderer reuses its page buffers.
	WriteFile(rel string, data []byte) error
}

// Options configure a Renderer.
type Options struct {
	// Templates holds the page templates (templates.FS, or an Overlay).
	Templates fs.FS
	// Site holds the static files published under StaticDir (the "static"
	// folder of site.FS, or an Overlay).
	Site fs.FS
	// BaseURL is the absolute URL the site is published at, when known:
	// canonical links, JSON-LD and download snippets then use absolute URLs.
	BaseURL string
	// Basemap is drawn under footprints; nil draws them on a plain
	// background.
	Basemap *config.Basemap
	// PageSize is the number of items per list page (DefaultPageSize if 0).
	PageSize int
	// Generator names the program in the pages' footer and meta tag.
	Generator string
	// Signer, with a ClientID, adds sign-in to every page and signed
	// download links to item pages (and writes callback.html).
	Signer *config.Signer
}

// requiredTemplates must exist in Options.Templates.
var requiredTemplates = []string{"layout.html", "partials.html", "catalog.html", "collection.html", "item.html", "404.html", "callback.html"}

// requiredStatic must exist in Options.Site.
var requiredStatic = []string{"favicon.svg", "eocat.css", "eocat.js", "map.js", "search.js", "auth.js", "callback.js", "vendor/oidc-client-ts/oidc-client-ts.min.js", "vendor/leaflet/leaflet.js", "vendor/leaflet/leaflet.css"}

// Renderer turns STAC documents into HTML pages. It is safe for concurrent
// use.
type Renderer struct {
	opts          Options
	pages         map[string]*template.Template // by template file name
	md            goldmark.Markdown
	basemapOrigin string
	base          *url.URL    // Options.BaseURL, parsed; nil when unknown
	plainBase     bool        // base.String() == Options.BaseURL: link may concatenate
	connect       []string    // origins scripts may fetch from besides the site: the signer and the IdP
	signer        *signerConf // the sign-in's runtime configuration; nil without sign-in
	digest        string
	runtimes      sync.Map // root prefix → template.JS (runtime)
	heads         sync.Map // headKey → headLinks
	defaultCSP    string   // csp(nil)
}

// signIn reports whether pages offer sign-in.
func (r *Renderer) signIn() bool { return r.signer != nil }

// New parses the templates and checks that every required template and
// static file is present, listing all that are missing.
func New(o Options) (*Renderer, error) {
	if o.Templates == nil || o.Site == nil {
		return nil, errors.New("render: templates and site files are required")
	}
	if o.PageSize <= 0 {
		o.PageSize = DefaultPageSize
	}
	if o.BaseURL != "" && !strings.HasSuffix(o.BaseURL, "/") {
		o.BaseURL += "/"
	}
	var missing []string
	for _, name := range requiredTemplates {
		if _, err := fs.Stat(o.Templates, name); err != nil {
			missing = append(missing, "template "+name)
		}
	}
	for _, name := range requiredStatic {
		if _, err := fs.Stat(o.Site, name); err != nil {
			missing = append(missing, "site file "+name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("render: missing %s", strings.Join(missing, ", "))
	}
	r := &Renderer{opts: o, pages: map[string]*template.Template{}, md: newMarkdown()}
	if o.BaseURL != "" {
		u, err := url.Parse(o.BaseURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("render: base URL %q is not an absolute http(s) URL", o.BaseURL)
		}
		r.base, r.plainBase = u, u.String() == o.BaseURL
	}
	for _, page := range []string{"catalog.html", "collection.html", "item.html", "404.html", "callback.html"} {
		t, err := template.New(page).Funcs(funcs).ParseFS(o.Templates, "layout.html", "partials.html", page)
		if err != nil {
			return nil, fmt.Errorf("render: %w", err)
		}
		if t.Lookup("content") == nil {
			return nil, fmt.Errorf("render: %s does not define \"content\"", page)
		}
		r.pages[page] = t
	}
	if o.Basemap != nil {
		origin, err := tileOrigin(o.Basemap.URL)
		if err != nil {
			return nil, err
		}
		r.basemapOrigin = origin
	}
	if s := o.Signer; s != nil && s.ClientID != "" {
		r.signer = &signerConf{URL: strings.TrimSuffix(s.URL, "/"), Issuer: s.Issuer, ClientID: s.ClientID, Scopes: s.Scopes, Token: s.Token}
		if len(r.signer.Scopes) == 0 {
			r.signer.Scopes = config.DefaultScopes
		}
		if r.signer.Token == "" {
			r.signer.Token = "id_token"
		}
		for _, u := range []string{s.URL, s.Issuer} {
			if org := origin(u); org != "" && !slices.Contains(r.connect, org) {
				r.connect = append(r.connect, org)
			} else if org == "" {
				return nil, fmt.Errorf("render: signer URL %q is not an absolute http(s) URL", u)
			}
		}
	}
	d, err := digest(o.Templates, o.Site)
	if err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	r.digest = d
	r.defaultCSP = r.csp(nil)
	return r, nil
}

// Digest identifies the templates and static files: a change in either
// must rebuild every page (it is part of the incremental state).
func (r *Renderer) Digest() string { return r.digest }

// digest hashes every file's path and bytes of both file systems.
func digest(fss ...fs.FS) (string, error) {
	h := sha256.New()
	for i, fsys := range fss {
		err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := fs.ReadFile(fsys, p)
			if err != nil {
				return err
			}
			_, _ = fmt.Fprintf(h, "%d\x00%s\x00%d\x00", i, p, len(data)) // a hash.Hash never fails to write
			h.Write(data)
			return nil
		})
		if err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Static writes every site file under StaticDir.
func (r *Renderer) Static(w Writer) error {
	return fs.WalkDir(r.opts.Site, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(r.opts.Site, p)
		if err != nil {
			return err
		}
		return w.WriteFile(StaticDir+"/"+p, data)
	})
}

// tileOrigin is the CSP source of a tile URL template: its scheme and
// host, with a {s} subdomain placeholder as a wildcard.
func tileOrigin(tmpl string) (string, error) {
	rest, ok := strings.CutPrefix(tmpl, "https://")
	host, _, _ := strings.Cut(rest, "/")
	if !ok || host == "" {
		return "", fmt.Errorf("render: basemap URL %q must be an https URL template", tmpl)
	}
	wild := strings.HasPrefix(host, "{s}.")
	if wild {
		host = strings.TrimPrefix(host, "{s}.")
	}
	u, err := url.Parse("https://" + host + "/")
	if err != nil || u.Host != host || u.User != nil || strings.ContainsAny(host, "{}*;' \"") {
		if strings.Contains(host, "{s}") {
			return "", fmt.Errorf("render: basemap URL %q: {s} may only be the first label of the host", tmpl)
		}
		return "", fmt.Errorf("render: basemap URL %q has an invalid host", tmpl)
	}
	if wild {
		host = "*." + host
	}
	return "https://" + host, nil
}

// csp is the Content-Security-Policy of a page: scripts, styles and
// everything else from the site itself; images also from the basemap and
// the given origins (thumbnails hosted elsewhere).
func (r *Renderer) csp(imgOrigins []string) string {
	if len(imgOrigins) == 0 && r.defaultCSP != "" {
		return r.defaultCSP
	}
	img := []string{"'self'"}
	if r.basemapOrigin != "" {
		img = append(img, r.basemapOrigin)
	}
	for _, o := range imgOrigins {
		if !slices.Contains(img, o) {
			img = append(img, o)
		}
	}
	return "default-src 'none'; script-src 'self'; style-src 'self'; img-src " + strings.Join(img, " ") +
		"; connect-src " + strings.Join(append([]string{"'self'"}, r.connect...), " ") + "; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'"
}

// execute renders one page template into w at rel; c is data's Common.
func (r *Renderer) execute(w Writer, page, rel string, c *Common, data any) error {
	c.finish(r.headLinks(c.Static, c.Geo != "", c.SignIn))
	buf := pageBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 1<<20 { // keep the usual sizes, not an outlier
			buf.Reset()
			pageBuffers.Put(buf)
		}
	}()
	if err := r.pages[page].ExecuteTemplate(buf, "layout", data); err != nil {
		return fmt.Errorf("render %s: %w", rel, err)
	}
	return w.WriteFile(rel, buf.Bytes())
}

// pageBuffers are the buffers pages are rendered into: an item page is
// about 17 KB, and allocating its buffer for each of a build's pages was a
// third of the renderer's garbage.
var pageBuffers = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 32<<10)) }}

// headLinks returns the <link> and <script> elements of the site's own
// files (icon, stylesheets, scripts; Leaflet on pages with a map, the
// OpenID client with sign-in) for the static files at static (a relative or
// absolute path ending in "/"), each on its own line: the same for every
// page of one depth and kind, so built once and cached.
func (r *Renderer) headLinks(static string, geo, signIn bool) string {
	key := headKey{static, geo, signIn}
	if v, ok := r.heads.Load(key); ok {
		return v.(string)
	}
	var b strings.Builder
	link := func(format, file string) {
		fmt.Fprintf(&b, format, template.HTMLEscapeString(static+file))
	}
	link("\n<link rel=\"icon\" href=\"%s\" type=\"image/svg+xml\">", "favicon.svg")
	link("\n<link rel=\"stylesheet\" href=\"%s\">", "eocat.css")
	if geo {
		link("\n<link rel=\"stylesheet\" href=\"%s\">", "vendor/leaflet/leaflet.css")
		link("\n<script src=\"%s\" defer></script>", "vendor/leaflet/leaflet.js")
	}
	if signIn {
		link("\n<script src=\"%s\" defer></script>", "vendor/oidc-client-ts/oidc-client-ts.min.js")
	}
	link("\n<script type=\"module\" src=\"%s\"></script>", "eocat.js")
	h := b.String()
	r.heads.Store(key, h)
	return h
}

type headKey struct {
	static      string
	geo, signIn bool
}

// rootPrefix is the relative path from the folder of rel to the site root.
func rootPrefix(rel string) string {
	return strings.Repeat("../", strings.Count(rel, "/"))
}

// pageOf is the page beside a JSON document: index.html in its folder.
func pageOf(rel string) string {
	if dir := path.Dir(rel); dir != "." {
		return dir + "/index.html"
	}
	return "index.html"
}

// absolute is rel (relative to the site root) as an absolute URL when the
// base URL is known, else "".
func (r *Renderer) absolute(rel string) string {
	if r.opts.BaseURL == "" {
		return ""
	}
	return r.opts.BaseURL + strings.TrimSuffix(rel, "index.html")
}

// funcs are the template helpers; the views carry values already in human
// form, so there are few.
var funcs = template.FuncMap{
	// dict builds a map from key, value pairs: several values for one
	// partial ({{template "pager" dict "Pager" .Pager "Label" "…"}}).
	"dict": func(kv ...any) (map[string]any, error) {
		if len(kv)%2 != 0 {
			return nil, errors.New("dict: odd number of arguments")
		}
		m := make(map[string]any, len(kv)/2)
		for i := 0; i < len(kv); i += 2 {
			k, ok := kv[i].(string)
			if !ok {
				return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
			}
			m[k] = kv[i+1]
		}
		return m, nil
	},
}
