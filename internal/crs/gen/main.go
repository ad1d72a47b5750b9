// Command gen writes internal/crs/epsg_gen.go, the EPSG table of package crs,
// from PROJ's proj.db (Debian: proj-data) read through the sqlite3
// command-line tool (Debian: sqlite3). Run it with `go generate
// ./internal/crs`; see ../generate.go and ../doc.go.
//
// The table holds, for every EPSG geographic 2D CRS and every EPSG projected
// CRS based on one (deprecated ones included and flagged, as GDAL still
// accepts them): its name, datum (ellipsoid,
// prime meridian), area of use, axis unit and, for projected CRSs, the
// conversion (method and parameters normalised to degrees, metres and
// unity). For every datum it lists the candidate coordinate operations to
// WGS 84 (EPSG:4326) that PROJ considers, with their parameters, accuracy and
// area of use; the runtime (../datum.go) picks one per point as PROJ does.
package main

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"flag"
	"fmt"
	"go/format"
	"log"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("crs/gen: ")
	db := flag.String("db", "/usr/share/proj/proj.db", "PROJ database (Debian package proj-data)")
	out := flag.String("o", "epsg_gen.go", "output Go file")
	text := flag.Bool("text", false, "print the table in clear on standard output instead")
	flag.Parse()
	g, err := load(*db)
	if err != nil {
		log.Fatal(err)
	}
	src, err := g.emit()
	if err != nil {
		log.Fatal(err)
	}
	if *text {
		fmt.Print(g.table)
		return
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil { //nolint:gosec // G306: a Go source file of the repository, readable like the others
		log.Fatal(err)
	}
	log.Printf("%s: %d geographic + %d projected CRSs, %d datums with operations, %d operations; table %d bytes, %d compressed (base64)",
		*out, g.nGeog, g.nProj, g.nDatumLists, len(g.usedOps), g.tableBytes, g.packedBytes)
}

const (
	wgs84Datum = 6326
	wgs84Geog  = 4326
)

type unit struct {
	name   string
	typ    string  // length, angle, scale, time
	factor float64 // to metre, radian or unity; NaN for sexagesimal units
}

type ellipsoid struct{ a, invf float64 }

type datum struct {
	code  int
	name  string
	ell   int
	pmDeg float64
}

type geodCRS struct {
	code, datum, cs int
	name, typ       string
	deprecated      bool
}

type extent struct {
	w, s, e, n float64
	offshore   bool // the description says "- offshore": PROJ prefers other areas
}

type axis struct {
	name, abbrev, orient string
	uom                  int
}

type conversion struct {
	code, method int
	name         string
	params       []param
}

type param struct {
	code  int
	value float64 // degrees for angles, metres, unity
	angle bool
}

type projCRS struct {
	code, base, conv, cs int
	name                 string
	deprecated           bool
}

// op is a coordinate operation between two geodetic CRSs.
type op struct {
	code       int
	name       string
	method     int
	src, tgt   int // CRS codes
	sd, td     int // datum codes
	acc        float64
	extent     int
	kind       byte // H helmert (PV), B Molodensky-Badekas (PV), F offsets, R longitude rotation, N null, G grid, C concatenated, U unsupported
	params     []string
	unsupp     string // reason, for kind U
	deprecated bool
}

// ref is an operation used in a given direction.
type ref struct {
	op  *op
	inv bool
}

func (r ref) String() string {
	if r.inv {
		return "-" + strconv.Itoa(r.op.code)
	}
	return strconv.Itoa(r.op.code)
}

type gen struct {
	meta      map[string]string
	units     map[int]unit
	ells      map[int]ellipsoid
	datums    map[int]*datum
	geod      map[int]*geodCRS
	byDatum   map[int][]*geodCRS
	axes      map[int][]axis // by coordinate system, in order
	extents   map[int]extent
	usage     map[string]int // "table:code" → first extent
	convs     map[int]*conversion
	methods   map[int]string
	geog      []*geodCRS // the geographic 2D CRSs of the table
	proj      []*projCRS
	ops       map[int]*op
	opsByDat  map[[2]int][]*op // datum pair (sorted) → operations
	supersede map[int][]int    // superseded op → replacements (same source/target)

	usedOps     map[int]*op
	table       string
	packedBytes int
	nGeog       int
	nProj       int
	nDatumLists int
	tableBytes  int
}

