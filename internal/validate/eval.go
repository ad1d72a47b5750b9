package validate

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strings"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The native evaluator: deciding validity against a (rewritten) compiled
// draft-07 schema graph without the library's per-node bookkeeping. jsonschema
// v6 allocates a validator, a scope and an evaluation record for every
// (subschema, value) pair and builds error values for every failing branch it
// tries; an item visits a few hundred such pairs. holds walks the same graph,
// keyword by keyword in the library's order and with its semantics (types by
// typeOf, numbers compared as big.Rat of their text, equality as in equals,
// lengths in runes), and allocates only for number comparisons.
//
// It only answers "valid?". A document it rejects is validated again by the
// library (Validator.check), so issues are always the library's own; a graph
// holding a keyword it does not implement is left to the library entirely
// (nativeGraph). TestFastPathEquivalent compares its verdicts with the
// library's on the whole equivalence corpus, TestNativeEvaluator keyword by
// keyword.

// nativeFields are the Schema fields holds implements (annotations aside).
var nativeFields = map[string]bool{
	"Bool": true, "Ref": true, "Types": true, "Enum": true, "Const": true, "Not": true,
	"AllOf": true, "AnyOf": true, "OneOf": true, "If": true, "Then": true, "Else": true, "Format": true,
	"MaxProperties": true, "MinProperties": true, "Required": true, "PropertyNames": true, "Properties": true,
	"PatternProperties": true, "AdditionalProperties": true, "Dependencies": true,
	"MinItems": true, "MaxItems": true, "UniqueItems": true, "Contains": true, "Items": true, "AdditionalItems": true,
	"MinLength": true, "MaxLength": true, "Pattern": true,
	"Maximum": true, "Minimum": true, "ExclusiveMaximum": true, "ExclusiveMinimum": true, "MultipleOf": true,
}

// nativeGraph reports whether holds implements every node reachable from
// root.
func nativeGraph(root *jsonschema.Schema) bool {
	seen := map[*jsonschema.Schema]bool{}
	var ok func(s *jsonschema.Schema) bool
	ok = func(s *jsonschema.Schema) bool {
		if s == nil || seen[s] {
			return true
		}
		seen[s] = true
		if s.DraftVersion < 6 || s.DraftVersion >= 2019 || !onlyFields(s, nativeFields) {
			return false
		}
		subs := []*jsonschema.Schema{s.Ref, s.Not, s.If, s.Then, s.Else, s.PropertyNames, s.Contains}
		subs = append(append(append(subs, s.AllOf...), s.AnyOf...), s.OneOf...)
		for _, p := range s.Properties {
			subs = append(subs, p)
		}
		for _, p := range s.PatternProperties {
			subs = append(subs, p)
		}
		if a, isSchema := s.AdditionalProperties.(*jsonschema.Schema); isSchema {
			subs = append(subs, a)
		}
		for _, d := range s.Dependencies {
			if ds, isSchema := d.(*jsonschema.Schema); isSchema {
				subs = append(subs, ds)
			}
		}
		switch it := s.Items.(type) {
		case *jsonschema.Schema:
			subs = append(subs, it)
		case []*jsonschema.Schema:
			subs = append(subs, it...)
		}
		if a, isSchema := s.AdditionalItems.(*jsonschema.Schema); isSchema {
			subs = append(subs, a)
		}
		for _, sub := range subs {
			if !ok(sub) {
				return false
			}
		}
		return true
	}
	return ok(root)
}

// maxEvalDepth bounds holds' recursion: a $ref cycle on one value (which the
// library reports as an error) ends as "invalid", and the library decides.
const maxEvalDepth = 256

