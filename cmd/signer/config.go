package main

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"gitlab.com/eocat/eocat/internal/apikey"
	"gitlab.com/eocat/eocat/internal/auth"
	"gitlab.com/eocat/eocat/internal/presign"
	"gitlab.com/eocat/eocat/internal/signer"
	"go.yaml.in/yaml/v3"
)

// duration reads "90s", "1h" or a plain number of seconds.
type duration time.Duration

func (d *duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := parseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = duration(v)
	return nil
}

func parseDuration(s string) (time.Duration, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("duration %q: want seconds or a Go duration such as 1h30m", s)
	}
	return d, nil
}

// Config is the whole signer configuration (YAML keys = flag names).
type Config struct {
	Listen      string   `yaml:"listen"`
	Issuers     []string `yaml:"issuers"`
	Audiences   []string `yaml:"audiences"`
	Mode        string   `yaml:"mode"`
	Policy      string   `yaml:"policy"`
	S3          S3Config `yaml:"s3"`
	CORSOrigins []string `yaml:"cors_origins"`

	DefaultDuration duration `yaml:"default_duration"`
	MaxDuration     duration `yaml:"max_duration"`
	MinDuration     duration `yaml:"min_duration"`
	ClockSkew       duration `yaml:"clock_skew"`
	BatchLimit      int      `yaml:"batch_limit"`
	RateLimit       float64  `yaml:"rate_limit"`
	RateBurst       int      `yaml:"rate_burst"`
	TokenURL        string   `yaml:"token_url"`
	// MaxInflightBytes: 0 means signer.DefaultInflightBytes (from
	// GOMEMLIMIT, else 32 MiB).
	MaxInflightBytes int64    `yaml:"max_inflight_bytes"`
	MaxHeaderBytes   int      `yaml:"max_header_bytes"`
	ProbeInterval    duration `yaml:"probe_interval"`

	STS      STSConfig      `yaml:"sts"`
	Exchange ExchangeConfig `yaml:"exchange"`
	APIKeys  APIKeysConfig  `yaml:"api_keys"`

	// POST /credentials (mode sts): collection id → s3://bucket/folder/, and
	// the longest session handed out.
	CredentialsEnabled     bool              `yaml:"credentials_enabled"`
	Collections            map[string]string `yaml:"collections"`
	CredentialsMaxDuration duration          `yaml:"credentials_max_duration"`

	LogFormat string `yaml:"log_format"`
	LogLevel  string `yaml:"log_level"`
}

// S3Config is the managed storage.
type S3Config struct {
	Endpoint  string   `yaml:"endpoint"`
	Region    string   `yaml:"region"`
	PathStyle *bool    `yaml:"path_style"`
	Buckets   []string `yaml:"buckets"`
	Aliases   []string `yaml:"aliases"`
}

// STSConfig tunes per-user credentials (mode sts).
type STSConfig struct {
	RoleARN       string   `yaml:"role_arn"`
	SessionPolicy string   `yaml:"session_policy"`
	Duration      duration `yaml:"duration"`
}

// ExchangeConfig enables RFC 8693 token exchange before STS.
type ExchangeConfig struct {
	TokenURL           string            `yaml:"token_url"`
	ClientID           string            `yaml:"client_id"`
	ClientSecret       string            `yaml:"client_secret"`
	Audience           string            `yaml:"audience"`
	Scope              string            `yaml:"scope"`
	SubjectTokenType   string            `yaml:"subject_token_type"`
	RequestedTokenType string            `yaml:"requested_token_type"`
	Params             map[string]string `yaml:"params"`
}

// APIKeysConfig enables the DINAMIS API keys (mode static): users create
// keys with their token and sign with the access-key/secret-key headers.
type APIKeysConfig struct {
	File        string   `yaml:"file"`         // JSON store; empty: API keys off
	MaxLifetime duration `yaml:"max_lifetime"` // 0: 90 days
	MaxPerUser  int      `yaml:"max_per_user"` // 0: 20

	store *apikey.FileStore // opened by buildAPI, closed by runServe
}

// Bounds of the settings.
const (
	defaultClockSkew = 30 * time.Second
	maxClockSkew     = 5 * time.Minute
	// maxHeaderBytesCap bounds max-header-bytes.
	maxHeaderBytesCap = 1 << 20
)

