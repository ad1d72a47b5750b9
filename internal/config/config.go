package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gitlab.com/eocat/eocat/internal/stac"
	"gitlab.com/eocat/eocat/schemas"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Config is a whole stacgen configuration.
type Config struct {
	Catalog     Catalog      `yaml:"catalog"`
	S3          S3           `yaml:"s3"`
	Signer      *Signer      `yaml:"signer"`
	Site        Site         `yaml:"site"`
	Collections []Collection `yaml:"collections"`

	// Dir is the folder of the configuration file; relative local sources
	// are resolved against it.
	Dir string `yaml:"-"`
}

// Catalog describes the root catalog.
type Catalog struct {
	ID          string `yaml:"id"`
	Title       string `yaml:"title"`
	Description string `yaml:"description"`
}

// S3 holds connection settings for s3:// sources.
type S3 struct {
	Endpoint  string `yaml:"endpoint"`
	Region    string `yaml:"region"`
	PathStyle *bool  `yaml:"path_style"`
	HrefStyle string `yaml:"href_style"`
	PublicURL string `yaml:"public_url"`
}

// Signer describes the signing service advertised in the catalog and, with
// ClientID, the sign-in of the site's pages.
type Signer struct {
	URL    string `yaml:"url"`
	Issuer string `yaml:"issuer"`
	// ClientID is the site's public OpenID Connect client at Issuer
	// (Authorization Code + PKCE); without it the pages offer no sign-in.
	ClientID string `yaml:"client_id"`
	// Scopes requested at sign-in (default openid, profile, email,
	// offline_access: the last gives a refresh token).
	Scopes []string `yaml:"scopes"`
	// Token is the token sent to the signer: "id_token" (default; its
	// audience is the client id) or "access_token".
	Token string `yaml:"token"`
}

// DefaultScopes are requested at sign-in when signer.scopes is not set.
var DefaultScopes = []string{"openid", "profile", "email", "offline_access"}

// Site tunes the HTML pages stacgen renders beside the JSON.
type Site struct {
	// Basemap is a tile layer drawn under footprints; without it maps draw
	// on a plain background (offline, and no third-party request).
	Basemap *Basemap `yaml:"basemap"`
	// PageSize is the number of items per page of a collection's item list
	// (0: the default, 100).
	PageSize int `yaml:"page_size"`
}

// Basemap is an XYZ tile layer.
type Basemap struct {
	URL         string `yaml:"url"`
	Attribution string `yaml:"attribution"`
}

// Collection describes one STAC collection and where its data lives.
type Collection struct {
	ID               string          `yaml:"id"`
	Title            string          `yaml:"title"`
	Description      string          `yaml:"description"`
	License          string          `yaml:"license"`
	Keywords         []string        `yaml:"keywords"`
	Providers        []stac.Provider `yaml:"providers"`
	Source           string          `yaml:"source"`
	S3               *S3             `yaml:"s3"`
	HrefBase         string          `yaml:"href_base"`
	Datetime         string          `yaml:"datetime"`
	Items            Items           `yaml:"items"`
	Properties       map[string]any  `yaml:"properties"`
	IncludeUnmatched *bool           `yaml:"include_unmatched"`
	Assets           []AssetRule     `yaml:"assets"`

	pattern  *regexp.Regexp
	fallback time.Time
}

// Items says how objects group into items.
type Items struct {
	GroupBy        string `yaml:"group_by"`
	Pattern        string `yaml:"pattern"`
	DatetimeFormat string `yaml:"datetime_format"`
	Sidecar        string `yaml:"sidecar"`
	// Geometry chooses the item geometry: GeometryUnion (default, "") or
	// GeometryLargest.
	Geometry string `yaml:"geometry"`
}

// AssetRule maps files whose name matches Match to an asset.
type AssetRule struct {
	Match       string           `yaml:"match"`
	Key         string           `yaml:"key"`
	Title       string           `yaml:"title"`
	Description string           `yaml:"description"`
	Type        string           `yaml:"type"`
	Roles       []string         `yaml:"roles"`
	GSD         *float64         `yaml:"gsd"`
	Bands       []map[string]any `yaml:"bands"`
	Skip        bool             `yaml:"skip"`
}

// Group-by modes.
const (
	GroupByFolder  = "folder"
	GroupByPattern = "pattern"
)

// Item geometry modes (items.geometry).
const (
	GeometryUnion   = "union"
	GeometryLargest = "largest"
)

// Pattern returns the compiled items.pattern, or nil.
func (c *Collection) Pattern() *regexp.Regexp { return c.pattern }

// FallbackDatetime returns the parsed 'datetime' fallback (zero if unset).
func (c *Collection) FallbackDatetime() time.Time { return c.fallback }

// IsS3 reports whether the collection's source is an s3:// URI.
func (c *Collection) IsS3() bool { return strings.HasPrefix(c.Source, "s3://") }

