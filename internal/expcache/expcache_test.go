package expcache

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestCacheSingleFetchExpiryAndBound(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := &Cache[string]{Margin: time.Minute, Max: 2, Now: func() time.Time { return now }}
	var fetches atomic.Int64
	fetch := func(v string) func(context.Context) (string, time.Time, error) {
		return func(context.Context) (string, time.Time, error) {
			fetches.Add(1)
			time.Sleep(10 * time.Millisecond)
			return v, now.Add(10 * time.Minute), nil
		}
	}
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if v, err := c.Get(context.Background(), "a", fetch("A")); err != nil || v != "A" {
				t.Errorf("%q %v", v, err)
			}
		}()
	}
	wg.Wait()
	if fetches.Load() != 1 {
		t.Fatalf("%d fetches for one key", fetches.Load())
	}
	if v, _ := c.Get(context.Background(), "a", fetch("B")); v != "A" || c.Hits() < 1 {
		t.Fatalf("not served from the cache: %q, %d hits", v, c.Hits())
	}
	now = now.Add(9*time.Minute + 30*time.Second) // inside the margin: refreshed
	if v, _ := c.Get(context.Background(), "a", fetch("B")); v != "B" {
		t.Fatalf("stale value %q", v)
	}
	for k, v := range map[string]string{"b": "x", "c": "y"} {
		if got, err := c.Get(context.Background(), k, fetch(v)); got != v || err != nil {
			t.Fatalf("Get(%s) = %q, %v", k, got, err)
		}
	}
	if len(c.m) > 2 {
		t.Fatalf("%d entries, bound 2", len(c.m))
	}
	if _, err := c.Get(context.Background(), "d", func(context.Context) (string, time.Time, error) {
		return "", time.Time{}, errors.New("boom")
	}); err == nil {
		t.Fatal("error swallowed")
	}
	if _, ok := c.lookup("d"); ok {
		t.Fatal("a failed fetch was cached")
	}
}