func load(db string) (*gen, error) {
	g := &gen{meta: map[string]string{}, units: map[int]unit{}, ells: map[int]ellipsoid{}, datums: map[int]*datum{},
		geod: map[int]*geodCRS{}, byDatum: map[int][]*geodCRS{}, axes: map[int][]axis{}, extents: map[int]extent{},
		usage: map[string]int{}, convs: map[int]*conversion{}, methods: map[int]string{}, ops: map[int]*op{},
		opsByDat: map[[2]int][]*op{}, supersede: map[int][]int{}, usedOps: map[int]*op{}}
	q := func(sql string) []row {
		rows, err := query(db, sql)
		if err != nil {
			log.Fatal(err)
		}
		return rows
	}
	for _, r := range q(`SELECT key, value FROM metadata`) {
		g.meta[r.str("key")] = r.str("value")
	}
	if g.meta["EPSG.VERSION"] == "" {
		return nil, fmt.Errorf("%s: no EPSG.VERSION in table metadata", db)
	}
	for _, r := range q(`SELECT code, name, type, conv_factor FROM unit_of_measure WHERE auth_name = 'EPSG'`) {
		g.units[r.int("code")] = unit{name: r.str("name"), typ: r.str("type"), factor: r.float("conv_factor")}
	}
	for _, r := range q(`SELECT code, semi_major_axis a, uom_code, inv_flattening f, semi_minor_axis b FROM ellipsoid WHERE auth_name = 'EPSG'`) {
		u := g.units[r.int("uom_code")]
		a := r.float("a") * lengthFactor(r.int("uom_code"), u)
		e := ellipsoid{a: a}
		if !r.null("f") {
			e.invf = r.float("f")
		} else {
			b := r.float("b") * lengthFactor(r.int("uom_code"), u)
			if b != a {
				e.invf = a / (a - b)
			}
		}
		g.ells[r.int("code")] = e
	}
	pms := map[int]float64{}
	for _, r := range q(`SELECT code, longitude, uom_code FROM prime_meridian WHERE auth_name = 'EPSG'`) {
		v, err := g.degrees(r.float("longitude"), r.int("uom_code"))
		if err != nil {
			return nil, fmt.Errorf("prime meridian %d: %v", r.int("code"), err)
		}
		pms[r.int("code")] = v
	}
	for _, r := range q(`SELECT code, name, ellipsoid_code, prime_meridian_code FROM geodetic_datum
		WHERE auth_name = 'EPSG' AND ellipsoid_auth_name = 'EPSG' AND prime_meridian_auth_name = 'EPSG'`) {
		g.datums[r.int("code")] = &datum{code: r.int("code"), name: r.str("name"), ell: r.int("ellipsoid_code"), pmDeg: pms[r.int("prime_meridian_code")]}
	}
	for _, r := range q(`SELECT code, name, type, datum_code, coordinate_system_code cs, deprecated FROM geodetic_crs
		WHERE auth_name = 'EPSG' AND datum_auth_name = 'EPSG'`) {
		c := &geodCRS{code: r.int("code"), name: r.str("name"), typ: r.str("type"), datum: r.int("datum_code"), cs: r.int("cs"), deprecated: r.int("deprecated") != 0}
		g.geod[c.code] = c
		g.byDatum[c.datum] = append(g.byDatum[c.datum], c)
	}
	for _, r := range q(`SELECT coordinate_system_code cs, name, abbrev, orientation, uom_code FROM axis
		WHERE coordinate_system_auth_name = 'EPSG' ORDER BY coordinate_system_code, coordinate_system_order`) {
		cs := r.int("cs")
		g.axes[cs] = append(g.axes[cs], axis{name: r.str("name"), abbrev: r.str("abbrev"), orient: r.str("orientation"), uom: r.int("uom_code")})
	}
	for _, r := range q(`SELECT code, west_lon w, south_lat s, east_lon e, north_lat n, description d FROM extent WHERE auth_name = 'EPSG'`) {
		g.extents[r.int("code")] = extent{r.float("w"), r.float("s"), r.float("e"), r.float("n"), strings.Contains(r.str("d"), "- offshore")}
	}
	// The first usage (in table order) is the area of use PROJ reports.
	for _, r := range q(`SELECT object_table_name t, object_code c, extent_code x FROM usage
		WHERE object_auth_name = 'EPSG' AND extent_auth_name = 'EPSG' ORDER BY rowid`) {
		k := r.str("t") + ":" + r.str("c")
		if _, ok := g.usage[k]; !ok {
			g.usage[k] = r.int("x")
		}
	}
	for _, r := range q(`SELECT code, name FROM conversion_method WHERE auth_name = 'EPSG'
		UNION SELECT code, name FROM coordinate_operation_method WHERE auth_name = 'EPSG'`) {
		g.methods[r.int("code")] = r.str("name")
	}
	if err := g.loadCRSs(q); err != nil {
		return nil, err
	}
	if err := g.loadOps(q); err != nil {
		return nil, err
	}
	return g, nil
}

// lengthFactor is metres per unit, exact for the feet whose definition is a
// ratio (PROJ uses the same values).
func lengthFactor(code int, u unit) float64 {
	switch code {
	case 9001:
		return 1
	case 9002:
		return 0.3048
	case 9003:
		return 1200.0 / 3937
	}
	return u.factor
}

// degrees converts an angle in the given EPSG unit to decimal degrees,
// decoding the sexagesimal units (9110 DMS, 9111 DM) from their decimal
// representation (e.g. 49.3015 = 49°30'15").
func (g *gen) degrees(v float64, uom int) (float64, error) {
	switch uom {
	case 9102, 9122:
		return v, nil
	case 9105:
		return v * 0.9, nil
	case 9104:
		return v / 3600, nil
	case 9103:
		return v / 60, nil
	case 9101:
		return v * 180 / math.Pi, nil
	case 9110:
		return sexagesimal(v, true)
	case 9111:
		return sexagesimal(v, false)
	}
	u, ok := g.units[uom]
	if !ok || u.typ != "angle" || math.IsNaN(u.factor) {
		return 0, fmt.Errorf("unsupported angle unit EPSG:%d (%s)", uom, u.name)
	}
	return v * u.factor * 180 / math.Pi, nil
}

