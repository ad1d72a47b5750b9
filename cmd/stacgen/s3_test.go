package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
	"gitlab.com/eocat/eocat/internal/config"
	"gitlab.com/eocat/eocat/internal/testenv"
	"gitlab.com/eocat/eocat/internal/validate"
)

const bucket = "eocat-e2e"

// s3Config is the quickstart configuration with every source moved to the
// S3 server under s3://eocat-e2e/<folder>/.
func s3Config(t *testing.T, endpoint string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(s3ConfigText(t, endpoint)), "s3.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// s3ConfigText is s3Config's YAML.
func s3ConfigText(t *testing.T, endpoint string) string {
	t.Helper()
	data, err := os.ReadFile(quickstartConfig())
	if err != nil {
		t.Fatal(err)
	}
	text := strings.NewReplacer(
		"source: data/sentinel2-l2a/", "source: s3://"+bucket+"/sentinel2-l2a/",
		"source: data/spot/", "source: s3://"+bucket+"/spot/",
	).Replace(string(data))
	return text + "\ns3: {endpoint: \"" + endpoint + "\", region: us-east-1, path_style: true}\n"
}

type e2e struct {
	t       *testing.T
	srv     *testenv.S3Server
	cfg     *config.Config
	schemas string
	gets    atomic.Int64
	// onGet runs before every GetObject (to kill the server mid-build).
	onGet atomic.Pointer[func(n int64)]
}

func newE2E(t *testing.T) *e2e {
	e := &e2e{t: t, srv: testenv.StartVersityGW(t), schemas: testenv.SharedDir(t, "stac-schemas")}
	e.srv.CreateBucket(t, bucket)
	if n := e.srv.PutDir(t, bucket, "", filepath.Join(testenv.RepoRoot(), "examples", "quickstart", "data")); n != 26 {
		t.Fatalf("seeded %d objects", n)
	}
	e.cfg = s3Config(t, e.srv.Endpoint)
	return e
}

// client counts GetObject calls through a middleware.
func (e *e2e) client() *s3.Client {
	return s3.NewFromConfig(aws.Config{}, func(o *s3.Options) {
		*o = e.srv.Client(e.t).Options()
		o.RetryMaxAttempts = 2
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Initialize.Add(middleware.InitializeMiddlewareFunc("count-gets",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					if _, ok := in.Parameters.(*s3.GetObjectInput); ok {
						n := e.gets.Add(1)
						if f := e.onGet.Load(); f != nil {
							(*f)(n)
						}
					}
					return next.HandleInitialize(ctx, in)
				}), middleware.Before)
		})
	})
}

func (e *e2e) build(out string, incremental bool) error {
	return e.buildCtx(context.Background(), out, incremental)
}

// buildCtx builds as `stacgen build` does by default (pages and
// stac-geoparquet included), from the S3 server.
func (e *e2e) buildCtx(ctx context.Context, out string, incremental bool) error {
	pages, err := pageRenderer(e.cfg, "", "", "")
	if err != nil {
		return err
	}
	return build(ctx, slog.New(slog.DiscardHandler), e.cfg, buildOptions{
		out: out, incremental: incremental, concurrency: 4, s3Client: e.client(), pages: pages, parquet: true,
		validateOpts: validate.Options{SchemaDir: e.schemas, Offline: true},
	})
}

