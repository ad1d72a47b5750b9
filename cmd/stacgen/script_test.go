package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"gitlab.com/eocat/eocat/internal/testenv"
)

// TestMain makes the test binary stacgen itself when testscript runs it under
// that name: the scripts run the real main (flags, messages, exit codes) in a
// process of its own, as a user's shell does. The stacgen binary the tests
// and benchmarks build (stacgenBinary) is removed when they are done.
func TestMain(m *testing.M) {
	testscript.Main(removingBinary{m}, map[string]func(){"stacgen": main})
}

// removingBinary runs the tests, then removes the binary stacgenBinary
// built, if any.
type removingBinary struct{ m *testing.M }

func (r removingBinary) Run() int {
	code := r.m.Run()
	if builtBinary.Load() {
		if bin, err := stacgenBinary(); err == nil {
			_ = os.RemoveAll(filepath.Dir(bin)) // a temporary folder: nothing to report
		}
	}
	return code
}

// TestScript runs the command-line scripts of testdata/script (txtar files:
// commands, then the files they use; see the testscript package). Each runs
// in a fresh folder holding a copy of examples/quickstart under the same
// path, so that the README's commands work as written; the schema cache is
// empty there (compact schemas unless a script gives --schemas). -update
// rewrites the files that `cmp` compares with.
//
// Besides the standard commands, the scripts use testenv.ScriptCmds
// (exitcode, replace, freeport, httpget).
//
// One script: go test ./cmd/stacgen -run TestScript/validate
func TestScript(t *testing.T) {
	quickstart := filepath.Join(testenv.RepoRoot(), "examples", "quickstart")
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		UpdateScripts:       *update,
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("XDG_CACHE_HOME", filepath.Join(env.WorkDir, ".cache"))
			testenv.ScriptSetup(env)
			return os.CopyFS(filepath.Join(env.WorkDir, "examples", "quickstart"), os.DirFS(quickstart))
		},
		Cmds: testenv.ScriptCmds(),
	})
}
