// Package serve serves a built static site (stacgen's output, or any folder
// GitLab Pages would publish) over HTTP the way GitLab Pages does, so that a
// catalog can be previewed and browser-tested locally before it is
// published. It is a preview server, not a production one: no TLS, no
// access control, no compression.
//
// Handler reproduces the GitLab Pages behaviours a static STAC catalog and
// its browser pages depend on:
//
//   - GET and HEAD only; any other method is 405 with an Allow header.
//   - Content types by extension, fixed for the types a catalog serves
//     (.html, .json, .geojson, .css, .js/.mjs, .svg, .png, .jpg, .webp,
//     .tif/.tiff, .parquet, .txt, .xml, .wasm) so that they never depend on
//     the machine's /etc/mime.types; others from mime.TypeByExtension, else
//     application/octet-stream. Never sniffed (X-Content-Type-Options: nosniff).
//   - A folder requested with a trailing slash serves its index.html; without
//     the slash it is a 302 to the slash form, query kept (so relative links
//     in index.html resolve as they will on Pages). A folder without
//     index.html is 404: there are no directory listings.
//   - A missing path without extension is tried as path.html (Pages'
//     "ambiguous URLs": /about serves about.html).
//   - Anything missing is the site's root 404.html with status 404, or a
//     plain-text 404 when the site has none.
//   - Range requests, what GDAL's /vsicurl/ and browser COG readers send
//     (206; several ranges give multipart/byteranges), Last-Modified,
//     If-Modified-Since, ETag and If-None-Match/If-Range (304, 412, 416), all
//     from http.ServeContent.
//   - Cache-Control: max-age=600 on files, as Pages sends: browsers do not
//     ask again for ten minutes, so reload without the cache after a rebuild.
//
// Paths are cleaned; nothing outside the folder is reachable: ".." and its
// encoded forms are cleaned away, files are opened through an os.Root, so
// symbolic links may point within the folder but never out of it (nor be
// absolute), and files or folders whose name starts with a dot (stacgen's
// ".stacgen" marker, ".git") are 404. Only regular files are served. The
// folder is opened again for every request, so a `stacgen build` that swaps
// a new output into place is served from the next request on.
//
// Not reproduced: custom domains and TLS, access control, the _redirects
// file, precompressed .gz/.br variants, and per-project URL prefixes (the
// site is served at /; build with --base-url for the published URL).
//
// Every request is logged at debug level (method, path, status, bytes,
// duration).
//
// Neighbours: cmd/stacgen's serve command runs Handler in an http.Server;
// internal/publish writes the folder it serves.
package serve
