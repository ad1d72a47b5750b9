package presign

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// MaxLifetime is SigV4's limit on a presigned URL's lifetime.
const MaxLifetime = 7 * 24 * time.Hour

// DefaultMinLifetime is Signer.MinLifetime unless set.
const DefaultMinLifetime = 10 * time.Second

// ErrExpired is returned when the signing credentials expire too soon to
// give a URL of at least Signer.MinLifetime.
var ErrExpired = errors.New("signing credentials expire too soon")

// Methods that may be presigned.
var Methods = map[string]bool{http.MethodGet: true, http.MethodHead: true, http.MethodPut: true}

// Signer presigns S3 URLs for one storage.
type Signer struct {
	// MinLifetime is the shortest URL returned: when the credentials expire
	// sooner, Sign fails with ErrExpired rather than shorten the URL below
	// it. Callers refuse shorter requested lifetimes themselves.
	MinLifetime time.Duration

	storage *Storage
	v4      *v4.Signer
	now     func() time.Time
}

// NewSigner returns a signer for the storage.
func NewSigner(s *Storage) *Signer {
	return &Signer{
		MinLifetime: DefaultMinLifetime,
		storage:     s,
		v4: v4.NewSigner(func(o *v4.SignerOptions) {
			o.DisableURIPathEscaping = true // S3: the path is escaped once, by URL()
		}),
		now: time.Now,
	}
}

// URL returns the unsigned URL of an object on the storage's endpoint.
func (s *Storage) URL(o Object) *url.URL {
	u := *s.Endpoint
	prefix := strings.TrimSuffix(u.Path, "/")
	if s.PathStyle {
		u.Path = prefix + "/" + o.Bucket + "/" + o.Key
		u.RawPath = escapePath(prefix) + "/" + escapePath(o.Bucket) + "/" + escapePath(o.Key)
	} else {
		u.Host = o.Bucket + "." + u.Host
		u.Path = prefix + "/" + o.Key
		u.RawPath = escapePath(prefix) + "/" + escapePath(o.Key)
	}
	u.RawQuery, u.Fragment = "", ""
	return &u
}

// Sign presigns method on o for lifetime d with creds, and returns the URL
// and the moment it stops working (never later than the credentials' own
// expiry).
func (s *Signer) Sign(ctx context.Context, creds aws.Credentials, method string, o Object, d time.Duration) (string, time.Time, error) {
	if !Methods[method] {
		return "", time.Time{}, fmt.Errorf("method %q cannot be presigned (GET, HEAD or PUT)", method)
	}
	now := s.now().UTC().Truncate(time.Second)
	d = min(d, MaxLifetime)
	if creds.CanExpire {
		if left := creds.Expires.Sub(now); left < d {
			d = left.Truncate(time.Second)
			if d < s.MinLifetime {
				return "", time.Time{}, ErrExpired
			}
		}
	}
	if d <= 0 {
		return "", time.Time{}, fmt.Errorf("lifetime %v: want a positive duration", d)
	}
	u := s.storage.URL(o)
	u.RawQuery = "X-Amz-Expires=" + strconv.Itoa(int(d/time.Second))
	if o.VersionID != "" {
		u.RawQuery += "&versionId=" + url.QueryEscape(o.VersionID)
	}
	req := &http.Request{Method: method, URL: u, Host: u.Host, Header: http.Header{}}
	signed, _, err := s.v4.PresignHTTP(ctx, creds, req, "UNSIGNED-PAYLOAD", "s3", s.storage.Region, now)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("presign: %w", err)
	}
	return signed, now.Add(d), nil
}

// escapePath escapes a key as SigV4 expects: every byte but the unreserved
// characters (RFC 3986) and '/'.
func escapePath(p string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(p) + 8)
	for i := 0; i < len(p); i++ {
		c := p[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' || c == '/' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
