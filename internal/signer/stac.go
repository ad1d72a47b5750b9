package signer

import (
	"encoding/json"
	"net/http"
	"slices"
	"time"
)

// MaxSTACBody bounds a STAC document sent to /sign/stac (8 MiB), the
// largest request body of any route.
const MaxSTACBody = 8 << 20

// maxSTACDepth bounds the nesting of a STAC document (STAC needs a handful
// of levels; encoding/json allows 10,000).
const maxSTACDepth = 128

// POST /sign/stac: an Item, ItemCollection or Collection comes back with
// every asset href on the managed storage signed (others untouched) and the
// earliest expiry in "expiry" (also in the X-Expiry header).
//
// The document is not decoded into Go values (a map per object, an
// interface per number: an 8 MiB document took ~36 MB that way). It is
// checked with json.Valid, scanned once for the few values that matter (the
// top-level "type" and "expiry", the asset hrefs) and written back with
// those replaced, byte for byte otherwise: the request costs about twice
// its body, and numbers, key order and formatting come back as sent.
func (s *Server) signSTAC(w http.ResponseWriter, r *http.Request) error {
	lifetime, err := s.lifetime("duration", r.URL.Query().Get("duration"))
	if err != nil {
		return err
	}
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	body, release, err := s.readBody(w, r, p, MaxSTACBody)
	defer release()
	if err != nil {
		return err
	}
	if !json.Valid(body) {
		var v json.RawMessage
		err := json.Unmarshal(body, &v) // for the message
		return errorf(http.StatusBadRequest, codeBadRequest, "request body: %v", err)
	}
	doc, err := scanSTAC(body)
	if err != nil {
		return err
	}
	var hrefs []jsonSpan
	switch doc.typ {
	case "Feature", "Collection":
		hrefs = doc.own
	case "FeatureCollection":
		hrefs = doc.features
	default:
		return errorf(http.StatusBadRequest, codeBadRequest, "type %s: want a STAC Item (Feature), ItemCollection (FeatureCollection) or Collection", doc.typRaw)
	}
	if len(hrefs) > s.cfg.BatchLimit {
		return errorf(http.StatusRequestEntityTooLarge, codeTooLarge, "%d assets in one document; the limit is %d", len(hrefs), s.cfg.BatchLimit)
	}
	b := s.batchOf(p, http.MethodGet, lifetime, true)
	var edits []jsonEdit
	for _, sp := range hrefs {
		href, err := sp.str(body)
		if err != nil {
			return errorf(http.StatusBadRequest, codeBadRequest, "request body: %v", err)
		}
		u, err := b.sign(r.Context(), href)
		if err != nil {
			return err
		}
		if u != href {
			edits = append(edits, jsonEdit{span: sp, with: appendJSONString(nil, u)})
		}
	}
	if b.signed > 0 {
		exp := b.expiry.UTC().Format(time.RFC3339)
		w.Header().Set("X-Expiry", exp)
		value := appendJSONString(nil, exp)
		if len(doc.expiry) == 0 { // a new first member
			member := append(append([]byte(`"expiry":`), value...), ',')
			if doc.empty {
				member = member[:len(member)-1]
			}
			edits = append(edits, jsonEdit{span: jsonSpan{doc.open, doc.open}, with: member})
		}
		for _, sp := range doc.expiry {
			edits = append(edits, jsonEdit{span: sp, with: value})
		}
	}
	out := applyEdits(body, edits)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(out) //nolint:gosec // G705: the caller's JSON document (application/json) with signed hrefs, not HTML
	return nil
}

// jsonSpan is a value's bytes [start, end) in a document.
type jsonSpan struct{ start, end int }

// str decodes the JSON string at sp.
func (sp jsonSpan) str(doc []byte) (string, error) {
	raw := doc[sp.start:sp.end]
	plain := true
	for _, c := range raw[1 : len(raw)-1] {
		if c < 0x20 || c >= 0x80 || c == '\\' {
			plain = false
			break
		}
	}
	if plain {
		return string(raw[1 : len(raw)-1]), nil
	}
	var v string
	err := json.Unmarshal(raw, &v)
	return v, err
}

// jsonEdit replaces a span's bytes (an empty span inserts).
type jsonEdit struct {
	span jsonSpan
	with []byte
}

// applyEdits returns doc with the edits (non-overlapping) applied, and a
// final newline.
func applyEdits(doc []byte, edits []jsonEdit) []byte {
	slices.SortFunc(edits, func(a, b jsonEdit) int { return a.span.start - b.span.start })
	n := len(doc) + 1
	for _, e := range edits {
		n += len(e.with) - (e.span.end - e.span.start)
	}
	out := make([]byte, 0, n)
	at := 0
	for _, e := range edits {
		out = append(out, doc[at:e.span.start]...)
		out = append(out, e.with...)
		at = e.span.end
	}
	out = append(out, doc[at:]...)
	for len(out) > 0 && isJSONSpace(out[len(out)-1]) {
		out = out[:len(out)-1]
	}
	return append(out, '\n')
}

