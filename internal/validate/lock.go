package validate

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"gitlab.com/eocat/eocat/schemas"
)

// lockFile is the name of the pin file inside the schemas package.
const lockFile = "official.lock.json"

// Lock pins official schemas: URL → hex SHA-256 of the published bytes.
type Lock struct {
	Comment string            `json:"comment,omitempty"`
	Schemas map[string]string `json:"schemas"`
}

// loadLock reads the embedded lock file.
func loadLock() (*Lock, error) {
	b, err := fs.ReadFile(schemas.FS, lockFile)
	if err != nil {
		return nil, fmt.Errorf("validate: embedded lock: %w", err)
	}
	var l Lock
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("validate: embedded lock %s: %w", lockFile, err)
	}
	return &l, nil
}

// LockMirror computes the pins of every *.json file below a mirror laid out as
// <host>/<path>, keyed by the https URL it is served at.
func LockMirror(dir string) (*Lock, error) {
	l := &Lock{
		Comment: "SHA-256 of the official JSON Schemas, by the URL they are served at. Regenerate with: go test ./internal/validate -run TestLockFile -update",
		Schemas: map[string]string{},
	}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		b, err := os.ReadFile(path) //nolint:gosec // G122: the schema mirror a developer names (TestLockFile -update): no privilege boundary for a symlink race to cross
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		l.Schemas["https://"+filepath.ToSlash(rel)] = sha256Hex(b)
		return nil
	})
	return l, err
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// urlPath maps https://host/path to host/path, the layout of mirrors, caches
// and the compact schemas. ok is false for anything but a plain https URL.
func urlPath(u string) (string, bool) {
	rest, ok := strings.CutPrefix(u, "https://")
	if !ok || rest == "" || strings.ContainsAny(rest, "?#\\") {
		return "", false
	}
	clean := filepath.ToSlash(filepath.Clean(rest))
	if clean != rest || strings.HasPrefix(clean, "../") || strings.HasPrefix(clean, "/") {
		return "", false
	}
	return rest, true
}
