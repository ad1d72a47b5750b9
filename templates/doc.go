// Package templates embeds the html/template files of the HTML site that
// stacgen build renders beside the JSON catalog:
//
//   - layout.html defines "layout", the page shell (head with the
//     Content-Security-Policy, the JSON alternate link and the schema.org
//     JSON-LD; header, breadcrumbs, footer) that every page executes;
//   - partials.html defines small shared blocks ("footprint", "pager",
//     "copy", "snippets");
//   - catalog.html, collection.html, item.html, 404.html and callback.html
//     (the sign-in's redirect target, written when signer.client_id is set)
//     each define "content", the body of one kind of page.
//
// The data each template receives is documented on internal/render's view
// types (catalogPage, collectionPage, itemPage, notFoundPage, the latter
// also for callback.html). Each embeds render.Common, the data of the
// layout, which layout.html reads through {{with .Common}} (a direct field
// is cheaper for text/template than a promoted one, on every action of
// every page). The markup that is the same on every page is written by the
// renderer and placed with one action each (html/template spends about a
// microsecond of reflection per action): Common.PageTitle, Common.Head (the
// head's metadata, the site's stylesheets and scripts, the data blocks) and
// Common.CrumbItems; an item page's Heading, PropRows, AssetRows and
// SnippetBlocks; a collection page's SummaryRows; and the footprint's
// Figure, which the "footprint" partial places. Their structured forms
// (Crumbs, Props, Assets, Snippets, Summaries, the SVG's ViewBox, Path and
// Label) stay available to a template that lays them out its own way. A
// data centre restyles its site with `stacgen build --templates DIR`: a
// file in DIR replaces the embedded one of the same name, the others stay.
// Templates are html/template: every value a template places is escaped for
// its context, and the renderer escapes the markup it writes for its
// context too (as html.EscapeString does, in double-quoted attributes, URLs
// percent-encoded and limited to http(s) and relative references:
// internal/render, rows.go).
//
// Neighbours: internal/render parses and executes these; site/ holds the
// CSS and JavaScript they link.
package templates
