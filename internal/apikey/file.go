package apikey

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

const fileVersion = 1

// fileFormat is the JSON document on disk.
type fileFormat struct {
	Version int       `json:"version"`
	Keys    []*record `json:"keys"`
}

// record is one stored key; records are never modified once created.
type record struct {
	AccessKey    string          `json:"access_key"`
	SecretSHA256 string          `json:"secret_sha256"` // hex
	Issuer       string          `json:"issuer"`
	Subject      string          `json:"subject"`
	Claims       json.RawMessage `json:"claims"`
	Description  string          `json:"description"`
	Created      time.Time       `json:"created"`
	Expires      time.Time       `json:"expires"`

	hash [sha256.Size]byte
}

func (r *record) owner() Owner                     { return Owner{Issuer: r.Issuer, Subject: r.Subject} }
func (r *record) expired(now time.Time) bool       { return !now.Before(r.Expires) }
func (r *record) live(now time.Time, o Owner) bool { return !r.expired(now) && r.owner() == o }

func (r *record) key() (Key, error) {
	var claims map[string]any
	if err := json.Unmarshal(r.Claims, &claims); err != nil {
		return Key{}, fmt.Errorf("API key %s: claims: %w", r.AccessKey, err)
	}
	return Key{AccessKey: r.AccessKey, Owner: r.owner(), Claims: claims, Description: r.Description, Created: r.Created, Expires: r.Expires}, nil
}

// FileStore is a Store kept in one JSON file (see the package documentation).
type FileStore struct {
	path   string
	opts   Options
	unlock func() error
	dummy  [sha256.Size]byte // compared against when the access key is unknown

	wmu    sync.Mutex // serialises changes (and the file writes)
	closed bool       // guarded by wmu

	mu   sync.RWMutex
	keys map[string]*record // replaced, never modified, by writers
}

var _ Store = (*FileStore)(nil)

// OpenFile opens (or, on the first change, creates) the key file at path,
// creating its directory with mode 0700 if needed. A file that cannot be
// parsed is an error, never an empty store.
func OpenFile(path string, opts Options) (*FileStore, error) {
	opts.defaults()
	if path == "" {
		return nil, errors.New("apikey: no file given")
	}
	path, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("apikey: %w", err)
	}
	unlock, err := lockFile(path + ".lock")
	if err != nil {
		return nil, fmt.Errorf("apikey: %w", err)
	}
	s := &FileStore{path: path, opts: opts, unlock: unlock, keys: map[string]*record{}}
	_, _ = rand.Read(s.dummy[:])
	if err := s.load(); err != nil {
		_ = unlock() // the load error is the one to report
		return nil, fmt.Errorf("apikey: %s: %w", path, err)
	}
	return s, nil
}

func (s *FileStore) load() error {
	data, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var doc fileFormat
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return fmt.Errorf("not an API-key file: %w", err)
	}
	if doc.Version != fileVersion {
		return fmt.Errorf("version %d: want %d", doc.Version, fileVersion)
	}
	now := s.opts.Now()
	for i, r := range doc.Keys {
		if r == nil || !validAccessKey(r.AccessKey) || r.Issuer == "" || r.Subject == "" || r.Created.IsZero() || r.Expires.IsZero() || !json.Valid(r.Claims) {
			return fmt.Errorf("key #%d: incomplete or malformed", i+1)
		}
		h, err := hex.DecodeString(r.SecretSHA256)
		if err != nil || len(h) != sha256.Size {
			return fmt.Errorf("key %s: secret_sha256 is not a hex SHA-256 digest", r.AccessKey)
		}
		copy(r.hash[:], h)
		if _, dup := s.keys[r.AccessKey]; dup {
			return fmt.Errorf("key %s: listed twice", r.AccessKey)
		}
		if !r.expired(now) {
			s.keys[r.AccessKey] = r
		}
	}
	return nil
}

// Close releases the file; later changes fail with ErrClosed.
func (s *FileStore) Close() error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.unlock()
}

// Path is the key file.
func (s *FileStore) Path() string { return s.path }

func (s *FileStore) current() map[string]*record {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.keys
}

