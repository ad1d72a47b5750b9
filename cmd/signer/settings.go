package main

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"gitlab.com/eocat/eocat/internal/apikey"
	"gitlab.com/eocat/eocat/internal/auth"
	"gitlab.com/eocat/eocat/internal/presign"
	"gitlab.com/eocat/eocat/internal/signer"
)

// The settings of signer serve are one table, settings: each entry names a
// setting's flag, its key in the YAML file, its default, its usage and where
// its value goes in Config. The flags (whose Value is the default, shown by
// --help as "(default: …)"), the defaults the YAML file starts from, the
// file's keys and the parsing of a value, whether from the file, a SIGNER_*
// variable or a flag, all come from it.

// Flag names of signer serve. A flag's SIGNER_* variable is derived from its
// name (envVar), and the configuration's problems name settings by them.
//
//nolint:gosec // G101: flag names ("api-keys-file" …), not credentials
const (
	flagConfig                 = "config"
	flagListen                 = "listen"
	flagIssuer                 = "issuer"
	flagAudience               = "audience"
	flagMode                   = "mode"
	flagPolicy                 = "policy"
	flagS3Endpoint             = "s3-endpoint"
	flagS3Region               = "s3-region"
	flagS3PathStyle            = "s3-path-style"
	flagS3Bucket               = "s3-bucket"
	flagS3Alias                = "s3-alias"
	flagCORSOrigins            = "cors-origins"
	flagDefaultDuration        = "default-duration"
	flagMaxDuration            = "max-duration"
	flagMinDuration            = "min-duration"
	flagClockSkew              = "clock-skew"
	flagBatchLimit             = "batch-limit"
	flagRateLimit              = "rate-limit"
	flagRateBurst              = "rate-burst"
	flagTokenURL               = "token-url"
	flagMaxInflightBytes       = "max-inflight-bytes"
	flagMaxHeaderBytes         = "max-header-bytes"
	flagProbeInterval          = "probe-interval"
	flagSTSRoleARN             = "sts-role-arn"
	flagSTSSessionPolicy       = "sts-session-policy"
	flagSTSDuration            = "sts-duration"
	flagExchangeTokenURL       = "exchange-token-url"
	flagExchangeClientID       = "exchange-client-id"
	flagExchangeClientSecret   = "exchange-client-secret"
	flagExchangeAudience       = "exchange-audience"
	flagExchangeParam          = "exchange-param"
	flagCredentialsEnabled     = "credentials-enabled"
	flagCollection             = "collection"
	flagCredentialsMaxDuration = "credentials-max-duration"
	flagAPIKeysFile            = "api-keys-file"
	flagAPIKeysMaxLifetime     = "api-keys-max-lifetime"
	flagAPIKeysMaxPerUser      = "api-keys-max-per-user"
	flagLogFormat              = "log-format"
	flagLogLevel               = "log-level"
)

// Bounds of the settings, checked by validate.
const (
	maxClockSkew      = 5 * time.Minute
	maxBatchLimit     = 100000
	minHeaderBytes    = 8 << 10
	maxHeaderBytes    = 1 << 20
	minProbeInterval  = 100 * time.Millisecond
	maxProbeInterval  = 10 * time.Minute
	maxAPIKeysPerUser = 1000
	// maxAPIKeyLifetime bounds api-keys-max-lifetime: a key is a standing
	// credential, and its claims are never refreshed.
	maxAPIKeyLifetime = 10 * 365 * 24 * time.Hour
)

// defaultListen is the default of --listen (the table's, and the example
// its problem gives).
const defaultListen = "127.0.0.1:8080"

// kind is the shape of a setting's value.
type kind int

const (
	kindText  kind = iota // one value, as written
	kindValue             // one value parsed by load: a number, a duration
	kindBool              // true or false; the flag alone is true
	kindList              // repeatable flag, comma-separated variable, YAML sequence
	kindMap               // repeatable NAME=VALUE flag, YAML mapping
)

