package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gitlab.com/eocat/eocat/internal/signer"
	"gitlab.com/eocat/eocat/internal/testenv"
)

// startServe runs `signer serve` with args (and --listen on a free port)
// until the test ends, with the storage credentials of s3srv in the AWS
// environment, and returns its base URL and its log.
func startServe(t *testing.T, s3srv *testenv.S3Server, args ...string) (string, *testenv.LockedBuffer) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("AWS_ACCESS_KEY_ID", s3srv.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", s3srv.SecretKey)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none"))
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	logs := &testenv.LockedBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- newApp(io.Discard, logs).RunContext(ctx, append([]string{"signer", "serve", "--listen", addr}, args...))
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("signer serve: %v", err)
			}
		case <-time.After(25 * time.Second):
			t.Error("signer serve did not stop")
		}
	})
	base := "http://" + addr
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case err := <-done:
			t.Fatalf("signer serve exited: %v\n%s", err, logs.String())
		default:
		}
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return base, logs
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("signer did not start: %v\n%s", err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestLimitSettings(t *testing.T) {
	dir := t.TempDir()
	policyFile := filepath.Join(dir, "policy.yaml")
	writeFile(t, policyFile, "rules: []\n")
	static := append([]string{"--policy", policyFile}, baseArgs...)

	cfg, err := loadArgs(t, static...)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MinDuration != time.Minute || cfg.ClockSkew != 30*time.Second || cfg.MaxInflightBytes != 0 ||
		cfg.MaxHeaderBytes != 65536 || cfg.ProbeInterval != 5*time.Second {
		t.Errorf("defaults: min %v, skew %v, inflight %d, headers %d, probe %v", cfg.MinDuration, cfg.ClockSkew,
			cfg.MaxInflightBytes, cfg.MaxHeaderBytes, cfg.ProbeInterval)
	}
	yamlFile := filepath.Join(dir, "signer.yaml")
	writeFile(t, yamlFile, "min_duration: 5m\nclock_skew: 10s\nmax_inflight_bytes: 67108864\nmax_header_bytes: 32768\nprobe_interval: 2s\n")
	cfg, err = loadArgs(t, append([]string{"--config", yamlFile}, static...)...)
	if err != nil || cfg.MinDuration != 5*time.Minute || cfg.ClockSkew != 10*time.Second ||
		cfg.MaxInflightBytes != 64<<20 || cfg.MaxHeaderBytes != 32768 || cfg.ProbeInterval != 2*time.Second {
		t.Fatalf("yaml: %+v %v", cfg, err)
	}
	t.Setenv("SIGNER_CLOCK_SKEW", "0")
	cfg, err = loadArgs(t, append([]string{"--config", yamlFile, "--min-duration", "90"}, static...)...)
	if err != nil || cfg.ClockSkew != 0 || cfg.MinDuration != 90*time.Second {
		t.Fatalf("flags and variables: %+v %v", cfg, err)
	}
	if err := os.Unsetenv("SIGNER_CLOCK_SKEW"); err != nil {
		t.Fatal(err)
	}

	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"min above default": {[]string{"--min-duration", "2h"}, "min-duration 2h: want 1s ≤ min-duration ≤ default-duration (1h)"},
		"min zero":          {[]string{"--min-duration", "0"}, "min-duration 0s"},
		"skew":              {[]string{"--clock-skew", "10m"}, "clock-skew 10m: want 0 to 5m"},
		"negative skew":     {[]string{"--clock-skew", "-1s"}, "clock-skew -1s"},
		"inflight":          {[]string{"--max-inflight-bytes", "1000"}, "max-inflight-bytes 1000: want at least 8388608"},
		"headers":           {[]string{"--max-header-bytes", "100"}, "max-header-bytes 100: want 8192 to 1048576"},
		"probe":             {[]string{"--probe-interval", "1ms"}, "probe-interval 1ms: want 100ms to 10m"},
	} {
		if _, err := loadArgs(t, append(tc.args, static...)...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
	if signer.DefaultInflightBytes() < signer.MaxSTACBody {
		t.Errorf("default budget %d below one /sign/stac body", signer.DefaultInflightBytes())
	}
}

// The limits through a real `signer serve`: an 87 KB token is the API's JSON
// 431 (net/http's own limit is above it), a 5 s lifetime asked with `signer
// sign` is a 400 naming the range, a token with nbf 240 s ahead is refused
// with the configured clock skew.
func TestServeLimits(t *testing.T) {
	s3srv := testenv.StartVersityGW(t)
	s3srv.CreateBucket(t, "eodata")
	idp := testenv.StartOIDCProvider(t)
	policyFile := filepath.Join(t.TempDir(), "policy.yaml")
	writeFile(t, policyFile, "rules:\n  - {allow: [GET, HEAD], resources: [\"eodata/sentinel-2/*\"]}\n")
	base, logs := startServe(t, s3srv, "--issuer", idp.URL, "--audience", "signer", "--s3-endpoint", s3srv.Endpoint,
		"--s3-bucket", "eodata", "--policy", policyFile, "--clock-skew", "10s")
	href := "s3://eodata/sentinel-2/B02.tif"

	req, _ := http.NewRequest("GET", base+"/sign?href="+href, nil)
	req.Header.Set("Authorization", "Bearer eyJ"+strings.Repeat("A", 87_000))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]string
	err = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 431 || body["error"] != "request_header_too_large" || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), `Bearer error="invalid_request"`) {
		t.Errorf("87 KB token through signer serve: %d %v %v %q", resp.StatusCode, body, err, resp.Header.Get("WWW-Authenticate"))
	}

	tok := idp.Token(t, "alice", "signer", nil)
	_, _, err = run(context.Background(), "sign", "--endpoint", base, "--token", tok, "--duration", "5s", href)
	if err == nil || !strings.Contains(err.Error(), "400 Bad Request: invalid_duration: duration_seconds 5: want a number of seconds from 60 to 604800") {
		t.Errorf("signer sign --duration 5s: %v", err)
	}
	if stdout, stderr, err := run(context.Background(), "sign", "--endpoint", base, "--token", tok, "--duration", "60s", href); err != nil || !strings.Contains(stdout, "X-Amz-Expires=60&") {
		t.Errorf("signer sign --duration 60s: %v %s %s", err, stdout, stderr)
	}
	for _, tc := range []struct {
		nbf  time.Duration
		want string
	}{{240 * time.Second, "401"}, {15 * time.Second, "401"}, {5 * time.Second, ""}} {
		tok := idp.Token(t, "alice", "signer", map[string]any{"nbf": time.Now().Add(tc.nbf).Unix()})
		_, _, err := run(context.Background(), "sign", "--endpoint", base, "--token", tok, href)
		if (tc.want == "" && err != nil) || (tc.want != "" && (err == nil || !strings.Contains(err.Error(), "token not yet valid"))) {
			t.Errorf("nbf in %v with --clock-skew 10s: %v", tc.nbf, err)
		}
	}
	if strings.Contains(logs.String(), "AAAAAAAAAAAA") || strings.Contains(logs.String(), tok) {
		t.Error("a token reached the log")
	}
}
