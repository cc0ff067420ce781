package sqlite

import (
	"bytes"
	"database/sql/driver"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	sqlite3 "modernc.org/sqlite"

	"github.com/floe-db/floe/internal/sqlerr"
)

// JSON functions. PostgreSQL knows which arguments are json; SQLite
// hands a function texts. A text that is a JSON object or array (what
// json_build_object and the others return) is taken as JSON and embedded
// as it is, any other text as a JSON string; integers and reals are JSON
// numbers (booleans, stored as 0/1, are numbers too). The json_* forms
// print as PostgreSQL's json does ('{"a" : 1}', '[1, 2]'), the jsonb_*
// forms as jsonb does (keys ordered and unique, '{"a": 1}').

func pgJSONScalars() []pgScalar {
	return []pgScalar{
		{"json_build_object", -1, true, func(a []driver.Value) (driver.Value, error) { return buildObject(a, false) }},
		{"jsonb_build_object", -1, true, func(a []driver.Value) (driver.Value, error) { return buildObject(a, true) }},
		{"json_build_array", -1, true, func(a []driver.Value) (driver.Value, error) { return buildArray(a, false), nil }},
		{"jsonb_build_array", -1, true, func(a []driver.Value) (driver.Value, error) { return buildArray(a, true), nil }},
		{"to_json", 1, true, func(a []driver.Value) (driver.Value, error) { return toJSON(a[0], false), nil }},
		{"to_jsonb", 1, true, func(a []driver.Value) (driver.Value, error) { return toJSON(a[0], true), nil }},
	}
}

// pgAggregate is an aggregate function: its arguments and a maker of one
// evaluation's state.
type pgAggregate struct {
	nargs int32
	make  func(sqlite3.FunctionContext) (sqlite3.AggregateFunction, error)
}

func pgAggregates() map[string]pgAggregate {
	return map[string]pgAggregate{
		"json_agg":        {1, func(sqlite3.FunctionContext) (sqlite3.AggregateFunction, error) { return &jsonAgg{}, nil }},
		"jsonb_agg":       {1, func(sqlite3.FunctionContext) (sqlite3.AggregateFunction, error) { return &jsonAgg{jsonb: true}, nil }},
		"json_object_agg": {2, func(sqlite3.FunctionContext) (sqlite3.AggregateFunction, error) { return &jsonAgg{object: true}, nil }},
		"jsonb_object_agg": {2, func(sqlite3.FunctionContext) (sqlite3.AggregateFunction, error) {
			return &jsonAgg{object: true, jsonb: true}, nil
		}},
		"floe_numeric_sum": {1, func(sqlite3.FunctionContext) (sqlite3.AggregateFunction, error) { return &numericSum{}, nil }},
	}
}

// jsonValue is a value as a JSON text (for jsonb, normalized).
func jsonValue(v driver.Value, jsonb bool) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		s := floatText(x)
		if s == "NaN" || strings.HasSuffix(s, "Infinity") {
			return strconv.Quote(s)
		}
		return s
	}
	s, _ := textOf(v)
	if t := strings.TrimSpace(s); len(t) > 0 && (t[0] == '{' || t[0] == '[') && json.Valid([]byte(t)) {
		if jsonb {
			return jsonbText(t)
		}
		return t
	}
	return jsonString(s)
}

// jsonString quotes s as a JSON string as PostgreSQL does (no HTML
// escaping).
func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// jsonText renders Go values (strings, nil) as a jsonb-style array or
// value text.
func jsonText(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return jsonString(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = jsonText(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return "null"
}

// jsonbText prints a JSON text as jsonb shows it: ", " and ": "
// separators, object keys ordered (shorter first, then bytewise) and
// unique (the last wins).
func jsonbText(t string) string {
	dec := json.NewDecoder(strings.NewReader(t))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return t
	}
	var b strings.Builder
	writeJSONB(&b, v)
	return b.String()
}

func writeJSONB(b *strings.Builder, v any) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sortJSONBKeys(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(jsonString(k))
			b.WriteString(": ")
			writeJSONB(b, x[k])
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writeJSONB(b, e)
		}
		b.WriteByte(']')
	case string:
		b.WriteString(jsonString(x))
	case json.Number:
		b.WriteString(x.String())
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case nil:
		b.WriteString("null")
	}
}