// change runs edit on a copy of the live keys, writes the result to the file
// and only then makes it current. It holds wmu, so current() is stable.
func (s *FileStore) change(edit func(now time.Time, next map[string]*record) error) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closed {
		return ErrClosed
	}
	now := s.opts.Now()
	next := make(map[string]*record, len(s.current())+1)
	for k, r := range s.current() {
		if !r.expired(now) { // expired keys are dropped from the file here
			next[k] = r
		}
	}
	if err := edit(now, next); err != nil {
		return err
	}
	if err := s.write(next); err != nil {
		return fmt.Errorf("apikey: saving %s: %w", s.path, err)
	}
	s.mu.Lock()
	s.keys = next
	s.mu.Unlock()
	return nil
}

// write replaces the file atomically: temporary file (0600) in the same
// directory, fsync, rename, fsync of the directory.
func (s *FileStore) write(keys map[string]*record) error {
	doc := fileFormat{Version: fileVersion, Keys: sortedRecords(keys)}
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(s.path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(s.path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // no-op after the rename
	if err := tmp.Chmod(0o600); err != nil {
		_ = tmp.Close() // err is the failure; the file is removed
		return err
	}
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		_ = tmp.Close() // err is the failure; the file is removed
		return err
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close() // err is the failure; the file is removed
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // best effort: not every file system syncs directories
		_ = d.Close()
	}
	return nil
}

func sortedRecords(keys map[string]*record) []*record {
	out := make([]*record, 0, len(keys))
	for _, r := range keys {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *record) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.AccessKey, b.AccessKey))
	})
	return out
}

// Create implements Store.
func (s *FileStore) Create(_ context.Context, owner Owner, claims map[string]any, description string) (Key, string, error) {
	if owner.Issuer == "" || owner.Subject == "" {
		return Key{}, "", errors.New("apikey: owner without issuer or subject")
	}
	desc, err := CleanDescription(description)
	if err != nil {
		return Key{}, "", err
	}
	raw, err := snapshot(claims)
	if err != nil {
		return Key{}, "", err
	}
	secret, hash := newSecret()
	var rec *record
	err = s.change(func(now time.Time, next map[string]*record) error {
		n := 0
		for _, r := range next {
			if r.owner() == owner {
				n++
			}
		}
		if n >= s.opts.MaxPerOwner {
			return fmt.Errorf("%w: at most %d live API keys per user; revoke one first", ErrLimit, s.opts.MaxPerOwner)
		}
		ak := newAccessKey()
		for next[ak] != nil {
			ak = newAccessKey()
		}
		now = now.UTC()
		rec = &record{AccessKey: ak, SecretSHA256: hex.EncodeToString(hash[:]), hash: hash,
			Issuer: owner.Issuer, Subject: owner.Subject, Claims: raw, Description: desc,
			Created: now, Expires: now.Add(s.opts.MaxLifetime)}
		next[ak] = rec
		return nil
	})
	if err != nil {
		return Key{}, "", err
	}
	k, err := rec.key()
	return k, secret, err
}

// Authenticate implements Store, in constant time with respect to the secret
// whether or not the access key exists.
func (s *FileStore) Authenticate(_ context.Context, accessKey, secret string) (Key, error) {
	sum := sha256.Sum256([]byte(secret))
	r := s.current()[accessKey]
	want := &s.dummy
	if r != nil {
		want = &r.hash
	}
	match := subtle.ConstantTimeCompare(sum[:], want[:]) == 1
	if r == nil || !match || r.expired(s.opts.Now()) {
		return Key{}, ErrInvalid
	}
	return r.key()
}

// List implements Store.
func (s *FileStore) List(_ context.Context, owner Owner) ([]Key, error) {
	now := s.opts.Now()
	out := []Key{}
	for _, r := range sortedRecords(s.current()) {
		if !r.live(now, owner) {
			continue
		}
		k, err := r.key()
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, nil
}

// Revoke implements Store.
func (s *FileStore) Revoke(_ context.Context, owner Owner, accessKey string) error {
	return s.change(func(now time.Time, next map[string]*record) error {
		r := next[accessKey]
		if r == nil || !r.live(now, owner) {
			return ErrNotFound
		}
		delete(next, accessKey)
		return nil
	})
}
