//go:build linux

// S3 for tests: StartVersityGW runs a real S3 server (versitygw, posix backend)
// privately for one test, on a free loopback port, with its data in
// t.TempDir(). Requests are really SigV4-verified, so a test that passes here
// proves something about signing, unlike an in-process fake.
//
// The binary comes from $EOCAT_VERSITYGW, else the CI tool cache
// ($HOME/.cache/eocat/bin/versitygw-v1.8.0, filled by `.ci/tools.sh versitygw`),
// else `versitygw` on PATH. Without one the test is skipped locally and fails
// under CI=true (see Missing).
//
// The server runs in its own process group, killed (with any child) by Stop,
// which t.Cleanup calls; its stdout/stderr are kept (the last 64 KiB) and
// logged when the test fails. Linux only (process groups, xattr probe).

package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// VersityGWVersion is the versitygw release the tests are written against;
// .ci/tools.sh caches it as versitygw-<version>.
const VersityGWVersion = "v1.8.0"

const (
	s3Region        = "us-east-1"
	healthPath      = "/healthz"
	startupDeadline = 20 * time.Second
	logTailBytes    = 64 << 10
)

// S3Server is a running versitygw instance owned by one test.
type S3Server struct {
	Endpoint  string // base URL, e.g. http://127.0.0.1:41234 (path-style)
	Region    string // us-east-1
	AccessKey string // root user's access key
	SecretKey string // root user's secret key (random per server)
	DataDir   string // posix backend root: objects live at DataDir/<bucket>/<key>

	cmd      *exec.Cmd
	cancel   context.CancelFunc
	logs     *tailBuffer
	done     chan struct{} // closed once the process has been reaped
	waitErr  error         // cmd.Wait's result, valid after done
	stopOnce sync.Once
	stopped  chan struct{} // closed when Stop was called
}

// StartVersityGW starts a private versitygw (posix backend in t.TempDir()) on a
// free loopback port, waits for its health endpoint (with a deadline), and
// stops it in t.Cleanup. Binary: $EOCAT_VERSITYGW, else
// $HOME/.cache/eocat/bin/versitygw-v1.8.0, else `versitygw` on PATH; when
// none is found: Missing (skip locally, FAIL under CI=true).
func StartVersityGW(t testing.TB) *S3Server {
	t.Helper()
	bin, err := versityGWBinary()
	if err != nil {
		Missing(t, "versitygw %s: %v (install it with .ci/tools.sh versitygw)", VersityGWVersion, err)
	}
	dataDir := t.TempDir()
	var extra []string
	if !supportsUserXattr(dataDir) {
		// versitygw keeps object metadata (ETag, content type) in user xattrs;
		// tmpfs on older kernels has none, so keep it in a sidecar folder then.
		extra = append(extra, "--sidecar", t.TempDir())
	}

	// The port is chosen by listening on :0 and closing; another process may
	// grab it before versitygw binds, so retry a few times on early exit.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		s, err := startVersityGW(bin, dataDir, extra)
		if err == nil {
			t.Cleanup(func() {
				s.Stop()
				if t.Failed() {
					t.Logf("versitygw output (last %d bytes):\n%s", logTailBytes, s.logs.String())
				} else if s.exitedUnexpectedly() {
					t.Errorf("versitygw at %s exited by itself: %v\n%s", s.Endpoint, s.waitErr, s.logs.String())
				}
			})
			return s
		}
		lastErr = err
		if !errors.Is(err, errExitedEarly) {
			break
		}
	}
	t.Fatalf("starting versitygw (%s): %v", bin, lastErr)
	return nil
}

var errExitedEarly = errors.New("versitygw exited before becoming healthy")

func startVersityGW(bin, dataDir string, extra []string) (*S3Server, error) {
	port, err := freeLoopbackPort()
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", port)
	secret := make([]byte, 16)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	s := &S3Server{
		Endpoint:  "http://" + addr,
		Region:    s3Region,
		AccessKey: "eocat-test",
		SecretKey: hex.EncodeToString(secret),
		DataDir:   dataDir,
		logs:      &tailBuffer{max: logTailBytes},
		done:      make(chan struct{}),
		stopped:   make(chan struct{}),
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	args := []string{
		"--port", addr,
		"--access", s.AccessKey,
		"--secret", s.SecretKey,
		"--region", s.Region,
		"--health", healthPath,
		"--quiet",
		"posix",
	}
	args = append(args, extra...)
	args = append(args, dataDir)
	cmd := exec.CommandContext(ctx, bin, args...)
	// Credentials and settings come from the flags only: drop VGW_*/ROOT_* from
	// the environment so a developer's shell cannot change the server.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VGW_") && !strings.HasPrefix(kv, "ROOT_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Stdout = s.logs
	cmd.Stderr = s.logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error {
		// Kill the whole process group so nothing outlives the test.
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, err
	}
	s.cmd = cmd
	go func() {
		s.waitErr = cmd.Wait()
		close(s.done)
	}()

	if err := s.waitHealthy(startupDeadline); err != nil {
		s.Stop()
		return nil, fmt.Errorf("%w\n--- versitygw output ---\n%s", err, s.logs.String())
	}
	return s, nil
}

func (s *S3Server) waitHealthy(deadline time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	timeout := time.After(deadline)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := client.Get(s.Endpoint + healthPath)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.done:
			return fmt.Errorf("%w: %v", errExitedEarly, s.waitErr)
		case <-timeout:
			return fmt.Errorf("versitygw not healthy at %s%s after %v (last: %v)", s.Endpoint, healthPath, deadline, err)
		case <-tick.C:
		}
	}
}