// holds reports whether v is valid against s, as s.Validate(v) == nil would.
func holds(s *jsonschema.Schema, v any, depth int) bool {
	if depth > maxEvalDepth {
		return false
	}
	if s.Bool != nil {
		return *s.Bool
	}
	t := jsonTypeOf(v)
	if t == "" {
		return false
	}
	if s.Types != nil && !s.Types.IsEmpty() && !typeAllowed(s.Types, t, v) {
		return false
	}
	if s.Const != nil && !jsonEqual(v, *s.Const) {
		return false
	}
	if s.Enum != nil && !enumHolds(s.Enum.Values, v) {
		return false
	}
	if s.Format != nil && s.Format.Validate(v) != nil {
		return false
	}
	if s.Ref != nil {
		return holds(s.Ref, v, depth+1) // draft-07: the rest is ignored
	}
	switch x := v.(type) {
	case map[string]any:
		if !objectHolds(s, x, depth) {
			return false
		}
	case []any:
		if !arrayHolds(s, x, depth) {
			return false
		}
	case string:
		if s.MinLength != nil || s.MaxLength != nil {
			n := utf8.RuneCountInString(x)
			if s.MinLength != nil && n < *s.MinLength || s.MaxLength != nil && n > *s.MaxLength {
				return false
			}
		}
		if s.Pattern != nil && !s.Pattern.MatchString(x) {
			return false
		}
	default:
		if t == "number" && !numberHolds(s, v) {
			return false
		}
	}
	if s.Not != nil && holds(s.Not, v, depth+1) {
		return false
	}
	for _, m := range s.AllOf {
		if !holds(m, v, depth+1) {
			return false
		}
	}
	if len(s.AnyOf) > 0 {
		found := false
		for _, m := range s.AnyOf {
			if holds(m, v, depth+1) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if len(s.OneOf) > 0 {
		n := 0
		for _, m := range s.OneOf {
			if holds(m, v, depth+1) {
				if n++; n > 1 {
					return false
				}
			}
		}
		if n != 1 {
			return false
		}
	}
	if s.If != nil {
		if holds(s.If, v, depth+1) {
			if s.Then != nil && !holds(s.Then, v, depth+1) {
				return false
			}
		} else if s.Else != nil && !holds(s.Else, v, depth+1) {
			return false
		}
	}
	return true
}

func objectHolds(s *jsonschema.Schema, obj map[string]any, depth int) bool {
	if s.MinProperties != nil && len(obj) < *s.MinProperties || s.MaxProperties != nil && len(obj) > *s.MaxProperties {
		return false
	}
	for _, r := range s.Required {
		if _, ok := obj[r]; !ok {
			return false
		}
	}
	for pname, dep := range s.Dependencies {
		if _, ok := obj[pname]; !ok {
			continue
		}
		switch dep := dep.(type) {
		case []string:
			for _, r := range dep {
				if _, ok := obj[r]; !ok {
					return false
				}
			}
		case *jsonschema.Schema:
			if !holds(dep, obj, depth+1) {
				return false
			}
		}
	}
	for pname, pvalue := range obj {
		evaluated := false
		if p, ok := s.Properties[pname]; ok {
			evaluated = true
			if !holds(p, pvalue, depth+1) {
				return false
			}
		}
		for re, p := range s.PatternProperties {
			if re.MatchString(pname) {
				evaluated = true
				if !holds(p, pvalue, depth+1) {
					return false
				}
			}
		}
		if !evaluated {
			switch a := s.AdditionalProperties.(type) {
			case bool:
				if !a {
					return false
				}
			case *jsonschema.Schema:
				if !holds(a, pvalue, depth+1) {
					return false
				}
			}
		}
	}
	if s.PropertyNames != nil {
		for pname := range obj {
			if !holds(s.PropertyNames, pname, depth+1) {
				return false
			}
		}
	}
	return true
}

func arrayHolds(s *jsonschema.Schema, arr []any, depth int) bool {
	if s.MinItems != nil && len(arr) < *s.MinItems || s.MaxItems != nil && len(arr) > *s.MaxItems {
		return false
	}
	if s.UniqueItems {
		for i := 1; i < len(arr); i++ {
			for j := range i {
				if jsonEqual(arr[i], arr[j]) {
					return false
				}
			}
		}
	}
	evaluated := 0
	switch items := s.Items.(type) {
	case *jsonschema.Schema:
		for _, e := range arr {
			if !holds(items, e, depth+1) {
				return false
			}
		}
		evaluated = len(arr)
	case []*jsonschema.Schema:
		evaluated = min(len(arr), len(items))
		for i := range evaluated {
			if !holds(items[i], arr[i], depth+1) {
				return false
			}
		}
	}
	switch a := s.AdditionalItems.(type) {
	case bool:
		if !a && evaluated != len(arr) {
			return false
		}
	case *jsonschema.Schema:
		for _, e := range arr[evaluated:] {
			if !holds(a, e, depth+1) {
				return false
			}
		}
	}
	if s.Contains != nil {
		found := false
		for _, e := range arr {
			if holds(s.Contains, e, depth+1) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func numberHolds(s *jsonschema.Schema, v any) bool {
	if s.Minimum == nil && s.Maximum == nil && s.ExclusiveMinimum == nil && s.ExclusiveMaximum == nil && s.MultipleOf == nil {
		return true
	}
	num, ok := new(big.Rat).SetString(fmt.Sprintf("%v", v))
	if !ok {
		return false // the library compares a nil Rat and fails too
	}
	switch {
	case s.Minimum != nil && num.Cmp(s.Minimum) < 0,
		s.Maximum != nil && num.Cmp(s.Maximum) > 0,
		s.ExclusiveMinimum != nil && num.Cmp(s.ExclusiveMinimum) <= 0,
		s.ExclusiveMaximum != nil && num.Cmp(s.ExclusiveMaximum) >= 0,
		s.MultipleOf != nil && !new(big.Rat).Quo(num, s.MultipleOf).IsInt():
		return false
	}
	return true
}

// jsonTypeOf is the library's typeOf by name ("" for values that are not
// JSON).
func jsonTypeOf(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return "number"
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return ""
		}
		return "number"
	case float32:
		if f := float64(x); math.IsNaN(f) || math.IsInf(f, 0) {
			return ""
		}
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return ""
}

// typeMasks are the library's Types bits by type name (Types is a bit set).
var typeMasks = func() map[string]int {
	m := map[string]int{}
	for _, n := range []string{"null", "boolean", "number", "integer", "string", "array", "object"} {
		var t jsonschema.Types
		t.Add(n)
		m[n] = int(t)
	}
	return m
}()

// typeAllowed: t in types, or an integral number where "integer" is allowed.
func typeAllowed(types *jsonschema.Types, t string, v any) bool {
	set := int(*types)
	if set&typeMasks[t] != 0 {
		return true
	}
	return t == "number" && set&typeMasks["integer"] != 0 && isIntegral(v)
}

// isIntegral is the library's isInteger: the number's text as a big.Rat is
// an integer. A JSON integer literal needs no parsing.
func isIntegral(v any) bool {
	if n, ok := v.(json.Number); ok && !strings.ContainsAny(string(n), ".eE") {
		return n != "" && n != "-"
	}
	r, ok := new(big.Rat).SetString(fmt.Sprint(v))
	return ok && r.IsInt()
}

func enumHolds(values []any, v any) bool {
	for _, e := range values {
		if jsonEqual(v, e) {
			return true
		}
	}
	return false
}

// jsonEqual is the library's equals (numbers equal as rationals).
func jsonEqual(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !jsonEqual(xv, yv) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	}
	if jsonTypeOf(a) != "number" || jsonTypeOf(b) != "number" {
		return false
	}
	n1, ok1 := new(big.Rat).SetString(fmt.Sprint(a))
	n2, ok2 := new(big.Rat).SetString(fmt.Sprint(b))
	return ok1 && ok2 && n1.Cmp(n2) == 0
}