// S3Settings merges the collection's s3 block over the global one.
func (cfg *Config) S3Settings(c *Collection) S3 {
	s := cfg.S3
	if o := c.S3; o != nil {
		if o.Endpoint != "" {
			s.Endpoint = o.Endpoint
		}
		if o.Region != "" {
			s.Region = o.Region
		}
		if o.PathStyle != nil {
			s.PathStyle = o.PathStyle
		}
		if o.HrefStyle != "" {
			s.HrefStyle = o.HrefStyle
		}
		if o.PublicURL != "" {
			s.PublicURL = o.PublicURL
		}
	}
	return s
}

// LocalPath resolves a local source against the configuration's folder.
func (cfg *Config) LocalPath(c *Collection) string {
	if filepath.IsAbs(c.Source) {
		return filepath.Clean(c.Source)
	}
	return filepath.Join(cfg.Dir, filepath.FromSlash(c.Source))
}

// IncludeUnmatchedFiles reports whether files matching no rule become assets.
func (c *Collection) IncludeUnmatchedFiles() bool {
	return c.IncludeUnmatched == nil || *c.IncludeUnmatched
}

// Problems lists every problem found in a configuration.
type Problems []string

func (p Problems) Error() string {
	return fmt.Sprintf("invalid configuration (%d problem(s)):\n  - %s", len(p), strings.Join(p, "\n  - "))
}

// Load reads, parses and validates a configuration file.
func Load(file string) (*Config, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cfg, err := Parse(data, file)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(filepath.Dir(file))
	if err != nil {
		return nil, err
	}
	cfg.Dir = abs
	return cfg, nil
}

// Parse parses and validates configuration bytes; name is used in messages.
func Parse(data []byte, name string) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("config %s: %w", name, err)
	}
	if root.Kind == 0 {
		return nil, fmt.Errorf("config %s: empty file", name)
	}
	var generic any
	if err := root.Decode(&generic); err != nil {
		return nil, fmt.Errorf("config %s: %w", name, err)
	}
	problems := schemaProblems(generic, &root)
	var cfg Config
	// A type mismatch was already reported by the schema; yaml.v3 still
	// decodes the rest, so the semantic checks below see every collection.
	if err := root.Decode(&cfg); err != nil && len(problems) == 0 {
		return nil, fmt.Errorf("config %s: %w", name, err)
	}
	problems = append(problems, cfg.check(&root)...)
	if len(problems) > 0 {
		return nil, fmt.Errorf("config %s: %w", name, problems)
	}
	return &cfg, nil
}

var printer = message.NewPrinter(language.English)

var (
	schemaOnce sync.Once
	schema     *jsonschema.Schema
	schemaErr  error
)

const schemaFile = "stacgen-config.schema.json"

func configSchema() (*jsonschema.Schema, error) {
	schemaOnce.Do(func() {
		raw, err := schemas.FS.ReadFile(schemaFile)
		if err != nil {
			schemaErr = err
			return
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			schemaErr = err
			return
		}
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		if err := c.AddResource(schemaFile, doc); err != nil {
			schemaErr = err
			return
		}
		schema, schemaErr = c.Compile(schemaFile)
	})
	return schema, schemaErr
}

// schemaProblems validates the decoded YAML against the JSON Schema.
func schemaProblems(doc any, root *yaml.Node) Problems {
	sch, err := configSchema()
	if err != nil {
		return Problems{"internal: config schema: " + err.Error()}
	}
	// Round-trip through JSON so YAML types (ints, maps) are JSON values.
	raw, err := json.Marshal(normalise(doc))
	if err != nil {
		return Problems{err.Error()}
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return Problems{err.Error()}
	}
	err = sch.Validate(inst)
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		if err != nil {
			return Problems{err.Error()}
		}
		return nil
	}
	var out Problems
	seen := map[string]bool{}
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		msg := fmt.Sprintf("%s%s: %s", fieldName(e.InstanceLocation), lineOf(root, e.InstanceLocation), e.ErrorKind.LocalizedString(printer))
		if !seen[msg] {
			seen[msg] = true
			out = append(out, msg)
		}
	}
	walk(ve)
	sort.Strings(out)
	return out
}

// normalise converts YAML maps with non-string keys into string-keyed maps.
func normalise(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = normalise(e)
		}
		return t
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[fmt.Sprint(k)] = normalise(e)
		}
		return m
	case []any:
		for i, e := range t {
			t[i] = normalise(e)
		}
		return t
	}
	return v
}

