//go:build linux

// Dex for tests: StartDex runs a real Dex OpenID Provider (memory storage,
// static password users and clients) privately for one test, on a free
// loopback port. Tokens come from Dex's own token endpoint (password grant,
// RFC 8693 token exchange Dex's way), so a test that passes here proves
// something about a real IdP's tokens, keys and quirks.
//
// The binary comes from $EOCAT_DEX, else the CI tool cache
// ($HOME/.cache/eocat/bin/dex-<DexVersion>, filled by `.ci/tools.sh dex`).
// Without one the test is skipped locally and fails under CI=true (Missing).
//
// Dex runs in its own process group, killed when the test ends; its output
// (the last 64 KiB) is logged when the test fails.

package testenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// DexVersion is the Dex build .ci/tools.sh installs (Dex v2.45.1's commit).
const DexVersion = "v0.0.0-20260303133905-11d2eeb52b42"

// DexUser is one of Dex's static password users.
type DexUser struct {
	Name     string   // the login's display name: the name claim (scope profile)
	Email    string   // what the password grant takes as username
	Password string   // in clear; Dex holds its bcrypt hash
	UserID   string   // Dex's user id (the token's sub is an encoding of it)
	Groups   []string // the groups claim (scope groups)
	hash     string
}

// DexUsers are the static password users of every StartDex instance.
var DexUsers = map[string]DexUser{
	"alice": {Name: "alice", Email: "alice@example.org", Password: "alice-password", UserID: "alice-id",
		Groups: []string{"s2-readers", "staff"}, hash: "$2a$10$PLnv7iCVi.ogpT1YJyfx5.M9TylVTV7OrEjXdveP3CmH4ByVDsIY."},
	"bob": {Name: "bob", Email: "bob@example.org", Password: "bob-password", UserID: "bob-id",
		Groups: []string{"guests"}, hash: "$2a$10$Ex2T4SMak3XsSpjKKg5.GuIB/A94hjjk2sVApJ14iktNSdjgAamj6"},
}

// DexClients are the static OAuth2 clients (id → secret) of every StartDex
// instance. "sts" trusts "signer" (trustedPeers).
var DexClients = map[string]string{"signer": "signer-secret", "sts": "sts-secret"}

// DexConnectorSelf is the id of the oidc connector pointing back at Dex
// itself, which Dex's token exchange needs (form parameter connector_id).
const DexConnectorSelf = "self"

// DexOptions tune a Dex instance; zero values keep the defaults.
type DexOptions struct {
	// IDTokenExpiry is expiry.idTokens (default 10 min).
	IDTokenExpiry time.Duration
	// PublicClients are extra public clients (id → redirect URIs): a static
	// site signing in with Authorization Code + PKCE, as browsers do.
	PublicClients map[string][]string
	// AllowedOrigins is web.allowedOrigins: the browser origins Dex answers
	// with CORS (discovery, keys, token endpoint).
	AllowedOrigins []string
	// KeysRotationPeriod is signer.config.keysRotationPeriod (default 6 h).
	// Dex checks whether it is due only every 30 s; the demoted key stays in
	// the JWKS for IDTokenExpiry.
	KeysRotationPeriod time.Duration
}

// Dex is a running Dex owned by one test.
type Dex struct {
	Issuer   string // http://127.0.0.1:<port>/dex
	TokenURL string // Issuer + "/token"
	JWKSURL  string // Issuer + "/keys"

	bin, cfg string
	logs     *tailBuffer
	client   *http.Client

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has been reaped
}

const dexStartupDeadline = 30 * time.Second

var errDexExitedEarly = errors.New("dex exited before serving discovery")

