package presign

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// ErrNotAllowed is wrapped by errors for hrefs that are well-formed but not
// on the managed storage (other host, other bucket).
var ErrNotAllowed = errors.New("href not on the managed storage")

// ErrInvalid is wrapped by errors for malformed or dangerous hrefs.
var ErrInvalid = errors.New("invalid href")

// Object is an S3 object addressed by an href.
type Object struct {
	Bucket    string
	Key       string
	VersionID string
}

func (o Object) String() string { return o.Bucket + "/" + o.Key }

// Storage describes the S3 endpoint whose objects may be signed.
type Storage struct {
	// Endpoint is the storage's base URL, e.g. https://s3.example.org.
	Endpoint *url.URL
	// Aliases are other base URLs that address the same storage (a public
	// name, a CDN); hrefs on them are accepted and signed for Endpoint.
	Aliases []*url.URL
	// Buckets that may be signed; empty means none (deny by default).
	Buckets []string
	// PathStyle makes signed URLs path-style (https://endpoint/bucket/key);
	// otherwise they are virtual-host style (https://bucket.endpoint/key).
	PathStyle bool
	Region    string
}

// maxHrefLen bounds an href (S3 keys are at most 1024 bytes).
const maxHrefLen = 4096

// allowedQuery are the query parameters kept from an href; X-Amz-* are
// dropped (re-signed), anything else is refused.
var allowedQuery = map[string]bool{"versionId": true}

