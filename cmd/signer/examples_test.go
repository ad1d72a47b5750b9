package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"
	"gitlab.com/eocat/eocat/internal/policy"
	"gitlab.com/eocat/eocat/internal/testenv"
)

// loadServeConfig runs what `signer serve ARGS` does before it starts
// anything: the command's own flags, SIGNER_* variables and configuration
// loader with its validation. It returns the loaded configuration.
func loadServeConfig(t *testing.T, args ...string) (*Config, error) {
	t.Helper()
	var cfg *Config
	app := newApp(io.Discard, io.Discard)
	serve := app.Command("serve")
	serve.Action = func(c *cli.Context) error {
		var err error
		cfg, err = load(c)
		return err
	}
	err := app.RunContext(context.Background(), append([]string{"signer", "serve"}, args...))
	return cfg, err
}

// TestExampleSignerConfig loads examples/signer/signer.yaml as docs/signer.md
// runs it (from the repository's root, no flag, no SIGNER_* variable) and
// checks that it is valid, that it is the mode static configuration the
// documentation describes, and that its policy file loads and says what
// docs/signer.md says it does.
func TestExampleSignerConfig(t *testing.T) {
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "SIGNER_") {
			t.Setenv(name, "") // restored when the test ends
			if err := os.Unsetenv(name); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Chdir(testenv.RepoRoot())
	cfg, err := loadServeConfig(t, "--config", filepath.Join("examples", "signer", "signer.yaml"))
	if err != nil {
		t.Fatalf("examples/signer/signer.yaml: %v", err)
	}
	if cfg.Mode != "static" || cfg.Policy != "examples/signer/policy.yaml" || !slices.Equal(cfg.S3.Buckets, []string{"eodata"}) ||
		cfg.S3.Endpoint != "https://s3.example.org" || len(cfg.Issuers) != 1 || len(cfg.Audiences) != 1 {
		t.Errorf("examples/signer/signer.yaml: mode %q, policy %q, buckets %v, endpoint %q, issuers %v, audiences %v",
			cfg.Mode, cfg.Policy, cfg.S3.Buckets, cfg.S3.Endpoint, cfg.Issuers, cfg.Audiences)
	}
	if cfg.DefaultDuration != time.Hour || cfg.MaxDuration != 168*time.Hour || cfg.APIKeys.File != "" {
		t.Errorf("examples/signer/signer.yaml: default_duration %v, max_duration %v, api_keys.file %q",
			cfg.DefaultDuration, cfg.MaxDuration, cfg.APIKeys.File)
	}

	// A flag overrides the file, as its comments say.
	over, err := loadServeConfig(t, "--config", filepath.Join("examples", "signer", "signer.yaml"), "--s3-endpoint", "http://127.0.0.1:9000")
	if err != nil || over.S3.Endpoint != "http://127.0.0.1:9000" || !slices.Equal(over.S3.Buckets, cfg.S3.Buckets) {
		t.Errorf("--s3-endpoint over the example: %v, %+v", err, over)
	}

	// The policy path is relative to the working directory.
	p, err := policy.Load(cfg.Policy)
	if err != nil {
		t.Fatal(err)
	}
	// What docs/signer.md says the example policy allows, and some of what
	// it does not.
	alice := map[string]any{"sub": "alice", "groups": []any{"s2-readers", "staff"}}
	bob := map[string]any{"sub": "bob", "groups": []any{"guests"}}
	for _, c := range []struct {
		who    map[string]any
		method string
		key    string
		want   bool
	}{
		{bob, "GET", "public/readme.txt", true},
		{bob, "HEAD", "public/a/b.tif", true},
		{bob, "PUT", "public/readme.txt", false},
		{alice, "PUT", "users/alice/zarr/B02.tif", true},
		{alice, "GET", "users/alice/zarr/B02.tif", true},
		{bob, "GET", "users/alice/zarr/B02.tif", false},
		{alice, "GET", "sentinel-2/l2a/T31TEJ/B02.tif", true},
		{alice, "PUT", "sentinel-2/l2a/T31TEJ/B02.tif", false},
		{bob, "GET", "sentinel-2/l2a/T31TEJ/B02.tif", false},
		{alice, "GET", "shared/s2-readers/notes.txt", true},
		{alice, "GET", "shared/staff/notes.txt", true},
		{bob, "GET", "shared/guests/notes.txt", false},
		{alice, "GET", "private/x.tif", false},
	} {
		if got, rule := p.Allowed(c.who, c.method, "eodata", c.key); got != c.want {
			t.Errorf("example policy: %s %s eodata/%s: allowed %v (rule %q), want %v", c.who["sub"], c.method, c.key, got, rule, c.want)
		}
	}
}
