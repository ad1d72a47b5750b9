//go:build linux

package testenv

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

type localFile struct {
	size int64
	md5  string
}

// quickstartFiles lists examples/quickstart/data as key (relative, "/") -> file.
func quickstartFiles(t *testing.T) (string, map[string]localFile) {
	t.Helper()
	dir := filepath.Join(RepoRoot(), "examples", "quickstart", "data")
	files := map[string]localFile{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		sum := md5.Sum(b)
		files[filepath.ToSlash(rel)] = localFile{size: int64(len(b)), md5: hex.EncodeToString(sum[:])}
		return nil
	})
	if err != nil {
		t.Fatalf("walking %s: %v", dir, err)
	}
	if len(files) == 0 {
		t.Fatalf("no files in %s (run examples/quickstart/make-data.sh)", dir)
	}
	return dir, files
}

func TestVersityGWRoundTrip(t *testing.T) {
	srv := StartVersityGW(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	dir, want := quickstartFiles(t)
	const bucket, prefix = "quickstart", "catalog/data"
	srv.CreateBucket(t, bucket)
	if n := srv.PutDir(t, bucket, prefix, dir); n != len(want) {
		t.Fatalf("PutDir uploaded %d files, want %d", n, len(want))
	}

	// The files really are in the posix backend.
	if _, err := os.Stat(filepath.Join(srv.DataDir, bucket, prefix)); err != nil {
		t.Errorf("posix backend layout: %v", err)
	}

	client := srv.Client(t)
	got := map[string]bool{}
	p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{
		Bucket:  aws.String(bucket),
		Prefix:  aws.String(prefix + "/"),
		MaxKeys: aws.Int32(7), // several pages
	})
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListObjectsV2: %v", err)
		}
		pages++
		for _, o := range page.Contents {
			key := strings.TrimPrefix(aws.ToString(o.Key), prefix+"/")
			lf, ok := want[key]
			if !ok {
				t.Errorf("unexpected key %q", aws.ToString(o.Key))
				continue
			}
			got[key] = true
			if size := aws.ToInt64(o.Size); size != lf.size {
				t.Errorf("%s: size %d, want %d", key, size, lf.size)
			}
			etag := strings.Trim(aws.ToString(o.ETag), `"`)
			if etag == "" {
				t.Errorf("%s: empty ETag", key)
			} else if etag != lf.md5 {
				t.Errorf("%s: ETag %s, want MD5 %s (single-part upload)", key, etag, lf.md5)
			}
		}
	}
	if pages < 2 {
		t.Errorf("listing took %d page(s); want pagination to be exercised", pages)
	}
	for key := range want {
		if !got[key] {
			t.Errorf("key %s/%s not listed", prefix, key)
		}
	}

	// Bytes and content type come back intact.
	var tif string
	for key := range want {
		if path.Ext(key) == ".tif" {
			tif = key
			break
		}
	}
	obj, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(prefix + "/" + tif)})
	if err != nil {
		t.Fatalf("GetObject %s: %v", tif, err)
	}
	body, err := io.ReadAll(obj.Body)
	obj.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	local, _ := os.ReadFile(filepath.Join(dir, filepath.FromSlash(tif)))
	if !bytes.Equal(body, local) {
		t.Errorf("GetObject %s: %d bytes differ from the local %d", tif, len(body), len(local))
	}
	if ct := aws.ToString(obj.ContentType); ct != "image/tiff; application=geotiff" {
		t.Errorf("GetObject %s: Content-Type %q", tif, ct)
	}

	// Signatures are really verified: a wrong secret is refused.
	bad := s3.New(s3.Options{
		Region: srv.Region, BaseEndpoint: aws.String(srv.Endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(srv.AccessKey, "wrong-"+srv.SecretKey, ""),
	})
	_, err = bad.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
	var apiErr smithy.APIError
	if err == nil {
		t.Errorf("HeadBucket with a wrong secret succeeded")
	} else if !errors.As(err, &apiErr) {
		t.Errorf("HeadBucket with a wrong secret: %v, want an S3 API error", err)
	}

	// After Stop the server is gone: requests fail, Stop stays idempotent.
	srv.Stop()
	srv.Stop()
	stopCtx, stopCancel := context.WithTimeout(ctx, 20*time.Second)
	defer stopCancel()
	_, err = client.HeadBucket(stopCtx, &s3.HeadBucketInput{Bucket: aws.String(bucket)},
		func(o *s3.Options) { o.RetryMaxAttempts = 1 })
	if err == nil {
		t.Fatalf("HeadBucket succeeded after Stop")
	}
	if errors.As(err, &apiErr) {
		t.Errorf("HeadBucket after Stop got an S3 answer (%v); want a connection error", err)
	}
	t.Logf("after Stop: %v", err)
}

// Two servers in one test do not share ports, data or credentials.
func TestVersityGWIsolated(t *testing.T) {
	a, b := StartVersityGW(t), StartVersityGW(t)
	if a.Endpoint == b.Endpoint || a.DataDir == b.DataDir || a.SecretKey == b.SecretKey {
		t.Fatalf("servers share state: %+v / %+v", a, b)
	}
	a.CreateBucket(t, "only-on-a")
	ctx := context.Background()
	out, err := b.Client(t).ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatalf("ListBuckets on b: %v", err)
	}
	if len(out.Buckets) != 0 {
		t.Errorf("b lists %d buckets, want 0", len(out.Buckets))
	}
}

func TestTailBuffer(t *testing.T) {
	b := &tailBuffer{max: 8}
	_, _ = io.WriteString(b, "hello ") // tailBuffer.Write never fails
	if got := b.String(); got != "hello " {
		t.Fatalf("got %q", got)
	}
	_, _ = io.WriteString(b, "world!")
	if got := b.String(); got != "[…]o world!" {
		t.Fatalf("got %q", got)
	}
}