// serverHeaderBytes is the http.Server's own MaxHeaderBytes: headers up to
// it reach the API, which answers those over max-header-bytes with a JSON
// 431; beyond it net/http answers with its plain-text 431. It bounds what a
// connection may make the server hold before any handler runs.
func (c *Config) serverHeaderBytes() int { return max(2*c.MaxHeaderBytes, 256<<10) }

// maxAPIKeyLifetime bounds api-keys-max-lifetime: a key is a standing
// credential, and its claims are never refreshed.
const maxAPIKeyLifetime = 10 * 365 * 24 * time.Hour

func defaults() Config {
	return Config{
		Listen: "127.0.0.1:8080", Mode: "static",
		S3:              S3Config{Region: "us-east-1"},
		DefaultDuration: duration(time.Hour), MaxDuration: duration(presign.MaxLifetime),
		MinDuration: duration(signer.DefaultMinLifetime), ClockSkew: duration(defaultClockSkew),
		BatchLimit: 1000, RateLimit: 50, RateBurst: 200,
		MaxHeaderBytes: signer.DefaultMaxHeaderBytes, ProbeInterval: duration(5 * time.Second),
		STS:                    STSConfig{Duration: duration(time.Hour)},
		CredentialsMaxDuration: duration(time.Hour),
		LogFormat:              "json", LogLevel: "info",
	}
}

// load reads the YAML file (if any) over the defaults, then applies every
// flag or SIGNER_* variable that was set.
func load(c *cli.Context) (*Config, error) {
	cfg := defaults()
	if f := c.String("config"); f != "" {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		dec := yaml.NewDecoder(strings.NewReader(string(data)))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil {
			return nil, fmt.Errorf("config %s: %w", f, err)
		}
	}
	str := func(name string, dst *string) {
		if c.IsSet(name) {
			*dst = c.String(name)
		}
	}
	list := func(name string, dst *[]string) {
		if c.IsSet(name) {
			*dst = c.StringSlice(name)
		}
	}
	var errs []error
	dur := func(name string, dst *duration) {
		if c.IsSet(name) {
			d, err := parseDuration(c.String(name))
			if err != nil {
				errs = append(errs, fmt.Errorf("--%s: %w", name, err))
			}
			*dst = duration(d)
		}
	}
	str("listen", &cfg.Listen)
	list("issuer", &cfg.Issuers)
	list("audience", &cfg.Audiences)
	str("mode", &cfg.Mode)
	str("policy", &cfg.Policy)
	str("s3-endpoint", &cfg.S3.Endpoint)
	str("s3-region", &cfg.S3.Region)
	if c.IsSet("s3-path-style") {
		v := c.Bool("s3-path-style")
		cfg.S3.PathStyle = &v
	}
	list("s3-bucket", &cfg.S3.Buckets)
	list("s3-alias", &cfg.S3.Aliases)
	list("cors-origins", &cfg.CORSOrigins)
	dur("default-duration", &cfg.DefaultDuration)
	dur("max-duration", &cfg.MaxDuration)
	dur("min-duration", &cfg.MinDuration)
	dur("clock-skew", &cfg.ClockSkew)
	dur("probe-interval", &cfg.ProbeInterval)
	if c.IsSet("max-inflight-bytes") {
		cfg.MaxInflightBytes = c.Int64("max-inflight-bytes")
	}
	if c.IsSet("max-header-bytes") {
		cfg.MaxHeaderBytes = c.Int("max-header-bytes")
	}
	if c.IsSet("batch-limit") {
		cfg.BatchLimit = c.Int("batch-limit")
	}
	if c.IsSet("rate-limit") {
		cfg.RateLimit = c.Float64("rate-limit")
	}
	if c.IsSet("rate-burst") {
		cfg.RateBurst = c.Int("rate-burst")
	}
	str("token-url", &cfg.TokenURL)
	str("sts-role-arn", &cfg.STS.RoleARN)
	str("sts-session-policy", &cfg.STS.SessionPolicy)
	dur("sts-duration", &cfg.STS.Duration)
	str("exchange-token-url", &cfg.Exchange.TokenURL)
	str("exchange-client-id", &cfg.Exchange.ClientID)
	str("exchange-client-secret", &cfg.Exchange.ClientSecret)
	str("exchange-audience", &cfg.Exchange.Audience)
	if c.IsSet("exchange-param") {
		cfg.Exchange.Params = map[string]string{}
		for _, kv := range c.StringSlice("exchange-param") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				errs = append(errs, fmt.Errorf("--exchange-param %q: want name=value", kv))
				continue
			}
			cfg.Exchange.Params[k] = v
		}
	}
	if c.IsSet("collection") {
		cfg.Collections = map[string]string{}
		for _, kv := range c.StringSlice("collection") {
			id, prefix, ok := strings.Cut(kv, "=")
			if !ok || id == "" || prefix == "" {
				errs = append(errs, fmt.Errorf("--collection %q: want ID=s3://bucket/folder/", kv))
				continue
			}
			cfg.Collections[id] = prefix
		}
	}
	dur("credentials-max-duration", &cfg.CredentialsMaxDuration)
	if c.IsSet("credentials-enabled") {
		cfg.CredentialsEnabled = c.Bool("credentials-enabled")
	}
	str("api-keys-file", &cfg.APIKeys.File)
	dur("api-keys-max-lifetime", &cfg.APIKeys.MaxLifetime)
	if c.IsSet("api-keys-max-per-user") {
		cfg.APIKeys.MaxPerUser = c.Int("api-keys-max-per-user")
	}
	str("log-format", &cfg.LogFormat)
	str("log-level", &cfg.LogLevel)
	if err := errors.Join(append(errs, cfg.validate()...)...); err != nil {
		return nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return &cfg, nil
}

