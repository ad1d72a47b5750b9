//go:build linux

// Benchmarks behind docs/performance.md (run them with scripts/bench).
//
// BenchmarkBuildS3 builds a catalog of N items × 5 COG assets from a real S3
// server (versitygw, posix backend, loopback) and, in the same run against
// the same server, measures the floor any build must pay: listing every key
// plus one ranged read (16 KiB, as geotiff.Read does) per asset at the build's
// concurrency. It also measures listing alone and a no-change --incremental
// rebuild. The full and incremental builds render the HTML pages beside the
// JSON and write the stac-geoparquet files, as `stacgen build` does by
// default; a full build without pages ("json", --pages=false, still with
// stac-geoparquet unless -bench.parquet=false) is measured beside them, so
// that the pages' cost is a difference between two builds of the same run. Every measurement is
// repeated -bench.reps times (default 3), the repetitions interleaved, and
// the median is reported.
//
// BenchmarkPagesCPU runs `stacgen build` with and without --pages as two
// processes started together against one server, and reports what the pages
// add to the CPU (side by side, the machine's drift hits both builds).
//
// BenchmarkBuildMemory runs `stacgen build` as a separate process (built with
// `go build -o`) and reports its peak RSS (getrusage ru_maxrss).
//
// Sizes: -bench.items / $EOCAT_BENCH_ITEMS (default 1000,10000 for BuildS3,
// 10000 for PagesCPU) and -bench.memitems / $EOCAT_BENCH_MEM_ITEMS (default
// 1000,10000,100000), e.g.
//
//	go test ./cmd/stacgen -run '^$' -bench BuildS3 -benchtime 1x -bench.items 100
//
// The bucket is seeded by hard-linking small real COGs from
// examples/quickstart/data straight into the server's data folder
// (DataDir/<bucket>/<prefix>/<item>/<asset>.tif), which is much faster than
// PutObject. versitygw then reports an empty ETag for these objects (it
// keeps ETags in xattrs written on upload), so incremental fingerprints use
// size + modification time, as for local files, and items carry no
// file:checksum.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"net/http/httptrace"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gitlab.com/eocat/eocat/internal/config"
	"gitlab.com/eocat/eocat/internal/render"
	"gitlab.com/eocat/eocat/internal/source"
	"gitlab.com/eocat/eocat/internal/testenv"
	"gitlab.com/eocat/eocat/internal/validate"
)

var (
	benchItemsFlag    = flag.String("bench.items", "", "comma-separated item counts for BenchmarkBuildS3 and BenchmarkPagesCPU (else $EOCAT_BENCH_ITEMS, else 1000,10000 and 10000)")
	benchMemItemsFlag = flag.String("bench.memitems", "", "comma-separated item counts for BenchmarkBuildMemory (else $EOCAT_BENCH_MEM_ITEMS, else 1000,10000,100000)")
	benchReps         = flag.Int("bench.reps", 3, "repetitions of each measurement (the median is reported)")
	benchConcurrency  = flag.Int("bench.concurrency", 16, "build --concurrency, also used by the floor's ranged reads")
	benchHeapProfile  = flag.String("bench.heapprofile", "", "write a heap profile taken when the live heap peaks during the untimed priming build to FILE.<items>")
	benchOutDir       = flag.String("bench.outdir", "", "write the builds' outputs under this folder (e.g. a tmpfs such as /dev/shm) instead of the test's temporary folder")
	benchParquet      = flag.Bool("bench.parquet", true, "write each collection's stac-geoparquet file in every build, as `stacgen build` does by default (--parquet)")
	benchPagesControl = flag.Bool("bench.pagescontrol", false, "BenchmarkPagesCPU also runs each repetition's control: two identical builds without pages at the same time, whose CPU should differ by nothing but the method's noise")
	benchCPUProfile   = flag.String("bench.cpuprofile", "", "write CPU profiles of one full build with pages (the untimed build priming the incremental state) to FILE.<items>, of one extra untimed full build without pages to FILE.<items>.json and of one extra untimed no-change incremental rebuild to FILE.<items>.incr")
)

const (
	benchBucket     = "eocat-bench"
	benchCollection = "sentinel-2-l2a"
	benchFirstBlock = 16 << 10 // geotiff.DefaultFirstBlock
)

// benchAssets are the files of every seeded item: 5 small real COGs.
var benchAssets = []string{"B02.tif", "B03.tif", "B04.tif", "B08.tif", "SCL.tif"}

func benchSizes(b *testing.B, fl, env, def string) []int {
	s := fl
	if s == "" {
		s = os.Getenv(env)
	}
	if s == "" {
		s = def
	}
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			b.Fatalf("bad item count %q in %q", f, s)
		}
		out = append(out, n)
	}
	return out
}

