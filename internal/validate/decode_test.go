package validate

import (
	"bytes"
	"fmt"
	"os"
	"reflect"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

var decodeSeeds = []string{
	`{}`, `[]`, ` {"a" : [1, -0, 0.5, -1.5e+10, 2E-3, 1e5, true, false, null, "x"]} `, `"\u00e9\ud83d\ude00\n\t\"\\\/"`,
	`"\ud800"`, "\"\xff\xfe\"", `"é"`, `{"a":1,"a":2}`, `{"a":{"b":[{"c":[]}]}}`, `[1,]`, `{"a":1,}`, `{"a" 1}`, `{a:1}`,
	`01`, `-`, `1.`, `.5`, `1e`, `+1`, `tru`, `truex`, `nul`, `[1 2]`, "\"a\x01\"", `"abc`, ``, ` `, `{} {}`, `{}x`,
	"\xef\xbb\xbf{}", `[[[[[]]]]]`, `{"":""}`, `"\u0000"`, `{"k\u0041":"v"}`, `1234567890123456789012345678901234567890`,
	`[NaN]`, `{"a":[1,{"b":null}],"c":"\ud83d"}`, "[\"\xc3\x28\"]",
}

// checkDecode compares parseJSON with jsonschema.UnmarshalJSON on b.
func checkDecode(t *testing.T, b []byte) {
	t.Helper()
	got, gerr := parseJSON(b)
	want, werr := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if fmt.Sprint(gerr) != fmt.Sprint(werr) || !reflect.DeepEqual(got, want) {
		t.Errorf("%q: parseJSON = %#v, %v; UnmarshalJSON = %#v, %v", b, got, gerr, want, werr)
	}
}

// TestDecodeSameAsUnmarshalJSON: parseJSON returns exactly what
// jsonschema.UnmarshalJSON returns (values and errors) on the corpus, the
// official examples and edge cases.
func TestDecodeSameAsUnmarshalJSON(t *testing.T) {
	for _, s := range decodeSeeds {
		checkDecode(t, []byte(s))
	}
	base, mutated := corpus(t)
	for _, d := range append(base, mutated...) {
		checkDecode(t, d.Data)
	}
	for _, version := range []string{"v1.0.0", "v1.1.0"} {
		for _, f := range exampleFiles(t, version) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			checkDecode(t, b)
			for i := 0; i < len(b); i += 97 {
				checkDecode(t, b[:i]) // truncated: errors
			}
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkDecode(t, b) })
}
