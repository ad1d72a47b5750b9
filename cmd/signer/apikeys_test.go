package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/urfave/cli/v2"
	"gitlab.com/eocat/eocat/internal/testenv"
)

// loadArgs runs load() on serve's flags and args.
func loadArgs(t *testing.T, args ...string) (*Config, error) {
	t.Helper()
	var cfg *Config
	var err error
	app := &cli.App{Name: "signer", Writer: io.Discard, ErrWriter: io.Discard, ExitErrHandler: func(*cli.Context, error) {},
		Flags: serveFlags(), Action: func(c *cli.Context) error { cfg, err = load(c); return nil }}
	if runErr := app.Run(append([]string{"signer"}, args...)); runErr != nil {
		t.Fatal(runErr)
	}
	return cfg, err
}

var baseArgs = []string{"--issuer", "https://idp.example.org", "--audience", "signer", "--s3-endpoint", "https://s3.example.org", "--s3-bucket", "eodata"}

func TestAPIKeyConfig(t *testing.T) {
	dir := t.TempDir()
	policyFile := filepath.Join(dir, "policy.yaml")
	writeFile(t, policyFile, "rules: []\n")
	static := append([]string{"--policy", policyFile}, baseArgs...)

	// Off unless a file is given.
	cfg, err := loadArgs(t, static...)
	if err != nil || cfg.APIKeys.File != "" {
		t.Fatalf("default: %+v %v", cfg.APIKeys, err)
	}

	// YAML keys, then flags and SIGNER_* variables over them.
	yamlFile := filepath.Join(dir, "signer.yaml")
	writeFile(t, yamlFile, "api_keys: {file: /var/lib/signer/keys.json, max_lifetime: 720h, max_per_user: 5}\n")
	cfg, err = loadArgs(t, append([]string{"--config", yamlFile}, static...)...)
	if err != nil || cfg.APIKeys.File != "/var/lib/signer/keys.json" || cfg.APIKeys.MaxLifetime != 720*time.Hour || cfg.APIKeys.MaxPerUser != 5 {
		t.Fatalf("yaml: %+v %v", cfg.APIKeys, err)
	}
	t.Setenv("SIGNER_API_KEYS_FILE", "/srv/keys.json")
	t.Setenv("SIGNER_API_KEYS_MAX_PER_USER", "3")
	cfg, err = loadArgs(t, append([]string{"--config", yamlFile, "--api-keys-max-lifetime", "86400"}, static...)...)
	if err != nil || cfg.APIKeys.File != "/srv/keys.json" || cfg.APIKeys.MaxLifetime != 24*time.Hour || cfg.APIKeys.MaxPerUser != 3 {
		t.Fatalf("flags and variables: %+v %v", cfg.APIKeys, err)
	}
	if err := os.Unsetenv("SIGNER_API_KEYS_FILE"); err != nil {
		t.Fatal(err)
	}
	if err := os.Unsetenv("SIGNER_API_KEYS_MAX_PER_USER"); err != nil {
		t.Fatal(err)
	}

	// Every problem is reported.
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"sts": {append([]string{"--mode", "sts", "--api-keys-file", "k.json"}, baseArgs...),
			"api-keys-file: API keys need mode static"},
		"lifetime": {append([]string{"--api-keys-file", "k.json", "--api-keys-max-lifetime", "-1h"}, static...),
			"api-keys-max-lifetime -1h: want a positive duration"},
		"too long": {append([]string{"--api-keys-file", "k.json", "--api-keys-max-lifetime", "100000h"}, static...),
			"api-keys-max-lifetime 100000h: want a positive duration of at most 87600h"},
		"per user": {append([]string{"--api-keys-file", "k.json", "--api-keys-max-per-user", "5000"}, static...),
			"api-keys-max-per-user 5000: want 1..1000"},
		"no file": {append([]string{"--api-keys-max-per-user", "3"}, static...),
			"API keys are off; set api-keys-file"},
	} {
		if _, err := loadArgs(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
}

// TestServeWithAPIKeys runs `signer serve` with API keys: a key created over
// HTTP signs a URL that fetches the object, is kept hashed in the file, and
// still works after a restart (the file lock is released at shutdown).
func TestServeWithAPIKeys(t *testing.T) {
	s3srv := testenv.StartVersityGW(t)
	s3srv.CreateBucket(t, "eodata")
	if _, err := s3srv.Client(t).PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("eodata"), Key: aws.String("users/alice/a.tif"), Body: strings.NewReader("alice")}); err != nil {
		t.Fatal(err)
	}
	idp := testenv.StartOIDCProvider(t)
	dir := t.TempDir()
	policyFile := filepath.Join(dir, "policy.yaml")
	writeFile(t, policyFile, "rules:\n  - {allow: [GET], resources: [\"eodata/users/${jwt:sub}/*\"]}\n")
	keyFile := filepath.Join(dir, "state", "apikeys.json")
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": s3srv.AccessKey, "AWS_SECRET_ACCESS_KEY": s3srv.SecretKey,
		"AWS_CONFIG_FILE": filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "none"),
		"SIGNER_ISSUER": idp.URL, "SIGNER_AUDIENCE": "signer", "SIGNER_S3_ENDPOINT": s3srv.Endpoint,
		"SIGNER_S3_BUCKET": "eodata", "SIGNER_POLICY": policyFile, "SIGNER_API_KEYS_FILE": keyFile,
	} {
		t.Setenv(k, v)
	}
	serve := func() (string, func()) {
		addr := freeAddr(t)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		logs := &testenv.LockedBuffer{}
		go func() {
			done <- newApp(io.Discard, logs).RunContext(ctx, []string{"signer", "serve", "--listen", addr})
		}()
		base := "http://" + addr
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			if resp, err := http.Get(base + "/healthz"); err == nil {
				resp.Body.Close()
				break
			}
			select {
			case err := <-done:
				t.Fatalf("serve: %v\n%s", err, logs.String())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("signer did not start\n%s", logs.String())
			}
		}
		return base, func() {
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("serve returned %v", err)
			}
		}
	}
	get := func(method, u string, hdr map[string]string) (int, []byte) {
		req, _ := http.NewRequest(method, u, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	href := s3srv.Endpoint + "/eodata/users/alice/a.tif"
	signWithKey := func(base string, key map[string]string) (int, string) {
		code, body := get("POST", base+"/sign_urls?urls="+url.QueryEscape(href), map[string]string{"access-key": key["access-key"], "secret-key": key["secret-key"]})
		if code != 200 {
			return code, string(body)
		}
		var out struct{ Hrefs map[string]string }
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatalf("sign_urls answered %s: %v", body, err)
		}
		return code, out.Hrefs[href]
	}

	base, stop := serve()
	code, body := get("GET", base+"/create_api_key?description=batch+job", map[string]string{"Authorization": "Bearer " + idp.Token(t, "alice", "signer", nil)})
	var key map[string]string
	if err := json.Unmarshal(body, &key); code != 200 || err != nil {
		t.Fatalf("create_api_key: %d %s", code, body)
	}
	code, signed := signWithKey(base, key)
	if code != 200 {
		t.Fatalf("sign with the key: %d %s", code, signed)
	}
	if c, b := testenv.Fetch(t, "GET", signed, nil); c != 200 || b != "alice" {
		t.Fatalf("object: %d %q", c, b)
	}
	stop()

	data, err := os.ReadFile(keyFile)
	if err != nil || !strings.Contains(string(data), key["access-key"]) || strings.Contains(string(data), key["secret-key"]) {
		t.Fatalf("key file (%v):\n%s", err, data)
	}
	if fi, _ := os.Stat(keyFile); fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v", fi.Mode())
	}

	base, stop = serve()
	defer stop()
	if code, signed := signWithKey(base, key); code != 200 || !strings.Contains(signed, "X-Amz-Signature") {
		t.Fatalf("the key after a restart: %d %s", code, signed)
	}
	if code, body := signWithKey(base, map[string]string{"access-key": key["access-key"], "secret-key": key["secret-key"] + "x"}); code != 401 {
		t.Fatalf("wrong secret after a restart: %d %s", code, body)
	}
}
