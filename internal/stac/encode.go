package stac

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Encode returns the canonical encoding of a STAC document: the bytes
// encoding/json's Encoder writes with SetEscapeHTML(false) and
// SetIndent("", "  "): two-space indentation, struct fields in declaration
// order followed by extension fields (Extra) sorted by key, map keys sorted,
// no HTML escaping, a final newline.
//
// The encoder writes those bytes directly. encoding/json would re-compact
// the output of every MarshalJSON (each link and asset) and then re-indent
// the whole document, which cost about a sixth of a build's own CPU time;
// TestEncodeMatchesEncodingJSON proves the bytes identical.
func Encode(doc any) ([]byte, error) {
	e := encoder{b: make([]byte, 0, 8<<10)}
	if err := e.value(doc, 0); err != nil {
		return nil, err
	}
	return append(e.b, '\n'), nil
}

// marshal is MarshalJSON for the types with extension fields: their
// encoding, which encoding/json then compacts (and HTML-escapes if asked).
func marshal(v any) ([]byte, error) {
	e := encoder{}
	err := e.value(v, 0)
	return e.b, err
}

type encoder struct{ b []byte }

// object writes the members of one JSON object at nesting depth.
type object struct {
	e     *encoder
	depth int
	n     int
}

func (e *encoder) open(depth int) object {
	e.b = append(e.b, '{')
	return object{e: e, depth: depth}
}

// key starts a member.
func (o *object) key(k string) {
	if o.n > 0 {
		o.e.b = append(o.e.b, ',')
	}
	o.n++
	o.e.newline(o.depth + 1)
	o.e.str(k)
	o.e.b = append(o.e.b, ':', ' ')
}

// str writes a string member; optStr only when v is not empty (omitempty).
func (o *object) str(k, v string) {
	o.key(k)
	o.e.str(v)
}

func (o *object) optStr(k, v string) {
	if v != "" {
		o.str(k, v)
	}
}

func (o *object) close() {
	if o.n > 0 {
		o.e.newline(o.depth)
	}
	o.e.b = append(o.e.b, '}')
}

// extras writes the members of extra not in known, sorted by key.
func (o *object) extras(extra map[string]any, known map[string]bool) error {
	if len(extra) == 0 {
		return nil
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		if !known[k] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		o.key(k)
		if err := o.e.value(extra[k], o.depth+1); err != nil {
			return err
		}
	}
	return nil
}

func (e *encoder) newline(depth int) {
	e.b = append(e.b, '\n')
	for range depth {
		e.b = append(e.b, ' ', ' ')
	}
}

// array writes n elements at depth, each with elem.
func (e *encoder) array(n, depth int, elem func(i int) error) error {
	e.b = append(e.b, '[')
	for i := range n {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.newline(depth + 1)
		if err := elem(i); err != nil {
			return err
		}
	}
	if n > 0 {
		e.newline(depth)
	}
	e.b = append(e.b, ']')
	return nil
}

func (e *encoder) value(v any, d int) error {
	switch v := v.(type) {
	case nil:
		e.b = append(e.b, "null"...)
	case string:
		e.str(v)
	case bool:
		e.b = strconv.AppendBool(e.b, v)
	case float64:
		return e.float(v, 64)
	case int:
		e.b = strconv.AppendInt(e.b, int64(v), 10)
	case int64:
		e.b = strconv.AppendInt(e.b, v, 10)
	case map[string]any:
		if v == nil {
			return e.null()
		}
		o := e.open(d)
		if err := o.extras(v, nil); err != nil {
			return err
		}
		o.close()
	case []any:
		return list(e, v, d, func(x any) error { return e.value(x, d+1) })
	case []string:
		return list(e, v, d, func(x string) error { e.str(x); return nil })
	case []float64:
		return list(e, v, d, func(x float64) error { return e.float(x, 64) })
	case []int:
		return list(e, v, d, func(x int) error { e.b = strconv.AppendInt(e.b, int64(x), 10); return nil })
	case [2]float64:
		return e.position(v, d)
	case [][2]float64: // footprint rings
		return e.ring(v, d)
	case [][][2]float64: // polygons
		return list(e, v, d, func(r [][2]float64) error { return e.ring(r, d+1) })
	case [][][][2]float64: // multipolygons
		return list(e, v, d, func(p [][][2]float64) error {
			return list(e, p, d+1, func(r [][2]float64) error { return e.ring(r, d+2) })
		})
	case *Item:
		return ptr(e, v, func(it *Item) error { return e.item(it, d) })
	case Item:
		return e.item(&v, d)
	case *Asset:
		return ptr(e, v, func(a *Asset) error { return e.asset(a, d) })
	case Asset:
		return e.asset(&v, d)
	case *Link:
		return ptr(e, v, func(l *Link) error { return e.link(l, d) })
	case Link:
		return e.link(&v, d)
	case *Collection:
		return ptr(e, v, func(c *Collection) error { return e.withExtra(reflect.ValueOf(*c), c.Extra, d) })
	case Collection:
		return e.withExtra(reflect.ValueOf(v), v.Extra, d)
	case *Catalog:
		return ptr(e, v, func(c *Catalog) error { return e.withExtra(reflect.ValueOf(*c), c.Extra, d) })
	case Catalog:
		return e.withExtra(reflect.ValueOf(v), v.Extra, d)
	default:
		return e.reflect(reflect.ValueOf(v), d)
	}
	return nil
}

