// Package yamlerr turns the errors of go.yaml.in/yaml/v3 into one problem
// each, "file:line: message", so that a configuration's problems can be
// listed one per line with where they are.
//
// yaml.v3's own messages need help for that: a type error holds every
// problem in one error ("yaml: unmarshal errors:\n  line 2: …\n  line 4:
// …") and names Go types ("field x not found in type main.Config"); its
// parser's syntax errors count lines from 0 (one less than the line meant),
// a problem on the first line has no line at all, and errors of the input
// (invalid UTF-8, control characters) or of an unknown alias have none
// either. Problems gives each its line, counted from 1.
//
// Neighbours: internal/policy (the signer's policy file) and cmd/signer (its
// configuration file) report YAML problems through it.
package yamlerr

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// At is a problem at a line of file: "file:line: message", or "line N:
// message" when file is empty, or "file: message" when line is 0 (not
// known).
func At(file string, line int, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	switch {
	case file == "" && line > 0:
		return fmt.Errorf("line %d: %s", line, msg)
	case file == "":
		return errors.New(msg)
	case line > 0:
		return fmt.Errorf("%s:%d: %s", file, line, msg)
	}
	return fmt.Errorf("%s: %s", file, msg)
}

// Problems returns err, which decoding data (the contents of file) with
// yaml.v3 returned, as one error per problem, each naming file and line: the
// entries of a *yaml.TypeError one by one (an unknown key is "unknown key
// x", without the Go type), a syntax error with its line counted from 1.
func Problems(file string, data []byte, err error) []error {
	if err == nil {
		return nil
	}
	if errors.Is(err, io.EOF) {
		return []error{At(file, 0, "the file is empty")}
	}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		out := make([]error, 0, len(te.Errors))
		for _, e := range te.Errors {
			line, msg := splitLine(e)
			out = append(out, At(file, line, "%s", typeMessage(msg)))
		}
		return out
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line, problem := splitLine(msg)
	switch {
	case parserProblems[problem]:
		// The parser reports its marks counted from 0, and none at all
		// on the first line.
		line++
	case line > 0:
		// A scanner problem: counted from 1.
	case strings.HasPrefix(problem, "unknown anchor '"):
		name, _, _ := strings.Cut(strings.TrimPrefix(problem, "unknown anchor '"), "'")
		line = aliasLine(data, name)
	case readerProblem(problem):
		line = badCharLine(data)
	default:
		// A scanner problem on the first line.
		line = 1
	}
	return []error{At(file, line, "%s", problem)}
}

var lineRE = regexp.MustCompile(`^line (\d+): (.*)$`)

// splitLine splits "line N: message".
func splitLine(s string) (int, string) {
	m := lineRE.FindStringSubmatch(s)
	if m == nil {
		return 0, s
	}
	n, _ := strconv.Atoi(m[1])
	return n, m[2]
}

var (
	notFound = regexp.MustCompile(`^field (.+?) not found in type .+$`)
	// alreadySet is a key given twice to a struct, once through an alias
	// ("*k: …" where "&k" names the key): yaml.v3's duplicate-key check
	// ("mapping key … already defined") compares the keys as written and
	// misses it.
	alreadySet = regexp.MustCompile(`^field (.+?) already set in type .+$`)
)

// typeMessage rewrites yaml.v3's type errors that name Go types.
func typeMessage(msg string) string {
	if m := notFound.FindStringSubmatch(msg); m != nil {
		return "unknown key " + m[1]
	}
	if m := alreadySet.FindStringSubmatch(msg); m != nil {
		return "key " + m[1] + " set twice"
	}
	return msg
}

// parserProblems are the problems of yaml.v3's parser (parserc.go), whose
// lines are counted from 0; the scanner's count from 1.
var parserProblems = map[string]bool{
	"did not find expected <stream-start>":   true,
	"did not find expected <document start>": true,
	"did not find expected node content":     true,
	"did not find expected key":              true,
	"did not find expected '-' indicator":    true,
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found duplicate %TAG directive":         true,
	"found undefined tag handle":             true,
}

// readerProblem reports whether problem is one of the input reader's
// (readerc.go), which carry no line.
func readerProblem(problem string) bool {
	return strings.HasPrefix(problem, "input error") || strings.Contains(problem, "UTF-8") ||
		strings.Contains(problem, "UTF-16") || strings.Contains(problem, "surrogate") ||
		problem == "invalid Unicode character" || problem == "control characters are not allowed"
}

// aliasLine is the line of the first alias *name in data (0: not found).
func aliasLine(data []byte, name string) int {
	s := string(data)
	for i := 0; ; {
		j := strings.Index(s[i:], "*"+name)
		if j < 0 {
			return 0
		}
		i += j
		end := i + 1 + len(name)
		if end == len(s) || strings.ContainsRune(" \t\r\n,]}", rune(s[end])) {
			return 1 + strings.Count(s[:i], "\n")
		}
		i = end
	}
}

// badCharLine is the line of the first byte of data that is not UTF-8 or
// is a character YAML does not allow (0: none).
func badCharLine(data []byte) int {
	line := 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if (r == utf8.RuneError && size <= 1) || !printable(r) {
			return line
		}
		if r == '\n' {
			line++
		}
		i += size
	}
	return 0
}

// printable is YAML 1.2's c-printable, plus the byte order mark.
func printable(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r' || r == 0x85:
		return true
	case r < 0x20 || r == 0x7f || (0x80 <= r && r < 0xa0):
		return false
	case 0xd800 <= r && r <= 0xdfff, r == 0xfffe, r == 0xffff:
		return false
	}
	return true
}
