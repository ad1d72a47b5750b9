package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"gitlab.com/eocat/eocat/internal/apikey"
	"gitlab.com/eocat/eocat/internal/auth"
	"gitlab.com/eocat/eocat/internal/policy"
	"gitlab.com/eocat/eocat/internal/presign"
	"gitlab.com/eocat/eocat/internal/signer"
	"gitlab.com/eocat/eocat/internal/yamlerr"
	"go.yaml.in/yaml/v3"
)

// Config is the whole signer configuration: the settings of the table
// (settings.go), from their defaults, the YAML file, the SIGNER_* variables
// and the flags, checked by validate.
type Config struct {
	Listen      string
	Issuers     []string
	Audiences   []string
	Mode        string
	Policy      string
	S3          S3Config
	CORSOrigins []string

	DefaultDuration time.Duration
	MaxDuration     time.Duration
	MinDuration     time.Duration
	ClockSkew       time.Duration
	BatchLimit      int
	RateLimit       float64
	RateBurst       int
	TokenURL        string
	// MaxInflightBytes: 0 means signer.DefaultInflightBytes.
	MaxInflightBytes int64
	MaxHeaderBytes   int
	ProbeInterval    time.Duration

	STS      STSConfig
	Exchange ExchangeConfig
	APIKeys  APIKeysConfig

	// POST /credentials (mode sts): collection id → s3://bucket/folder/, and
	// the longest session handed out.
	CredentialsEnabled     bool
	Collections            map[string]string
	CredentialsMaxDuration time.Duration

	LogFormat string
	LogLevel  string

	// What validate read, so that buildAPI does not read it again: the
	// policy (mode static), the collections' folders, the log level.
	policy      *policy.Policy
	collections map[string]presign.Scope
	logLevel    slog.Level
}

// S3Config is the managed storage.
type S3Config struct {
	Endpoint  string
	Region    string
	PathStyle bool
	Buckets   []string
	Aliases   []string
}

// STSConfig tunes per-user credentials (mode sts).
type STSConfig struct {
	RoleARN       string
	SessionPolicy string
	Duration      time.Duration
}

// ExchangeConfig enables RFC 8693 token exchange before STS.
type ExchangeConfig struct {
	TokenURL           string
	ClientID           string
	ClientSecret       string
	Audience           string
	Scope              string
	SubjectTokenType   string
	RequestedTokenType string
	Params             map[string]string
}

// APIKeysConfig enables the DINAMIS API keys (mode static): users create
// keys with their token and sign with the access-key/secret-key headers.
type APIKeysConfig struct {
	File        string // JSON store; empty: API keys off
	MaxLifetime time.Duration
	MaxPerUser  int

	store *apikey.FileStore // opened by buildAPI, closed by runServe
}

// serverHeaderBytes is the http.Server's own MaxHeaderBytes: headers up to
// it reach the API, which answers those over max-header-bytes with a JSON
// 431; beyond it net/http answers with its plain-text 431. It bounds what a
// connection may make the server hold before any handler runs.
func (c *Config) serverHeaderBytes() int { return max(2*c.MaxHeaderBytes, 256<<10) }

// defaults is the configuration before the file and the flags: each
// setting's default as its flag shows it, read the way a value given for it
// is.
func defaults() Config {
	var cfg Config
	for i := range settings {
		s := &settings[i]
		if s.one == nil {
			continue
		}
		if err := s.one(&cfg, s.def); err != nil {
			panic(fmt.Sprintf("the default of %s: %v", s.name(), err))
		}
	}
	return cfg
}

// problems are the configuration's problems, listed together.
type problems struct {
	list []string
	// failed are the settings (by name) whose value did not parse: each was
	// reported once, and no check involving it is made.
	failed map[string]bool
	// given are the settings set in the file, by a variable or a flag.
	given map[string]bool
}

func (p *problems) add(format string, args ...any) {
	p.list = append(p.list, fmt.Sprintf(format, args...))
}

