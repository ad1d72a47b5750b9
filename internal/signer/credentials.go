package signer

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"gitlab.com/eocat/eocat/internal/auth"
	"gitlab.com/eocat/eocat/internal/presign"
)

// ScopedCredentialSource vends new STS sessions narrowed to one folder of a
// bucket by a session policy (implemented by *presign.STS, mode sts).
type ScopedCredentialSource interface {
	ScopedCredentials(ctx context.Context, p *auth.Principal, sc presign.Scope, d time.Duration) (aws.Credentials, error)
}

// codeNotSupported: the route exists but this signer's configuration does
// not offer it (POST /credentials outside mode sts).
const codeNotSupported = "not_supported"

// credentialsBodyLimit bounds a POST /credentials body.
const credentialsBodyLimit = 16 << 10

type credentialsRequest struct {
	Prefix     string `json:"prefix"`
	Collection string `json:"collection"`
	Duration   *int64 `json:"duration_seconds"`
	Write      bool   `json:"write"`
}

type credentialsResponse struct {
	AccessKeyID     string            `json:"access_key_id"`
	SecretAccessKey string            `json:"secret_access_key"`
	SessionToken    string            `json:"session_token"`
	Expiration      string            `json:"expiration"`
	Endpoint        string            `json:"endpoint"`
	Region          string            `json:"region"`
	PathStyle       bool              `json:"path_style"`
	Bucket          string            `json:"bucket"`
	Prefix          string            `json:"prefix"`
	Collection      string            `json:"collection,omitempty"`
	Write           bool              `json:"write"`
	Env             map[string]string `json:"env"`
}

