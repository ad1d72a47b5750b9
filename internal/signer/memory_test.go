package signer

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	rtmetrics "runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// memorySampler records the peak Go heap (live and not yet collected
// objects) and the peak resident set of the process above a baseline taken
// after a full collection.
type memorySampler struct {
	baseHeap, baseRSS uint64
	peakHeap, peakRSS atomic.Uint64
	stop              chan struct{}
	done              chan struct{}
}

func heapObjects() uint64 {
	s := []rtmetrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	rtmetrics.Read(s)
	return s[0].Value.Uint64()
}

// residentBytes is VmRSS from /proc/self/status (0 where there is none).
func residentBytes() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close() //nolint:errcheck // read only
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func startMemorySampler() *memorySampler {
	runtime.GC()
	debug.FreeOSMemory()
	m := &memorySampler{baseHeap: heapObjects(), baseRSS: residentBytes(), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(m.done)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			if h := heapObjects(); h > m.peakHeap.Load() {
				m.peakHeap.Store(h)
			}
			if r := residentBytes(); r > m.peakRSS.Load() {
				m.peakRSS.Store(r)
			}
			select {
			case <-m.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return m
}

// growth stops the sampler and returns the peaks above the baselines.
func (m *memorySampler) growth() (heap, rss uint64) {
	close(m.stop)
	<-m.done
	sub := func(a, b uint64) uint64 {
		if a < b {
			return 0
		}
		return a - b
	}
	return sub(m.peakHeap.Load(), m.baseHeap), sub(m.peakRSS.Load(), m.baseRSS)
}

// Finding 6: 32 concurrent 8 MiB POST /sign/stac, from one user (the
// finding) and from 8 users at once. Before the budget and the byte-level
// rewriting, the process grew by about 36 MB per request (1.16 GB); now at
// most MaxInflightBytes of bodies are held at once (half of it for one
// user), each costing about twice its size, and the others wait their turn.
// Asserted: every document is answered in full, and the process's peak heap
// and resident set grow by less than 5 × the budget + the client's document
// (the one copy all 32 requests send from): each admitted byte costs about
// two (the body, the answer), and with GOGC=100 the heap may reach twice
// what is live before a collection.
func TestConcurrentLargeSTACBodiesStayBounded(t *testing.T) {
	const budget = 32 << 20
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	e := newEnv(t, func(c *Config) { c.MaxInflightBytes = budget; c.BodyWait = 2 * time.Minute })
	blue := e.obj("public/S2/B02.tif")
	doc := bigItem(blue, MaxSTACBody)
	var tokens []string
	for i := range 8 {
		tokens = append(tokens, e.idp.Token(t, fmt.Sprintf("user-%d", i), "signer", nil))
	}
	// Warm up: one request (connections, the token verified, credentials).
	if status, n, err := postSTAC(e.api.URL, tokens[0], doc); err != nil || status != 200 || n < len(doc) {
		t.Fatalf("warm-up: %d, %d bytes, %v", status, n, err)
	}
	for _, users := range []int{1, 8} {
		e.srv.budget.mu.Lock()
		e.srv.budget.peak = 0
		e.srv.budget.mu.Unlock()
		mem := startMemorySampler()
		const clients = 32
		var wg sync.WaitGroup
		type result struct {
			status, n int
			err       error
		}
		results := make([]result, clients)
		start := time.Now()
		for i := range clients {
			wg.Go(func() {
				status, n, err := postSTAC(e.api.URL, tokens[i%users], doc)
				results[i] = result{status, n, err}
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		heap, rss := mem.growth()
		_, peak, busy := e.srv.budget.stats()

		for i, r := range results {
			// The document comes back whole: the expiry member added, the
			// storage href replaced by a longer signed URL, the rest as sent.
			if r.err != nil || r.status != 200 || r.n <= len(doc) || r.n > len(doc)+2048 {
				t.Errorf("%d users, request %d: %d, %d bytes (sent %d), %v", users, i, r.status, r.n, len(doc), r.err)
			}
		}
		if limit := min(budget, users*budget/2); peak > int64(limit) || busy != 0 {
			t.Errorf("%d users: peak %d bytes held (limit %d), %d refused", users, peak, limit, busy)
		}
		bound := uint64(5*budget + len(doc))
		t.Logf("%d users, %d × %d-byte documents in %v: peak heap +%.1f MiB, peak RSS +%.1f MiB (bound %.0f MiB; budget %d MiB, most held %d MiB)",
			users, clients, len(doc), elapsed.Round(time.Millisecond), float64(heap)/(1<<20), float64(rss)/(1<<20), float64(bound)/(1<<20), budget>>20, peak>>20)
		if heap > bound {
			t.Errorf("%d users: peak heap grew by %d MiB, want < %d MiB", users, heap>>20, bound>>20)
		}
		rssBound := bound
		if raceEnabled {
			rssBound *= 3 // the race detector's shadow memory follows the heap
		}
		if rss == 0 && residentBytes() == 0 {
			t.Log("no /proc/self/status: resident set not measured")
		} else if rss > rssBound {
			t.Errorf("%d users: peak resident set grew by %d MiB, want < %d MiB", users, rss>>20, rssBound>>20)
		}
	}
}

// postSTAC sends doc to /sign/stac and reads the answer without keeping it:
// the status and the answer's length, and an error unless it starts with
// the expiry member and carries a signature.
func postSTAC(api, token string, doc []byte) (int, int, error) {
	req, _ := http.NewRequest("POST", api+"/sign/stac", bytes.NewReader(doc))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	var head [64]byte
	n, err := io.ReadFull(resp.Body, head[:])
	if err != nil {
		return resp.StatusCode, n, err
	}
	sig := &containsWriter{want: []byte("X-Amz-Signature="), tail: head[:]}
	rest, err := io.Copy(sig, resp.Body)
	n += int(rest)
	if err != nil {
		return resp.StatusCode, n, err
	}
	if resp.StatusCode == 200 && (!bytes.HasPrefix(head[:], []byte(`{"expiry":"`)) || !sig.found) {
		return resp.StatusCode, n, io.ErrUnexpectedEOF
	}
	return resp.StatusCode, n, nil
}

// containsWriter reports whether want appears in what is written to it.
type containsWriter struct {
	want, tail []byte
	found      bool
}

func (c *containsWriter) Write(p []byte) (int, error) {
	if !c.found {
		joint := append(append([]byte(nil), c.tail...), p[:min(len(p), len(c.want))]...)
		c.found = bytes.Contains(joint, c.want) || bytes.Contains(p, c.want)
		last := append(c.tail, p[max(0, len(p)-len(c.want)):]...)
		c.tail = append([]byte(nil), last[max(0, len(last)-len(c.want)):]...)
	}
	return len(p), nil
}
