package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/chromedp/chromedp"
	"gitlab.com/eocat/eocat/internal/auth"
	"gitlab.com/eocat/eocat/internal/policy"
	"gitlab.com/eocat/eocat/internal/presign"
	"gitlab.com/eocat/eocat/internal/signer"
	"gitlab.com/eocat/eocat/internal/testenv"
)

// signinPolicy lets the s2-readers group (alice) read the Sentinel-2
// products; bob may read nothing.
const signinPolicy = `
rules:
  - name: s2-readers
    when: {groups: [s2-readers]}
    allow: [GET, HEAD]
    resources: ["eodata/S2/*"]
`

// siteClient is the site's public client at Dex.
const siteClient = "eocat-site"

// waitFor polls a JavaScript condition until it is true.
func waitFor(t *testing.T, tab *testenv.Tab, what, cond string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(tab.Ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { try { return Boolean(`+cond+`) } catch { return false } })()`))
		cancel()
		if err == nil && ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	loc, _ := chromedp.Run(tab.Ctx, chromedp.Location())
	html, _ := chromedp.Run(tab.Ctx, chromedp.OuterHTML(chromedp.CSS("body")))
	t.Fatalf("waiting for %s (%s) at %s: timed out\n%.2000s", what, cond, loc, html)
}

// signInAtDex clicks "Sign in" and fills Dex's login form.
func signInAtDex(t *testing.T, tab *testenv.Tab, user testenv.DexUser) {
	t.Helper()
	waitFor(t, tab, "the sign-in button", `!document.querySelector("[data-auth]").hidden && !document.querySelector("[data-sign-in]").hidden`)
	if err := chromedp.Do(tab.Ctx, chromedp.Click(chromedp.CSS("[data-sign-in]"))); err != nil {
		t.Fatal(err)
	}
	// Dex lists its connectors first: the password database is "Log in with Email".
	waitFor(t, tab, "Dex's login page", `document.querySelector("input[name=login]") || [...document.querySelectorAll("a, button")].some(e => /Email/i.test(e.textContent))`)
	if testenv.Eval[bool](t, tab, `!document.querySelector("input[name=login]")`) {
		if err := chromedp.Do(tab.Ctx, chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll("a, button")].find(e => /Email/i.test(e.textContent)).click()`)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, tab, "Dex's password form", `document.querySelector("input[name=login]")`)
	}
	if err := chromedp.Do(tab.Ctx,
		chromedp.SendKeys(chromedp.CSS("input[name=login]"), user.Email),
		chromedp.SendKeys(chromedp.CSS("input[name=password]"), user.Password),
		chromedp.Submit(chromedp.CSS("input[name=password]")),
	); err != nil {
		t.Fatal(err)
	}
	waitFor(t, tab, "the return to the item page, signed in", `document.documentElement.dataset.signedIn === "true"`)
}

