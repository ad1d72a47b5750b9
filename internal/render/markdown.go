package render

import (
	"bytes"
	"html/template"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// newMarkdown renders CommonMark (plus GitHub tables, strikethrough and
// autolinks) safely: raw HTML is dropped and links or images whose URL is
// javascript:, vbscript:, file: or data: (other than images) lose it
// (goldmark's defaults without html.WithUnsafe).
func newMarkdown() goldmark.Markdown {
	return goldmark.New(
		goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.Linkify),
	)
}

// markdown renders a description; on the (unexpected) failure of the
// renderer the text is shown escaped instead.
func (r *Renderer) markdown(src string) template.HTML {
	var buf bytes.Buffer
	if err := r.md.Convert([]byte(src), &buf); err != nil {
		return template.HTML("<p>" + template.HTMLEscapeString(src) + "</p>") //nolint:gosec // G203: escaped here
	}
	return template.HTML(buf.String()) //nolint:gosec // G203: safe: goldmark without WithUnsafe escapes text and drops raw HTML
}
