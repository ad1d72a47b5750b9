package render

import (
	"html/template"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unsafe"
)

// The rows of the property and asset tables are written here rather than
// in the templates: html/template spends about a microsecond of reflection
// per action, and these loops are most of an item page's actions (the
// page took 425 µs to render with them in the template). The markup is
// fixed; templates place the rows with {{.PropRows}}, {{.AssetRows}} and
// {{.SnippetBlocks}}, and the structured .Props, .Assets and .Snippets stay
// available to a template that lays them out its own way.
//
// The same writers also write the pieces of pages.go (the head's elements,
// the breadcrumbs, an item's header), geo.go (the footprint figure) and
// jsonld.go. Every value is escaped as html.EscapeString does (<, >, &, '
// and "), and every attribute is double-quoted, so a value cannot leave its
// text or attribute; every href is an http(s) or relative URL (safeURL),
// percent-encoded where RFC 3986 does not allow a byte (normalizeURL),
// anything else becoming html/template's "#ZgotmplZ" (hrefAttr).

// rows writes one piece of a page (a section: the rows of a table, the
// head's elements, a data block …) into an arena. The zero value writes
// into an arena of its own, which the garbage collector frees like a
// strings.Builder's buffer; an item page's pieces share the page's pooled
// arena (arena.rows).
type rows struct {
	a     *arena
	start int // where the piece begins in a.buf
}

// arena holds the text of a page's pieces, one after the other. An item
// page takes a pooled arena, writes its pieces there, executes its template
// and writes the page, then releases the arena for the next page: the
// pieces cost no allocation (they were two thirds of the bytes an item page
// allocated, and collecting them about 0.7 CPU s per 10,000 pages in the
// profiles of a build). Its strings are views of the buffer (as a
// strings.Builder's String is), so they must not be used after release:
// they live in the page's view data, which nothing keeps after the page is
// written.
type arena struct {
	buf  []byte
	open int // start of the piece being written: pieces are written one at a time
}

var arenas = sync.Pool{New: func() any { return &arena{buf: make([]byte, 0, 32<<10)} }}

// newArena returns a pooled arena; release it when the page is written.
func newArena() *arena { return arenas.Get().(*arena) }

// release returns the arena newArena gave (kept only at the usual sizes).
func (a *arena) release() {
	if cap(a.buf) <= 1<<20 {
		a.buf, a.open = a.buf[:0], 0
		arenas.Put(a)
	}
}

// rows starts a piece in a, or in an arena of its own when a is nil.
func (a *arena) rows() rows {
	if a == nil {
		return rows{}
	}
	a.open = len(a.buf)
	return rows{a: a, start: a.open}
}

// w is the arena to append to; a piece of a shared arena must be the one
// being written (it would otherwise interleave with another).
func (b *rows) w() *arena {
	if b.a == nil {
		b.a = &arena{}
	}
	b.current()
	return b.a
}

// current panics unless b is the piece its arena is writing: a piece
// written, or read, after the next one started would take that one's bytes.
func (b *rows) current() {
	if b.a != nil && b.a.open != b.start {
		panic("render: a piece used after another started in the same arena")
	}
}

// WriteString, Write and char append to the piece (char is WriteByte
// without its error).
func (b *rows) WriteString(s string) { a := b.w(); a.buf = append(a.buf, s...) }
func (b *rows) Write(p []byte)       { a := b.w(); a.buf = append(a.buf, p...) }
func (b *rows) char(c byte)          { a := b.w(); a.buf = append(a.buf, c) }

// Grow makes room for n more bytes.
func (b *rows) Grow(n int) { a := b.w(); a.buf = slices.Grow(a.buf, n) }

// String is the piece so far: a view of the arena, valid until its release.
func (b *rows) String() string {
	b.current()
	if b.a == nil || len(b.a.buf) == b.start {
		return ""
	}
	return unsafe.String(&b.a.buf[b.start], len(b.a.buf)-b.start) //nolint:gosec // G103: a view of bytes that are only appended to until the arena's release (see arena)
}

// float9 writes f as encoding/json does (appendJSONFloat).
func (b *rows) float9(f float64) { a := b.w(); a.buf = appendJSONFloat(a.buf, f) }

// tenths writes f with one decimal (appendTenths).
func (b *rows) tenths(f float64) { a := b.w(); a.buf = appendTenths(a.buf, f) }

// text writes s escaped as html.EscapeString does, without building the
// escaped string first.
func (b *rows) text(s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '&':
			esc = "&amp;"
		case '\'':
			esc = "&#39;"
		case '"':
			esc = "&#34;"
		default:
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(esc)
		last = i + 1
	}
	b.WriteString(s[last:])
}

// attr writes ` name="value"`.
func (b *rows) attr(name, value string) {
	b.char(' ')
	b.WriteString(name)
	b.WriteString(`="`)
	b.text(value)
	b.char('"')
}

// cell writes open (e.g. `<td`), a title attribute unless title is "",
// then text and the closing tag close.
func (b *rows) cell(open, title, text, close string) {
	b.WriteString(open)
	if title != "" {
		b.attr("title", title)
	}
	b.char('>')
	b.text(text)
	b.WriteString(close)
}

// link writes <a href="…">text</a>, href as hrefAttr makes it.
func (b *rows) link(href, text string) {
	b.WriteString("<a")
	b.attr("href", hrefAttr(href))
	b.char('>')
	b.text(text)
	b.WriteString("</a>")
}

