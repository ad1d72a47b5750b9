package presign

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"gitlab.com/eocat/eocat/internal/auth"
)

func TestCredentialsParsePrefix(t *testing.T) {
	ep, _ := url.Parse("https://s3.example.org")
	alias, _ := url.Parse("https://data.example.org/s3")
	st := &Storage{Endpoint: ep, Aliases: []*url.URL{alias}, Buckets: []string{"eodata"}, PathStyle: true}
	ok := map[string]Scope{
		"s3://eodata/users/alice/a/":                     {Bucket: "eodata", Prefix: "users/alice/a/"},
		"s3://eodata/users/alice/a":                      {Bucket: "eodata", Prefix: "users/alice/a/"}, // always a folder
		"s3://eodata":                                    {Bucket: "eodata"},
		"s3://eodata/":                                   {Bucket: "eodata"},
		"https://s3.example.org/eodata/s2/T31TCJ/":       {Bucket: "eodata", Prefix: "s2/T31TCJ/"},
		"https://eodata.s3.example.org/s2/":              {Bucket: "eodata", Prefix: "s2/"},
		"https://data.example.org/s3/eodata/zarr/x.zarr": {Bucket: "eodata", Prefix: "zarr/x.zarr/"},
		"s3://eodata/with%20space/é/":                    {Bucket: "eodata", Prefix: "with space/é/"},
	}
	for raw, want := range ok {
		got, err := st.ParsePrefix(raw)
		if err != nil || got != want {
			t.Errorf("ParsePrefix(%q) = %+v, %v; want %+v", raw, got, err, want)
		}
	}
	bad := map[string]error{
		"s3://other/a/":                     ErrNotAllowed,
		"https://evil.example.org/eodata/a": ErrNotAllowed,
		"s3://eodata/a/../b/":               ErrInvalid,
		"s3://eodata/a/%2e%2e/b/":           ErrInvalid,
		"s3://eodata/a%2Fb/":                ErrInvalid,
		"s3://eodata//a/":                   ErrInvalid,
		"s3://eodata/a//":                   ErrInvalid,
		"s3://eodata/users/*/":              ErrInvalid, // a wildcard in the session policy
		"s3://eodata/users/a%3Fb/":          ErrInvalid,
		"s3://eodata/users/${jwt:sub}/":     ErrInvalid, // a policy variable
		"s3://eodata/a/?versionId=1":        ErrInvalid,
		"s3://eodata/a/#x":                  ErrInvalid,
		"https://s3.example.org":            ErrInvalid,
		"ftp://eodata/a/":                   ErrInvalid,
		"eodata/a/":                         ErrInvalid,
		"":                                  ErrInvalid,
		"s3://eodata/a\x00/":                ErrInvalid,
	}
	for raw, want := range bad {
		if got, err := st.ParsePrefix(raw); !errors.Is(err, want) {
			t.Errorf("ParsePrefix(%q) = %+v, %v; want %v", raw, got, err, want)
		}
	}
}

func TestCredentialsSessionPolicy(t *testing.T) {
	p, err := Scope{Bucket: "eodata", Prefix: "users/alice/a/"}.SessionPolicy()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Version":"2012-10-17","Statement":[` +
		`{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::eodata/users/alice/a/*"]},` +
		`{"Effect":"Allow","Action":["s3:ListBucket"],"Resource":["arn:aws:s3:::eodata"],"Condition":{"StringLike":{"s3:prefix":["users/alice/a/*"]}}},` +
		`{"Effect":"Allow","Action":["s3:GetBucketLocation"],"Resource":["arn:aws:s3:::eodata"]}]}`
	if p != want {
		t.Errorf("read-only policy:\n got %s\nwant %s", p, want)
	}
	p, err = Scope{Bucket: "eodata", Prefix: "a/", Write: true}.SessionPolicy()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p, `"Action":["s3:GetObject","s3:PutObject","s3:AbortMultipartUpload","s3:ListMultipartUploadParts"],"Resource":["arn:aws:s3:::eodata/a/*"]`) {
		t.Errorf("write policy: %s", p)
	}
	if strings.Contains(p, "Delete") {
		t.Errorf("write never includes delete: %s", p)
	}
	if !json.Valid([]byte(p)) {
		t.Errorf("not JSON: %s", p)
	}
	// Characters JSON or HTML would escape come out as themselves.
	p, _ = Scope{Bucket: "eodata", Prefix: `a"<&>/`}.SessionPolicy()
	if !strings.Contains(p, `arn:aws:s3:::eodata/a\"<&>/*`) {
		t.Errorf("escaping: %s", p)
	}
	for _, sc := range []Scope{{Bucket: "", Prefix: "a/"}, {Bucket: "e*", Prefix: "a/"}, {Bucket: "eodata", Prefix: "a"},
		{Bucket: "eodata", Prefix: "a*/"}, {Bucket: "eodata", Prefix: "${jwt:sub}/"}, {Bucket: "eodata", Prefix: strings.Repeat("x", 900) + "/"}} {
		if _, err := sc.SessionPolicy(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: %v, want ErrInvalid", sc, err)
		}
	}
}

