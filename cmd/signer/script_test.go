package main

import (
	"flag"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"gitlab.com/eocat/eocat/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the files the scripts of testdata/script compare with (TestScript)")

// TestMain makes the test binary the signer itself when testscript runs it
// under that name: the scripts run the real main (flags, messages, exit
// status) in a process of its own, as a user's shell does.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"signer": main})
}

// TestScript runs the command-line scripts of testdata/script (txtar files:
// commands, then the files they use; see the testscript package), each in a
// fresh folder with no SIGNER_* variable set. -update rewrites the files
// that `cmp` compares with. Besides the standard commands, the scripts use
// testenv.ScriptCmds (exitcode, freeport, httpget).
//
// One script: go test ./cmd/signer -run TestScript/config_errors
func TestScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		UpdateScripts:       *update,
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(env *testscript.Env) error {
			testenv.ScriptSetup(env)
			return nil
		},
		Cmds: testenv.ScriptCmds(),
	})
}