// stacScan is what /sign/stac needs from a document.
type stacScan struct {
	typ      string // the top-level "type" when it is a string
	typRaw   string // its JSON text (for messages)
	open     int    // just after the top-level '{'
	empty    bool   // the top-level object has no member
	expiry   []jsonSpan
	own      []jsonSpan // assets.*.href of the top-level object (string values)
	features []jsonSpan // features[*].assets.*.href
}

// scanSTAC finds a valid JSON document's type, expiry and asset hrefs. It
// walks the bytes once without building values; for duplicate keys, the
// last "type" counts (as encoding/json decides), and the hrefs of every
// "assets" are signed.
func scanSTAC(doc []byte) (*stacScan, error) {
	sc := &stacScan{typRaw: "(none)"}
	i := skipSpace(doc, 0)
	if doc[i] != '{' {
		return nil, errorf(http.StatusBadRequest, codeBadRequest, "request body: want a JSON object (a STAC Item, ItemCollection or Collection)")
	}
	if depth := maxDepth(doc); depth > maxSTACDepth {
		return nil, errorf(http.StatusBadRequest, codeBadRequest, "request body: nested %d levels deep; the limit is %d", depth, maxSTACDepth)
	}
	sc.open = i + 1
	sc.empty = doc[skipSpace(doc, i+1)] == '}'
	members(doc, i, func(key []byte, v int) int {
		switch string(key) {
		case "type":
			end := skipValue(doc, v)
			sc.typRaw, sc.typ = string(doc[v:end]), ""
			if doc[v] == '"' {
				sc.typ, _ = jsonSpan{v, end}.str(doc)
			}
			return end
		case "expiry":
			end := skipValue(doc, v)
			sc.expiry = append(sc.expiry, jsonSpan{v, end})
			return end
		case "assets":
			return assetHrefs(doc, v, &sc.own)
		case "features":
			if doc[v] != '[' {
				break
			}
			return elements(doc, v, func(e int) int {
				if doc[e] != '{' {
					return skipValue(doc, e)
				}
				return members(doc, e, func(key []byte, v int) int {
					if string(key) == "assets" {
						return assetHrefs(doc, v, &sc.features)
					}
					return skipValue(doc, v)
				})
			})
		}
		return skipValue(doc, v)
	})
	return sc, nil
}

// assetHrefs appends to dst the spans of the string "href" of each asset
// object of the assets object at v, and returns the offset after it.
func assetHrefs(doc []byte, v int, dst *[]jsonSpan) int {
	if doc[v] != '{' {
		return skipValue(doc, v)
	}
	return members(doc, v, func(_ []byte, a int) int {
		if doc[a] != '{' {
			return skipValue(doc, a)
		}
		return members(doc, a, func(key []byte, h int) int {
			end := skipValue(doc, h)
			if string(key) == "href" && doc[h] == '"' {
				*dst = append(*dst, jsonSpan{h, end})
			}
			return end
		})
	})
}

// The walkers below assume a valid document (json.Valid).

// members calls f for each member of the object at i with its decoded key
// and the offset of its value; f returns the offset just after the value.
// members returns the offset just after the object.
func members(doc []byte, i int, f func(key []byte, v int) int) int {
	i = skipSpace(doc, i+1)
	if doc[i] == '}' {
		return i + 1
	}
	for {
		kEnd := skipString(doc, i)
		key := doc[i+1 : kEnd-1]
		if slices.Contains(key, '\\') {
			k, _ := jsonSpan{i, kEnd}.str(doc)
			key = []byte(k)
		}
		i = skipSpace(doc, kEnd)
		i = skipSpace(doc, i+1) // ':'
		i = skipSpace(doc, f(key, i))
		if doc[i] == '}' {
			return i + 1
		}
		i = skipSpace(doc, i+1) // ','
	}
}

// elements calls f for each element of the array at i; f returns the offset
// just after the element. elements returns the offset just after the array.
func elements(doc []byte, i int, f func(e int) int) int {
	i = skipSpace(doc, i+1)
	if doc[i] == ']' {
		return i + 1
	}
	for {
		i = skipSpace(doc, f(i))
		if doc[i] == ']' {
			return i + 1
		}
		i = skipSpace(doc, i+1) // ','
	}
}

// skipValue returns the offset just after the value at i.
func skipValue(doc []byte, i int) int {
	switch doc[i] {
	case '"':
		return skipString(doc, i)
	case '{', '[':
		depth := 0
		for i < len(doc) {
			switch doc[i] {
			case '"':
				i = skipString(doc, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for i < len(doc) && !isJSONSpace(doc[i]) && doc[i] != ',' && doc[i] != '}' && doc[i] != ']' {
		i++
	}
	return i
}

// skipString returns the offset just after the string starting at i.
func skipString(doc []byte, i int) int {
	for i++; i < len(doc); i++ {
		switch doc[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return i
}

func skipSpace(doc []byte, i int) int {
	for i < len(doc) && isJSONSpace(doc[i]) {
		i++
	}
	return i
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// maxDepth is the document's deepest nesting of objects and arrays.
func maxDepth(doc []byte) int {
	depth, deepest := 0, 0
	for i := 0; i < len(doc); {
		switch doc[i] {
		case '"':
			i = skipString(doc, i)
			continue
		case '{', '[':
			depth++
			deepest = max(deepest, depth)
		case '}', ']':
			depth--
		}
		i++
	}
	return deepest
}