// setting is an entry of the table.
type setting struct {
	flag  string // flag name; "" for a key of the YAML file only
	yaml  string // dotted path of its key in the YAML file ("s3.endpoint")
	kind  kind
	usage string // the flag's usage (a `PLACEHOLDER` in backquotes)
	// def is the default as text: the flag's Value, and what defaults()
	// reads into Config; "" for none.
	def string
	// defaultText is what --help says of a default def cannot show: one
	// computed (max-inflight-bytes) or looked up (token-url).
	defaultText string
	item        string // kindMap: an item's form, "NAME=VALUE"

	one   func(cfg *Config, v string) error      // kindText, kindValue, kindBool
	many  func(cfg *Config, vs []string)         // kindList
	pairs func(cfg *Config, m map[string]string) // kindMap
}

// name is what the configuration's problems call the setting: its flag, or
// its YAML key when it has no flag.
func (s *setting) name() string {
	if s.flag != "" {
		return s.flag
	}
	return s.yaml
}

// env is a setting's SIGNER_* variable.
func env(flag string) string { return envVar(flag)[0] }

// settings is the table; --help lists the flags in its order, after
// --config.
var settings = []setting{
	text(flagListen, "listen", defaultListen, "`ADDRESS` to listen on", func(c *Config) *string { return &c.Listen }),
	list(flagIssuer, "issuers", fmt.Sprintf("trusted OpenID Provider issuer `URL` (repeat, or comma-separated in %s)", env(flagIssuer)),
		func(c *Config) *[]string { return &c.Issuers }),
	list(flagAudience, "audiences", "accepted token audience (repeat)", func(c *Config) *[]string { return &c.Audiences }),
	text(flagMode, "mode", signer.ModeStatic,
		fmt.Sprintf("%s (sign with the signer's credentials after --%s) or %s (per-user STS credentials; the storage decides)", signer.ModeStatic, flagPolicy, signer.ModeSTS),
		func(c *Config) *string { return &c.Mode }),
	text(flagPolicy, "policy", "", "policy `FILE` for mode static (deny by default)", func(c *Config) *string { return &c.Policy }),
	text(flagS3Endpoint, "s3.endpoint", "", "storage endpoint `URL`, e.g. https://s3.example.org", func(c *Config) *string { return &c.S3.Endpoint }),
	text(flagS3Region, "s3.region", "us-east-1", "storage region", func(c *Config) *string { return &c.S3.Region }),
	boolean(flagS3PathStyle, "s3.path_style", true,
		fmt.Sprintf("sign path-style URLs (https://endpoint/bucket/key); --%s=false for virtual-hosted style", flagS3PathStyle),
		func(c *Config) *bool { return &c.S3.PathStyle }),
	list(flagS3Bucket, "s3.buckets", "bucket whose objects may be signed (repeat)", func(c *Config) *[]string { return &c.S3.Buckets }),
	list(flagS3Alias, "s3.aliases", "other base `URL` naming the same storage (public name, CDN)", func(c *Config) *[]string { return &c.S3.Aliases }),
	list(flagCORSOrigins, "cors_origins", "browser origins allowed to call the API (exact, or *)", func(c *Config) *[]string { return &c.CORSOrigins }),
	duration(flagDefaultDuration, "default_duration", signer.DefaultLifetime,
		fmt.Sprintf("lifetime of a signed URL when the caller gives none (at most --%s)", flagMaxDuration),
		func(c *Config) *time.Duration { return &c.DefaultDuration }),
	duration(flagMaxDuration, "max_duration", presign.MaxLifetime,
		"longest lifetime a caller may ask for; longer is shortened (the default is SigV4's limit, the most there is)",
		func(c *Config) *time.Duration { return &c.MaxDuration }),
	duration(flagMinDuration, "min_duration", signer.DefaultMinLifetime,
		fmt.Sprintf("shortest lifetime a caller may ask for, 1s to --%s; shorter is 400 invalid_duration", flagDefaultDuration),
		func(c *Config) *time.Duration { return &c.MinDuration }),
	duration(flagClockSkew, "clock_skew", auth.DefaultLeeway,
		fmt.Sprintf("clock skew tolerated on the tokens' exp, nbf and iat, 0 to %s", fmtDuration(maxClockSkew)),
		func(c *Config) *time.Duration { return &c.ClockSkew }),
	number(flagBatchLimit, "batch_limit", signer.DefaultBatchLimit, fmt.Sprintf("hrefs per request, 1 to %d", maxBatchLimit),
		func(c *Config) *int { return &c.BatchLimit }),
	number(flagRateLimit, "rate_limit", 50.0, "requests per second per user, 0 to disable", func(c *Config) *float64 { return &c.RateLimit }),
	number(flagRateBurst, "rate_burst", 200, "burst per user", func(c *Config) *int { return &c.RateBurst }),
	withDefaultText("from the first issuer's discovery, looked up on each request",
		text(flagTokenURL, "token_url", "", "IdP token endpoint advertised in /openapi.json", func(c *Config) *string { return &c.TokenURL })),
	withDefaultText(fmt.Sprintf("GOMEMLIMIT/4 if GOMEMLIMIT is set, else %d (%d MiB)", signer.NoLimitInflightBytes, signer.NoLimitInflightBytes>>20),
		number(flagMaxInflightBytes, "max_inflight_bytes", int64(0),
			fmt.Sprintf("request-body `BYTES` held at once, all requests together (at least %d, 0 for the default; one user at most half); a body that does not fit waits up to 2s, then 503 busy", signer.MaxSTACBody),
			func(c *Config) *int64 { return &c.MaxInflightBytes })),
	number(flagMaxHeaderBytes, "max_header_bytes", signer.DefaultMaxHeaderBytes,
		fmt.Sprintf("request headers larger than this are a JSON 431, %d to %d `BYTES` (beyond twice this, at least 256 KiB, Go's HTTP server answers a plain-text 431)", minHeaderBytes, maxHeaderBytes),
		func(c *Config) *int { return &c.MaxHeaderBytes }),
	duration(flagProbeInterval, "probe_interval", signer.DefaultProbeInterval,
		fmt.Sprintf("how long /readyz keeps each dependency's answer before checking again, %s to %s", fmtDuration(minProbeInterval), fmtDuration(maxProbeInterval)),
		func(c *Config) *time.Duration { return &c.ProbeInterval }),
	text(flagSTSRoleARN, "sts.role_arn", "", "role to assume (mode sts)", func(c *Config) *string { return &c.STS.RoleARN }),
	text(flagSTSSessionPolicy, "sts.session_policy", "", "IAM policy JSON narrowing each STS session (mode sts)", func(c *Config) *string { return &c.STS.SessionPolicy }),
	duration(flagSTSDuration, "sts.duration", presign.DefaultSessionDuration,
		fmt.Sprintf("STS session length, %s to %s (mode sts)", fmtDuration(presign.MinSessionDuration), fmtDuration(presign.MaxSessionDuration)),
		func(c *Config) *time.Duration { return &c.STS.Duration }),
	text(flagExchangeTokenURL, "exchange.token_url", "", "RFC 8693 token exchange endpoint, to get a token the storage trusts (mode sts)",
		func(c *Config) *string { return &c.Exchange.TokenURL }),
	text(flagExchangeClientID, "exchange.client_id", "", "client id for the token exchange", func(c *Config) *string { return &c.Exchange.ClientID }),
	text(flagExchangeClientSecret, "exchange.client_secret", "", fmt.Sprintf("client secret for the token exchange (prefer %s)", env(flagExchangeClientSecret)),
		func(c *Config) *string { return &c.Exchange.ClientSecret }),
	text(flagExchangeAudience, "exchange.audience", "", "audience requested in the token exchange", func(c *Config) *string { return &c.Exchange.Audience }),
	pairs(flagExchangeParam, "exchange.params", "NAME=VALUE", "extra form `NAME=VALUE` sent with the exchange (provider quirks, e.g. connector_id=self for Dex)",
		func(c *Config) *map[string]string { return &c.Exchange.Params }),
	text("", "exchange.scope", "", "", func(c *Config) *string { return &c.Exchange.Scope }),
	text("", "exchange.subject_token_type", "", "", func(c *Config) *string { return &c.Exchange.SubjectTokenType }),
	text("", "exchange.requested_token_type", "", "", func(c *Config) *string { return &c.Exchange.RequestedTokenType }),
	boolean(flagCredentialsEnabled, "credentials_enabled", false,
		"serve POST /credentials: temporary storage credentials for one folder, narrowed by an STS session policy (mode sts)",
		func(c *Config) *bool { return &c.CredentialsEnabled }),
	pairs(flagCollection, "collections", "ID=s3://bucket/folder/", "`ID=s3://bucket/folder/` a caller may name in POST /credentials instead of a prefix (mode sts; repeat)",
		func(c *Config) *map[string]string { return &c.Collections }),
	duration(flagCredentialsMaxDuration, "credentials_max_duration", signer.DefaultCredentialsLifetime,
		fmt.Sprintf("longest session POST /credentials hands out, %s to %s (mode sts)", fmtDuration(presign.MinSessionDuration), fmtDuration(presign.MaxSessionDuration)),
		func(c *Config) *time.Duration { return &c.CredentialsMaxDuration }),
	text(flagAPIKeysFile, "api_keys.file", "", "JSON `FILE` keeping the DINAMIS API keys users create (hashed; mode static); unset: API keys off",
		func(c *Config) *string { return &c.APIKeys.File }),
	duration(flagAPIKeysMaxLifetime, "api_keys.max_lifetime", apikey.DefaultMaxLifetime,
		fmt.Sprintf("an API key expires this long after its creation (at most %s)", fmtDuration(maxAPIKeyLifetime)),
		func(c *Config) *time.Duration { return &c.APIKeys.MaxLifetime }),
	number(flagAPIKeysMaxPerUser, "api_keys.max_per_user", apikey.DefaultMaxPerOwner, fmt.Sprintf("live API keys a user may hold, 1 to %d", maxAPIKeysPerUser),
		func(c *Config) *int { return &c.APIKeys.MaxPerUser }),
	text(flagLogFormat, "log_format", "json", "json or text", func(c *Config) *string { return &c.LogFormat }),
	text(flagLogLevel, "log_level", "info", "debug, info, warn or error", func(c *Config) *string { return &c.LogLevel }),
}

