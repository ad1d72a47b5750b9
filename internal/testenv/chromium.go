package testenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromiumPath finds Debian's chromium: $EOCAT_CHROMIUM (set by
// .ci/tools.sh), else on PATH.
func chromiumPath() string {
	if p := os.Getenv("EOCAT_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// StartChromium starts a headless Chromium for the test and returns its
// browser context; tabs are opened with NewTab. Without Chromium the test
// is skipped, except under CI=true where it fails.
func StartChromium(t testing.TB) context.Context {
	t.Helper()
	bin := chromiumPath()
	if bin == "" {
		Missing(t, "chromium not found: run .ci/tools.sh chromium (Debian's chromium) or set EOCAT_CHROMIUM")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("lang", "en-GB"),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		cancel()
		cancelAlloc()
		t.Fatalf("starting %s: %v", bin, err)
	}
	t.Cleanup(func() { cancel(); cancelAlloc() })
	return ctx
}

// Tab is one browser tab that records every problem a reader would meet:
// console errors, uncaught exceptions, failed or refused requests (4xx/5xx,
// CSP blocks) and JavaScript dialogs (alert, confirm, prompt: a script that
// ran when it should not have).
type Tab struct {
	Ctx context.Context

	mu       sync.Mutex
	problems []string
	dialogs  []string
	bytes    map[string]float64           // URL → bytes transferred (encoded)
	ids      map[network.RequestID]string // URL of each request
	methods  map[network.RequestID]string
}

// NewTab opens a tab in the browser of browserCtx, closed at the end of the
// test. With private, the tab gets its own browser context: no cookie or
// storage shared with other tabs, as a different person's browser.
func NewTab(t testing.TB, browserCtx context.Context, private ...bool) *Tab {
	t.Helper()
	var opts []chromedp.ContextOption
	if len(private) > 0 && private[0] {
		opts = append(opts, chromedp.WithNewBrowserContext())
	}
	ctx, cancel := chromedp.NewContext(browserCtx, opts...)
	t.Cleanup(cancel)
	tab := &Tab{Ctx: ctx, bytes: map[string]float64{}, ids: map[network.RequestID]string{}, methods: map[network.RequestID]string{}}
	err := chromedp.Listen(ctx, func(ev any) {
		tab.mu.Lock()
		defer tab.mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
				var parts []string
				for _, a := range e.Args {
					parts = append(parts, strings.Trim(string(a.Value), `"`)+a.Description)
				}
				tab.problems = append(tab.problems, "console."+string(e.Type)+": "+strings.Join(parts, " "))
			}
		case *runtime.EventExceptionThrown:
			d := e.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			tab.problems = append(tab.problems, "exception: "+msg)
		case *log.EventEntryAdded:
			if e.Entry.Level == log.EntryLevelError {
				tab.problems = append(tab.problems, "log "+string(e.Entry.Source)+": "+e.Entry.Text+" "+e.Entry.URL)
			}
		case *network.EventRequestWillBeSent:
			tab.ids[e.RequestID] = e.Request.URL
			tab.methods[e.RequestID] = e.Request.Method
		case *network.EventResponseReceived:
			if e.Response.Status >= 400 {
				tab.problems = append(tab.problems, fmt.Sprintf("HTTP %d %s", int(e.Response.Status), e.Response.URL))
			}
		case *network.EventLoadingFinished:
			if u := tab.ids[e.RequestID]; u != "" {
				tab.bytes[u] += e.EncodedDataLength
			}
		case *network.EventLoadingFailed:
			if e.Canceled && tab.methods[e.RequestID] == "HEAD" {
				break // a HEAD answer has no body to read: Chromium reports fetch()'s as canceled
			}
			tab.problems = append(tab.problems, fmt.Sprintf("request failed: %s %s %s %s", tab.methods[e.RequestID], tab.ids[e.RequestID], e.ErrorText, e.BlockedReason))
		case *page.EventJavascriptDialogOpening:
			tab.dialogs = append(tab.dialogs, string(e.Type)+": "+e.Message)
			go func() { // answer it, or the page stays blocked
				_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
			}()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// Problems returns and clears what went wrong since the last call.
func (tab *Tab) Problems() []string {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	p := tab.problems
	tab.problems = nil
	return p
}

// Dialogs lists the JavaScript dialogs that opened.
func (tab *Tab) Dialogs() []string {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	return append([]string(nil), tab.dialogs...)
}

// Transferred returns and clears the bytes received per URL.
func (tab *Tab) Transferred() map[string]float64 {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	b := tab.bytes
	tab.bytes = map[string]float64{}
	return b
}

// Open navigates and waits for the load event and a short settling time
// (module scripts and the map run after load).
func (tab *Tab) Open(t testing.TB, url string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab.Ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitReady("body"), chromedp.Sleep(150*time.Millisecond)); err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
}

// Eval evaluates a JavaScript expression (promises awaited) into T.
func Eval[T any](t testing.TB, tab *Tab, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab.Ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluating %.80s…: %v", expr, err)
	}
	return v
}

// Call sends a DevTools protocol command to the tab.
func Call[P, R any](t testing.TB, tab *Tab, cmd cdp.Command[P, R], params P) R {
	t.Helper()
	r, err := chromedp.Call(tab.Ctx, cmd, params)
	if err != nil {
		t.Fatalf("%s: %v", cmd.Method, err)
	}
	return r
}