// benchServer is a versitygw seeded with n items under s3://eocat-bench/n<N>/.
type benchServer struct {
	srv     *testenv.S3Server
	prefix  string // n<N>/
	items   int
	objects int
	schemas string
}

func startBenchServer(b *testing.B, n int) *benchServer {
	b.Helper()
	schemas := testenv.SharedDir(b, "stac-schemas")
	srv := testenv.StartVersityGW(b)
	srv.CreateBucket(b, benchBucket)
	bs := &benchServer{srv: srv, prefix: fmt.Sprintf("n%d/", n), items: n, schemas: schemas}
	start := time.Now()
	bs.objects = seedBench(b, filepath.Join(srv.DataDir, benchBucket, bs.prefix), n)
	b.Logf("seeded %d objects (%d items) in %.1fs", bs.objects, n, time.Since(start).Seconds())
	// The build and the floor both use the production client
	// (source.NewS3Client, standard credential chain): give it the server's
	// keys through the environment, and nothing from the developer's files.
	nowhere := filepath.Join(b.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": srv.AccessKey, "AWS_SECRET_ACCESS_KEY": srv.SecretKey, "AWS_SESSION_TOKEN": "",
		"AWS_CONFIG_FILE": nowhere, "AWS_SHARED_CREDENTIALS_FILE": nowhere, "AWS_PROFILE": "",
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_REGION": srv.Region,
		"AWS_WEB_IDENTITY_TOKEN_FILE": "", "AWS_ROLE_ARN": "", "AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_S3": "",
	} {
		b.Setenv(k, v)
	}
	return bs
}

// seedBench writes n product folders of 5 COGs under dir by hard-linking (or
// copying, across file systems) the quickstart's Sentinel-2 samples, cycling
// over its three products, and returns the number of objects.
func seedBench(b testing.TB, dir string, n int) int {
	b.Helper()
	products, err := filepath.Glob(filepath.Join(testenv.RepoRoot(), "examples", "quickstart", "data", "sentinel2-l2a", "S2*"))
	if err != nil || len(products) == 0 {
		b.Fatalf("no quickstart products: %v", err)
	}
	slices.Sort(products)
	work := make(chan int, 256)
	errc := make(chan error, 4)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i := range work {
				prod := products[i%len(products)]
				// Keep the product's name shape, unique per item.
				item := fmt.Sprintf("%s_%07d", filepath.Base(prod), i)
				d := filepath.Join(dir, item)
				if err := os.MkdirAll(d, 0o755); err != nil {
					errc <- err
					return
				}
				for _, a := range benchAssets {
					if err := linkOrCopy(filepath.Join(prod, a), filepath.Join(d, a)); err != nil {
						errc <- err
						return
					}
				}
			}
		})
	}
	for i := range n {
		select {
		case work <- i:
			continue
		case err := <-errc:
			close(work)
			wg.Wait()
			b.Fatalf("seeding: %v", err)
		}
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errc:
		b.Fatalf("seeding: %v", err)
	default:
	}
	return n * len(benchAssets)
}

func linkOrCopy(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o644)
}

// benchConfigYAML is one S3 collection: no sidecar, a fixed datetime, 5 COG
// asset rules with eo bands (as in the quickstart).
func (bs *benchServer) configYAML() string {
	return fmt.Sprintf(`catalog: {id: eocat-bench, title: eocat benchmark, description: Synthetic Sentinel-2 L2A catalog for benchmarks.}
s3: {endpoint: %q, region: us-east-1, path_style: true}
collections:
  - id: %s
    title: Sentinel-2 Level-2A (benchmark)
    description: %d items of 5 small COGs each.
    license: CC-BY-SA-3.0-IGO
    source: s3://%s/%s
    datetime: "2024-06-15T10:36:29Z"
    properties: {gsd: 10, platform: sentinel-2b, constellation: sentinel-2}
    assets:
      - {match: B02.tif, title: Blue (band 2) - 10 m, roles: [data, reflectance], gsd: 10,
         bands: [{name: B02, eo:common_name: blue, eo:center_wavelength: 0.49}]}
      - {match: B03.tif, title: Green (band 3) - 10 m, roles: [data, reflectance], gsd: 10,
         bands: [{name: B03, eo:common_name: green, eo:center_wavelength: 0.56}]}
      - {match: B04.tif, title: Red (band 4) - 10 m, roles: [data, reflectance], gsd: 10,
         bands: [{name: B04, eo:common_name: red, eo:center_wavelength: 0.665}]}
      - {match: B08.tif, title: NIR 1 (band 8) - 10 m, roles: [data, reflectance], gsd: 10,
         bands: [{name: B08, eo:common_name: nir, eo:center_wavelength: 0.842}]}
      - {match: SCL.tif, title: Scene classification map, roles: [data], gsd: 20}
`, bs.srv.Endpoint, benchCollection, bs.items, benchBucket, bs.prefix)
}

