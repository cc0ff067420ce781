package sqlite

import (
	"bytes"
	"database/sql/driver"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/floe-db/floe/internal/sqlerr"
)

// Arrays: the engine holds a PostgreSQL array as a JSON array (text), as
// the translation prints ARRAY[…]. floe_array(x, kind) reads a value cast
// to an array type: a JSON array stays as it is, PostgreSQL's array text
// ('{1,2,3}', '{"a b",NULL}', as drivers send array parameters) becomes
// the JSON array of its elements, each read as kind ('int', 'float',
// 'bool' or 'text'). AppendText shows a TypeArray value in PostgreSQL's
// array text again.

func pgArrayScalars() []pgScalar {
	return []pgScalar{
		{"floe_array", 2, true, fnArray},
		{"array_remove", 2, true, fnArrayRemove},
		{"array_append", 2, true, func(a []driver.Value) (driver.Value, error) { return arrayJoin(a[0], a[1], false) }},
		{"array_prepend", 2, true, func(a []driver.Value) (driver.Value, error) { return arrayJoin(a[1], a[0], true) }},
		{"array_cat", 2, true, fnArrayCat},
		{"array_position", 2, true, fnArrayPosition},
	}
}

// jsonArray reads an array argument (a JSON array, or PostgreSQL's
// array text); ok is false for NULL.
func jsonArray(v driver.Value) (out []any, ok bool, err error) {
	var s string
	switch x := v.(type) {
	case nil:
		return nil, false, nil
	case string:
		s = x
	case []byte:
		s = string(x)
	default:
		return nil, false, funcError(sqlerr.InvalidTextRepresentation, "malformed array literal: %q", AppendText(nil, TypeText, x))
	}
	j, err := PGArrayJSON(s, "text")
	if e, isSQL := err.(*sqlerr.Error); isSQL {
		return nil, false, funcError(e.Code, "%s", e.Message)
	}
	if err != nil {
		return nil, false, err
	}
	dec := json.NewDecoder(strings.NewReader(j))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		return nil, false, funcError(sqlerr.InvalidTextRepresentation, "malformed array literal: %q", s)
	}
	return out, true, nil
}

// sameElem compares an element of a JSON array with an SQL value
// (NULL matches NULL, as array_remove and array_position compare).
func sameElem(e any, v driver.Value) bool {
	switch x := v.(type) {
	case nil:
		return e == nil
	case int64:
		n, ok := e.(json.Number)
		if ok {
			return n.String() == strconv.FormatInt(x, 10)
		}
		b, isBool := e.(bool)
		return isBool && b == (x != 0)
	case float64:
		n, ok := e.(json.Number)
		if !ok {
			return false
		}
		f, err := n.Float64()
		return err == nil && f == x
	case string:
		switch y := e.(type) {
		case string:
			return y == x
		case json.Number:
			return y.String() == x
		}
	case []byte:
		y, ok := e.(string)
		return ok && y == string(x)
	}
	return false
}

func marshalArray(v []any) (driver.Value, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

func fnArrayRemove(a []driver.Value) (driver.Value, error) {
	arr, ok, err := jsonArray(a[0])
	if !ok || err != nil {
		return nil, err
	}
	out := []any{}
	for _, e := range arr {
		if !sameElem(e, a[1]) {
			out = append(out, e)
		}
	}
	return marshalArray(out)
}

// jsonElemOf is an SQL value as a JSON array element.
func jsonElemOf(v driver.Value) any {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case int64:
		return json.Number(strconv.FormatInt(x, 10))
	case float64:
		return json.Number(strconv.FormatFloat(x, 'g', -1, 64))
	}
	return v
}

func arrayJoin(arrV, elem driver.Value, prepend bool) (driver.Value, error) {
	arr, ok, err := jsonArray(arrV)
	if err != nil {
		return nil, err
	}
	if !ok {
		arr = []any{}
	}
	if prepend {
		return marshalArray(append([]any{jsonElemOf(elem)}, arr...))
	}
	return marshalArray(append(arr, jsonElemOf(elem)))
}

