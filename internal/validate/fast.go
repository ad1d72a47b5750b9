package validate

import (
	"reflect"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The fast path. jsonschema v6 allocates for every (subschema, value) pair it
// visits, and the official STAC schemas visit every asset and band many times
// over: an asset goes through the eight object schemas of common.json one by
// one, and each extension schema checks every key of every asset against a
// "^(?!prefix:)": {} pattern. Deciding validity needs less.
//
// fastGraph copies a compiled schema graph and rewrites the copy into one that
// accepts exactly the same instances (all schemas must be draft-07 or older;
// anything else leaves the schema on the plain path):
//
//  1. allOf member inlining: a member that only has type, required,
//     properties, dependencies and nested allOf (following a draft-07 $ref,
//     which ignores its siblings) is merged into its parent, unless the parent
//     has a $ref (siblings ignored) or additionalProperties (which depends on
//     the parent's own properties). Properties present on both sides validate
//     against both (a new allOf node), required lists are joined, types must
//     be the same set (else no merge), dependencies must not collide.
//     Validity is unchanged: the parent's keywords and the member's keywords
//     are all conjunctions over the same instance.
//  2. prefix fences: {"properties": P, "patternProperties": {"^(?!x:)": {}},
//     "additionalProperties": false} becomes {"properties": P,
//     "patternProperties": {<x: and not in P>: false}}. A key fails both iff
//     it starts with x: and is not in P; keys in P validate against P in both.
//     The library no longer validates every other key against {}.
//  3. oneOf dispatch. The GeoJSON geometry schemas are a oneOf of a null
//     branch and object branches told apart by a single-valued "type"
//     member; the library validates the instance against every branch (a
//     Polygon's coordinates also walk the LineString, MultiPoint,
//     MultiLineString and MultiPolygon branches). When every branch is
//     {"type": "null"} or an object schema requiring the same member d whose
//     schema is a const or a one-value enum, values pairwise distinct, the
//     oneOf becomes {"type": [object(, null)], "required": [d], "properties":
//     {d: anyOf the discriminators}, "allOf": [{"if": {"type": "object",
//     "properties": {d: discriminator k}}, "then": branch k}, ...]}: an object
//     with d = v_k fails every other branch on d, so oneOf holds iff branch k
//     holds; null holds iff there is a null branch; anything else fails both.
//     A oneOf whose branches accept pairwise disjoint sets of JSON types
//     (no two can hold together) becomes an anyOf, which stops at the first
//     branch that holds.
//  4. for a document of known type (see specialise), oneOf branches that
//     cannot hold for that type (their "type" property is a const or enum
//     without it) are dropped; a single remaining branch becomes an allOf
//     member. oneOf over branches of which all but one always fail is that
//     branch.
//
// The rewritten graph only answers "valid?": a document it rejects is
// validated again against the original schema, so issues are exactly the
// original ones (TestFastPathEquivalent checks the verdicts on the whole
// equivalence corpus).

// annotation fields: never change what a schema accepts.
var annotationFields = map[string]bool{
	"DraftVersion": true, "Location": true, "ID": true, "Anchor": true, "Title": true, "Description": true,
	"Default": true, "Comment": true, "ReadOnly": true, "WriteOnly": true, "Examples": true, "Deprecated": true,
}

// inlinable fields (besides annotations) of an allOf member merged into its
// parent.
var inlinableFields = map[string]bool{"Types": true, "Required": true, "Properties": true, "AllOf": true, "Dependencies": true}

// onlyFields reports whether s sets no exported field outside allowed and
// annotationFields.
func onlyFields(s *jsonschema.Schema, allowed map[string]bool) bool {
	v := reflect.ValueOf(s).Elem()
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() || annotationFields[f.Name] || allowed[f.Name] {
			continue
		}
		if !v.Field(i).IsZero() {
			return false
		}
	}
	return true
}

// alwaysTrue reports whether s accepts every instance.
func alwaysTrue(s *jsonschema.Schema) bool {
	if s.Bool != nil {
		return *s.Bool
	}
	return onlyFields(s, nil)
}

// deref follows draft-07 $refs: a schema with $ref is its target.
func deref(s *jsonschema.Schema) *jsonschema.Schema {
	for i := 0; s.Ref != nil && i < 64; i++ {
		s = s.Ref
	}
	return s
}