// sexagesimal decodes DDD.MMSSsss (withSeconds) or DDD.MMmmm. It works on
// the shortest decimal representation of v so that 7.26225 is 7°26'22.5"
// and not 7°26'22.4999….
func sexagesimal(v float64, withSeconds bool) (float64, error) {
	s := strconv.FormatFloat(math.Abs(v), 'f', -1, 64)
	ip, frac, _ := strings.Cut(s, ".")
	for len(frac) < 4 {
		frac += "0"
	}
	d, err := strconv.ParseFloat(ip, 64)
	if err != nil {
		return 0, err
	}
	var deg float64
	if withSeconds {
		m, err1 := strconv.ParseFloat(frac[:2], 64)
		sec, err2 := strconv.ParseFloat(frac[2:4]+"."+frac[4:]+"0", 64)
		if err1 != nil || err2 != nil || m >= 60 || sec >= 60 {
			return 0, fmt.Errorf("invalid sexagesimal DMS value %v", v)
		}
		deg = d + m/60 + sec/3600
	} else {
		m, err := strconv.ParseFloat(frac[:2]+"."+frac[2:]+"0", 64)
		if err != nil || m >= 60 {
			return 0, fmt.Errorf("invalid sexagesimal DM value %v", v)
		}
		deg = d + m/60
	}
	return math.Copysign(deg, v), nil
}

func (g *gen) loadCRSs(q func(string) []row) error {
	for _, c := range g.geod {
		if c.typ == "geographic 2D" && g.datums[c.datum] != nil {
			g.geog = append(g.geog, c)
		}
	}
	sort.Slice(g.geog, func(i, j int) bool { return g.geog[i].code < g.geog[j].code })
	isGeog := map[int]bool{}
	for _, c := range g.geog {
		isGeog[c.code] = true
	}
	for _, r := range q(`SELECT p.code, p.name, p.geodetic_crs_code base, p.conversion_code conv, p.coordinate_system_code cs, p.deprecated
		FROM projected_crs p WHERE p.auth_name = 'EPSG'
		AND p.geodetic_crs_auth_name = 'EPSG' AND p.conversion_auth_name = 'EPSG' AND p.coordinate_system_auth_name = 'EPSG'
		ORDER BY p.code`) {
		p := &projCRS{code: r.int("code"), name: r.str("name"), base: r.int("base"), conv: r.int("conv"), cs: r.int("cs"), deprecated: r.int("deprecated") != 0}
		if isGeog[p.base] {
			g.proj = append(g.proj, p)
		}
	}
	used := map[int]bool{}
	for _, p := range g.proj {
		used[p.conv] = true
	}
	cols := ""
	for i := 1; i <= 7; i++ {
		cols += fmt.Sprintf(", param%d_code p%dc, param%d_value p%dv, param%d_uom_code p%du", i, i, i, i, i, i)
	}
	for _, r := range q(`SELECT code, name, method_code` + cols + ` FROM conversion_table WHERE auth_name = 'EPSG'`) {
		code := r.int("code")
		if !used[code] {
			continue
		}
		c := &conversion{code: code, name: r.str("name"), method: r.int("method_code")}
		bad := false
		for i := 1; i <= 7 && !bad; i++ {
			pc := fmt.Sprintf("p%dc", i)
			if r.null(pc) {
				continue
			}
			v, uom := r.float(fmt.Sprintf("p%dv", i)), r.int(fmt.Sprintf("p%du", i))
			u := g.units[uom]
			p := param{code: r.int(pc)}
			switch u.typ {
			case "angle":
				d, err := g.degrees(v, uom)
				if err != nil {
					// e.g. deprecated conversion 6197, 44.87 "DMS"
					log.Printf("skipping conversion %d (and its CRSs): parameter %d: %v", code, p.code, err)
					bad = true
				}
				p.value, p.angle = d, true
			case "length":
				p.value = v * lengthFactor(uom, u)
			case "scale":
				p.value = v * u.factor
			default:
				return fmt.Errorf("conversion %d parameter %d: unit EPSG:%d of type %q", code, p.code, uom, u.typ)
			}
			c.params = append(c.params, p)
		}
		if !bad {
			g.convs[code] = c
		}
	}
	kept := g.proj[:0]
	for _, p := range g.proj {
		if g.convs[p.conv] != nil {
			kept = append(kept, p)
		}
	}
	g.proj = kept
	return nil
}

