//go:build linux

package signer

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"gitlab.com/eocat/eocat/internal/auth"
	"gitlab.com/eocat/eocat/internal/presign"
	"gitlab.com/eocat/eocat/internal/testenv"
)

// TestSTSModeAgainstSeaweedFS: in sts mode the signer presigns with the
// user's own temporary credentials from the storage's STS, so the storage's
// policy on users/${jwt:sub}/* decides: alice's URL for her prefix works, her
// URL for bob's prefix is refused by the storage, and a burst of requests
// makes one STS call.
func TestSTSModeAgainstSeaweedFS(t *testing.T) {
	idp := testenv.StartOIDCProvider(t)
	weed := testenv.StartSeaweedFS(t, testenv.WebIdentityIAM(idp.URL, "signer", idp.URL+"/keys", "reader",
		map[string]any{"Effect": "Allow", "Action": []string{"s3:GetObject"},
			"Resource": []string{"arn:aws:s3:::eodata/users/${jwt:sub}/*"}}))
	weed.Put(t, "eodata", map[string]string{"users/alice/a.tif": "alice's", "users/bob/b.tif": "bob's"})

	ep, _ := url.Parse(weed.Endpoint)
	v, err := auth.NewVerifier(auth.Options{Issuers: []auth.Issuer{{URL: idp.URL}}, Audiences: []string{"signer"}})
	if err != nil {
		t.Fatal(err)
	}
	creds := presign.NewSTS(presign.STSOptions{
		Client:  sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(weed.Endpoint), Credentials: aws.AnonymousCredentials{}}),
		RoleARN: "arn:aws:iam::role/reader",
	})
	srv, err := New(Config{Mode: ModeSTS, Verifier: v, Credentials: creds, Logger: slog.New(slog.DiscardHandler),
		Storage:  &presign.Storage{Endpoint: ep, Buckets: []string{"eodata"}, PathStyle: true, Region: "us-east-1"},
		Counters: map[string]Counter{MetricSTSCalls: creds.Calls}, STSReady: creds.Probe})
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(srv)
	defer api.Close()
	tok := idp.Token(t, "alice", "signer", nil)
	sign := func(key string) string {
		req, _ := http.NewRequest("GET", api.URL+"/sign?href="+url.QueryEscape(weed.Endpoint+"/eodata/"+key), nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct{ Href, Expiry string }
		if err := decodeBody(resp, &out); err != nil || resp.StatusCode != 200 {
			t.Fatalf("sign %s: %d %v", key, resp.StatusCode, err)
		}
		return out.Href
	}
	// A burst of concurrent requests: one STS call (singleflight, cache).
	var wg sync.WaitGroup
	urls := make([]string, 8)
	for i := range urls {
		wg.Add(1)
		go func() { defer wg.Done(); urls[i] = sign("users/alice/a.tif") }()
	}
	wg.Wait()
	if code, body := testenv.Fetch(t, "GET", urls[0], nil); code != 200 || body != "alice's" {
		t.Fatalf("alice's own object: %d %q", code, body)
	}
	if !strings.Contains(urls[0], "X-Amz-Security-Token=") {
		t.Error("the URL is not signed with session credentials")
	}
	bobs := sign("users/bob/b.tif") // the signer signs; the storage decides
	if code, _ := testenv.Fetch(t, "GET", bobs, nil); code != http.StatusForbidden {
		t.Fatalf("alice's URL for bob's object: %d, want 403 from the storage", code)
	}
	if n := creds.Calls(); n != 1 {
		t.Errorf("%d STS calls for 9 requests of one user, want 1", n)
	}
	if creds.Hits() < 1 {
		t.Errorf("%d cache hits: the second request of a user must come from the cache", creds.Hits())
	}

	// Readiness: SeaweedFS's STS refuses the probe's token, so it answers;
	// an STS that does not answer fails the check. The probe is not an STS
	// call of a user.
	resp, err := http.Get(api.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	var ready struct {
		Ready  bool
		Checks map[string]probeState
	}
	_ = decodeBody(resp, &ready)
	resp.Body.Close()
	if !ready.Ready || ready.Checks["sts"].Status != "ok" || ready.Checks["identity_provider"].Status != "ok" {
		t.Errorf("readyz in mode sts: %d %+v", resp.StatusCode, ready)
	}
	if n := creds.Calls(); n != 1 {
		t.Errorf("%d STS calls after the readiness probe, want still 1", n)
	}
	dead := httptest.NewServer(nil)
	dead.Close()
	down := presign.NewSTS(presign.STSOptions{Client: sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(dead.URL), Credentials: aws.AnonymousCredentials{}})})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := down.Probe(ctx); err == nil || !strings.Contains(err.Error(), "storage STS") {
		t.Errorf("probe of an STS that is down: %v", err)
	}
}

func decodeBody(resp *http.Response, v any) error {
	return json.NewDecoder(resp.Body).Decode(v)
}
