package crs

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"path/filepath"
	"strings"
	"sync"
)

// Grids is a directory of PROJ horizontal datum shift grids, the files PROJ
// finds through PROJ_DATA (e.g. Debian's /usr/share/proj: ntf_r93.gsb,
// BETA2007.gsb, nzgd2kgrid0005.gsb, …). NTv2 files (.gsb) are read by the
// package; other formats through Loaders (package tifgrid registers PROJ's
// GeoTIFF grids, .tif). A grid in a format without a reader is treated as
// missing.
//
// The package reads the directory through an fs.FS that the caller gives
// (os.DirFS(dir) for a folder), so that it does no file system access of its
// own. A Grids lists the directory when created and reads a file on first
// use. Parsed grids are kept in memory up to MaxBytes (least recently used
// ones are dropped beyond it). It is safe for concurrent use.
type Grids struct {
	fsys  fs.FS
	dir   string          // the directory's name, for Dir and messages
	names map[string]bool // regular files of the directory

	// MaxBytes bounds the memory of the parsed grids kept (default 256 MiB);
	// set it before first use.
	MaxBytes int64

	// Loaders read the grid formats other than NTv2, by file name extension
	// in lower case with its dot (".tif"); a loader registered for ".gsb"
	// replaces the built-in NTv2 reader. Set them before first use.
	Loaders map[string]GridLoader

	mu    sync.Mutex
	cache map[string]*gridFile
	tick  int64
	bytes int64
}

type gridFile struct {
	once sync.Once
	set  *ntv2
	err  error
	used int64 // Grids.tick of the last use
}

// NewGrids returns the grids of a directory: fsys holds its files
// (os.DirFS(dir) for a folder; it must be safe for concurrent use, as
// os.DirFS is) and dir is its name, which Dir returns and error messages use
// in the file paths. The directory must exist; it may hold no grid at all
// (then every grid-based operation is skipped, as PROJ does without grids).
func NewGrids(fsys fs.FS, dir string) (*Grids, error) {
	g := &Grids{fsys: fsys, dir: dir, names: map[string]bool{}, cache: map[string]*gridFile{}, MaxBytes: 256 << 20, Loaders: map[string]GridLoader{}}
	ents, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("crs: grid directory: %w", g.pathError(err))
	}
	for _, e := range ents {
		if e.Type().IsRegular() || e.Type()&fs.ModeSymlink != 0 {
			g.names[e.Name()] = true
		}
	}
	return g, nil
}

// pathError names the file of a *fs.PathError of fsys.Open or fs.ReadDir by
// its path under dir: an fs.FS (os.DirFS included) reports the names it was
// given, relative to its root.
func (g *Grids) pathError(err error) error {
	pe, ok := err.(*fs.PathError)
	if !ok || g.dir == "" {
		return err
	}
	return &fs.PathError{Op: pe.Op, Path: filepath.Join(g.dir, pe.Path), Err: pe.Err}
}

// Dir returns the directory of the grids.
func (g *Grids) Dir() string {
	if g == nil {
		return ""
	}
	return g.dir
}

// find returns the first of the names (PROJ's current grid name, then its
// former name) that is a file of the directory in a format with a reader
// (NTv2, or one of Loaders). Like PROJ, a name is looked up as is
// (case-sensitive).
func (g *Grids) find(names []string) (string, bool) {
	if g == nil {
		return "", false
	}
	for _, n := range names {
		if g.names[n] && (g.loader(n) != nil || strings.EqualFold(filepath.Ext(n), ".gsb")) {
			return n, true
		}
	}
	return "", false
}

// loader returns the loader registered for the extension of name, or nil.
func (g *Grids) loader(name string) GridLoader {
	return g.Loaders[strings.ToLower(filepath.Ext(name))]
}

// read parses a grid file with its loader, or as NTv2.
func (g *Grids) read(name string) (*ntv2, error) {
	f, err := g.fsys.Open(name)
	if err != nil {
		return nil, g.pathError(err)
	}
	// Read only: Close has nothing to flush, and a read error is reported
	// by the read.
	defer func() { _ = f.Close() }()
	l := g.loader(name)
	if l == nil {
		return readNTv2(f)
	}
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	r, ok := f.(io.ReaderAt) // os.DirFS's files are *os.File
	size := st.Size()
	if !ok {
		b, err := io.ReadAll(f)
		if err != nil {
			return nil, err
		}
		r, size = bytes.NewReader(b), int64(len(b))
	}
	d, err := l(r, size)
	if err != nil {
		return nil, err
	}
	return d.grid()
}

