//go:build linux

package main

// BenchmarkSoak (scripts/bench --soak): `signer serve`, built and run as its
// own process against a real Dex and a real versitygw, under a fixed
// open-loop load for -soak.duration, while the IdP and then the storage are
// stopped and started again. It reports, every -soak.report, the requests
// made, their latency (counted from the scheduled send, so a stalled signer
// cannot hide its queue), the answers by status, the signer's resident set,
// Go heap in use and goroutines (about one per open connection), and at the
// end the latency by kind and the answers by class: ok, expected (401 for
// invalid tokens, 503 during an outage) and unexpected.
//
//	go test ./cmd/signer -run '^$' -bench '^BenchmarkSoak$' -benchtime 1x -timeout 0 \
//	    -soak.duration 10m -soak.get-rate 2000 -soak.post-rate 50 -soak.out soak.md
//
// The load: GET requests at -soak.get-rate per second, of which 70 % GET
// /sign with a valid token, 5 % each GET /sign with an API key, GET
// /api/sas/v1/sign, POST /sign_urls?urls= (DINAMIS), GET /redirect, GET
// /sign with a tampered token and with a malformed one; and POST /sign with
// 64 hrefs at -soak.post-rate per second. Tokens come from Dex's password
// grant and are renewed every 2 minutes, and at once after Dex restarts (a
// restarted Dex signs with a new key). Once a second: GET /readyz, and a GET
// of a presigned URL on the storage.

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gitlab.com/eocat/eocat/internal/testenv"
)

var (
	soakDuration = flag.Duration("soak.duration", 3*time.Minute, "BenchmarkSoak: how long the load runs")
	soakGetRate  = flag.Int("soak.get-rate", 2000, "BenchmarkSoak: GET requests per second (open loop)")
	soakPostRate = flag.Int("soak.post-rate", 50, "BenchmarkSoak: POST /sign with 64 hrefs per second (open loop)")
	soakOutage   = flag.Duration("soak.outage", 20*time.Second, "BenchmarkSoak: how long the IdP, then the storage, are down")
	soakSettle   = flag.Duration("soak.settle", 5*time.Second, "BenchmarkSoak: after an outage, how long 503s still count as expected")
	soakReport   = flag.Duration("soak.report", 10*time.Second, "BenchmarkSoak: reporting interval")
	soakOut      = flag.String("soak.out", "", "BenchmarkSoak: write the markdown report to this file (default: standard output)")
)

// soakResult is one request's outcome.
type soakResult struct {
	due    time.Duration // scheduled send, from the start of the load
	lat    time.Duration // from the scheduled send to the end of the answer
	kind   string
	status int // 0: transport error
}

// soakWindow is an outage: from the stop to the start plus the settle time.
type soakWindow struct {
	what       string
	from, till time.Duration
}

// soakStorage is a versitygw the benchmark stops and starts again on the
// same address and data (testenv's is stopped for good).
type soakStorage struct {
	bin, addr, data, sidecar, access, secret string

	cmd  *exec.Cmd
	done chan struct{}
}

func (s *soakStorage) endpoint() string { return "http://" + s.addr }

func (s *soakStorage) start() error {
	cmd := exec.Command(s.bin, "--port", s.addr, "--access", s.access, "--secret", s.secret, "--region", "us-east-1",
		"--health", "/healthz", "--quiet", "posix", "--sidecar", s.sidecar, s.data)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VGW_") && !strings.HasPrefix(kv, "ROOT_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	s.cmd, s.done = cmd, make(chan struct{})
	go func(done chan struct{}) { _ = cmd.Wait(); close(done) }(s.done)
	client := &http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err := client.Get(s.endpoint() + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
	}
	s.stop()
	return fmt.Errorf("versitygw at %s not healthy", s.addr)
}

