package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// Bounds of S3Options.ListConcurrency, the number of listing requests a
// source has in flight at once. DefaultListConcurrency is the default of
// stacgen build's --list-concurrency and of a zero ListConcurrency: the one
// place that says it.
const (
	DefaultListConcurrency = 16
	MaxListConcurrency     = 256
)

// S3Options configures an S3 source.
type S3Options struct {
	Endpoint  string // e.g. http://127.0.0.1:7070; empty for AWS
	Region    string // default us-east-1
	PathStyle bool
	HrefStyle string // "https" (default) or "s3"
	PublicURL string // base URL for hrefs instead of the endpoint
	// ListConcurrency bounds the listing requests in flight at once: the
	// first-level prefixes (or key ranges) listed concurrently after the
	// root (0: DefaultListConcurrency). Reads are not bounded here.
	ListConcurrency int
	// RequestTimeout bounds each HTTP request (default 60 s).
	RequestTimeout time.Duration
	// MaxAttempts bounds retries of throttled and 5xx requests (default 5).
	MaxAttempts int
	// Client replaces the client built from the standard credential chain.
	Client *s3.Client
}

// S3 is a bucket prefix.
type S3 struct {
	client      *s3.Client
	bucket      string
	prefix      string // "" or ends with "/"
	opts        S3Options
	requests    atomic.Int64
	hrefBaseURL string
}

var _ Source = (*S3)(nil)

// ParseS3URI splits s3://bucket/prefix into bucket and prefix ("" or ending in "/").
func ParseS3URI(uri string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(uri, "s3://")
	if !ok {
		return "", "", fmt.Errorf("not an s3:// URI: %q", uri)
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", fmt.Errorf("no bucket in %q", uri)
	}
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return bucket, prefix, nil
}

// NewS3Client builds a client from the standard AWS credential chain
// (environment, shared files, web identity via AWS_WEB_IDENTITY_TOKEN_FILE
// and AWS_ROLE_ARN, container and instance roles) with bounded timeouts and
// retries.
func NewS3Client(ctx context.Context, o S3Options) (*s3.Client, error) {
	o = o.withDefaults()
	httpClient := awshttp.NewBuildableClient().
		WithTimeout(o.RequestTimeout).
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = 10 * time.Second }).
		WithTransportOptions(func(tr *http.Transport) {
			tr.MaxIdleConns = 256
			tr.MaxIdleConnsPerHost = 256
			tr.TLSHandshakeTimeout = 10 * time.Second
			tr.ResponseHeaderTimeout = o.RequestTimeout
		})
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRegion(o.Region),
		config.WithHTTPClient(httpClient),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(so *retry.StandardOptions) {
				so.MaxAttempts = o.MaxAttempts
				so.MaxBackoff = 5 * time.Second
			})
		}),
		config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired),
		config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
	)
	if err != nil {
		return nil, fmt.Errorf("s3: loading AWS configuration: %w", err)
	}
	return s3.NewFromConfig(cfg, func(so *s3.Options) {
		if o.Endpoint != "" {
			so.BaseEndpoint = aws.String(strings.TrimSuffix(o.Endpoint, "/"))
		}
		so.UsePathStyle = o.PathStyle
	}), nil
}

