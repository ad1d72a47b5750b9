package signer

import (
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"
)

// writeSigned must produce exactly what writeJSON produces for the same
// response, for any hrefs (control characters, quotes, invalid UTF-8,
// U+2028, HTML characters).
func TestWriteSignedEqualsWriteJSON(t *testing.T) {
	alphabet := []string{"a", "Z", "/", "%20", "?", "&", "=", "<", ">", `"`, `\`, "\n", "\t", "\x00", "\x1f", "\x7f", "é", "\u2028", "\u2029", "\xff", "\xe2\x80", "🛰", " "}
	rnd := rand.New(rand.NewPCG(1, 2))
	str := func() string {
		s := "https://s3.example.org/eodata/"
		for range rnd.IntN(12) {
			s += alphabet[rnd.IntN(len(alphabet))]
		}
		return s
	}
	for i := range 500 {
		hrefs := map[string]string{}
		for range rnd.IntN(5) {
			hrefs[str()] = str() + "?X-Amz-Signature=abc"
		}
		expiry := "2026-11-28T20:00:00Z"
		want, got := httptest.NewRecorder(), httptest.NewRecorder()
		writeJSON(want, http.StatusOK, map[string]any{"hrefs": hrefs, "expiry": expiry})
		writeSigned(got, hrefs, expiry)
		if got.Body.String() != want.Body.String() {
			t.Fatalf("case %d:\n got %q\nwant %q", i, got.Body, want.Body)
		}
		for _, h := range []string{"Content-Type", "Cache-Control"} {
			if got.Header().Get(h) != want.Header().Get(h) {
				t.Fatalf("%s: %q vs %q", h, got.Header().Get(h), want.Header().Get(h))
			}
		}
	}
}
