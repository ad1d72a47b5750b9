//go:build linux

package main

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"gitlab.com/eocat/eocat/internal/testenv"
)

// With the IdP (Dex) down when `signer serve` starts, /openapi.json's
// tokenUrl is "" and /readyz is 503; once Dex is up, the next requests find
// both (the token URL used to be computed once at start and stay "").
func TestServeWithTheIdPDownAtStart(t *testing.T) {
	s3srv := testenv.StartVersityGW(t)
	dex := testenv.StartDex(t, testenv.DexOptions{})
	dex.Stop()
	policyFile := filepath.Join(t.TempDir(), "policy.yaml")
	writeFile(t, policyFile, "rules: []\n")
	base, logs := startServe(t, s3srv, "--issuer", dex.Issuer, "--audience", "signer", "--s3-endpoint", s3srv.Endpoint,
		"--s3-bucket", "eodata", "--policy", policyFile, "--probe-interval", "1s")
	tokenURL := func() string {
		_, body := testenv.Fetch(t, "GET", base+"/openapi.json", nil)
		var doc struct {
			Components struct {
				SecuritySchemes map[string]struct {
					Flows map[string]struct {
						TokenURL *string `json:"tokenUrl"`
					} `json:"flows"`
				} `json:"securitySchemes"`
			} `json:"components"`
		}
		if err := json.Unmarshal([]byte(body), &doc); err != nil {
			t.Fatal(err)
		}
		u := doc.Components.SecuritySchemes["OAuth2PasswordBearer"].Flows["password"].TokenURL
		if u == nil {
			t.Fatalf("openapi.json without tokenUrl: %s", body)
		}
		return *u
	}
	if got := tokenURL(); got != "" {
		t.Fatalf("tokenUrl with the IdP down: %q", got)
	}
	if code, body := testenv.Fetch(t, "GET", base+"/readyz", nil); code != 503 {
		t.Fatalf("readyz with the IdP down: %d %s", code, body)
	}
	dex.Restart(t)
	up := time.Now()
	for tokenURL() != dex.TokenURL {
		if time.Since(up) > 10*time.Second {
			t.Fatalf("tokenUrl still %q 10 s after the IdP started\n%s", tokenURL(), logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	for {
		code, body := testenv.Fetch(t, "GET", base+"/readyz", nil)
		if code == 200 {
			break
		}
		if time.Since(up) > 10*time.Second {
			t.Fatalf("readyz still %d %s", code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