func (bs *benchServer) config(b *testing.B) *config.Config {
	cfg, err := config.Parse([]byte(bs.configYAML()), "bench.yaml")
	if err != nil {
		b.Fatal(err)
	}
	return cfg
}

func (bs *benchServer) client(b *testing.B) *s3.Client {
	cl, err := source.NewS3Client(context.Background(), source.S3Options{Endpoint: bs.srv.Endpoint, PathStyle: true})
	if err != nil {
		b.Fatal(err)
	}
	return cl
}

type listed struct {
	key  string
	size int64
}

// listAll is the listing floor: one paginated ListObjectsV2 (1000 keys a
// page) of every key under the prefix.
func (bs *benchServer) listAll(ctx context.Context, cl *s3.Client) ([]listed, error) {
	var out []listed
	p := s3.NewListObjectsV2Paginator(cl, &s3.ListObjectsV2Input{Bucket: aws.String(benchBucket), Prefix: aws.String(bs.prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, o := range page.Contents {
			out = append(out, listed{aws.ToString(o.Key), aws.ToInt64(o.Size)})
		}
	}
	return out, nil
}

// floor lists every key, then reads the first min(16 KiB, size) bytes of
// every .tif with one ranged GET, conc at a time. It returns the listing
// and the total durations.
func (bs *benchServer) floor(ctx context.Context, cl *s3.Client, conc int) (list, total time.Duration, err error) {
	start := time.Now()
	objs, err := bs.listAll(ctx, cl)
	if err != nil {
		return 0, 0, err
	}
	list = time.Since(start)
	if len(objs) != bs.objects {
		return 0, 0, fmt.Errorf("listed %d objects, want %d", len(objs), bs.objects)
	}
	work := make(chan listed, conc)
	errc := make(chan error, conc)
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() {
			buf := make([]byte, benchFirstBlock)
			for o := range work {
				n := min(int64(benchFirstBlock), o.size)
				out, err := cl.GetObject(ctx, &s3.GetObjectInput{
					Bucket: aws.String(benchBucket), Key: aws.String(o.key),
					Range: aws.String(fmt.Sprintf("bytes=0-%d", n-1)),
				})
				if err == nil {
					_, err = io.ReadFull(out.Body, buf[:n])
					out.Body.Close()
				}
				if err != nil {
					errc <- fmt.Errorf("%s: %w", o.key, err)
					return
				}
			}
		})
	}
feed:
	for _, o := range objs {
		if !strings.HasSuffix(o.key, ".tif") {
			continue
		}
		select {
		case work <- o:
		case err = <-errc:
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errc:
		default:
		}
	}
	return list, time.Since(start), err
}

// sourceList times stacgen's own listing (source.S3.List: a delimited
// listing of the root, then every first-level prefix concurrently), with
// the listing concurrency of the builds (build's --list-concurrency default).
func (bs *benchServer) sourceList(ctx context.Context, cl *s3.Client) (time.Duration, error) {
	start := time.Now()
	src, err := source.NewS3(ctx, "s3://"+benchBucket+"/"+bs.prefix, source.S3Options{
		Endpoint: bs.srv.Endpoint, PathStyle: true, ListConcurrency: source.DefaultListConcurrency, Client: cl,
	})
	if err != nil {
		return 0, err
	}
	n := 0
	err = src.List(ctx, func(source.Object) error { n++; return nil })
	if err == nil && n != bs.objects {
		err = fmt.Errorf("source.List gave %d objects, want %d", n, bs.objects)
	}
	return time.Since(start), err
}

// build runs build() as `stacgen build --offline --schemas … --concurrency
// conc [--incremental]` does; pages nil is --pages=false (no HTML), and
// -bench.parquet=false is --parquet=false.
func (bs *benchServer) build(ctx context.Context, cfg *config.Config, out string, incremental bool, conc int, pages *render.Renderer) error {
	return build(ctx, slog.New(slog.DiscardHandler), cfg, buildOptions{
		out: out, incremental: incremental, concurrency: conc, pages: pages, parquet: *benchParquet,
		validateOpts: validate.Options{SchemaDir: bs.schemas, Offline: true},
	})
}

// benchRenderer is the page renderer `stacgen build` makes by default
// (newRenderer without --templates, --site or --base-url): the embedded
// templates and static files, the configuration's basemap and page size
// (none and the default in the benchmark's configuration).
func benchRenderer(b *testing.B, cfg *config.Config) *render.Renderer {
	b.Helper()
	r, err := pageRenderer(cfg, "", "", "")
	if err != nil {
		b.Fatal(err)
	}
	return r
}