// StartDex starts Dex on a free loopback port with issuer
// http://127.0.0.1:<port>/dex, memory storage, the password DB (DexUsers,
// password grant connector "local"), the grant types password,
// refresh_token, authorization_code and token-exchange, the clients
// DexClients and the oidc connector "self". It returns once the discovery
// document is served (signing keys exist by then) and stops Dex when the
// test ends.
func StartDex(t testing.TB, opts DexOptions) *Dex {
	t.Helper()
	bin := os.Getenv("EOCAT_DEX")
	if bin == "" {
		home, _ := os.UserHomeDir()
		bin = filepath.Join(home, ".cache", "eocat", "bin", "dex-"+DexVersion)
	}
	if _, err := os.Stat(bin); err != nil {
		Missing(t, "Dex %s: %v (install it with .ci/tools.sh dex)", DexVersion, err)
	}
	if opts.IDTokenExpiry == 0 {
		opts.IDTokenExpiry = 10 * time.Minute
	}
	if opts.KeysRotationPeriod == 0 {
		opts.KeysRotationPeriod = 6 * time.Hour
	}
	dir := t.TempDir()
	d := &Dex{bin: bin, logs: &tailBuffer{max: logTailBytes}, client: &http.Client{Timeout: 10 * time.Second}}
	t.Cleanup(func() {
		d.Stop()
		if t.Failed() {
			t.Logf("Dex %s output (last %d bytes):\n%s", d.Issuer, logTailBytes, d.logs.String())
		}
	})
	// The port is chosen by listening on :0 and closing; another process may
	// take it before Dex binds, so retry with a new port when Dex exits early.
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		var port string
		if port, err = freeLoopbackPort(); err != nil {
			break
		}
		addr := net.JoinHostPort("127.0.0.1", port)
		d.Issuer = "http://" + addr + "/dex"
		d.TokenURL, d.JWKSURL = d.Issuer+"/token", d.Issuer+"/keys"
		d.cfg = filepath.Join(dir, fmt.Sprintf("config-%d.yaml", attempt))
		if err = writeDexConfig(d.cfg, addr, d.Issuer, opts); err != nil {
			break
		}
		if err = d.start(); err == nil {
			return d
		}
		if !errors.Is(err, errDexExitedEarly) {
			break
		}
	}
	t.Fatalf("starting Dex (%s): %v\n%s", bin, err, d.logs.String())
	return nil
}

// writeDexConfig writes Dex's configuration as JSON (which is YAML).
func writeDexConfig(path, addr, issuer string, opts DexOptions) error {
	var users []any
	for _, u := range DexUsers {
		users = append(users, map[string]any{"email": u.Email, "username": u.Name, "userID": u.UserID,
			"hash": u.hash, "groups": u.Groups})
	}
	var clients []any
	for id, secret := range DexClients {
		c := map[string]any{"id": id, "name": id, "secret": secret, "redirectURIs": []string{issuer + "/callback"}}
		if id == "sts" {
			c["trustedPeers"] = []string{"signer"}
		}
		clients = append(clients, c)
	}
	for id, uris := range opts.PublicClients {
		clients = append(clients, map[string]any{"id": id, "name": id, "public": true, "redirectURIs": uris})
	}
	web := map[string]any{"http": addr}
	if len(opts.AllowedOrigins) > 0 {
		web["allowedOrigins"] = opts.AllowedOrigins
	}
	cfg := map[string]any{
		"issuer":  issuer,
		"storage": map[string]any{"type": "memory"},
		"web":     web,
		"logger":  map[string]any{"level": "info", "format": "text"},
		"oauth2": map[string]any{"passwordConnector": "local", "skipApprovalScreen": true,
			"grantTypes": []string{"password", "refresh_token", "authorization_code", "urn:ietf:params:oauth:grant-type:token-exchange"}},
		"expiry":           map[string]any{"idTokens": opts.IDTokenExpiry.String()},
		"signer":           map[string]any{"type": "local", "config": map[string]any{"keysRotationPeriod": opts.KeysRotationPeriod.String()}},
		"enablePasswordDB": true,
		"staticPasswords":  users,
		"staticClients":    clients,
		// Dex's token exchange verifies the subject token with a connector;
		// this one trusts Dex's own tokens, which need a name claim (scope
		// profile; no email scope, so no email claim is required). Opening it
		// at boot fails (Dex is not listening yet: one ERROR line); Dex opens
		// it again on use.
		"connectors": []any{map[string]any{"type": "oidc", "id": DexConnectorSelf, "name": "self", "config": map[string]any{
			"issuer": issuer, "clientID": "signer", "clientSecret": DexClients["signer"], "redirectURI": issuer + "/callback",
			"insecureEnableGroups": true, "scopes": []string{"profile", "groups"}}}},
	}
	raw, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, raw, 0o600)
}