func (s *soakStorage) stop() {
	if s.cmd == nil {
		return
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.done
	s.cmd = nil
}

func soakFreeAddr(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close() //nolint:errcheck // only its port was wanted
	return ln.Addr().String()
}

// residentOf is a process's VmRSS in bytes (0 when it cannot be read).
func residentOf(pid int) uint64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close() //nolint:errcheck // read only
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// soakCreds are the credentials the load uses; replaced when tokens are
// renewed.
type soakCreds struct {
	tokens   []string // valid tokens (alice, bob)
	tampered string   // a token whose payload was changed
	access   string   // an API key
	secret   string
}

func BenchmarkSoak(b *testing.B) {
	for b.Loop() {
		runSoak(b)
	}
}

func runSoak(b *testing.B) {
	dir := b.TempDir()
	start := time.Now()

	// The signer binary, as released.
	bin := filepath.Join(dir, "signer")
	build := exec.Command("go", "build", "-o", bin, "./cmd/signer")
	build.Dir = testenv.RepoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build ./cmd/signer: %v\n%s", err, out)
	}

	// The IdP and the storage.
	dex := testenv.StartDex(b, testenv.DexOptions{IDTokenExpiry: 10 * time.Minute})
	vgwBin := os.Getenv("EOCAT_VERSITYGW")
	if vgwBin == "" {
		home, _ := os.UserHomeDir()
		vgwBin = filepath.Join(home, ".cache", "eocat", "bin", "versitygw-"+testenv.VersityGWVersion)
	}
	if _, err := os.Stat(vgwBin); err != nil {
		testenv.Missing(b, "versitygw: %v (.ci/tools.sh versitygw)", err)
	}
	st := &soakStorage{bin: vgwBin, addr: soakFreeAddr(b), data: filepath.Join(dir, "data"), sidecar: filepath.Join(dir, "sidecar"),
		access: "soak", secret: "soak-secret-0123456789"}
	if err := os.MkdirAll(st.data, 0o700); err != nil {
		b.Fatal(err)
	}
	if err := os.MkdirAll(st.sidecar, 0o700); err != nil {
		b.Fatal(err)
	}
	if err := st.start(); err != nil {
		b.Fatal(err)
	}
	defer st.stop()
	s3c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(st.endpoint()), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(st.access, st.secret, "")})
	ctx := context.Background()
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("eodata")}); err != nil {
		b.Fatal(err)
	}
	const objectKey = "sentinel-2/l2a/T31TEJ/B02.tif"
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("eodata"), Key: aws.String(objectKey), Body: strings.NewReader("blue band")}); err != nil {
		b.Fatal(err)
	}

	// The signer, its own process.
	policy := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(policy, []byte("rules:\n  - name: sentinel-2\n    allow: [GET, HEAD]\n    resources: [\"eodata/sentinel-2/*\"]\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	addr := soakFreeAddr(b)
	base := "http://" + addr
	srv := exec.Command(bin, "serve", "--listen", addr, "--issuer", dex.Issuer, "--audience", "signer", "--s3-endpoint", st.endpoint(),
		"--s3-bucket", "eodata", "--policy", policy, "--api-keys-file", filepath.Join(dir, "keys", "apikeys.json"),
		"--rate-limit", "100000", "--rate-burst", "100000", "--probe-interval", "1s")
	srv.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+st.access, "AWS_SECRET_ACCESS_KEY="+st.secret,
		"AWS_CONFIG_FILE="+filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "none"))
	srv.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	// The audit log (a line per URL) is written, to /dev/null: its cost
	// counts, the disk is spared.
	if err := srv.Start(); err != nil {
		b.Fatal(err)
	}
	srvDone := make(chan error, 1)
	go func() { srvDone <- srv.Wait() }()
	defer func() {
		_ = srv.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-srvDone:
			if err != nil {
				b.Logf("signer after SIGTERM: %v", err) // the soak measures the run, not the exit
			}
		case <-time.After(25 * time.Second):
			_ = srv.Process.Kill()
		}
	}()
	client := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{MaxIdleConns: 4096, MaxIdleConnsPerHost: 4096, IdleConnTimeout: time.Minute,
			DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext}}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := client.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			b.Fatal("signer not ready")
		}
	}

	var cur atomic.Pointer[soakCreds]
	renew := func() {
		pw := func(u string) string { return testenv.DexUsers[u].Password }
		c := &soakCreds{tokens: []string{
			dex.PasswordToken(b, "alice", pw("alice"), "signer", "openid groups"),
			dex.PasswordToken(b, "bob", pw("bob"), "signer", "openid groups"),
		}}
		parts := strings.Split(c.tokens[0], ".")
		payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
		var claims map[string]any
		_ = json.Unmarshal(payload, &claims)
		claims["sub"] = "mallory"
		forged, _ := json.Marshal(claims)
		c.tampered = parts[0] + "." + base64.RawURLEncoding.EncodeToString(forged) + "." + parts[2]
		if old := cur.Load(); old != nil {
			c.access, c.secret = old.access, old.secret
		} else {
			req, _ := http.NewRequest("GET", base+"/create_api_key?description=soak", nil)
			req.Header.Set("Authorization", "Bearer "+c.tokens[0])
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			var k map[string]string
			_ = json.NewDecoder(resp.Body).Decode(&k)
			resp.Body.Close()
			c.access, c.secret = k["access-key"], k["secret-key"]
			if c.access == "" {
				b.Fatalf("create_api_key: %d", resp.StatusCode)
			}
		}
		cur.Store(c)
	}
	renew()

	hrefs := make([]string, 64)
	for i := range hrefs {
		hrefs[i] = fmt.Sprintf("s3://eodata/sentinel-2/l2a/T31TEJ/2024/06/%02d/S2B_MSIL2A_20240615T103629_T31TEJ/B%02d.tif", i/13+1, i%13+1)
	}
	postBody, _ := json.Marshal(map[string]any{"hrefs": hrefs})

	var (
		mu      sync.Mutex
		results = make([]soakResult, 0, int(soakDuration.Seconds()*float64(*soakGetRate+*soakPostRate))+1024)
		wg      sync.WaitGroup
	)
	loadStart := time.Now()
	record := func(due time.Time, kind string, status int) {
		r := soakResult{due: due.Sub(loadStart), lat: time.Since(due), kind: kind, status: status}
		mu.Lock()
		results = append(results, r)
		mu.Unlock()
	}
	send := func(due time.Time, kind string, req *http.Request) {
		resp, err := client.Do(req)
		status := 0
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			status = resp.StatusCode
		}
		record(due, kind, status)
	}
	getRequest := func(i int, c *soakCreds) (string, *http.Request) {
		href := hrefs[i%len(hrefs)]
		bearer := func(req *http.Request, tok string) *http.Request {
			req.Header.Set("Authorization", "Bearer "+tok)
			return req
		}
		tok := c.tokens[i%len(c.tokens)]
		switch i % 20 {
		case 14:
			req, _ := http.NewRequest("GET", base+"/sign?href="+url.QueryEscape(href), nil)
			req.Header.Set("access-key", c.access)
			req.Header.Set("secret-key", c.secret)
			return "api key", req
		case 15:
			req, _ := http.NewRequest("GET", base+"/api/sas/v1/sign?href="+url.QueryEscape(href), nil)
			return "planetary computer", bearer(req, tok)
		case 16:
			req, _ := http.NewRequest("POST", base+"/sign_urls?urls="+url.QueryEscape(href)+"&urls="+url.QueryEscape(hrefs[(i+1)%len(hrefs)])+"&duration_seconds=3600", nil)
			req.Header.Set("Content-Type", "application/json")
			return "dinamis", bearer(req, tok)
		case 17:
			req, _ := http.NewRequest("GET", base+"/redirect?href="+url.QueryEscape(href), nil)
			return "redirect", bearer(req, tok)
		case 18:
			req, _ := http.NewRequest("GET", base+"/sign?href="+url.QueryEscape(href), nil)
			return "invalid token", bearer(req, c.tampered)
		case 19:
			req, _ := http.NewRequest("GET", base+"/sign?href="+url.QueryEscape(href), nil)
			return "invalid token", bearer(req, "not-a-jwt")
		}
		req, _ := http.NewRequest("GET", base+"/sign?href="+url.QueryEscape(href), nil)
		return "GET /sign", bearer(req, tok)
	}
	// openLoop calls fire(i, due) at rate per second until stop.
	stop := make(chan struct{})
	openLoop := func(rate int, fire func(i int, due time.Time)) {
		defer wg.Done()
		interval := time.Second / time.Duration(rate)
		for i := 0; ; i++ {
			due := loadStart.Add(time.Duration(i) * interval)
			if d := time.Until(due); d > 0 {
				select {
				case <-stop:
					return
				case <-time.After(d):
				}
			} else {
				select {
				case <-stop:
					return
				default:
				}
			}
			wg.Add(1)
			go func() { defer wg.Done(); fire(i, due) }()
		}
	}
	wg.Add(2)
	go openLoop(*soakGetRate, func(i int, due time.Time) {
		kind, req := getRequest(i, cur.Load())
		send(due, kind, req)
	})
	go openLoop(*soakPostRate, func(i int, due time.Time) {
		req, _ := http.NewRequest("POST", base+"/sign", strings.NewReader(string(postBody)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+cur.Load().tokens[i%2])
		send(due, "POST /sign 64", req)
	})

	// Once a second: the signer's RSS, /readyz, a presigned URL fetched
	// from the storage.
	var samples []soakSample
	var smu sync.Mutex
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			s := soakSample{at: time.Since(loadStart), rss: residentOf(srv.Process.Pid)}
			if resp, err := client.Get(base + "/metrics"); err == nil {
				sc := bufio.NewScanner(resp.Body)
				for sc.Scan() {
					if v, ok := strings.CutPrefix(sc.Text(), "go_memstats_heap_inuse_bytes "); ok {
						f, _ := strconv.ParseFloat(v, 64)
						s.heap = uint64(f)
					} else if v, ok := strings.CutPrefix(sc.Text(), "go_goroutines "); ok {
						s.goroutines, _ = strconv.ParseUint(v, 10, 64)
					}
				}
				resp.Body.Close()
			}
			if resp, err := client.Get(base + "/readyz"); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				s.ready = resp.StatusCode
			}
			req, _ := http.NewRequest("GET", base+"/sign?href="+url.QueryEscape("s3://eodata/"+objectKey), nil)
			req.Header.Set("Authorization", "Bearer "+cur.Load().tokens[0])
			if resp, err := client.Do(req); err == nil {
				var out struct{ Href string }
				_ = json.NewDecoder(resp.Body).Decode(&out)
				resp.Body.Close()
				if r2, err := client.Get(out.Href); err == nil {
					_, _ = io.Copy(io.Discard, r2.Body)
					r2.Body.Close()
					s.get = r2.StatusCode
				}
			}
			smu.Lock()
			samples = append(samples, s)
			smu.Unlock()
		}
	}()

	// The control loop (this goroutine): renew tokens every 2 minutes, stop
	// and start the IdP at a third of the run and the storage at two
	// thirds, report progress.
	var windows []soakWindow
	idpAt, storageAt := *soakDuration/3, 2**soakDuration/3
	idpDone, storageDone := false, false
	lastRenew, lastReport := time.Now(), time.Now()
	progress := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "[soak %6.1fs] %s\n", time.Since(loadStart).Seconds(), fmt.Sprintf(format, args...))
	}
	for time.Since(loadStart) < *soakDuration {
		select {
		case err := <-srvDone:
			b.Fatalf("the signer exited: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
		el := time.Since(loadStart)
		switch {
		case !idpDone && el >= idpAt:
			idpDone = true
			progress("stopping the IdP (Dex) for %v", *soakOutage)
			w := soakWindow{what: "IdP", from: time.Since(loadStart)}
			dex.Stop()
			time.Sleep(*soakOutage)
			dex.Restart(b) // a new signing key: clients log in again
			renew()
			lastRenew = time.Now()
			w.till = time.Since(loadStart) + *soakSettle
			windows = append(windows, w)
			progress("IdP back, tokens renewed")
		case !storageDone && el >= storageAt:
			storageDone = true
			progress("stopping the storage (versitygw) for %v", *soakOutage)
			w := soakWindow{what: "storage", from: time.Since(loadStart)}
			st.stop()
			time.Sleep(*soakOutage)
			if err := st.start(); err != nil {
				b.Fatal(err)
			}
			w.till = time.Since(loadStart) + *soakSettle
			windows = append(windows, w)
			progress("storage back")
		case time.Since(lastRenew) >= 2*time.Minute:
			renew()
			lastRenew = time.Now()
		}
		if time.Since(lastReport) >= *soakReport {
			lastReport = time.Now()
			mu.Lock()
			n := len(results)
			mu.Unlock()
			progress("%d answers, signer RSS %.1f MiB", n, float64(residentOf(srv.Process.Pid))/(1<<20))
		}
	}
	close(stop)
	wg.Wait()
	elapsed := time.Since(loadStart)

	report, metrics := soakReportOf(results, samples, windows, elapsed, time.Since(start))
	if *soakOut != "" {
		if err := os.WriteFile(*soakOut, []byte(report), 0o644); err != nil {
			b.Fatal(err)
		}
	} else {
		fmt.Print(report)
	}
	for k, v := range metrics {
		b.ReportMetric(v, k)
	}
}

// soakSample is one second's observation: the signer's RSS, /readyz's
// status and a presigned URL's status on the storage.
type soakSample struct {
	at               time.Duration
	rss              uint64
	heap, goroutines uint64 // from the signer's /metrics
	ready, get       int
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*p))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }

