package validate

import (
	"strings"
	"testing"
)

func TestValidateWithChecksReportsBBoxMismatch(t *testing.T) {
	v, err := New(Options{Offline: true, NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	item := func(bbox string) []byte {
		return []byte(`{"type":"Feature","stac_version":"1.1.0","id":"x","bbox":` + bbox + `,
		"geometry":{"type":"Polygon","coordinates":[[[0,0],[2,0],[2,1],[0,1],[0,0]]]},
		"properties":{"datetime":"2024-01-01T00:00:00Z"},"links":[],"assets":{}}`)
	}
	issues, err := v.ValidateWithChecks("ok.json", item("[0,0,2,1]"))
	if err != nil || len(issues) != 0 {
		t.Fatalf("consistent item: %v %v", issues, err)
	}
	issues, err = v.ValidateWithChecks("bad.json", item("[0,0,1,1]"))
	if err != nil || len(issues) != 1 || !issues[0].Consistency || !strings.Contains(issues[0].Message, "envelope") {
		t.Fatalf("inconsistent item: %v %v", issues, err)
	}
}