// The kinds of settings.

func text(flag, yaml, def, usage string, field func(*Config) *string) setting {
	return setting{flag: flag, yaml: yaml, kind: kindText, def: def, usage: usage,
		one: func(c *Config, v string) error { *field(c) = v; return nil }}
}

func list(flag, yaml, usage string, field func(*Config) *[]string) setting {
	return setting{flag: flag, yaml: yaml, kind: kindList, usage: usage,
		many: func(c *Config, vs []string) { *field(c) = vs }}
}

func pairs(flag, yaml, item, usage string, field func(*Config) *map[string]string) setting {
	return setting{flag: flag, yaml: yaml, kind: kindMap, item: item, usage: usage,
		pairs: func(c *Config, m map[string]string) { *field(c) = m }}
}

// parsed is a setting whose value is parsed from text, with a default
// formatted the way --help shows it (and parsed back by defaults()).
func parsed[T any](k kind, flag, yaml string, def T, usage string, parse func(string) (T, error), format func(T) string, field func(*Config) *T) setting {
	return setting{flag: flag, yaml: yaml, kind: k, def: format(def), usage: usage,
		one: func(c *Config, v string) error {
			x, err := parse(v)
			if err != nil {
				return err
			}
			*field(c) = x
			return nil
		}}
}

func duration(flag, yaml string, def time.Duration, usage string, field func(*Config) *time.Duration) setting {
	return parsed(kindValue, flag, yaml, def, usage, parseDur, fmtDuration, field)
}

