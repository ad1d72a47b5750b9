package policy

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"gitlab.com/eocat/eocat/internal/yamlerr"
	"go.yaml.in/yaml/v3"
)

// Rule allows methods on resources to callers whose claims match.
type Rule struct {
	Name      string              `yaml:"name"`
	When      map[string][]string `yaml:"when"`
	Allow     []string            `yaml:"allow"`
	Resources []string            `yaml:"resources"`

	resources []pattern
	when      map[string][]pattern // compiled When globs
	methods   map[string]bool
}

// Policy is an ordered list of allow rules.
type Policy struct {
	Rules []Rule `yaml:"rules"`
}

var knownMethods = map[string]bool{"GET": true, "HEAD": true, "PUT": true}

// Load reads and compiles a YAML policy file. A file that cannot be read
// is the *fs.PathError of reading it; otherwise, as Parse, with each problem
// naming the file: "file:line: …".
func Load(file string) (*Policy, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return parse(file, data)
}

// Parse compiles a YAML policy, reporting every problem at once: the error
// joins one error per problem (errors.Join), each with its line ("line N:
// …"): a YAML problem (syntax, an unknown key, a wrong type) where it is, a
// rule's problem at the rule.
func Parse(data []byte) (*Policy, error) { return parse("", data) }

func parse(file string, data []byte) (*Policy, error) {
	var p Policy
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		return nil, errors.Join(yamlerr.Problems(file, data, err)...)
	}
	var errs []error
	// The rules' lines are read at the first problem: a valid policy is
	// not parsed a second time.
	var lines []int
	bad := func(i int, format string, args ...any) {
		if lines == nil {
			lines = ruleLines(data)
		}
		line := 0
		if i < len(lines) {
			line = lines[i]
		}
		errs = append(errs, yamlerr.At(file, line, format, args...))
	}
	for i := range p.Rules {
		r := &p.Rules[i]
		name := r.Name
		if name == "" {
			name = fmt.Sprintf("rules[%d]", i)
			r.Name = name
		}
		if len(r.Allow) == 0 {
			bad(i, "%s: allow lists no method (GET, HEAD, PUT)", name)
		}
		r.methods = map[string]bool{}
		for _, m := range r.Allow {
			m = strings.ToUpper(m)
			if !knownMethods[m] {
				bad(i, "%s: method %q cannot be presigned (GET, HEAD, PUT)", name, m)
			}
			r.methods[m] = true
		}
		if len(r.Resources) == 0 {
			bad(i, "%s: resources lists no bucket/key pattern", name)
		}
		for _, res := range r.Resources {
			pt, err := compile(res)
			if err != nil {
				bad(i, "%s: resource %q: %v", name, res, err)
				continue
			}
			r.resources = append(r.resources, pt)
		}
		r.when = map[string][]pattern{}
		for _, claim := range slices.Sorted(maps.Keys(r.When)) {
			pats := r.When[claim]
			if len(pats) == 0 {
				bad(i, "%s: when.%s lists no value", name, claim)
			}
			for _, g := range pats {
				r.when[claim] = append(r.when[claim], compileGlob(g))
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &p, nil
}

// ruleLines returns the line of each rule of a policy that decoded.
func ruleLines(data []byte) []int {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "rules" {
			var lines []int
			for _, r := range root.Content[i+1].Content {
				lines = append(lines, r.Line)
			}
			return lines
		}
	}
	return nil
}

// Allowed reports whether claims may have method presigned on bucket/key,
// and the name of the rule that allows it.
func (p *Policy) Allowed(claims map[string]any, method, bucket, key string) (bool, string) {
	resource := bucket + "/" + key
	for i := range p.Rules {
		r := &p.Rules[i]
		if !r.methods[method] || !r.claimsMatch(claims) {
			continue
		}
		for _, pt := range r.resources {
			if pt.match(resource, claims) {
				return true, r.Name
			}
		}
	}
	return false, ""
}

func (r *Rule) claimsMatch(claims map[string]any) bool {
	for claim, pats := range r.when {
		if !slices.ContainsFunc(claimValues(claims, claim), func(v string) bool {
			return slices.ContainsFunc(pats, func(p pattern) bool { return matchParts(p, v) })
		}) {
			return false
		}
	}
	return true
}

// claimValues returns a claim as strings: a string, each string of a list,
// or a boolean/number in its JSON form; nothing for other types.
func claimValues(claims map[string]any, name string) []string {
	switch v := claims[name].(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case []string:
		return v
	case bool:
		return []string{fmt.Sprint(v)}
	case float64:
		return []string{fmt.Sprint(v)}
	}
	return nil
}

// pattern is a resource pattern split into literal text, wildcards and
// claim variables.
type pattern []part

type part struct {
	kind  byte // 'l' literal, '*' any run, '?' one character, 'v' claim variable
	text  string
	claim string
}

var variable = regexp.MustCompile(`^\$\{jwt:([A-Za-z0-9_.:-]+)\}`)

func compile(s string) (pattern, error) {
	if !strings.Contains(s, "/") {
		return nil, errors.New("want bucket/key-pattern")
	}
	if strings.HasPrefix(s, "*") || strings.HasPrefix(s, "?") {
		return nil, errors.New("the bucket must be named, not a wildcard")
	}
	var p pattern
	lit := strings.Builder{}
	flush := func() {
		if lit.Len() > 0 {
			p = append(p, part{kind: 'l', text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == '*' || c == '?':
			flush()
			p = append(p, part{kind: c})
			i++
		case c == '$' && strings.HasPrefix(s[i:], "${"):
			m := variable.FindStringSubmatch(s[i:])
			if m == nil {
				return nil, fmt.Errorf("bad variable at %q: write ${jwt:<claim>}", s[i:])
			}
			flush()
			p = append(p, part{kind: 'v', claim: m[1]})
			i += len(m[0])
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	return p, nil
}

// match expands the claim variables (one pattern per combination of list
// values) and glob-matches the resource with them as literal text.
func (p pattern) match(resource string, claims map[string]any) bool {
	if !slices.ContainsFunc(p, func(pt part) bool { return pt.kind == 'v' }) {
		return matchParts(p, resource) // no variable to expand
	}
	var expand func(i int, acc []part) bool
	expand = func(i int, acc []part) bool {
		if i == len(p) {
			return matchParts(acc, resource)
		}
		if p[i].kind != 'v' {
			return expand(i+1, append(acc, p[i]))
		}
		for _, v := range claimValues(claims, p[i].claim) {
			if v == "" {
				continue
			}
			if expand(i+1, append(acc[:len(acc):len(acc)], part{kind: 'l', text: v})) {
				return true
			}
		}
		return false
	}
	return expand(0, nil)
}

// matchParts matches s against literal/wildcard parts with backtracking over
// the last '*' (linear in practice, no recursion).
func matchParts(parts []part, s string) bool {
	pi, si := 0, 0
	starPI, starSI := -1, 0
	for si < len(s) || pi < len(parts) {
		if pi < len(parts) {
			switch pt := parts[pi]; pt.kind {
			case '*':
				starPI, starSI = pi, si
				pi++
				continue
			case '?':
				if si < len(s) {
					_, size := decodeRune(s[si:])
					pi, si = pi+1, si+size
					continue
				}
			case 'l':
				if strings.HasPrefix(s[si:], pt.text) {
					pi, si = pi+1, si+len(pt.text)
					continue
				}
			}
		}
		if starPI < 0 || starSI >= len(s) {
			return false
		}
		_, size := decodeRune(s[starSI:])
		starSI += size
		pi, si = starPI+1, starSI
	}
	return true
}

func decodeRune(s string) (rune, int) { return utf8.DecodeRuneInString(s) }

// compileGlob compiles a claim-value pattern: '*' any run, '?' one
// character, the rest literal ('$' included).
func compileGlob(pat string) pattern {
	var parts pattern
	start := 0
	for i := 0; i < len(pat); i++ {
		if c := pat[i]; c == '*' || c == '?' {
			if i > start {
				parts = append(parts, part{kind: 'l', text: pat[start:i]})
			}
			parts = append(parts, part{kind: c})
			start = i + 1
		}
	}
	if start < len(pat) {
		parts = append(parts, part{kind: 'l', text: pat[start:]})
	}
	return parts
}
