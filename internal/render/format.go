package render

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"gitlab.com/eocat/eocat/internal/crs"
)

// Prop is one row of a properties or summaries table.
type Prop struct {
	Key   string // the STAC field name
	Label string // a readable name
	Value string // the value in human units
	Title string // the exact value, when Value rounds or reformats it
}

// field describes how a well-known STAC field reads.
type field struct {
	label string
	unit  string // appended to numbers ("m", "%", "°")
	order int
}

var fields = map[string]field{
	"datetime":                              {"Date and time", "", 1},
	"start_datetime":                        {"Start", "", 2},
	"end_datetime":                          {"End", "", 3},
	"platform":                              {"Platform", "", 10},
	"constellation":                         {"Constellation", "", 11},
	"mission":                               {"Mission", "", 12},
	"instruments":                           {"Instruments", "", 13},
	"gsd":                                   {"Ground sample distance", "m", 20},
	"proj:code":                             {"Coordinate reference system", "", 21},
	"proj:epsg":                             {"Coordinate reference system", "", 21},
	"eo:cloud_cover":                        {"Cloud cover", "%", 30},
	"eo:snow_cover":                         {"Snow cover", "%", 31},
	"view:off_nadir":                        {"Off-nadir angle", "°", 40},
	"view:incidence_angle":                  {"Incidence angle", "°", 41},
	"view:azimuth":                          {"Viewing azimuth", "°", 42},
	"view:sun_azimuth":                      {"Sun azimuth", "°", 43},
	"view:sun_elevation":                    {"Sun elevation", "°", 44},
	"sat:orbit_state":                       {"Orbit direction", "", 50},
	"sat:relative_orbit":                    {"Relative orbit", "", 51},
	"sat:absolute_orbit":                    {"Absolute orbit", "", 52},
	"sat:platform_international_designator": {"International designator", "", 53},
	"s2:mgrs_tile":                          {"MGRS tile", "", 60},
	"processing:level":                      {"Processing level", "", 61},
	"product_type":                          {"Product type", "", 62},
	"sar:instrument_mode":                   {"SAR instrument mode", "", 63},
	"sar:polarizations":                     {"Polarizations", "", 64},
	"created":                               {"Created", "", 90},
	"updated":                               {"Updated", "", 91},
	"license":                               {"Licence", "", 92},
}

// hiddenProps are shown elsewhere on the page, or are machine-only.
var hiddenProps = map[string]bool{"title": true, "description": true, "auth:schemes": true, "bands": true}

// fieldOrder lists the keys of m in a stable, readable order: well-known
// fields first, then the others by name; skip leaves some out.
func fieldOrder(m map[string]any, skip map[string]bool) []string {
	type entry struct {
		key   string
		order int
	}
	es := make([]entry, 0, len(m))
	for k := range m {
		if !skip[k] {
			es = append(es, entry{k, orderOf(k)})
		}
	}
	slices.SortFunc(es, func(a, b entry) int {
		if a.order != b.order {
			return a.order - b.order
		}
		return strings.Compare(a.key, b.key)
	})
	keys := make([]string, len(es))
	for i, e := range es {
		keys[i] = e.key
	}
	return keys
}

// props lists properties in fieldOrder.
func props(m map[string]any) []Prop {
	keys := fieldOrder(m, hiddenProps)
	out := make([]Prop, 0, len(keys))
	for _, k := range keys {
		out = append(out, prop(k, m[k]))
	}
	return out
}

// maybeRFC3339 is false for strings that time.Parse(time.RFC3339Nano, s)
// certainly refuses (shorter than "2006-01-02T15:04:05Z", no dashes after
// the year and month): most properties, whose failed parse would allocate
// its error.
func maybeRFC3339(s string) bool { return len(s) >= 20 && s[4] == '-' && s[7] == '-' }

func orderOf(k string) int {
	if f, ok := fields[k]; ok {
		return f.order
	}
	return 1000
}

func label(k string) string {
	if f, ok := fields[k]; ok {
		return f.label
	}
	return k
}

// prop formats one property.
func prop(k string, v any) Prop {
	p := Prop{Key: k, Label: label(k)}
	unit := fields[k].unit
	if unit == "" && (strings.HasSuffix(k, "_percentage") || strings.HasSuffix(k, ":cloud_cover") || strings.HasSuffix(k, "_cover")) {
		unit = "%"
	}
	switch k {
	case "proj:code":
		if s, ok := v.(string); ok {
			p.Value = crsText(s)
			return p
		}
	case "proj:epsg":
		if f, ok := number(v); ok {
			p.Value = crsText(fmt.Sprintf("EPSG:%d", int(f)))
			return p
		}
	}
	if s, ok := v.(string); ok && maybeRFC3339(s) {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			p.Value, p.Title = humanTime(t), s
			return p
		}
	}
	if f, ok := number(v); ok && unit != "" {
		p.Value = formatNumber(f) + sep(unit) + unit
		return p
	}
	p.Value = text(v)
	return p
}

