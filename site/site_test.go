package site

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// lockFile is vendor.lock.json (see vendor.sh for how it is used).
type lockFile struct {
	Comment  string        `json:"comment"`
	Packages []lockPackage `json:"packages"`
}

type lockPackage struct {
	Name        string            `json:"name"`
	Version     string            `json:"version"`
	License     string            `json:"license"`
	Integrity   string            `json:"integrity"`
	StripPrefix string            `json:"strip_prefix"`
	Dest        string            `json:"dest"`
	Files       map[string]string `json:"files"` // path in the npm package → SHA-256 (hex)
}

// target is where a file of the package is vendored (vendor.sh's rule).
func (p lockPackage) target(file string) string {
	if p.StripPrefix != "" {
		file = strings.TrimPrefix(file, p.StripPrefix)
	}
	return p.Dest + "/" + file
}

func readLock(t *testing.T) lockFile {
	t.Helper()
	data, err := os.ReadFile("vendor.lock.json")
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var lock lockFile
	if err := dec.Decode(&lock); err != nil {
		t.Fatalf("vendor.lock.json: %v", err)
	}
	if len(lock.Packages) == 0 {
		t.Fatal("vendor.lock.json lists no package")
	}
	return lock
}

var (
	npmName     = regexp.MustCompile(`^(@[a-z0-9-~][a-z0-9-._~]*/)?[a-z0-9-~][a-z0-9-._~]*$`)
	exactSemver = regexp.MustCompile(`^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`)
	sha256Hex   = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// checkVendored returns every way in which fsys's static/vendor/ tree and
// the manifest disagree, or the manifest is malformed.
func checkVendored(fsys fs.FS, lock lockFile) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	want := map[string]string{} // vendored path → SHA-256
	names := map[string]bool{}
	for i, p := range lock.Packages {
		where := fmt.Sprintf("packages[%d] (%s@%s)", i, p.Name, p.Version)
		if !npmName.MatchString(p.Name) {
			bad("%s: %q is not an npm package name", where, p.Name)
		}
		if names[p.Name] {
			bad("%s: listed twice", where)
		}
		names[p.Name] = true
		if !exactSemver.MatchString(p.Version) {
			bad("%s: version %q is not an exact version", where, p.Version)
		}
		if digest, ok := strings.CutPrefix(p.Integrity, "sha512-"); !ok {
			bad("%s: integrity %q is not sha512-<base64>", where, p.Integrity)
		} else if raw, err := base64.StdEncoding.Strict().DecodeString(digest); err != nil || len(raw) != 64 {
			bad("%s: integrity %q is not the base64 of a 64-byte SHA-512 digest", where, p.Integrity)
		}
		if strings.TrimSpace(p.License) == "" {
			bad("%s: no license", where)
		}
		if p.Dest != "static/vendor/"+p.Name {
			bad("%s: dest %q is not static/vendor/%s", where, p.Dest, p.Name)
		}
		if len(p.Files) == 0 {
			bad("%s: no files", where)
		}
		hasLicense := false
		for file, sum := range p.Files {
			if !fs.ValidPath(file) || strings.Contains(file, `\`) {
				bad("%s: invalid file path %q", where, file)
				continue
			}
			if !sha256Hex.MatchString(sum) {
				bad("%s: %s: sha256 %q is not 64 lowercase hex digits", where, file, sum)
			}
			dst := p.target(file)
			if _, dup := want[dst]; dup || !fs.ValidPath(dst) {
				bad("%s: %s: destination %s is invalid or taken twice", where, file, dst)
				continue
			}
			want[dst] = sum
			base := strings.ToUpper(path.Base(file))
			if strings.HasPrefix(base, "LICENSE") || strings.HasPrefix(base, "LICENCE") {
				hasLicense = true
			}
		}
		if !hasLicense {
			bad("%s: its LICENSE file is not vendored (add it to \"files\")", where)
		}
	}

	for _, dst := range slices.Sorted(maps.Keys(want)) {
		data, err := fs.ReadFile(fsys, dst)
		if err != nil {
			bad("%s: listed in vendor.lock.json but not vendored: %v", dst, err)
			continue
		}
		sum := sha256.Sum256(data)
		if got := hex.EncodeToString(sum[:]); got != want[dst] {
			bad("%s: sha256 %s, vendor.lock.json pins %s: vendored files must be the npm package's, unmodified (run site/vendor.sh)", dst, got, want[dst])
		}
	}
	err := fs.WalkDir(fsys, "static/vendor", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() {
			bad("%s: not a regular file", name)
		} else if _, ok := want[name]; !ok {
			bad("%s: not listed in vendor.lock.json (run site/vendor.sh, which removes stale files)", name)
		}
		return nil
	})
	if err != nil {
		bad("walking static/vendor: %v", err)
	}
	return problems
}

// TestVendoredFilesMatchLock checks the embedded files (what ships) and the
// folder (what is committed) against vendor.lock.json.
func TestVendoredFilesMatchLock(t *testing.T) {
	lock := readLock(t)
	for name, fsys := range map[string]fs.FS{"embedded FS": FS, "site/ folder": os.DirFS(".")} {
		for _, p := range checkVendored(fsys, lock) {
			t.Errorf("%s: %s", name, p)
		}
	}
}

// TestCheckVendoredCatchesChanges proves that checkVendored notices an
// edited, a missing and an extra file, and a malformed manifest.
func TestCheckVendoredCatchesChanges(t *testing.T) {
	lock := readLock(t)
	pristine := fstest.MapFS{}
	err := fs.WalkDir(FS, "static/vendor", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(FS, name)
		pristine[name] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if p := checkVendored(pristine, lock); len(p) != 0 {
		t.Fatalf("copy of the vendored files: %q", p)
	}
	p0 := lock.Packages[0]
	var first string // any listed file
	for f := range p0.Files {
		first = p0.target(f)
		break
	}
	clone := func() fstest.MapFS {
		c := fstest.MapFS{}
		for k, v := range pristine {
			c[k] = &fstest.MapFile{Data: bytes.Clone(v.Data)}
		}
		return c
	}
	withPackage := func(edit func(*lockPackage)) lockFile {
		p := p0
		p.Files = map[string]string{}
		for k, v := range p0.Files {
			p.Files[k] = v
		}
		edit(&p)
		return lockFile{Packages: append([]lockPackage{p}, lock.Packages[1:]...)}
	}
	cases := []struct {
		name string
		fsys fstest.MapFS
		lock lockFile
		want string // in one of the problems
	}{
		{"edited file", func() fstest.MapFS {
			c := clone()
			c[first].Data = append(c[first].Data, '\n')
			return c
		}(), lock, first + ": sha256"},
		{"missing file", func() fstest.MapFS { c := clone(); delete(c, first); return c }(), lock, first + ": listed in vendor.lock.json but not vendored"},
		{"extra file", func() fstest.MapFS {
			c := clone()
			c[p0.Dest+"/stale.js"] = &fstest.MapFile{Data: []byte("x")}
			return c
		}(), lock, p0.Dest + "/stale.js: not listed"},
		{"file of an unlisted package", func() fstest.MapFS {
			c := clone()
			c["static/vendor/other/other.js"] = &fstest.MapFile{Data: []byte("x")}
			return c
		}(), lock, "static/vendor/other/other.js: not listed"},
		{"integrity not SRI", pristine, withPackage(func(p *lockPackage) { p.Integrity = "sha1-" + p.Integrity[7:] }), "is not sha512-<base64>"},
		{"integrity too short", pristine, withPackage(func(p *lockPackage) { p.Integrity = "sha512-AAAA" }), "64-byte"},
		{"no license", pristine, withPackage(func(p *lockPackage) { p.License = "" }), "no license"},
		{"LICENSE not vendored", pristine, withPackage(func(p *lockPackage) {
			for f := range p.Files {
				if strings.HasPrefix(strings.ToUpper(path.Base(f)), "LICEN") {
					delete(p.Files, f)
				}
			}
		}), "LICENSE file is not vendored"},
		{"version range", pristine, withPackage(func(p *lockPackage) { p.Version = "^" + p.Version }), "not an exact version"},
		{"dest elsewhere", pristine, withPackage(func(p *lockPackage) { p.Dest = "static/lib" }), "is not static/vendor/"},
		{"path escapes", pristine, withPackage(func(p *lockPackage) { p.Files["../evil.js"] = strings.Repeat("0", 64) }), "invalid file path"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			problems := checkVendored(c.fsys, c.lock)
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, c.want) }) {
				t.Errorf("no problem mentions %q; got %q", c.want, problems)
			}
		})
	}
}

func TestFSHoldsLeaflet(t *testing.T) {
	data, err := fs.ReadFile(FS, "static/vendor/leaflet/leaflet.js")
	if err != nil {
		t.Fatal(err)
	}
	var version string
	for _, p := range readLock(t).Packages {
		if p.Name == "leaflet" {
			version = p.Version
		}
	}
	if !bytes.Contains(data[:min(len(data), 512)], []byte("Leaflet "+version)) {
		t.Errorf("leaflet.js does not start with its banner for Leaflet %s: %q", version, data[:min(len(data), 120)])
	}
}

// TestVendoredCSSURLsResolve checks that the relative url(…) references of
// every vendored stylesheet (leaflet.css's images/…) name embedded files, so
// the path mapping keeps them working.
func TestVendoredCSSURLsResolve(t *testing.T) {
	cssURL := regexp.MustCompile(`url\(\s*['"]?([^'")]+?)['"]?\s*\)`)
	n := 0
	err := fs.WalkDir(FS, "static/vendor", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(name) != ".css" {
			return err
		}
		data, err := fs.ReadFile(FS, name)
		if err != nil {
			return err
		}
		for _, m := range cssURL.FindAllSubmatch(data, -1) {
			ref := string(m[1])
			if strings.HasPrefix(ref, "#") || strings.HasPrefix(ref, "data:") || strings.Contains(ref, "://") || strings.HasPrefix(ref, "/") {
				continue
			}
			ref, _, _ = strings.Cut(ref, "?")
			ref, _, _ = strings.Cut(ref, "#")
			target := path.Join(path.Dir(name), ref)
			if _, err := fs.Stat(FS, target); err != nil {
				t.Errorf("%s: url(%s) → %s: %v", name, m[1], target, err)
			}
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Error("no relative url() found in the vendored CSS (leaflet.css has images/…)")
	}
}