// validate lists every problem with the configuration.
func (c *Config) validate() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("  - "+format, args...)) }
	if c.Listen == "" {
		bad("listen: empty; e.g. 127.0.0.1:8080")
	}
	if len(c.Issuers) == 0 {
		bad("issuer: at least one trusted OpenID Provider is required (SIGNER_ISSUER)")
	}
	for _, is := range c.Issuers {
		if u, err := url.Parse(is); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("issuer %q: not an absolute http(s) URL", is)
		}
	}
	if len(c.Audiences) == 0 {
		bad("audience: at least one accepted token audience is required (SIGNER_AUDIENCE)")
	}
	switch c.Mode {
	case "static":
		if c.Policy == "" {
			bad("policy: mode static needs a policy file (deny by default; SIGNER_POLICY)")
		}
	case "sts":
		if c.Policy != "" {
			bad("policy: not used in mode sts (the storage applies its own policies); remove it")
		}
	default:
		bad("mode %q: want static or sts", c.Mode)
	}
	if u, err := url.Parse(c.S3.Endpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		bad("s3-endpoint %q: the storage's absolute http(s) URL is required (SIGNER_S3_ENDPOINT)", c.S3.Endpoint)
	}
	for _, a := range c.S3.Aliases {
		if u, err := url.Parse(a); err != nil || u.Host == "" {
			bad("s3-alias %q: not an absolute URL", a)
		}
	}
	if len(c.S3.Buckets) == 0 {
		bad("s3-bucket: list the buckets that may be signed (deny by default; SIGNER_S3_BUCKET)")
	}
	if c.DefaultDuration <= 0 || c.MaxDuration <= 0 || c.DefaultDuration > c.MaxDuration {
		bad("default-duration %v and max-duration %v: want 0 < default ≤ max", time.Duration(c.DefaultDuration), time.Duration(c.MaxDuration))
	}
	if time.Duration(c.MaxDuration) > presign.MaxLifetime {
		bad("max-duration %v: SigV4 URLs live at most 7 days", time.Duration(c.MaxDuration))
	}
	if d := time.Duration(c.MinDuration); d < time.Second || d > time.Duration(c.DefaultDuration) {
		bad("min-duration %v: want 1s ≤ min-duration ≤ default-duration (%v)", d, time.Duration(c.DefaultDuration))
	}
	if d := time.Duration(c.ClockSkew); d < 0 || d > maxClockSkew {
		bad("clock-skew %v: want 0 to %v", d, maxClockSkew)
	}
	if c.MaxInflightBytes != 0 && c.MaxInflightBytes < signer.MaxSTACBody {
		bad("max-inflight-bytes %d: want at least %d (the largest request body, a /sign/stac document), or 0 for the default", c.MaxInflightBytes, signer.MaxSTACBody)
	}
	if c.MaxHeaderBytes < 8<<10 || c.MaxHeaderBytes > maxHeaderBytesCap {
		bad("max-header-bytes %d: want %d to %d (a bearer token alone may take %d)", c.MaxHeaderBytes, 8<<10, maxHeaderBytesCap, auth.MaxTokenSize)
	}
	if d := time.Duration(c.ProbeInterval); d < 100*time.Millisecond || d > 10*time.Minute {
		bad("probe-interval %v: want 100ms to 10m", d)
	}
	if c.BatchLimit < 1 || c.BatchLimit > 100000 {
		bad("batch-limit %d: want 1..100000", c.BatchLimit)
	}
	if c.RateLimit < 0 || c.RateBurst < 0 {
		bad("rate-limit and rate-burst must not be negative")
	}
	if c.Exchange.TokenURL != "" && c.Mode != "sts" {
		bad("exchange: token exchange feeds STS; it needs mode sts")
	}
	if c.Exchange.TokenURL != "" && c.Exchange.ClientID == "" {
		bad("exchange-client-id: required with exchange-token-url")
	}
	errs = append(errs, c.validateCredentials()...)
	errs = append(errs, c.validateAPIKeys()...)
	if c.LogFormat != "json" && c.LogFormat != "text" {
		bad("log-format %q: want json or text", c.LogFormat)
	}
	return errs
}