func sep(unit string) string {
	if unit == "°" {
		return ""
	}
	return " "
}

// crsText is "EPSG:32631 (WGS 84 / UTM zone 31N)" when the name is known.
func crsText(code string) string {
	n, err := strconv.Atoi(strings.TrimPrefix(code, "EPSG:"))
	if err != nil || !strings.HasPrefix(code, "EPSG:") {
		return code
	}
	if name := crs.Name(n); name != "" {
		return code + " (" + name + ")"
	}
	return code
}

// humanTime reads like "15 June 2024, 10:36:29 UTC".
func humanTime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond() != 0 {
		return t.Format("2 January 2006, 15:04:05.000 UTC")
	}
	return t.Format("2 January 2006, 15:04:05 UTC")
}

// humanDate reads like "15 June 2024".
func humanDate(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return t.UTC().Format("2 January 2006")
}

// number reads a JSON-like number.
func number(v any) (float64, bool) {
	switch t := v.(type) {
	case float64:
		return t, true
	case float32:
		return float64(t), true
	case int:
		return float64(t), true
	case int64:
		return float64(t), true
	case json.Number:
		f, err := t.Float64()
		return f, err == nil
	}
	return 0, false
}

// formatNumber prints at most 6 significant digits, without exponent for
// ordinary magnitudes.
func formatNumber(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', 6, 64)
}