func fnArrayCat(a []driver.Value) (driver.Value, error) {
	x, okX, err := jsonArray(a[0])
	if err != nil {
		return nil, err
	}
	y, okY, err := jsonArray(a[1])
	if err != nil {
		return nil, err
	}
	if !okX && !okY {
		return nil, nil
	}
	return marshalArray(append(append([]any{}, x...), y...))
}

func fnArrayPosition(a []driver.Value) (driver.Value, error) {
	arr, ok, err := jsonArray(a[0])
	if !ok || err != nil {
		return nil, err
	}
	for i, e := range arr {
		if sameElem(e, a[1]) {
			return int64(i + 1), nil
		}
	}
	return nil, nil
}

func fnArray(a []driver.Value) (driver.Value, error) {
	var s string
	switch x := a[0].(type) {
	case nil:
		return nil, nil
	case string:
		s = x
	case []byte:
		s = string(x)
	default:
		return nil, funcError(sqlerr.InvalidTextRepresentation, "malformed array literal: %q", AppendText(nil, TypeText, x))
	}
	kind, _ := a[1].(string)
	out, err := PGArrayJSON(s, kind)
	if e, ok := err.(*sqlerr.Error); ok {
		return nil, funcError(e.Code, "%s", e.Message)
	}
	if err != nil {
		return nil, funcError(sqlerr.InvalidTextRepresentation, "%v", err)
	}
	return out, nil
}

// PGArrayJSON converts an array value to the engine's JSON array: a JSON
// array is returned as it is, PostgreSQL's array text ('{1,2}', with an
// optional '[1:2]=' bounds prefix) becomes the JSON array of its elements
// read as kind ('int', 'float', 'bool'; anything else keeps text).
func PGArrayJSON(s, kind string) (string, error) {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "[") && json.Valid([]byte(t)) {
		return t, nil
	}
	v, err := parsePGArray(t)
	if err != nil {
		return "", err
	}
	conv, err := typeElems(v, kind)
	if err != nil {
		return "", err
	}
	out, err := json.Marshal(conv)
	if err != nil {
		return "", err
	}
	return string(out), nil
}

// typeElems reads the elements of a parsed array (strings, nil, nested
// []any) as kind.
func typeElems(v []any, kind string) ([]any, error) {
	out := make([]any, len(v))
	for i, e := range v {
		switch x := e.(type) {
		case []any:
			sub, err := typeElems(x, kind)
			if err != nil {
				return nil, err
			}
			out[i] = sub
		case string:
			switch kind {
			case "int":
				n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
				if err != nil {
					return nil, errMalformedElem(kind, x)
				}
				out[i] = n
			case "float":
				f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
				if err != nil {
					return nil, errMalformedElem(kind, x)
				}
				out[i] = f
			case "bool":
				b, ok := boolWord(x)
				if !ok {
					return nil, errMalformedElem(kind, x)
				}
				out[i] = b
			default:
				out[i] = x
			}
		default:
			out[i] = nil
		}
	}
	return out, nil
}

func errMalformedElem(kind, s string) error {
	name := map[string]string{"int": "bigint", "float": "double precision", "bool": "boolean"}[kind]
	return sqlerr.New(sqlerr.InvalidTextRepresentation, "invalid input syntax for type %s: %q", name, s)
}