// cpuTimes returns this process's CPU time and that of its versitygw
// children (from /proc; 0 when unavailable).
func cpuTimes() (self, server time.Duration) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	tasks, _ := filepath.Glob("/proc/self/task/*/children")
	seen := map[string]bool{}
	for _, t := range tasks {
		data, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		for pid := range strings.FieldsSeq(string(data)) {
			if seen[pid] {
				continue
			}
			seen[pid] = true
			stat, err := os.ReadFile("/proc/" + pid + "/stat")
			if err != nil {
				continue
			}
			// pid (comm) state ppid … utime(14) stime(15); comm may hold spaces.
			s := string(stat)
			open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
			if open < 0 || end < open || !strings.HasPrefix(s[open+1:end], "versitygw") {
				continue
			}
			f := strings.Fields(s[end+1:])
			if len(f) < 13 {
				continue
			}
			ut, _ := strconv.ParseInt(f[11], 10, 64)
			st, _ := strconv.ParseInt(f[12], 10, 64)
			server += time.Duration(ut+st) * (time.Second / 100) // USER_HZ
		}
	}
	return self, server
}

// measured is one repeated measurement: wall time and CPU time of this
// process and of the server.
type measured struct {
	wall, self, server []time.Duration
	dials, requests    []int64
}

// run times f; f must make its requests with the context it is given, which
// counts the TCP connections dialled and the requests sent.
func (m *measured) run(b *testing.B, f func(ctx context.Context) error) {
	b.Helper()
	var dials, reqs atomic.Int64
	ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
		ConnectStart: func(string, string) { dials.Add(1) },
		GotConn:      func(httptrace.GotConnInfo) { reqs.Add(1) },
	})
	// Each measurement starts from a collected heap: the process's CPU time
	// would otherwise include the collection of the previous measurement's
	// garbage (the floor's client and the builds run in this process).
	runtime.GC()
	s0, v0 := cpuTimes()
	start := time.Now()
	if err := f(ctx); err != nil {
		b.Fatal(err)
	}
	m.wall = append(m.wall, time.Since(start))
	s1, v1 := cpuTimes()
	m.self = append(m.self, s1-s0)
	m.server = append(m.server, v1-v0)
	m.dials = append(m.dials, dials.Load())
	m.requests = append(m.requests, reqs.Load())
}

// median is the middle value in seconds (the mean of the two middle ones
// for an even count).
func median(d []time.Duration) float64 {
	s := slices.Clone(d)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	m := s[len(s)/2].Seconds()
	if len(s)%2 == 0 {
		m = (m + s[len(s)/2-1].Seconds()) / 2
	}
	return m
}

func medianFloat(v []float64) float64 {
	d := make([]time.Duration, len(v))
	for i, f := range v {
		d[i] = time.Duration(f * float64(time.Second))
	}
	return median(d)
}

// report gives name_s (median wall) and name_cpu_s / name_srvcpu_s (median
// CPU seconds of stacgen's process and of versitygw).
func (m *measured) report(b *testing.B, name string) float64 {
	w := median(m.wall)
	b.ReportMetric(w, name+"_s")
	b.ReportMetric(median(m.self), name+"_cpu_s")
	b.ReportMetric(median(m.server), name+"_srvcpu_s")
	if len(m.dials) > 0 {
		b.ReportMetric(float64(m.dials[len(m.dials)-1]), name+"_dials")
		b.ReportMetric(float64(m.requests[len(m.requests)-1]), name+"_requests")
	}
	return w
}

func BenchmarkBuildS3(b *testing.B) {
	for _, n := range benchSizes(b, *benchItemsFlag, "EOCAT_BENCH_ITEMS", "1000,10000") {
		b.Run(fmt.Sprintf("items=%d", n), func(b *testing.B) { benchBuildS3(b, n) })
	}
}