func (o S3Options) withDefaults() S3Options {
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.ListConcurrency <= 0 {
		o.ListConcurrency = DefaultListConcurrency
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 60 * time.Second
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	if o.HrefStyle == "" {
		o.HrefStyle = "https"
	}
	return o
}

// NewS3 returns a source over s3://bucket/prefix.
func NewS3(ctx context.Context, uri string, o S3Options) (*S3, error) {
	bucket, prefix, err := ParseS3URI(uri)
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	o = o.withDefaults()
	client := o.Client
	if client == nil {
		if client, err = NewS3Client(ctx, o); err != nil {
			return nil, err
		}
	}
	s := &S3{client: client, bucket: bucket, prefix: prefix, opts: o}
	s.hrefBaseURL, err = hrefBase(bucket, o)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// hrefBase returns the URL that, followed by an escaped key, addresses an object.
func hrefBase(bucket string, o S3Options) (string, error) {
	if o.HrefStyle == "s3" {
		return "s3://" + bucket + "/", nil
	}
	base := o.PublicURL
	if base == "" {
		base = o.Endpoint
	}
	if base == "" {
		return fmt.Sprintf("https://%s.s3.%s.amazonaws.com/", bucket, o.Region), nil
	}
	u, err := url.Parse(strings.TrimSuffix(base, "/"))
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("s3: bad endpoint or public_url %q", base)
	}
	if o.PathStyle || o.PublicURL != "" {
		return u.String() + "/" + bucket + "/", nil
	}
	u.Host = bucket + "." + u.Host
	return u.String() + "/", nil
}

func (s *S3) String() string { return "s3://" + s.bucket + "/" + s.prefix }

// ListConcurrency returns the number of listing requests List has in
// flight at most (S3Options.ListConcurrency, or its default).
func (s *S3) ListConcurrency() int { return s.opts.ListConcurrency }

// Requests returns how many S3 requests (list and get) this source made.
func (s *S3) Requests() int64 { return s.requests.Load() }

// List lists the root with a delimiter, then lists below the first-level
// prefixes concurrently: each prefix on its own when there are few, or, when
// there are many (one folder per product), in ListConcurrency contiguous key
// ranges, so that 10,000 product folders cost about as many requests as a
// flat listing (1,000 keys a page) instead of one per folder. Objects reach
// fn from the calling goroutine.
func (s *S3) List(ctx context.Context, fn func(Object) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	objects := make(chan Object, 1024)
	errc := make(chan error, s.opts.ListConcurrency+1)
	go func() {
		defer close(objects)
		var prefixes []string
		err := s.listPages(ctx, listOpts{prefix: s.prefix, delimiter: "/"}, objects, func(p string) { prefixes = append(prefixes, p) })
		if err != nil {
			errc <- err
			return
		}
		jobs := make(chan listOpts)
		var wg sync.WaitGroup
		for range s.opts.ListConcurrency {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range jobs {
					if err := s.listPages(ctx, j, objects, nil); err != nil {
						errc <- err
						cancel()
						return
					}
				}
			}()
		}
		for _, j := range s.plan(prefixes) {
			select {
			case jobs <- j:
			case <-ctx.Done():
			}
		}
		close(jobs)
		wg.Wait()
	}()
	var fnErr error
	for obj := range objects {
		if fnErr == nil {
			if fnErr = fn(obj); fnErr != nil {
				cancel()
			}
		}
	}
	if fnErr != nil {
		return fnErr
	}
	close(errc)
	for err := range errc {
		if err != nil {
			return err
		}
	}
	return ctx.Err()
}

// listOpts is one listing job: everything under prefix, or with from/to the
// keys in [from, to) below s.prefix that lie inside some first-level prefix.
type listOpts struct {
	prefix    string
	delimiter string
	from, to  string
}

// plan splits the listing of the first-level prefixes into jobs.
func (s *S3) plan(prefixes []string) []listOpts {
	n := s.opts.ListConcurrency
	if len(prefixes) <= 2*n {
		jobs := make([]listOpts, len(prefixes))
		for i, p := range prefixes {
			jobs[i] = listOpts{prefix: p}
		}
		return jobs
	}
	var jobs []listOpts
	for i := 0; i < n; i++ {
		lo, hi := i*len(prefixes)/n, (i+1)*len(prefixes)/n
		j := listOpts{prefix: s.prefix, from: prefixes[lo]}
		if hi < len(prefixes) {
			j.to = prefixes[hi]
		}
		jobs = append(jobs, j)
	}
	return jobs
}

// startAfter returns a key just below p (which ends with '/'), so that a
// listing starting after it includes every key beginning with p.
func startAfter(p string) string {
	return strings.TrimSuffix(p, "/") + "."
}