func (e *encoder) null() error {
	e.b = append(e.b, "null"...)
	return nil
}

// list writes l at depth d (null when nil), each element with elem.
func list[T any](e *encoder, l []T, d int, elem func(T) error) error {
	if l == nil {
		return e.null()
	}
	return e.array(len(l), d, func(i int) error { return elem(l[i]) })
}

// ptr writes null for a nil p, else f(p).
func ptr[T any](e *encoder, p *T, f func(*T) error) error {
	if p == nil {
		return e.null()
	}
	return f(p)
}

func (e *encoder) position(p [2]float64, d int) error {
	return e.array(2, d, func(i int) error { return e.float(p[i], 64) })
}

func (e *encoder) ring(r [][2]float64, d int) error {
	return list(e, r, d, func(p [2]float64) error { return e.position(p, d+1) })
}

var (
	itemAssetFields = map[string]bool{"href": true, "type": true, "title": true, "description": true, "roles": true}
	linkFields      = map[string]bool{"rel": true, "href": true, "type": true, "title": true}
)

func (e *encoder) item(it *Item, d int) error {
	o := e.open(d)
	o.str("type", it.Type)
	o.str("stac_version", it.StacVersion)
	o.key("stac_extensions")
	if err := e.value(it.StacExtensions, d+1); err != nil {
		return err
	}
	o.str("id", it.ID)
	o.key("geometry")
	if err := e.value(it.Geometry, d+1); err != nil {
		return err
	}
	if len(it.BBox) > 0 {
		o.key("bbox")
		if err := e.value(it.BBox, d+1); err != nil {
			return err
		}
	}
	o.key("properties")
	if err := e.value(it.Properties, d+1); err != nil {
		return err
	}
	o.key("links")
	if err := list(e, it.Links, d+1, func(l Link) error { return e.link(&l, d+2) }); err != nil {
		return err
	}
	o.key("assets")
	if it.Assets == nil {
		e.b = append(e.b, "null"...)
	} else {
		keys := make([]string, 0, len(it.Assets))
		for k := range it.Assets {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		a := e.open(d + 1)
		for _, k := range keys {
			a.key(k)
			if err := e.value(it.Assets[k], d+2); err != nil {
				return err
			}
		}
		a.close()
	}
	o.optStr("collection", it.Collection)
	o.close()
	return nil
}

func (e *encoder) link(l *Link, d int) error {
	o := e.open(d)
	o.str("rel", l.Rel)
	o.str("href", l.Href)
	o.optStr("type", l.Type)
	o.optStr("title", l.Title)
	if err := o.extras(l.Extra, linkFields); err != nil {
		return err
	}
	o.close()
	return nil
}

func (e *encoder) asset(a *Asset, d int) error {
	o := e.open(d)
	o.str("href", a.Href)
	o.optStr("type", a.Type)
	o.optStr("title", a.Title)
	o.optStr("description", a.Description)
	if len(a.Roles) > 0 {
		o.key("roles")
		if err := e.value(a.Roles, d+1); err != nil {
			return err
		}
	}
	if err := o.extras(a.Extra, itemAssetFields); err != nil {
		return err
	}
	o.close()
	return nil
}

// withExtra writes the struct v's fields, then its extension fields.
func (e *encoder) withExtra(v reflect.Value, extra map[string]any, d int) error {
	fs, ok := structFields(v.Type())
	if !ok {
		return fmt.Errorf("stac: cannot encode %s", v.Type())
	}
	o := e.open(d)
	if err := e.fields(&o, v, fs); err != nil {
		return err
	}
	if err := o.extras(extra, fs.names); err != nil {
		return err
	}
	o.close()
	return nil
}

func (e *encoder) fields(o *object, v reflect.Value, fs *fieldList) error {
	for _, f := range fs.list {
		fv := v.Field(f.index)
		if f.omitEmpty && isEmpty(fv) {
			continue
		}
		o.key(f.name)
		if err := e.reflect(fv, o.depth+1); err != nil {
			return err
		}
	}
	return nil
}

var (
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
	numberType        = reflect.TypeFor[json.Number]()
	// ownTypes are encoded by value's cases, MarshalJSON or not.
	ownTypes = map[reflect.Type]bool{}
)

func init() {
	for _, v := range []any{Item{}, Asset{}, Link{}, Collection{}, Catalog{}} {
		t := reflect.TypeOf(v)
		ownTypes[t], ownTypes[reflect.PointerTo(t)] = true, true
	}
}

// reflect writes any other value as encoding/json would.
func (e *encoder) reflect(v reflect.Value, d int) error {
	if !v.IsValid() {
		return e.null()
	}
	t := v.Type()
	if ownTypes[t] {
		return e.value(v.Interface(), d)
	}
	if t == numberType || t.Implements(marshalerType) || t.Implements(textMarshalerType) ||
		reflect.PointerTo(t).Implements(marshalerType) || reflect.PointerTo(t).Implements(textMarshalerType) {
		if v.CanAddr() {
			v = v.Addr()
		}
		return e.fallback(v, d)
	}
	switch v.Kind() {
	case reflect.String:
		e.str(v.String())
	case reflect.Bool:
		e.b = strconv.AppendBool(e.b, v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.b = strconv.AppendInt(e.b, v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		e.b = strconv.AppendUint(e.b, v.Uint(), 10)
	case reflect.Float32:
		return e.float(v.Float(), 32)
	case reflect.Float64:
		return e.float(v.Float(), 64)
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			return e.null()
		}
		if v.Kind() == reflect.Interface {
			return e.value(v.Elem().Interface(), d)
		}
		return e.reflect(v.Elem(), d)
	case reflect.Slice:
		if v.IsNil() {
			return e.null()
		}
		if t.Elem().Kind() == reflect.Uint8 {
			return e.fallback(v, d) // base64
		}
		return e.array(v.Len(), d, func(i int) error { return e.reflect(v.Index(i), d+1) })
	case reflect.Array:
		return e.array(v.Len(), d, func(i int) error { return e.reflect(v.Index(i), d+1) })
	case reflect.Map:
		if t.Key() != reflect.TypeFor[string]() {
			return e.fallback(v, d)
		}
		if v.IsNil() {
			return e.null()
		}
		keys := make([]string, 0, v.Len())
		for it := v.MapRange(); it.Next(); {
			keys = append(keys, it.Key().String())
		}
		slices.Sort(keys)
		o := e.open(d)
		for _, k := range keys {
			o.key(k)
			if err := e.reflect(v.MapIndex(reflect.ValueOf(k)), d+1); err != nil {
				return err
			}
		}
		o.close()
	case reflect.Struct:
		fs, ok := structFields(t)
		if !ok {
			return e.fallback(v, d)
		}
		o := e.open(d)
		if err := e.fields(&o, v, fs); err != nil {
			return err
		}
		o.close()
	default:
		return e.fallback(v, d)
	}
	return nil
}

// fallback lets encoding/json encode what this encoder does not know, then
// indents it in place.
func (e *encoder) fallback(v reflect.Value, d int) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v.Interface()); err != nil {
		return err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, bytes.TrimSuffix(buf.Bytes(), []byte("\n")), strings.Repeat("  ", d), "  "); err != nil {
		return err
	}
	e.b = append(e.b, out.Bytes()...)
	return nil
}