// loadOps reads every non-deprecated EPSG transformation between two EPSG
// geodetic CRSs.
func (g *gen) loadOps(q func(string) []row) error {
	add := func(o *op) {
		s, t := g.geod[o.src], g.geod[o.tgt]
		if s == nil || t == nil || o.deprecated {
			return
		}
		o.sd, o.td = s.datum, t.datum
		// A Helmert with zero parameters is PROJ's +proj=noop when the two
		// ellipsoids are (nearly) the same, e.g. "ETRS89 to WGS 84 (1)"
		// (GRS 1980 and WGS 84); otherwise it still changes the ellipsoid.
		if o.kind == 'H' && allZero(o.params) && g.datums[o.sd] != nil && g.datums[o.td] != nil {
			a, b := g.ells[g.datums[o.sd].ell], g.ells[g.datums[o.td].ell]
			if a.a == b.a && math.Abs(a.invf-b.invf) < 1e-4 {
				o.kind, o.params = 'N', nil
			}
		}
		if o.extent == 0 {
			return // PROJ needs an area of use to select an operation
		}
		g.ops[o.code] = o
	}
	usage := func(table string, code int) int { return g.usage[table+":"+strconv.Itoa(code)] }
	acc := func(r row) float64 {
		if r.null("accuracy") {
			return -1
		}
		return r.float("accuracy")
	}
	for _, r := range q(`SELECT * FROM helmert_transformation_table WHERE auth_name = 'EPSG'
		AND source_crs_auth_name = 'EPSG' AND target_crs_auth_name = 'EPSG' ORDER BY code`) {
		o := &op{code: r.int("code"), name: r.str("name"), method: r.int("method_code"), src: r.int("source_crs_code"),
			tgt: r.int("target_crs_code"), acc: acc(r), extent: usage("helmert_transformation", r.int("code")), deprecated: r.int("deprecated") != 0}
		g.helmert(o, r)
		add(o)
	}
	for _, r := range q(`SELECT g.*, a.proj_grid_name pg, a.old_proj_grid_name og, a.inverse_direction inv
		FROM grid_transformation g LEFT JOIN grid_alternatives a ON a.original_grid_name = g.grid_name
		WHERE g.auth_name = 'EPSG' AND g.source_crs_auth_name = 'EPSG' AND g.target_crs_auth_name = 'EPSG' ORDER BY g.code`) {
		o := &op{code: r.int("code"), name: r.str("name"), method: r.int("method_code"), src: r.int("source_crs_code"),
			tgt: r.int("target_crs_code"), acc: acc(r), extent: usage("grid_transformation", r.int("code")), deprecated: r.int("deprecated") != 0}
		// Every grid-based operation is 'G': PROJ discards it when its grid
		// file is missing, and so does the runtime, which reads NTv2 files
		// and, with internal/crs/tifgrid registered, PROJ-data's GeoTIFF
		// grids for the horizontal shift methods (NTv2, and NADCON whose
		// grids PROJ ships converted). For the other grid methods no file
		// name is given: they are never used.
		names := []string{r.str("grid_name")} // the file PROJ looks for without an alternative
		if pg := r.str("pg"); pg != "" {
			names = []string{pg}
			if og := r.str("og"); og != "" && og != pg {
				names = append(names, og)
			}
		}
		inv := "0"
		if r.int("inv") != 0 {
			inv = "1"
		}
		for i, n := range names { // the table separates fields by spaces
			names[i] = strings.ReplaceAll(n, " ", "%20")
		}
		o.kind, o.params = 'G', []string{strings.Join(names, ";"), inv}
		if o.method != 9615 && o.method != 9613 {
			o.params = []string{"", inv}
		}
		add(o)
	}
	cols := ""
	for i := 1; i <= 7; i++ {
		cols += fmt.Sprintf(", param%d_code p%dc, param%d_value p%dv, param%d_uom_code p%du", i, i, i, i, i, i)
	}
	for _, r := range q(`SELECT code, name, method_code, source_crs_code, target_crs_code, accuracy, deprecated` + cols + `
		FROM other_transformation WHERE auth_name = 'EPSG' AND source_crs_auth_name = 'EPSG' AND target_crs_auth_name = 'EPSG' ORDER BY code`) {
		o := &op{code: r.int("code"), name: r.str("name"), method: r.int("method_code"), src: r.int("source_crs_code"),
			tgt: r.int("target_crs_code"), acc: acc(r), extent: usage("other_transformation", r.int("code")), deprecated: r.int("deprecated") != 0}
		ps := map[int]float64{}
		var perr error
		for i := 1; i <= 7; i++ {
			if r.null(fmt.Sprintf("p%dc", i)) {
				continue
			}
			pc, v, uom := r.int(fmt.Sprintf("p%dc", i)), r.float(fmt.Sprintf("p%dv", i)), r.int(fmt.Sprintf("p%du", i))
			if pc == 8604 { // height offset: ignored in 2D
				continue
			}
			d, err := g.degrees(v, uom)
			if err != nil {
				perr = err
			}
			ps[pc] = d
		}
		switch {
		case o.method == 9843: // axis order reversal
			o.kind = 'N'
		case perr != nil:
			o.kind, o.unsupp = 'U', perr.Error()
		case o.method == 9619 || o.method == 9618 || o.method == 9660:
			o.kind, o.params = 'F', []string{ftoa(ps[8601] * 3600), ftoa(ps[8602] * 3600)}
		case o.method == 9601:
			o.kind, o.params = 'R', []string{ftoa(ps[8602])}
		default:
			o.kind, o.unsupp = 'U', "method not implemented"
		}
		add(o)
	}
	steps := map[int][]int{}
	for _, r := range q(`SELECT operation_code c, step_code s FROM concatenated_operation_step
		WHERE operation_auth_name = 'EPSG' AND step_auth_name = 'EPSG' ORDER BY operation_code, step_number`) {
		steps[r.int("c")] = append(steps[r.int("c")], r.int("s"))
	}
	for _, r := range q(`SELECT * FROM concatenated_operation WHERE auth_name = 'EPSG'
		AND source_crs_auth_name = 'EPSG' AND target_crs_auth_name = 'EPSG' ORDER BY code`) {
		o := &op{code: r.int("code"), name: r.str("name"), src: r.int("source_crs_code"), tgt: r.int("target_crs_code"),
			acc: acc(r), extent: usage("concatenated_operation", r.int("code")), deprecated: r.int("deprecated") != 0, kind: 'C'}
		s, t := g.geod[o.src], g.geod[o.tgt]
		if s == nil || t == nil {
			continue
		}
		// Chain the steps from the source CRS: each is used forward or
		// inverse depending on which end matches (by CRS, then by datum).
		cur := o.src
		for _, sc := range steps[o.code] {
			st := g.ops[sc]
			if st == nil {
				o.kind, o.unsupp = 'U', fmt.Sprintf("step EPSG:%d is not a transformation between geodetic CRSs", sc)
				break
			}
			switch {
			case st.src == cur || g.geod[st.src].datum == g.geod[cur].datum:
				o.params, cur = append(o.params, strconv.Itoa(sc)), st.tgt
			case st.tgt == cur || g.geod[st.tgt].datum == g.geod[cur].datum:
				o.params, cur = append(o.params, "-"+strconv.Itoa(sc)), st.src
			default:
				o.kind, o.unsupp = 'U', fmt.Sprintf("step EPSG:%d does not follow", sc)
			}
			if o.kind == 'U' {
				break
			}
			if st.kind == 'U' {
				o.kind, o.unsupp = 'U', fmt.Sprintf("step EPSG:%d (%s): %s", sc, st.name, st.unsupp)
				break
			}
		}
		if o.kind == 'C' && (len(o.params) == 0 || g.geod[cur].datum != t.datum) {
			o.kind, o.unsupp = 'U', "steps do not reach the target CRS"
		}
		if o.kind == 'U' {
			o.params = nil
		}
		add(o)
	}
	for _, o := range g.ops {
		k := pairKey(o.sd, o.td)
		g.opsByDat[k] = append(g.opsByDat[k], o)
	}
	for k := range g.opsByDat {
		l := g.opsByDat[k]
		sort.Slice(l, func(i, j int) bool { return l[i].code < l[j].code })
	}
	for _, r := range q(`SELECT superseded_code a, replacement_code b FROM supersession
		WHERE superseded_auth_name = 'EPSG' AND replacement_auth_name = 'EPSG' AND same_source_target_crs = 1
		AND superseded_table_name IN ('helmert_transformation', 'grid_transformation', 'other_transformation', 'concatenated_operation')
		ORDER BY superseded_code, replacement_code`) {
		g.supersede[r.int("a")] = append(g.supersede[r.int("a")], r.int("b"))
	}
	return nil
}

