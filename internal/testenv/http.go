package testenv

import (
	"io"
	"net/http"
	"testing"
)

// Fetch sends one request (a presigned URL, say) with a plain net/http
// client and returns the status and body; a transport error fails the test.
func Fetch(t testing.TB, method, url string, body io.Reader) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(data)
}