type rewriter struct {
	memo  map[*jsonschema.Schema]*jsonschema.Schema
	nodes []*jsonschema.Schema // copies, in creation order
	ok    bool                 // false: something the rewrite does not handle
}

// fastGraph returns the rewritten copy of root, or nil when root's graph
// holds anything the rewrite does not reason about.
func fastGraph(root *jsonschema.Schema) *jsonschema.Schema {
	r := &rewriter{memo: map[*jsonschema.Schema]*jsonschema.Schema{}, ok: true}
	n := r.copy(root)
	if !r.ok {
		return nil
	}
	for changed := true; changed; {
		changed = false
		for _, s := range r.nodes {
			changed = r.inline(s) || changed
		}
	}
	for _, s := range r.nodes {
		fence(s)
		dispatch(s)
	}
	return n
}

// copy returns the copy of s, its subschemas copied too.
func (r *rewriter) copy(s *jsonschema.Schema) *jsonschema.Schema {
	if s == nil {
		return nil
	}
	if c, ok := r.memo[s]; ok {
		return c
	}
	if s.DraftVersion >= 2019 || len(s.Extensions) > 0 || s.RecursiveRef != nil || s.DynamicRef != nil {
		r.ok = false
	}
	c := new(jsonschema.Schema)
	*c = *s
	r.memo[s] = c
	r.nodes = append(r.nodes, c)
	c.Ref = r.copy(s.Ref)
	c.Not = r.copy(s.Not)
	c.If, c.Then, c.Else = r.copy(s.If), r.copy(s.Then), r.copy(s.Else)
	c.AllOf, c.AnyOf, c.OneOf = r.list(s.AllOf), r.list(s.AnyOf), r.list(s.OneOf)
	c.Properties = r.smap(s.Properties)
	c.PropertyNames = r.copy(s.PropertyNames)
	c.ContentSchema = r.copy(s.ContentSchema)
	if s.PatternProperties != nil {
		c.PatternProperties = make(map[jsonschema.Regexp]*jsonschema.Schema, len(s.PatternProperties))
		for re, p := range s.PatternProperties {
			c.PatternProperties[re] = r.copy(p)
		}
	}
	if a, ok := s.AdditionalProperties.(*jsonschema.Schema); ok {
		c.AdditionalProperties = r.copy(a)
	}
	if s.Dependencies != nil {
		c.Dependencies = make(map[string]any, len(s.Dependencies))
		for k, d := range s.Dependencies {
			if ds, ok := d.(*jsonschema.Schema); ok {
				d = r.copy(ds)
			}
			c.Dependencies[k] = d
		}
	}
	c.DependentSchemas = r.smap(s.DependentSchemas)
	c.UnevaluatedProperties = r.copy(s.UnevaluatedProperties)
	c.Contains = r.copy(s.Contains)
	switch it := s.Items.(type) {
	case *jsonschema.Schema:
		c.Items = r.copy(it)
	case []*jsonschema.Schema:
		c.Items = r.list(it)
	}
	if a, ok := s.AdditionalItems.(*jsonschema.Schema); ok {
		c.AdditionalItems = r.copy(a)
	}
	c.PrefixItems = r.list(s.PrefixItems)
	c.Items2020 = r.copy(s.Items2020)
	c.UnevaluatedItems = r.copy(s.UnevaluatedItems)
	return c
}

func (r *rewriter) list(l []*jsonschema.Schema) []*jsonschema.Schema {
	if l == nil {
		return nil
	}
	out := make([]*jsonschema.Schema, len(l))
	for i, s := range l {
		out[i] = r.copy(s)
	}
	return out
}

func (r *rewriter) smap(m map[string]*jsonschema.Schema) map[string]*jsonschema.Schema {
	if m == nil {
		return nil
	}
	out := make(map[string]*jsonschema.Schema, len(m))
	for k, s := range m {
		out[k] = r.copy(s)
	}
	return out
}