func allZero(p []string) bool {
	for _, v := range p {
		if v != "0" {
			return false
		}
	}
	return true
}

func pairKey(a, b int) [2]int {
	if a > b {
		a, b = b, a
	}
	return [2]int{a, b}
}

// helmert fills a Helmert-family operation: translations in metres,
// rotations in arc-seconds in the Position Vector convention (Coordinate
// Frame rotations are negated), scale difference in ppm, pivot in metres.
func (g *gen) helmert(o *op, r row) {
	var pv, cf, mb bool
	switch o.method {
	case 9603, 1031, 1035: // geocentric translations: geog2D, geocentric, geog3D domain
	case 9606, 1033, 1037, 1065: // position vector; 1065: time-specific (no rates, a fixed epoch)
		pv = true
	case 9607, 1032, 1038, 1066: // coordinate frame; 1066: time-specific
		cf = true
	case 1063, 1061, 1062: // Molodensky-Badekas, PV convention
		pv, mb = true, true
	case 9636, 1034, 1039: // Molodensky-Badekas, CF convention
		cf, mb = true, true
	default:
		o.kind, o.unsupp = 'U', "method not implemented"
		return
	}
	for _, c := range []string{"rate_tx", "rate_rx", "rate_scale_difference"} {
		if !r.null(c) && r.float(c) != 0 {
			o.kind, o.unsupp = 'U', "time-dependent parameters are not implemented"
			return
		}
	}
	tf := lengthFactor(r.int("translation_uom_code"), g.units[r.int("translation_uom_code")])
	p := []float64{r.float("tx") * tf, r.float("ty") * tf, r.float("tz") * tf, 0, 0, 0, 0}
	if pv || cf {
		for i, c := range []string{"rx", "ry", "rz"} {
			d, err := g.degrees(r.float(c), r.int("rotation_uom_code"))
			if err != nil {
				o.kind, o.unsupp = 'U', err.Error()
				return
			}
			p[3+i] = d * 3600 //nolint:gosec // G602: p has 7 elements and i < 3
			if cf {
				p[3+i] = -p[3+i] //nolint:gosec // G602: as above
			}
		}
		su := g.units[r.int("scale_difference_uom_code")]
		if su.typ != "scale" {
			o.kind, o.unsupp = 'U', "scale difference unit"
			return
		}
		p[6] = r.float("scale_difference") * su.factor * 1e6
	}
	if mb {
		pf := lengthFactor(r.int("pivot_uom_code"), g.units[r.int("pivot_uom_code")])
		p = append(p, r.float("px")*pf, r.float("py")*pf, r.float("pz")*pf)
	}
	for _, v := range p {
		if math.IsNaN(v) {
			o.kind, o.unsupp = 'U', "missing parameter"
			return
		}
	}
	o.kind = 'H'
	if mb {
		o.kind = 'B'
	}
	for _, v := range p {
		o.params = append(o.params, ftoa(v))
	}
}

// ftoa is the shortest decimal that round-trips a float64.
func ftoa(v float64) string {
	if v == 0 {
		return "0"
	}
	f, g := strconv.FormatFloat(v, 'f', -1, 64), strconv.FormatFloat(v, 'g', -1, 64)
	if len(g) < len(f) {
		return g
	}
	return f
}

// opsBetween returns the operations between datums a and b (as refs from a
// to b). With only2D, both ends must be geographic 2D CRSs and the WGS 84 end
// must be EPSG:4326, as for the direct look-up PROJ does first.
func (g *gen) opsBetween(a, b int, only2D bool) []ref {
	var out []ref
	for _, o := range g.opsByDat[pairKey(a, b)] {
		if o.sd == o.td {
			continue
		}
		if only2D {
			s, t := g.geod[o.src], g.geod[o.tgt]
			if s.typ != "geographic 2D" || t.typ != "geographic 2D" {
				continue
			}
			if (o.sd == wgs84Datum && o.src != wgs84Geog) || (o.td == wgs84Datum && o.tgt != wgs84Geog) {
				continue
			}
		}
		out = append(out, ref{op: o, inv: o.sd != a})
	}
	return out
}

