package render

import (
	"errors"
	"io/fs"
	"slices"
	"strings"
)

// Overlay is a file system where the files of top replace those of base
// with the same path, and every other file of base stays visible: a data
// centre overrides one template or one stylesheet without copying the
// rest.
func Overlay(top, base fs.FS) fs.FS { return overlay{top, base} }

type overlay struct{ top, base fs.FS }

func (o overlay) Open(name string) (fs.File, error) {
	if f, err := o.top.Open(name); err == nil {
		if st, err := f.Stat(); err == nil && !st.IsDir() {
			return f, nil
		}
		_ = f.Close() // top has a folder here (or Stat failed): base is looked at instead
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	f, err := o.base.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return o.top.Open(name) // a folder only the top has
	}
	return f, err
}

// ReadDir merges both listings; top's entries win.
func (o overlay) ReadDir(name string) ([]fs.DirEntry, error) {
	top, terr := fs.ReadDir(o.top, name)
	base, berr := fs.ReadDir(o.base, name)
	if terr != nil && berr != nil {
		return nil, berr
	}
	seen := map[string]bool{}
	var out []fs.DirEntry
	for _, e := range top {
		seen[e.Name()] = true
		out = append(out, e)
	}
	for _, e := range base {
		if !seen[e.Name()] {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return out, nil
}