func boolean(flag, yaml string, def bool, usage string, field func(*Config) *bool) setting {
	parse := func(s string) (bool, error) {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return false, errors.New("want true or false")
		}
		return b, nil
	}
	return parsed(kindBool, flag, yaml, def, usage, parse, strconv.FormatBool, field)
}

func number[T int | int64 | float64](flag, yaml string, def T, usage string, field func(*Config) *T) setting {
	return parsed(kindValue, flag, yaml, def, usage, parseNumber[T], formatNumber[T], field)
}

func withDefaultText(t string, s setting) setting {
	s.defaultText = t
	return s
}

func parseNumber[T int | int64 | float64](s string) (T, error) {
	var zero T
	if _, float := any(zero).(float64); float {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, errors.New("want a number")
		}
		return T(f), nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || int64(T(n)) != n {
		return 0, errors.New("want an integer")
	}
	return T(n), nil
}

func formatNumber[T int | int64 | float64](v T) string {
	if f, ok := any(v).(float64); ok {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatInt(int64(v), 10)
}

// parseDur reads "90s", "1h30m" or a plain number of seconds.
func parseDur(s string) (time.Duration, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, errors.New("want seconds or a Go duration such as 1h30m")
	}
	return d, nil
}

// fmtDuration writes a duration as it is usually written in a setting:
// 1h, 168h, 1m, 1h30m (not time.Duration's 1h0m0s).
func fmtDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// cliFlag is the setting's flag: its Value is the default, which --help
// shows. Numbers, durations and booleans are read as text by the flag and
// parsed by load (rawValue), so that a value that does not parse is one
// problem of the list rather than urfave/cli's usage error, which stops at
// the first.
func (s *setting) cliFlag() cli.Flag {
	envs := envVar(s.flag)
	switch s.kind {
	case kindText:
		return &cli.StringFlag{Name: s.flag, EnvVars: envs, Usage: s.usage, Value: s.def, DefaultText: s.defaultText}
	case kindList, kindMap:
		return &cli.StringSliceFlag{Name: s.flag, EnvVars: envs, Usage: s.usage}
	case kindBool:
		return boolFlag{&cli.GenericFlag{Name: s.flag, EnvVars: envs, Usage: s.usage, Value: &rawValue{text: s.def, boolean: true}}}
	}
	return &cli.GenericFlag{Name: s.flag, EnvVars: envs, Usage: s.usage, Value: &rawValue{text: s.def}, DefaultText: s.defaultText}
}