// unless is s, or "" when s equals other (a title that would repeat the
// cell's text).
func unless(s, other string) string {
	if s == other {
		return ""
	}
	return s
}

func (b *rows) html() template.HTML { return template.HTML(b.String()) } //nolint:gosec // G203: escaped above

// propRows are the <tr> of a properties or summaries table.
func propRows(a *arena, ps []Prop) template.HTML {
	b := a.rows()
	b.Grow(160 * len(ps)) // one allocation for the usual row sizes
	for _, p := range ps {
		b.cell("\n      <tr><th scope=\"row\"", unless(p.Key, p.Label), p.Label, "</th>")
		b.cell("<td", p.Title, p.Value, "</td></tr>")
	}
	return b.html()
}

// assetRows are the <tr> of an item's assets table: key and title, roles,
// format, size, bands, and the link (or the href as text to copy) with its
// copy button and, for signable assets, its Sign button.
func assetRows(ar *arena, as []assetView) template.HTML {
	b := ar.rows()
	n := 0
	for _, a := range as {
		n += 600 + 3*len(a.Href) + len(a.Title) + len(a.TypeFull)
		for _, band := range a.Bands {
			n += len(band) + 4
		}
	}
	b.Grow(n)
	for _, a := range as {
		b.WriteString("\n      <tr")
		b.attr("id", a.Anchor)
		b.WriteString(">\n        <th scope=\"row\"><span class=\"key\">")
		b.text(a.Key)
		b.WriteString("</span>")
		if a.Title != "" {
			b.WriteString("<br><span class=\"title\">")
			b.text(a.Title)
			b.WriteString("</span>")
		}
		b.cell("</th>\n        <td", "", a.Roles, "</td>")
		b.cell("\n        <td", unless(a.TypeFull, a.Type), a.Type, "</td>")
		b.cell("\n        <td", a.SizeExact, a.Size, "</td>\n        <td>")
		for i, band := range a.Bands {
			if i > 0 {
				b.WriteString("<br>")
			}
			b.text(band)
		}
		b.WriteString("</td>\n        <td class=\"href\">")
		// The element's id names it for its copy button; data-href keeps a
		// signable asset's href as in the JSON, which the scripts send to
		// the signer once the link shows the signed URL.
		if a.Link != "" {
			b.WriteString("<a")
			b.attr("href", normalizeURL(a.Link))
			b.attr("id", a.Anchor+"-href")
			if a.Signable {
				b.attr("data-href", a.Href)
			}
			b.WriteString(">Download</a>")
		} else {
			b.WriteString("<code")
			b.attr("id", a.Anchor+"-href")
			if a.Signable {
				b.attr("data-href", a.Href)
			}
			b.char('>')
			b.text(a.Href)
			b.WriteString("</code>")
		}
		b.WriteString(` <button type="button" class="copy"`)
		b.attr("data-copy", a.Anchor+"-href")
		b.WriteString(" hidden>Copy</button>")
		if a.Signable {
			b.WriteString(` <button type="button" class="sign"`)
			b.attr("data-sign", a.Anchor)
			b.WriteString(` hidden>Sign</button> <span class="signed"`)
			b.attr("data-signed-status", a.Anchor)
			b.WriteString("></span>")
		}
		b.WriteString("</td>\n      </tr>")
	}
	return b.html()
}

// snippetBlocks are the labelled commands of an item's assets, each with
// its copy button (and, with signable assets, the signed version for the
// scripts in data-signed).
func snippetBlocks(a *arena, ss []snippet) template.HTML {
	b := a.rows()
	n := 0
	for _, sn := range ss {
		n += 400 + len(sn.Code) + len(sn.Signed) + len(sn.Relative)
	}
	b.Grow(n + n/8) // escaping makes the text a little longer
	for i, sn := range ss {
		id := "use-" + strconv.Itoa(i)
		b.WriteString("\n    <div class=\"snippet\">\n      <p class=\"label\"")
		b.attr("id", id+"-label")
		b.char('>')
		b.text(sn.Label)
		b.WriteString("</p>\n      <pre")
		b.attr("aria-labelledby", id+"-label")
		b.WriteString("><code")
		b.attr("id", id)
		if sn.Relative != "" {
			b.attr("data-relative", sn.Relative)
		}
		if sn.Signed != "" {
			b.attr("data-signed", sn.Signed)
		}
		b.char('>')
		b.text(sn.Code)
		b.WriteString("</code></pre>\n      <button type=\"button\" class=\"copy\"")
		b.attr("data-copy", id)
		b.WriteString(" hidden>Copy</button>\n    </div>")
	}
	return b.html()
}

// normalizeURL percent-encodes the bytes of a URL that RFC 3986 does not
// allow (spaces, quotes, <, >, non-ASCII …), as html/template does for
// URLs in attributes (which also encodes "(" and ")"), keeping existing
// escapes: the link stays the same, and no character of it can be read as
// markup.
func normalizeURL(s string) string {
	const hex = "0123456789ABCDEF"
	i := 0
	for i < len(s) && urlByte(s[i]) {
		i++
	}
	if i == len(s) {
		return s // the usual case: nothing to encode
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		if c := s[i]; urlByte(c) {
			b.WriteByte(c)
		} else {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// urlByte reports whether normalizeURL keeps c as it is.
func urlByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~:/?#[]@!$&()*+,;=%", c) >= 0
}
