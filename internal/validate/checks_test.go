package validate

import (
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
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

type failingTransport struct{ calls atomic.Int64 }

func (f *failingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	f.calls.Add(1)
	return nil, errors.New("no route to host")
}

// TestBlackholedNetworkCostsOneAttempt: after a transport failure the
// resolver stops downloading and falls back to the compact schemas at once.
func TestBlackholedNetworkCostsOneAttempt(t *testing.T) {
	tr := &failingTransport{}
	v, err := New(Options{NoCache: true, HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		t.Fatal(err)
	}
	doc := []byte(`{"type":"Feature","stac_version":"1.1.0","id":"x","geometry":null,
		"stac_extensions":["https://stac-extensions.github.io/projection/v2.0.0/schema.json","https://stac-extensions.github.io/eo/v2.0.0/schema.json"],
		"properties":{"datetime":"2024-01-01T00:00:00Z","proj:code":"EPSG:32631","eo:cloud_cover":5},"links":[],"assets":{}}`)
	issues, err := v.Validate("x.json", doc)
	if err != nil || len(issues) != 0 {
		t.Fatalf("%v %v", issues, err)
	}
	if n := tr.calls.Load(); n != 1 {
		t.Fatalf("%d download attempts, want 1", n)
	}
	for u, src := range v.Sources() {
		if src != SourceCompact {
			t.Errorf("%s from %s", u, src)
		}
	}
}
