package apikey

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Formats and defaults.
const (
	AccessKeyPrefix    = "eak_" // + 32 hex digits
	SecretPrefix       = "eks_" // + 43 base64url characters (256 bits)
	MaxDescription     = 200    // characters
	DefaultMaxLifetime = 90 * 24 * time.Hour
	DefaultMaxPerOwner = 20
)

// Errors. ErrInvalid covers an unknown access key, a wrong secret and an
// expired key alike, so that callers cannot tell them apart.
var (
	ErrInvalid     = errors.New("invalid API key")
	ErrNotFound    = errors.New("no such API key")
	ErrLimit       = errors.New("too many API keys")
	ErrDescription = errors.New("invalid description")
	ErrClosed      = errors.New("API key store closed")
)

// Owner is the user a key belongs to: the issuer and subject of the token
// that created it.
type Owner struct {
	Issuer  string
	Subject string
}

// Key is a key's metadata (never its secret).
type Key struct {
	AccessKey string
	Owner     Owner
	// Claims is the owner's token claims when the key was created (without
	// the per-token ones); every call returns a fresh copy.
	Claims      map[string]any
	Description string
	Created     time.Time
	Expires     time.Time
}

// Store keeps API keys. Implementations are safe for concurrent use.
type Store interface {
	// Create makes a key for owner and returns it with its secret, which
	// is never available again.
	Create(ctx context.Context, owner Owner, claims map[string]any, description string) (Key, string, error)
	// Authenticate returns the live key whose access key and secret these
	// are, or ErrInvalid.
	Authenticate(ctx context.Context, accessKey, secret string) (Key, error)
	// List returns owner's live keys, oldest first.
	List(ctx context.Context, owner Owner) ([]Key, error)
	// Revoke deletes one of owner's keys; a key that does not exist, has
	// expired or belongs to someone else is ErrNotFound.
	Revoke(ctx context.Context, owner Owner, accessKey string) error
}

// Options bound the keys.
type Options struct {
	MaxLifetime time.Duration // a key expires this long after its creation; default 90 days
	MaxPerOwner int           // live keys per owner; default 20
	Now         func() time.Time
}

func (o *Options) defaults() {
	if o.MaxLifetime <= 0 {
		o.MaxLifetime = DefaultMaxLifetime
	}
	if o.MaxPerOwner <= 0 {
		o.MaxPerOwner = DefaultMaxPerOwner
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// volatileClaims describe one token rather than its user; they are left out
// of the snapshot.
var volatileClaims = []string{"exp", "iat", "nbf", "jti", "nonce", "at_hash", "c_hash", "s_hash", "auth_time", "sid"}

// snapshot returns the claims to keep with a key, as JSON.
func snapshot(claims map[string]any) (json.RawMessage, error) {
	c := make(map[string]any, len(claims))
	for k, v := range claims {
		c[k] = v
	}
	for _, k := range volatileClaims {
		delete(c, k)
	}
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("claims: %w", err)
	}
	return raw, nil
}

// CleanDescription trims a description and checks it.
func CleanDescription(s string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case !utf8.ValidString(s):
		return "", fmt.Errorf("%w: not UTF-8", ErrDescription)
	case utf8.RuneCountInString(s) > MaxDescription:
		return "", fmt.Errorf("%w: longer than %d characters", ErrDescription, MaxDescription)
	case strings.ContainsFunc(s, unicode.IsControl):
		return "", fmt.Errorf("%w: control characters", ErrDescription)
	}
	return s, nil
}

// newAccessKey returns a random access key.
func newAccessKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand panics rather)
	return AccessKeyPrefix + hex.EncodeToString(b[:])
}

// newSecret returns a random secret and its digest.
func newSecret() (string, [sha256.Size]byte) {
	var b [32]byte
	_, _ = rand.Read(b[:])
	s := SecretPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return s, sha256.Sum256([]byte(s))
}

// validAccessKey reports whether s has the shape of an access key.
func validAccessKey(s string) bool {
	h, ok := strings.CutPrefix(s, AccessKeyPrefix)
	if !ok || len(h) != 32 {
		return false
	}
	_, err := hex.DecodeString(h)
	return err == nil && strings.ToLower(h) == h
}

// IsAccessKey reports whether s has the shape of an access key (and so is
// safe to log: a secret never has it).
func IsAccessKey(s string) bool { return validAccessKey(s) }