// ok reports whether the settings named can be checked: none of them failed
// to parse.
func (p *problems) ok(names ...string) bool {
	return !slices.ContainsFunc(names, func(n string) bool { return p.failed[n] })
}

// configError is an invalid configuration: every problem, one per line.
type configError struct{ problems []string }

func (e *configError) Error() string {
	return "invalid configuration:\n  - " + strings.Join(e.problems, "\n  - ")
}

// load reads the YAML file (if any) over the defaults, then applies every
// flag or SIGNER_* variable that was set, and checks the result. Every
// problem is in the error: values that do not parse (each once, where it
// was written: file and line, variable or flag), then the checks of
// validate. When the file cannot be read, is not YAML or not a mapping of
// settings, the checks are not made (they would report its settings as
// missing).
func load(c *cli.Context) (*Config, error) {
	cfg := defaults()
	p := &problems{failed: map[string]bool{}, given: map[string]bool{}}
	fileRead := true
	if file := c.String(flagConfig); file != "" {
		fileRead = p.readFile(&cfg, file)
	}
	for i := range settings {
		if s := &settings[i]; s.flag != "" && c.IsSet(s.flag) {
			p.fromFlag(&cfg, c, s)
		}
	}
	if fileRead {
		cfg.validate(p)
	}
	if len(p.list) > 0 {
		return nil, &configError{problems: p.list}
	}
	return &cfg, nil
}

// fromFlag applies the value of a flag or its variable.
func (p *problems) fromFlag(cfg *Config, c *cli.Context, s *setting) {
	name := s.name()
	p.given[name] = true
	p.failed[name] = false // checked again: the value replaces the file's, good or bad
	switch s.kind {
	case kindList:
		s.many(cfg, c.StringSlice(s.flag))
	case kindMap:
		m := map[string]string{}
		bad := false
		for _, item := range c.StringSlice(s.flag) {
			k, v, ok := strings.Cut(item, "=")
			if !ok || k == "" {
				p.add("%s %q: want %s", origin(s.flag, item), item, s.item)
				bad = true
				continue
			}
			m[k] = v
		}
		p.failed[name] = bad
		s.pairs(cfg, m)
	default:
		v := c.String(s.flag)
		if err := s.one(cfg, v); err != nil {
			p.add("%s %q: %v", origin(s.flag, v), v, err)
			p.failed[name] = true
		}
	}
}

// origin names where a flag's value (or, for a list, an item) came from:
// its SIGNER_* variable when that holds it, else the flag.
func origin(flag, value string) string {
	if v, ok := os.LookupEnv(env(flag)); ok && (v == value ||
		slices.ContainsFunc(strings.Split(v, ","), func(item string) bool { return strings.TrimSpace(item) == value })) {
		return env(flag)
	}
	return "--" + flag
}

// readFile reads the YAML file over cfg, key by key through the table:
// each problem names the file and its line (an unknown key, a key set twice,
// a value of the wrong shape or that does not parse). It reports whether
// the file could be read as YAML at all.
func (p *problems) readFile(cfg *Config, file string) bool {
	data, err := os.ReadFile(file)
	if err != nil {
		p.add("%s %q: %v", origin(flagConfig, file), file, pathError(err))
		return false
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		for _, e := range yamlerr.Problems(file, data, err) {
			p.add("%v", e)
		}
		return false
	}
	if len(doc.Content) == 0 {
		return true // empty: every setting keeps its default
	}
	return p.yamlMapping(cfg, file, doc.Content[0], "")
}