// fieldName renders a JSON pointer as a dotted field path: collections[0].license.
func fieldName(loc []string) string {
	if len(loc) == 0 {
		return "(top level)"
	}
	var b strings.Builder
	for _, p := range loc {
		if _, err := strconv.Atoi(p); err == nil {
			b.WriteString("[" + p + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}

// lineOf returns " (line N)" for the YAML node at the pointer, or "".
func lineOf(root *yaml.Node, loc []string) string {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, p := range loc {
		switch n.Kind {
		case yaml.MappingNode:
			var next *yaml.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == p {
					next = n.Content[i+1]
					break
				}
			}
			if next == nil {
				return fmt.Sprintf(" (line %d)", n.Line)
			}
			n = next
		case yaml.SequenceNode:
			i, err := strconv.Atoi(p)
			if err != nil || i >= len(n.Content) {
				return fmt.Sprintf(" (line %d)", n.Line)
			}
			n = n.Content[i]
		default:
			return fmt.Sprintf(" (line %d)", n.Line)
		}
	}
	return fmt.Sprintf(" (line %d)", n.Line)
}

// Builtin placeholders available in templated strings.
var builtins = map[string]bool{"item": true, "collection": true, "folder": true, "file": true, "stem": true, "ext": true}

var placeholderRE = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// check applies the rules a JSON Schema cannot express.
func (cfg *Config) check(root *yaml.Node) Problems {
	var out Problems
	add := func(loc []string, format string, args ...any) {
		out = append(out, fmt.Sprintf("%s%s: %s", fieldName(loc), lineOf(root, loc), fmt.Sprintf(format, args...)))
	}
	ids := map[string]int{}
	for i := range cfg.Collections {
		c := &cfg.Collections[i]
		at := func(p ...string) []string { return append([]string{"collections", strconv.Itoa(i)}, p...) }
		if j, dup := ids[c.ID]; dup {
			add(at("id"), "duplicate collection id %q (also collections[%d])", c.ID, j)
		}
		ids[c.ID] = i
		if c.IsS3() {
			rest := strings.TrimPrefix(c.Source, "s3://")
			if bucket, _, _ := strings.Cut(rest, "/"); bucket == "" {
				add(at("source"), "s3 source %q has no bucket: write s3://bucket/prefix/", c.Source)
			}
			if c.HrefBase != "" {
				add(at("href_base"), "only for local sources; for S3 set s3.public_url")
			}
		} else if strings.Contains(c.Source, "://") {
			add(at("source"), "unsupported scheme in %q: use s3://bucket/prefix/ or a local folder", c.Source)
		}
		groups := map[string]bool{}
		if c.Items.Pattern != "" {
			re, err := regexp.Compile(c.Items.Pattern)
			if err != nil {
				add(at("items", "pattern"), "%v", err)
			} else {
				c.pattern = re
				for _, n := range re.SubexpNames() {
					if n != "" {
						groups[n] = true
					}
				}
			}
		}
		if c.Items.GroupBy == GroupByPattern {
			if c.Items.Pattern == "" {
				add(at("items", "pattern"), "required when group_by is 'pattern'")
			} else if c.pattern != nil && !groups["id"] {
				add(at("items", "pattern"), "needs a named group (?P<id>...) when group_by is 'pattern'")
			}
		}
		if c.Items.DatetimeFormat != "" && c.pattern != nil && !groups["datetime"] {
			add(at("items", "datetime_format"), "set, but items.pattern has no (?P<datetime>...) group")
		}
		if c.Items.Sidecar != "" && strings.ContainsAny(c.Items.Sidecar, "/\\") {
			add(at("items", "sidecar"), "a file name, not a path: %q", c.Items.Sidecar)
		}
		if c.Datetime != "" {
			t, err := time.Parse(time.RFC3339, c.Datetime)
			if err != nil {
				add(at("datetime"), "not an RFC 3339 date-time: %v", err)
			}
			c.fallback = t.UTC()
		}
		checkPlaceholders := func(loc []string, s string) {
			for _, m := range placeholderRE.FindAllStringSubmatch(s, -1) {
				if !builtins[m[1]] && !groups[m[1]] {
					add(loc, "unknown placeholder {%s}: use {item}, {collection}, {folder}, {file}, {stem}, {ext} or a named group of items.pattern", m[1])
				}
			}
		}
		for _, k := range sortedKeys(c.Properties) {
			walkStrings(c.Properties[k], func(s string) { checkPlaceholders(at("properties", k), s) })
		}
		for j, r := range c.Assets {
			if _, err := path.Match(r.Match, ""); err != nil {
				add(at("assets", strconv.Itoa(j), "match"), "bad glob %q: %v", r.Match, err)
			}
			checkPlaceholders(at("assets", strconv.Itoa(j), "key"), r.Key)
			checkPlaceholders(at("assets", strconv.Itoa(j), "title"), r.Title)
		}
	}
	return out
}

func walkStrings(v any, fn func(string)) {
	switch t := v.(type) {
	case string:
		fn(t)
	case []any:
		for _, e := range t {
			walkStrings(e, fn)
		}
	case map[string]any:
		for _, e := range t {
			walkStrings(e, fn)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Expand replaces {placeholders} in s with vars; unknown ones are kept.
func Expand(s string, vars map[string]string) string {
	if !strings.Contains(s, "{") {
		return s
	}
	return placeholderRE.ReplaceAllStringFunc(s, func(m string) string {
		if v, ok := vars[m[1:len(m)-1]]; ok {
			return v
		}
		return m
	})
}

// ExpandValue applies Expand to every string inside a YAML value.
func ExpandValue(v any, vars map[string]string) any {
	switch t := v.(type) {
	case string:
		return Expand(t, vars)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = ExpandValue(e, vars)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = ExpandValue(e, vars)
		}
		return out
	}
	return v
}
