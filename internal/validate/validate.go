package validate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/dlclark/regexp2"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/sync/errgroup"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Issue is one reason a document is invalid.
type Issue struct {
	File    string // document name (path or URL)
	Pointer string // JSON pointer into the document ("" is the whole document)
	Schema  string // schema URL; empty for checks beyond JSON Schema
	Message string
	// Consistency marks checks beyond the schemas that official tools do
	// not make: in one document (an item's bbox vs its geometry) and across
	// a tree (Tree: collection extents vs their items). stacgen build makes
	// the per-document ones errors (it does not crawl the tree it writes);
	// stacgen validate reports both as warnings unless --strict.
	Consistency bool
}

func (i Issue) String() string {
	ptr := i.Pointer
	if ptr == "" {
		ptr = "/"
	}
	if i.Schema == "" {
		return fmt.Sprintf("%s: %s: %s", i.File, ptr, i.Message)
	}
	return fmt.Sprintf("%s: %s: schema %s: %s", i.File, ptr, i.Schema, i.Message)
}

// Doc is a named document for ValidateAll.
type Doc struct {
	Name string
	Data []byte
}

// Validator validates STAC documents against the JSON Schemas of their
// stac_version, type and stac_extensions. Each schema URL is resolved and
// compiled once; a Validator is safe for concurrent use.
type Validator struct {
	res      *resolver
	mu       sync.Mutex // serialises the compiler
	compiler *jsonschema.Compiler
	compiled sync.Map // url → *compiled
	plain    bool     // no fast path (Options.Exact, tests)
	period   uint64   // cross-check one fast-accepted document in period; 0: never
	accepted atomic.Uint64
	checked  atomic.Uint64 // documents cross-checked
}

// DivergenceError reports a document that the fast path accepted and the
// jsonschema library rejects: a bug in fast.go or eval.go (or a library
// upgrade they do not follow). The build stops; --exact-validation is the
// workaround until it is fixed.
type DivergenceError struct {
	Doc, Schema string
	Issues      []Issue // the library's verdict
}

func (e *DivergenceError) Error() string {
	msg := "(no detail)"
	if len(e.Issues) > 0 {
		msg = e.Issues[0].String()
	}
	return fmt.Sprintf("validate: %s: the fast validation path accepted it but the jsonschema library rejects it against %s: %s — a stacgen bug, please report it; run with --exact-validation meanwhile", e.Doc, e.Schema, msg)
}

type compiled struct {
	schema *jsonschema.Schema
	err    error
	fast   *jsonschema.Schema // equivalent rewrite deciding validity (see fast.go); nil: none
	native bool               // holds implements every keyword of fast (see eval.go)
	byType sync.Map           // document type → fast specialised for it
	seen   sync.Map           // document type → true once cross-checked
}

// fastFor returns the fast schema for a document of type typ, or nil.
func (c *compiled) fastFor(typ string) *jsonschema.Schema {
	if c.fast == nil || typ == "" {
		return c.fast
	}
	if s, ok := c.byType.Load(typ); ok {
		return s.(*jsonschema.Schema)
	}
	s, _ := c.byType.LoadOrStore(typ, specialise(c.fast, typ))
	return s.(*jsonschema.Schema)
}

// valid decides validity against fast (natively when possible).
func (c *compiled) valid(fast *jsonschema.Schema, inst any) bool {
	if c.native {
		return holds(fast, inst, 0)
	}
	return fast.Validate(inst) == nil
}

// New returns a Validator resolving schemas as opts says.
func New(opts Options) (*Validator, error) {
	res, err := newResolver(opts)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	c.UseLoader(res)
	c.UseRegexpEngine(ecmaRegexp)
	v := &Validator{res: res, compiler: c, plain: opts.Exact}
	switch {
	case opts.CrossCheck == 0:
		v.period = DefaultCrossCheck
	case opts.CrossCheck > 0:
		v.period = uint64(opts.CrossCheck)
	}
	return v, nil
}

// CrossChecked is the number of fast-accepted documents validated again by
// the library so far (Options.CrossCheck).
func (v *Validator) CrossChecked() uint64 { return v.checked.Load() }

