package testenv

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// ScriptCmds are the commands the CLI scripts of cmd/stacgen and cmd/signer
// (testscript) use besides the standard ones:
//
//	exitcode N PROGRAM [ARGS...]  run PROGRAM, expect exit status N
//	replace FILE OLD NEW          replace the only occurrence of OLD in FILE (Go-quoted strings allowed)
//	freeport VAR                  set VAR to 127.0.0.1:PORT, a port free at the time
//	httpget URL                   GET URL to stdout, retrying for 10 s while the server starts
func ScriptCmds() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	return map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"exitcode": exitCode,
		"replace":  replaceIn,
		"freeport": freePort,
		"httpget":  httpGet,
	}
}

// ScriptSetup is the part of a script's set-up both commands share: under
// -race each process would otherwise wait 1 s when it exits.
func ScriptSetup(env *testscript.Env) {
	if os.Getenv("GORACE") == "" {
		env.Setenv("GORACE", "atexit_sleep_ms=10")
	}
}

// exitCode runs a program like exec and checks its exit status: `! exec`
// only tells failure from success, and the commands document 1 and 2 apart.
func exitCode(ts *testscript.TestScript, neg bool, args []string) {
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

// replaceIn edits a file of the work folder in place.
func replaceIn(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: replace FILE OLD NEW")
	}
	s := make([]string, 2)
	for i, a := range args[1:] {
		s[i] = a
		if u, err := strconv.Unquote(a); err == nil {
			s[i] = u
		}
	}
	file := ts.MkAbs(args[0])
	data, err := os.ReadFile(file)
	ts.Check(err)
	if n := strings.Count(string(data), s[0]); n != 1 {
		ts.Fatalf("%s holds %q %d times, want once", args[0], s[0], n)
	}
	ts.Check(os.WriteFile(file, []byte(strings.Replace(string(data), s[0], s[1], 1)), 0o644))
}

// freePort finds a port for a server started in the background.
func freePort(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: freeport VAR")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	ts.Setenv(args[0], ln.Addr().String())
	ts.Check(ln.Close())
}

// httpGet fetches a URL from a server started in the background, which
// may still be starting.
func httpGet(ts *testscript.TestScript, neg bool, args []string) {
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