// inline merges the inlinable allOf members of s into s (rule 1) and reports
// whether s changed.
func (r *rewriter) inline(s *jsonschema.Schema) bool {
	if s.Ref != nil || s.Bool != nil || len(s.AllOf) == 0 {
		return false
	}
	changed := false
	var keep []*jsonschema.Schema
	merged := map[*jsonschema.Schema]bool{}
	for i := 0; i < len(s.AllOf); i++ {
		m := deref(s.AllOf[i])
		if merged[m] {
			continue // already merged: allOf is idempotent (and cycles end here)
		}
		if m == s || m.Ref != nil || m.Bool != nil || !onlyFields(m, inlinableFields) ||
			(len(m.Properties) > 0 && s.AdditionalProperties != nil) || !sameTypes(s.Types, m.Types) || collide(s.Dependencies, m.Dependencies) {
			keep = append(keep, s.AllOf[i])
			continue
		}
		changed = true
		merged[m] = true
		if s.Types == nil {
			s.Types = m.Types
		}
		for _, req := range m.Required {
			if !slices.Contains(s.Required, req) {
				s.Required = append(slices.Clip(s.Required), req)
			}
		}
		if len(m.Properties) > 0 {
			props := make(map[string]*jsonschema.Schema, len(s.Properties)+len(m.Properties))
			for k, p := range s.Properties {
				props[k] = p
			}
			for k, p := range m.Properties {
				if q, ok := props[k]; ok && q != p {
					p = both(q, p)
				}
				props[k] = p
			}
			s.Properties = props
		}
		if len(m.Dependencies) > 0 {
			deps := make(map[string]any, len(s.Dependencies)+len(m.Dependencies))
			for k, d := range s.Dependencies {
				deps[k] = d
			}
			for k, d := range m.Dependencies {
				deps[k] = d
			}
			s.Dependencies = deps
		}
		// m's own allOf members join s's (visited by this loop too).
		s.AllOf = append(slices.Clip(s.AllOf), m.AllOf...)
	}
	if changed {
		s.AllOf = keep
	}
	return changed
}

// both is a schema that holds iff a and b hold.
func both(a, b *jsonschema.Schema) *jsonschema.Schema {
	return &jsonschema.Schema{DraftVersion: a.DraftVersion, Location: a.Location, AllOf: []*jsonschema.Schema{a, b}}
}

