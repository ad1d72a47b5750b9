// Command stacgen turns S3 prefixes or local folders of satellite products
// into a validated, static STAC 1.1 catalog and the HTML site people browse.
//
// Subcommands: build (list, read headers, render the pages, write the
// catalog atomically), serve (preview a build the way GitLab Pages serves
// it), validate (any static catalog against the official schemas) and
// version.
// Every flag can also be set with a STACGEN_* environment variable.
//
// Exit codes, the same for build and validate: 0 success; 1 error (bad
// configuration, unreachable storage, an item that cannot be built); 2
// invalid catalog (every failure is a document the schemas or checks
// reject).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/urfave/cli/v2"

	"gitlab.com/eocat/eocat/internal/catalog"
	"gitlab.com/eocat/eocat/internal/validate"
)

// Exit codes.
const (
	exitOK      = 0
	exitError   = 1
	exitInvalid = 2
)

// invalidError marks a catalog that was checked and found invalid.
type invalidError struct{ msg string }

func (e *invalidError) Error() string { return e.msg }

// exitCode maps an error to the process exit code: exitInvalid when the
// error, or every item error of a failed build, is an invalid document.
func exitCode(err error) int {
	var inv *invalidError
	var be *catalog.BuildError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &be):
		for _, it := range be.Items {
			if !errors.As(it.Err, &inv) {
				return exitError
			}
		}
		return exitInvalid
	case errors.As(err, &inv):
		return exitInvalid
	}
	return exitError
}

// cliGCPercent is the GC target the command uses unless GOGC is set.
const cliGCPercent = 300

// version is set at link time: -ldflags "-X main.version=v1.2.3".
var version = "devel"

func main() {
	// A build allocates many short-lived documents: trade some memory for
	// less garbage collection, unless the user set GOGC.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(cliGCPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newApp(os.Stdout, os.Stderr).RunContext(ctx, os.Args)
	stop()
	if err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(os.Stderr, "stacgen: interrupted; the previous output is untouched")
		} else {
			fmt.Fprintln(os.Stderr, "stacgen:", err)
		}
	}
	os.Exit(exitCode(err))
}

// Flag names shared by subcommands; env vars are STACGEN_ + upper-case name.
const (
	flagConfig      = "config"
	flagOut         = "out"
	flagBaseURL     = "base-url"
	flagIncremental = "incremental"
	flagSchemas     = "schemas"
	flagOffline     = "offline"
	flagExact       = "exact-validation"
	flagProjGrids   = "proj-grids"
	flagConcurrency = "concurrency"
	flagListConc    = "list-concurrency"
	flagSkipInvalid = "skip-invalid-items"
	flagWaitLock    = "wait-lock"
	flagPages       = "pages"
	flagParquet     = "parquet"
	flagTemplates   = "templates"
	flagSite        = "site"
	flagMaxFiles    = "max-files"
	flagMaxBytes    = "max-bytes"
	flagLogFormat   = "log-format"
	flagLogLevel    = "log-level"
	flagStrict      = "strict"
)

func envVar(name string) []string {
	b := []byte("STACGEN_" + name)
	for i, c := range b {
		if c == '-' {
			b[i] = '_'
		} else if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return []string{string(b)}
}

func schemaFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: flagSchemas, EnvVars: envVar(flagSchemas), Usage: "folder mirroring the official STAC schemas as `DIR`/<host>/<path>; searched before the user cache and the network"},
		&cli.BoolFlag{Name: flagOffline, EnvVars: envVar(flagOffline), Usage: "never download schemas; fall back to the project's compact schemas"},
		&cli.BoolFlag{Name: flagExact, EnvVars: envVar(flagExact), Usage: "decide every document with the jsonschema library alone (slower): by default a faster equivalent evaluator decides, and the library re-checks the first document of each kind and one in 1,000 of the rest, stopping on any disagreement"},
	}
}

// validateOptions are the validation settings of the schema flags.
func validateOptions(c *cli.Context) validate.Options {
	return validate.Options{SchemaDir: c.String(flagSchemas), Offline: c.Bool(flagOffline), Exact: c.Bool(flagExact)}
}

func logFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: flagLogFormat, EnvVars: envVar(flagLogFormat), Value: "text", Usage: "log format: text or json"},
		&cli.StringFlag{Name: flagLogLevel, EnvVars: envVar(flagLogLevel), Value: "info", Usage: "log level: debug, info, warn or error"},
	}
}

func newLogger(c *cli.Context, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.String(flagLogLevel))); err != nil {
		return nil, fmt.Errorf("--%s: %w", flagLogLevel, err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.String(flagLogFormat) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--%s: want text or json, got %q", flagLogFormat, c.String(flagLogFormat))
}

func newApp(stdout, stderr io.Writer) *cli.App {
	// `stacgen help NAME` for an unknown NAME: urfave/cli's help command
	// calls CommandNotFound and succeeds; After turns it into the error
	// (exit 1) that `stacgen NAME` gives.
	var notFound string
	return &cli.App{
		Name:  "stacgen",
		Usage: "build and validate static STAC 1.1 catalogs from S3 prefixes or local folders",
		Description: `stacgen lists the objects of each configured collection (s3://bucket/prefix/ or a
local folder), groups them into items, reads every GeoTIFF header with ranged
reads, and writes a STAC 1.1 catalog whose every document is validated against
the official schemas before it replaces the previous output.

Quick start (no S3 needed):
   stacgen build --config examples/quickstart/stacgen.yaml --out public
   stacgen validate public/catalog.json

Every flag can also be given as an environment variable STACGEN_<FLAG>
(e.g. STACGEN_CONFIG, STACGEN_BASE_URL). S3 credentials come from the standard
AWS chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or web identity
(AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN, e.g. a GitLab CI id_token).`,
		Writer:         stdout,
		ErrWriter:      stderr,
		HideVersion:    true,
		ExitErrHandler: func(*cli.Context, error) {}, // main maps errors to exit codes
		// Without a command: the help. An unknown command is an error (exit
		// 1): urfave/cli's default action would print CommandNotFound's line
		// and exit 0.
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return fmt.Errorf("unknown command %q; see stacgen --help", c.Args().First())
			}
			return cli.ShowAppHelp(c)
		},
		CommandNotFound: func(_ *cli.Context, cmd string) { notFound = cmd },
		After: func(*cli.Context) error {
			if notFound != "" {
				return fmt.Errorf("unknown command %q; see stacgen --help", notFound)
			}
			return nil
		},
		Commands: []*cli.Command{buildCommand(), validateCommand(), serveCommand(), versionCommand()},
	}
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print stacgen's version and the STAC version it writes",
		Action: func(c *cli.Context) error {
			_, err := fmt.Fprintf(c.App.Writer, "stacgen %s (STAC 1.1.0)\n", version)
			return err
		},
	}
}