func benchBuildS3(b *testing.B, n int) {
	if os.Getenv("GOGC") == "" {
		// The build runs in-process here: use the GC setting the stacgen
		// command sets in main() for itself.
		defer debug.SetGCPercent(debug.SetGCPercent(cliGCPercent))
	}
	bs := startBenchServer(b, n)
	ctx := context.Background()
	cfg := bs.config(b)
	pages := benchRenderer(b, cfg) // the production default; nil: JSON only
	conc, reps := *benchConcurrency, max(*benchReps, 1)
	cl := bs.client(b)
	tmp := benchOutputDir(b)
	// Warm up the server's page cache and directory entries.
	if _, _, err := bs.floor(ctx, cl, conc); err != nil {
		b.Fatal(err)
	}

	for b.Loop() {
		// Prime the incremental state with one untimed (optionally profiled)
		// build.
		incrOut := filepath.Join(tmp, "incr")
		stopProfile := startBenchProfile(b, strconv.Itoa(n))
		stopHeap := startHeapPeakProfile(b, strconv.Itoa(n))
		if err := bs.build(ctx, cfg, incrOut, true, conc, pages); err != nil {
			b.Fatal(err)
		}
		stopHeap()
		stopProfile()
		// The measurements are interleaved (floor, build with pages and build
		// without pages in alternating order, stacgen's listing, no-change
		// rebuild; repeat), so that a change of load on the machine affects
		// them alike rather than one kind of measurement.
		var floor, list, srcList, full, jsonOnly, incr measured
		var withPages, withoutPages outputSize
		for i := range reps {
			var l time.Duration
			floor.run(b, func(ctx context.Context) (err error) { l, _, err = bs.floor(ctx, cl, conc); return err })
			list.wall = append(list.wall, l)
			// One full build, with the renderer r or without pages (nil):
			// timed into m, its output checked and, the first time, sized
			// into size.
			fullBuild := func(m *measured, name string, r *render.Renderer, size *outputSize) {
				out := filepath.Join(tmp, fmt.Sprintf("%s-%d", name, i))
				m.run(b, func(ctx context.Context) error { return bs.build(ctx, cfg, out, false, conc, r) })
				checkBenchOutput(b, out, n, r != nil)
				if i == 0 {
					*size = measureOutput(b, out)
				}
				removeBenchOutput(b, out)
			}
			// The two builds of a repetition alternate in order, so that
			// whatever the first one leaves the second (a warmer cache, a
			// tmpfs just emptied) does not favour one of them.
			if i%2 == 0 {
				fullBuild(&full, "full", pages, &withPages)
				fullBuild(&jsonOnly, "json", nil, &withoutPages)
			} else {
				fullBuild(&jsonOnly, "json", nil, &withoutPages)
				fullBuild(&full, "full", pages, &withPages)
			}
			srcList.run(b, func(ctx context.Context) error { _, err := bs.sourceList(ctx, cl); return err })
			incr.run(b, func(ctx context.Context) error { return bs.build(ctx, cfg, incrOut, true, conc, pages) })
		}
		checkBenchOutput(b, incrOut, n, true)
		if got, want := slices.Max(incr.requests), slices.Max(srcList.requests); got != want {
			b.Errorf("a no-change incremental rebuild made %d requests; listing alone makes %d", got, want)
		}
		if *benchCPUProfile != "" { // untimed and profiled: a full build without pages, a no-change rebuild
			out := filepath.Join(tmp, "json-profiled")
			stop := startBenchProfile(b, fmt.Sprintf("%d.json", n))
			if err := bs.build(ctx, cfg, out, false, conc, nil); err != nil {
				b.Fatal(err)
			}
			stop()
			removeBenchOutput(b, out)
			stop = startBenchProfile(b, fmt.Sprintf("%d.incr", n))
			if err := bs.build(ctx, cfg, incrOut, true, conc, pages); err != nil {
				b.Fatal(err)
			}
			stop()
		}

		floorS := floor.report(b, "floor")
		listS := median(list.wall)
		b.ReportMetric(listS, "list_s")
		srcList.report(b, "srclist")
		buildS := full.report(b, "build")
		jsonS := jsonOnly.report(b, "json")
		incrS := incr.report(b, "incr")
		b.ReportMetric(buildS/floorS, "build/floor")
		b.ReportMetric(jsonS/floorS, "json/floor")
		b.ReportMetric(incrS/listS, "incr/list")
		b.ReportMetric(float64(n)/buildS, "items/s")
		// The pages' cost: stacgen's CPU (this process: the build runs
		// in-process) with pages over the same build without, as the ratio
		// of the medians and as the median of each repetition's ratio (the
		// two builds of a repetition ran seconds apart, so a drift of the
		// machine's speed between repetitions cancels out of the latter).
		pagesCPU, jsonCPU := median(full.self), median(jsonOnly.self)
		b.ReportMetric(100*(pagesCPU-jsonCPU)/jsonCPU, "pages_cpu_%")
		paired := make([]float64, reps)
		for i := range reps {
			paired[i] = 100 * (full.self[i] - jsonOnly.self[i]).Seconds() / jsonOnly.self[i].Seconds()
		}
		b.ReportMetric(medianFloat(paired), "pages_cpu_paired_%")
		b.ReportMetric(100*(buildS-jsonS)/jsonS, "pages_wall_%")
		b.ReportMetric(float64(withPages.files-withoutPages.files), "pages_files")
		b.ReportMetric(float64(withPages.dirs-withoutPages.dirs), "pages_dirs")
		b.ReportMetric(float64(withPages.bytes-withoutPages.bytes)/1e6, "pages_MB")
		b.Logf("items=%d objects=%d conc=%d reps=%d: floor %v (list %v) build %v json %v incr %v srclist %v",
			n, bs.objects, conc, reps, floor.wall, list.wall, full.wall, jsonOnly.wall, incr.wall, srcList.wall)
		// The CPU one repetition takes for the same work shows how steady
		// the machine was.
		b.Logf("CPU per repetition (client / versitygw): floor %v / %v; build %v / %v; json %v / %v",
			floor.self, floor.server, full.self, full.server, jsonOnly.self, jsonOnly.server)
		b.Logf("pages CPU overhead per repetition (build vs json of the same repetition): %s (median %+.1f %%); of the medians: %+.1f %%",
			percents(paired), medianFloat(paired), 100*(pagesCPU-jsonCPU)/jsonCPU)
		b.Logf("output with pages: %d files, %d folders, %.1f MB; without: %d files, %d folders, %.1f MB; the pages add %d files, %d folders, %.1f MB",
			withPages.files, withPages.dirs, float64(withPages.bytes)/1e6, withoutPages.files, withoutPages.dirs, float64(withoutPages.bytes)/1e6,
			withPages.files-withoutPages.files, withPages.dirs-withoutPages.dirs, float64(withPages.bytes-withoutPages.bytes)/1e6)
	}
}