// TestCredentialsScopedSTSCall: a scoped session is a new
// AssumeRoleWithWebIdentity with the caller's token, the role, the session
// policy and the requested length, never served from the per-user cache.
func TestCredentialsScopedSTSCall(t *testing.T) {
	var mu sync.Mutex
	var forms []url.Values
	stsSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		mu.Lock()
		forms = append(forms, r.PostForm)
		n := len(forms)
		mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		_, _ = fmt.Fprintf(w, `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult><Credentials>
<AccessKeyId>AK%d</AccessKeyId><SecretAccessKey>SK</SecretAccessKey><SessionToken>ST</SessionToken><Expiration>%s</Expiration>
</Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>`, n, time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	}))
	defer stsSrv.Close()
	client := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(stsSrv.URL), Credentials: aws.AnonymousCredentials{}})
	s := NewSTS(STSOptions{Client: client, RoleARN: "arn:aws:iam::role/reader"})
	p := &auth.Principal{Issuer: "https://idp", Subject: "alice", Token: "alice-token"}
	sc := Scope{Bucket: "eodata", Prefix: "users/alice/a/"}
	for i := range 2 {
		c, err := s.ScopedCredentials(context.Background(), p, sc, 30*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if c.AccessKeyID != fmt.Sprintf("AK%d", i+1) || c.SessionToken != "ST" || !c.CanExpire {
			t.Fatalf("credentials %+v", c)
		}
	}
	if _, err := s.Credentials(context.Background(), p); err != nil { // the unscoped session
		t.Fatal(err)
	}
	if len(forms) != 3 || s.Scoped() != 2 || s.Calls() != 3 {
		t.Fatalf("%d STS calls (counted %d, %d scoped), want 3 with 2 scoped: scoped sessions are never cached", len(forms), s.Calls(), s.Scoped())
	}
	policy, _ := sc.SessionPolicy()
	f := forms[0]
	for k, want := range map[string]string{"Action": "AssumeRoleWithWebIdentity", "WebIdentityToken": "alice-token",
		"RoleArn": "arn:aws:iam::role/reader", "RoleSessionName": "signer-alice", "DurationSeconds": "1800", "Policy": policy} {
		if got := f.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if got := forms[2].Get("Policy"); got != "" {
		t.Errorf("the unscoped session carries a policy: %s", got)
	}

	for _, d := range []time.Duration{time.Minute, 13 * time.Hour} {
		if _, err := s.ScopedCredentials(context.Background(), p, sc, d); err == nil {
			t.Errorf("session length %v accepted", d)
		}
	}
	narrowed := NewSTS(STSOptions{Client: client, SessionPolicy: `{"Version":"2012-10-17","Statement":[]}`})
	if _, err := narrowed.ScopedCredentials(context.Background(), p, sc, time.Hour); !errors.Is(err, ErrScopedUnsupported) {
		t.Errorf("with a configured session policy: %v, want ErrScopedUnsupported", err)
	}
	if len(forms) != 3 {
		t.Errorf("refused requests reached STS: %d calls", len(forms))
	}
}
