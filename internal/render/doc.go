// Package render turns the catalog's STAC documents into the HTML site that
// people browse (GitLab Pages, `stacgen serve`, or a local folder).
//
// It executes the page templates (package templates, or a folder overlaid
// on them with --templates) with view data computed here, so templates stay
// simple and every value is already in human units: dates in words, EPSG
// codes with their names, sizes in MB/GB, GSD in metres, cloud cover in %,
// bands with names and wavelengths. Pages sit beside their JSON
// (index.html in the document's folder; a collection's item list continues
// in page-2.html …, newest first) and use relative links only, so a site
// works under any sub-path. Each page has:
//
//   - a Content-Security-Policy meta tag (GitLab Pages sets no headers):
//     scripts and styles from the site only, no inline script, images also
//     from the configured basemap and from thumbnail hosts;
//   - its runtime configuration as a JSON data block (site root, basemap,
//     signer), never written into the JavaScript;
//   - `<link rel="alternate">` to its JSON, and schema.org JSON-LD
//     (DataCatalog, Dataset) for dataset search engines;
//   - an inline SVG footprint that the scripts replace with a Leaflet map,
//     and copy buttons and absolute download snippets added by the scripts:
//     without JavaScript, nothing but those enhancements is missing;
//   - on a collection with a stac-geoparquet asset, a search form (hidden
//     without JavaScript) whose fields come from the extent and summaries;
//   - with signer.client_id, a runtime configuration for sign-in
//     (oidc-client-ts) and signing; the CSP then lets scripts reach the
//     signer and the issuer (connect-src), and item pages carry, for each
//     signable asset (auth:refs), the commands for its presigned URL with a
//     placeholder the scripts fill in. callback.html is the redirect URI.
//
// Everything that comes from object keys, sidecars, configuration or
// Markdown is escaped for its context: by html/template in the templates,
// and, in the parts written here because they are on every page (the
// head's metadata, breadcrumbs, an item's header, tables, snippets and
// footprint figure: the writers of rows.go), as html.EscapeString escapes,
// in double-quoted attributes, with URLs percent-encoded where RFC 3986
// does not allow a byte and anything but http(s) or a relative reference
// replaced by html/template's "#ZgotmplZ" (hrefAttr), checked by the
// escaping tests; the JSON data blocks and JSON-LD are JSON with <, > and
// & escaped, so that nothing can close their <script> element. Markdown is
// rendered by goldmark without raw HTML; only http(s) and relative URLs
// become links or images (safeURL).
//
// Item pages are most of a build's files: the pieces written here for an
// item page share one pooled buffer (arena, rows.go), reused once the page
// is written, so that a page costs a few kilobytes of garbage rather than
// a copy of itself several times over.
//
// The static files (package site, or a folder overlaid on it with --site)
// are copied under _static/. Digest identifies templates and static files
// so that an incremental build re-renders every page when they change.
//
// Neighbours: internal/catalog calls Item, Collection and Catalog as it
// emits each document, through the same Sink as the JSON (so pages are
// part of the atomic publish); internal/stac provides the documents.
package render
