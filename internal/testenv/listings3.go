package testenv

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
)

// How long the gate waits once full, and at most.
const (
	gateGrace   = 50 * time.Millisecond
	gateTimeout = 10 * time.Second
)

// ListingS3 serves ListObjectsV2 over a fixed set of keys (one bucket, any
// name; every key in one page) and holds the listings without a delimiter
// (a source's listings below its root) at a gate: none is answered before
// gate of them are in flight together, and the gate-th waits gateGrace more
// before they all go, so that a client with more than gate listings in
// flight shows it. After that first round nothing is held. A client with
// fewer than gate in flight waits gateTimeout, then goes on (MaxInFlight
// tells).
type ListingS3 struct {
	gate     int
	keys     []string
	mu       sync.Mutex
	inFlight int
	max      int
	opened   bool
	open     chan struct{}
	openOnce sync.Once
}

// NewListingS3 serves keys (sorted here) with the gate at gate listings.
func NewListingS3(keys []string, gate int) *ListingS3 {
	k := append([]string(nil), keys...)
	sort.Strings(k)
	return &ListingS3{gate: gate, keys: k, open: make(chan struct{})}
}

// MaxInFlight returns the most listings below the root seen in flight at
// once.
func (l *ListingS3) MaxInFlight() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.max
}

// Client returns an S3 client whose ListObjectsV2 calls l answers before
// anything is sent; any other operation fails.
func (l *ListingS3) Client() *s3.Client {
	return s3.New(s3.Options{
		Region:      "us-east-1",
		Credentials: aws.AnonymousCredentials{},
		APIOptions: []func(*middleware.Stack) error{func(st *middleware.Stack) error {
			return st.Initialize.Add(middleware.InitializeMiddlewareFunc("testenv-listing-s3",
				func(ctx context.Context, in middleware.InitializeInput, _ middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					p, ok := in.Parameters.(*s3.ListObjectsV2Input)
					if !ok {
						return middleware.InitializeOutput{}, middleware.Metadata{}, fmt.Errorf("testenv.ListingS3: %T is not served", in.Parameters)
					}
					out, err := l.list(ctx, p)
					return middleware.InitializeOutput{Result: out}, middleware.Metadata{}, err
				}), middleware.Before)
		}},
	})
}

func (l *ListingS3) list(ctx context.Context, in *s3.ListObjectsV2Input) (*s3.ListObjectsV2Output, error) {
	if aws.ToString(in.Delimiter) == "" {
		if err := l.hold(ctx); err != nil {
			return nil, err
		}
	}
	prefix, delim, after := aws.ToString(in.Prefix), aws.ToString(in.Delimiter), aws.ToString(in.StartAfter)
	out := &s3.ListObjectsV2Output{Name: in.Bucket, Prefix: in.Prefix, IsTruncated: aws.Bool(false)}
	seen := map[string]bool{}
	for _, k := range l.keys {
		if !strings.HasPrefix(k, prefix) || (after != "" && k <= after) {
			continue
		}
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				cp := k[:len(prefix)+i+len(delim)]
				if !seen[cp] {
					seen[cp] = true
					out.CommonPrefixes = append(out.CommonPrefixes, types.CommonPrefix{Prefix: aws.String(cp)})
				}
				continue
			}
		}
		out.Contents = append(out.Contents, types.Object{Key: aws.String(k), Size: aws.Int64(int64(len(k))), ETag: aws.String(`"0"`)})
	}
	out.KeyCount = aws.Int32(int32(len(out.Contents) + len(out.CommonPrefixes)))
	return out, nil
}

func (l *ListingS3) release() { l.openOnce.Do(func() { close(l.open) }) }

// hold counts a listing in flight and holds it at the gate.
func (l *ListingS3) hold(ctx context.Context) error {
	l.mu.Lock()
	l.inFlight++
	l.max = max(l.max, l.inFlight)
	if !l.opened && l.inFlight >= l.gate {
		l.opened = true
		time.AfterFunc(gateGrace, l.release)
	}
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		l.inFlight--
		l.mu.Unlock()
	}()
	t := time.NewTimer(gateTimeout)
	defer t.Stop()
	select {
	case <-l.open:
	case <-t.C:
		l.release() // the gate was never reached: hold nothing more
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}
