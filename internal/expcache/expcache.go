// Package expcache is a small bounded cache of values that expire (STS
// credentials, exchanged tokens), where concurrent misses for one key make a
// single fetch (singleflight). Used by internal/presign and internal/auth.
package expcache

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
)

// Cache holds values until Margin before their expiry.
type Cache[V any] struct {
	Margin  time.Duration    // a value is refreshed this long before it expires
	Max     int              // entries kept at most (default 10,000)
	Timeout time.Duration    // bound on one fetch (default 20 s)
	Now     func() time.Time // default time.Now

	mu    sync.Mutex
	m     map[string]entry[V]
	group singleflight.Group
	hits  atomic.Int64
}

type entry[V any] struct {
	v       V
	expires time.Time
}

// Hits counts values served from the cache.
func (c *Cache[V]) Hits() int64 { return c.hits.Load() }

// Get returns the cached value for key, or fetches it. The fetch runs
// detached from ctx's cancellation (callers waiting on the same key must not
// fail because the first one went away), bounded by Timeout.
func (c *Cache[V]) Get(ctx context.Context, key string, fetch func(context.Context) (V, time.Time, error)) (V, error) {
	if v, ok := c.lookup(key); ok {
		c.hits.Add(1)
		return v, nil
	}
	r, err, _ := c.group.Do(key, func() (any, error) {
		if v, ok := c.lookup(key); ok {
			return v, nil
		}
		timeout := c.Timeout
		if timeout <= 0 {
			timeout = 20 * time.Second
		}
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
		defer cancel()
		v, expires, err := fetch(fctx)
		if err != nil {
			return v, err
		}
		c.store(key, v, expires)
		return v, nil
	})
	if err != nil {
		var zero V
		return zero, err
	}
	return r.(V), nil
}

func (c *Cache[V]) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Cache[V]) lookup(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if ok && e.expires.Sub(c.now()) > c.Margin {
		return e.v, true
	}
	var zero V
	return zero, false
}

func (c *Cache[V]) store(key string, v V, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]entry[V]{}
	}
	limit := c.Max
	if limit <= 0 {
		limit = 10000
	}
	if len(c.m) >= limit {
		now := c.now()
		for k, e := range c.m {
			if e.expires.Sub(now) <= c.Margin {
				delete(c.m, k)
			}
		}
		for k := range c.m { // still full: forget arbitrary entries
			if len(c.m) < limit {
				break
			}
			delete(c.m, k)
		}
	}
	c.m[key] = entry[V]{v, expires}
}