func sameTypes(a, b *jsonschema.Types) bool {
	if a == nil || b == nil {
		return true
	}
	x, y := a.ToStrings(), b.ToStrings()
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

func collide(a, b map[string]any) bool {
	for k := range b {
		if _, ok := a[k]; ok {
			return true
		}
	}
	return false
}

// fence applies rule 2 to s.
func fence(s *jsonschema.Schema) {
	if s.Ref != nil || s.AdditionalProperties != false || len(s.PatternProperties) != 1 {
		return
	}
	for re, p := range s.PatternProperties {
		prefix, ok := re.(notPrefix)
		if !ok || !alwaysTrue(p) {
			return
		}
		f := false
		s.PatternProperties = map[jsonschema.Regexp]*jsonschema.Schema{
			&unknownPrefixed{prefix: string(prefix), known: s.Properties}: {DraftVersion: s.DraftVersion, Location: s.Location, Bool: &f},
		}
		s.AdditionalProperties = nil
	}
}

// unknownPrefixed matches the keys that start with prefix and are not in
// known.
type unknownPrefixed struct {
	prefix string
	known  map[string]*jsonschema.Schema
}

func (u *unknownPrefixed) MatchString(s string) bool {
	if !strings.HasPrefix(s, u.prefix) {
		return false
	}
	_, ok := u.known[s]
	return !ok
}

func (u *unknownPrefixed) String() string { return "^" + u.prefix + " (not a defined field)" }

// dispatch applies rule 3 to s.
func dispatch(s *jsonschema.Schema) {
	if s.Ref != nil || len(s.OneOf) < 2 {
		return
	}
	if disjointTypes(s.OneOf) {
		if s.AnyOf == nil {
			s.AnyOf = s.OneOf
		} else { // keep s's own anyOf
			s.AllOf = append(slices.Clip(s.AllOf), &jsonschema.Schema{DraftVersion: s.DraftVersion, Location: s.Location, AnyOf: s.OneOf})
		}
		s.OneOf = nil
		return
	}
	var (
		d        string
		branches []*jsonschema.Schema // object branches
		discs    []*jsonschema.Schema // their discriminator schemas
		values   []string
		null     bool
	)
	for _, b := range s.OneOf {
		t := deref(b)
		if t.Ref != nil || t.Bool != nil || t.Types == nil {
			return
		}
		switch types := t.Types.ToStrings(); {
		case slices.Equal(types, []string{"null"}) && onlyFields(t, map[string]bool{"Types": true}) && !null:
			null = true
		case slices.Equal(types, []string{"object"}):
			k, p, v, ok := discriminator(t, d)
			if !ok || slices.Contains(values, v) {
				return
			}
			d = k
			branches, discs, values = append(branches, b), append(discs, p), append(values, v)
		default:
			return
		}
	}
	if len(branches) == 0 {
		return
	}
	var types jsonschema.Types
	types.Add("object")
	if null {
		types.Add("null")
	}
	object := new(jsonschema.Types)
	object.Add("object")
	n := &jsonschema.Schema{DraftVersion: s.DraftVersion, Location: s.Location, Types: &types, Required: []string{d},
		Properties: map[string]*jsonschema.Schema{d: {DraftVersion: s.DraftVersion, Location: s.Location, AnyOf: discs}}}
	for i, b := range branches {
		n.AllOf = append(n.AllOf, &jsonschema.Schema{DraftVersion: s.DraftVersion, Location: s.Location,
			If:   &jsonschema.Schema{DraftVersion: s.DraftVersion, Location: s.Location, Types: object, Properties: map[string]*jsonschema.Schema{d: discs[i]}},
			Then: b})
	}
	s.OneOf = nil
	s.AllOf = append(slices.Clip(s.AllOf), n)
}

// discriminator returns the member (want, when set) that the object schema t
// requires and restricts to one string value, with its schema and value.
func discriminator(t *jsonschema.Schema, want string) (key string, p *jsonschema.Schema, value string, ok bool) {
	for _, k := range t.Required {
		if want != "" && k != want {
			continue
		}
		q, found := t.Properties[k]
		if !found {
			continue
		}
		q = deref(q)
		var vals []any
		switch {
		case q.Ref != nil || q.Bool != nil:
		case q.Const != nil:
			vals = []any{*q.Const}
		case q.Enum != nil:
			vals = q.Enum.Values
		}
		if len(vals) != 1 {
			continue
		}
		if v, isStr := vals[0].(string); isStr {
			return k, q, v, true
		}
	}
	return "", nil, "", false
}

// disjointTypes reports whether every schema in l (after $ref) restricts the
// instance's JSON type, no JSON type allowed by two of them ("integer" counts
// as "number").
func disjointTypes(l []*jsonschema.Schema) bool {
	seen := map[string]bool{}
	for _, b := range l {
		t := deref(b)
		if t.Ref != nil || t.Bool != nil || t.Types == nil || t.Types.IsEmpty() {
			return false
		}
		for _, typ := range t.Types.ToStrings() {
			if typ == "integer" {
				typ = "number"
			}
			if seen[typ] {
				return false
			}
			seen[typ] = true
		}
	}
	return true
}

// specialise applies rule 4 to root for documents whose type is typ. It
// returns root itself when no branch can be dropped.
func specialise(root *jsonschema.Schema, typ string) *jsonschema.Schema {
	if root.Ref != nil || len(root.OneOf) < 2 {
		return root
	}
	var live []*jsonschema.Schema
	for _, b := range root.OneOf {
		if !refutesType(b, typ, 0) {
			live = append(live, b)
		}
	}
	if len(live) == len(root.OneOf) || len(live) == 0 {
		return root
	}
	c := new(jsonschema.Schema)
	*c = *root
	if len(live) == 1 {
		c.OneOf = nil
		c.AllOf = append(slices.Clip(root.AllOf), live[0])
	} else {
		c.OneOf = live
	}
	return c
}

// refutesType reports whether s rejects every object whose "type" is typ.
func refutesType(s *jsonschema.Schema, typ string, depth int) bool {
	if depth > 16 {
		return false
	}
	s = deref(s)
	if s.Ref != nil {
		return false
	}
	if s.Bool != nil {
		return !*s.Bool
	}
	if p, ok := s.Properties["type"]; ok {
		p = deref(p)
		if p.Ref == nil && p.Bool == nil {
			if p.Const != nil {
				if c, ok := (*p.Const).(string); ok && c != typ {
					return true
				}
			}
			if p.Enum != nil && !slices.ContainsFunc(p.Enum.Values, func(v any) bool { s, ok := v.(string); return !ok || s == typ }) {
				return true
			}
		}
	}
	for _, m := range s.AllOf {
		if refutesType(m, typ, depth+1) {
			return true
		}
	}
	return false
}
