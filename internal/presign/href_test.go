package presign

import (
	"errors"
	"net/url"
	"testing"
)

func testStorage() *Storage {
	ep, _ := url.Parse("https://s3.example.org")
	alias, _ := url.Parse("https://data.example.org/storage")
	return &Storage{Endpoint: ep, Aliases: []*url.URL{alias}, Buckets: []string{"eodata", "public"}, PathStyle: true, Region: "us-east-1"}
}

func TestParseAccepts(t *testing.T) {
	s := testStorage()
	for href, want := range map[string]Object{
		"https://s3.example.org/eodata/s2/B02.tif":                                                {Bucket: "eodata", Key: "s2/B02.tif"},
		"https://eodata.s3.example.org/s2/B02.tif":                                                {Bucket: "eodata", Key: "s2/B02.tif"},
		"s3://eodata/s2/B02.tif":                                                                  {Bucket: "eodata", Key: "s2/B02.tif"},
		"https://S3.Example.org/eodata/a%20b/c+d.tif":                                             {Bucket: "eodata", Key: "a b/c+d.tif"},
		"https://data.example.org/storage/public/x.tif":                                           {Bucket: "public", Key: "x.tif"},
		"https://s3.example.org/eodata/x.tif?X-Amz-Signature=abc&X-Amz-Credential=k&x-amz-date=1": {Bucket: "eodata", Key: "x.tif"},
		"https://s3.example.org/eodata/x.tif?versionId=3":                                         {Bucket: "eodata", Key: "x.tif", VersionID: "3"},
		"https://s3.example.org/eodata/%C3%A9t%C3%A9.tif":                                         {Bucket: "eodata", Key: "été.tif"},
	} {
		got, err := s.Parse(href)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", href, got, err, want)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	s := testStorage()
	for href, want := range map[string]error{
		"https://evil.example.org/eodata/x.tif":                       ErrNotAllowed,
		"https://s3.example.org/private/x.tif":                        ErrNotAllowed,
		"https://private.s3.example.org/x.tif":                        ErrNotAllowed,
		"s3://private/x.tif":                                          ErrNotAllowed,
		"http://s3.example.org/eodata/x.tif":                          ErrNotAllowed, // scheme differs from the endpoint
		"https://a.b.s3.example.org/x.tif":                            ErrNotAllowed,
		"https://user:pw@s3.example.org/eodata/x.tif":                 ErrInvalid,
		"ftp://s3.example.org/eodata/x.tif":                           ErrInvalid,
		"file:///etc/passwd":                                          ErrInvalid,
		"/eodata/x.tif":                                               ErrInvalid,
		"https://s3.example.org/eodata/a/../../other/x":               ErrInvalid,
		"https://s3.example.org/eodata/a/%2e%2e/x":                    ErrInvalid,
		"https://s3.example.org/eodata/a%2Fb.tif":                     ErrInvalid,
		"https://s3.example.org/eodata/a%5cb.tif":                     ErrInvalid,
		"https://s3.example.org/eodata/":                              ErrInvalid,
		"https://s3.example.org/eodata/folder/":                       ErrInvalid,
		"https://s3.example.org/eodata//x.tif":                        ErrInvalid,
		"https://s3.example.org/eodata/x.tif#frag":                    ErrInvalid,
		"https://s3.example.org/eodata/x.tif?acl":                     ErrInvalid,
		"https://s3.example.org/eodata/x\n.tif":                       ErrInvalid,
		"https://s3.example.org/eodata/x%00.tif":                      ErrInvalid,
		"https://s3.example.org/eodata/x%zz.tif":                      ErrInvalid,
		"https://s3.example.org/":                                     ErrInvalid,
		"s3:///x.tif":                                                 ErrInvalid,
		"https://s3.example.org/eodata/x.tif?versionId=1&versionId=2": ErrInvalid,
	} {
		_, err := s.Parse(href)
		if !errors.Is(err, want) {
			t.Errorf("Parse(%q) = %v, want %v", href, err, want)
		}
	}
}

func TestURLEscapesLikeSigV4(t *testing.T) {
	s := testStorage()
	u := s.URL(Object{Bucket: "eodata", Key: "a b/c+d(1)!é.tif"})
	if got := u.String(); got != "https://s3.example.org/eodata/a%20b/c%2Bd%281%29%21%C3%A9.tif" {
		t.Fatal(got)
	}
	s.PathStyle = false
	if got := s.URL(Object{Bucket: "eodata", Key: "k"}).String(); got != "https://eodata.s3.example.org/k" {
		t.Fatal(got)
	}
}

func FuzzParse(f *testing.F) {
	for _, seed := range []string{"https://s3.example.org/eodata/s2/B02.tif", "s3://eodata/x", "https://eodata.s3.example.org/%2e%2e/x", "https://s3.example.org/eodata/a%20b?X-Amz-Date=1"} {
		f.Add(seed)
	}
	s := testStorage()
	f.Fuzz(func(t *testing.T, href string) {
		o, err := s.Parse(href)
		if err != nil {
			return
		}
		if !s.bucketAllowed(o.Bucket) || o.Key == "" {
			t.Fatalf("accepted %q as %+v", href, o)
		}
		for _, seg := range splitKey(o.Key) {
			if seg == ".." || seg == "." || seg == "" {
				t.Fatalf("accepted %q with key %q", href, o.Key)
			}
		}
		// What we sign must parse back to the same object.
		again, err := s.Parse(s.URL(o).String())
		if err != nil || again.Bucket != o.Bucket || again.Key != o.Key {
			t.Fatalf("round trip of %q: %+v %v", href, again, err)
		}
	})
}

func splitKey(k string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(k); i++ {
		if i == len(k) || k[i] == '/' {
			out = append(out, k[start:i])
			start = i + 1
		}
	}
	return out
}
