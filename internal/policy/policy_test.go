package policy

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

const example = `
rules:
  - name: public-read
    allow: [GET, HEAD]
    resources: ["public/*"]
  - name: own-prefix
    allow: [GET, HEAD, PUT]
    resources: ["eodata/users/${jwt:sub}/*"]
  - name: s2-team
    when: {groups: ["s2-*"], email_verified: ["true"]}
    allow: [GET, HEAD]
    resources: ["eodata/sentinel-2/*", "eodata/shared/${jwt:groups}/*"]
  - name: cnes
    when: {email: ["*@cnes.fr"]}
    allow: [GET]
    resources: ["eodata/spot/????/*.tif"]
`

func TestAllowed(t *testing.T) {
	p, err := Parse([]byte(example))
	if err != nil {
		t.Fatal(err)
	}
	alice := map[string]any{"sub": "alice", "groups": []any{"s2-team", "other"}, "email_verified": true, "email": "alice@cnes.fr"}
	bob := map[string]any{"sub": "bob", "groups": []any{"other"}, "email": "bob@example.org"}
	star := map[string]any{"sub": "*", "groups": []any{"*"}}
	for _, tc := range []struct {
		claims      map[string]any
		method, res string
		want        bool
		rule        string
	}{
		{alice, "GET", "public/x.tif", true, "public-read"},
		{bob, "HEAD", "public/a/b/c.tif", true, "public-read"},
		{bob, "PUT", "public/x.tif", false, ""},
		{alice, "PUT", "eodata/users/alice/new.tif", true, "own-prefix"},
		{alice, "GET", "eodata/users/bob/x.tif", false, ""},
		{bob, "GET", "eodata/users/bob/deep/x.tif", true, "own-prefix"},
		{star, "GET", "eodata/users/alice/x.tif", false, ""},      // a claim is literal, never a wildcard
		{star, "GET", "eodata/users/*/x.tif", true, "own-prefix"}, // ...but matches itself
		{alice, "GET", "eodata/sentinel-2/T31TEJ/B02.tif", true, "s2-team"},
		{alice, "GET", "eodata/shared/other/x.tif", true, "s2-team"},
		{alice, "GET", "eodata/shared/s2-team/x.tif", true, "s2-team"},
		{alice, "PUT", "eodata/sentinel-2/x.tif", false, ""},
		{bob, "GET", "eodata/sentinel-2/x.tif", false, ""},
		{map[string]any{"sub": "c", "groups": []any{"s2-team"}}, "GET", "eodata/sentinel-2/x.tif", false, ""}, // email_verified missing
		{alice, "GET", "eodata/spot/2023/a.tif", true, "cnes"},
		{alice, "GET", "eodata/spot/23/a.tif", false, ""},
		{alice, "GET", "eodata/spot/2023/a.jp2", false, ""},
		{map[string]any{}, "GET", "eodata/users//x.tif", false, ""}, // missing sub matches nothing
		{nil, "GET", "other/x", false, ""},
	} {
		b, k, _ := strings.Cut(tc.res, "/")
		got, rule := p.Allowed(tc.claims, tc.method, b, k)
		if got != tc.want || rule != tc.rule {
			t.Errorf("%v %s %s = %v (%s), want %v (%s)", tc.claims["sub"], tc.method, tc.res, got, rule, tc.want, tc.rule)
		}
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	_, err := Parse([]byte(`
rules:
  - name: a
    allow: [DELETE]
    resources: ["*/x", "nobucket", "b/${sub}"]
  - name: b
    when: {groups: []}
    resources: []
`))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{`a: method "DELETE"`, `"*/x": the bucket must be named`, `"nobucket": want bucket/key-pattern`, "${jwt:<claim>}", "b: allow lists no method", "b: resources lists no", "when.groups lists no value"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if _, err := Parse([]byte("rules:\n  - allow: [GET]\n    resource: [a/b]\n")); err == nil || err.Error() != "line 3: unknown key resource" {
		t.Errorf("unknown field: %v", err)
	}
}

// Load names the file and the line of every problem, one error each: the
// rule's line for a rule's problems, the YAML problem's own line otherwise.
func TestLoadProblemsNameFileAndLine(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return f
	}
	for _, c := range []struct {
		name, text string
		want       []string
	}{
		{"rules.yaml", "# two rules\nrules:\n  - {allow: [GET], resources: [\"eodata/*\"]}\n  - name: b\n    when: {groups: []}\n    allow: [FETCH]\n",
			[]string{`rules.yaml:4: b: method "FETCH" cannot be presigned (GET, HEAD, PUT)`, "rules.yaml:4: b: resources lists no bucket/key pattern", "rules.yaml:4: b: when.groups lists no value"}},
		{"keys.yaml", "rules:\n  - allow: [GET]\n    resources: [a/b]\n    resource: [a/c]\nrule: []\n",
			[]string{"keys.yaml:4: unknown key resource", "keys.yaml:5: unknown key rule"}},
		{"types.yaml", "rules:\n  - allow: GET\n    resources: [a/b]\n",
			[]string{"types.yaml:2: cannot unmarshal !!str `GET` into []string"}},
		{"syntax.yaml", "rules:\n  - allow: [GET\n    resources: [a/b]\n",
			[]string{"syntax.yaml:2: did not find expected ',' or ']'"}},
		{"empty.yaml", "", []string{"empty.yaml: the file is empty"}},
	} {
		f := write(c.name, c.text)
		_, err := Load(f)
		var got []string
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				got = append(got, strings.TrimPrefix(e.Error(), dir+string(filepath.Separator)))
			}
		}
		if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("%s: got\n%s\nwant\n%s\n(error %v)", c.name, strings.Join(got, "\n"), strings.Join(c.want, "\n"), err)
		}
	}
	var pe *fs.PathError
	if _, err := Load(filepath.Join(dir, "missing.yaml")); !errors.As(err, &pe) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want its *fs.PathError", err)
	}
}