// direct returns the operations from datum d to WGS 84 that PROJ finds
// without an intermediate CRS: between the geographic 2D CRSs first, else
// between any CRSs of the two datums.
func (g *gen) direct(d int) []ref {
	if l := g.opsBetween(d, wgs84Datum, true); len(l) > 0 {
		return l
	}
	return g.opsBetween(d, wgs84Datum, false)
}

func (g *gen) extentOf(r ref) extent { return g.extents[r.op.extent] }

// withoutSuperseded drops the operations superseded by another one of the
// list that needs no grid (what PROJ keeps without grids, for the second
// step of a pivot).
func (g *gen) withoutSuperseded(l []ref) []ref {
	in := map[int]bool{}
	for _, r := range l {
		if r.op.kind != 'G' {
			in[r.op.code] = true
		}
	}
	var out []ref
	for _, r := range l {
		sup := false
		for _, b := range g.supersede[r.op.code] {
			sup = sup || in[b]
		}
		if !sup {
			out = append(out, r)
		}
	}
	return out
}

// pivots returns chains datum d → X → WGS 84 through one intermediate datum
// whose areas of use intersect, as PROJ builds them when there is no direct
// operation.
func (g *gen) pivots(d int) [][]ref {
	var out [][]ref
	var xs []int
	seen := map[int]bool{}
	for k := range g.opsByDat {
		x := -1
		switch d {
		case k[0]:
			x = k[1]
		case k[1]:
			x = k[0]
		}
		if x >= 0 && x != d && x != wgs84Datum && !seen[x] {
			seen[x] = true
			xs = append(xs, x)
		}
	}
	sort.Ints(xs)
	for _, x := range xs {
		first := g.opsBetween(d, x, true)
		if len(first) == 0 {
			first = g.opsBetween(d, x, false)
		}
		second := g.withoutSuperseded(g.direct(x))
		for _, a := range first {
			for _, b := range second {
				if intersects(g.extentOf(a), g.extentOf(b)) {
					out = append(out, []ref{a, b})
				}
			}
		}
	}
	return out
}

// intersects reports whether two areas of use (possibly crossing the
// antimeridian, west > east) overlap.
func intersects(a, b extent) bool {
	if a.s > b.n || b.s > a.n {
		return false
	}
	for _, x := range split(a) {
		for _, y := range split(b) {
			if x.w <= y.e && y.w <= x.e {
				return true
			}
		}
	}
	return false
}

func split(a extent) []extent {
	if a.w <= a.e {
		return []extent{a}
	}
	return []extent{{w: a.w, s: a.s, e: 180, n: a.n}, {w: -180, s: a.s, e: a.e, n: a.n}}
}

