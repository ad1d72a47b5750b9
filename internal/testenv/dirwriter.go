package testenv

import (
	"os"
	"path/filepath"
)

// DirWriter writes files at slash-separated paths under a folder, as the
// renderer and the catalog write their output (a render.Writer).
type DirWriter string

// WriteFile writes data at rel under the folder, creating folders.
func (d DirWriter) WriteFile(rel string, data []byte) error {
	p := filepath.Join(string(d), filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, data, 0o644)
}