// Sources reports, for each schema URL loaded so far, where it came from:
// SourceDir, SourceCache, SourceFetch or SourceCompact.
func (v *Validator) Sources() map[string]string { return v.res.sources() }

// compile returns the compiled schema for url and its fast rewrite,
// compiling on first use.
func (v *Validator) compile(url string) *compiled {
	if c, ok := v.compiled.Load(url); ok {
		return c.(*compiled)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if c, ok := v.compiled.Load(url); ok {
		return c.(*compiled)
	}
	c := &compiled{}
	c.schema, c.err = v.compiler.Compile(url)
	if c.err != nil {
		c.err = fmt.Errorf("compile %s: %w", url, unwrapLoad(c.err))
	} else if !v.plain {
		c.fast = fastGraph(c.schema)
		c.native = c.fast != nil && nativeGraph(c.fast)
	}
	v.compiled.Store(url, c)
	return c
}

// unwrapLoad surfaces the resolver's error from jsonschema's wrapping.
func unwrapLoad(err error) error {
	var le *jsonschema.LoadURLError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// Validate validates one document. Schema violations are returned as issues;
// the error is for schemas that cannot be resolved or compiled.
func (v *Validator) Validate(name string, doc []byte) ([]Issue, error) {
	inst, err := parseJSON(doc)
	if err != nil {
		return []Issue{{File: name, Message: "invalid JSON: " + err.Error()}}, nil
	}
	return v.validateValue(name, inst)
}

// ValidateWithChecks is Validate plus the per-document consistency check
// (an item's bbox is the envelope of its geometry), on one parse.
func (v *Validator) ValidateWithChecks(name string, doc []byte) ([]Issue, error) {
	inst, err := parseJSON(doc)
	if err != nil {
		return []Issue{{File: name, Message: "invalid JSON: " + err.Error()}}, nil
	}
	issues, err := v.validateValue(name, inst)
	if err != nil {
		return nil, err
	}
	if obj, ok := inst.(map[string]any); ok && obj["type"] == "Feature" {
		if is := bboxIssue(name, obj, defaultTolerance); is != nil {
			issues = append(issues, *is)
		}
	}
	return issues, nil
}

// ValidateAll validates docs with up to workers goroutines and returns the
// issues in the order of docs.
func (v *Validator) ValidateAll(ctx context.Context, docs []Doc, workers int) ([]Issue, error) {
	results := make([][]Issue, len(docs))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(max(workers, 1))
	for i, d := range docs {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			is, err := v.Validate(d.Name, d.Data)
			results[i] = is
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var all []Issue
	for _, is := range results {
		all = append(all, is...)
	}
	return all, nil
}

func (v *Validator) validateValue(name string, inst any) ([]Issue, error) {
	urls, issues := schemaURLs(name, inst)
	for _, u := range urls {
		is, err := v.check(name, u, inst)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		issues = append(issues, is...)
	}
	return issues, nil
}

// check validates inst against the schema at url.
func (v *Validator) check(name, url string, inst any) ([]Issue, error) {
	c := v.compile(url)
	if c.err != nil {
		return nil, c.err
	}
	if c.fast != nil && !v.plain {
		typ, _ := docType(inst)
		if c.valid(c.fastFor(typ), inst) {
			return nil, v.crossCheck(c, name, url, typ, inst)
		}
	}
	// Invalid (or no fast path): the original schema reports why.
	err := c.schema.Validate(inst)
	var ve *jsonschema.ValidationError
	if errors.As(err, &ve) {
		return leaves(name, url, ve, nil, map[Issue]bool{}), nil
	}
	return nil, err
}

// crossCheck validates a fast-accepted document again with the library
// when it is the first of its type for this schema or falls on the
// sampling period, and reports a disagreement.
func (v *Validator) crossCheck(c *compiled, name, url, typ string, inst any) error {
	if v.period == 0 {
		return nil
	}
	_, seen := c.seen.Load(typ) // Load first: LoadOrStore would allocate per document
	if !seen {
		_, seen = c.seen.LoadOrStore(typ, true)
	}
	if seen && v.accepted.Add(1)%v.period != 0 {
		return nil
	}
	v.checked.Add(1)
	err := c.schema.Validate(inst)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	return &DivergenceError{Doc: name, Schema: url, Issues: leaves(name, url, ve, nil, map[Issue]bool{})}
}

// docType returns the "type" member of a JSON object.
func docType(inst any) (string, bool) {
	obj, ok := inst.(map[string]any)
	if !ok {
		return "", false
	}
	t, ok := obj["type"].(string)
	return t, ok
}

// Core schema paths by STAC type.
var corePaths = map[string]string{
	"Feature":    "item-spec/json-schema/item.json",
	"Catalog":    "catalog-spec/json-schema/catalog.json",
	"Collection": "collection-spec/json-schema/collection.json",
}

// schemaURLs lists the schemas a document declares: its core schema, then its
// stac_extensions. Issues report a document whose core schema cannot be told.
func schemaURLs(name string, inst any) ([]string, []Issue) {
	obj, ok := inst.(map[string]any)
	if !ok {
		return nil, []Issue{{File: name, Message: "not a JSON object"}}
	}
	var urls []string
	var issues []Issue
	ver, _ := obj["stac_version"].(string)
	typ, _ := obj["type"].(string)
	switch p, ok := corePaths[typ]; {
	case ver == "":
		issues = append(issues, Issue{File: name, Pointer: "/stac_version", Message: "missing or not a string"})
	case !ok:
		issues = append(issues, Issue{File: name, Pointer: "/type", Message: fmt.Sprintf("type %q is not Feature, Catalog or Collection", obj["type"])})
	default:
		urls = append(urls, "https://schemas.stacspec.org/v"+ver+"/"+p)
	}
	exts, _ := obj["stac_extensions"].([]any)
	seen := map[string]bool{}
	for _, e := range exts {
		if s, ok := e.(string); ok && !seen[s] {
			seen[s] = true
			urls = append(urls, s)
		}
	}
	return urls, issues
}

var printer = message.NewPrinter(language.English)

// leaves flattens a validation error tree to its leaf causes, without
// duplicates.
func leaves(name, url string, e *jsonschema.ValidationError, out []Issue, seen map[Issue]bool) []Issue {
	if len(e.Causes) == 0 {
		is := Issue{File: name, Pointer: pointer(e.InstanceLocation), Schema: url, Message: e.ErrorKind.LocalizedString(printer)}
		if !seen[is] {
			seen[is] = true
			out = append(out, is)
		}
	}
	for _, c := range e.Causes {
		out = leaves(name, url, c, out, seen)
	}
	return out
}

var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		_, _ = pointerEscaper.WriteString(&b, t) // a strings.Builder never fails to write
	}
	return b.String()
}

// ecmaRegexp plugs regexp2 in ECMAScript mode into jsonschema: the official
// schemas use look-ahead, which Go's regexp lacks.
// The extension schemas' "^(?!prefix:)" (a property outside the extension)
// is matched without a regexp engine: it runs for every property of every
// asset.
func ecmaRegexp(s string) (jsonschema.Regexp, error) {
	if lit, ok := strings.CutPrefix(s, "^(?!"); ok {
		if lit, ok = strings.CutSuffix(lit, ")"); ok && isLiteral(lit) {
			return notPrefix(lit), nil
		}
	}
	re, err := regexp2.Compile(s, regexp2.ECMAScript)
	if err != nil {
		return nil, err
	}
	return (*ecmaRE)(re), nil
}

type ecmaRE regexp2.Regexp

func (re *ecmaRE) MatchString(s string) bool {
	ok, err := (*regexp2.Regexp)(re).MatchString(s)
	return err == nil && ok
}

func (re *ecmaRE) String() string { return (*regexp2.Regexp)(re).String() }

type notPrefix string

func (p notPrefix) MatchString(s string) bool { return !strings.HasPrefix(s, string(p)) }
func (p notPrefix) String() string            { return "^(?!" + string(p) + ")" }

// isLiteral reports whether s has no regexp metacharacter.
func isLiteral(s string) bool { return s != "" && !strings.ContainsAny(s, `\^$.|?*+()[]{}`) }