type field struct {
	name      string
	index     int
	omitEmpty bool
}

type fieldList struct {
	list  []field
	names map[string]bool
}

var fieldCache sync.Map // reflect.Type → *fieldList (nil: not supported)

// structFields returns the encoded fields of a struct type, or false when
// the type uses what this encoder leaves to encoding/json (embedded fields,
// the string and omitzero options).
func structFields(t reflect.Type) (*fieldList, bool) {
	if c, ok := fieldCache.Load(t); ok {
		fs := c.(*fieldList)
		return fs, fs != nil
	}
	fs := &fieldList{names: map[string]bool{}}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			fs = nil
			break
		}
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		omit := false
		for o := range strings.SplitSeq(opts, ",") {
			switch o {
			case "omitempty":
				omit = true
			case "":
			default: // string, omitzero
				fs = nil
			}
		}
		if fs == nil {
			break
		}
		fs.list = append(fs.list, field{name: name, index: i, omitEmpty: omit})
		fs.names[name] = true
	}
	fieldCache.Store(t, fs)
	return fs, fs != nil
}

// isEmpty is encoding/json's notion of empty for omitempty.
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	return false
}

// float writes f as encoding/json does (ES6 number formatting).
func (e *encoder) float(f float64, bits int) error {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return fmt.Errorf("json: unsupported value: %s", strconv.FormatFloat(f, 'g', -1, bits))
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21)) {
		format = 'e'
	}
	e.b = strconv.AppendFloat(e.b, f, format, -1, bits)
	if format == 'e' {
		// e-09 → e-9
		n := len(e.b)
		if n >= 4 && e.b[n-4] == 'e' && e.b[n-3] == '-' && e.b[n-2] == '0' {
			e.b[n-2] = e.b[n-1]
			e.b = e.b[:n-1]
		}
	}
	return nil
}

const hexDigits = "0123456789abcdef"

// str writes s as a JSON string, escaped as encoding/json does without
// HTML escaping.
func (e *encoder) str(s string) {
	b := append(e.b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	e.b = append(b, '"')
}
