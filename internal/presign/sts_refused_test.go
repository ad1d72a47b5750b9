package presign

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"gitlab.com/eocat/eocat/internal/auth"
)

// TestSTSRefusalIsClassifiedByStatus: the SDK marks only the errors it
// models as client faults. An STS answering 400 with another code (what
// SeaweedFS sends for a token of the wrong audience) is a refusal
// (ErrSTSRefused, a 403 at the API), not a failure; a 5xx or a 429 is not.
func TestSTSRefusalIsClassifiedByStatus(t *testing.T) {
	for _, c := range []struct {
		status        int
		code, typ     string
		refused       bool
		wantInMessage string
	}{
		{400, "InvalidParameterValue", "Sender", true, "InvalidParameterValue"},
		{403, "AccessDenied", "Sender", true, "AccessDenied"},
		{400, "InvalidIdentityToken", "Sender", true, "InvalidIdentityToken"}, // modeled
		{400, "SomethingElse", "", true, "SomethingElse"},                     // no Type at all
		{429, "Throttling", "Sender", false, "Throttling"},
		{500, "InternalError", "Receiver", false, "InternalError"},
		{503, "ServiceUnavailable", "Receiver", false, "ServiceUnavailable"},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(c.status)
			_, _ = fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>%s</Type><Code>%s</Code><Message>no</Message></Error><RequestId>1</RequestId></ErrorResponse>`, c.typ, c.code)
		}))
		s := NewSTS(STSOptions{RoleARN: "arn:aws:iam::role/reader", Client: sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
			Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 1, HTTPClient: &http.Client{Timeout: 10 * time.Second}})})
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		_, err := s.Credentials(ctx, &auth.Principal{Issuer: "https://idp", Subject: "alice", Token: "t", Expiry: time.Now().Add(time.Hour)})
		cancel()
		srv.Close()
		if err == nil || errors.Is(err, ErrSTSRefused) != c.refused {
			t.Errorf("%d %s: %v, want refused=%v", c.status, c.code, err, c.refused)
		} else if msg := err.Error(); !strings.Contains(msg, c.wantInMessage) {
			t.Errorf("%d %s: error %q does not name the code", c.status, c.code, msg)
		}
	}
}
