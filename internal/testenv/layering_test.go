package testenv

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestLayering checks, through every import and not only the direct ones
// that golangci-lint's depguard sees (.golangci.yml), that the lower
// packages reach no network, S3 client or process (their package comments
// promise no I/O of their own; os itself cannot be checked this way: fmt
// imports it), and that no command links this package.
func TestLayering(t *testing.T) {
	const mod = "gitlab.com/eocat/eocat/"
	rules := []struct {
		pkgs      []string
		forbidden []string // import paths; a trailing "/" forbids the whole tree
	}{
		{[]string{"internal/stac", "internal/crs", "internal/crs/tifgrid", "internal/geotiff"},
			[]string{"net", "net/http", "os/exec", "github.com/aws/"}},
		{[]string{"cmd/stacgen", "cmd/signer"}, []string{mod + "internal/testenv"}},
	}
	for _, r := range rules {
		for _, p := range r.pkgs {
			// Each dependency with its direct imports, to name who brings a
			// forbidden one in.
			cmd := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, mod+p)
			cmd.Dir = RepoRoot()
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list -deps %s: %v", p, err)
			}
			importers := map[string][]string{}
			var deps []string
			for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
				f := strings.Fields(line)
				deps = append(deps, f[0])
				for _, imp := range f[1:] {
					importers[imp] = append(importers[imp], f[0])
				}
			}
			if len(deps) < 2 {
				t.Fatalf("go list -deps %s listed %v: too few to mean anything", p, deps)
			}
			for _, d := range deps {
				for _, bad := range r.forbidden {
					if d == bad || strings.HasSuffix(bad, "/") && strings.HasPrefix(d, bad) {
						t.Errorf("%s depends on %s (imported by %s)", p, d, strings.Join(slices.Compact(slices.Sorted(slices.Values(importers[d]))), ", "))
					}
				}
			}
		}
	}
}
