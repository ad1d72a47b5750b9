package presign

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gitlab.com/eocat/eocat/internal/testenv"
)

// TestSignAgainstRealS3 checks presigned URLs against a server that really
// verifies SigV4 signatures.
func TestSignAgainstRealS3(t *testing.T) {
	srv := testenv.StartVersityGW(t)
	srv.CreateBucket(t, "eodata")
	keys := map[string][]byte{
		"s2/B02.tif":               []byte("tiff bytes"),
		"odd names/a+b (1)!é~.tif": []byte("odd"),
	}
	ctx := context.Background()
	for k, v := range keys {
		if _, err := srv.Client(t).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("eodata"), Key: aws.String(k), Body: bytes.NewReader(v)}); err != nil {
			t.Fatal(err)
		}
	}
	ep, _ := url.Parse(srv.Endpoint)
	st := &Storage{Endpoint: ep, Buckets: []string{"eodata"}, PathStyle: true, Region: srv.Region}
	sg := NewSigner(st)
	creds := aws.Credentials{AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey}

	for key, want := range keys {
		o, err := st.Parse(st.URL(Object{Bucket: "eodata", Key: key}).String())
		if err != nil {
			t.Fatal(err)
		}
		u, exp, err := sg.Sign(ctx, creds, http.MethodGet, o, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if d := time.Until(exp); d < 59*time.Minute || d > time.Hour {
			t.Errorf("expiry in %v", d)
		}
		if code, body := testenv.Fetch(t, http.MethodGet, u, nil); code != 200 || body != string(want) {
			t.Errorf("GET %s: %d %q", key, code, body)
		}
		// A URL signed for GET does not allow HEAD; one signed for HEAD does.
		if code, _ := testenv.Fetch(t, http.MethodHead, u, nil); code != http.StatusForbidden {
			t.Errorf("HEAD on a GET URL: %d", code)
		}
		hu, _, _ := sg.Sign(ctx, creds, http.MethodHead, o, time.Hour)
		if code, _ := testenv.Fetch(t, http.MethodHead, hu, nil); code != 200 {
			t.Errorf("HEAD: %d", code)
		}
	}

	o := Object{Bucket: "eodata", Key: "s2/B02.tif"}
	u, _, _ := sg.Sign(ctx, creds, http.MethodGet, o, time.Hour)
	t.Run("tampered", func(t *testing.T) {
		for _, bad := range []string{
			strings.Replace(u, "B02", "B03", 1),
			strings.Replace(u, "X-Amz-Expires=3600", "X-Amz-Expires=7200", 1),
			u[:len(u)-4] + "0000",
		} {
			if code, _ := testenv.Fetch(t, http.MethodGet, bad, nil); code != http.StatusForbidden {
				t.Errorf("tampered URL %s: %d", bad, code)
			}
		}
	})
	t.Run("expired", func(t *testing.T) {
		old := NewSigner(st)
		old.now = func() time.Time { return time.Now().Add(-2 * time.Minute) }
		eu, _, err := old.Sign(ctx, creds, http.MethodGet, o, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if code, _ := testenv.Fetch(t, http.MethodGet, eu, nil); code != http.StatusForbidden {
			t.Errorf("expired URL: %d", code)
		}
	})
	t.Run("put", func(t *testing.T) {
		pu, _, _ := sg.Sign(ctx, creds, http.MethodPut, Object{Bucket: "eodata", Key: "uploads/new.txt"}, time.Minute)
		if code, _ := testenv.Fetch(t, http.MethodPut, pu, strings.NewReader("new")); code != 200 {
			t.Fatalf("PUT: %d", code)
		}
		if code, _ := testenv.Fetch(t, http.MethodPut, strings.Replace(pu, "new.txt", "other.txt", 1), strings.NewReader("x")); code != http.StatusForbidden {
			t.Fatalf("PUT to another key: %d", code)
		}
	})
	t.Run("wrong secret", func(t *testing.T) {
		// A fresh signer: the SDK caches the derived key per access key id.
		bu, _, _ := NewSigner(st).Sign(ctx, aws.Credentials{AccessKeyID: srv.AccessKey, SecretAccessKey: "wrong"}, http.MethodGet, o, time.Hour)
		if code, _ := testenv.Fetch(t, http.MethodGet, bu, nil); code != http.StatusForbidden {
			t.Errorf("wrong secret: %d", code)
		}
	})
}

func TestExpiryClampedToCredentials(t *testing.T) {
	ep, _ := url.Parse("https://s3.example.org")
	sg := NewSigner(&Storage{Endpoint: ep, Buckets: []string{"b"}, PathStyle: true, Region: "us-east-1"})
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	sg.now = func() time.Time { return now }
	creds := aws.Credentials{AccessKeyID: "a", SecretAccessKey: "s", SessionToken: "t", CanExpire: true, Expires: now.Add(15 * time.Minute)}
	u, exp, err := sg.Sign(context.Background(), creds, http.MethodGet, Object{Bucket: "b", Key: "k"}, 8*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !exp.Equal(now.Add(15*time.Minute)) || !strings.Contains(u, "X-Amz-Expires=900") || !strings.Contains(u, "X-Amz-Security-Token=t") {
		t.Fatalf("%s %v", u, exp)
	}
	creds.Expires = now.Add(5 * time.Second)
	if _, _, err := sg.Sign(context.Background(), creds, http.MethodGet, Object{Bucket: "b", Key: "k"}, time.Hour); !errors.Is(err, ErrExpired) {
		t.Fatalf("want ErrExpired, got %v", err)
	}
	if _, _, err := sg.Sign(context.Background(), creds, http.MethodDelete, Object{Bucket: "b", Key: "k"}, time.Hour); err == nil {
		t.Fatal("DELETE presigned")
	}
	long, _, _ := sg.Sign(context.Background(), aws.Credentials{AccessKeyID: "a", SecretAccessKey: "s"}, http.MethodGet, Object{Bucket: "b", Key: "k"}, 30*24*time.Hour)
	if !strings.Contains(long, "X-Amz-Expires=604800") {
		t.Fatalf("lifetime not capped at 7 days: %s", long)
	}
}

func BenchmarkSign(b *testing.B) {
	ep, _ := url.Parse("https://s3.example.org")
	st := &Storage{Endpoint: ep, Buckets: []string{"eodata"}, PathStyle: true, Region: "us-east-1"}
	sg := NewSigner(st)
	creds := aws.Credentials{AccessKeyID: "AKIA", SecretAccessKey: "secret"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		o, err := st.Parse("https://s3.example.org/eodata/sentinel-2/T31TEJ/2024/06/15/B02.tif")
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := sg.Sign(ctx, creds, http.MethodGet, o, time.Hour); err != nil {
			b.Fatal(err)
		}
	}
}