// start runs Dex with d.cfg and waits for its discovery document.
func (d *Dex) start() error {
	cmd := exec.Command(d.bin, "serve", d.cfg)
	cmd.Stdout, cmd.Stderr = d.logs, d.logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	d.mu.Lock()
	d.cmd, d.done = cmd, done
	d.mu.Unlock()

	client := &http.Client{Timeout: time.Second}
	timeout := time.After(dexStartupDeadline)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		resp, err := client.Get(d.Issuer + "/.well-known/openid-configuration")
		if err == nil {
			var doc struct {
				Issuer string `json:"issuer"`
			}
			err = json.NewDecoder(resp.Body).Decode(&doc)
			resp.Body.Close()
			if err == nil && resp.StatusCode == http.StatusOK && doc.Issuer == d.Issuer {
				return nil
			}
			if err == nil {
				err = fmt.Errorf("discovery: status %d, issuer %q", resp.StatusCode, doc.Issuer)
			}
		}
		last = err
		select {
		case <-done:
			d.mu.Lock()
			d.cmd = nil
			d.mu.Unlock()
			return fmt.Errorf("%w: %v", errDexExitedEarly, cmd.ProcessState)
		case <-timeout:
			d.Stop()
			return fmt.Errorf("dex not ready at %s after %v (last: %v)", d.Issuer, dexStartupDeadline, last)
		case <-tick.C:
		}
	}
}

// Stop kills Dex (its process group) and waits until it is reaped. Safe to
// call more than once.
func (d *Dex) Stop() {
	d.mu.Lock()
	cmd, done := d.cmd, d.done
	d.cmd = nil
	d.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	<-done
}

// Restart stops Dex and starts it again on the same port and issuer. With
// memory storage, the new process signs with a fresh key and publishes only
// that one: every key rotation at once, the old key gone.
func (d *Dex) Restart(t testing.TB) {
	t.Helper()
	d.Stop()
	if err := d.start(); err != nil {
		t.Fatalf("restarting Dex at %s: %v\n%s", d.Issuer, err, d.logs.String())
	}
}

// Logs returns the last 64 KiB of Dex's output.
func (d *Dex) Logs() string { return d.logs.String() }

// TokenRequest posts form to the token endpoint with HTTP Basic
// authentication as clientID (secret from DexClients) and returns the status
// and the decoded JSON answer.
func (d *Dex) TokenRequest(t testing.TB, clientID string, form url.Values) (int, map[string]any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(clientID, DexClients[clientID])
	resp, err := d.client.Do(req)
	if err != nil {
		t.Fatalf("Dex token endpoint: %v", err)
	}
	defer resp.Body.Close()
	out := map[string]any{}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("Dex token endpoint: status %d, body not JSON: %v", resp.StatusCode, err)
	}
	return resp.StatusCode, out
}

// PasswordToken returns the ID token of a password grant for user (a key of
// DexUsers, or the email itself) as clientID, with scope (e.g. "openid
// profile groups"); anything but success fails the test.
func (d *Dex) PasswordToken(t testing.TB, user, password, clientID, scope string) string {
	t.Helper()
	login := user
	if u, ok := DexUsers[user]; ok {
		login = u.Email
	}
	status, out := d.TokenRequest(t, clientID, url.Values{"grant_type": {"password"}, "username": {login},
		"password": {password}, "scope": {scope}})
	tok, _ := out["id_token"].(string)
	if status != http.StatusOK || tok == "" {
		t.Fatalf("Dex password grant for %s as %s: status %d: %v", user, clientID, status, out)
	}
	return tok
}

// Keys returns the JWKS Dex publishes now.
func (d *Dex) Keys(t testing.TB) jose.JSONWebKeySet {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, d.JWKSURL, nil)
	resp, err := d.client.Do(req)
	if err != nil {
		t.Fatalf("Dex JWKS: %v", err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil || resp.StatusCode != http.StatusOK || len(set.Keys) == 0 {
		t.Fatalf("Dex JWKS: status %d, %d keys, %v", resp.StatusCode, len(set.Keys), err)
	}
	return set
}