// outputSize counts a build's output: regular files, folders (the root
// included) and the files' bytes.
type outputSize struct{ files, dirs, bytes int64 }

func measureOutput(b *testing.B, out string) outputSize {
	b.Helper()
	var s outputSize
	err := filepath.WalkDir(out, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			s.dirs++
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		s.files++
		s.bytes += info.Size()
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// checkBenchOutput makes sure a build really wrote n items: n item folders
// in the collection's folder (which also holds collection.json and, with
// pages, index.html and page-N.html), each with its index.html when pages
// are on and without one when they are off.
func checkBenchOutput(b *testing.B, out string, n int, pages bool) {
	b.Helper()
	dir := filepath.Join(out, benchCollection)
	entries, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	items := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		items++
		_, err := os.Stat(filepath.Join(dir, e.Name(), "index.html"))
		switch {
		case pages && err != nil:
			b.Fatalf("%s: item %s has no page: %v", out, e.Name(), err)
		case !pages && err == nil:
			b.Fatalf("%s: item %s has a page in a build without pages", out, e.Name())
		}
	}
	if items != n {
		b.Fatalf("%s: %d items, want %d", out, items, n)
	}
	if _, err := os.Stat(filepath.Join(dir, "index.html")); pages != (err == nil) {
		b.Fatalf("%s: collection page present: %v, want %v", out, err == nil, pages)
	}
}

// startBenchProfile writes a CPU profile to FILE.<suffix> (-bench.cpuprofile).
func startBenchProfile(b *testing.B, suffix string) (stop func()) {
	if *benchCPUProfile == "" {
		return func() {}
	}
	f, err := os.Create(*benchCPUProfile + "." + suffix)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close() // empty; the Fatal says why
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			b.Error(err)
		}
	}
}