// soakClass sorts an answer: "ok", "expected …" or "unexpected …".
func soakClass(r soakResult, windows []soakWindow) string {
	in := func(what string) bool {
		for _, w := range windows {
			if (what == "" || w.what == what) && r.due >= w.from && r.due <= w.till {
				return true
			}
		}
		return false
	}
	switch {
	case r.kind == "invalid token" && r.status == http.StatusUnauthorized:
		return "expected 401 (invalid token)"
	case r.kind == "invalid token" && r.status == http.StatusServiceUnavailable && in("IdP"):
		return "expected 503 (invalid token, keys cannot be refreshed during the IdP outage)"
	case r.kind != "invalid token" && (r.status == http.StatusOK || r.status == http.StatusFound):
		return "ok"
	case r.status == http.StatusServiceUnavailable && in(""):
		return "expected 503 (outage)"
	case r.status == 0:
		return "unexpected: transport error"
	}
	return fmt.Sprintf("unexpected: %d on %s", r.status, r.kind)
}

func soakReportOf(results []soakResult, samples []soakSample, windows []soakWindow, elapsed, total time.Duration) (string, map[string]float64) {
	var sb strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&sb, format, args...) }
	slices.SortFunc(results, func(a, b soakResult) int { return int(a.due - b.due) })
	inOutage := func(d time.Duration) bool {
		for _, w := range windows {
			if d >= w.from && d <= w.till {
				return true
			}
		}
		return false
	}
	p("### Signer soak: %v at %d GET/s + %d POST /sign (64 hrefs)/s, open loop\n\n", elapsed.Round(time.Second), *soakGetRate, *soakPostRate)
	p("- %s\n", soakMachine())
	for _, w := range windows {
		p("- %s down from %.0f s to %.0f s (503s counted as expected until %v after it is back)\n", w.what, w.from.Seconds(), (w.till - *soakSettle).Seconds(), *soakSettle)
	}
	p("- whole run with set-up: %v\n\n", total.Round(time.Second))
	p("| t (s) | answers | p50 ms | p99 ms | max ms | 200/302 | 401 | 503 | other | signer RSS MiB | Go heap in use MiB | goroutines | /readyz | storage GET | outage |\n")
	p("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|\n")
	step := *soakReport
	rows := max(1, int((elapsed+step/2)/step))
	for row := range rows {
		from := time.Duration(row) * step
		last := row == rows-1 // the last row takes what was scheduled late
		var lat []time.Duration
		var ok, s401, s503, other int
		for _, r := range results {
			if r.due < from || (r.due >= from+step && !last) {
				continue
			}
			lat = append(lat, r.lat)
			switch r.status {
			case 200, 302:
				ok++
			case 401:
				s401++
			case 503:
				s503++
			default:
				other++
			}
		}
		slices.Sort(lat)
		var rss, heap, goroutines uint64
		ready, get := map[int]int{}, map[int]int{}
		for _, s := range samples {
			if s.at >= from && (s.at < from+step || last) {
				rss = max(rss, s.rss)
				heap, goroutines = max(heap, s.heap), max(goroutines, s.goroutines)
				ready[s.ready]++
				get[s.get]++
			}
		}
		outage := ""
		for _, w := range windows {
			if w.from < from+step && w.till-*soakSettle > from {
				outage = w.what
			}
		}
		p("| %.0f | %d | %s | %s | %s | %d | %d | %d | %d | %.1f | %.1f | %d | %s | %s | %s |\n", (from + step).Seconds(), len(lat), ms(percentile(lat, .5)), ms(percentile(lat, .99)),
			ms(percentile(lat, 1)), ok, s401, s503, other, float64(rss)/(1<<20), float64(heap)/(1<<20), goroutines, counts(ready), counts(get), outage)
	}

	classes := map[string]int{}
	kinds := map[string]int{}
	var outside []time.Duration
	for _, r := range results {
		classes[soakClass(r, windows)]++
		kinds[r.kind]++
		if !inOutage(r.due) {
			outside = append(outside, r.lat)
		}
	}
	slices.Sort(outside)
	// Latency by kind, outside the outages.
	byKind := map[string][]time.Duration{}
	for _, r := range results {
		if !inOutage(r.due) {
			byKind[r.kind] = append(byKind[r.kind], r.lat)
		}
	}
	p("\n| kind (outside the outages) | answers | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|\n")
	for _, k := range slices.Sorted(maps.Keys(byKind)) {
		l := byKind[k]
		slices.Sort(l)
		p("| %s | %d | %s | %s | %s |\n", k, len(l), ms(percentile(l, .5)), ms(percentile(l, .99)), ms(percentile(l, 1)))
	}
	// What /readyz and the storage said around each outage.
	p("\n")
	for _, w := range windows {
		end := w.till - *soakSettle
		var firstBad, firstGood time.Duration = -1, -1
		getErrors := 0
		for _, s := range samples {
			if s.at >= w.from && s.ready != 200 && firstBad < 0 {
				firstBad = s.at
			}
			if s.at >= end && s.ready == 200 && firstGood < 0 {
				firstGood = s.at
			}
			if s.at >= w.from && s.at <= w.till && s.get != 200 {
				getErrors++
			}
		}
		p("- %s outage (%.1f–%.1f s): /readyz not ready %.1f s after the stop, ready again %.1f s after the start (polled every second); %d of the once-a-second storage GETs failed around it.\n",
			w.what, w.from.Seconds(), end.Seconds(), (firstBad - w.from).Seconds(), (firstGood - end).Seconds(), getErrors)
	}
	var perKind []string
	for _, k := range slices.Sorted(maps.Keys(kinds)) {
		perKind = append(perKind, fmt.Sprintf("%s %d", k, kinds[k]))
	}
	p("\nAnswers by class (%d requests: %s):\n\n", len(results), strings.Join(perKind, ", "))
	unexpected := 0
	for _, c := range slices.Sorted(maps.Keys(classes)) {
		p("- %s: %d\n", c, classes[c])
		if strings.HasPrefix(c, "unexpected") {
			unexpected += classes[c]
		}
	}
	p("\nOutside the outages (%d answers): p50 %s ms, p99 %s ms, max %s ms.\n", len(outside), ms(percentile(outside, .5)), ms(percentile(outside, .99)), ms(percentile(outside, 1)))
	// RSS: the mean of the second minute against the mean of the last one
	// (of the second and last thirds when the run is shorter than 3 min).
	mean := func(from, till time.Duration) float64 {
		var sum float64
		var n int
		for _, s := range samples {
			if s.at >= from && s.at < till && s.rss > 0 {
				sum += float64(s.rss)
				n++
			}
		}
		if n == 0 {
			return 0
		}
		return sum / float64(n)
	}
	a0, a1, b0 := time.Minute, 2*time.Minute, elapsed-time.Minute
	if elapsed < 3*time.Minute {
		a0, a1, b0 = elapsed/3, 2*elapsed/3, 2*elapsed/3
	}
	second, last := mean(a0, a1), mean(b0, elapsed)
	growth := 0.0
	if second > 0 {
		growth = 100 * (last - second) / second
	}
	p("Signer RSS: %.1f MiB (mean, %.0f–%.0f s) → %.1f MiB (mean, %.0f–%.0f s): %+.1f %%.\n", second/(1<<20), a0.Seconds(), a1.Seconds(), last/(1<<20), b0.Seconds(), elapsed.Seconds(), growth)
	p("Unexpected answers: %d.\n", unexpected)
	return sb.String(), map[string]float64{
		"p50_ms": float64(percentile(outside, .5)) / 1e6, "p99_ms": float64(percentile(outside, .99)) / 1e6, "max_ms": float64(percentile(outside, 1)) / 1e6,
		"unexpected": float64(unexpected), "rss_growth_%": growth, "answers": float64(len(results)),
	}
}

func counts(m map[int]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		name := strconv.Itoa(k)
		if k == 0 {
			name = "error"
		}
		parts = append(parts, fmt.Sprintf("%s×%d", name, m[k]))
	}
	return strings.Join(parts, " ")
}

func soakMachine() string {
	cpu := ""
	if raw, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(raw), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	load, _ := os.ReadFile("/proc/loadavg")
	return fmt.Sprintf("machine: %d CPU (%s), load average at the end %s; the load generator, Dex and versitygw share the CPUs with the signer",
		runtime.NumCPU(), cpu, strings.Join(strings.Fields(string(load))[:min(3, len(strings.Fields(string(load))))], " "))
}
