package render

import (
	"html/template"
	"strconv"
	"strings"
)

// The rows of the property and asset tables are written here rather than
// in the templates: html/template spends about a microsecond of reflection
// per action, and these loops are most of an item page's actions (the
// page took 425 µs to render with them in the template). The markup is
// fixed; templates place the rows with {{.PropRows}}, {{.AssetRows}} and
// {{.SnippetBlocks}}, and the structured .Props, .Assets and .Snippets stay
// available to a template that lays them out its own way.
//
// Every value is escaped as html.EscapeString does (<, >, &, ' and "), and
// every attribute is double-quoted, so a value cannot leave its text or
// attribute; the only URLs written (href) are Link values, which safeURL
// limited to http(s) and relative references.

// rows builds HTML with escaping helpers.
type rows struct{ strings.Builder }

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
	b.WriteByte(' ')
	b.WriteString(name)
	b.WriteString(`="`)
	b.text(value)
	b.WriteByte('"')
}

// cell writes open (e.g. `<td`), a title attribute unless title is "",
// then text and the closing tag close.
func (b *rows) cell(open, title, text, close string) {
	b.WriteString(open)
	if title != "" {
		b.attr("title", title)
	}
	b.WriteByte('>')
	b.text(text)
	b.WriteString(close)
}

// link writes <a href="…">text</a>, href as html/template would write it
// (hrefAttr).
func (b *rows) link(href, text string) {
	b.WriteString("<a")
	b.attr("href", hrefAttr(href))
	b.WriteByte('>')
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
func propRows(ps []Prop) template.HTML {
	var b rows
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
func assetRows(as []assetView) template.HTML {
	var b rows
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
		if a.Link != "" {
			b.WriteString("<a")
			b.attr("href", normalizeURL(a.Link))
			b.attr("id", a.Anchor+"-href")
			b.attr("data-href", a.Href)
			b.WriteString(">Download</a>")
		} else {
			b.WriteString("<code")
			b.attr("id", a.Anchor+"-href")
			b.attr("data-href", a.Href)
			b.WriteByte('>')
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
func snippetBlocks(ss []snippet) template.HTML {
	var b rows
	n := 0
	for _, sn := range ss {
		n += 400 + len(sn.Code) + len(sn.Signed) + len(sn.Relative)
	}
	b.Grow(n + n/8) // escaping makes the text a little longer
	for i, sn := range ss {
		id := "use-" + strconv.Itoa(i)
		b.WriteString("\n    <div class=\"snippet\">\n      <p class=\"label\"")
		b.attr("id", id+"-label")
		b.WriteByte('>')
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
		b.WriteByte('>')
		b.text(sn.Code)
		b.WriteString("</code></pre>\n      <button type=\"button\" class=\"copy\"")
		b.attr("data-copy", id)
		b.WriteString(" hidden>Copy</button>\n    </div>")
	}
	return b.html()
}

// normalizeURL percent-encodes the bytes of a URL that RFC 3986 does not
// allow (spaces, quotes, <, >, non-ASCII …), as html/template does for
// URLs in attributes, keeping existing escapes: the link stays the same,
// and no character of it can be read as markup.
func normalizeURL(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			strings.IndexByte("-._~:/?#[]@!$&()*+,;=%", c) >= 0:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}
