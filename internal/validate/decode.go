package validate

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// parseJSON decodes one JSON value keeping numbers exact, as jsonschema wants:
// the same values as jsonschema.UnmarshalJSON (objects as map[string]any,
// arrays as []any, numbers as json.Number, strings, bools, nil; the last of
// duplicate keys wins), with far fewer allocations: the input is copied once
// into a string and every unescaped string is a substring of it. Anything
// unusual (escapes, invalid UTF-8, a syntax error) is handed to encoding/json,
// so values and error messages stay those of jsonschema.UnmarshalJSON
// (TestDecodeSameAsUnmarshalJSON).
func parseJSON(b []byte) (any, error) {
	d := decoder{s: string(b)}
	if v, ok := d.value(0); ok {
		d.space()
		if d.i == len(d.s) {
			return v, nil
		}
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(b))
}

// maxDepth bounds nesting like encoding/json does (it allows 10000).
const maxDepth = 10000

type decoder struct {
	s string
	i int
}

func (d *decoder) space() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// value decodes the value at d.i; false means "let encoding/json decide".
func (d *decoder) value(depth int) (any, bool) {
	d.space()
	if d.i >= len(d.s) || depth >= maxDepth {
		return nil, false
	}
	switch c := d.s[d.i]; {
	case c == '{':
		d.i++
		m := map[string]any{}
		d.space()
		if d.i < len(d.s) && d.s[d.i] == '}' {
			d.i++
			return m, true
		}
		for {
			d.space()
			k, ok := d.str()
			if !ok {
				return nil, false
			}
			d.space()
			if d.i >= len(d.s) || d.s[d.i] != ':' {
				return nil, false
			}
			d.i++
			v, ok := d.value(depth + 1)
			if !ok {
				return nil, false
			}
			m[k] = v
			d.space()
			if d.i >= len(d.s) {
				return nil, false
			}
			switch d.s[d.i] {
			case ',':
				d.i++
			case '}':
				d.i++
				return m, true
			default:
				return nil, false
			}
		}
	case c == '[':
		d.i++
		a := []any{}
		d.space()
		if d.i < len(d.s) && d.s[d.i] == ']' {
			d.i++
			return a, true
		}
		for {
			v, ok := d.value(depth + 1)
			if !ok {
				return nil, false
			}
			a = append(a, v)
			d.space()
			if d.i >= len(d.s) {
				return nil, false
			}
			switch d.s[d.i] {
			case ',':
				d.i++
			case ']':
				d.i++
				return a, true
			default:
				return nil, false
			}
		}
	case c == '"':
		s, ok := d.str()
		return s, ok
	case c == '-' || ('0' <= c && c <= '9'):
		return d.number()
	default:
		for _, lit := range [...]struct {
			text string
			v    any
		}{{"true", true}, {"false", false}, {"null", nil}} {
			if len(d.s)-d.i >= len(lit.text) && d.s[d.i:d.i+len(lit.text)] == lit.text {
				d.i += len(lit.text)
				return lit.v, true
			}
		}
		return nil, false
	}
}

// str decodes a string without escapes or invalid UTF-8 as a substring of
// the input; any other string is decoded by encoding/json.
func (d *decoder) str() (string, bool) {
	if d.i >= len(d.s) || d.s[d.i] != '"' {
		return "", false
	}
	start := d.i + 1
	ascii := true
	for j := start; j < len(d.s); j++ {
		switch c := d.s[j]; {
		case c == '"':
			s := d.s[start:j]
			if !ascii && !utf8.ValidString(s) {
				return d.slowStr(j)
			}
			d.i = j + 1
			return s, true
		case c == '\\':
			return d.slowStr(-1)
		case c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", false
}

// slowStr decodes the string literal at d.i with encoding/json. end is the
// index of its closing quote, or -1 when unknown (escapes).
func (d *decoder) slowStr(end int) (string, bool) {
	if end < 0 {
		for j := d.i + 1; j < len(d.s); j++ {
			if d.s[j] == '\\' {
				j++
			} else if d.s[j] == '"' {
				end = j
				break
			}
		}
		if end < 0 {
			return "", false
		}
	}
	var s string
	if json.Unmarshal([]byte(d.s[d.i:end+1]), &s) != nil {
		return "", false
	}
	d.i = end + 1
	return s, true
}

// number decodes a number per the JSON grammar as its literal text.
func (d *decoder) number() (any, bool) {
	s, i := d.s, d.i
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && '1' <= s[i] && s[i] <= '9':
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
	default:
		return nil, false
	}
	if i < len(s) && s[i] == '.' {
		i++
		n := i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		if i == n {
			return nil, false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		n := i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		if i == n {
			return nil, false
		}
	}
	num := json.Number(s[d.i:i])
	d.i = i
	return num, true
}
