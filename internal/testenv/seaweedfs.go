//go:build linux

package testenv

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// SeaweedFSVersion is the SeaweedFS build .ci/tools.sh installs.
const SeaweedFSVersion = "v0.0.0-20261109003541-7506e5f91cd6"

// SeaweedFS is a SeaweedFS server ("weed mini") with STS and policies that
// use OIDC claim variables: what the signer's sts mode is tested against.
type SeaweedFS struct {
	Endpoint             string // S3 and STS, http://127.0.0.1:8333
	AccessKey, SecretKey string // an admin identity
}

// StartSeaweedFS starts weed mini with the given advanced IAM configuration
// (sts, providers, policy, policies, roles; an admin identity is added) and
// stops it when the test ends. It binds SeaweedFS's fixed loopback ports
// (8333, 9333, 8888, …): test binaries that start it concurrently take
// turns through a lock file.
func StartSeaweedFS(t testing.TB, iam map[string]any) *SeaweedFS {
	t.Helper()
	lockPorts(t, filepath.Join(os.TempDir(), "eocat-seaweedfs.lock"))
	bin := os.Getenv("EOCAT_WEED")
	if bin == "" {
		home, _ := os.UserHomeDir()
		bin = filepath.Join(home, ".cache", "eocat", "bin", "seaweedfs-"+SeaweedFSVersion)
	}
	if _, err := os.Stat(bin); err != nil {
		Missing(t, "SeaweedFS %s: %v (install it with .ci/tools.sh seaweedfs)", SeaweedFSVersion, err)
	}
	s := &SeaweedFS{Endpoint: "http://127.0.0.1:8333", AccessKey: "weed-admin", SecretKey: "weed-admin-secret"}
	iam["identities"] = []any{map[string]any{"name": "admin",
		"credentials": []any{map[string]any{"accessKey": s.AccessKey, "secretKey": s.SecretKey}},
		"actions":     []string{"Admin", "Read", "Write", "List"}}}
	dir := t.TempDir()
	raw, err := json.Marshal(iam)
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "iam.json")
	if err := os.WriteFile(cfg, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &tailBuffer{max: logTailBytes}
	cmd := exec.Command(bin, "mini", "-dir="+filepath.Join(dir, "data"), "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
		"-s3.config="+cfg, "-s3.iam.config="+cfg, "-webdav=false", "-s3.port.iceberg=0", "-s3.port.lance=0", "-admin.ui=false")
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting SeaweedFS: %v", err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("SeaweedFS output (tail):\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(s.Endpoint + "/status")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("SeaweedFS not ready after 60 s: %v\n%s", err, logs.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// WebIdentityIAM is a SeaweedFS IAM configuration (for StartSeaweedFS) that
// trusts one OpenID Provider (tokens for clientID, keys at jwksURL) for
// AssumeRoleWithWebIdentity into the role arn:aws:iam::role/<role>, whose
// policy has the given statements; everything else is denied.
func WebIdentityIAM(issuer, clientID, jwksURL, role string, statements ...map[string]any) map[string]any {
	stmts := make([]any, len(statements))
	for i, st := range statements {
		stmts[i] = st
	}
	return map[string]any{
		"sts": map[string]any{"tokenDuration": "1h", "maxSessionLength": "12h", "issuer": "seaweedfs-sts",
			"signingKey": base64.StdEncoding.EncodeToString([]byte("test-signing-key-32-bytes-long!!"))},
		"providers": []any{map[string]any{"name": "idp", "type": "oidc", "enabled": true,
			"config": map[string]any{"issuer": issuer, "clientId": clientID, "jwksUri": jwksURL}}},
		"policy":   map[string]any{"defaultEffect": "Deny", "storeType": "memory"},
		"policies": []any{map[string]any{"name": role + "-policy", "document": map[string]any{"Version": "2012-10-17", "Statement": stmts}}},
		"roles": []any{map[string]any{"roleName": role, "roleArn": "arn:aws:iam::role/" + role, "attachedPolicies": []string{role + "-policy"},
			"trustPolicy": map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow",
				"Principal": map[string]any{"Federated": "idp"}, "Action": []string{"sts:AssumeRoleWithWebIdentity"}}}}}},
	}
}

// lockPorts holds an exclusive lock on path until the test ends, waiting for
// another process that holds it.
func lockPorts(t testing.TB, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		_ = f.Close() // not locked; the Fatalf says why
		t.Fatalf("locking %s: %v", path, err)
	}
	t.Cleanup(func() { _ = f.Close() }) // closing releases the lock
}

// Client is an admin S3 client.
func (s *SeaweedFS) Client() *s3.Client {
	return s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(s.Endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, "")})
}

// Put writes objects (key → content) into bucket, creating it.
func (s *SeaweedFS) Put(t testing.TB, bucket string, objects map[string]string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := s.Client()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateBucket %s: %v", bucket, err)
	}
	for k, v := range objects {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), Body: strings.NewReader(v)}); err != nil {
			t.Fatalf("PutObject %s: %v", k, err)
		}
	}
}
