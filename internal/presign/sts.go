package presign

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
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
	Duration       time.Duration // requested session length; default 1 h
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
	opts  STSOptions
	cache expcache.Cache[aws.Credentials]
	calls atomic.Int64
}

// NewSTS returns an STS credential source.
func NewSTS(o STSOptions) *STS {
	if o.Duration <= 0 {
		o.Duration = time.Hour
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
		c, err := s.assume(ctx, p)
		return c, c.Expires, err
	})
}

func (s *STS) assume(ctx context.Context, p *auth.Principal) (aws.Credentials, error) {
	token := p.Token
	if s.opts.Exchanger != nil {
		t, err := s.opts.Exchanger.Exchange(ctx, p)
		if err != nil {
			return aws.Credentials{}, err
		}
		token = t
	}
	in := &sts.AssumeRoleWithWebIdentityInput{
		WebIdentityToken: aws.String(token),
		RoleSessionName:  aws.String(sessionName(p.Subject)),
		DurationSeconds:  aws.Int32(int32(s.opts.Duration / time.Second)),
	}
	if s.opts.RoleARN != "" {
		in.RoleArn = aws.String(s.opts.RoleARN)
	}
	if s.opts.SessionPolicy != "" {
		in.Policy = aws.String(s.opts.SessionPolicy)
	}
	s.calls.Add(1)
	out, err := s.opts.Client.AssumeRoleWithWebIdentity(ctx, in)
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorFault() == smithy.FaultClient {
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
