package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/urfave/cli/v2"
	"gitlab.com/eocat/eocat/internal/catalog"
	"gitlab.com/eocat/eocat/internal/config"
	"gitlab.com/eocat/eocat/internal/source"
)

// buildSetupOf parses build's flags as the command does and returns what
// buildSetup makes of them, without building.
func buildSetupOf(t *testing.T, args ...string) (*config.Config, buildOptions, error) {
	t.Helper()
	var cfg *config.Config
	var o buildOptions
	var setupErr error
	cmd := buildCommand()
	cmd.Action = func(c *cli.Context) error {
		cfg, o, setupErr = buildSetup(c, slog.New(slog.DiscardHandler))
		return setupErr
	}
	app := &cli.App{Name: "stacgen", Writer: io.Discard, ErrWriter: io.Discard, ExitErrHandler: func(*cli.Context, error) {}, Commands: []*cli.Command{cmd}}
	err := app.RunContext(context.Background(), append([]string{"stacgen", "build"}, args...))
	if err != setupErr {
		t.Fatalf("flags %v: %v", args, err)
	}
	return cfg, o, err
}

// TestListConcurrencyReachesTheS3Source: --list-concurrency (or
// STACGEN_LIST_CONCURRENCY, or its default source.DefaultListConcurrency)
// is the listing concurrency of every s3:// source of the build, whatever
// --concurrency says (that a source lists with that many requests in flight
// is TestS3ListConcurrency's, in internal/source).
func TestListConcurrencyReachesTheS3Source(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "s3.yaml")
	if err := os.WriteFile(cfgPath, []byte(s3ConfigText(t, "http://127.0.0.1:9")), 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"--config", cfgPath, "--pages=false", "--offline"}
	for _, tc := range []struct {
		name       string
		env        string
		args       []string
		list, conc int
	}{
		{"flag", "", []string{"--list-concurrency", "5"}, 5, catalog.DefaultConcurrency},
		{"env", "7", nil, 7, catalog.DefaultConcurrency},
		{"flag over env", "7", []string{"--list-concurrency", "3"}, 3, catalog.DefaultConcurrency},
		{"default", "", nil, source.DefaultListConcurrency, catalog.DefaultConcurrency},
		{"--concurrency alone", "", []string{"--concurrency", "64"}, source.DefaultListConcurrency, 64},
		{"both", "", []string{"--concurrency", "2", "--list-concurrency", "256"}, 256, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("STACGEN_LIST_CONCURRENCY", tc.env)
			if tc.env == "" {
				if err := os.Unsetenv("STACGEN_LIST_CONCURRENCY"); err != nil { // t.Setenv restores it after the test
					t.Fatal(err)
				}
			}
			cfg, o, err := buildSetupOf(t, append(base, tc.args...)...)
			if err != nil {
				t.Fatal(err)
			}
			if o.listConc != tc.list || o.concurrency != tc.conc {
				t.Fatalf("listing %d, items %d; want %d, %d", o.listConc, o.concurrency, tc.list, tc.conc)
			}
			o.s3Client = s3.New(s3.Options{Region: "us-east-1"}) // opening a source sends nothing
			sources, err := openSources(context.Background(), cfg, o)
			if err != nil {
				t.Fatal(err)
			}
			if len(sources) != 2 {
				t.Fatalf("%d sources", len(sources))
			}
			for id, src := range sources {
				s3src, ok := src.(*source.S3)
				if !ok {
					t.Fatalf("%s: %T, want an S3 source", id, src)
				}
				if got := s3src.ListConcurrency(); got != tc.list {
					t.Errorf("%s: listing concurrency %d, want %d", id, got, tc.list)
				}
			}
		})
	}
}