// Shift returns the shift that the grid file name of the directory gives at
// (lon, lat), in degrees east and north: the longitude (east-positive) and
// latitude offsets in arc-seconds, interpolated in the finest sub-grid
// holding the point as PROJ's hgridshift does forward. It fails outside
// the grid.
func (g *Grids) Shift(name string, lon, lat float64) (dlon, dlat float64, err error) {
	if _, ok := g.find([]string{name}); !ok {
		return 0, 0, fmt.Errorf("crs: grid %s: %w", name, errGridMissing)
	}
	set, err := g.get(name)
	if err != nil {
		return 0, 0, err
	}
	lam, phi := lon*deg, lat*deg
	s := set.gridAt(lam, phi)
	if s == nil {
		return 0, 0, errOutsideGrid
	}
	tl, tp := s.norm(lam, phi)
	dl, dp, ok := s.interpolate(tl, tp)
	if !ok {
		return 0, 0, errOutsideGrid
	}
	return dl / arcsec, dp / arcsec, nil
}

// GridLoader reads a grid file of a format the package does not read itself
// (registered in Grids.Loaders): r holds the whole file, of the given size.
type GridLoader func(r io.ReaderAt, size int64) (*GridData, error)

// GridData is a horizontal shift grid file as a GridLoader returns it: its
// sub-grids, to which the package applies PROJ's bilinear interpolation and
// inverse iteration as to NTv2 grids.
type GridData struct {
	Subgrids []SubgridData
}

// SubgridData is a sub-grid: nodes every ResX, ResY degrees from the
// outer nodes West, South to East, North (degrees east and north; East is
// West + ResX × (Width - 1), North is South + ResY × (Height - 1)).
type SubgridData struct {
	Name string
	// Parent is the index in GridData.Subgrids of the sub-grid this one
	// refines (it must come earlier), -1 for a top-level grid. A point takes
	// its shift from the first top-level grid that contains it, then from
	// its first child (in list order) that contains it, and so on.
	Parent                   int
	West, South, East, North float64
	ResX, ResY               float64
	Width, Height            int
	// Shifts holds 2 values per node, the longitude offset (east-positive)
	// and the latitude offset in arc-seconds, node by node from west to
	// east, rows from south to north. The grid keeps the slice.
	Shifts []float32
}

// grid converts loaded grid data into the package's sub-grid forest.
func (d *GridData) grid() (*ntv2, error) {
	if d == nil || len(d.Subgrids) == 0 {
		return nil, errors.New("no sub-grid")
	}
	g := &ntv2{}
	subs := make([]*subgrid, len(d.Subgrids))
	for i, sd := range d.Subgrids {
		bad := func(format string, args ...any) error {
			return fmt.Errorf("sub-grid %d (%q): %s", i, sd.Name, fmt.Sprintf(format, args...))
		}
		if sd.Width < 1 || sd.Height < 1 || int64(sd.Width)*int64(sd.Height) > 1<<28 {
			return nil, bad("bad size %d×%d", sd.Width, sd.Height)
		}
		if len(sd.Shifts) != 2*sd.Width*sd.Height {
			return nil, bad("%d shift values for %d×%d nodes", len(sd.Shifts), sd.Width, sd.Height)
		}
		for _, v := range []float64{sd.West, sd.South, sd.East, sd.North, sd.ResX, sd.ResY} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, bad("non-finite extent")
			}
		}
		if !(sd.ResX > 0 && sd.ResY > 0) ||
			math.Abs(sd.West+sd.ResX*float64(sd.Width-1)-sd.East) > 1e-6*sd.ResX ||
			math.Abs(sd.South+sd.ResY*float64(sd.Height-1)-sd.North) > 1e-6*sd.ResY {
			return nil, bad("extent [%v, %v] × [%v, %v] does not match %d×%d nodes every %v, %v", sd.West, sd.East, sd.South, sd.North, sd.Width, sd.Height, sd.ResX, sd.ResY)
		}
		if sd.Parent < -1 || sd.Parent >= i {
			return nil, bad("parent %d is not an earlier sub-grid", sd.Parent)
		}
		s := &subgrid{name: sd.Name,
			west: sd.West * deg, south: sd.South * deg, east: sd.East * deg, north: sd.North * deg,
			resX: sd.ResX * deg, resY: sd.ResY * deg, width: sd.Width, height: sd.Height, shift: sd.Shifts}
		subs[i] = s
		if sd.Parent >= 0 {
			subs[sd.Parent].children = append(subs[sd.Parent].children, s)
		} else {
			g.roots = append(g.roots, s)
		}
		g.bytes += int64(len(s.shift)) * 4
	}
	return g, nil
}

