package presign

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"gitlab.com/eocat/eocat/internal/auth"
	"gitlab.com/eocat/eocat/internal/expcache"
)

// ErrSTSRefused is wrapped when the storage's STS refuses the caller's token
// (the storage, not the signer, decided).
var ErrSTSRefused = errors.New("storage refused the web identity")

// TokenExchanger turns a caller's token into the token the storage trusts
// (RFC 8693); nil means the caller's token is sent as is.
type TokenExchanger interface {
	Exchange(ctx context.Context, p *auth.Principal) (string, error)
}

// STSOptions configure per-user credentials.
type STSOptions struct {
	Client         *sts.Client
	RoleARN        string        // optional: the role to assume
	SessionPolicy  string        // optional: an IAM policy narrowing the session
	Duration       time.Duration // requested session length; default DefaultSessionDuration
	RefreshBefore  time.Duration // renew this long before expiry; default 5 min
	Exchanger      TokenExchanger
	MaxCachedUsers int // default 10,000
	Now            func() time.Time
}

// STS gets temporary credentials per user with AssumeRoleWithWebIdentity on
// the storage, so that the storage's own policies (with ${jwt:sub} and other
// claim variables) apply to every URL signed with them. Credentials are
// cached per issuer and subject until shortly before they expire, and a
// burst of requests from one user makes one STS call.
type STS struct {
	opts   STSOptions
	cache  expcache.Cache[aws.Credentials]
	calls  atomic.Int64
	scoped atomic.Int64 // scoped sessions issued
}

// NewSTS returns an STS credential source.
func NewSTS(o STSOptions) *STS {
	if o.Duration <= 0 {
		o.Duration = DefaultSessionDuration
	}
	if o.RefreshBefore <= 0 {
		o.RefreshBefore = 5 * time.Minute
	}
	s := &STS{opts: o}
	s.cache = expcache.Cache[aws.Credentials]{Margin: o.RefreshBefore, Max: o.MaxCachedUsers, Now: o.Now}
	return s
}

// Calls and Hits count STS calls made and requests served from the cache.
func (s *STS) Calls() int64 { return s.calls.Load() }
func (s *STS) Hits() int64  { return s.cache.Hits() }

// Credentials returns the caller's temporary credentials.
func (s *STS) Credentials(ctx context.Context, p *auth.Principal) (aws.Credentials, error) {
	return s.cache.Get(ctx, p.Issuer+"\x00"+p.Subject, func(ctx context.Context) (aws.Credentials, time.Time, error) {
		c, err := s.assume(ctx, p, s.opts.SessionPolicy, s.opts.Duration)
		return c, c.Expires, err
	})
}

func (s *STS) assume(ctx context.Context, p *auth.Principal, policy string, d time.Duration) (aws.Credentials, error) {
	token := p.Token
	if s.opts.Exchanger != nil {
		t, err := s.opts.Exchanger.Exchange(ctx, p)
		if err != nil {
			return aws.Credentials{}, err
		}
		token = t
	}
	secs := int64(d / time.Second)
	if secs < 0 || secs > math.MaxInt32 { // STS takes int32 seconds (and refuses more than 12 h)
		return aws.Credentials{}, fmt.Errorf("sts: session duration %v out of range", d)
	}
	in := &sts.AssumeRoleWithWebIdentityInput{
		WebIdentityToken: aws.String(token),
		RoleSessionName:  aws.String(sessionName(p.Subject)),
		DurationSeconds:  aws.Int32(int32(secs)),
	}
	if s.opts.RoleARN != "" {
		in.RoleArn = aws.String(s.opts.RoleARN)
	}
	if policy != "" {
		in.Policy = aws.String(policy)
	}
	s.calls.Add(1)
	out, err := s.opts.Client.AssumeRoleWithWebIdentity(ctx, in)
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) && clientFault(err, ae) {
			return aws.Credentials{}, fmt.Errorf("%w: %s: %s", ErrSTSRefused, ae.ErrorCode(), ae.ErrorMessage())
		}
		return aws.Credentials{}, fmt.Errorf("storage STS: %w", err)
	}
	c := out.Credentials
	if c == nil || c.AccessKeyId == nil || c.SecretAccessKey == nil || c.Expiration == nil {
		return aws.Credentials{}, errors.New("storage STS: response without credentials")
	}
	return aws.Credentials{
		AccessKeyID: *c.AccessKeyId, SecretAccessKey: *c.SecretAccessKey, SessionToken: aws.ToString(c.SessionToken),
		CanExpire: true, Expires: *c.Expiration, Source: "AssumeRoleWithWebIdentity",
	}, nil
}

// Probe checks that the storage's STS answers, for readiness: it asks for
// credentials with a token that cannot be valid and expects a refusal. A
// refusal (any 4xx answer) means STS is up; a transport error or a 5xx means
// it is not. Not counted in Calls.
func (s *STS) Probe(ctx context.Context) error {
	_, err := s.opts.Client.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
		WebIdentityToken: aws.String("readiness-probe"),
		RoleSessionName:  aws.String("signer-readiness-probe"),
		RoleArn:          aws.String(cmp.Or(s.opts.RoleARN, "arn:aws:iam::000000000000:role/readiness-probe")),
		DurationSeconds:  aws.Int32(int32(MinSessionDuration / time.Second)),
	})
	if err == nil {
		return errors.New("storage STS accepted a token that cannot be valid")
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() >= 400 && re.HTTPStatusCode() < 500 {
		return nil
	}
	return fmt.Errorf("storage STS: %w", err)
}

