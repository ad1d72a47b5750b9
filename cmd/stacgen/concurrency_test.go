package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
	"gitlab.com/eocat/eocat/internal/catalog"
	"gitlab.com/eocat/eocat/internal/config"
	"gitlab.com/eocat/eocat/internal/source"
	"gitlab.com/eocat/eocat/internal/testenv"
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
// --concurrency says, and List really has that many listing requests in
// flight (testenv.ListingS3 counts them).
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
			var keys []string
			for i := range 2 * tc.list {
				keys = append(keys, fmt.Sprintf("sentinel2-l2a/p%03d/B02.tif", i))
			}
			fake := testenv.NewListingS3(keys, tc.list)
			o.s3Client = fake.Client()
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
			n := 0
			if err := sources["sentinel-2-l2a"].List(context.Background(), func(source.Object) error { n++; return nil }); err != nil {
				t.Fatal(err)
			}
			if n != len(keys) {
				t.Errorf("listed %d objects, want %d", n, len(keys))
			}
			if got := fake.MaxInFlight(); got != tc.list {
				t.Errorf("%d listing requests in flight at most, want %d", got, tc.list)
			}
		})
	}
}

// TestConcurrencyBounds: each concurrency flag refuses values outside its
// range with exit 1 and a message naming the flag and its variable.
func TestConcurrencyBounds(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"build", "-c", quickstartConfig(), "--list-concurrency", "0"}, "--list-concurrency (STACGEN_LIST_CONCURRENCY) must be between 1 and 256, got 0"},
		{[]string{"build", "-c", quickstartConfig(), "--list-concurrency", "257"}, "--list-concurrency (STACGEN_LIST_CONCURRENCY) must be between 1 and 256, got 257"},
		{[]string{"build", "-c", quickstartConfig(), "--concurrency", "0"}, "--concurrency (STACGEN_CONCURRENCY) must be between 1 and 1024, got 0"},
		{[]string{"build", "-c", quickstartConfig(), "--concurrency", "1025"}, "--concurrency (STACGEN_CONCURRENCY) must be between 1 and 1024, got 1025"},
		{[]string{"validate", "--concurrency", "-1", "catalog.json"}, "--concurrency (STACGEN_CONCURRENCY) must be between 1 and 1024, got -1"},
	} {
		dir := t.TempDir()
		t.Chdir(dir) // build's default --out, validate's relative path
		code, _, stderr := run(t, tc.args...)
		if code != 1 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, want 1 and %q:\n%s", tc.args, code, tc.want, stderr)
		}
		if entries, _ := os.ReadDir(dir); len(entries) > 0 {
			t.Errorf("%v: wrote %s", tc.args, entries[0].Name())
		}
	}
}
