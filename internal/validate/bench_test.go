package validate

import (
	"context"
	"fmt"
	"runtime"
	"testing"
)

// BenchmarkValidateItems validates Sentinel-2-like items (13 assets with
// proj/eo/raster/file/auth fields) in parallel against the official schemas.
func BenchmarkValidateItems(b *testing.B) {
	v := officialValidator(b)
	docs := make([]Doc, 256)
	for i := range docs {
		docs[i] = Doc{Name: fmt.Sprintf("item-%d.json", i), Data: mustJSON(b, s2Item(i))}
	}
	if issues, err := v.ValidateAll(context.Background(), docs[:1], 1); err != nil || len(issues) > 0 {
		b.Fatal(err, issues)
	}
	b.ResetTimer()
	n := 0
	for b.Loop() {
		if _, err := v.ValidateAll(context.Background(), docs, runtime.GOMAXPROCS(0)); err != nil {
			b.Fatal(err)
		}
		n += len(docs)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "items/s")
}
