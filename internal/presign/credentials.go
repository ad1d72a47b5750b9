package presign

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"gitlab.com/eocat/eocat/internal/auth"
)

// Static signs every URL with the signer's own credentials (from the
// standard AWS chain), cached and refreshed before they expire.
type Static struct {
	provider aws.CredentialsProvider
}

// NewStatic wraps a provider in the SDK's credentials cache.
func NewStatic(p aws.CredentialsProvider) *Static {
	if _, ok := p.(*aws.CredentialsCache); !ok {
		p = aws.NewCredentialsCache(p)
	}
	return &Static{provider: p}
}

// Credentials returns the signer's credentials, whoever the caller is.
func (s *Static) Credentials(ctx context.Context, _ *auth.Principal) (aws.Credentials, error) {
	c, err := s.provider.Retrieve(ctx)
	if err != nil {
		return c, fmt.Errorf("storage credentials: %w", err)
	}
	return c, nil
}
