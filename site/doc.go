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
//   - everything else: the project's own CSS and JavaScript.
//
// internal/render copies FS into the output's _static/ folder, and
// `stacgen build --site DIR` overlays a folder with the same layout on top of
// it.
package site
