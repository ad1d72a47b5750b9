package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os/exec"
	"strconv"
	"strings"
)

// row is one result row of `sqlite3 -json`: column name → value (string,
// json.Number or nil).
type row map[string]any

// query runs one SQL statement on the database through the sqlite3
// command-line tool (read-only) and decodes its JSON output. sqlite3 prints
// REAL values with enough digits to round-trip a float64.
func query(db, sql string) ([]row, error) {
	cmd := exec.Command("sqlite3", "-readonly", "-json", db, sql) //nolint:gosec // G204: the developer's -db flag and the generator's own queries, read-only
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("sqlite3 %s: %v: %s\nquery: %s", db, err, strings.TrimSpace(stderr.String()), sql)
	}
	out = bytes.TrimSpace(out)
	if len(out) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.UseNumber()
	var rows []row
	if err := dec.Decode(&rows); err != nil {
		return nil, fmt.Errorf("decoding sqlite3 output: %v\nquery: %s", err, sql)
	}
	return rows, nil
}

func (r row) null(k string) bool {
	v, ok := r[k]
	return !ok || v == nil
}

func (r row) str(k string) string {
	switch v := r[k].(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return v.String()
	}
	panic(fmt.Sprintf("column %s: unexpected %T", k, r[k]))
}

func (r row) int(k string) int {
	s := r.str(k)
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		panic(fmt.Sprintf("column %s: %q is not an integer", k, s))
	}
	return n
}

// float returns a REAL column, NaN when NULL.
func (r row) float(k string) float64 {
	s := r.str(k)
	if s == "" {
		return math.NaN()
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		panic(fmt.Sprintf("column %s: %q is not a number", k, s))
	}
	return f
}
