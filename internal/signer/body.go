package signer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"sync"
	"time"

	"gitlab.com/eocat/eocat/internal/auth"
)

// Request bodies are read whole before they are decoded, and the bytes they
// may take are admitted first against one process-wide budget
// (Config.MaxInflightBytes): the per-user rate limit counts requests, and a
// few users sending large documents at once could otherwise take the
// process's memory (32 concurrent 8 MiB /sign/stac bodies once took 1.16 GB).
// A body is charged its declared Content-Length, or the route's limit when
// the length is not declared (chunked), from before it is read until the
// response is written; a request that does not fit waits up to
// Config.BodyWait for others to finish, then gets 503 busy with Retry-After.
// One user may hold at most half the budget (at least one largest body).

// bodyBudget is a counting budget of bytes, of which one caller (issuer and
// subject: an API key counts as its owner) may hold at most half (or one
// largest body), so that one user's slow uploads cannot take it all. It is
// not FIFO: a small request may pass a large one that waits, so that small
// requests are not held up by large ones (a large one waits at most
// BodyWait).
type bodyBudget struct {
	mu       sync.Mutex
	capacity int64
	perUser  int64
	used     int64
	users    map[string]int64 // bytes held by caller
	peak     int64
	wake     chan struct{} // closed (and replaced) when bytes are released
	busy     int64         // requests refused
}

// newBodyBudget returns a budget of capacity bytes for bodies of at most
// largest bytes (capacity ≥ largest).
func newBodyBudget(capacity, largest int64) *bodyBudget {
	return &bodyBudget{capacity: capacity, perUser: min(capacity, max(capacity/2, largest)), users: map[string]int64{}, wake: make(chan struct{})}
}

// acquire takes n bytes for user, waiting at most wait for them; the
// returned release gives them back (once).
func (b *bodyBudget) acquire(ctx context.Context, user string, n int64, wait time.Duration) (func(), bool) {
	if n <= 0 {
		return func() {}, true
	}
	n = min(n, b.perUser)
	var timer *time.Timer
	for {
		b.mu.Lock()
		if b.used+n <= b.capacity && b.users[user]+n <= b.perUser {
			b.used += n
			b.users[user] += n
			b.peak = max(b.peak, b.used)
			b.mu.Unlock()
			if timer != nil {
				timer.Stop()
			}
			var once sync.Once
			return func() { once.Do(func() { b.release(user, n) }) }, true
		}
		wake := b.wake
		b.mu.Unlock()
		if timer == nil {
			timer = time.NewTimer(wait)
		}
		select {
		case <-wake:
		case <-timer.C:
			b.mu.Lock()
			b.busy++
			b.mu.Unlock()
			return func() {}, false
		case <-ctx.Done():
			timer.Stop()
			return func() {}, false
		}
	}
}

func (b *bodyBudget) release(user string, n int64) {
	b.mu.Lock()
	b.used -= n
	if b.users[user] -= n; b.users[user] <= 0 {
		delete(b.users, user)
	}
	close(b.wake)
	b.wake = make(chan struct{})
	b.mu.Unlock()
}

// stats returns the bytes held now, the most ever held and the requests
// refused.
func (b *bodyBudget) stats() (used, peak, busy int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used, b.peak, b.busy
}

// readBody admits and reads the JSON body of p's request, of at most limit
// bytes. Call it after authenticating (a stranger's body is never read) and
// call release, even on error, once the response no longer needs the body.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, p *auth.Principal, limit int64) (data []byte, release func(), err error) {
	release = func() {}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, _ := mime.ParseMediaType(ct); mt != "application/json" && mt != "application/geo+json" {
			return nil, release, errorf(http.StatusUnsupportedMediaType, codeBadRequest, "Content-Type %q: want application/json", ct)
		}
	}
	if r.ContentLength > limit {
		return nil, release, &http.MaxBytesError{Limit: limit}
	}
	charge := limit
	if r.ContentLength >= 0 {
		charge = r.ContentLength
	}
	release, ok := s.budget.acquire(r.Context(), p.Issuer+"|"+p.Subject, charge, s.cfg.BodyWait)
	if !ok {
		return nil, release, &apiError{status: http.StatusServiceUnavailable, code: codeBusy, retryAfter: time.Second,
			detail: fmt.Sprintf("the signer is busy reading other large requests; retry after the delay in Retry-After (request bodies held at once are limited to %d bytes, %d for one user)", s.cfg.MaxInflightBytes, s.budget.perUser)}
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength) + bytes.MinRead) // ReadFrom reads until EOF in one buffer
	}
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit)); err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			return nil, release, err
		}
		return nil, release, errorf(http.StatusBadRequest, codeBadRequest, "request body: %v", err)
	}
	return buf.Bytes(), release, nil
}