// startHeapPeakProfile samples the live heap (after each GC) every 100 ms
// and writes a heap profile to FILE.<suffix> (-bench.heapprofile) whenever it
// exceeds the largest value seen by 5 %, so the file shows what is live near
// the peak.
func startHeapPeakProfile(b *testing.B, suffix string) (stop func()) {
	if *benchHeapProfile == "" {
		return func() {}
	}
	name := *benchHeapProfile + "." + suffix
	done := make(chan struct{})
	var wg sync.WaitGroup
	var peak uint64
	wg.Go(func() {
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak+peak/20 {
				peak = v
				var buf bytes.Buffer
				if err := pprof.Lookup("heap").WriteTo(&buf, 0); err == nil {
					_ = os.WriteFile(name, buf.Bytes(), 0o644)
				}
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
		b.Logf("peak live heap %.0f MiB; heap profile near the peak: %s", float64(peak)/(1<<20), name)
	}
}

// builtBinary is set once stacgenBinary has been called.
var builtBinary atomic.Bool

// stacgenBinary builds the command once per test binary run; TestMain
// removes it at the end.
var stacgenBinary = sync.OnceValues(func() (string, error) {
	builtBinary.Store(true)
	dir, err := os.MkdirTemp("", "eocat-bench-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "stacgen")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = filepath.Join(testenv.RepoRoot(), "cmd", "stacgen")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

func BenchmarkBuildMemory(b *testing.B) {
	for _, n := range benchSizes(b, *benchMemItemsFlag, "EOCAT_BENCH_MEM_ITEMS", "1000,10000,100000") {
		b.Run(fmt.Sprintf("items=%d", n), func(b *testing.B) { benchBuildMemory(b, n) })
	}
}

func benchBuildMemory(b *testing.B, n int) {
	cli := newBenchCLI(b, n)
	tmp := benchOutputDir(b)
	for b.Loop() {
		out := filepath.Join(tmp, "public")
		cmd, stderr := cli.build(out)
		start := time.Now()
		err := cmd.Run()
		wall := time.Since(start)
		if err != nil {
			b.Fatalf("stacgen build: %v\n%s", err, stderr.String())
		}
		checkBenchOutput(b, out, n, true) // --pages is on by default
		ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		if !ok {
			b.Fatal("no rusage")
		}
		rssMiB := float64(ru.Maxrss) / 1024 // Linux: KiB
		b.ReportMetric(rssMiB, "maxrss_MiB")
		b.ReportMetric(float64(ru.Maxrss)*1024/float64(n), "maxrss_B/item")
		b.ReportMetric(wall.Seconds(), "build_s")
		b.ReportMetric(float64(n)/wall.Seconds(), "items/s")
		b.ReportMetric((cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds(), "cpu_s")
		b.Logf("items=%d: %s", n, strings.TrimSpace(lastLine(stderr.String())))
		removeBenchOutput(b, out)
	}
}

// BenchmarkPagesCPU measures what the HTML pages add to a build's CPU with
// the two builds running at the same time: `stacgen build` (the command,
// each build in its own process) with its pages and `stacgen build
// --pages=false`, started together against the same versitygw, each
// process's CPU read from its rusage. BenchmarkBuildS3 runs the two builds
// one after the other, and on a shared VM whose speed drifts by ±15 % over
// tens of seconds that drift is as large as what the pages cost; run side
// by side, both builds see the same machine. The build that finishes first
// is followed by a filler build until the other has finished, so that
// neither runs its end with one competitor fewer. With -bench.pagescontrol,
// each repetition also runs two identical builds without pages side by
// side: the spread of their ratios is the method's own noise.
func BenchmarkPagesCPU(b *testing.B) {
	for _, n := range benchSizes(b, *benchItemsFlag, "EOCAT_BENCH_ITEMS", "10000") {
		b.Run(fmt.Sprintf("items=%d", n), func(b *testing.B) { benchPagesCPU(b, n) })
	}
}

func benchPagesCPU(b *testing.B, n int) {
	cli := newBenchCLI(b, n)
	outDir := benchOutputDir(b)
	// pair runs two builds side by side (extra arguments for each; nil: the
	// default build, with pages), the first started first, and returns each
	// process's CPU. When one finishes, a filler build without pages runs
	// until the other has finished too, so that neither build runs its end
	// with one competitor fewer (which would make it cheaper).
	pair := func(rep int, first, second []string) (cpu [2]time.Duration) {
		extras := [][]string{first, second}
		outs := make([]string, 2)
		done := make(chan int, 2)
		errs := make([]error, 2)
		var started []*exec.Cmd
		for k, extra := range extras {
			outs[k] = filepath.Join(outDir, fmt.Sprintf("pair-%d-%d", rep, k))
			cmd, stderr := cli.build(outs[k], extra...)
			if err := cmd.Start(); err != nil {
				for _, c := range started {
					_ = c.Process.Kill() // failing anyway: leave no build running
				}
				b.Fatal(err)
			}
			started = append(started, cmd)
			go func() {
				defer func() { done <- k }()
				if err := cmd.Wait(); err != nil {
					errs[k] = fmt.Errorf("stacgen %s: %v\n%s", strings.Join(extra, " "), err, stderr.String())
					return
				}
				cpu[k] = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
			}()
		}
		<-done
		// The filler's output in a folder of its own, with what a killed
		// build leaves beside it (temporary folder, lock).
		fillerDir := filepath.Join(outDir, fmt.Sprintf("filler-%d", rep))
		filler, _ := cli.build(filepath.Join(fillerDir, "public"), "--pages=false")
		if err := filler.Start(); err != nil {
			<-done
			b.Fatal(err)
		}
		<-done
		_ = filler.Process.Kill() // it did its work: competing
		_ = filler.Wait()         // killed: its error says so
		removeBenchOutput(b, fillerDir)
		for k, extra := range extras {
			if errs[k] != nil {
				b.Fatal(errs[k])
			}
			checkBenchOutput(b, outs[k], n, !slices.Contains(extra, "--pages=false"))
			removeBenchOutput(b, outs[k])
		}
		return cpu
	}
	noPages := []string{"--pages=false"}
	reps := max(*benchReps, 1)
	for b.Loop() {
		// Warm up the server's page cache and the binary's.
		pair(-1, noPages, noPages)
		var paired, control []float64
		var pagesCPU, jsonCPU []time.Duration
		for i := range reps {
			// Which build starts first alternates (they start a few
			// milliseconds apart).
			var withPages, without time.Duration
			if i%2 == 0 {
				c := pair(i, nil, noPages)
				withPages, without = c[0], c[1]
			} else {
				c := pair(i, noPages, nil)
				withPages, without = c[1], c[0]
			}
			pagesCPU, jsonCPU = append(pagesCPU, withPages), append(jsonCPU, without)
			paired = append(paired, 100*(withPages-without).Seconds()/without.Seconds())
			if *benchPagesControl {
				// The build in the pages build's place (first, then second,
				// alternately) over the other, as in the comparison.
				c := pair(i, noPages, noPages)
				a, o := c[i%2], c[1-i%2]
				control = append(control, 100*(a-o).Seconds()/o.Seconds())
			}
		}
		b.ReportMetric(median(pagesCPU), "build_cpu_s")
		b.ReportMetric(median(jsonCPU), "json_cpu_s")
		b.ReportMetric(medianFloat(paired), "pages_cpu_side_by_side_%")
		b.Logf("items=%d reps=%d side by side: stacgen CPU with pages %v, without %v", n, reps, pagesCPU, jsonCPU)
		b.Logf("pages CPU overhead side by side, per repetition: %s (median %+.1f %%)", percents(paired), medianFloat(paired))
		if len(control) > 0 {
			b.ReportMetric(medianFloat(control), "control_cpu_%")
			largest := 0.0
			for _, c := range control {
				largest = max(largest, math.Abs(c))
			}
			b.ReportMetric(largest, "control_cpu_max_abs_%")
			b.Logf("control (two builds without pages side by side), per repetition: %s (median %+.1f %%)", percents(control), medianFloat(control))
		}
	}
}

// percents formats signed percentages: "+8.1 %, -0.4 %".
func percents(v []float64) string {
	s := make([]string, len(v))
	for i, f := range v {
		s[i] = fmt.Sprintf("%+.1f %%", f)
	}
	return strings.Join(s, ", ")
}

// benchCLI runs the stacgen command against a bench server, as users run
// it: its own process, the server's configuration file.
type benchCLI struct {
	bin, cfg string
	bs       *benchServer
}

// newBenchCLI builds the command (once per test binary), starts a bench
// server with n items and writes its configuration.
func newBenchCLI(b *testing.B, n int) *benchCLI {
	b.Helper()
	bin, err := stacgenBinary()
	if err != nil {
		b.Fatal(err)
	}
	c := &benchCLI{bin: bin, cfg: filepath.Join(b.TempDir(), "bench.yaml"), bs: startBenchServer(b, n)}
	if err := os.WriteFile(c.cfg, []byte(c.bs.configYAML()), 0o644); err != nil {
		b.Fatal(err)
	}
	return c
}

// build is `stacgen build` into out with the benchmark's concurrency and
// -bench.parquet, then extra arguments; its stderr is kept.
func (c *benchCLI) build(out string, extra ...string) (*exec.Cmd, *bytes.Buffer) {
	args := []string{"build", "--config", c.cfg, "--out", out, "--schemas", c.bs.schemas,
		"--offline", "--concurrency", strconv.Itoa(*benchConcurrency)}
	if !*benchParquet {
		args = append(args, "--parquet=false")
	}
	cmd := exec.Command(c.bin, append(args, extra...)...)
	cmd.Env = os.Environ() // AWS_* set by startBenchServer
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	return cmd, &stderr
}

// benchOutputDir is where a benchmark writes its builds: -bench.outdir (a
// folder made there, removed at the end) or the test's temporary folder.
func benchOutputDir(b *testing.B) string {
	b.Helper()
	if *benchOutDir == "" {
		return b.TempDir()
	}
	dir, err := os.MkdirTemp(*benchOutDir, "eocat-bench-out-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { removeBenchOutput(b, dir) })
	return dir
}

// removeBenchOutput removes a folder the benchmark wrote; one left behind
// would fill the disk over the runs.
func removeBenchOutput(tb testing.TB, dir string) {
	tb.Helper()
	if err := os.RemoveAll(dir); err != nil {
		tb.Error(err)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.HasPrefix(lines[i], "stacgen: wrote") {
			return lines[i]
		}
	}
	return lines[len(lines)-1]
}
