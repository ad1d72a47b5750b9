package signer

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"gitlab.com/eocat/eocat/internal/auth"
	"gitlab.com/eocat/eocat/internal/policy"
	"gitlab.com/eocat/eocat/internal/presign"
	"gitlab.com/eocat/eocat/internal/testenv"
)

// The signer's performance targets (docs/performance.md, scripts/bench
// --signer): BenchmarkPerURL compares the API's cost per URL with the SDK's
// SigV4 presigner alone; BenchmarkLoad drives a real listener on loopback.
var (
	loadDuration = flag.Duration("load.duration", 10*time.Second, "BenchmarkLoad: how long each load phase runs")
	loadRate     = flag.Int("load.rate", 2000, "BenchmarkLoad/get_open_loop: requests per second, scheduled")
	loadWorkers  = flag.Int("load.workers", 8, "BenchmarkLoad/post64: concurrent clients (closed loop)")
)

// benchHrefs is one DINAMIS-sized batch: 64 Sentinel-2 assets.
func benchHrefs(endpoint string) []string {
	hrefs := make([]string, 64)
	for i := range hrefs {
		hrefs[i] = fmt.Sprintf("%s/eodata/sentinel-2/l2a/31TCJ/2024/06/%02d/S2B_MSIL2A_20240615T105619_N0510_R094_T31TCJ/B%02d.tif", endpoint, i/13+1, i%13+1)
	}
	return hrefs
}

// benchServer is the API in static mode with an allow-all policy, an
// in-process IdP and one valid token (what a client holds between
// refreshes). No storage is contacted: signing is local. The GC target is
// the binary's (TuneGC).
func benchServer(b *testing.B) (*Server, string, string) {
	b.Helper()
	TuneGC() // as signer serve does
	idp := testenv.StartOIDCProvider(b)
	v, err := auth.NewVerifier(auth.Options{Issuers: []auth.Issuer{{URL: idp.URL}}, Audiences: []string{"signer"}})
	if err != nil {
		b.Fatal(err)
	}
	pol, err := policy.Parse([]byte("rules:\n  - name: all\n    allow: [GET, HEAD, PUT]\n    resources: [\"eodata/*\"]\n"))
	if err != nil {
		b.Fatal(err)
	}
	const endpoint = "https://s3.example.org"
	ep, _ := url.Parse(endpoint)
	srv, err := New(Config{
		Mode:        ModeStatic,
		Storage:     &presign.Storage{Endpoint: ep, Buckets: []string{"eodata"}, PathStyle: true, Region: "us-east-1"},
		Verifier:    v,
		Policy:      pol,
		Credentials: presign.NewStatic(credentials.NewStaticCredentialsProvider("AKIAEXAMPLE", "secret", "")),
		// The audit log is written (JSON, one line per URL) and thrown away:
		// its cost is part of signing.
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
	})
	if err != nil {
		b.Fatal(err)
	}
	return srv, idp.Token(b, "alice", "signer", nil), endpoint
}

// BenchmarkPerURL reports ns/url for POST /sign with 64 hrefs through the
// whole handler (token check, policy, JSON in and out) next to a loop of the
// SDK's v4.Signer.PresignHTTP on the same URLs: the target is within 2×.
func BenchmarkPerURL(b *testing.B) {
	srv, token, endpoint := benchServer(b)
	hrefs := benchHrefs(endpoint)
	b.Run("presignhttp", func(b *testing.B) {
		sg := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
		creds := aws.Credentials{AccessKeyID: "AKIAEXAMPLE", SecretAccessKey: "secret"}
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			for _, h := range hrefs {
				u, _ := url.Parse(h)
				u.RawQuery = "X-Amz-Expires=3600"
				req := &http.Request{Method: http.MethodGet, URL: u, Host: u.Host, Header: http.Header{}}
				if _, _, err := sg.PresignHTTP(ctx, creds, req, "UNSIGNED-PAYLOAD", "s3", "us-east-1", time.Now()); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(hrefs)), "ns/url")
	})
	b.Run("post_sign_64", func(b *testing.B) {
		body, _ := json.Marshal(map[string]any{"hrefs": hrefs})
		b.ReportAllocs()
		for b.Loop() {
			req := httptest.NewRequest(http.MethodPost, "/sign", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatalf("POST /sign: %d %s", w.Code, w.Body)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(hrefs)), "ns/url")
	})
}