// pathError is the reason of a file error without the path, which the
// problem names already.
func pathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// yamlMapping reads the keys of the mapping n, whose keys' paths start with
// prefix ("" at the top, "s3." in the s3 section). It reports whether n is
// a mapping.
func (p *problems) yamlMapping(cfg *Config, file string, n *yaml.Node, prefix string) bool {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		what := "the file"
		if prefix != "" {
			what = strings.TrimSuffix(prefix, ".")
		}
		p.add("%v", yamlerr.At(file, n.Line, "%s: want a mapping of settings (key: value), not %s", what, shape(n)))
		for _, s := range settings { // the section's settings are not checked again
			if prefix != "" && strings.HasPrefix(s.yaml, prefix) {
				p.failed[s.name()] = true
			}
		}
		return false
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.AliasNode { // a key written *name
			k = k.Alias
		}
		path := prefix + k.Value
		if first, dup := seen[k.Value]; dup {
			p.add("%v", yamlerr.At(file, k.Line, "%s: set twice (first at line %d)", path, first))
			continue
		}
		seen[k.Value] = k.Line
		switch {
		case settingByYAML[path] != nil:
			p.yamlValue(cfg, file, settingByYAML[path], v)
		case yamlSections[path]:
			if v.Kind != yaml.ScalarNode || v.Tag != "!!null" { // "s3:" alone is an empty section
				p.yamlMapping(cfg, file, v, path+".")
			}
		default:
			p.add("%v", yamlerr.At(file, k.Line, "unknown key %s", path))
		}
	}
	return true
}

// yamlValue reads the value of a setting's key.
func (p *problems) yamlValue(cfg *Config, file string, s *setting, v *yaml.Node) {
	if v.Kind == yaml.AliasNode {
		v = v.Alias
	}
	name := s.name()
	p.given[name] = true
	bad := func(line int, format string, args ...any) {
		p.add("%v", yamlerr.At(file, line, format, args...))
		p.failed[name] = true
	}
	null := v.Kind == yaml.ScalarNode && v.Tag == "!!null"
	switch s.kind {
	case kindList:
		var items []string
		if !null && v.Kind != yaml.SequenceNode {
			bad(v.Line, "%s: want a list such as [a, b], not %s", s.yaml, shape(v))
			return
		}
		for _, e := range v.Content {
			if e.Kind != yaml.ScalarNode {
				bad(e.Line, "%s: want a list of single values, not of %ss", s.yaml, shape(e))
				return
			}
			items = append(items, e.Value)
		}
		s.many(cfg, items)
	case kindMap:
		m := map[string]string{}
		if !null && v.Kind != yaml.MappingNode {
			bad(v.Line, "%s: want a mapping such as {%s}, not %s", s.yaml, strings.Replace(s.item, "=", ": ", 1), shape(v))
			return
		}
		for i := 0; i+1 < len(v.Content); i += 2 {
			k, e := v.Content[i], v.Content[i+1]
			if k.Kind != yaml.ScalarNode || e.Kind != yaml.ScalarNode {
				bad(k.Line, "%s: want %s pairs of single values", s.yaml, s.item)
				return
			}
			m[k.Value] = e.Value
		}
		s.pairs(cfg, m)
	default:
		if v.Kind != yaml.ScalarNode {
			bad(v.Line, "%s: want a single value, not %s", s.yaml, shape(v))
			return
		}
		text := v.Value
		if null {
			text = ""
		}
		if err := s.one(cfg, text); err != nil {
			bad(v.Line, "%s %q: %v", s.yaml, text, err)
		}
	}
}

// shape names the kind of a YAML node, for messages.
func shape(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	}
	return "a single value"
}

