package crs

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// The EPSG table (epsg_gen.go, written by ./gen from PROJ's proj.db) is a
// text of one record per line, compressed. It is decoded once, on first use.
// Record types (first field):
//
//	E ellipsoid     D datum        M method name   A angular parameters
//	Q parameter order of a method   C conversion   G geographic CRS
//	P projected CRS  O operation    W candidate operations of a datum
//	X area of use
//
// `go run ./gen -text` prints the table in clear.

type epsgDB struct {
	ells    map[int]Ellipsoid
	datums  map[int]*datumRec
	methods map[int]string
	angle   map[int]bool
	order   map[int][]int
	convs   map[int]*convRec
	geog    map[int]*crsRec
	proj    map[int]*crsRec
	ops     map[int]*opRec
	lists   map[int]*datumList
	extents map[int]*areaRec
	codes   []int // every CRS code, sorted
}

// convRec is a conversion whose parameters are parsed on use.
type convRec struct {
	method int
	values string
	name   string
}

type datumRec struct {
	code int
	name string
	el   Ellipsoid
	pm   float64 // radians
}

type crsRec struct {
	code   int
	datum  int // geographic CRSs
	base   int // projected CRSs: the geographic CRS
	conv   int // projected CRSs: the conversion
	extent int
	unit   float64 // 0: degree / metre
	axes   int     // flags, see gen: 16 swap, 2, 4 negate x, y; 8 deprecated
	name   string
}

type areaRec struct {
	box      bbox
	offshore bool // the area's name says "- offshore" (PROJ prefers onshore areas)
}

// bbox is a geographic bounding box in degrees; west > east when it crosses
// the antimeridian.
type bbox struct{ w, s, e, n float64 }

// opRec is one EPSG coordinate operation between two geodetic datums.
type opRec struct {
	code     int
	kind     byte // see gen: H B F R N G C U
	method   int
	src, tgt int // datums
	acc      float64
	extent   int
	params   []float64
	grids    []string // G: grid file names (PROJ ≥ 7 name first)
	gridInv  bool     // G: the grid maps target → source
	steps    []opRef  // C
	reason   string   // U
	name     string
}

type opRef struct {
	op  *opRec
	inv bool
}

// datumList holds the candidate operations of a datum to WGS 84: chains of
// one operation found directly, and chains through one intermediate datum
// that PROJ uses only when no direct operation is usable.
type datumList struct {
	direct, pivots [][]opRef
	supersededBy   map[int][]int // direct operation → operations superseding it
}

var (
	epsgOnce sync.Once
	epsg     *epsgDB
	epsgErr  error
)

// loadEPSG returns the decoded table.
func loadEPSG() (*epsgDB, error) {
	epsgOnce.Do(func() { epsg, epsgErr = decodeEPSG(epsgTable) })
	return epsg, epsgErr
}

// inflateTable decodes the base64 of the DEFLATE-compressed table text.
func inflateTable(s string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return "", err
	}
	b, err := io.ReadAll(flate.NewReader(bytes.NewReader(raw)))
	return string(b), err
}

func decodeEPSG(packed string) (*epsgDB, error) {
	text, err := inflateTable(packed)
	if err != nil {
		return nil, fmt.Errorf("crs: EPSG table: %w", err)
	}
	db := &epsgDB{ells: map[int]Ellipsoid{}, datums: map[int]*datumRec{}, methods: map[int]string{},
		angle: map[int]bool{}, order: map[int][]int{}, convs: map[int]*convRec{}, geog: map[int]*crsRec{},
		proj: map[int]*crsRec{}, ops: map[int]*opRec{}, lists: map[int]*datumList{}, extents: map[int]*areaRec{}}
	var wLines []string
	for ln, line := range strings.Split(text, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		if err := db.decodeLine(line, &wLines); err != nil {
			return nil, fmt.Errorf("crs: EPSG table line %d %q: %w", ln+1, line, err)
		}
	}
	for _, o := range db.ops {
		if o.kind != 'C' {
			continue
		}
		for _, s := range o.steps {
			if db.ops[s.op.code] == nil {
				return nil, fmt.Errorf("crs: EPSG table: operation %d: unknown step %d", o.code, s.op.code)
			}
		}
		for i := range o.steps {
			o.steps[i].op = db.ops[o.steps[i].op.code]
		}
	}
	for _, line := range wLines {
		if err := db.decodeList(line); err != nil {
			return nil, fmt.Errorf("crs: EPSG table %q: %w", line, err)
		}
	}
	for c := range db.geog {
		db.codes = append(db.codes, c)
	}
	for c := range db.proj {
		db.codes = append(db.codes, c)
	}
	sort.Ints(db.codes)
	return db, nil
}

