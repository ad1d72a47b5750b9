// Package validate checks STAC documents and static catalogs against the
// official JSON Schemas before stacgen publishes them.
//
// A [Validator] validates a document against the core schema of its
// stac_version and type (Feature → item, Catalog, Collection) and against
// every URL in its stac_extensions. Each schema URL is resolved, verified and
// compiled once (jsonschema v6, with regexp2 in ECMAScript mode for the
// look-ahead patterns of the official schemas); a Validator is safe for
// concurrent use and [Validator.ValidateAll] runs in parallel. Violations come
// back as [Issue]s (file, JSON pointer, schema URL, message), flattened to the
// leaf causes.
//
// Schemas are registered by the URL they are served at, never by their $id
// (STAC 1.1.0's common.json declares ".../commonjson"). A URL is resolved, in
// order, from:
//
//  1. Options.SchemaDir, a mirror laid out as <host>/<path>;
//  2. the user cache (os.UserCacheDir()/eocat/schemas, same layout);
//  3. an HTTPS download, for URLs pinned in schemas/official.lock.json (or any
//     URL with Options.AllowUnpinned), verified and then cached; skipped when
//     Options.Offline;
//  4. the embedded compact schema (schemas/compact), the project's own
//     rewrite of the schemas stacgen emits, tested equivalent to the official
//     ones (see [CompareEngines]).
//
// Validity is first decided on a rewritten copy of each compiled schema that
// accepts exactly the same documents at a fraction of the cost (allOf members
// inlined, "no unknown prefix: field" fences matched directly, oneOf over
// GeoJSON-like branches dispatched on their "type" member, oneOf branches
// that cannot hold for the document's type dropped; see fast.go), walked by
// a native, allocation-free evaluator of the draft-07 keywords with the
// library's semantics (eval.go) instead of the library's validator; a document
// it rejects is validated again against the schema as compiled, so issues are
// the library's own. Documents are decoded once, into the values
// jsonschema.UnmarshalJSON would give (decode.go).
//
// The fast path is guarded at run time: the library validates again the
// first document of each type per schema and one fast-accepted document in
// Options.CrossCheck (default 1,000), and a disagreement is a
// [DivergenceError] that stops the build. Options.Exact (stacgen's
// --exact-validation) turns the fast path off.
//
// Pinned files from 1–3 must match their SHA-256 ([ErrChecksum]).
// [Validator.Sources] says where each URL came from, so that a build summary
// can say that compact schemas were used.
//
// [Tree] crawls a static catalog (local or HTTP), validates each document once
// and checks what schemas cannot: child/item/parent/root links resolve, item
// bboxes are the envelope of their geometry (antimeridian aware), collection
// extents contain their items. A link from a document read over HTTP to a
// local file is reported and never read.
//
// Neighbours: internal/catalog produces the documents; cmd/stacgen's build
// validates each one as it is emitted (ValidateWithChecks), before the
// output is published, and exposes `stacgen validate`, built on Tree.
package validate