// Parse checks that href addresses an object on the storage and returns it.
func (s *Storage) Parse(href string) (Object, error) {
	var o Object
	if len(href) > maxHrefLen {
		return o, fmt.Errorf("%w: longer than %d bytes", ErrInvalid, maxHrefLen)
	}
	for _, r := range href {
		if r < 0x20 || r == 0x7f {
			return o, fmt.Errorf("%w: control character", ErrInvalid)
		}
	}
	u, err := url.Parse(href)
	if err != nil {
		return o, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if u.User != nil {
		return o, fmt.Errorf("%w: userinfo is not allowed", ErrInvalid)
	}
	if u.Fragment != "" || strings.Contains(href, "#") {
		return o, fmt.Errorf("%w: fragments are not allowed", ErrInvalid)
	}
	var rawKey string
	switch u.Scheme {
	case "s3":
		if u.Host == "" {
			return o, fmt.Errorf("%w: s3:// URI without a bucket", ErrInvalid)
		}
		o.Bucket, rawKey = u.Host, u.EscapedPath()
	case "http", "https":
		if o.Bucket, rawKey, err = s.split(u); err != nil {
			return o, err
		}
	case "":
		return o, fmt.Errorf("%w: not an absolute URL", ErrInvalid)
	default:
		return o, fmt.Errorf("%w: scheme %q is not allowed (http, https or s3)", ErrInvalid, u.Scheme)
	}
	if o.Key, err = canonicalKey(rawKey); err != nil {
		return o, err
	}
	if !s.bucketAllowed(o.Bucket) {
		return o, fmt.Errorf("%w: bucket %q", ErrNotAllowed, o.Bucket)
	}
	if u.RawQuery == "" {
		return o, nil
	}
	for name, vals := range u.Query() {
		switch {
		case strings.HasPrefix(strings.ToLower(name), "x-amz-"):
			// a previous signature: dropped, the URL is signed afresh
		case allowedQuery[name] && len(vals) == 1:
			o.VersionID = vals[0]
		default:
			return o, fmt.Errorf("%w: query parameter %q is not allowed", ErrInvalid, name)
		}
	}
	return o, nil
}

// ParsePrefix reads a folder on the storage, s3://bucket/folder/ or an
// http(s) URL in any form Parse accepts, into a read-only Scope. A prefix is
// always a folder: "s3://b/a" is "a/" and never covers "ab…"; "s3://b/" is
// the whole bucket. The checks are Parse's (allowed bucket, no "." or ".."
// segments, no encoded slash, no control character), and then some: no
// query or fragment, and none of * ? $, which IAM would read as wildcards or
// policy variables in the session policy.
func (s *Storage) ParsePrefix(raw string) (Scope, error) {
	if strings.ContainsAny(raw, "?#") {
		return Scope{}, fmt.Errorf("%w: a prefix has no query or fragment", ErrInvalid)
	}
	// Parse wants an object key: a sentinel segment, which no bucket name can
	// be, turns the folder into one.
	const sentinel = "_"
	href := raw
	if !strings.HasSuffix(href, "/") {
		href += "/"
	}
	o, err := s.Parse(href + sentinel)
	if err != nil {
		return Scope{}, err
	}
	prefix := strings.TrimSuffix(o.Key, sentinel)
	if strings.ContainsAny(prefix, "*?$") {
		return Scope{}, fmt.Errorf("%w: * ? and $ are not allowed in a prefix (IAM wildcards and variables)", ErrInvalid)
	}
	return Scope{Bucket: o.Bucket, Prefix: prefix}, nil
}

func (s *Storage) bucketAllowed(b string) bool {
	for _, a := range s.Buckets {
		if a == b {
			return true
		}
	}
	return false
}

// split recognises path-style and virtual-host URLs on the endpoint or an
// alias and returns the bucket and the still-escaped key.
func (s *Storage) split(u *url.URL) (bucket, rawKey string, err error) {
	host := strings.ToLower(u.Host)
	for i := -1; i < len(s.Aliases); i++ { // the endpoint, then its aliases
		base := s.Endpoint
		if i >= 0 {
			base = s.Aliases[i]
		}
		if base == nil || u.Scheme != base.Scheme {
			continue
		}
		bhost := strings.ToLower(base.Host)
		prefix := strings.TrimSuffix(base.EscapedPath(), "/")
		path := u.EscapedPath()
		if host == bhost && strings.HasPrefix(path, prefix+"/") {
			rest := strings.TrimPrefix(path, prefix+"/")
			bucket, rawKey, _ = strings.Cut(rest, "/")
			if bucket == "" {
				return "", "", fmt.Errorf("%w: no bucket in the path", ErrInvalid)
			}
			return bucket, "/" + rawKey, nil
		}
		if b, ok := strings.CutSuffix(host, "."+bhost); ok && prefix == "" && b != "" && !strings.Contains(b, ".") {
			return b, path, nil
		}
	}
	return "", "", fmt.Errorf("%w: host %q", ErrNotAllowed, u.Host)
}

// canonicalKey decodes an escaped path ("/a/b%20c") into a key, refusing
// what could address another object than the one written. A key without
// escapes is checked in place and returned without a copy.
func canonicalKey(raw string) (string, error) {
	raw = strings.TrimPrefix(raw, "/")
	if raw == "" {
		return "", fmt.Errorf("%w: no object key", ErrInvalid)
	}
	escaped := strings.IndexByte(raw, '%') >= 0
	var b strings.Builder
	if escaped {
		b.Grow(len(raw))
	}
	for rest, first := raw, true; ; first = false {
		seg, tail, more := strings.Cut(rest, "/")
		dec := seg
		if escaped && strings.IndexByte(seg, '%') >= 0 {
			if encodedSlash(seg) {
				return "", fmt.Errorf("%w: encoded slash in the key", ErrInvalid)
			}
			var err error
			if dec, err = url.PathUnescape(seg); err != nil {
				return "", fmt.Errorf("%w: %v", ErrInvalid, err)
			}
		}
		if !utf8.ValidString(dec) {
			return "", fmt.Errorf("%w: key is not valid UTF-8", ErrInvalid)
		}
		if dec == "." || dec == ".." {
			return "", fmt.Errorf("%w: %q segment in the key", ErrInvalid, dec)
		}
		if dec == "" && more {
			return "", fmt.Errorf("%w: empty segment in the key", ErrInvalid)
		}
		for i := 0; i < len(dec); i++ { // bytes: UTF-8 continuation bytes are >= 0x80
			if c := dec[i]; c < 0x20 || c == 0x7f || c == '\\' {
				return "", fmt.Errorf("%w: control character or backslash in the key", ErrInvalid)
			}
		}
		if escaped {
			if !first {
				b.WriteByte('/')
			}
			b.WriteString(dec)
		}
		if !more {
			break
		}
		rest = tail
	}
	key := raw
	if escaped {
		key = b.String()
	}
	if strings.HasSuffix(key, "/") {
		return "", fmt.Errorf("%w: the key names a folder, not an object", ErrInvalid)
	}
	if len(key) > 1024 {
		return "", fmt.Errorf("%w: key longer than 1024 bytes", ErrInvalid)
	}
	return key, nil
}

// encodedSlash reports whether seg holds an escaped '/' or '\\' (%2F, %5C,
// any case).
func encodedSlash(seg string) bool {
	for i := 0; i+2 < len(seg); i++ {
		if seg[i] == '%' && (seg[i+1] == '2' && seg[i+2]|0x20 == 'f' || seg[i+1] == '5' && seg[i+2]|0x20 == 'c') {
			return true
		}
	}
	return false
}
