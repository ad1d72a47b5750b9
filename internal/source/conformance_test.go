package source_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gitlab.com/eocat/eocat/internal/source"
	"gitlab.com/eocat/eocat/internal/testenv"
)

// sampleDir is the quickstart data every implementation is checked against.
func sampleDir() string {
	return filepath.Join(testenv.RepoRoot(), "examples", "quickstart", "data")
}

// conformance checks a Source that serves the content of sampleDir().
func conformance(t *testing.T, src source.Source) {
	ctx := context.Background()
	want := map[string][]byte{}
	err := filepath.WalkDir(sampleDir(), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(sampleDir(), p)
		data, err := os.ReadFile(p)
		want[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("List", func(t *testing.T) {
		got := map[string]source.Object{}
		if err := src.List(ctx, func(o source.Object) error {
			if _, dup := got[o.Key]; dup {
				t.Errorf("%s listed twice", o.Key)
			}
			got[o.Key] = o
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("listed %d objects, want %d", len(got), len(want))
		}
		for k, data := range want {
			o, ok := got[k]
			if !ok || o.Size != int64(len(data)) || o.Fingerprint() == "" {
				t.Errorf("%s: listed %+v, want size %d", k, o, len(data))
			}
		}
	})

	key := "sentinel2-l2a/S2B_MSIL2A_20240615T103629_N0510_R008_T31TEJ_20240615T135412/B02.tif"
	data := want[key]
	t.Run("ReaderAt", func(t *testing.T) {
		r := src.ReaderAt(ctx, key, int64(len(data)))
		buf := make([]byte, 100)
		n, err := r.ReadAt(buf, 1000)
		if err != nil || n != 100 || !bytes.Equal(buf, data[1000:1100]) {
			t.Fatalf("ReadAt middle: n=%d err=%v", n, err)
		}
		n, err = r.ReadAt(buf, int64(len(data))-10)
		if n != 10 || !errors.Is(err, io.EOF) || !bytes.Equal(buf[:10], data[len(data)-10:]) {
			t.Fatalf("ReadAt past the end: n=%d err=%v", n, err)
		}
	})

	t.Run("ReadFile", func(t *testing.T) {
		got, err := src.ReadFile(ctx, key, int64(len(data)))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("ReadFile: %v", err)
		}
		if _, err := src.ReadFile(ctx, key, 10); err == nil || !strings.Contains(err.Error(), "limit") {
			t.Fatalf("limit not enforced: %v", err)
		}
		if _, err := src.ReadFile(ctx, "no/such/key", 10); err == nil {
			t.Fatal("missing object read without error")
		}
	})

	t.Run("MD5", func(t *testing.T) {
		sum := md5.Sum(data)
		got, ok, err := src.MD5(ctx, source.Object{Key: key, Size: int64(len(data)), ETag: hex.EncodeToString(sum[:])})
		if err != nil || !ok || got != hex.EncodeToString(sum[:]) {
			t.Fatalf("MD5 = %q %v %v", got, ok, err)
		}
	})

	t.Run("Cancel", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		n := 0
		err := src.List(cctx, func(source.Object) error {
			n++
			cancel()
			return nil
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("List after cancel returned %v (saw %d objects)", err, n)
		}
		if _, err := src.ReaderAt(cctx, key, int64(len(data))).ReadAt(make([]byte, 8), 0); err == nil {
			t.Fatal("read with a cancelled context succeeded")
		}
	})
}

func TestLocalConformance(t *testing.T) {
	src, err := source.NewLocal(sampleDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	conformance(t, src)
	if _, ok := src.Href("a/b.tif"); ok {
		t.Error("local source without href_base must ask for a copy")
	}
	withBase, _ := source.NewLocal(sampleDir(), "https://data.example.org/s2")
	if h, ok := withBase.Href("a b/c.tif"); !ok || h != "https://data.example.org/s2/a%20b/c.tif" {
		t.Errorf("href %q", h)
	}
	if _, err := source.NewLocal(filepath.Join(sampleDir(), "nope"), ""); err == nil {
		t.Error("missing folder accepted")
	}
}

func TestS3Conformance(t *testing.T) {
	srv := testenv.StartVersityGW(t)
	srv.CreateBucket(t, "eodata")
	srv.PutDir(t, "eodata", "quickstart", sampleDir())
	ctx := context.Background()
	src, err := source.NewS3(ctx, "s3://eodata/quickstart", source.S3Options{Endpoint: srv.Endpoint, PathStyle: true, Client: srv.Client(t)})
	if err != nil {
		t.Fatal(err)
	}
	conformance(t, src)
	if h, _ := src.Href("x y/B02.tif"); h != srv.Endpoint+"/eodata/quickstart/x%20y/B02.tif" {
		t.Errorf("href %q", h)
	}
	s3uri, _ := source.NewS3(ctx, "s3://eodata/quickstart/", source.S3Options{HrefStyle: "s3", Client: srv.Client(t)})
	if h, _ := s3uri.Href("a.tif"); h != "s3://eodata/quickstart/a.tif" {
		t.Errorf("s3 href %q", h)
	}
	vhost, _ := source.NewS3(ctx, "s3://eodata", source.S3Options{Endpoint: "https://s3.example.org", Client: srv.Client(t)})
	if h, _ := vhost.Href("a.tif"); h != "https://eodata.s3.example.org/a.tif" {
		t.Errorf("virtual-host href %q", h)
	}
	aws, _ := source.NewS3(ctx, "s3://eodata", source.S3Options{Region: "eu-west-3", Client: srv.Client(t)})
	if h, _ := aws.Href("a.tif"); h != "https://eodata.s3.eu-west-3.amazonaws.com/a.tif" {
		t.Errorf("AWS href %q", h)
	}

	// Listing streams the objects of every product folder, in parallel.
	keys := []string{}
	_ = src.List(ctx, func(o source.Object) error { keys = append(keys, o.Key); return nil })
	sort.Strings(keys)
	if len(keys) == 0 || !strings.HasPrefix(keys[0], "sentinel2-l2a/") {
		t.Fatalf("keys %v", keys)
	}

	missing, _ := source.NewS3(ctx, "s3://no-such-bucket/", source.S3Options{Client: srv.Client(t)})
	err = missing.List(ctx, func(source.Object) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "NoSuchBucket") {
		t.Fatalf("missing bucket: %v", err)
	}

	// A dead server is an error after bounded retries, not a hang.
	srv.Stop()
	dead, _ := source.NewS3(ctx, "s3://eodata/quickstart/", source.S3Options{Endpoint: srv.Endpoint, PathStyle: true, MaxAttempts: 2, RequestTimeout: 2 * time.Second})
	start := time.Now()
	if err := dead.List(ctx, func(source.Object) error { return nil }); err == nil {
		t.Fatal("listing a stopped server succeeded")
	}
	if time.Since(start) > 20*time.Second {
		t.Fatalf("took %v to give up", time.Since(start))
	}
}

func TestParseS3URI(t *testing.T) {
	for in, want := range map[string][2]string{
		"s3://b": {"b", ""}, "s3://b/": {"b", ""}, "s3://b/p": {"b", "p/"}, "s3://b/p/q/": {"b", "p/q/"},
	} {
		b, p, err := source.ParseS3URI(in)
		if err != nil || b != want[0] || p != want[1] {
			t.Errorf("%s → %q %q %v", in, b, p, err)
		}
	}
	for _, bad := range []string{"s3://", "s3:///x", "http://b/x"} {
		if _, _, err := source.ParseS3URI(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// TestS3ListingInRanges: with many first-level prefixes, the listing is split
// into key ranges; nothing is lost or listed twice, including keys that sort
// between a prefix and its range boundary ("p.x/…" sorts before "p/").
func TestS3ListingInRanges(t *testing.T) {
	srv := testenv.StartVersityGW(t)
	srv.CreateBucket(t, "ranges")
	want := map[string]bool{}
	put := func(key string) {
		if _, err := srv.Client(t).PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("ranges"), Key: aws.String("root/" + key), Body: strings.NewReader(key)}); err != nil {
			t.Fatal(err)
		}
		want[key] = true
	}
	for i := range 25 {
		put(fmt.Sprintf("p%02d/a.tif", i))
		put(fmt.Sprintf("p%02d/sub/b.tif", i))
	}
	put("p05.x/c.tif")
	put("p05.tif")
	put("top.json")
	put("zz/last.tif")
	src, err := source.NewS3(context.Background(), "s3://ranges/root/", source.S3Options{ListConcurrency: 3, Client: srv.Client(t)})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	if err := src.List(context.Background(), func(o source.Object) error { got[o.Key]++; return nil }); err != nil {
		t.Fatal(err)
	}
	for k := range want {
		if got[k] != 1 {
			t.Errorf("%s listed %d times", k, got[k])
		}
	}
	if len(got) != len(want) {
		t.Errorf("listed %d keys, want %d", len(got), len(want))
	}
	if src.Requests() > 1+3+3 {
		t.Errorf("%d list requests for 28 prefixes in 3 ranges", src.Requests())
	}
}

// TestS3ListConcurrency: List has exactly ListConcurrency listing requests
// in flight below the root (0: DefaultListConcurrency), one prefix a request
// or, with many prefixes, one key range a request. testenv.ListingS3 holds
// the listings until that many are in flight, then a little longer to see
// any extra one.
func TestS3ListConcurrency(t *testing.T) {
	for _, tc := range []struct{ conc, prefixes, want int }{
		{1, 2, 1},
		{3, 6, 3},  // a request per prefix, 6 jobs for 3 workers
		{5, 10, 5}, // 10 jobs for 5 workers
		{3, 25, 3}, // 3 key ranges
		{0, 2 * source.DefaultListConcurrency, source.DefaultListConcurrency},
	} {
		t.Run(fmt.Sprintf("%d/%d", tc.conc, tc.prefixes), func(t *testing.T) {
			keys := []string{"root/top.json"}
			for i := range tc.prefixes {
				keys = append(keys, fmt.Sprintf("root/p%03d/a.tif", i), fmt.Sprintf("root/p%03d/sub/b.tif", i))
			}
			fake := testenv.NewListingS3(keys, tc.want)
			src, err := source.NewS3(context.Background(), "s3://b/root/", source.S3Options{ListConcurrency: tc.conc, Client: fake.Client()})
			if err != nil {
				t.Fatal(err)
			}
			if got := src.ListConcurrency(); got != tc.want {
				t.Fatalf("ListConcurrency() = %d, want %d", got, tc.want)
			}
			n := 0
			if err := src.List(context.Background(), func(source.Object) error { n++; return nil }); err != nil {
				t.Fatal(err)
			}
			if n != len(keys) {
				t.Errorf("listed %d objects, want %d", n, len(keys))
			}
			if got := fake.MaxInFlight(); got != tc.want {
				t.Errorf("%d listing requests in flight at most, want %d", got, tc.want)
			}
		})
	}
}
