package validate

import (
	"errors"
	"fmt"
	"strings"
)

// CompareEngines validates doc with two validators (typically the official
// schemas and the compact ones) schema by schema and reports whether they
// agree: for each schema URL the document declares, both accept or both
// reject it. URLs the compact validator cannot resolve are skipped and named
// in detail. detail gives each URL's verdicts and, on disagreement, the issues
// of the side that rejected.
func CompareEngines(official, compact *Validator, name string, doc []byte) (agree bool, detail string, err error) {
	inst, err := parseJSON(doc)
	if err != nil {
		return false, "", fmt.Errorf("%s: %w", name, err)
	}
	urls, pre := schemaURLs(name, inst)
	agree = true
	var b strings.Builder
	for _, is := range pre {
		fmt.Fprintf(&b, "both reject: %s\n", is)
	}
	for _, u := range urls {
		a, err := official.check(name, u, inst)
		if err != nil {
			return false, "", fmt.Errorf("%s: official: %w", name, err)
		}
		c, err := compact.check(name, u, inst)
		if errors.Is(err, ErrSchemaUnavailable) {
			fmt.Fprintf(&b, "%s: skipped, no compact schema\n", u)
			continue
		}
		if err != nil {
			return false, "", fmt.Errorf("%s: compact: %w", name, err)
		}
		fmt.Fprintf(&b, "%s: official %s, compact %s\n", u, verdict(a), verdict(c))
		if (len(a) == 0) != (len(c) == 0) {
			agree = false
			for _, is := range append(a, c...) {
				fmt.Fprintf(&b, "  %s\n", is)
			}
		}
	}
	return agree, b.String(), nil
}

func verdict(issues []Issue) string {
	if len(issues) == 0 {
		return "accepts"
	}
	return fmt.Sprintf("rejects (%d issues)", len(issues))
}