// validate checks the configuration and adds every problem to p, skipping
// the checks of settings whose value did not parse (p.failed). It also
// reads what can be read offline, before any network call: the policy file
// (mode static), the collections' folders, the log level; they are kept for
// buildAPI.
func (c *Config) validate(p *problems) {
	ok := p.ok
	if ok(flagListen) && c.Listen == "" {
		p.add("%s: empty; want host:port, e.g. %s", flagListen, defaultListen)
	}
	if ok(flagIssuer) {
		if len(c.Issuers) == 0 {
			p.add("%s: at least one trusted OpenID Provider is required (%s)", flagIssuer, env(flagIssuer))
		}
		seen := map[string]bool{}
		for _, is := range c.Issuers {
			switch {
			case !httpURL(is):
				p.add("%s %q: not an absolute http(s) URL", flagIssuer, is)
			case seen[is]:
				p.add("%s %q: configured twice", flagIssuer, is)
			}
			seen[is] = true
		}
	}
	if ok(flagAudience) && len(c.Audiences) == 0 {
		p.add("%s: at least one accepted token audience is required (%s)", flagAudience, env(flagAudience))
	}
	switch {
	case !ok(flagMode):
	case c.Mode == signer.ModeStatic:
		if ok(flagPolicy) {
			c.readPolicy(p)
		}
	case c.Mode == signer.ModeSTS:
		if ok(flagPolicy) && c.Policy != "" {
			p.add("%s: not used in mode %s (the storage applies its own policies); remove it", flagPolicy, signer.ModeSTS)
		}
	default:
		p.add("%s %q: want %s or %s", flagMode, c.Mode, signer.ModeStatic, signer.ModeSTS)
	}
	if ok(flagS3Endpoint) && !httpURL(c.S3.Endpoint) {
		p.add("%s %q: the storage's absolute http(s) URL is required (%s)", flagS3Endpoint, c.S3.Endpoint, env(flagS3Endpoint))
	}
	if ok(flagS3Alias) {
		for _, a := range c.S3.Aliases {
			if u, err := url.Parse(a); err != nil || u.Host == "" {
				p.add("%s %q: not an absolute URL", flagS3Alias, a)
			}
		}
	}
	if ok(flagS3Bucket) && len(c.S3.Buckets) == 0 {
		p.add("%s: list the buckets that may be signed (deny by default; %s)", flagS3Bucket, env(flagS3Bucket))
	}
	c.validateLimits(p)
	if ok(flagExchangeTokenURL) && c.Exchange.TokenURL != "" && !httpURL(c.Exchange.TokenURL) {
		p.add("%s %q: not an absolute http(s) URL", flagExchangeTokenURL, c.Exchange.TokenURL)
	}
	if ok(flagExchangeTokenURL, flagMode) && c.Exchange.TokenURL != "" && c.Mode != signer.ModeSTS {
		p.add("%s: token exchange feeds STS; it needs mode %s", flagExchangeTokenURL, signer.ModeSTS)
	}
	if ok(flagExchangeTokenURL, flagExchangeClientID) && c.Exchange.TokenURL != "" && c.Exchange.ClientID == "" {
		p.add("%s: required with %s", flagExchangeClientID, flagExchangeTokenURL)
	}
	p.sessionLength(flagSTSDuration, c.STS.Duration)
	c.validateCredentials(p)
	c.validateAPIKeys(p)
	if ok(flagLogFormat) && c.LogFormat != "json" && c.LogFormat != "text" {
		p.add("%s %q: want json or text", flagLogFormat, c.LogFormat)
	}
	if ok(flagLogLevel) {
		if err := c.logLevel.UnmarshalText([]byte(c.LogLevel)); err != nil {
			p.add("%s %q: want debug, info, warn or error", flagLogLevel, c.LogLevel)
		}
	}
}

// sessionLength checks the STS session length d of the setting flag: STS
// sessions last presign.MinSessionDuration to presign.MaxSessionDuration.
func (p *problems) sessionLength(flag string, d time.Duration) {
	if p.ok(flag) && (d < presign.MinSessionDuration || d > presign.MaxSessionDuration) {
		p.add("%s %s: STS sessions last %s to %s", flag, fmtDuration(d), fmtDuration(presign.MinSessionDuration), fmtDuration(presign.MaxSessionDuration))
	}
}

