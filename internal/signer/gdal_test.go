package signer

// GDAL (gdal-bin 3.6 from Debian) as a real client of the signer: a COG of
// examples/quickstart on versitygw, read by `gdalinfo /vsicurl/…` through a
// URL from GET /sign and through GET|HEAD /redirect.
//
// What GDAL 3.6.2 does, as these tests show (storage traffic is recorded by a
// reverse proxy in front of versitygw, signer traffic by its audit log):
//
//   - On a URL that looks presigned (X-Amz-Signature), GDAL never sends HEAD:
//     it probes the size with a GET it cuts after the headers. A URL signed
//     for GET therefore works as is, with no extra setting
//     (CPL_VSIL_CURL_USE_HEAD=NO changes nothing), and a URL signed for HEAD
//     is refused by the storage (403): never give GDAL method=HEAD URLs.
//   - On /vsicurl/<signer>/redirect?href=…, GDAL sends HEAD first (signed as
//     HEAD by the signer, so it succeeds), then range GETs. curl follows each
//     302 and drops GDAL_HTTP_HEADERS' Authorization on the way (the storage
//     is another origin), but GDAL caches any redirect target that looks like
//     a presigned URL until its X-Amz-Expires and sends later reads straight
//     to it, with GDAL_HTTP_HEADERS: the user's bearer token reaches the
//     storage (versitygw ignores it; AWS S3 refuses a request carrying two
//     authentication mechanisms), and the first read reuses the HEAD-signed
//     URL, gets a 403, and GDAL falls back to the signer. With
//     CPL_VSIL_CURL_USE_S3_REDIRECT=NO every read goes through the signer,
//     each signed for its own method, and no token ever reaches the storage:
//     that is the documented recipe.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gitlab.com/eocat/eocat/internal/testenv"
)

// The COG read by GDAL, as laid out in examples/quickstart.
const (
	gdalCOG     = "spot/SPOT6_2023-07-12_PMS/IMG_SPOT6_PMS_202307121034_ORT_R1C1.tif"
	gdalCOGKey  = "public/" + gdalCOG
	gdalCOGHref = "s3://eodata/" + gdalCOGKey
)

// gdalinfoBinary is $EOCAT_GDALINFO (exported by `.ci/tools.sh gdal`), else
// gdalinfo on PATH; without one the test is skipped, or fails under CI=true.
func gdalinfoBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("EOCAT_GDALINFO"); p != "" {
		if _, err := os.Stat(p); err != nil {
			testenv.Missing(t, "gdalinfo: $EOCAT_GDALINFO: %v", err)
		}
		return p
	}
	p, err := exec.LookPath("gdalinfo")
	if err != nil {
		testenv.Missing(t, "gdalinfo (GDAL's gdal-bin; install it with .ci/tools.sh gdal): %v", err)
	}
	return p
}

// gdalEnv is the environment gdalinfo runs with: the test's own minus any
// GDAL/CPL setting or proxy of the developer's shell, plus fixed settings and
// then the given ones.
func gdalEnv(settings ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "GDAL_") || strings.HasPrefix(name, "CPL_") || strings.HasSuffix(strings.ToLower(name), "_proxy") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"GDAL_DISABLE_READDIR_ON_OPEN=EMPTY_DIR", // no listing, no sidecar probes
		"GDAL_PAM_ENABLED=NO",                    // no .aux.xml
		"GDAL_HTTP_TIMEOUT=20",
		"CPL_VSIL_CURL_CHUNK_SIZE=1024", // GDAL's smallest: several range reads even for a 12 KB file
	)
	return append(env, settings...)
}