// collectionID is what a collection may be called (it appears in request
// bodies and logs).
var collectionID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// validateCredentials checks the settings of POST /credentials.
func (c *Config) validateCredentials() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("  - "+format, args...)) }
	if d := time.Duration(c.CredentialsMaxDuration); d < presign.MinSessionDuration || d > presign.MaxSessionDuration {
		bad("credentials-max-duration %v: STS sessions last 15m to 12h", d)
	}
	if c.CredentialsEnabled && c.Mode != "sts" {
		bad("credentials-enabled: POST /credentials needs mode sts (in mode static the signer's own credentials would be handed out)")
	}
	if len(c.Collections) == 0 {
		return errs
	}
	if c.Mode != "sts" {
		bad("collections: POST /credentials needs mode sts")
	}
	if !c.CredentialsEnabled {
		bad("collections: they are for POST /credentials, which is off; set credentials-enabled")
	}
	if c.STS.SessionPolicy != "" {
		bad("collections: POST /credentials is off when sts-session-policy is set (STS takes one inline session policy)")
	}
	st := c.storage()
	if st.Endpoint == nil || st.Endpoint.Host == "" {
		return errs // reported by validate
	}
	ids := make([]string, 0, len(c.Collections))
	for id := range c.Collections {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if !collectionID.MatchString(id) {
			bad("collection %q: an id is 1 to 128 letters, digits, '.', '_' or '-'", id)
		}
		if _, err := st.ParsePrefix(c.Collections[id]); err != nil {
			bad("collection %s: %v (want s3://bucket/folder/ in an s3-bucket)", id, err)
		}
	}
	return errs
}

// storage is the managed storage as configured (URLs that do not parse are
// left out: validate reports them).
func (c *Config) storage() *presign.Storage {
	st := &presign.Storage{Buckets: c.S3.Buckets, Region: c.S3.Region, PathStyle: c.S3.PathStyle == nil || *c.S3.PathStyle}
	if u, err := url.Parse(c.S3.Endpoint); err == nil {
		st.Endpoint = u
	}
	for _, a := range c.S3.Aliases {
		if u, err := url.Parse(a); err == nil {
			st.Aliases = append(st.Aliases, u)
		}
	}
	return st
}

// validateAPIKeys checks the API-key settings.
func (c *Config) validateAPIKeys() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("  - "+format, args...)) }
	k := c.APIKeys
	if k.File == "" {
		if k.MaxLifetime != 0 || k.MaxPerUser != 0 {
			bad("api-keys-max-lifetime, api-keys-max-per-user: API keys are off; set api-keys-file (SIGNER_API_KEYS_FILE) to enable them")
		}
		return errs
	}
	if c.Mode == "sts" {
		bad("api-keys-file: API keys need mode static (in mode sts the storage's STS needs the user's own token, which a request made with an API key does not carry)")
	}
	if d := time.Duration(k.MaxLifetime); d < 0 || d > maxAPIKeyLifetime {
		bad("api-keys-max-lifetime %v: want a positive duration of at most %v (0: 2160h, 90 days)", d, maxAPIKeyLifetime)
	}
	if k.MaxPerUser < 0 || k.MaxPerUser > 1000 {
		bad("api-keys-max-per-user %d: want 1..1000 (0: 20)", k.MaxPerUser)
	}
	return errs
}
