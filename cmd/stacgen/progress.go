package main

import (
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"slices"
	"sync"
	"time"

	"gitlab.com/eocat/eocat/internal/catalog"
	"gitlab.com/eocat/eocat/internal/render"
	"gitlab.com/eocat/eocat/internal/validate"
	"golang.org/x/term"
)

// progress shows a one-line progress display on a terminal, or a log line
// every interval elsewhere (CI), then a summary.
type progress struct {
	w        io.Writer
	log      *slog.Logger
	tty      bool
	interval time.Duration
}

func newProgress(w io.Writer, log *slog.Logger) *progress {
	p := &progress{w: w, log: log, interval: 10 * time.Second}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty, p.interval = true, 200*time.Millisecond
	}
	return p
}

// printf writes to the progress stream (standard error): a message that
// cannot be written there is no reason to fail the build.
func (p *progress) printf(format string, args ...any) {
	_, _ = fmt.Fprintf(p.w, format, args...)
}

func (p *progress) line(c *catalog.Progress, elapsed time.Duration) string {
	items, total := c.Items.Load(), c.ItemsTotal.Load()
	return fmt.Sprintf("listed %d objects · items %d/%d · headers read %d · %.0fs",
		c.Objects.Load(), items, total, c.HeaderReads.Load(), elapsed.Seconds())
}

// start reports c until the returned function is called.
func (p *progress) start(c *catalog.Progress) (stop func()) {
	if p == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	begin := time.Now()
	go func() {
		defer wg.Done()
		t := time.NewTicker(p.interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				if p.tty {
					p.printf("\r\033[K")
				}
				return
			case <-t.C:
				if p.tty {
					p.printf("\r\033[K%s", p.line(c, time.Since(begin)))
				} else {
					p.log.Info("progress", "objects", c.Objects.Load(), "items", c.Items.Load(),
						"items_found", c.ItemsTotal.Load(), "headers_read", c.HeaderReads.Load())
				}
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

func (p *progress) unchanged(out string, s catalog.Stats, took time.Duration) {
	if p == nil {
		return
	}
	p.printf("stacgen: %s is up to date: the configuration and all %d object(s) are unchanged since the last build (%.2fs)\n", out, s.Objects, took.Seconds())
}

func (p *progress) summary(out string, s summary) {
	if p == nil {
		return
	}
	rate := 0.0
	if s.Seconds > 0 {
		rate = float64(s.Items) / s.Seconds
	}
	p.printf("stacgen: wrote %s: %d collection(s), %d item(s) from %d object(s) in %.2fs (%.0f items/s); %d header(s) read, %d object(s) unchanged, %d warning(s)\n",
		out, s.Collections, s.Items, s.Objects, s.Seconds, rate, s.HeaderReads, s.Reused, len(s.Warnings))
	if s.Entries > 0 {
		p.printf("stacgen: published %d files and folders, %s\n", s.Entries, render.HumanSize(float64(s.Bytes)))
	}
	if s.Failed > 0 {
		p.printf("stacgen: %d item(s) left out (--skip-invalid-items)\n", s.Failed)
	}
	for _, w := range s.Warnings {
		p.printf("stacgen: warning: %s\n", w)
	}
	for _, src := range slices.Sorted(maps.Keys(s.Schemas)) {
		if src == validate.SourceCompact {
			p.printf("stacgen: note: %d schema(s) were not available from --schemas, the cache or the network; validated with stacgen's compact schemas\n", s.Schemas[src])
		}
	}
}
