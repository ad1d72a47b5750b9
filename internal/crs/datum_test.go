package crs

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
)

// TestSuggest checks the per-point rule of PROJ's pj_get_suggested_operation
// on synthetic candidates.
func TestSuggest(t *testing.T) {
	mk := func(name string, acc float64, b box, offshore bool) entry {
		return entry{c: &candidate{name: name, acc: acc, offshore: offshore}, src: b, dst: b}
	}
	d := &datumShift{entries: []entry{
		mk("wide", 10, box{0, 0, 10, 10}, false),
		mk("better", 2, box{0, 0, 5, 5}, false),
		mk("offshore", 1, box{0, 0, 3, 3}, true),
		mk("same-nested", 2, box{1, 1, 4, 4}, false),
		mk("same-touching", 2, box{0, 0, 4, 4}, false),
		mk("unknown", -1, box{-5, -5, 20, 20}, false),
	}}
	for _, c := range []struct {
		x, y float64
		want string
	}{
		{7, 7, "wide"},        // only "wide" (and "unknown", later, unknown accuracy) contain it
		{4.5, 4.5, "better"},  // better accuracy
		{2, 2, "same-nested"}, // equal accuracy, strictly inside the current best; offshore never replaces
		{0.5, 0.5, "better"},  // "same-touching" shares an edge with "better": not strictly inside
		{15, 15, "unknown"},   // unknown accuracy, but nothing else
		{-10, -10, ""},        // nothing: fallback
	} {
		i := d.suggest(func(e *entry) bool { return e.src.contains(c.x, c.y) }, [2]int{-1, -1}, true)
		got := ""
		if i >= 0 {
			got = d.entries[i].c.name
		}
		if got != c.want {
			t.Errorf("suggest(%v, %v) = %q, want %q", c.x, c.y, got, c.want)
		}
	}
	// PROJ's quirk: an operation of unknown accuracy met first is never
	// replaced (its accuracy, -1, is "better" than any other).
	d2 := &datumShift{entries: []entry{mk("ballpark", -1, everything, false), mk("helmert", 1, box{0, 0, 1, 1}, false)}}
	if i := d2.suggest(func(e *entry) bool { return e.src.contains(0.5, 0.5) }, [2]int{-1, -1}, true); d2.entries[i].c.name != "ballpark" {
		t.Errorf("got %q, want the first (unknown accuracy) entry", d2.entries[i].c.name)
	}
}

// TestOperationChoice pins the operation PROJ 9.1.1 picks per point (from
// proj_trans_get_last_used_operation with PROJ_DATA holding no grid) for a
// few datums with many candidates.
func TestOperationChoice(t *testing.T) {
	for _, c := range []struct {
		code     int
		lon, lat float64 // CRS coordinates (geographic CRSs)
		want     string
	}{
		{4267, -100, 40, "NAD27 to WGS 84 (6)"},
		{4267, -80, 35, "NAD27 to WGS 84 (4)"},
		{4267, -70, 70, "NAD27 to WGS 84 (13)"},
		{4267, -87.5, 29, "NAD27 to WGS 84 (4)"},
		{4267, 0, 0, "Ballpark geographic offset"},
		{4230, -3.7, 40.4, "ED50 to WGS 84 (28)"},
		{4230, 2.35, 48.85, "ED50 to WGS 84 (17)"},
		{4230, 12.5, 41.9, "ED50 to WGS 84 (1)"},
		{4230, 5, 58, "ED50 to WGS 84 (7)"}, // (24), more accurate, is offshore
		{4230, -8.5, 42.5, "ED50 to WGS 84 (29)"},
		{4277, -1.9, 50.7, "OSGB36 to WGS 84 (6)"},
		{4277, -3, 57, "OSGB36 to WGS 84 (6)"},
		{4283, 135, -25, "GDA94 to WGS 84 (1)"}, // tie with (2): the first wins
	} {
		tr, err := ForEPSG(c.code)
		if err != nil {
			t.Fatal(err)
		}
		cr := tr.(*CRS)
		lam, phi := c.lon*deg, c.lat*deg
		_, _, cand, err := cr.datum.forward(c.lon, c.lat, lam, phi)
		if err != nil {
			t.Fatalf("EPSG:%d (%v, %v): %v", c.code, c.lon, c.lat, err)
		}
		if !strings.HasPrefix(cand.name, c.want) {
			t.Errorf("EPSG:%d (%v, %v): %q, PROJ uses %q", c.code, c.lon, c.lat, cand.name, c.want)
		}
	}
}