// FuzzMatch compares the matcher with a regular-expression oracle.
func FuzzMatch(f *testing.F) {
	f.Add("b/users/${jwt:sub}/*", "b/users/alice/x", "alice")
	f.Add("b/*/x?.tif", "b/a/b/x1.tif", "")
	f.Add("b/**a*", "b/aaa", "*")
	f.Fuzz(func(t *testing.T, pat, res, sub string) {
		if !utf8.ValidString(pat) || !utf8.ValidString(res) || !utf8.ValidString(sub) {
			return // keys and claims are UTF-8 (the href parser refuses the rest)
		}
		p, err := compile(pat)
		if err != nil {
			return
		}
		claims := map[string]any{"sub": sub}
		got := p.match(res, claims)
		var re strings.Builder
		re.WriteString("^")
		for _, pt := range p {
			switch pt.kind {
			case '*':
				re.WriteString("(?s:.*)")
			case '?':
				re.WriteString("(?s:.)")
			case 'l':
				re.WriteString(regexp.QuoteMeta(pt.text))
			case 'v':
				if sub == "" || pt.claim != "sub" { // only sub is set: other claims are missing
					re.WriteString("[^\\x00-\\x{10FFFF}]") // matches nothing
				} else {
					re.WriteString(regexp.QuoteMeta(sub))
				}
			}
		}
		re.WriteString("$")
		want := regexp.MustCompile(re.String()).MatchString(res)
		if got != want {
			t.Fatalf("pattern %q on %q (sub %q): got %v, oracle %v", pat, res, sub, got, want)
		}
	})
}

func TestAllowedLeavesClaimsAlone(t *testing.T) {
	p, err := Parse([]byte(example))
	if err != nil {
		t.Fatal(err)
	}
	groups := []string{"zz", "s2-team", "aa"}
	claims := map[string]any{"sub": "x", "groups": groups, "email_verified": true}
	if ok, _ := p.Allowed(claims, "GET", "eodata", "shared/aa/x.tif"); !ok {
		t.Fatal("denied")
	}
	if groups[0] != "zz" || groups[2] != "aa" {
		t.Fatalf("Allowed reordered the caller's claims: %v", groups)
	}
}