// fields splits the first n space-separated fields of a line; the rest of
// the line (a name, which may contain spaces) is the last element.
func fields(line string, n int) ([]string, error) {
	out := make([]string, 0, n+1)
	for i := 0; i < n; i++ {
		j := strings.IndexByte(line, ' ')
		if j < 0 {
			if i == n-1 {
				return append(out, line, ""), nil
			}
			return nil, fmt.Errorf("want %d fields", n)
		}
		out = append(out, line[:j])
		line = line[j+1:]
	}
	return append(out, line), nil
}

type parser struct{ err error }

func (p *parser) int(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil && p.err == nil {
		p.err = err
	}
	return n
}

func (p *parser) float(s string) float64 {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && p.err == nil {
		p.err = err
	}
	return f
}

func (p *parser) floats(s string) []float64 {
	if s == "-" || s == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	out := make([]float64, len(parts))
	for i, v := range parts {
		out[i] = p.float(v)
	}
	return out
}

func (db *epsgDB) decodeLine(line string, wLines *[]string) error {
	var p parser
	switch line[0] {
	case 'E':
		f, err := fields(line[2:], 3)
		if err != nil {
			return err
		}
		db.ells[p.int(f[0])] = Ellipsoid{A: p.float(f[1]), InvF: p.float(f[2])}
	case 'D':
		f, err := fields(line[2:], 3)
		if err != nil {
			return err
		}
		el, ok := db.ells[p.int(f[1])]
		if !ok {
			return fmt.Errorf("unknown ellipsoid")
		}
		code := p.int(f[0])
		db.datums[code] = &datumRec{code: code, name: f[3], el: el, pm: p.float(f[2]) * deg}
	case 'M':
		f, err := fields(line[2:], 1)
		if err != nil {
			return err
		}
		db.methods[p.int(f[0])] = f[1]
	case 'A':
		for _, s := range strings.Fields(line[2:]) {
			db.angle[p.int(s)] = true
		}
	case 'Q':
		f := strings.Fields(line[2:])
		m := p.int(f[0])
		for _, s := range f[1:] {
			db.order[m] = append(db.order[m], p.int(s))
		}
	case 'C':
		f, err := fields(line[2:], 3)
		if err != nil {
			return err
		}
		db.convs[p.int(f[0])] = &convRec{method: p.int(f[1]), values: f[2], name: f[3]}
	case 'G':
		f, err := fields(line[2:], 5)
		if err != nil {
			return err
		}
		c := &crsRec{code: p.int(f[0]), datum: p.int(f[1]), extent: p.int(f[2]), unit: p.float(f[3]), axes: p.int(f[4]), name: f[5]}
		if db.datums[c.datum] == nil {
			return fmt.Errorf("unknown datum")
		}
		db.geog[c.code] = c
	case 'P':
		f, err := fields(line[2:], 6)
		if err != nil {
			return err
		}
		c := &crsRec{code: p.int(f[0]), base: p.int(f[1]), conv: p.int(f[2]), extent: p.int(f[3]), unit: p.float(f[4]), axes: p.int(f[5])}
		b := db.geog[c.base]
		if b == nil {
			return fmt.Errorf("unknown base CRS")
		}
		c.datum = b.datum
		switch name := f[6]; {
		case name == "=":
			c.name = b.name + " / " + db.convName(c.conv)
		case strings.HasPrefix(name, "/"):
			c.name = b.name + " / " + name[1:]
		default:
			c.name = name
		}
		db.proj[c.code] = c
	case 'O':
		f, err := fields(line[2:], 8)
		if err != nil {
			return err
		}
		o := &opRec{code: p.int(f[0]), kind: f[1][0], method: p.int(f[2]), src: p.int(f[3]), tgt: p.int(f[4]),
			acc: p.float(f[5]), extent: p.int(f[6]), name: f[8]}
		switch o.kind {
		case 'H', 'B', 'F', 'R':
			o.params = p.floats(f[7])
		case 'G':
			names, inv, _ := strings.Cut(f[7], ",")
			if names != "" {
				o.grids = strings.Split(strings.ReplaceAll(names, "%20", " "), ";")
			}
			o.gridInv = inv == "1"
		case 'C':
			for _, s := range strings.Split(f[7], ",") {
				n := p.int(s)
				o.steps = append(o.steps, opRef{op: &opRec{code: abs(n)}, inv: n < 0})
			}
		case 'U':
			o.reason = strings.ReplaceAll(f[7], "_", " ")
		case 'N':
		default:
			return fmt.Errorf("unknown operation kind")
		}
		want := map[byte]int{'H': 7, 'B': 10, 'F': 2, 'R': 1}[o.kind]
		if len(o.params) != want {
			return fmt.Errorf("operation has %d parameters, want %d", len(o.params), want)
		}
		if db.datums[o.src] == nil || db.datums[o.tgt] == nil {
			return fmt.Errorf("unknown datum")
		}
		db.ops[o.code] = o
	case 'W':
		*wLines = append(*wLines, line)
	case 'X':
		f, err := fields(line[2:], 5)
		if err != nil {
			return err
		}
		db.extents[p.int(f[0])] = &areaRec{box: bbox{p.float(f[1]), p.float(f[2]), p.float(f[3]), p.float(f[4])}, offshore: f[5] == "o"}
	default:
		return fmt.Errorf("unknown record type")
	}
	return p.err
}