// httpURL reports whether s is an absolute http(s) URL.
func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// readPolicy reads the policy file of mode static, its problems among the
// others.
func (c *Config) readPolicy(p *problems) {
	if c.Policy == "" {
		p.add("%s: mode %s needs a policy file (deny by default; %s)", flagPolicy, signer.ModeStatic, env(flagPolicy))
		return
	}
	pol, err := policy.Load(c.Policy)
	var joined interface{ Unwrap() []error }
	switch {
	case err == nil:
		c.policy = pol
	case errors.As(err, &joined): // the policy's problems (errors.Join)
		for _, e := range joined.Unwrap() {
			p.add("%v", e) // "file:line: …"
		}
	default: // the file cannot be read (*fs.PathError)
		p.add("%s %q: %v", flagPolicy, c.Policy, pathError(err))
	}
}

// validateLimits checks the lifetimes, limits and intervals.
func (c *Config) validateLimits(p *problems) {
	ok := p.ok
	if ok(flagDefaultDuration, flagMaxDuration) && (c.DefaultDuration <= 0 || c.MaxDuration <= 0 || c.DefaultDuration > c.MaxDuration) {
		p.add("%s %s and %s %s: want 0 < %s ≤ %s", flagDefaultDuration, fmtDuration(c.DefaultDuration), flagMaxDuration, fmtDuration(c.MaxDuration),
			flagDefaultDuration, flagMaxDuration)
	}
	if ok(flagMaxDuration) && c.MaxDuration > presign.MaxLifetime {
		p.add("%s %s: SigV4 URLs live at most %s", flagMaxDuration, fmtDuration(c.MaxDuration), fmtDuration(presign.MaxLifetime))
	}
	if d := c.MinDuration; ok(flagMinDuration, flagDefaultDuration) && (d < time.Second || d > c.DefaultDuration) {
		p.add("%s %s: want 1s ≤ %s ≤ %s (%s)", flagMinDuration, fmtDuration(d), flagMinDuration, flagDefaultDuration, fmtDuration(c.DefaultDuration))
	}
	if d := c.ClockSkew; ok(flagClockSkew) && (d < 0 || d > maxClockSkew) {
		p.add("%s %s: want 0 to %s", flagClockSkew, fmtDuration(d), fmtDuration(maxClockSkew))
	}
	if ok(flagMaxInflightBytes) && c.MaxInflightBytes != 0 && c.MaxInflightBytes < signer.MaxSTACBody {
		p.add("%s %d: want at least %d (the largest request body, a /sign/stac document), or 0 for the default", flagMaxInflightBytes, c.MaxInflightBytes, signer.MaxSTACBody)
	}
	if ok(flagMaxHeaderBytes) && (c.MaxHeaderBytes < minHeaderBytes || c.MaxHeaderBytes > maxHeaderBytes) {
		p.add("%s %d: want %d to %d (a bearer token alone may take %d)", flagMaxHeaderBytes, c.MaxHeaderBytes, minHeaderBytes, maxHeaderBytes, auth.MaxTokenSize)
	}
	if d := c.ProbeInterval; ok(flagProbeInterval) && (d < minProbeInterval || d > maxProbeInterval) {
		p.add("%s %s: want %s to %s", flagProbeInterval, fmtDuration(d), fmtDuration(minProbeInterval), fmtDuration(maxProbeInterval))
	}
	if ok(flagBatchLimit) && (c.BatchLimit < 1 || c.BatchLimit > maxBatchLimit) {
		p.add("%s %d: want 1..%d", flagBatchLimit, c.BatchLimit, maxBatchLimit)
	}
	if ok(flagRateLimit) && c.RateLimit < 0 {
		p.add("%s %v: must not be negative (0: no limit)", flagRateLimit, c.RateLimit)
	}
	if ok(flagRateBurst) && c.RateBurst < 0 {
		p.add("%s %d: must not be negative", flagRateBurst, c.RateBurst)
	}
}