// BenchmarkLoad serves the API on loopback and drives it with the load
// generator in the same process (sharing the cores, as the targets say):
//   - post64: closed loop, -load.workers clients sending POST /sign with 64
//     hrefs: requests/s and URLs/s;
//   - get_open_loop: GET /sign scheduled at -load.rate per second; latency
//     counts from the scheduled send, so a stalled server cannot hide its
//     queue (no coordinated omission): p50/p99/max.
//
// Run it once per phase: go test ./internal/signer -run '^$' -bench Load -benchtime 1x
func BenchmarkLoad(b *testing.B) {
	srv, token, endpoint := benchServer(b)
	api := httptest.NewServer(srv)
	b.Cleanup(api.Close)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		MaxIdleConns: 4096, MaxIdleConnsPerHost: 4096, IdleConnTimeout: time.Minute,
		DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	}}
	hrefs := benchHrefs(endpoint)
	do := func(req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s %s: %s", req.Method, req.URL.Path, resp.Status)
		}
		return nil
	}

	b.Run("post64", func(b *testing.B) {
		body, _ := json.Marshal(map[string]any{"hrefs": hrefs})
		var n atomic.Int64
		var firstErr error
		var once sync.Once
		for b.Loop() {
			n.Store(0)
			ctx, cancel := context.WithTimeout(context.Background(), *loadDuration)
			var wg sync.WaitGroup
			for range *loadWorkers {
				wg.Go(func() {
					for ctx.Err() == nil {
						req, _ := http.NewRequest(http.MethodPost, api.URL+"/sign", bytes.NewReader(body))
						req.Header.Set("Content-Type", "application/json")
						if err := do(req); err != nil {
							once.Do(func() { firstErr = err })
							return
						}
						n.Add(1)
					}
				})
			}
			wg.Wait()
			cancel()
		}
		if firstErr != nil {
			b.Fatal(firstErr)
		}
		secs := loadDuration.Seconds()
		b.ReportMetric(float64(n.Load())/secs, "req/s")
		b.ReportMetric(float64(n.Load()*int64(len(hrefs)))/secs, "urls/s")
	})

	b.Run("get_open_loop", func(b *testing.B) {
		path := api.URL + "/sign?href=" + url.QueryEscape(hrefs[0])
		// openLoop sends GET /sign at rate for d and returns each request's
		// latency counted from its scheduled send.
		openLoop := func(d time.Duration) ([]time.Duration, error) {
			total := int(d.Seconds() * float64(*loadRate))
			interval := time.Second / time.Duration(*loadRate)
			lat := make([]time.Duration, total)
			var failed atomic.Int64
			var firstErr error
			var once sync.Once
			start := time.Now()
			var wg sync.WaitGroup
			for i := range total {
				due := start.Add(time.Duration(i) * interval)
				if d := time.Until(due); d > 0 {
					time.Sleep(d)
				}
				wg.Go(func() {
					req, _ := http.NewRequest(http.MethodGet, path, nil)
					if err := do(req); err != nil {
						failed.Add(1)
						once.Do(func() { firstErr = err })
					}
					lat[i] = time.Since(due)
				})
			}
			wg.Wait()
			if firstErr != nil {
				return nil, fmt.Errorf("%d of %d requests failed; first: %w", failed.Load(), total, firstErr)
			}
			return lat, nil
		}
		var lat []time.Duration
		for b.Loop() {
			// A first second opens the connections the rate needs; then the
			// measured run.
			if _, err := openLoop(min(time.Second, *loadDuration)); err != nil {
				b.Fatal(err)
			}
			var err error
			if lat, err = openLoop(*loadDuration); err != nil {
				b.Fatal(err)
			}
		}
		slices.Sort(lat)
		ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
		b.ReportMetric(ms(lat[len(lat)/2]), "p50_ms")
		b.ReportMetric(ms(lat[len(lat)*99/100]), "p99_ms")
		b.ReportMetric(ms(lat[len(lat)-1]), "max_ms")
		b.ReportMetric(float64(*loadRate), "req/s")
	})
}
