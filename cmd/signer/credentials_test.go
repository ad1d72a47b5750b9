package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"
	"gitlab.com/eocat/eocat/internal/testenv"
)

// loadCredentialsArgs runs load on serve's flags and the given arguments.
func loadCredentialsArgs(t *testing.T, args ...string) (*Config, error) {
	t.Helper()
	var cfg *Config
	var err error
	app := &cli.App{Flags: serveFlags(), Writer: io.Discard, ErrWriter: io.Discard, ExitErrHandler: func(*cli.Context, error) {},
		Action: func(c *cli.Context) error { cfg, err = load(c); return nil }}
	if runErr := app.Run(append([]string{"signer"}, args...)); runErr != nil {
		t.Fatal(runErr)
	}
	return cfg, err
}

func TestCredentialsConfigProblemsAreListed(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "signer.yaml")
	writeFile(t, cfg, `
mode: sts
issuers: [https://idp.example.org]
audiences: [signer]
s3: {endpoint: https://s3.example.org, buckets: [eodata]}
credentials_max_duration: 13h
credentials_enabled: true
collections:
  good: s3://eodata/sentinel-2/
  "bad id": s3://eodata/x/
  elsewhere: s3://other/x/
  wild: s3://eodata/users/*/
  escape: s3://eodata/a/../b/
`)
	_, err := loadCredentialsArgs(t, "--config", cfg)
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"credentials-max-duration 13h: STS sessions last 15m to 12h", `collection "bad id": an id is`, `collection elsewhere: href not on the managed storage: bucket "other"`,
		"collection wild: invalid href: * ? and $", `collection escape: invalid href: ".." segment`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "collection good") {
		t.Errorf("a good collection is reported:\n%v", err)
	}

	base := []string{"--issuer", "https://idp.example.org", "--audience", "signer", "--s3-endpoint", "https://s3.example.org", "--s3-bucket", "eodata"}
	policy := filepath.Join(t.TempDir(), "policy.yaml")
	writeFile(t, policy, "rules: []\n")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--mode", "static", "--policy", policy, "--collection", "s2=s3://eodata/s2/"}, "collection: POST /credentials needs mode sts"},
		{[]string{"--mode", "sts", "--sts-session-policy", `{"Version":"2012-10-17","Statement":[]}`, "--collection", "s2=s3://eodata/s2/"}, "POST /credentials is off when sts-session-policy is set"},
		{[]string{"--mode", "sts", "--collection", "s2"}, `--collection "s2": want ID=s3://bucket/folder/`},
		{[]string{"--mode", "sts", "--credentials-max-duration", "5m"}, "credentials-max-duration 5m: STS sessions last 15m to 12h"},
		{[]string{"--mode", "sts", "--collection", "s2=s3://eodata/s2/"}, "collection: the collections are for POST /credentials, which is off; set credentials-enabled"},
		{[]string{"--mode", "static", "--policy", policy, "--credentials-enabled"}, "credentials-enabled: POST /credentials needs mode sts"},
	} {
		if _, err := loadCredentialsArgs(t, append(base, c.args...)...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.args, err, c.want)
		}
	}
}

// TestCredentialsWiring: collections and the longest session come from
// flags or SIGNER_* variables and reach the API; in mode sts POST
// /credentials is served and counted on /metrics.
func TestCredentialsWiring(t *testing.T) {
	idp := testenv.StartOIDCProvider(t)
	t.Setenv("SIGNER_COLLECTION", "s2-l2a=s3://eodata/sentinel-2/l2a/,dem=https://s3.example.org/eodata/dem")
	cfg, err := loadCredentialsArgs(t, "--mode", "sts", "--issuer", idp.URL, "--audience", "signer", "--s3-endpoint", "https://s3.example.org",
		"--s3-bucket", "eodata", "--credentials-max-duration", "2h", "--credentials-enabled")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Collections["s2-l2a"] != "s3://eodata/sentinel-2/l2a/" || cfg.Collections["dem"] != "https://s3.example.org/eodata/dem" ||
		cfg.CredentialsMaxDuration != 2*time.Hour {
		t.Fatalf("loaded %v, %v", cfg.Collections, cfg.CredentialsMaxDuration)
	}
	if d := defaults().CredentialsMaxDuration; d != time.Hour {
		t.Errorf("default credentials-max-duration %v, want 1h", d)
	}
	api, err := buildAPI(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api)
	defer srv.Close()
	req, _ := http.NewRequest("POST", srv.URL+"/credentials", strings.NewReader(`{"collection": "nope"}`))
	req.Header.Set("Authorization", "Bearer "+idp.Token(t, "alice", "signer", nil))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if resp.StatusCode != 404 || body["error"] != "not_found" || !strings.Contains(body["detail"], `unknown collection "nope"`) {
		t.Errorf("unknown collection: %d %v", resp.StatusCode, body)
	}
	if _, metrics := testenv.Fetch(t, "GET", srv.URL+"/metrics", nil); !strings.Contains(metrics, "signer_credentials_issued_total 0") {
		t.Error("metrics lack signer_credentials_issued_total")
	}
	// Off unless enabled: the same signer without --credentials-enabled.
	cfg.CredentialsEnabled = false
	off, err := buildAPI(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	offSrv := httptest.NewServer(off)
	defer offSrv.Close()
	req, _ = http.NewRequest("POST", offSrv.URL+"/credentials", strings.NewReader(`{"collection": "s2-l2a"}`))
	req.Header.Set("Authorization", "Bearer "+idp.Token(t, "alice", "signer", nil))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body = nil
	_ = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if resp.StatusCode != 404 || body["error"] != "not_supported" || !strings.Contains(body["detail"], "--credentials-enabled") {
		t.Errorf("POST /credentials not enabled: %d %v", resp.StatusCode, body)
	}
}