// collectionID is what a collection may be called (it appears in request
// bodies and logs).
var collectionID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// validateCredentials checks the settings of POST /credentials and reads
// the collections' folders.
func (c *Config) validateCredentials(p *problems) {
	ok := p.ok
	p.sessionLength(flagCredentialsMaxDuration, c.CredentialsMaxDuration)
	if ok(flagCredentialsEnabled, flagMode) && c.CredentialsEnabled && c.Mode != signer.ModeSTS {
		p.add("%s: POST /credentials needs mode %s (in mode %s the signer's own credentials would be handed out)", flagCredentialsEnabled, signer.ModeSTS, signer.ModeStatic)
	}
	if !ok(flagCollection) || len(c.Collections) == 0 {
		return
	}
	if ok(flagMode) && c.Mode != signer.ModeSTS {
		p.add("%s: POST /credentials needs mode %s", flagCollection, signer.ModeSTS)
	}
	if ok(flagCredentialsEnabled) && !c.CredentialsEnabled {
		p.add("%s: the collections are for POST /credentials, which is off; set %s", flagCollection, flagCredentialsEnabled)
	}
	if ok(flagSTSSessionPolicy) && c.STS.SessionPolicy != "" {
		p.add("%s: POST /credentials is off when %s is set (STS takes one inline session policy)", flagCollection, flagSTSSessionPolicy)
	}
	if !ok(flagS3Endpoint, flagS3Bucket, flagS3Alias) || !httpURL(c.S3.Endpoint) {
		return // reported by validate
	}
	st := c.storage()
	ids := make([]string, 0, len(c.Collections))
	for id := range c.Collections {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	c.collections = map[string]presign.Scope{}
	for _, id := range ids {
		if !collectionID.MatchString(id) {
			p.add("%s %q: an id is 1 to 128 letters, digits, '.', '_' or '-'", flagCollection, id)
		}
		sc, err := st.ParsePrefix(c.Collections[id])
		if err != nil {
			p.add("%s %s: %v (want s3://bucket/folder/ in an %s)", flagCollection, id, err, flagS3Bucket)
			continue
		}
		c.collections[id] = sc
	}
}

// storage is the managed storage as configured (URLs that do not parse are
// left out: validate reports them).
func (c *Config) storage() *presign.Storage {
	st := &presign.Storage{Buckets: c.S3.Buckets, Region: c.S3.Region, PathStyle: c.S3.PathStyle}
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
func (c *Config) validateAPIKeys(p *problems) {
	ok := p.ok
	k := c.APIKeys
	if !ok(flagAPIKeysFile) {
		return
	}
	if k.File == "" {
		var set []string
		for _, name := range []string{flagAPIKeysMaxLifetime, flagAPIKeysMaxPerUser} {
			if p.given[name] && ok(name) {
				set = append(set, name)
			}
		}
		if len(set) > 0 {
			p.add("%s: API keys are off; set %s (%s) to enable them", strings.Join(set, ", "), flagAPIKeysFile, env(flagAPIKeysFile))
		}
		return
	}
	if ok(flagMode) && c.Mode == signer.ModeSTS {
		p.add("%s: API keys need mode %s (in mode %s the storage's STS needs the user's own token, which a request made with an API key does not carry)",
			flagAPIKeysFile, signer.ModeStatic, signer.ModeSTS)
	}
	if d := k.MaxLifetime; ok(flagAPIKeysMaxLifetime) && (d <= 0 || d > maxAPIKeyLifetime) {
		p.add("%s %s: want a positive duration of at most %s", flagAPIKeysMaxLifetime, fmtDuration(d), fmtDuration(maxAPIKeyLifetime))
	}
	if n := k.MaxPerUser; ok(flagAPIKeysMaxPerUser) && (n < 1 || n > maxAPIKeysPerUser) {
		p.add("%s %d: want 1..%d", flagAPIKeysMaxPerUser, n, maxAPIKeysPerUser)
	}
}