// get returns the parsed grid file, reading it on first use.
func (g *Grids) get(name string) (*ntv2, error) {
	g.mu.Lock()
	f := g.cache[name]
	if f == nil {
		f = &gridFile{}
		g.cache[name] = f
	}
	g.tick++
	f.used = g.tick
	g.mu.Unlock()
	f.once.Do(func() {
		f.set, f.err = g.read(name)
		if f.err != nil {
			f.err = fmt.Errorf("crs: grid %s: %w", name, f.err)
			return
		}
		g.mu.Lock()
		g.bytes += f.set.bytes
		g.evict(name)
		g.mu.Unlock()
	})
	return f.set, f.err
}

// evict drops least recently used grids while over MaxBytes (never keep).
func (g *Grids) evict(keep string) {
	for g.MaxBytes > 0 && g.bytes > g.MaxBytes {
		var oldest string
		var t int64 = math.MaxInt64
		for n, f := range g.cache {
			if n != keep && f.set != nil && f.used < t {
				oldest, t = n, f.used
			}
		}
		if oldest == "" {
			return
		}
		g.bytes -= g.cache[oldest].set.bytes
		delete(g.cache, oldest)
	}
}

// ntv2 is a grid file (NTv2, or GridData from a loader): a forest of
// sub-grids, each refined by its children.
type ntv2 struct {
	roots []*subgrid
	bytes int64
}

// subgrid covers [west, east] × [south, north] (radians, east-positive)
// with nodes every resX, resY; shifts are stored west to east, south to
// north, as (dlam, dphi) radians, east-positive.
type subgrid struct {
	name                     string
	west, south, east, north float64
	resX, resY               float64
	width, height            int
	shift                    []float32 // 2 per node: dlam, dphi in arc-seconds
	children                 []*subgrid
}

