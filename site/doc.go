// Package site holds the static files published under _static/ of every
// site stacgen builds, embedded in the binary (FS).
//
// Layout of static/:
//
//   - static/vendor/<npm-name>/: browser libraries, the published files of
//     npm packages, unmodified. Each package's version, tarball integrity,
//     license and files (with their SHA-256) are pinned in vendor.lock.json;
//     vendor.sh fetches them from the npm registry and verifies them
//     (vendor.sh --check compares the committed copy with the registry, as
//     CI does), and this package's tests check the committed files against
//     the manifest. Never edit these files: change the manifest and run
//     vendor.sh.
//   - everything else: the project's own CSS and JavaScript, ES modules
//     without a build step: eocat.js (the entry of every page: copy
//     buttons, absolute snippets, then the modules below as needed), map.js
//     (Leaflet map of footprints, box drawing), search.js (search over
//     items.parquet with hyparquet), auth.js and callback.js (sign-in with
//     oidc-client-ts, signed links).
//
// internal/render copies the contents of static/ into the output's _static/
// folder, and `stacgen build --site DIR` overlays a folder laid out like
// static/ (e.g. DIR/eocat.css) on top of it, file by file.
package site