// snapshot maps every file under dir to its content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// withoutHrefs drops asset hrefs and auth refs, the only fields that depend on
// where the data is.
func withoutHrefs(t *testing.T, doc string) string {
	var v map[string]any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatal(err)
	}
	if assets, ok := v["assets"].(map[string]any); ok {
		for _, a := range assets {
			delete(a.(map[string]any), "href")
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func TestS3BuildMatchesLocalBuildAndIsValid(t *testing.T) {
	e := newE2E(t)
	s3Out := filepath.Join(t.TempDir(), "public")
	if err := e.build(s3Out, false); err != nil {
		t.Fatal(err)
	}
	localOut := filepath.Join(t.TempDir(), "public")
	code, _, stderr := run(t, "build", "--config", quickstartConfig(), "--out", localOut, "--schemas", e.schemas, "--offline")
	if code != 0 {
		t.Fatal(stderr)
	}
	s3Files, localFiles := snapshot(t, s3Out), snapshot(t, localOut)
	items := 0
	for name, doc := range s3Files {
		if !strings.HasSuffix(name, ".json") || strings.HasSuffix(name, "/metadata.json") {
			continue
		}
		local, ok := localFiles[name]
		if !ok {
			t.Errorf("%s: only in the S3 build", name)
			continue
		}
		if strings.Count(name, "/") == 2 { // an item
			items++
			if !strings.Contains(doc, `"href": "`+e.srv.Endpoint+"/"+bucket+"/") {
				t.Errorf("%s: asset hrefs do not point at the S3 endpoint", name)
			}
		}
		if withoutHrefs(t, doc) != withoutHrefs(t, local) {
			t.Errorf("%s differs between the S3 and the local build (hrefs aside)", name)
		}
	}
	if items != 4 {
		t.Fatalf("compared %d items", items)
	}
	// Every document is valid against the official schemas, links resolve.
	code, stdout, stderr := run(t, "validate", "--schemas", e.schemas, "--offline", filepath.Join(s3Out, "catalog.json"))
	if code != 0 {
		t.Fatalf("validate: %d\n%s%s", code, stdout, stderr)
	}
	// One ranged read per raster header, nothing else for the header.
	if e.gets.Load() > 19+4 { // 19 rasters + 4 sidecars
		t.Errorf("%d GetObject calls for 19 rasters and 4 sidecars", e.gets.Load())
	}
}

func TestServerDyingMidBuildLeavesPreviousOutput(t *testing.T) {
	e := newE2E(t)
	out := filepath.Join(t.TempDir(), "public")
	if err := e.build(out, false); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, out)
	stop := func(n int64) {
		if n == 5 {
			e.srv.Stop()
		}
	}
	e.gets.Store(0)
	e.onGet.Store(&stop)
	err := e.build(out, false)
	if err == nil {
		t.Fatal("build succeeded although the server died")
	}
	t.Logf("build error (expected): %v", err)
	after := snapshot(t, out)
	if len(after) != len(before) {
		t.Fatalf("output changed: %d files before, %d after", len(before), len(after))
	}
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s changed", k)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(out))
	for _, en := range entries {
		if strings.Contains(en.Name(), "stacgen-tmp") {
			t.Errorf("temporary folder left behind: %s", en.Name())
		}
	}
}

func TestInterruptedBuildLeavesPreviousOutput(t *testing.T) {
	e := newE2E(t)
	out := filepath.Join(t.TempDir(), "public")
	if err := e.build(out, false); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, out)
	ctx, cancel := context.WithCancel(context.Background())
	interrupt := func(n int64) {
		if n == 3 {
			cancel() // what Ctrl-C does through signal.NotifyContext
		}
	}
	e.gets.Store(0)
	e.onGet.Store(&interrupt)
	err := e.buildCtx(ctx, out, false)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
	if e.gets.Load() > 3+4 {
		t.Errorf("%d reads after the interrupt: cancellation is not prompt", e.gets.Load()-3)
	}
	after := snapshot(t, out)
	if len(after) != len(before) {
		t.Fatalf("interrupted build changed the output")
	}
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s changed", k)
		}
	}
}

func TestIncrementalRebuildTouchesOnlyChangedItems(t *testing.T) {
	e := newE2E(t)
	out := filepath.Join(t.TempDir(), "public")
	if err := e.build(out, true); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, out)

	// No change: nothing is read again.
	e.gets.Store(0)
	if err := e.build(out, true); err != nil {
		t.Fatal(err)
	}
	if n := e.gets.Load(); n != 0 {
		t.Errorf("no-change incremental rebuild made %d GetObject calls", n)
	}
	if after := snapshot(t, out); len(after) != len(before) {
		t.Fatal("no-change rebuild changed the file set")
	}

	// Change one object, delete every object of another item.
	changed := "S2A_MSIL2A_20240620T103631_N0510_R008_T31TEJ_20240620T170512"
	deleted := "S2A_MSIL2A_20240712T130251_N0510_R095_T23KPQ_20240712T183012"
	cl := e.srv.Client(t)
	ctx := context.Background()
	newB02, _ := os.ReadFile(filepath.Join(testenv.RepoRoot(), "examples/quickstart/data/sentinel2-l2a", changed, "B03.tif"))
	if _, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("sentinel2-l2a/" + changed + "/B02.tif"), Body: bytes.NewReader(newB02)}); err != nil {
		t.Fatal(err)
	}
	list, err := cl.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("sentinel2-l2a/" + deleted + "/")})
	if err != nil || len(list.Contents) == 0 {
		t.Fatal(err)
	}
	for _, o := range list.Contents {
		if _, err := cl.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: o.Key}); err != nil {
			t.Fatal(err)
		}
	}
	e.gets.Store(0)
	if err := e.build(out, true); err != nil {
		t.Fatal(err)
	}
	if n := e.gets.Load(); n != 1 {
		t.Errorf("rebuild after one change made %d GetObject calls, want 1", n)
	}
	after := snapshot(t, out)
	for name, doc := range before {
		now, still := after[name]
		switch {
		case strings.Contains(name, deleted):
			if still {
				t.Errorf("%s survived the deletion of its objects", name)
			}
		case name == "sentinel-2-l2a/"+changed+"/"+changed+".json", name == "sentinel-2-l2a/collection.json",
			// the pages and the Parquet file that show them, and the catalog
			// page's item count
			name == "sentinel-2-l2a/"+changed+"/index.html", name == "sentinel-2-l2a/index.html",
			name == "sentinel-2-l2a/items.parquet", name == "index.html":
			if now == doc {
				t.Errorf("%s should have changed", name)
			}
		default:
			if now != doc {
				t.Errorf("%s changed although its objects did not", name)
			}
		}
	}
}
