package apikey

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var (
	alice = Owner{Issuer: "https://idp.example.org", Subject: "alice"}
	bob   = Owner{Issuer: "https://idp.example.org", Subject: "bob"}
	ctx   = context.Background()
)

// clock is a settable time source.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func (c *clock) Now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Add(d time.Duration) { c.ns.Add(int64(d)) }
func openT(t *testing.T, path string, o Options) *FileStore {
	t.Helper()
	s, err := OpenFile(path, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestCreateAuthenticateListRevoke(t *testing.T) {
	c := newClock()
	s := openT(t, filepath.Join(t.TempDir(), "keys.json"), Options{Now: c.Now})
	claims := map[string]any{"sub": "alice", "groups": []any{"s2-team"}, "exp": 1.7e9, "iat": 1.6e9, "nonce": "n", "email": "alice@example.org"}
	k, secret, err := s.Create(ctx, alice, claims, "  laptop  ")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^eak_[0-9a-f]{32}$`).MatchString(k.AccessKey) {
		t.Errorf("access key %q", k.AccessKey)
	}
	if !regexp.MustCompile(`^eks_[A-Za-z0-9_-]{43}$`).MatchString(secret) {
		t.Errorf("secret %q: want eks_ and 256 bits of base64url", secret)
	}
	if k.Description != "laptop" || k.Owner != alice || !k.Created.Equal(c.Now()) || !k.Expires.Equal(c.Now().Add(DefaultMaxLifetime)) {
		t.Errorf("key %+v", k)
	}
	// The per-token claims are not part of the snapshot.
	for _, gone := range []string{"exp", "iat", "nonce"} {
		if _, ok := k.Claims[gone]; ok {
			t.Errorf("snapshot keeps %s", gone)
		}
	}
	if k.Claims["email"] != "alice@example.org" || k.Claims["groups"].([]any)[0] != "s2-team" {
		t.Errorf("snapshot %v", k.Claims)
	}

	got, err := s.Authenticate(ctx, k.AccessKey, secret)
	if err != nil || got.Owner != alice || got.Claims["sub"] != "alice" {
		t.Fatalf("Authenticate: %+v %v", got, err)
	}
	got.Claims["sub"] = "mallory" // callers get a copy
	if again, _ := s.Authenticate(ctx, k.AccessKey, secret); again.Claims["sub"] != "alice" {
		t.Fatal("a caller changed the stored claims")
	}

	// Wrong secret, unknown key, malformed input: one error, nothing more.
	for name, try := range map[string][2]string{
		"wrong secret":   {k.AccessKey, secret[:len(secret)-1] + "A"},
		"empty secret":   {k.AccessKey, ""},
		"unknown key":    {newAccessKey(), secret},
		"secret as key":  {secret, k.AccessKey},
		"empty":          {"", ""},
		"hash as secret": {k.AccessKey, s.current()[k.AccessKey].SecretSHA256},
	} {
		if _, err := s.Authenticate(ctx, try[0], try[1]); err != ErrInvalid {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}

	if l, _ := s.List(ctx, alice); len(l) != 1 || l[0].AccessKey != k.AccessKey {
		t.Fatalf("List alice: %+v", l)
	}
	if l, err := s.List(ctx, bob); err != nil || l == nil || len(l) != 0 {
		t.Fatalf("List bob: %#v %v", l, err)
	}
	// Someone else's key, even with the same subject at another issuer, is
	// not found.
	for _, o := range []Owner{bob, {Issuer: "https://other.example.org", Subject: "alice"}} {
		if err := s.Revoke(ctx, o, k.AccessKey); !errors.Is(err, ErrNotFound) {
			t.Errorf("Revoke by %v: %v", o, err)
		}
	}
	if _, err := s.Authenticate(ctx, k.AccessKey, secret); err != nil {
		t.Fatal("a failed revocation removed the key")
	}
	if err := s.Revoke(ctx, alice, k.AccessKey); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, k.AccessKey, secret); err != ErrInvalid {
		t.Fatalf("revoked key: %v", err)
	}
	if err := s.Revoke(ctx, alice, k.AccessKey); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second revocation: %v", err)
	}
}

func TestSecretNeverOnDisk(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "keys.json")
	s := openT(t, path, Options{})
	k, secret, err := s.Create(ctx, alice, map[string]any{"sub": "alice"}, "ci")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	body := strings.TrimPrefix(secret, SecretPrefix)
	if strings.Contains(string(data), secret) || strings.Contains(string(data), body) {
		t.Fatalf("the file holds the secret:\n%s", data)
	}
	var doc struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil || len(doc.Keys) != 1 {
		t.Fatalf("%v %s", err, data)
	}
	h := doc.Keys[0]["secret_sha256"].(string)
	if h == secret || len(h) != 64 || doc.Keys[0]["access_key"] != k.AccessKey {
		t.Fatalf("stored %v", doc.Keys[0])
	}
	for _, p := range []string{path, path + ".lock"} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v, want mode 0600", p, fi.Mode(), err)
		}
	}
	if fi, _ := os.Stat(filepath.Dir(path)); fi.Mode().Perm() != 0o700 {
		t.Errorf("directory mode %v, want 0700", fi.Mode())
	}
	// No temporary file is left behind.
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 2 {
		t.Errorf("directory holds %v", entries)
	}
}

func TestPersistenceAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	s, err := OpenFile(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	k1, sec1, _ := s.Create(ctx, alice, map[string]any{"sub": "alice", "groups": []any{"a"}}, "one")
	k2, sec2, _ := s.Create(ctx, alice, map[string]any{"sub": "alice"}, "two")
	k3, sec3, _ := s.Create(ctx, bob, map[string]any{"sub": "bob"}, "")
	if err := s.Revoke(ctx, alice, k2.AccessKey); err != nil {
		t.Fatal(err)
	}
	// A second process cannot open the file while this one holds it.
	if _, err := OpenFile(path, Options{}); err == nil || !strings.Contains(err.Error(), "another process") {
		t.Fatalf("second open: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Create(ctx, alice, nil, ""); !errors.Is(err, ErrClosed) {
		t.Fatalf("Create after Close: %v", err)
	}

	s = openT(t, path, Options{})
	if k, err := s.Authenticate(ctx, k1.AccessKey, sec1); err != nil || k.Description != "one" || k.Claims["groups"].([]any)[0] != "a" || !k.Created.Equal(k1.Created) {
		t.Fatalf("k1 after reopen: %+v %v", k, err)
	}
	if _, err := s.Authenticate(ctx, k2.AccessKey, sec2); err != ErrInvalid {
		t.Fatalf("revoked k2 came back: %v", err)
	}
	if k, err := s.Authenticate(ctx, k3.AccessKey, sec3); err != nil || k.Owner != bob {
		t.Fatalf("k3 after reopen: %+v %v", k, err)
	}
}

func TestExpiryAndLimit(t *testing.T) {
	c := newClock()
	path := filepath.Join(t.TempDir(), "keys.json")
	s := openT(t, path, Options{Now: c.Now, MaxLifetime: time.Hour, MaxPerOwner: 2})
	old, oldSecret, _ := s.Create(ctx, alice, nil, "old")
	c.Add(30 * time.Minute)
	young, youngSecret, _ := s.Create(ctx, alice, nil, "young")
	if _, _, err := s.Create(ctx, alice, nil, "third"); !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "at most 2") {
		t.Fatalf("third key: %v", err)
	}
	if _, _, err := s.Create(ctx, bob, nil, "bob's"); err != nil {
		t.Fatalf("bob is limited by alice's keys: %v", err)
	}

	c.Add(30 * time.Minute) // old is now exactly an hour old
	if _, err := s.Authenticate(ctx, old.AccessKey, oldSecret); err != ErrInvalid {
		t.Fatalf("expired key: %v", err)
	}
	if _, err := s.Authenticate(ctx, young.AccessKey, youngSecret); err != nil {
		t.Fatalf("live key: %v", err)
	}
	if l, _ := s.List(ctx, alice); len(l) != 1 || l[0].AccessKey != young.AccessKey {
		t.Fatalf("List shows expired keys: %+v", l)
	}
	if err := s.Revoke(ctx, alice, old.AccessKey); !errors.Is(err, ErrNotFound) {
		t.Fatalf("revoking an expired key: %v", err)
	}
	// The expired key no longer counts, and is dropped from the file.
	if _, _, err := s.Create(ctx, alice, nil, "replacement"); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); strings.Contains(string(data), old.AccessKey) {
		t.Fatal("the expired key is still in the file")
	}
	// Expired keys are not loaded either.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	c.Add(time.Hour)
	s = openT(t, path, Options{Now: c.Now, MaxLifetime: time.Hour})
	if l, _ := s.List(ctx, alice); len(l) != 0 {
		t.Fatalf("expired keys after reopen: %+v", l)
	}
}

func TestDescription(t *testing.T) {
	s := openT(t, filepath.Join(t.TempDir(), "keys.json"), Options{})
	for _, bad := range []string{strings.Repeat("é", MaxDescription+1), "line\nbreak", "esc\x1b[31m", "\xff"} {
		if _, _, err := s.Create(ctx, alice, nil, bad); !errors.Is(err, ErrDescription) {
			t.Errorf("description %q: %v", bad, err)
		}
	}
	if k, _, err := s.Create(ctx, alice, nil, strings.Repeat("é", MaxDescription)); err != nil || k.Description == "" {
		t.Errorf("longest description: %v", err)
	}
	if _, _, err := s.Create(ctx, Owner{Subject: "x"}, nil, ""); err == nil {
		t.Error("owner without an issuer accepted")
	}
}

func TestBadFileIsAnError(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"garbage":       "not json",
		"version":       `{"version": 2, "keys": []}`,
		"unknown field": `{"version": 1, "keys": [], "extra": 1}`,
		"bad digest":    `{"version": 1, "keys": [{"access_key": "eak_0123456789abcdef0123456789abcdef", "secret_sha256": "eks_plain", "issuer": "i", "subject": "s", "claims": {}, "created": "2026-01-01T00:00:00Z", "expires": "2099-01-01T00:00:00Z"}]}`,
		"no owner":      `{"version": 1, "keys": [{"access_key": "eak_0123456789abcdef0123456789abcdef", "secret_sha256": "` + strings.Repeat("0", 64) + `", "claims": {}, "created": "2026-01-01T00:00:00Z", "expires": "2099-01-01T00:00:00Z"}]}`,
	} {
		path := filepath.Join(dir, name+".json")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if s, err := OpenFile(path, Options{}); err == nil {
			_ = s.Close() // should not have opened: the Errorf reports it
			t.Errorf("%s: opened", name)
		}
		if data, _ := os.ReadFile(path); string(data) != content {
			t.Errorf("%s: file changed", name)
		}
	}
}

// TestFailedWriteChangesNothing: when the file cannot be written, the key is
// not created (nor revoked) in memory either.
func TestFailedWriteChangesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	s := openT(t, path, Options{})
	k, secret, err := s.Create(ctx, alice, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	// A directory where the file should be: the rename fails.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Create(ctx, alice, nil, ""); err == nil {
		t.Fatal("Create succeeded without saving")
	}
	if err := s.Revoke(ctx, alice, k.AccessKey); err == nil {
		t.Fatal("Revoke succeeded without saving")
	}
	if l, _ := s.List(ctx, alice); len(l) != 1 {
		t.Fatalf("memory changed: %+v", l)
	}
	if _, err := s.Authenticate(ctx, k.AccessKey, secret); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

// TestConcurrentUse: creations, authentications, listings and revocations
// from many goroutines (run with -race) leave memory and file in agreement.
func TestConcurrentUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	s := openT(t, path, Options{MaxPerOwner: 1000})
	const users, perUser = 8, 10
	type made struct {
		owner          Owner
		access, secret string
	}
	results := make(chan made, users*perUser)
	var wg sync.WaitGroup
	for u := range users {
		owner := Owner{Issuer: "https://idp.example.org", Subject: fmt.Sprint("user", u)}
		wg.Go(func() {
			for i := range perUser {
				k, sec, err := s.Create(ctx, owner, map[string]any{"sub": owner.Subject}, fmt.Sprint("key ", i))
				if err != nil {
					t.Error(err)
					return
				}
				if got, err := s.Authenticate(ctx, k.AccessKey, sec); err != nil || got.Owner != owner {
					t.Errorf("own key: %v", err)
				}
				if _, err := s.List(ctx, owner); err != nil {
					t.Error(err)
				}
				if i%2 == 1 {
					if err := s.Revoke(ctx, owner, k.AccessKey); err != nil {
						t.Error(err)
					}
					continue
				}
				results <- made{owner, k.AccessKey, sec}
			}
		})
	}
	// Readers hammering unknown keys meanwhile.
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 4 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					if _, err := s.Authenticate(ctx, newAccessKey(), "eks_x"); err != ErrInvalid {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	close(results)
	var live []made
	for m := range results {
		live = append(live, m)
	}
	if len(live) != users*perUser/2 {
		t.Fatalf("%d live keys, want %d", len(live), users*perUser/2)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openT(t, path, Options{})
	for _, m := range live {
		if k, err := s.Authenticate(ctx, m.access, m.secret); err != nil || k.Owner != m.owner {
			t.Errorf("%s after reopen: %v", m.access, err)
		}
	}
	for u := range users {
		if l, _ := s.List(ctx, Owner{Issuer: "https://idp.example.org", Subject: fmt.Sprint("user", u)}); len(l) != perUser/2 {
			t.Errorf("user%d: %d keys after reopen", u, len(l))
		}
	}
}