// gdalinfo runs `gdalinfo -json -checksum target` (with a timeout) and
// decodes its output.
func gdalinfo(bin, target string, settings ...string) (*gdalInfo, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-json", "-checksum", target)
	cmd.Env = gdalEnv(settings...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if ctx.Err() != nil {
		err = fmt.Errorf("timed out: %w", ctx.Err())
	}
	if err != nil {
		return nil, fmt.Errorf("gdalinfo %s: %w\n%s", target, err, stderr.String())
	}
	var info gdalInfo
	if err := json.Unmarshal(out, &info); err != nil {
		return nil, fmt.Errorf("gdalinfo -json output: %w\n%s", err, out)
	}
	return &info, nil
}

// mustGDALInfo is gdalinfo, failing the test on error after running GDAL
// again with CPL_DEBUG and curl's trace, for the log.
func mustGDALInfo(t *testing.T, bin, target string, settings ...string) *gdalInfo {
	t.Helper()
	info, err := gdalinfo(bin, target, settings...)
	if err != nil {
		_, debug := gdalinfo(bin, target, append(settings, "CPL_DEBUG=ON", "CPL_CURL_VERBOSE=YES")...)
		t.Fatalf("%v\n--- again with CPL_DEBUG=ON CPL_CURL_VERBOSE=YES ---\n%v", err, debug)
	}
	return info
}

// gdalInfo is the part of `gdalinfo -json` the tests compare.
type gdalInfo struct {
	DriverShortName  string                       `json:"driverShortName"`
	Size             []int                        `json:"size"`
	GeoTransform     []float64                    `json:"geoTransform"`
	CoordinateSystem struct{ WKT string }         `json:"coordinateSystem"`
	Metadata         map[string]map[string]string `json:"metadata"`
	Bands            []struct {
		Band                int
		Type                string
		ColorInterpretation string
		NoDataValue         *float64
		Block               []int
		Overviews           []struct{ Size []int }
		Checksum            *int
	} `json:"bands"`
	STAC struct {
		EPSG int `json:"proj:epsg"`
	} `json:"stac"`
}

// checkCOG compares gdalinfo's view of the remote COG with the ground truth of
// examples/quickstart/testdata-gdalinfo and with the checksums GDAL computes
// from the local file.
func checkCOG(t *testing.T, got, local *gdalInfo) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "examples", "quickstart", "testdata-gdalinfo", gdalCOG+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var truth gdalInfo
	if err := json.Unmarshal(raw, &truth); err != nil {
		t.Fatal(err)
	}
	// The known values of this product (examples/quickstart/DATA.md).
	if got.DriverShortName != "GTiff" || got.Metadata["IMAGE_STRUCTURE"]["LAYOUT"] != "COG" {
		t.Errorf("driver %q, layout %q: want a GTiff COG", got.DriverShortName, got.Metadata["IMAGE_STRUCTURE"]["LAYOUT"])
	}
	if !reflect.DeepEqual(got.Size, []int{64, 64}) || len(got.Bands) != 4 || got.STAC.EPSG != 2154 ||
		!strings.HasSuffix(strings.TrimSpace(got.CoordinateSystem.WKT), `ID["EPSG",2154]]`) {
		t.Errorf("size %v, %d bands, EPSG %d: want 64×64, 4 bands, EPSG:2154", got.Size, len(got.Bands), got.STAC.EPSG)
	}
	// Everything else as in the ground truth, band by band.
	if !reflect.DeepEqual(got.GeoTransform, truth.GeoTransform) || got.CoordinateSystem.WKT != truth.CoordinateSystem.WKT || got.STAC.EPSG != truth.STAC.EPSG {
		t.Errorf("georeferencing differs from the ground truth: %v %d", got.GeoTransform, got.STAC.EPSG)
	}
	if len(got.Bands) != len(truth.Bands) || len(local.Bands) != len(truth.Bands) {
		t.Fatalf("%d bands (local file: %d), ground truth %d", len(got.Bands), len(local.Bands), len(truth.Bands))
	}
	for i, b := range got.Bands {
		want := truth.Bands[i]
		want.Checksum = local.Bands[i].Checksum
		if b.Checksum == nil || want.Checksum == nil || !reflect.DeepEqual(b, want) {
			t.Errorf("band %d: %+v, want %+v (checksum %v from the local file)", i+1, b, want, want.Checksum)
		}
	}
}

// storageTrace is what reached the storage: one line per request.
type storageTrace struct {
	mu   sync.Mutex
	reqs []storageRequest
}

type storageRequest struct {
	Method string
	Status int
	Auth   string // the Authorization header, if any
	Range  string
}

func (s *storageTrace) take() []storageRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.reqs
	s.reqs = nil
	return r
}

// recordingProxy serves target (versitygw) on a new loopback address and
// records each request. The Host header is kept, so URLs presigned for the
// proxy's address verify at versitygw.
func recordingProxy(t *testing.T, target *url.URL) (*url.URL, *storageTrace) {
	trace := &storageTrace{}
	rp := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		rp.ServeHTTP(sw, r)
		trace.mu.Lock()
		trace.reqs = append(trace.reqs, storageRequest{Method: r.Method, Status: sw.code, Auth: r.Header.Get("Authorization"), Range: r.Header.Get("Range")})
		trace.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	return u, trace
}

// signedMethods counts the audit log's "signed" lines for the COG by method.
func signedMethods(t *testing.T, logs string) map[string]int {
	t.Helper()
	n := map[string]int{}
	for line := range strings.Lines(logs) {
		var rec struct{ Msg, Method, Key string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("audit log line %q: %v", line, err)
		}
		if rec.Msg == "signed" && rec.Key == gdalCOGKey {
			n[rec.Method]++
		}
	}
	return n
}

