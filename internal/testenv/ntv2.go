package testenv

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"testing"
)

// NTv2Sub is a sub-grid of a synthetic NTv2 file: extent and spacing in
// degrees (east-positive), and the shift in arc-seconds (east-positive
// longitude shift) as a function of the node position.
type NTv2Sub struct {
	Name, Parent             string
	West, South, East, North float64
	Res                      float64
	Shift                    func(lon, lat float64) (dlon, dlat float64)
}

// WriteNTv2 writes an NTv2 file in byte order bo as the format wants it:
// seconds, longitudes positive west, rows south to north, each row east to
// west (internal/crs and internal/crs/tifgrid tests).
func WriteNTv2(t testing.TB, path string, bo binary.ByteOrder, subs []NTv2Sub) {
	t.Helper()
	var b bytes.Buffer
	put := func(v any) {
		if err := binary.Write(&b, bo, v); err != nil {
			t.Fatal(err)
		}
	}
	rec := func(key string, v any) {
		b.WriteString((key + "        ")[:8])
		switch v := v.(type) {
		case int:
			put(int32(v))
			b.Write(make([]byte, 4))
		case float64:
			put(v)
		case string:
			b.WriteString((v + "        ")[:8])
		}
	}
	rec("NUM_OREC", 11)
	rec("NUM_SREC", 11)
	rec("NUM_FILE", len(subs))
	rec("GS_TYPE", "SECONDS")
	rec("VERSION", "NTv2.0")
	rec("SYSTEM_F", "TEST_F")
	rec("SYSTEM_T", "TEST_T")
	rec("MAJOR_F", 6378137.0)
	rec("MINOR_F", 6356752.314)
	rec("MAJOR_T", 6378137.0)
	rec("MINOR_T", 6356752.314)
	for _, s := range subs {
		w := int(math.Round((s.East-s.West)/s.Res)) + 1
		h := int(math.Round((s.North-s.South)/s.Res)) + 1
		rec("SUB_NAME", s.Name)
		rec("PARENT", s.Parent)
		rec("CREATED", "20240101")
		rec("UPDATED", "20240101")
		rec("S_LAT", s.South*3600)
		rec("N_LAT", s.North*3600)
		rec("E_LONG", -s.East*3600)
		rec("W_LONG", -s.West*3600)
		rec("LAT_INC", s.Res*3600)
		rec("LONG_INC", s.Res*3600)
		rec("GS_COUNT", w*h)
		for r := range h {
			for c := range w {
				lon, lat := s.East-float64(c)*s.Res, s.South+float64(r)*s.Res
				dlon, dlat := s.Shift(lon, lat)
				put([]float32{float32(dlat), float32(-dlon), 0.01, 0.01})
			}
		}
	}
	rec("END", 0)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