// rawValue is the value of a flag that load parses: the text as given (flag
// or variable), or the default until then.
type rawValue struct {
	text    string
	boolean bool
}

func (v *rawValue) Set(s string) error { v.text = s; return nil }
func (v *rawValue) String() string     { return v.text }

// IsBoolFlag lets a boolean flag stand alone (the flag package's
// convention): --credentials-enabled is --credentials-enabled=true.
func (v *rawValue) IsBoolFlag() bool { return v.boolean }

// boolFlag is a boolean setting's flag: it takes no value, and --help shows
// it without a placeholder, like cli.BoolFlag.
type boolFlag struct{ *cli.GenericFlag }

func (f boolFlag) TakesValue() bool { return false }
func (f boolFlag) String() string   { return cli.FlagStringer(f) }

// settingByYAML finds a setting of the table by its YAML key.
var settingByYAML = func() map[string]*setting {
	m := map[string]*setting{}
	for i := range settings {
		m[settings[i].yaml] = &settings[i]
	}
	return m
}()

// yamlSections are the YAML file's nested sections ("s3", "api_keys").
var yamlSections = func() map[string]bool {
	m := map[string]bool{}
	for _, s := range settings {
		for p := s.yaml; strings.Contains(p, "."); {
			p = p[:strings.LastIndex(p, ".")]
			m[p] = true
		}
	}
	return m
}()
