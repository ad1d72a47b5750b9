package auth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestExchangeSendsRFC8693FormAndCaches checks the request the exchanger
// sends (grant, token types, audience, client authentication, provider
// extras), that one token is exchanged once, and how refusals come back.
func TestExchangeSendsRFC8693FormAndCaches(t *testing.T) {
	var calls atomic.Int64
	var got url.Values
	var mu sync.Mutex
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		id, secret, _ := r.BasicAuth()
		secret, _ = url.QueryUnescape(secret) // RFC 6749 §2.3.1: form-encoded, then Basic
		_ = r.ParseForm()
		mu.Lock()
		got = r.PostForm
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if id != "sts" || secret != "s3cr:t" || r.PostForm.Get("subject_token") == "refused" {
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant", "error_description": "no"}) // a failed write fails the client's decoding
			return
		}
		time.Sleep(20 * time.Millisecond)
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "exchanged-" + r.PostForm.Get("subject_token"), // as above
			"issued_token_type": TokenTypeID, "token_type": "N_A", "expires_in": 300})
	}))
	defer idp.Close()
	ex, err := NewExchanger(ExchangeOptions{TokenURL: idp.URL, ClientID: "sts", ClientSecret: "s3cr:t", Audience: "storage",
		Scope: "openid", Extra: url.Values{"connector_id": {"self"}}})
	if err != nil {
		t.Fatal(err)
	}
	p := &Principal{Subject: "alice", Token: "alice-token", Expiry: time.Now().Add(time.Hour)}
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if tok, err := ex.Exchange(context.Background(), p); err != nil || tok != "exchanged-alice-token" {
				t.Errorf("%q %v", tok, err)
			}
		}()
	}
	wg.Wait()
	if n := calls.Load(); n != 1 || ex.Calls() != 1 {
		t.Fatalf("%d calls to the IdP for one token", n)
	}
	mu.Lock()
	for k, want := range map[string]string{
		"grant_type": "urn:ietf:params:oauth:grant-type:token-exchange", "subject_token": "alice-token",
		"subject_token_type": TokenTypeAccess, "requested_token_type": TokenTypeID,
		"audience": "storage", "scope": "openid", "connector_id": "self",
	} {
		if got.Get(k) != want {
			t.Errorf("form %s = %q, want %q", k, got.Get(k), want)
		}
	}
	mu.Unlock()
	_, err = ex.Exchange(context.Background(), &Principal{Subject: "bob", Token: "refused"})
	var xe *ExchangeError
	if !errors.As(err, &xe) || xe.Status != 400 || xe.Code != "invalid_grant" {
		t.Fatalf("refusal: %v", err)
	}
	if _, err := NewExchanger(ExchangeOptions{TokenURL: "ftp://x", ClientID: "a"}); err == nil {
		t.Error("bad token URL accepted")
	}
}