// Scope is what a scoped session is narrowed to: one folder of one bucket,
// read-only or read-write.
type Scope struct {
	Bucket string
	Prefix string // "" (the whole bucket) or a folder, ending in "/"
	Write  bool
}

// S3 and STS bounds on sessions (AWS's, which SeaweedFS follows).
const (
	MinSessionDuration = 15 * time.Minute
	MaxSessionDuration = 12 * time.Hour
	// DefaultSessionDuration is STSOptions.Duration unless set.
	DefaultSessionDuration = time.Hour
	// maxSessionPolicy is the size limit of an inline session policy.
	maxSessionPolicy = 2048
)

// ErrScopedUnsupported is returned by ScopedCredentials when the signer's
// sessions are already narrowed by a configured session policy: STS takes
// one inline policy, and replacing the operator's could widen the session.
var ErrScopedUnsupported = errors.New("scoped credentials cannot be combined with a configured STS session policy")

// SessionPolicy is the IAM policy narrowing a session to the scope: read
// (GET, HEAD) under the prefix, list the bucket only under the prefix, find
// the bucket's region, and with Write also upload (single and multipart) —
// never delete. The storage intersects it with the role's own policies.
func (sc Scope) SessionPolicy() (string, error) {
	if sc.Bucket == "" || strings.ContainsAny(sc.Bucket, "*?$/") {
		return "", fmt.Errorf("%w: bucket %q", ErrInvalid, sc.Bucket)
	}
	if strings.ContainsAny(sc.Prefix, "*?$") || (sc.Prefix != "" && !strings.HasSuffix(sc.Prefix, "/")) {
		return "", fmt.Errorf("%w: prefix %q", ErrInvalid, sc.Prefix)
	}
	objects := "arn:aws:s3:::" + sc.Bucket + "/" + sc.Prefix + "*"
	bucket := "arn:aws:s3:::" + sc.Bucket
	actions := []string{"s3:GetObject"}
	if sc.Write {
		actions = append(actions, "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts")
	}
	type statement struct {
		Effect    string                         `json:"Effect"`
		Action    []string                       `json:"Action"`
		Resource  []string                       `json:"Resource"`
		Condition map[string]map[string][]string `json:"Condition,omitempty"`
	}
	doc := struct {
		Version   string      `json:"Version"`
		Statement []statement `json:"Statement"`
	}{"2012-10-17", []statement{
		{Effect: "Allow", Action: actions, Resource: []string{objects}},
		{Effect: "Allow", Action: []string{"s3:ListBucket"}, Resource: []string{bucket},
			Condition: map[string]map[string][]string{"StringLike": {"s3:prefix": {sc.Prefix + "*"}}}},
		{Effect: "Allow", Action: []string{"s3:GetBucketLocation"}, Resource: []string{bucket}},
	}}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return "", err
	}
	policy := strings.TrimSuffix(b.String(), "\n")
	if len(policy) > maxSessionPolicy {
		return "", fmt.Errorf("%w: the prefix is too long for a session policy (%d bytes, the limit is %d)", ErrInvalid, len(policy), maxSessionPolicy)
	}
	return policy, nil
}

// ScopedCredentials asks the storage's STS for a new session of length d for
// the caller, narrowed by sc's session policy. They are never cached: every
// call is a new session, whose expiry the storage states.
func (s *STS) ScopedCredentials(ctx context.Context, p *auth.Principal, sc Scope, d time.Duration) (aws.Credentials, error) {
	if s.opts.SessionPolicy != "" {
		return aws.Credentials{}, ErrScopedUnsupported
	}
	policy, err := sc.SessionPolicy()
	if err != nil {
		return aws.Credentials{}, err
	}
	if d < MinSessionDuration || d > MaxSessionDuration {
		return aws.Credentials{}, fmt.Errorf("session length %v: want %v to %v", d, MinSessionDuration, MaxSessionDuration)
	}
	c, err := s.assume(ctx, p, policy, d)
	if err != nil {
		return aws.Credentials{}, err
	}
	s.scoped.Add(1)
	return c, nil
}

// Scoped counts scoped sessions issued.
func (s *STS) Scoped() int64 { return s.scoped.Load() }

// clientFault reports whether the storage's STS refused the request (as
// opposed to failing). The SDK sets the fault only on the errors it models
// for the operation; any other error code (SeaweedFS's
// InvalidParameterValue for a token of the wrong audience, AccessDenied, …)
// comes back as FaultUnknown even when the response says Sender, so the
// HTTP status decides then: 4xx but 429 (throttling) is a refusal.
func clientFault(err error, ae smithy.APIError) bool {
	switch ae.ErrorFault() {
	case smithy.FaultClient:
		return true
	case smithy.FaultUnknown:
		var re *smithyhttp.ResponseError
		return errors.As(err, &re) && re.HTTPStatusCode() >= 400 && re.HTTPStatusCode() < 500 &&
			re.HTTPStatusCode() != http.StatusTooManyRequests
	}
	return false
}

// sessionName makes an STS session name ([\w+=,.@-]{2,64}) from a subject.
func sessionName(sub string) string {
	var b strings.Builder
	for _, r := range sub {
		if r < 128 && (r == '_' || r == '+' || r == '=' || r == ',' || r == '.' || r == '@' || r == '-' ||
			'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
		if b.Len() >= 56 {
			break
		}
	}
	return "signer-" + b.String()
}