func TestSignInAndSignedLinksInChromium(t *testing.T) {
	browserCtx := testenv.StartChromium(t)
	s3 := testenv.StartVersityGW(t)
	s3.CreateBucket(t, "eodata")
	data := filepath.Join(testenv.RepoRoot(), "examples", "quickstart", "data", "sentinel2-l2a")
	s3.PutDir(t, "eodata", "S2/", data)

	// The site's address must be known to Dex (redirect URI, CORS) before
	// the build that names Dex: serve the empty output folder first.
	dir := t.TempDir()
	out := filepath.Join(dir, "public")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	base := serveSite(t, out)
	origin := strings.TrimSuffix(base, "/")
	dex := testenv.StartDex(t, testenv.DexOptions{
		PublicClients:  map[string][]string{siteClient: {base + "callback.html"}},
		AllowedOrigins: []string{origin},
		// oidc-client-ts renews a minute before expiry: with 65 s tokens the
		// renewal (by refresh token) comes about 5 s after signing in.
		IDTokenExpiry: 65 * time.Second,
	})

	// The signer: static mode, the storage's key, the policy above, CORS
	// for the site.
	ep, _ := url.Parse(s3.Endpoint)
	pol, err := policy.Parse([]byte(signinPolicy))
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.Options{Issuers: []auth.Issuer{{URL: dex.Issuer}}, Audiences: []string{siteClient}})
	if err != nil {
		t.Fatal(err)
	}
	newSigner := func(perSecond float64, burst int) http.Handler {
		srv, err := signer.New(signer.Config{
			Mode:          signer.ModeStatic,
			Storage:       &presign.Storage{Endpoint: ep, Buckets: []string{"eodata"}, PathStyle: true, Region: s3.Region},
			Verifier:      v,
			Policy:        pol,
			Credentials:   presign.NewStatic(credentials.NewStaticCredentialsProvider(s3.AccessKey, s3.SecretKey, "")),
			CORSOrigins:   []string{origin},
			RatePerSecond: perSecond, RateBurst: burst,
			Logger: slog.New(slog.DiscardHandler),
		})
		if err != nil {
			t.Fatal(err)
		}
		return srv
	}
	// The site knows one signer URL; a test can switch it to a signer that
	// allows one request per user per 1,000 s (its own rate limit: 429).
	normal, limited := newSigner(0, 0), newSigner(0.001, 1)
	var current atomic.Pointer[http.Handler]
	current.Store(&normal)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*current.Load()).ServeHTTP(w, r) }))
	t.Cleanup(api.Close)

	cfg := writeConfig(t, dir, "signed.yaml", fmt.Sprintf(`catalog: {id: signed, title: Signed catalog, description: Private Sentinel-2 products.}
s3: {endpoint: %q, region: %q, path_style: true}
signer: {url: %q, issuer: %q, client_id: %s, scopes: [openid, profile, email, groups, offline_access]}
collections:
  - id: sentinel-2-l2a
    title: Sentinel-2 L2A (private)
    description: Products in a private bucket.
    license: CC-BY-SA-3.0-IGO
    source: s3://eodata/S2/
    items: {sidecar: metadata.json}
    assets:
      - {match: "*.tif", roles: [data]}
      - {match: "preview.png", skip: true}
`, s3.Endpoint, s3.Region, api.URL, dex.Issuer, siteClient))
	t.Setenv("AWS_ACCESS_KEY_ID", s3.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", s3.SecretKey)
	t.Setenv("AWS_REGION", s3.Region)
	if code, _, stderr := run(t, "build", "-c", cfg, "--out", out, "--offline"); code != 0 {
		t.Fatalf("build: %d\n%s", code, stderr)
	}
	itemPage := base + "sentinel-2-l2a/" + s2Item + "/index.html"
	object := func(key string) []byte {
		b, err := os.ReadFile(filepath.Join(data, s2Item, key))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	t.Run("alice signs in and every signed link returns the object", func(t *testing.T) {
		tab := testenv.NewTab(t, browserCtx, true)
		tab.Open(t, itemPage)
		if status := testenv.Eval[string](t, tab, `document.querySelector("[data-sign-status]").textContent`); !strings.Contains(status, "Sign in to get download links") {
			t.Errorf("signed out, the status says %q", status)
		}
		signInAtDex(t, tab, testenv.DexUsers["alice"])
		if loc := testenv.Eval[string](t, tab, `location.href`); loc != itemPage {
			t.Errorf("after sign-in the page is %s, want %s", loc, itemPage)
		}
		if who := testenv.Eval[string](t, tab, `document.querySelector("[data-who]").textContent`); who != "Signed in as alice@example.org" {
			t.Errorf("header: %q", who)
		}
		if n := testenv.Eval[int](t, tab, `Object.keys(sessionStorage).filter(k => k.startsWith("oidc.user:")).length`); n != 1 {
			t.Errorf("%d users in sessionStorage", n)
		}
		if rt := testenv.Eval[bool](t, tab, `Boolean(JSON.parse(sessionStorage.getItem(Object.keys(sessionStorage).find(k => k.startsWith("oidc.user:")))).refresh_token)`); !rt {
			t.Error("no refresh token: renewal would need a hidden iframe")
		}
		// Renewal uses the refresh token: a new ID token, and no hidden iframe.
		first := testenv.Eval[string](t, tab, `JSON.parse(sessionStorage.getItem(Object.keys(sessionStorage).find(k => k.startsWith("oidc.user:")))).id_token`)
		waitFor(t, tab, "the renewed token", `JSON.parse(sessionStorage.getItem(Object.keys(sessionStorage).find(k => k.startsWith("oidc.user:")))).id_token !== `+strconv.Quote(first))
		if n := testenv.Eval[int](t, tab, `document.querySelectorAll("iframe").length`); n != 0 {
			t.Errorf("%d iframes: renewal must not need third-party cookies", n)
		}
		if err := chromedp.Do(tab.Ctx, chromedp.Click(chromedp.CSS("[data-sign-all]"))); err != nil {
			t.Fatal(err)
		}
		waitFor(t, tab, "the signed links", `/^Signed \d+ links?, valid until/.test(document.querySelector("[data-sign-status]").textContent)`)
		links := testenv.Eval[[]struct{ ID, Href, Original string }](t, tab, `[...document.querySelectorAll("a[data-signed=true]")].map(a => ({ID: a.id, Href: a.href, Original: a.dataset.href}))`)
		if len(links) != 6 {
			t.Fatalf("%d signed links, want the 6 COGs: %v", len(links), links)
		}
		for _, l := range links {
			if !strings.Contains(l.Href, "X-Amz-Signature=") || !strings.HasPrefix(l.Href, s3.Endpoint+"/eodata/S2/") {
				t.Errorf("%s: not a presigned URL of the storage: %s", l.ID, l.Href)
				continue
			}
			resp, err := http.Get(l.Href)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if want := object(path.Base(l.Original)); resp.StatusCode != 200 || !bytes.Equal(body, want) {
				t.Errorf("%s: GET %d, %d bytes; want the object's %d bytes", l.ID, resp.StatusCode, len(body), len(want))
			}
			// The unsigned href is refused by the storage: signing was needed.
			if resp, err := http.Get(l.Original); err == nil {
				if resp.StatusCode == 200 {
					t.Errorf("%s: the storage serves the unsigned href", l.ID)
				}
				resp.Body.Close()
			}
		}
		// The snippets now use the signed URL.
		gdal := strings.Split(testenv.Eval[string](t, tab, `document.getElementById("use-0").textContent`), "\n")
		if len(gdal) != len(links) {
			t.Errorf("GDAL snippet after signing: %d lines for %d links", len(gdal), len(links))
		}
		for i, l := range links {
			if i < len(gdal) && gdal[i] != "gdalinfo '/vsicurl/"+l.Href+"'" {
				t.Errorf("GDAL snippet line %d after signing: %q, want the signed URL of %s", i, gdal[i], l.ID)
			}
		}
		if dl := testenv.Eval[string](t, tab, `document.getElementById("use-1").textContent`); strings.Contains(dl, "aws s3") || strings.Count(dl, "X-Amz-Signature=") != len(links) {
			t.Errorf("download snippet after signing: %q", dl)
		}
		if exp := testenv.Eval[string](t, tab, `document.querySelector('[data-signed-status="asset-1"]').textContent`); !strings.HasPrefix(exp, "expires ") {
			t.Errorf("expiry shown: %q", exp)
		}
		if *screenshots != "" {
			screenshot(t, tab, "signed.png", `section[aria-labelledby="h-assets"]`)
		}
		noProblems(t, tab, "alice")

		// From the search results: the signed URLs of the selected items.
		tab.Open(t, base+"sentinel-2-l2a/index.html?q=S2")
		waitFor(t, tab, "the search results", `document.querySelector("#search").dataset.results === "3"`)
		if err := chromedp.Do(tab.Ctx, chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll("#search .sign-selected button")].find(b => b.textContent === "Select all shown").click()`),
			chromedp.Click(chromedp.CSS("[data-sign-selected]"))); err != nil {
			t.Fatal(err)
		}
		waitFor(t, tab, "the signed list", `/^18 signed URLs for 3 items/.test(document.querySelector("[data-sign-selected-status]").textContent)`)
		list := strings.Fields(testenv.Eval[string](t, tab, `document.querySelector("[data-signed-urls]").value`))
		if len(list) != 18 {
			t.Fatalf("%d signed URLs in the list, want 18", len(list))
		}
		for _, u := range []string{list[0], list[len(list)-1]} {
			resp, err := http.Get(u)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			p, _ := url.Parse(u)
			item, file := path.Base(path.Dir(p.Path)), path.Base(p.Path)
			want, _ := os.ReadFile(filepath.Join(data, item, file))
			if resp.StatusCode != 200 || len(want) == 0 || !bytes.Equal(body, want) {
				t.Errorf("%s: GET %d, %d bytes, want %s/%s", u, resp.StatusCode, len(body), item, file)
			}
		}
		if dl := testenv.Eval[string](t, tab, `document.querySelector(".sign-selected a[download]").href`); !strings.HasPrefix(dl, "blob:") {
			t.Errorf("download link %q", dl)
		}
		noProblems(t, tab, "sign selected")
		tab.Open(t, itemPage)
		waitFor(t, tab, "the signed-in item page", `document.documentElement.dataset.signedIn === "true"`)

		// Sign out: the token leaves the storage and the buttons ask to sign in.
		if err := chromedp.Do(tab.Ctx, chromedp.Click(chromedp.CSS("[data-sign-out]"))); err != nil {
			t.Fatal(err)
		}
		waitFor(t, tab, "the signed-out state", `document.documentElement.dataset.signedIn === "false"`)
		if keys := testenv.Eval[[]string](t, tab, `Object.keys(sessionStorage).filter(k => k.startsWith("oidc."))`); len(keys) != 0 {
			t.Errorf("after sign-out sessionStorage still holds %v", keys)
		}
		if visible := testenv.Eval[bool](t, tab, `!document.querySelector("[data-sign-in]").hidden && document.querySelector("[data-sign-out]").hidden && document.querySelector("[data-sign-all]").dataset.needsSignIn === "true"`); !visible {
			t.Error("after sign-out the page does not ask to sign in")
		}
		noProblems(t, tab, "sign-out")
	})

	t.Run("bob, whom the policy denies, sees the 403 message", func(t *testing.T) {
		tab := testenv.NewTab(t, browserCtx, true)
		tab.Open(t, itemPage)
		signInAtDex(t, tab, testenv.DexUsers["bob"])
		if err := chromedp.Do(tab.Ctx, chromedp.Click(chromedp.CSS(`button[data-sign="asset-1"]`))); err != nil {
			t.Fatal(err)
		}
		waitFor(t, tab, "the refusal", `document.querySelector('[data-signed-status="asset-1"]').textContent !== ""`)
		if msg := testenv.Eval[string](t, tab, `document.querySelector('[data-signed-status="asset-1"]').textContent`); msg != "You have no access to this asset." {
			t.Errorf("403 message: %q", msg)
		}
		if n := testenv.Eval[int](t, tab, `document.querySelectorAll("a[data-signed=true]").length`); n != 0 {
			t.Errorf("%d links signed for a user the policy denies", n)
		}
		for _, p := range tab.Problems() { // the signer's 403 itself is expected
			if !strings.Contains(p, "403") || !strings.Contains(p, api.URL) {
				t.Errorf("bob: %s", p)
			}
		}
	})

	t.Run("a rate limit and an unreachable signer say what to do", func(t *testing.T) {
		tab := testenv.NewTab(t, browserCtx, true)
		tab.Open(t, itemPage)
		signInAtDex(t, tab, testenv.DexUsers["alice"])
		current.Store(&limited)
		note := func(anchor string) string {
			return testenv.Eval[string](t, tab, `document.querySelector('[data-signed-status="`+anchor+`"]').textContent`)
		}
		for _, anchor := range []string{"asset-1", "asset-2"} {
			if err := chromedp.Do(tab.Ctx, chromedp.Click(chromedp.CSS(`button[data-sign="`+anchor+`"]`))); err != nil {
				t.Fatal(err)
			}
			waitFor(t, tab, anchor+"'s outcome", `document.querySelector('[data-signed-status="`+anchor+`"]').textContent !== ""`)
		}
		if got := note("asset-1"); !strings.HasPrefix(got, "expires ") {
			t.Errorf("the first request within the limit: %q", got)
		}
		if got := note("asset-2"); !regexp.MustCompile(`^Too many requests: try again in \d+ s\.$`).MatchString(got) {
			t.Errorf("429: %q", got)
		}
		api.Close()
		if err := chromedp.Do(tab.Ctx, chromedp.Click(chromedp.CSS(`button[data-sign="asset-3"]`))); err != nil {
			t.Fatal(err)
		}
		waitFor(t, tab, "the unreachable signer's message", `document.querySelector('[data-signed-status="asset-3"]').textContent !== ""`)
		if got := note("asset-3"); got != "The signing service cannot be reached. Try again later." {
			t.Errorf("unreachable: %q", got)
		}
		for _, p := range tab.Problems() { // the 429 and the refused connection are the point
			if !strings.Contains(p, api.URL) {
				t.Errorf("%s", p)
			}
		}
	})
}
