package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gitlab.com/eocat/eocat/internal/testenv"
)

func run(ctx context.Context, args ...string) (string, string, error) {
	var stdout, stderr bytes.Buffer
	err := newApp(&stdout, &stderr).RunContext(ctx, append([]string{"signer"}, args...))
	return stdout.String(), stderr.String(), err
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close() //nolint:errcheck // only its port was wanted
	return ln.Addr().String()
}

// writeFile writes text at path (a configuration or policy file).
func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestConfigProblemsAreAllListed(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "signer.yaml")
	writeFile(t, cfg, "mode: magic\ns3: {endpoint: 'ftp://x'}\nmax_duration: 200h\nbatch_limit: 0\n")
	_, _, err := run(context.Background(), "serve", "--config", cfg, "--issuer", "not a url")
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{`issuer "not a url"`, "audience: at least one", `mode "magic"`, `s3-endpoint "ftp://x"`, "s3-bucket", "max-duration", "batch-limit 0"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	writeFile(t, cfg, "unknown_key: 1\n")
	if _, _, err := run(context.Background(), "serve", "--config", cfg); err == nil || !strings.Contains(err.Error(), "unknown_key") {
		t.Errorf("unknown key: %v", err)
	}
}

// TestServeAndSignEndToEnd runs `signer serve` (static mode, credentials
// from the standard AWS chain) and `signer sign` against versitygw and an
// OpenID Provider, then shuts the server down gracefully.
func TestServeAndSignEndToEnd(t *testing.T) {
	s3srv := testenv.StartVersityGW(t)
	s3srv.CreateBucket(t, "eodata")
	if _, err := s3srv.Client(t).PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("eodata"), Key: aws.String("s2/B02.tif"), Body: strings.NewReader("blue")}); err != nil {
		t.Fatal(err)
	}
	idp := testenv.StartOIDCProvider(t)
	dir := t.TempDir()
	policyFile := filepath.Join(dir, "policy.yaml")
	writeFile(t, policyFile, "rules:\n  - {allow: [GET, HEAD], resources: [\"eodata/s2/*\"]}\n")
	t.Setenv("AWS_ACCESS_KEY_ID", s3srv.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", s3srv.SecretKey)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none"))
	t.Setenv("SIGNER_ISSUER", idp.URL)
	t.Setenv("SIGNER_AUDIENCE", "signer")
	t.Setenv("SIGNER_S3_ENDPOINT", s3srv.Endpoint)
	t.Setenv("SIGNER_S3_BUCKET", "eodata")
	t.Setenv("SIGNER_POLICY", policyFile)
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var serveErr bytes.Buffer
	go func() {
		err := newApp(io.Discard, &serveErr).RunContext(ctx, []string{"signer", "serve", "--listen", addr, "--log-format", "text"})
		done <- err
	}()
	base := "http://" + addr
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil && resp.StatusCode == 200 {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("signer did not start: %v\n%s", err, serveErr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if resp, err := http.Get(base + "/readyz"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("readyz: %v %v", resp, err)
	}
	// The IdP token endpoint, discovered by the verifier, is where DINAMIS
	// clients look for it.
	if _, body := testenv.Fetch(t, "GET", base+"/openapi.json", nil); !strings.Contains(body, `"tokenUrl":"`+idp.URL+`/token"`) {
		t.Errorf("openapi.json lacks the discovered tokenUrl %s/token", idp.URL)
	}

	tok := idp.Token(t, "alice", "signer", nil)
	stdout, stderr, err := run(context.Background(), "sign", "--endpoint", base, "--token", tok, "s3://eodata/s2/B02.tif")
	if err != nil {
		t.Fatalf("sign: %v\n%s", err, stderr)
	}
	u := strings.TrimSpace(stdout)
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "blue" {
		t.Fatalf("signed URL %s: %d %q", u, resp.StatusCode, body)
	}
	if _, _, err := run(context.Background(), "sign", "--endpoint", base, "--token", tok, "s3://eodata/private/x.tif"); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("policy denial through the CLI: %v", err)
	}
	if _, _, err := run(context.Background(), "sign", "--endpoint", base, "--token", "garbage", "s3://eodata/s2/B02.tif"); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("bad token through the CLI: %v", err)
	}

	cancel() // SIGTERM
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(25 * time.Second):
		t.Fatal("no graceful shutdown")
	}
	if !strings.Contains(serveErr.String(), "shutting down") {
		t.Errorf("no shutdown log:\n%s", serveErr.String())
	}
}