func (s *S3) listPages(ctx context.Context, j listOpts, objects chan<- Object, prefix func(string)) error {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(j.prefix)}
	if j.delimiter != "" {
		in.Delimiter = aws.String(j.delimiter)
	}
	if j.from != "" {
		in.StartAfter = aws.String(startAfter(j.from))
	}
	p := s3.NewListObjectsV2Paginator(s.client, in)
	for p.HasMorePages() {
		s.requests.Add(1)
		page, err := p.NextPage(ctx)
		if err != nil {
			return s.wrap("listing "+j.prefix, err)
		}
		for _, o := range page.Contents {
			full := aws.ToString(o.Key)
			if j.to != "" && full >= j.to {
				return nil // the next range's
			}
			key := strings.TrimPrefix(full, s.prefix)
			if key == "" || strings.HasSuffix(key, "/") { // folder markers
				continue
			}
			if j.from != "" && (full < j.from || !strings.Contains(key, "/")) {
				continue // before the range, or a top-level object (listed with the delimiter)
			}
			obj := Object{Key: key, Size: aws.ToInt64(o.Size), ETag: strings.Trim(aws.ToString(o.ETag), `"`), Modified: aws.ToTime(o.LastModified)}
			select {
			case objects <- obj:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if prefix != nil {
			for _, cp := range page.CommonPrefixes {
				prefix(aws.ToString(cp.Prefix))
			}
		}
	}
	return nil
}

// wrap names the bucket in errors and explains the usual causes.
func (s *S3) wrap(op string, err error) error {
	var ae smithy.APIError
	if sts := credentialsCall(err); sts != nil && errors.As(err, &ae) {
		// Getting the credentials failed, not the S3 call: say which.
		return fmt.Errorf("s3://%s: %s: getting credentials: STS %s refused: %s: %s (check the web identity token's audience and AWS_ROLE_ARN)",
			s.bucket, op, sts.OperationName, ae.ErrorCode(), ae.ErrorMessage())
	}
	if errors.As(err, &ae) {
		hint := ""
		switch ae.ErrorCode() {
		case "NoSuchBucket":
			hint = " (check the bucket name in the source)"
		case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch":
			hint = " (check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the web identity role)"
		}
		return fmt.Errorf("s3://%s: %s: %s: %s%s", s.bucket, op, ae.ErrorCode(), ae.ErrorMessage(), hint)
	}
	return fmt.Errorf("s3://%s: %s: %w", s.bucket, op, err)
}

// credentialsCall returns the STS operation (AssumeRoleWithWebIdentity,
// AssumeRole) that failed under err while the SDK fetched credentials.
func credentialsCall(err error) *smithy.OperationError {
	for ; err != nil; err = errors.Unwrap(err) {
		if oe, ok := err.(*smithy.OperationError); ok && oe.ServiceID == "STS" {
			return oe
		}
	}
	return nil
}

type s3ReaderAt struct {
	ctx context.Context
	s   *S3
	key string
}

// ReadAt issues one ranged GET.
func (r s3ReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	r.s.requests.Add(1)
	out, err := r.s.client.GetObject(r.ctx, &s3.GetObjectInput{
		Bucket: aws.String(r.s.bucket),
		Key:    aws.String(r.s.prefix + r.key),
		Range:  aws.String(fmt.Sprintf("bytes=%d-%d", off, off+int64(len(p))-1)),
	})
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() == "InvalidRange" {
			return 0, io.EOF
		}
		return 0, r.s.wrap("reading "+r.key, err)
	}
	defer out.Body.Close()
	return readFull(out.Body, p, len(p))
}

// ReaderAt returns a reader issuing one ranged GET per ReadAt.
func (s *S3) ReaderAt(ctx context.Context, key string, _ int64) io.ReaderAt {
	return s3ReaderAt{ctx: ctx, s: s, key: key}
}

// Open streams the object.
func (s *S3) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	s.requests.Add(1)
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.prefix + key)})
	if err != nil {
		return nil, s.wrap("reading "+key, err)
	}
	return out.Body, nil
}

// ReadFile reads a whole small object.
func (s *S3) ReadFile(ctx context.Context, key string, limit int64) ([]byte, error) {
	return readLimited(ctx, s, key, limit)
}

// Href returns the object's URL (or s3:// URI).
func (s *S3) Href(key string) (string, bool) {
	return s.hrefBaseURL + escapeKey(s.prefix+key), true
}

var md5ETag = regexp.MustCompile(`^[0-9a-f]{32}$`)

// MD5 is the ETag of objects uploaded in one part; multipart ETags
// ("…-N") and others are not content hashes, so no checksum is given.
func (s *S3) MD5(_ context.Context, obj Object) (string, bool, error) {
	if md5ETag.MatchString(obj.ETag) {
		return obj.ETag, true, nil
	}
	return "", false, nil
}

// escapeKey escapes each path segment of a key for use in a URL.
func escapeKey(key string) string {
	parts := strings.Split(key, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}