func (db *epsgDB) decodeList(line string) error {
	f := strings.Fields(line[2:])
	var p parser
	d := p.int(f[0])
	l := &datumList{}
	pivots := false
	for _, s := range f[1:] {
		if s == "|" {
			pivots = true
			continue
		}
		var chain []opRef
		s, sup, _ := strings.Cut(s, "^")
		for _, r := range strings.Split(s, "+") {
			n := p.int(r)
			o := db.ops[abs(n)]
			if o == nil {
				return fmt.Errorf("unknown operation %d", abs(n))
			}
			chain = append(chain, opRef{op: o, inv: n < 0})
		}
		if pivots {
			l.pivots = append(l.pivots, chain)
		} else {
			l.direct = append(l.direct, chain)
		}
		for _, b := range strings.Split(sup, "^") {
			if b != "" {
				if l.supersededBy == nil {
					l.supersededBy = map[int][]int{}
				}
				l.supersededBy[chain[0].op.code] = append(l.supersededBy[chain[0].op.code], p.int(b))
			}
		}
	}
	db.lists[d] = l
	return p.err
}

func (db *epsgDB) convName(code int) string {
	if c := db.convs[code]; c != nil {
		return c.name
	}
	return ""
}

// conversion parses a conversion record: method code and parameters
// normalised to radians, metres and unity.
func (db *epsgDB) conversion(code int) (int, Params, error) {
	c, ok := db.convs[code]
	if !ok {
		return 0, nil, fmt.Errorf("conversion EPSG:%d is not in the EPSG table", code)
	}
	var p parser
	params := Params{}
	order := db.order[c.method]
	for i, v := range strings.Split(c.values, ",") {
		if v == "" || v == "-" {
			continue
		}
		pc := 0
		if k, val, ok := strings.Cut(v, "="); ok {
			pc, v = p.int(k), val
		} else if i < len(order) {
			pc = order[i]
		} else {
			return 0, nil, fmt.Errorf("conversion EPSG:%d: parameter %d has no code", code, i)
		}
		x := p.float(v)
		if db.angle[pc] {
			x *= deg
		}
		params[pc] = x
	}
	return c.method, params, p.err
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// area returns the area of use of a record, or the whole world.
func (db *epsgDB) area(code int) *areaRec {
	if a, ok := db.extents[code]; ok {
		return a
	}
	return &areaRec{box: bbox{-180, -90, 180, 90}}
}