// Stop kills the server (and its process group) now and waits until it is
// reaped. Used by t.Cleanup, and by tests simulating a server dying mid-way.
// Safe to call more than once.
func (s *S3Server) Stop() {
	s.stopOnce.Do(func() {
		close(s.stopped)
		s.cancel()
		<-s.done
	})
}

func (s *S3Server) exitedUnexpectedly() bool {
	select {
	case <-s.stopped:
		return false
	default:
	}
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// Client returns an S3 client for the server: path-style addressing, the
// root user's static credentials, region us-east-1. No shared config or
// environment is read.
func (s *S3Server) Client(t testing.TB) *s3.Client {
	t.Helper()
	return s3.New(s3.Options{
		Region:       s.Region,
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
	})
}

// CreateBucket creates bucket or fails the test.
func (s *S3Server) CreateBucket(t testing.TB, bucket string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.Client(t).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateBucket %q: %v", bucket, err)
	}
}

// PutDir uploads every regular file under localDir with PutObject (so that
// objects have ETags, unlike files dropped into DataDir) as
// <prefix>/<path relative to localDir>, with "/" separators, and returns how
// many objects it wrote. prefix may be "".
func (s *S3Server) PutDir(t testing.TB, bucket, prefix, localDir string) int {
	t.Helper()
	client := s.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	n := 0
	err := filepath.WalkDir(localDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(localDir, p)
		if err != nil {
			return err
		}
		key := path.Join(prefix, filepath.ToSlash(rel))
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close() //nolint:errcheck // read only; PutObject reports a failed read
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		_, err = client.PutObject(ctx, &s3.PutObjectInput{
			Bucket:        aws.String(bucket),
			Key:           aws.String(key),
			Body:          f,
			ContentLength: aws.Int64(fi.Size()),
			ContentType:   aws.String(contentType(key)),
		})
		if err != nil {
			return fmt.Errorf("PutObject s3://%s/%s: %w", bucket, key, err)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatalf("PutDir %s -> s3://%s/%s: %v", localDir, bucket, prefix, err)
	}
	return n
}

// contentType is a fixed table, so uploads do not depend on the machine's
// mime.types.
func contentType(key string) string {
	switch strings.ToLower(path.Ext(key)) {
	case ".tif", ".tiff":
		return "image/tiff; application=geotiff"
	case ".json", ".geojson":
		return "application/json"
	case ".png":
		return "image/png"
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".xml":
		return "application/xml"
	case ".txt", ".md":
		return "text/plain; charset=utf-8"
	}
	return "application/octet-stream"
}

func versityGWBinary() (string, error) {
	if p := os.Getenv("EOCAT_VERSITYGW"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("$EOCAT_VERSITYGW: %w", err)
		}
		return p, nil
	}
	if home, err := os.UserHomeDir(); err == nil {
		p := filepath.Join(home, ".cache", "eocat", "bin", "versitygw-"+VersityGWVersion)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	p, err := exec.LookPath("versitygw")
	if err != nil {
		return "", errors.New("not in $EOCAT_VERSITYGW, ~/.cache/eocat/bin nor PATH")
	}
	return p, nil
}

func freeLoopbackPort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close() //nolint:errcheck // only its port was wanted
	_, port, err := net.SplitHostPort(l.Addr().String())
	return port, err
}

// supportsUserXattr reports whether dir's filesystem accepts user.* xattrs.
func supportsUserXattr(dir string) bool {
	f, err := os.CreateTemp(dir, ".xattr-probe-")
	if err != nil {
		return false
	}
	name := f.Name()
	_ = f.Close()                          // empty: nothing to flush
	defer func() { _ = os.Remove(name) }() // a probe file in a temporary folder
	return syscall.Setxattr(name, "user.eocat.probe", []byte("1"), 0) == nil
}

// tailBuffer is an io.Writer, safe for concurrent use, keeping the last max bytes.
type tailBuffer struct {
	mu        sync.Mutex
	buf       bytes.Buffer
	max       int
	truncated bool
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if over := b.buf.Len() - b.max; over > 0 {
		b.buf.Next(over)
		rest := append([]byte(nil), b.buf.Bytes()...)
		b.buf.Reset()
		b.buf.Write(rest)
		b.truncated = true
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.truncated {
		return "[…]" + b.buf.String()
	}
	return b.buf.String()
}
