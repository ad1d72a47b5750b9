package main

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"
)

// The table is consistent: one setting per flag and per YAML key, every
// flag of serve but --config from it, each default shown by its flag as
// defaults() reads it.
func TestSettingsTable(t *testing.T) {
	flags, keys := map[string]bool{}, map[string]bool{}
	for _, s := range settings {
		if s.flag != "" && flags[s.flag] || keys[s.yaml] {
			t.Errorf("%s: flag or YAML key used twice", s.name())
		}
		flags[s.flag], keys[s.yaml] = true, true
		if s.yaml == "" || (s.flag != "" && s.usage == "") {
			t.Errorf("%s: no YAML key or no usage", s.name())
		}
		if yamlSections[s.yaml] {
			t.Errorf("%s: its YAML key is also a section", s.name())
		}
		if s.flag == "" {
			continue
		}
		f, ok := s.cliFlag().(cli.DocGenerationFlag)
		if !ok {
			t.Fatalf("--%s: no help", s.flag)
		}
		shown := f.GetDefaultText()
		switch {
		case s.defaultText != "":
			if shown != s.defaultText {
				t.Errorf("--%s shows %q, want %q", s.flag, shown, s.defaultText)
			}
		case s.kind == kindText && s.def != "":
			if shown != strconv.Quote(s.def) {
				t.Errorf("--%s shows %q, want %q", s.flag, shown, s.def)
			}
		case shown != s.def:
			t.Errorf("--%s shows %q, want %q", s.flag, shown, s.def)
		}
		if strings.Contains(s.usage, "(default") {
			t.Errorf("--%s: the usage states a default of its own: %q", s.flag, s.usage)
		}
	}
	cfg := defaults()
	if cfg.BatchLimit != 1000 || cfg.DefaultDuration != time.Hour || cfg.Mode != "static" || !cfg.S3.PathStyle || cfg.CredentialsEnabled ||
		cfg.MaxInflightBytes != 0 || cfg.APIKeys.MaxPerUser != 20 || cfg.LogLevel != "info" {
		t.Errorf("defaults: %+v", cfg)
	}
}

// Each setting comes from its default, then the YAML file, then its
// variable, then its flag; a flag's default never hides the file's value.
// Durations are seconds or Go durations wherever they are written.
func TestSettingsPrecedence(t *testing.T) {
	dir := t.TempDir()
	policyFile := filepath.Join(dir, "policy.yaml")
	writeFile(t, policyFile, "rules: []\n")
	yamlFile := filepath.Join(dir, "signer.yaml")
	writeFile(t, yamlFile, `
batch_limit: 7
default_duration: 90
min_duration: 1m30s
max_inflight_bytes: 16777216
s3: {path_style: false, region: eu-west-3}
log_level: debug
exchange: {scope: openid}
`)
	static := append([]string{"--config", yamlFile, "--policy", policyFile}, baseArgs...)

	cfg, err := loadArgs(t, static...)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BatchLimit != 7 || cfg.DefaultDuration != 90*time.Second || cfg.MinDuration != 90*time.Second || cfg.MaxInflightBytes != 16<<20 ||
		cfg.S3.PathStyle || cfg.S3.Region != "eu-west-3" || cfg.LogLevel != "debug" || cfg.Exchange.Scope != "openid" {
		t.Errorf("the file's values: %+v", cfg)
	}
	if cfg.RateBurst != 200 || cfg.MaxDuration != 168*time.Hour {
		t.Errorf("the defaults under the file: burst %d, max %v", cfg.RateBurst, cfg.MaxDuration)
	}

	t.Setenv("SIGNER_BATCH_LIMIT", "8")
	t.Setenv("SIGNER_S3_PATH_STYLE", "true")
	t.Setenv("SIGNER_DEFAULT_DURATION", "2h")
	cfg, err = loadArgs(t, static...)
	if err != nil || cfg.BatchLimit != 8 || !cfg.S3.PathStyle || cfg.DefaultDuration != 2*time.Hour {
		t.Fatalf("variables over the file: %v %+v", err, cfg)
	}
	cfg, err = loadArgs(t, append([]string{"--batch-limit", "9", "--s3-path-style=false", "--default-duration", "120", "--credentials-enabled=false"}, static...)...)
	if err != nil || cfg.BatchLimit != 9 || cfg.S3.PathStyle || cfg.DefaultDuration != 2*time.Minute {
		t.Fatalf("flags over the variables: %v %+v", err, cfg)
	}
}
