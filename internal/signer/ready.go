package signer

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// /readyz reports the current state of each dependency: the identity
// provider (discovery document and key set fetched now:
// Verifier.Ready), the storage and, in mode sts, its STS. Each check's
// answer is kept Config.ProbeInterval, so that probes from load balancers
// cost the dependencies one request per interval at most, and a dependency
// that goes down is reported within that interval. Every check also tells
// its last error and how long ago it happened, so that a flapping
// dependency shows even while it answers.

// probe is one dependency's check and what is known of it.
type probe struct {
	name  string
	check func(ctx context.Context) error

	mu        sync.Mutex
	checked   time.Time // of the answer below
	err       error
	failing   time.Time // since when it fails (zero: it answers)
	lastErr   error     // the last failure, even when it answers again
	lastErrAt time.Time
	inflight  chan struct{}
}

// probeState is a probe's answer as /readyz shows it.
type probeState struct {
	Status    string `json:"status"` // "ok" or "failing"
	Error     string `json:"error,omitempty"`
	CheckedAt string `json:"checked_at"`
	// FailingFor is how long the dependency has failed, in seconds.
	FailingFor *int64 `json:"failing_for_seconds,omitempty"`
	// LastError is the most recent failure (also after recovery) and
	// LastErrorAge its age in seconds.
	LastError    string `json:"last_error,omitempty"`
	LastErrorAge *int64 `json:"last_error_age_seconds,omitempty"`
}

// state returns the probe's answer, checking again when the last answer is
// older than interval (one check at a time; callers arriving meanwhile
// share it).
func (p *probe) state(ctx context.Context, interval, timeout time.Duration) (probeState, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.checked) < interval {
		return p.snapshot()
	}
	if ch := p.inflight; ch != nil {
		p.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
		}
		p.mu.Lock()
		return p.snapshot()
	}
	ch := make(chan struct{})
	p.inflight = ch
	p.mu.Unlock()
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	err := p.check(cctx)
	cancel()
	now := time.Now()
	p.mu.Lock()
	p.checked, p.err = now, err
	if err != nil {
		if p.failing.IsZero() {
			p.failing = now
		}
		p.lastErr, p.lastErrAt = err, now
	} else {
		p.failing = time.Time{}
	}
	close(ch)
	p.inflight = nil
	return p.snapshot()
}

// snapshot formats the probe's answer; p.mu is held.
func (p *probe) snapshot() (probeState, bool) {
	now := time.Now()
	secs := func(t time.Time) *int64 { s := int64(now.Sub(t) / time.Second); return &s }
	st := probeState{Status: "ok", CheckedAt: p.checked.UTC().Format(time.RFC3339)}
	ok := p.err == nil && !p.checked.IsZero()
	if !ok {
		st.Status = "failing"
		if p.err != nil {
			st.Error = p.err.Error()
			st.FailingFor = secs(p.failing)
		} else {
			st.Error = "not checked yet"
		}
	}
	if p.lastErr != nil {
		st.LastError, st.LastErrorAge = p.lastErr.Error(), secs(p.lastErrAt)
	}
	return st, ok
}

// GET /readyz → {"ready": bool, "checks": {name: probeState}}; 503 when a
// check fails.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) error {
	states := make([]probeState, len(s.probes))
	oks := make([]bool, len(s.probes))
	var wg sync.WaitGroup
	for i, p := range s.probes {
		wg.Go(func() { states[i], oks[i] = p.state(r.Context(), s.cfg.ProbeInterval, s.cfg.ProbeTimeout) })
	}
	wg.Wait()
	checks := map[string]probeState{}
	ready := true
	for i, p := range s.probes {
		checks[p.name] = states[i]
		ready = ready && oks[i]
	}
	status := http.StatusOK
	if !ready {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, map[string]any{"ready": ready, "checks": checks})
	return nil
}