// sortJSONBKeys orders keys as jsonb stores them: shorter first, then
// bytewise.
func sortJSONBKeys(keys []string) {
	slices.SortFunc(keys, func(a, b string) int {
		if len(a) != len(b) {
			return len(a) - len(b)
		}
		return strings.Compare(a, b)
	})
}

// objectText prints key/value pairs (keys already JSON strings) as json
// or jsonb shows an object.
func objectText(keys, vals []string, jsonb, agg bool) string {
	if jsonb {
		idx := map[string]int{}
		var order []string
		for i, k := range keys {
			if _, seen := idx[k]; !seen {
				order = append(order, k)
			}
			idx[k] = i
		}
		slices.SortFunc(order, func(a, b string) int {
			ua, _ := strconv.Unquote(a)
			ub, _ := strconv.Unquote(b)
			if len(ua) != len(ub) {
				return len(ua) - len(ub)
			}
			return strings.Compare(ua, ub)
		})
		parts := make([]string, len(order))
		for i, k := range order {
			parts[i] = k + ": " + vals[idx[k]]
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	parts := make([]string, len(keys))
	for i := range keys {
		parts[i] = keys[i] + " : " + vals[i]
	}
	if agg {
		return "{ " + strings.Join(parts, ", ") + " }"
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// buildObject is json_build_object(k1, v1, ...).
func buildObject(args []driver.Value, jsonb bool) (driver.Value, error) {
	name := "json_build_object"
	if jsonb {
		name = "jsonb_build_object"
	}
	if len(args)%2 != 0 {
		return nil, funcError(sqlerr.InvalidParameterValue, "argument list must have even number of elements")
	}
	keys := make([]string, 0, len(args)/2)
	vals := make([]string, 0, len(args)/2)
	for i := 0; i < len(args); i += 2 {
		k, ok := textOf(args[i])
		if !ok {
			return nil, funcError(sqlerr.InvalidParameterValue, "%s: argument %d: key must not be null", name, i+1)
		}
		keys = append(keys, jsonString(k))
		vals = append(vals, jsonValue(args[i+1], jsonb))
	}
	return objectText(keys, vals, jsonb, false), nil
}

// buildArray is json_build_array(v1, ...).
func buildArray(args []driver.Value, jsonb bool) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = jsonValue(a, jsonb)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// toJSON is to_json(v): NULL stays NULL.
func toJSON(v driver.Value, jsonb bool) driver.Value {
	if v == nil {
		return nil
	}
	return jsonValue(v, jsonb)
}

// jsonAgg is json_agg(v) (an array of the values, NULLs as null) or
// json_object_agg(k, v); NULL over no rows.
type jsonAgg struct {
	object, jsonb bool
	keys, vals    []string
}

func (a *jsonAgg) Step(_ *sqlite3.FunctionContext, args []driver.Value) error {
	if a.object {
		k, ok := textOf(args[0])
		if !ok {
			return funcError(sqlerr.InvalidParameterValue, "field name must not be null")
		}
		a.keys = append(a.keys, jsonString(k))
		a.vals = append(a.vals, jsonValue(args[1], a.jsonb))
		return nil
	}
	a.vals = append(a.vals, jsonValue(args[0], a.jsonb))
	return nil
}

func (a *jsonAgg) WindowInverse(_ *sqlite3.FunctionContext, _ []driver.Value) error {
	if len(a.vals) > 0 {
		a.vals = a.vals[1:]
		if a.object {
			a.keys = a.keys[1:]
		}
	}
	return nil
}

func (a *jsonAgg) WindowValue(*sqlite3.FunctionContext) (driver.Value, error) {
	if len(a.vals) == 0 {
		return nil, nil
	}
	if a.object {
		return objectText(a.keys, a.vals, a.jsonb, true), nil
	}
	return "[" + strings.Join(a.vals, ", ") + "]", nil
}

func (a *jsonAgg) Final(*sqlite3.FunctionContext) {}