func TestGDALReadsCOGThroughSigner(t *testing.T) {
	bin := gdalinfoBinary(t)
	var trace *storageTrace
	e := newEnv(t, func(c *Config) {
		var proxied *url.URL
		proxied, trace = recordingProxy(t, c.Storage.Endpoint)
		c.Storage.Endpoint = proxied // the signer signs URLs on the proxy
	})
	local := filepath.Join(testenv.RepoRoot(), "examples", "quickstart", "data", gdalCOG)
	f, err := os.Open(local)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close() //nolint:errcheck // read only; PutObject reports a failed read
	if _, err := e.s3.Client(t).PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("eodata"), Key: aws.String(gdalCOGKey), Body: f}); err != nil {
		t.Fatal(err)
	}
	want := mustGDALInfo(t, bin, local)
	tok := e.idp.Token(t, "alice", "signer", nil)
	sign := func(method string) string {
		t.Helper()
		resp, out := e.call("GET", "/sign?href="+q(gdalCOGHref)+"&method="+method, "alice", nil)
		if resp.StatusCode != 200 {
			t.Fatalf("GET /sign method=%s: %d %v", method, resp.StatusCode, out)
		}
		return out["href"].(string)
	}
	auditFrom := func() func() map[string]int {
		n := len(e.logs.String())
		return func() map[string]int { return signedMethods(t, e.logs.String()[n:]) }
	}

	// The URL as is; CPL_VSIL_CURL_USE_HEAD=NO, often advised, is not needed
	// and changes nothing.
	for _, settings := range [][]string{nil, {"CPL_VSIL_CURL_USE_HEAD=NO"}} {
		t.Run(strings.Join(append([]string{"URL signed for GET"}, settings...), ", "), func(t *testing.T) {
			trace.take()
			got := mustGDALInfo(t, bin, "/vsicurl/"+sign("GET"), settings...)
			checkCOG(t, got, want)
			reqs := trace.take()
			if len(reqs) < 2 || reqs[0].Range != "" {
				t.Fatalf("storage saw %+v: want a size probe (a GET without Range) and range reads", reqs)
			}
			for _, r := range reqs {
				if r.Method != "GET" || r.Status/100 != 2 || r.Auth != "" {
					t.Errorf("storage saw %+v: GDAL must only GET (never HEAD) a presigned URL, without an Authorization header", r)
				}
			}
		})
	}

	t.Run("URL signed for HEAD is useless to GDAL", func(t *testing.T) {
		trace.take()
		if _, err := gdalinfo(bin, "/vsicurl/"+sign("HEAD")); err == nil {
			t.Fatal("gdalinfo read a COG through a URL signed for HEAD: GDAL sent HEAD, the README's advice to sign GET is outdated")
		}
		if reqs := trace.take(); len(reqs) == 0 || reqs[0].Method != "GET" || reqs[0].Status != http.StatusForbidden {
			t.Errorf("storage saw %+v: want GDAL's GET refused by the storage (403)", reqs)
		}
	})

	// The README's recipe: the token in GDAL_HTTP_HEADERS, GDAL's cache of
	// redirect targets off. The href is given unescaped, as in the README.
	redirect := "/vsicurl/" + e.api.URL + "/redirect?href=" + gdalCOGHref
	t.Run("redirect", func(t *testing.T) {
		trace.take()
		audit := auditFrom()
		got := mustGDALInfo(t, bin, redirect, "GDAL_HTTP_HEADERS=Authorization: Bearer "+tok, "CPL_VSIL_CURL_USE_S3_REDIRECT=NO")
		checkCOG(t, got, want)
		reqs := trace.take()
		gets := 0
		for i, r := range reqs {
			if r.Auth != "" {
				t.Errorf("storage request %d (%s) carried Authorization %.20q…: the bearer token left the signer's origin", i, r.Method, r.Auth)
			}
			if r.Status/100 != 2 {
				t.Errorf("storage request %d: %+v, want a success (each URL signed for its own method)", i, r)
			}
			if i > 0 && (r.Method != "GET" || r.Range == "") {
				t.Errorf("storage request %d: %+v, want a range GET", i, r)
			}
			if r.Method == "GET" {
				gets++
			}
		}
		if len(reqs) < 2 || reqs[0].Method != "HEAD" {
			t.Fatalf("storage saw %+v: want GDAL's HEAD (signed as HEAD), then range GETs", reqs)
		}
		// One signing per storage request, each for the request's method.
		if n := audit(); n["HEAD"] != 1 || n["GET"] != gets || len(n) != 2 {
			t.Errorf("audit log: signed %v, want HEAD 1 and GET %d", n, gets)
		}
	})

	// Without CPL_VSIL_CURL_USE_S3_REDIRECT=NO GDAL still reads the right
	// bytes (it retries through the signer when the cached HEAD URL is refused)
	// but sends the token to the storage: logged, for whoever revisits the
	// recipe with another GDAL.
	t.Run("redirect with GDAL's redirect cache", func(t *testing.T) {
		trace.take()
		got := mustGDALInfo(t, bin, redirect, "GDAL_HTTP_HEADERS=Authorization: Bearer "+tok)
		checkCOG(t, got, want)
		var refused, withToken int
		reqs := trace.take()
		for _, r := range reqs {
			if r.Status == http.StatusForbidden {
				refused++
			}
			if r.Auth != "" {
				withToken++
			}
		}
		t.Logf("GDAL %s with its redirect cache: %d storage requests, %d refused, %d carrying the bearer token", bin, len(reqs), refused, withToken)
	})

	if t.Failed() {
		t.Logf("signer log:\n%s", e.logs.String())
	}
}
