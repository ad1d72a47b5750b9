package geoparquet

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/parquet-go/parquet-go"
)

// kind is the Parquet type inferred for a property or asset field from all
// of a collection's values.
type kind uint8

const (
	kNone    kind = iota // only nulls so far
	kBool                // BOOLEAN
	kInt                 // INT64
	kFloat               // DOUBLE
	kString              // STRING
	kTime                // TIMESTAMP(MICROS, UTC): RFC 3339 strings
	kStrings             // LIST<STRING>
	kJSON                // JSON text: objects, mixed lists, mixed types
)

// kindOf is the kind of one value, as the catalog builds it (Go types) or
// as JSON decodes it.
func kindOf(v any) kind {
	switch t := v.(type) {
	case nil:
		return kNone
	case bool:
		return kBool
	case int, int32, int64:
		return kInt
	case float64:
		if t == math.Trunc(t) && math.Abs(t) < 1<<53 {
			return kInt
		}
		return kFloat
	case float32:
		return kFloat
	case string:
		if _, err := time.Parse(time.RFC3339Nano, t); err == nil {
			return kTime
		}
		return kString
	case []string:
		return kStrings
	case []any:
		for _, e := range t {
			if _, ok := e.(string); !ok {
				return kJSON
			}
		}
		return kStrings
	}
	return kJSON
}

// merge is the kind holding both: integers widen to doubles, times that
// meet other strings become strings, anything else becomes JSON.
func merge(a, b kind) kind {
	switch {
	case a == kNone:
		return b
	case b == kNone, a == b:
		return a
	case a == kInt && b == kFloat, a == kFloat && b == kInt:
		return kFloat
	case a == kTime && b == kString, a == kString && b == kTime:
		return kString
	}
	return kJSON
}

func (k kind) node() parquet.Node {
	switch k {
	case kBool:
		return parquet.Optional(parquet.Leaf(parquet.BooleanType))
	case kInt:
		return parquet.Optional(parquet.Leaf(parquet.Int64Type))
	case kFloat:
		return parquet.Optional(parquet.Leaf(parquet.DoubleType))
	case kTime:
		return parquet.Optional(parquet.Timestamp(parquet.Microsecond))
	case kStrings:
		return parquet.Optional(parquet.List(parquet.String()))
	case kJSON, kNone:
		return parquet.Optional(parquet.JSON())
	}
	return parquet.Optional(parquet.String())
}

// value converts a decoded JSON value to the Go value the column takes.
func (k kind) value(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch k {
	case kBool:
		b, ok := v.(bool)
		if !ok {
			return nil, fmt.Errorf("%v is not a boolean", v)
		}
		return &b, nil
	case kInt:
		f, ok := v.(float64)
		if !ok {
			return nil, fmt.Errorf("%v is not a number", v)
		}
		i := int64(f)
		return &i, nil
	case kFloat:
		f, ok := v.(float64)
		if !ok {
			return nil, fmt.Errorf("%v is not a number", v)
		}
		return &f, nil
	case kTime:
		s, _ := v.(string)
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, fmt.Errorf("%v is not an RFC 3339 time", v)
		}
		t = t.UTC()
		return &t, nil
	case kString:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("%v is not a string", v)
		}
		return &s, nil
	case kStrings:
		list, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("%v is not a list", v)
		}
		out := make([]string, len(list))
		for i, e := range list {
			out[i], _ = e.(string)
		}
		return out, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	s := string(b)
	return &s, nil
}