// POST /credentials {"prefix" | "collection", "duration_seconds", "write"}
// → temporary storage credentials for that folder (mode sts): a new
// AssumeRoleWithWebIdentity with the caller's token and a session policy
// limited to the folder, which the storage intersects with the role's own
// policies. The signer's own credentials are never handed out.
func (s *Server) postCredentials(w http.ResponseWriter, r *http.Request) error {
	scoped, ok := s.cfg.Credentials.(ScopedCredentialSource)
	if s.cfg.Mode != ModeSTS || !ok {
		return errorf(http.StatusNotFound, codeNotSupported, "POST /credentials needs sts mode: this signer signs with its own storage credentials, which it never hands out")
	}
	if !s.cfg.CredentialsEnabled {
		return errorf(http.StatusNotFound, codeNotSupported, "POST /credentials is off on this signer (the operator enables it with --credentials-enabled)")
	}
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	if p.Token == "" {
		return errorf(http.StatusForbidden, codeForbidden, "POST /credentials needs an OpenID Connect bearer token, which the storage's STS verifies")
	}
	var req credentialsRequest
	data, release, err := s.readBody(w, r, p, credentialsBodyLimit)
	defer release()
	if err != nil {
		return err
	}
	if err := decodeJSON(data, &req); err != nil {
		return err
	}
	sc, err := s.credentialsScope(req.Prefix, req.Collection)
	if err != nil {
		return err
	}
	sc.Write = req.Write
	if _, err := sc.SessionPolicy(); err != nil { // e.g. a prefix too long for STS
		return errorf(http.StatusBadRequest, codeInvalidHref, "%v", err)
	}
	d, err := s.sessionLength(req.Duration)
	if err != nil {
		return err
	}
	c, err := scoped.ScopedCredentials(r.Context(), p, sc, d)
	if errors.Is(err, presign.ErrScopedUnsupported) {
		return &apiError{status: http.StatusNotFound, code: codeNotSupported, detail: "POST /credentials is off: this signer's STS sessions are narrowed by a configured session policy, which a scoped session would replace", err: err}
	}
	if err != nil {
		return err
	}
	exp := c.Expires.UTC().Truncate(time.Second)
	s.log.Info("credentials issued", "subject", p.Subject, "issuer", p.Issuer, "bucket", sc.Bucket, "prefix", sc.Prefix,
		"collection", req.Collection, "write", sc.Write, "expiry", exp.Format(time.RFC3339), "access_key_id", c.AccessKeyID,
		"request_id", requestID(r.Context()))
	st := s.cfg.Storage
	resp := credentialsResponse{
		AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken,
		Expiration: exp.Format(time.RFC3339), Endpoint: st.Endpoint.String(), Region: st.Region, PathStyle: st.PathStyle,
		Bucket: sc.Bucket, Prefix: sc.Prefix, Collection: req.Collection, Write: sc.Write,
	}
	resp.Env = credentialsEnv(resp, st)
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// credentialsScope resolves the request's prefix or collection.
func (s *Server) credentialsScope(prefix, collection string) (presign.Scope, error) {
	switch {
	case prefix != "" && collection != "":
		return presign.Scope{}, errorf(http.StatusBadRequest, codeBadRequest, "give either prefix or collection, not both")
	case collection != "":
		sc, ok := s.cfg.Collections[collection]
		if !ok {
			return presign.Scope{}, errorf(http.StatusNotFound, codeNotFound, "unknown collection %q", collection)
		}
		return sc, nil
	case prefix != "":
		sc, err := s.cfg.Storage.ParsePrefix(prefix)
		switch {
		case errors.Is(err, presign.ErrNotAllowed):
			return presign.Scope{}, errorf(http.StatusBadRequest, codeNotAllowed, "%s: %v", prefix, err)
		case err != nil:
			return presign.Scope{}, errorf(http.StatusBadRequest, codeInvalidHref, "%s: %v", prefix, err)
		}
		return sc, nil
	}
	return presign.Scope{}, errorf(http.StatusBadRequest, codeBadRequest, "give a prefix (s3://bucket/folder/) or a collection")
}

// sessionLength checks a requested session length in seconds (nil means the
// default); longer than the maximum is clamped (the response states the real
// expiration), shorter than STS's minimum is refused.
func (s *Server) sessionLength(seconds *int64) (time.Duration, error) {
	longest := s.cfg.CredentialsMaxLifetime
	minimum := int64(presign.MinSessionDuration / time.Second)
	switch {
	case seconds == nil:
		return min(DefaultCredentialsLifetime, longest), nil
	case *seconds < minimum:
		return 0, errorf(http.StatusBadRequest, codeInvalidDuration, "duration_seconds %d: want a number of seconds from %d to %d (STS sessions last at least %d seconds; longer is shortened to %d)",
			*seconds, minimum, int64(longest/time.Second), minimum, int64(longest/time.Second))
	case *seconds > int64(longest/time.Second):
		return longest, nil
	}
	return time.Duration(*seconds) * time.Second, nil
}

// credentialsEnv is the response as environment variables for the AWS CLI
// and SDKs (AWS_ENDPOINT_URL), GDAL's /vsis3/ (AWS_S3_ENDPOINT, AWS_HTTPS,
// AWS_VIRTUAL_HOSTING) and rclone's on-the-fly remote ":s3:" (RCLONE_S3_*,
// reading the AWS_* credentials with env_auth).
func credentialsEnv(c credentialsResponse, st *presign.Storage) map[string]string {
	pick := func(b bool, yes, no string) string {
		if b {
			return yes
		}
		return no
	}
	env := map[string]string{
		"AWS_ACCESS_KEY_ID":     c.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY": c.SecretAccessKey,
		"AWS_SESSION_TOKEN":     c.SessionToken,
		"AWS_REGION":            c.Region,
		"AWS_ENDPOINT_URL":      c.Endpoint,
		"AWS_S3_ENDPOINT":       st.Endpoint.Host + strings.TrimSuffix(st.Endpoint.Path, "/"),
		"AWS_HTTPS":             pick(st.Endpoint.Scheme == "https", "YES", "NO"),
		"AWS_VIRTUAL_HOSTING":   pick(c.PathStyle, "FALSE", "TRUE"),
		// rclone's on-the-fly remote ":s3:": rclone lsf :s3:bucket/prefix/
		"RCLONE_S3_PROVIDER":         "Other",
		"RCLONE_S3_ENV_AUTH":         "true",
		"RCLONE_S3_ENDPOINT":         c.Endpoint,
		"RCLONE_S3_REGION":           c.Region,
		"RCLONE_S3_FORCE_PATH_STYLE": pick(c.PathStyle, "true", "false"),
		"RCLONE_S3_NO_CHECK_BUCKET":  "true", // the session may not see the bucket itself
	}
	if c.Write {
		// rclone 1.60 sends x-amz-acl: private on single-part uploads, which
		// needs s3:PutObjectAcl (never granted); its multipart uploads don't.
		env["RCLONE_S3_UPLOAD_CUTOFF"] = "0"
	}
	return env
}