// text is a compact human rendering of any JSON value.
func text(v any) string {
	switch t := v.(type) {
	case nil:
		return "—"
	case string:
		return t
	case bool:
		if t {
			return "yes"
		}
		return "no"
	case []string:
		return strings.Join(t, ", ")
	case []any:
		parts := make([]string, len(t))
		for i, e := range t {
			parts[i] = text(e)
		}
		return strings.Join(parts, ", ")
	}
	if f, ok := number(v); ok {
		return formatNumber(f)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// HumanSize reads like "12.4 MB" (SI units, as file managers show them).
func HumanSize(n float64) string {
	units := []string{"B", "kB", "MB", "GB", "TB", "PB"}
	i := 0
	for n >= 1000 && i < len(units)-1 {
		n /= 1000
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%d B", int64(n))
	}
	return strconv.FormatFloat(n, 'f', 1, 64) + " " + units[i]
}

// mediaTypes names the usual asset media types.
var mediaTypes = map[string]string{
	"image/tiff; application=geotiff; profile=cloud-optimized": "Cloud-optimized GeoTIFF",
	"image/tiff; application=geotiff":                          "GeoTIFF",
	"image/tiff":                                               "TIFF",
	"image/jp2":                                                "JPEG 2000",
	"image/png":                                                "PNG",
	"image/jpeg":                                               "JPEG",
	"application/json":                                         "JSON",
	"application/geo+json":                                     "GeoJSON",
	"application/xml":                                          "XML",
	"text/xml":                                                 "XML",
	"text/plain":                                               "Text",
	"text/html":                                                "HTML",
	"application/pdf":                                          "PDF",
	"application/x-netcdf":                                     "NetCDF",
	"application/netcdf":                                       "NetCDF",
	"application/x-hdf5":                                       "HDF5",
	"application/zip":                                          "ZIP",
	"application/vnd.apache.parquet":                           "Parquet",
	"application/vnd+zarr":                                     "Zarr",
	"application/vnd.laszip+copc":                              "COPC",
	"application/x-parquet":                                    "Parquet",
	"application/vnd.google-earth.kml+xml":                     "KML",
}

func mediaName(t string) string {
	if n, ok := mediaTypes[strings.ToLower(t)]; ok {
		return n
	}
	return t
}

// isRaster tells whether GDAL is the natural tool for a media type.
func isRaster(t string) bool {
	t = strings.ToLower(t)
	return strings.HasPrefix(t, "image/tiff") || t == "image/jp2" || strings.Contains(t, "netcdf") || strings.Contains(t, "hdf")
}

// safeURL returns href when it may become a link or an image source: an
// absolute http(s) URL, or a relative reference without a scheme. Anything
// else (javascript:, data:, s3:// …) returns "".
func safeURL(href string) string {
	if p, ok := inspectHref(href); ok && p.safe {
		return href
	}
	return ""
}

// origin of an absolute http(s) URL ("https://host:port"), or "".
func origin(href string) string {
	if !strings.HasPrefix(href, "http") {
		return ""
	}
	p, ok := inspectHref(href)
	if !ok || (p.scheme != "http" && p.scheme != "https") || p.host == "" {
		return ""
	}
	return p.scheme + "://" + p.host
}

// hrefParts is what the pages need of an href: its scheme, host and
// (decoded) path as url.Parse gives them, whether it may become a link
// (safeURL) and whether it is relative (safe, and without a scheme).
type hrefParts struct {
	scheme, host, path string
	safe, relative     bool
}

// inspectHref parses href once: plain relative paths, and http(s) or s3
// URLs with a plain host and path, without url.Parse (what it would give:
// TestInspectHrefMatchesURLParsing). False when href does not parse.
func inspectHref(href string) (hrefParts, bool) {
	if plainPath(href) {
		return hrefParts{path: href, safe: true, relative: true}, true
	}
	if scheme, host, path, ok := plainAbsolute(href); ok {
		return hrefParts{scheme: scheme, host: host, path: path, safe: scheme != "s3"}, true
	}
	u, err := url.Parse(href)
	if err != nil {
		return hrefParts{}, false
	}
	p := hrefParts{scheme: u.Scheme, host: u.Host, path: u.Path}
	if !strings.ContainsAny(href, "\x00\r\n\t") {
		switch strings.ToLower(u.Scheme) {
		case "http", "https":
			p.safe = u.Host != "" && u.User == nil
		case "":
			p.safe = href != "" && u.Host == "" && !strings.HasPrefix(href, "//") && !strings.HasPrefix(href, "\\")
		}
	}
	p.relative = p.safe && u.Scheme == ""
	return p, true
}

// plainAbsolute splits http://, https:// and s3:// URLs whose host is
// letters, digits, '.' and '-' (with an optional port) and whose path is a
// plainPath: nothing in them is escaped or special, so url.Parse would
// give the same scheme, host and path.
func plainAbsolute(href string) (scheme, host, path string, ok bool) {
	switch {
	case strings.HasPrefix(href, "https://"):
		scheme = "https"
	case strings.HasPrefix(href, "http://"):
		scheme = "http"
	case strings.HasPrefix(href, "s3://"):
		scheme = "s3"
	default:
		return "", "", "", false
	}
	rest := href[len(scheme)+3:]
	slash := strings.IndexByte(rest, '/')
	if slash <= 0 || strings.HasPrefix(rest[slash+1:], "./") || !plainPath(rest[slash+1:]) {
		return "", "", "", false
	}
	host = rest[:slash]
	colon := -1
	for i := 0; i < len(host); i++ {
		c := host[i]
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-':
			if colon >= 0 && !('0' <= c && c <= '9') {
				return "", "", "", false
			}
		case c == ':' && colon < 0 && i > 0:
			colon = i
		default:
			return "", "", "", false
		}
	}
	if colon == len(host)-1 {
		return "", "", "", false
	}
	return scheme, host, rest[slash:], true
}

// degrees formats a latitude or longitude with its hemisphere.
func degrees(v float64, pos, neg string) string {
	h := pos
	if v < 0 {
		h, v = neg, -v
	}
	return strconv.FormatFloat(v, 'f', 2, 64) + "°" + h
}

// bboxText reads like "43.21°N to 44.10°N, 3.05°E to 4.42°E".
func bboxText(b []float64) string {
	if len(b) < 4 {
		return ""
	}
	w, s, e, n := b[0], b[1], b[2], b[3]
	if len(b) == 6 {
		w, s, e, n = b[0], b[1], b[3], b[4]
	}
	out := degrees(s, "N", "S") + " to " + degrees(n, "N", "S") + ", " + degrees(w, "E", "W") + " to " + degrees(e, "E", "W")
	if w > e {
		out += " (across the antimeridian)"
	}
	return out
}

// intervalText reads like "15 June 2024 to 12 July 2024", with open ends.
func intervalText(start, end *string) string {
	s, e := "open start", "open end"
	if start != nil {
		s = humanDate(*start)
	}
	if end != nil {
		e = humanDate(*end)
	}
	if s == e {
		return s
	}
	return s + " to " + e
}

// plainPath reports whether s is a relative path that URL parsing and
// resolution leave as it is: letters, digits and "._~-" in segments
// separated by single slashes, no "." or ".." segment except a leading
// "./", not starting with a slash. It is the fast path of inspectHref and
// link, which otherwise parse (most hrefs of a catalog are like this).
func plainPath(s string) bool {
	s = strings.TrimPrefix(s, "./")
	if s == "" || s[0] == '/' {
		return false
	}
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '/' {
			if seg := s[start:i]; seg == "" && i < len(s) || seg == "." || seg == ".." {
				return false
			}
			start = i + 1
			continue
		}
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '~' || c == '-') {
			return false
		}
	}
	return true
}