func (g *gen) emit() ([]byte, error) {
	var t strings.Builder
	line := func(f string, a ...any) { fmt.Fprintf(&t, f+"\n", a...) }
	usedDatums := map[int]bool{}
	usedExt := map[int]bool{}
	for _, c := range g.geog {
		usedDatums[c.datum] = true
	}

	// Datum operation lists.
	var wl []string
	var dcodes []int
	for d := range usedDatums {
		dcodes = append(dcodes, d)
	}
	sort.Ints(dcodes)
	var use func(o *op)
	use = func(o *op) {
		if g.usedOps[o.code] != nil {
			return
		}
		g.usedOps[o.code] = o
		usedExt[o.extent] = true
		usedDatums[o.sd], usedDatums[o.td] = true, true
		if o.kind == 'C' {
			for _, s := range o.params {
				n, _ := strconv.Atoi(strings.TrimPrefix(s, "-"))
				use(g.ops[n])
			}
		}
	}
	chain := func(rs []ref) string {
		var s []string
		for _, r := range rs {
			use(r.op)
			s = append(s, r.String())
		}
		return strings.Join(s, "+")
	}
	// PROJ drops an operation superseded by another one of the same list
	// that it keeps (after dropping those whose grids are missing): the
	// superseding codes follow a '^'.
	superseded := func(r ref, list []ref) string {
		var out string
		for _, b := range g.supersede[r.op.code] {
			for _, o := range list {
				if o.op.code == b {
					out += "^" + strconv.Itoa(b)
				}
			}
		}
		return out
	}
	for _, d := range dcodes {
		if d == wgs84Datum {
			continue
		}
		direct := g.direct(d)
		allGrid := true
		for _, r := range direct {
			allGrid = allGrid && r.op.kind == 'G'
		}
		var piv [][]ref
		if allGrid {
			piv = g.pivots(d)
		}
		if len(direct) == 0 && len(piv) == 0 {
			continue
		}
		var b strings.Builder
		fmt.Fprintf(&b, "W %d", d)
		for _, r := range direct {
			b.WriteString(" " + chain([]ref{r}) + superseded(r, direct))
		}
		if len(piv) > 0 {
			b.WriteString(" |")
			for _, p := range piv {
				b.WriteString(" " + chain(p))
			}
		}
		wl = append(wl, b.String())
		g.nDatumLists++
	}

	// Ellipsoids and datums.
	usedEll := map[int]bool{}
	var dl []int
	for d := range usedDatums {
		if g.datums[d] == nil {
			return nil, fmt.Errorf("datum %d is not in the database", d)
		}
		usedEll[g.datums[d].ell] = true
		dl = append(dl, d)
	}
	sort.Ints(dl)
	var el []int
	for e := range usedEll {
		el = append(el, e)
	}
	sort.Ints(el)
	line("# Ellipsoids: E code semi-major-axis(m) inverse-flattening(0: sphere)")
	for _, e := range el {
		line("E %d %s %s", e, ftoa(g.ells[e].a), ftoa(g.ells[e].invf))
	}
	line("# Datums: D code ellipsoid prime-meridian(degrees) name")
	for _, d := range dl {
		x := g.datums[d]
		line("D %d %d %s %s", d, x.ell, ftoa(x.pmDeg), x.name)
	}

	// Conversions and CRSs.
	usedConv := map[int]bool{}
	usedMethod := map[int]bool{}
	angle := map[int]bool{}
	for _, p := range g.proj {
		usedConv[p.conv] = true
	}
	var cl []int
	for c := range usedConv {
		cv := g.convs[c]
		if cv == nil {
			return nil, fmt.Errorf("conversion %d is not in the database", c)
		}
		usedMethod[cv.method] = true
		for _, p := range cv.params {
			if p.angle {
				angle[p.code] = true
			}
		}
		cl = append(cl, c)
	}
	sort.Ints(cl)
	for _, o := range g.usedOps {
		if o.kind == 'U' && o.method != 0 {
			usedMethod[o.method] = true
		}
	}
	var ml []int
	for m := range usedMethod {
		ml = append(ml, m)
	}
	sort.Ints(ml)
	line("# Method names: M code name")
	for _, m := range ml {
		line("M %d %s", m, g.methods[m])
	}
	var al []string
	for a := range angle {
		al = append(al, strconv.Itoa(a))
	}
	sort.Strings(al)
	line("# Conversion parameters given in degrees (all others in metres or unity)")
	line("A %s", strings.Join(al, " "))
	// The parameters of most conversions of a method come in the same order:
	// that order is given once (Q) and their values by position.
	order := map[int][]int{}
	for _, c := range cl {
		cv := g.convs[c]
		if _, ok := order[cv.method]; !ok {
			for _, p := range cv.params {
				order[cv.method] = append(order[cv.method], p.code)
			}
		}
	}
	line("# Parameter order of each method: Q method parameter...")
	for _, m := range ml {
		if o, ok := order[m]; ok {
			var s []string
			for _, p := range o {
				s = append(s, strconv.Itoa(p))
			}
			line("Q %d %s", m, strings.Join(s, " "))
		}
	}
	line("# Conversions: C code method value,... (in the Q order) or parameter=value,... name")
	for _, c := range cl {
		cv := g.convs[c]
		var ps []string
		positional := len(cv.params) == len(order[cv.method])
		for i, p := range cv.params {
			positional = positional && p.code == order[cv.method][i]
		}
		for _, p := range cv.params {
			if positional {
				ps = append(ps, ftoa(p.value))
			} else {
				ps = append(ps, fmt.Sprintf("%d=%s", p.code, ftoa(p.value)))
			}
		}
		if len(ps) == 0 {
			ps = []string{"-"}
		}
		line("C %d %d %s %s", c, cv.method, strings.Join(ps, ","), cv.name)
	}

	line("# Geographic CRSs: G code datum extent unit(0: degree, else radians per unit) flags(8: deprecated) name")
	names := map[int]string{}
	for _, c := range g.geog {
		axes := g.axes[c.cs]
		if len(axes) != 2 || axes[0].uom != axes[1].uom {
			log.Printf("skipping EPSG:%d (%s, deprecated %v): coordinate system %d", c.code, c.name, c.deprecated, c.cs)
			continue
		}
		u := "0"
		switch axes[0].uom {
		case 9102, 9122:
		case 9105:
			u = ftoa(math.Pi / 200)
		default:
			log.Printf("skipping EPSG:%d (%s, deprecated %v) and its projected CRSs: axis unit EPSG:%d", c.code, c.name, c.deprecated, axes[0].uom)
			continue
		}
		ext := g.usage["geodetic_crs:"+strconv.Itoa(c.code)]
		usedExt[ext] = true
		names[c.code] = c.name
		flags := 0
		if c.deprecated {
			flags |= 8
		}
		line("G %d %d %d %s %d %s", c.code, c.datum, ext, u, flags, c.name)
		g.nGeog++
	}
	line("# Projected CRSs: P code base conversion extent unit(0: metre, else metres per unit) axes name")
	line("# axes: bit 16 = swap GDAL's two coordinates, then bit 2 = negate the first, bit 4 = the second; bit 8 = deprecated")
	line("# name: '=' is base name + ' / ' + conversion name, '/suffix' is base name + ' / suffix'")
	for _, p := range g.proj {
		if _, ok := names[p.base]; !ok {
			continue
		}
		axes := g.axes[p.cs]
		if len(axes) < 2 || axes[0].uom != axes[1].uom || g.units[axes[0].uom].typ != "length" {
			log.Printf("skipping EPSG:%d (%s, deprecated %v): coordinate system %d", p.code, p.name, p.deprecated, p.cs)
			continue
		}
		u := "0"
		if axes[0].uom != 9001 {
			u = ftoa(lengthFactor(axes[0].uom, g.units[axes[0].uom]))
		}
		ext := g.usage["projected_crs:"+strconv.Itoa(p.code)]
		usedExt[ext] = true
		name := p.name
		base := names[p.base] + " / "
		switch {
		case p.name == base+g.convs[p.conv].name:
			name = "="
		case strings.HasPrefix(p.name, base):
			name = "/" + strings.TrimPrefix(p.name, base)
		}
		flags := axisFlags(axes, g.convs[p.conv].method)
		if p.deprecated {
			flags |= 8
		}
		line("P %d %d %d %d %s %d %s", p.code, p.base, p.conv, ext, u, flags, name)
		g.nProj++
	}

	line("# Operations: O code kind method source-datum target-datum accuracy(-1: unknown) extent parameters name")
	line("# kind H: Helmert, Position Vector convention (tx,ty,tz m, rx,ry,rz arc-seconds, ds ppm); B: Molodensky-Badekas (H + pivot m);")
	line("# F: geographic offsets (dlat,dlon arc-seconds); R: longitude rotation (degrees); N: null; G: grid (names;…, inverse);")
	line("# C: concatenated (steps, - for inverse); U: not implemented (reason)")
	var ol []int
	for c := range g.usedOps {
		ol = append(ol, c)
	}
	sort.Ints(ol)
	for _, c := range ol {
		o := g.usedOps[c]
		ps := strings.Join(o.params, ",")
		if o.kind == 'U' {
			ps = strings.ReplaceAll(o.unsupp, " ", "_")
		}
		if ps == "" {
			ps = "-"
		}
		line("O %d %c %d %d %d %s %d %s %s", c, o.kind, o.method, o.sd, o.td, ftoa(o.acc), o.extent, ps, o.name)
	}
	line("# Candidate operations to WGS 84 by datum: W datum op[^superseding-op...]... [| pivot chains op+op...]")
	for _, w := range wl {
		line("%s", w)
	}

	var xl []int
	for x := range usedExt {
		xl = append(xl, x)
	}
	sort.Ints(xl)
	line("# Areas of use: X code west south east north (degrees) [o: offshore]")
	for _, x := range xl {
		e, ok := g.extents[x]
		if !ok {
			return nil, fmt.Errorf("extent %d is not in the database", x)
		}
		o := ""
		if e.offshore {
			o = " o"
		}
		line("X %d %s %s %s %s%s", x, ftoa(e.w), ftoa(e.s), ftoa(e.e), ftoa(e.n), o)
	}

	table := t.String()
	g.table = table
	g.tableBytes = len(table)
	// The table is DEFLATE-compressed (about 5:1) and base64-encoded so that
	// the Go source stays printable; compress/flate's output is deterministic
	// for a given Go release.
	var z bytes.Buffer
	fw, err := flate.NewWriter(&z, flate.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := fw.Write([]byte(table)); err != nil {
		return nil, err
	}
	if err := fw.Close(); err != nil {
		return nil, err
	}
	enc := base64.StdEncoding.EncodeToString(z.Bytes())
	g.packedBytes = len(enc)
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by internal/crs/gen from PROJ %s proj.db, EPSG dataset %s (%s). DO NOT EDIT.\n\n",
		g.meta["PROJ.VERSION"], g.meta["EPSG.VERSION"], g.meta["EPSG.DATE"])
	fmt.Fprintf(&b, "// The EPSG Geodetic Parameter Dataset is © IOGP: see EPSG-TERMS.md for its terms of use.\n\n")
	fmt.Fprintf(&b, "package crs\n\n")
	fmt.Fprintf(&b, "// Version of the EPSG dataset and of the PROJ database it was read from.\n")
	fmt.Fprintf(&b, "const (\n\tepsgVersion = %q\n\tepsgDate = %q\n\tprojVersion = %q\n)\n\n", g.meta["EPSG.VERSION"], g.meta["EPSG.DATE"], g.meta["PROJ.VERSION"])
	fmt.Fprintf(&b, "// epsgTable is the table text (%d bytes, %d lines), DEFLATE-compressed and\n", len(table), strings.Count(table, "\n"))
	fmt.Fprintf(&b, "// base64-encoded; datum_table.go decodes it on first use. `go run ./gen -text`\n// prints it in clear.\n")
	fmt.Fprintf(&b, "const epsgTable = \"\" +\n")
	const width = 100
	for i := 0; i < len(enc); i += width {
		j := min(i+width, len(enc))
		sep := " +"
		if j == len(enc) {
			sep = ""
		}
		fmt.Fprintf(&b, "\t%q%s\n", enc[i:j], sep)
	}
	return format.Source(b.Bytes())
}