func TestForEPSGErrors(t *testing.T) {
	_, err := ForEPSG(1234567)
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "EPSG:1234567 is not supported: not a geographic 2D or projected CRS of the EPSG dataset "+epsgVersion) {
		t.Errorf("unknown code: %v", err)
	}
	// A geocentric CRS is in the dataset but not a geographic 2D or
	// projected CRS.
	if _, err := ForEPSG(4978); !errors.Is(err, ErrUnsupported) {
		t.Errorf("EPSG:4978: %v", err)
	}
	// Every table CRS that fails names the method or the datum operation.
	db, err := loadEPSG()
	if err != nil {
		t.Fatal(err)
	}
	methods := map[int]int{}
	var current, supported, projected, projSupported int // non-deprecated codes
	for _, code := range db.codes {
		_, err := lookup(code)
		rec := db.geog[code]
		if rec == nil {
			rec = db.proj[code]
		}
		if rec.axes&8 == 0 {
			current++
			if err == nil {
				supported++
			}
			if db.proj[code] != nil {
				projected++
				if err == nil {
					projSupported++
				}
			}
		}
		if err == nil {
			continue
		}
		var ue *UnsupportedError
		if !errors.As(err, &ue) || ue.Code != code || ue.Name != Name(code) || !errors.Is(err, ErrUnsupported) {
			t.Errorf("EPSG:%d: %T %v", code, err, err)
			continue
		}
		var me *MethodError
		if errors.As(err, &me) {
			methods[me.Method]++
			want := "it uses map projection method EPSG:" + strconv.Itoa(me.Method) + " (" + db.methods[me.Method] + ")"
			if !strings.Contains(err.Error(), want) {
				t.Errorf("EPSG:%d: %q lacks %q", code, err, want)
			}
		} else if !strings.Contains(err.Error(), "datum") {
			t.Errorf("EPSG:%d: %v", code, err)
		}
	}
	t.Logf("CRSs refused by map projection method: %v", methods)
	t.Logf("supported: %d of the %d non-deprecated geographic 2D and projected CRSs of the EPSG dataset %s (projected: %d of %d)", supported, current, epsgVersion, projSupported, projected)
	if current < 5000 || current-supported > 10 {
		t.Errorf("coverage: %d of %d", supported, current)
	}
}

// TestNewDatum checks that New uses the table's operations for a datum code
// and the TOWGS84 Helmert of a user-defined CRS, as PROJ does for a
// BoundCRS.
func TestNewDatum(t *testing.T) {
	bng, _ := ForEPSG(27700)
	db, _ := loadEPSG()
	def, _, err := db.definition(27700)
	if err != nil {
		t.Fatal(err)
	}
	def.Code, def.Name = 0, ""
	user, err := New(def)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range [][2]float64{{530000, 181000}, {300000, 700000}} {
		l1, p1, _ := bng.ToWGS84(p[0], p[1])
		l2, p2, _ := user.ToWGS84(p[0], p[1])
		if d := haversine(l1, p1, l2, p2); d > 1e-6 {
			t.Errorf("New(27700 without code) differs by %g m at %v", d, p)
		}
	}
	// EPSG:1314 as TOWGS84 gives what EPSG:27700 gives where PROJ uses it.
	def.Datum, def.ToWGS84 = 0, []float64{446.448, -125.157, 542.06, 0.15, 0.247, 0.842, -20.489}
	tw, err := New(def)
	if err != nil {
		t.Fatal(err)
	}
	l1, p1, _ := bng.ToWGS84(530000, 181000)
	l2, p2, _ := tw.ToWGS84(530000, 181000)
	if d := haversine(l1, p1, l2, p2); d > 1e-6 {
		t.Errorf("TOWGS84 differs from EPSG:1314 by %g m", d)
	}
	x, y, err := tw.(*CRS).FromWGS84(l2, p2)
	if err != nil || math.Hypot(x-530000, y-181000) > 2e-3 { // PROJ reverses a Helmert with the transposed rotation matrix
		t.Errorf("TOWGS84 round trip: (%v, %v) %v", x, y, err)
	}
	def.ToWGS84 = []float64{1, 2}
	if _, err := New(def); !errors.Is(err, ErrUnsupported) {
		t.Errorf("2 TOWGS84 parameters: %v", err)
	}
}

func TestNamesAndCodes(t *testing.T) {
	if n := Name(27700); n != "OSGB36 / British National Grid" {
		t.Errorf("Name(27700) = %q", n)
	}
	if n := Name(27200); n != "NZGD49 / New Zealand Map Grid" {
		t.Errorf("Name(27200) = %q", n)
	}
	if Name(4978) != "" || Name(1234567) != "" {
		t.Error("Name of a non-table code is not empty")
	}
	if !IsGeographic(4230) || IsGeographic(23031) || IsGeographic(1234567) {
		t.Error("IsGeographic")
	}
	codes := SupportedCodes()
	if len(codes) < 5000 {
		t.Errorf("only %d supported codes", len(codes))
	}
	for i := 1; i < len(codes); i++ {
		if codes[i] <= codes[i-1] {
			t.Fatalf("SupportedCodes not sorted at %d", i)
		}
	}
}

// TestEPSGTable checks a few decoded records against the dataset.
func TestEPSGTable(t *testing.T) {
	db, err := loadEPSG()
	if err != nil {
		t.Fatal(err)
	}
	// NTF (Paris) / Lambert zone II: prime meridian of Paris (2.5969213
	// grads), parameters in grads, unit metre.
	def, _, err := db.definition(27572)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(def.PrimeMeridian/deg-2.33722917) > 1e-12 || def.Method != 9801 ||
		math.Abs(def.Params[8801]/deg-46.8) > 1e-12 || def.Params[8806] != 600000 || def.Params[8807] != 2200000 {
		t.Errorf("EPSG:27572: %+v", def)
	}
	// Sexagesimal DMS: NAD27 / Alabama East has its latitude of natural
	// origin 30°30'N and central meridian 85°50'W; US survey feet.
	def, _, _ = db.definition(26729)
	if math.Abs(def.Params[8801]/deg-30.5) > 1e-12 || math.Abs(def.Params[8802]/deg+(85+50.0/60)) > 1e-12 || def.Unit != 1200.0/3937 {
		t.Errorf("EPSG:26729: %+v", def)
	}
	// An ellipsoid given by its semi-minor axis: Clarke 1866 (7008).
	el := db.ells[7008]
	if el.A != 6378206.4 || math.Abs(el.A*(1-1/el.InvF)-6356583.8) > 1e-6 {
		t.Errorf("Clarke 1866: %+v", el)
	}
}
