package templates

import "embed"

// FS holds the page templates (*.html) that internal/render executes.
//
//go:embed *.html
var FS embed.FS
