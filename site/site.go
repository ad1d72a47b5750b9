package site

import "embed"

// FS holds the site's static files, under "static/" (static/vendor/leaflet/leaflet.js, …).
//
//go:embed all:static
var FS embed.FS