// parsePGArray reads PostgreSQL's array text into nested []any of
// strings and nils (an unquoted NULL).
func parsePGArray(s string) ([]any, error) {
	bad := func() error {
		return sqlerr.New(sqlerr.InvalidTextRepresentation, "malformed array literal: %q", s)
	}
	in := s
	if strings.HasPrefix(in, "[") {
		// Dimension decoration: [1:3]={…}.
		eq := strings.IndexByte(in, '=')
		if eq < 0 {
			return nil, bad()
		}
		in = strings.TrimSpace(in[eq+1:])
	}
	pos := 0
	var parse func() ([]any, error)
	skip := func() {
		for pos < len(in) && (in[pos] == ' ' || in[pos] == '\t' || in[pos] == '\n' || in[pos] == '\r') {
			pos++
		}
	}
	parse = func() ([]any, error) {
		if pos >= len(in) || in[pos] != '{' {
			return nil, bad()
		}
		pos++
		out := []any{}
		skip()
		if pos < len(in) && in[pos] == '}' {
			pos++
			return out, nil
		}
		for {
			skip()
			if pos >= len(in) {
				return nil, bad()
			}
			switch in[pos] {
			case '{':
				sub, err := parse()
				if err != nil {
					return nil, err
				}
				out = append(out, sub)
			case '"':
				pos++
				var b strings.Builder
				for {
					if pos >= len(in) {
						return nil, bad()
					}
					c := in[pos]
					pos++
					if c == '\\' {
						if pos >= len(in) {
							return nil, bad()
						}
						b.WriteByte(in[pos])
						pos++
						continue
					}
					if c == '"' {
						break
					}
					b.WriteByte(c)
				}
				out = append(out, b.String())
			default:
				start := pos
				var b strings.Builder
				for pos < len(in) && in[pos] != ',' && in[pos] != '}' {
					c := in[pos]
					if c == '{' || c == '"' {
						return nil, bad()
					}
					if c == '\\' && pos+1 < len(in) {
						pos++
						c = in[pos]
					}
					b.WriteByte(c)
					pos++
				}
				if pos == start {
					return nil, bad()
				}
				e := strings.TrimSpace(b.String())
				if strings.EqualFold(e, "NULL") && !strings.Contains(in[start:pos], `\`) {
					out = append(out, nil)
				} else {
					out = append(out, e)
				}
			}
			skip()
			if pos >= len(in) {
				return nil, bad()
			}
			if in[pos] == ',' {
				pos++
				continue
			}
			if in[pos] == '}' {
				pos++
				return out, nil
			}
			return nil, bad()
		}
	}
	v, err := parse()
	if err != nil {
		return nil, err
	}
	skip()
	if pos != len(in) {
		return nil, bad()
	}
	return v, nil
}

// appendPGArray appends a JSON array in PostgreSQL's array text; ok is
// false when s is not a JSON array (the caller shows it as it is).
func appendPGArray(buf []byte, s string) ([]byte, bool) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v []any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return buf, false
	}
	return appendPGArrayValue(buf, v), true
}

func appendPGArrayValue(buf []byte, v []any) []byte {
	buf = append(buf, '{')
	for i, e := range v {
		if i > 0 {
			buf = append(buf, ',')
		}
		switch x := e.(type) {
		case nil:
			buf = append(buf, "NULL"...)
		case []any:
			buf = appendPGArrayValue(buf, x)
		case bool:
			if x {
				buf = append(buf, 't')
			} else {
				buf = append(buf, 'f')
			}
		case json.Number:
			buf = append(buf, x...)
		case string:
			buf = appendArrayElem(buf, x)
		default:
			// An object: its JSON text, quoted as an element.
			b, _ := json.Marshal(x)
			buf = appendArrayElem(buf, string(b))
		}
	}
	return append(buf, '}')
}

// appendArrayElem appends a text element, quoted when PostgreSQL's
// array output quotes it (empty, NULL, delimiters, quotes, backslashes,
// white space).
func appendArrayElem(buf []byte, s string) []byte {
	quote := s == "" || strings.EqualFold(s, "NULL") || strings.ContainsAny(s, "{},\"\\ \t\n\r\v\f")
	if !quote {
		return append(buf, s...)
	}
	buf = append(buf, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			buf = append(buf, '\\')
		}
		buf = append(buf, s[i])
	}
	return append(buf, '"')
}

// arrayStrings is a JSON array's elements as text (nested arrays in
// PostgreSQL's array text), for a binary text[] encoding.
func arrayStrings(s string) ([]*string, bool) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v []any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	out := make([]*string, len(v))
	for i, e := range v {
		var t string
		switch x := e.(type) {
		case nil:
			continue
		case string:
			t = x
		case json.Number:
			t = string(x)
		case bool:
			t = "f"
			if x {
				t = "t"
			}
		case []any:
			t = string(appendPGArrayValue(nil, x))
		default:
			b, _ := json.Marshal(x)
			t = string(bytes.TrimSpace(b))
		}
		out[i] = &t
	}
	return out, true
}
