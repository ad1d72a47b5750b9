package yamlerr

import (
	"bytes"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// Every syntax error names the line it is on, counted from 1, whichever
// part of yaml.v3 found it (parser, scanner, reader, aliases).
func TestSyntaxErrorLines(t *testing.T) {
	for _, c := range []struct {
		name, doc, want string
	}{
		{"unclosed flow sequence", "a: 1\nb: 2\nissuers: [x\naudiences: y\n", "f.yaml:3: did not find expected ',' or ']'"},
		{"unclosed flow mapping", "a: 1\nc: {x: 1\nd: 3\n", "f.yaml:2: did not find expected ',' or '}'"},
		{"bad indentation", "a: 1\nb:\n  c: 1\n d: 2\n", "f.yaml:4: did not find expected key"},
		{"sequence in a mapping", "a: 1\n- b\n", "f.yaml:2: did not find expected key"},
		{"mapping in a sequence", "- a\nb: 1\n", "f.yaml:2: did not find expected '-' indicator"},
		{"unterminated flow at the end", "a: [1,\n", "f.yaml:2: did not find expected node content"},
		{"two colons", "a: 1\nb: c: d\n", "f.yaml:2: mapping values are not allowed in this context"},
		{"two colons on the first line", "a: b: c\n", "f.yaml:1: mapping values are not allowed in this context"},
		{"tab", "a: 1\n\tb: 2\n", "f.yaml:2: found a tab character that violates indentation"},
		{"unterminated quote", "a: 1\nb: 'x\n", "f.yaml:2: found unexpected end of stream"},
		{"unknown escape", "a: 1\nb: \"\\q\"\n", "f.yaml:2: found unknown escape character"},
		{"unknown anchor", "a: 1\nb: '*x'\nc: *x\n", "f.yaml:3: unknown anchor 'x' referenced"},
		{"control character", "a: 1\nb: x\x01y\n", "f.yaml:2: control characters are not allowed"},
		{"not UTF-8", "a: 1\nb: 2\nc: \xe9t\xe9\n", "f.yaml:3: invalid trailing UTF-8 octet"},
	} {
		data := []byte(c.doc)
		var n yaml.Node
		err := yaml.Unmarshal(data, &n)
		if err == nil {
			t.Errorf("%s: yaml.v3 accepted %q", c.name, c.doc)
			continue
		}
		got := Problems("f.yaml", data, err)
		if len(got) != 1 || got[0].Error() != c.want {
			t.Errorf("%s: %q, want %q (yaml.v3 said %q)", c.name, got, c.want, err)
		}
	}
}

// A type error becomes one problem per entry, each with its line and
// without Go type names.
func TestTypeErrors(t *testing.T) {
	type s3 struct {
		Endpoint string `yaml:"endpoint"`
	}
	var v struct {
		Issuers []string `yaml:"issuers"`
		Batch   int      `yaml:"batch_limit"`
		S3      s3       `yaml:"s3"`
	}
	data := []byte("issuers: https://idp\nbatch_limit: many\ns3:\n  endpont: x\nunknown: 1\n")
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	got := Problems("f.yaml", data, dec.Decode(&v))
	want := []string{
		"f.yaml:1: cannot unmarshal !!str `https:/...` into []string",
		"f.yaml:2: cannot unmarshal !!str `many` into int",
		"f.yaml:4: unknown key endpont",
		"f.yaml:5: unknown key unknown",
	}
	var msgs []string
	for _, e := range got {
		msgs = append(msgs, e.Error())
	}
	if strings.Join(msgs, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(msgs, "\n"), strings.Join(want, "\n"))
	}
	if got := Problems("f.yaml", nil, yaml.NewDecoder(bytes.NewReader(nil)).Decode(&v)); len(got) != 1 || got[0].Error() != "f.yaml: the file is empty" {
		t.Errorf("empty: %v", got)
	}
}

// A key set twice, once through an alias, which yaml.v3 reports as a field
// of a Go type (its duplicate-key check compares the keys as written), is
// named without the type.
func TestKeySetTwiceThroughAlias(t *testing.T) {
	var v struct {
		Name  string   `yaml:"name"`
		Allow []string `yaml:"allow"`
	}
	data := []byte("name: &k allow\n*k: [GET]\nallow: [PUT]\n")
	got := Problems("f.yaml", data, yaml.Unmarshal(data, &v))
	if len(got) != 1 || got[0].Error() != "f.yaml:3: key allow set twice" {
		t.Errorf("got %q, want [f.yaml:3: key allow set twice]", got)
	}
}

func TestAt(t *testing.T) {
	for _, c := range []struct {
		file string
		line int
		want string
	}{
		{"f.yaml", 3, "f.yaml:3: x"},
		{"f.yaml", 0, "f.yaml: x"},
		{"", 3, "line 3: x"},
		{"", 0, "x"},
	} {
		if got := At(c.file, c.line, "%s", "x").Error(); got != c.want {
			t.Errorf("At(%q, %d) = %q, want %q", c.file, c.line, got, c.want)
		}
	}
}
