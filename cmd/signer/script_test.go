package main

import (
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
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
// that `cmp` compares with. Besides the standard commands:
//
//	exitcode N PROGRAM [ARGS...]  run PROGRAM, expect exit status N
//	freeport VAR                  set VAR to 127.0.0.1:PORT, a port free at the time
//	httpget URL                   GET URL to stdout, retrying for 10 s while the server starts
//
// One script: go test ./cmd/signer -run TestScript/config_errors
func TestScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		UpdateScripts:       *update,
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(env *testscript.Env) error {
			if os.Getenv("GORACE") == "" {
				// Under -race each process otherwise waits 1 s when it exits.
				env.Setenv("GORACE", "atexit_sleep_ms=10")
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exitcode": cmdExitCode,
			"freeport": cmdFreePort,
			"httpget":  cmdHTTPGet,
		},
	})
}

// cmdExitCode runs a program like exec and checks its exit status.
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode N PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exitcode %q: not a number", args[0])
	}
	got := 0
	var ee *exec.ExitError
	switch err := ts.Exec(args[1], args[2:]...); {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("%s: %v", args[1], err)
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}

// cmdFreePort finds a port for a server started in the background.
func cmdFreePort(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: freeport VAR")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	ts.Setenv(args[0], ln.Addr().String())
	ts.Check(ln.Close())
}

// cmdHTTPGet fetches a URL from a server started in the background, which
// may still be starting.
func cmdHTTPGet(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: httpget URL")
	}
	client := &http.Client{Timeout: 10 * time.Second}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := client.Get(args[0])
		if err == nil {
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			ts.Check(err)
			if resp.StatusCode != http.StatusOK {
				ts.Fatalf("GET %s: %s", args[0], resp.Status)
			}
			_, err = ts.Stdout().Write(body)
			ts.Check(err)
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("GET %s: %v", args[0], err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
