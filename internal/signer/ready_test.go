//go:build linux

package signer

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"gitlab.com/eocat/eocat/internal/auth"
	"gitlab.com/eocat/eocat/internal/testenv"
)

// readiness is /readyz's answer.
type readiness struct {
	status int
	Ready  bool                  `json:"ready"`
	Checks map[string]probeState `json:"checks"`
}

func (e *env) readyz() readiness {
	e.t.Helper()
	r := e.send("GET", "/readyz", nil, nil)
	var out readiness
	if err := json.Unmarshal(r.body, &out); err != nil {
		e.t.Fatalf("/readyz: %d %s", r.status, r.body)
	}
	out.status = r.status
	return out
}

// tokenURL is /openapi.json's tokenUrl, where DINAMIS clients look.
func (e *env) tokenURL() string {
	e.t.Helper()
	_, doc := e.call("GET", "/openapi.json", "", nil)
	flows := doc["components"].(map[string]any)["securitySchemes"].(map[string]any)["OAuth2PasswordBearer"].(map[string]any)["flows"].(map[string]any)
	return flows["password"].(map[string]any)["tokenUrl"].(string)
}

// newReadyEnv is newEnv trusting a Dex issuer, with the token URL
// discovered as cmd/signer wires it and a short probe interval.
func newReadyEnv(t *testing.T, dex *testenv.Dex, interval time.Duration) *env {
	t.Helper()
	v, err := auth.NewVerifier(auth.Options{Issuers: []auth.Issuer{{URL: dex.Issuer}}, Audiences: []string{"signer"}})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *Config) {
		c.Verifier, c.TokenURL, c.ProbeInterval = v, "", interval
		c.DiscoverTokenURL = func(ctx context.Context) string { return v.TokenURL(ctx, dex.Issuer) }
		c.StorageReady = func(ctx context.Context) error { return nil }
	})
	return e
}

// Finding 5, first half: after a successful start, /readyz follows the IdP
// down (within the probe interval) and up again, telling the error and its
// age; tokens already verified keep working meanwhile (the keys in hand).
func TestReadinessFollowsAnIdPOutage(t *testing.T) {
	dex := testenv.StartDex(t, testenv.DexOptions{})
	const interval = 500 * time.Millisecond
	e := newReadyEnv(t, dex, interval)
	tok := dex.PasswordToken(t, "alice", testenv.DexUsers["alice"].Password, "signer", "openid groups")

	r := e.readyz()
	if r.status != 200 || !r.Ready || r.Checks["identity_provider"].Status != "ok" || r.Checks["storage"].Status != "ok" {
		t.Fatalf("readyz with everything up: %d %+v", r.status, r)
	}
	if got := e.tokenURL(); got != dex.TokenURL {
		t.Fatalf("tokenUrl %q, want %s", got, dex.TokenURL)
	}
	sign := func() int {
		return e.send("GET", "/sign?href="+q(e.obj("public/S2/B02.tif")), map[string]string{"Authorization": "Bearer " + tok}, nil).status
	}
	if code := sign(); code != 200 {
		t.Fatalf("sign with a Dex token: %d", code)
	}

	dex.Stop()
	stopped := time.Now()
	for {
		r = e.readyz()
		if r.status == 503 {
			break
		}
		if time.Since(stopped) > interval+2*time.Second {
			t.Fatalf("readyz still %d %+v %v after the IdP stopped (probe interval %v)", r.status, r.Checks, time.Since(stopped), interval)
		}
		time.Sleep(50 * time.Millisecond)
	}
	idp := r.Checks["identity_provider"]
	if took := time.Since(stopped); r.Ready || idp.Status != "failing" || !strings.Contains(idp.Error, dex.Issuer) || !strings.Contains(idp.Error, "discovery") ||
		idp.FailingFor == nil || idp.LastError != idp.Error || idp.LastErrorAge == nil || *idp.LastErrorAge > 1 || r.Checks["storage"].Status != "ok" {
		t.Fatalf("readyz %v after the IdP stopped: %+v", took, r)
	}
	if code := sign(); code != 200 {
		t.Errorf("a token verified before the outage, during it: %d", code)
	}

	dex.Restart(t)
	restarted := time.Now()
	for {
		r = e.readyz()
		if r.status == 200 {
			break
		}
		if time.Since(restarted) > interval+2*time.Second {
			t.Fatalf("readyz still %d %+v after the IdP came back", r.status, r.Checks)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if idp := r.Checks["identity_provider"]; idp.Status != "ok" || idp.Error != "" || idp.FailingFor != nil || !strings.Contains(idp.LastError, "discovery") || idp.LastErrorAge == nil {
		t.Errorf("readyz once the IdP is back: %+v (want ok, with the last error and its age)", idp)
	}
}

// Finding 5, second half: with the IdP down at start, /openapi.json's
// tokenUrl is "" and /readyz is 503; once the IdP is up, both follow on the
// next requests (the token URL is never frozen).
func TestLateIdPFillsTheTokenURL(t *testing.T) {
	dex := testenv.StartDex(t, testenv.DexOptions{})
	dex.Stop()
	e := newReadyEnv(t, dex, 500*time.Millisecond)
	if got := e.tokenURL(); got != "" {
		t.Fatalf("tokenUrl with the IdP down: %q", got)
	}
	if r := e.readyz(); r.status != 503 || r.Checks["identity_provider"].Status != "failing" {
		t.Fatalf("readyz with the IdP down: %+v", r)
	}

	dex.Restart(t)
	up := time.Now()
	for e.tokenURL() != dex.TokenURL {
		if time.Since(up) > 10*time.Second {
			t.Fatalf("tokenUrl still %q 10 s after the IdP started", e.tokenURL())
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("tokenUrl found %v after the IdP started", time.Since(up).Round(time.Millisecond))
	for e.readyz().status != 200 {
		if time.Since(up) > 10*time.Second {
			t.Fatalf("readyz still not ok: %+v", e.readyz())
		}
		time.Sleep(100 * time.Millisecond)
	}
	tok := dex.PasswordToken(t, "alice", testenv.DexUsers["alice"].Password, "signer", "openid groups")
	if r := e.send("GET", "/sign?href="+q(e.obj("public/S2/B02.tif")), map[string]string{"Authorization": "Bearer " + tok}, nil); r.status != 200 {
		t.Fatalf("sign once the IdP is up: %d %s", r.status, r.body)
	}
}