// readNTv2 reads an NTv2 file (.gsb) from its first byte.
func readNTv2(f io.Reader) (*ntv2, error) {
	var hdr [11 * 16]byte
	if _, err := io.ReadFull(f, hdr[:]); err != nil {
		return nil, fmt.Errorf("NTv2 header: %w", err)
	}
	if string(hdr[:8]) != "NUM_OREC" {
		return nil, errors.New("not an NTv2 file")
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if bo.Uint32(hdr[8:]) != 11 {
		bo = binary.BigEndian
		if bo.Uint32(hdr[8:]) != 11 {
			return nil, errors.New("NTv2 header: NUM_OREC is not 11")
		}
	}
	nFile := int(int32(bo.Uint32(hdr[2*16+8:]))) //nolint:gosec // G115: NTv2 integers are signed 32-bit (two's complement); range-checked next
	if string(hdr[2*16:2*16+8]) != "NUM_FILE" || nFile <= 0 || nFile > 100000 {
		return nil, errors.New("NTv2 header: bad NUM_FILE")
	}
	if t := strings.TrimSpace(string(hdr[3*16+8 : 4*16])); !strings.EqualFold(t, "SECONDS") {
		return nil, fmt.Errorf("NTv2 GS_TYPE %q is not supported", t)
	}
	const sec = math.Pi / (180 * 3600)
	g := &ntv2{}
	byName := map[string]*subgrid{}
	var all []*subgrid
	parents := map[*subgrid]string{}
	for i := 0; i < nFile; i++ {
		var sh [11 * 16]byte
		if _, err := io.ReadFull(f, sh[:]); err != nil {
			return nil, fmt.Errorf("NTv2 sub-grid %d header: %w", i, err)
		}
		rec := func(k int) []byte { return sh[k*16+8 : k*16+16] }
		num := func(k int) float64 { return math.Float64frombits(bo.Uint64(rec(k))) }
		s := &subgrid{name: strings.TrimSpace(string(rec(0)))}
		sLat, nLat, eLong, wLong, dLat, dLong := num(4), num(5), num(6), num(7), num(8), num(9)
		count := int(int32(bo.Uint32(rec(10)))) //nolint:gosec // G115: as NUM_FILE above
		if dLat <= 0 || dLong <= 0 || nLat < sLat || wLong < eLong {
			return nil, fmt.Errorf("NTv2 sub-grid %q: bad extent", s.name)
		}
		s.width = int(math.Round((wLong-eLong)/dLong)) + 1
		s.height = int(math.Round((nLat-sLat)/dLat)) + 1
		if s.width*s.height != count || count <= 0 || count > 1<<28 {
			return nil, fmt.Errorf("NTv2 sub-grid %q: %d nodes for %d×%d", s.name, count, s.width, s.height)
		}
		// NTv2 longitudes are positive west.
		s.west, s.east = -wLong*sec, -eLong*sec
		s.south, s.north = sLat*sec, nLat*sec
		s.resX, s.resY = dLong*sec, dLat*sec
		raw := make([]byte, count*16)
		if _, err := io.ReadFull(f, raw); err != nil {
			return nil, fmt.Errorf("NTv2 sub-grid %q data: %w", s.name, err)
		}
		s.shift = make([]float32, 2*count)
		for r := 0; r < s.height; r++ {
			for c := 0; c < s.width; c++ {
				// the file's rows run east to west: column c from the west is
				// record width-1-c.
				o := (r*s.width + (s.width - 1 - c)) * 16
				dphi := math.Float32frombits(bo.Uint32(raw[o:]))
				dlam := math.Float32frombits(bo.Uint32(raw[o+4:]))
				k := 2 * (r*s.width + c)
				s.shift[k], s.shift[k+1] = -dlam, dphi
			}
		}
		g.bytes += int64(len(s.shift)) * 4
		byName[s.name] = s
		all = append(all, s)
		parents[s] = strings.TrimSpace(string(rec(1)))
	}
	for _, s := range all {
		p := parents[s]
		if parent, ok := byName[p]; ok && !strings.EqualFold(p, "NONE") && parent != s {
			parent.children = append(parent.children, s)
		} else {
			g.roots = append(g.roots, s)
		}
	}
	return g, nil
}

// contains is PROJ's ExtentAndRes::contains for a geographic grid.
func (s *subgrid) contains(lam, phi float64) bool {
	const eps = 1e-10
	if phi+eps < s.south || phi-eps > s.north {
		return false
	}
	if lam+eps < s.west {
		lam += 2 * math.Pi
	} else if lam-eps > s.east {
		lam -= 2 * math.Pi
	}
	return lam+eps >= s.west && lam-eps <= s.east
}

// at returns the finest sub-grid containing the point.
func (s *subgrid) at(lam, phi float64) *subgrid {
	for _, c := range s.children {
		if c.contains(lam, phi) {
			return c.at(lam, phi)
		}
	}
	return s
}

func (g *ntv2) gridAt(lam, phi float64) *subgrid {
	for _, r := range g.roots {
		if r.contains(lam, phi) {
			return r.at(lam, phi)
		}
	}
	return nil
}

// interpolate is PROJ's pj_hgrid_interpolate: the bilinear interpolation
// of the shift at (tlam, tphi), offsets from the grid's south-west corner
// in radians. ok is false outside the grid.
func (s *subgrid) interpolate(tlam, tphi float64) (dlam, dphi float64, ok bool) {
	tx, ty := tlam/s.resX, tphi/s.resY
	ix, iy := int(math.Floor(tx)), int(math.Floor(ty))
	if math.IsNaN(tx) || math.IsNaN(ty) {
		return 0, 0, false
	}
	fx, fy := tx-float64(ix), ty-float64(iy)
	switch {
	case ix < 0:
		if ix == -1 && fx > 0.99999999999 {
			ix, fx = 0, 0
		} else {
			return 0, 0, false
		}
	case ix+1 >= s.width:
		if ix+1 == s.width && fx < 1e-11 {
			ix, fx = ix-1, 1
		} else {
			return 0, 0, false
		}
	}
	switch {
	case iy < 0:
		if iy == -1 && fy > 0.99999999999 {
			iy, fy = 0, 0
		} else {
			return 0, 0, false
		}
	case iy+1 >= s.height:
		if iy+1 == s.height && fy < 1e-11 {
			iy, fy = iy-1, 1
		} else {
			return 0, 0, false
		}
	}
	if ix < 0 || iy < 0 { // a 1-node-wide grid
		return 0, 0, false
	}
	v := func(x, y int) (float64, float64) {
		k := 2 * (y*s.width + x)
		return float64(s.shift[k]) * arcsec, float64(s.shift[k+1]) * arcsec
	}
	l00, p00 := v(ix, iy)
	l10, p10 := v(ix+1, iy)
	l01, p01 := v(ix, iy+1)
	l11, p11 := v(ix+1, iy+1)
	m10, m11 := fx, fx
	m01, m00 := 1-fx, 1-fx
	m11 *= fy
	m01 *= fy
	m00 *= 1 - fy
	m10 *= 1 - fy
	return m00*l00 + m10*l10 + m01*l01 + m11*l11, m00*p00 + m10*p10 + m01*p01 + m11*p11, true
}

// norm returns the offsets of a point from the sub-grid's south-west node,
// its longitude brought within the sub-grid's range by ±2π.
func (s *subgrid) norm(lam, phi float64) (float64, float64) {
	eps := (s.resX + s.resY) * 1e-5
	tl := lam - s.west
	if tl+eps < 0 {
		tl += 2 * math.Pi
	} else if tl-eps > s.east-s.west {
		tl -= 2 * math.Pi
	}
	return tl, phi - s.south
}

// apply is PROJ's pj_hgrid_apply for one grid file: forward adds the
// interpolated shift; inverse iterates (at most 10 times, to 1e-12 rad) for
// the point whose shifted position is the input, moving to another
// sub-grid when the iteration leaves the current one.
func (g *ntv2) apply(lam, phi float64, inverse bool) (float64, float64, error) {
	s := g.gridAt(lam, phi)
	if s == nil {
		return 0, 0, errOutsideGrid
	}
	tbl, tbp := s.norm(lam, phi)
	dl, dp, ok := s.interpolate(tbl, tbp)
	if !ok {
		return 0, 0, errOutsideGrid
	}
	if !inverse {
		return lam + dl, phi + dp, nil
	}
	tl, tp := tbl-dl, tbp-dp
	const tol = 1e-12
	i := 10
	var difl, difp float64
	for {
		del, delp, ok := s.interpolate(tl, tp)
		if !ok {
			// the iteration left this sub-grid: continue in the one that
			// contains the current estimate, if any
			l, p := tl+s.west, tp+s.south
			ns := g.gridAt(l, p)
			if ns == nil || ns == s {
				break
			}
			s = ns
			tl, tp = l-s.west, p-s.south
			tbl, tbp = s.norm(lam, phi)
			difl, difp = math.MaxFloat64, math.MaxFloat64
		} else {
			difl = tl + del - tbl
			difp = tp + delp - tbp
			tl -= difl
			tp -= difp
		}
		i--
		if i == 0 || difl*difl+difp*difp <= tol*tol {
			break
		}
	}
	if i == 0 {
		return 0, 0, errors.New("inverse grid shift did not converge")
	}
	return adjlon(tl + s.west), tp + s.south, nil
}

// adjlon wraps a longitude into [-π, π].
func adjlon(l float64) float64 {
	if math.Abs(l) <= math.Pi {
		return l
	}
	return math.Remainder(l, 2*math.Pi)
}

// gridStep applies a horizontal shift grid file, forward (the file's own
// direction) or backward.
type gridStep struct {
	grids    *Grids
	name     string
	backward bool
}

func (s *gridStep) shift(lam, phi float64, inverse bool) (float64, float64, error) {
	g, err := s.grids.get(s.name)
	if err != nil {
		return 0, 0, err
	}
	l, p, err := g.apply(lam, phi, inverse)
	if err != nil {
		return 0, 0, err
	}
	return unwrapNear(l, lam), p, nil
}

func (s *gridStep) fwd(lam, phi float64) (float64, float64, error) {
	return s.shift(lam, phi, s.backward)
}
func (s *gridStep) inv(lam, phi float64) (float64, float64, error) {
	return s.shift(lam, phi, !s.backward)
}
func (s *gridStep) identity() bool { return false }