// axisFlags says how the two coordinates GDAL takes for a projected CRS
// (OAMS_TRADITIONAL_GIS_ORDER: the CRS's axis order, except that a
// northing-easting CRS, polar ones included, is swapped to easting-northing)
// map to what the conversion method computes: bit 16 swaps them, then bits
// 2 and 4 negate the first and second. The methods compute eastings and
// northings except those whose formulas are south or west orientated
// (as the projections of package crs implement them).
func axisFlags(axes []axis, method int) int {
	dir := func(a axis) string {
		o := strings.ToLower(a.orient)
		if strings.Contains(o, " along ") { // polar: numerically east/north
			if strings.HasPrefix(strings.ToLower(a.name), "northing") || a.abbrev == "N" || a.abbrev == "Y" {
				return "north"
			}
			return "east"
		}
		return o
	}
	d0, d1 := dir(axes[0]), dir(axes[1])
	if d0 == "north" && d1 == "east" {
		d0, d1 = d1, d0
	}
	m0, m1 := "east", "north"
	switch method {
	case 9808, 9828: // Transverse Mercator, Bonne (South Orientated)
		m0, m1 = "west", "south"
	case 9826: // Lambert Conic Conformal (West Orientated)
		m0, m1 = "west", "north"
	case 9819, 1042: // Krovak, Krovak Modified: (southing X, westing Y)
		m0, m1 = "south", "west"
	}
	family := func(d string) string {
		if d == "east" || d == "west" {
			return "ew"
		}
		return "ns"
	}
	flags := 0
	if family(d0) != family(m0) {
		flags |= 16
		d0, d1 = d1, d0
	}
	if d0 != m0 {
		flags |= 2
	}
	if d1 != m1 {
		flags |= 4
	}
	return flags
}
