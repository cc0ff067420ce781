package sqlite

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Type is the neutral type of a result column or a parameter: what the
// engine makes of SQLite's declared type or of a value. Each front end
// maps it to its protocol's types (a PostgreSQL OID, a MySQL column type).
type Type uint8

// The types; TypeUnknown is a column without a declared type before its
// first value settles it (and a parameter whose column is unknown).
const (
	TypeUnknown Type = iota
	TypeText
	TypeInt       // 64-bit integer
	TypeFloat     // double precision
	TypeNumeric   // NUMERIC, DECIMAL (carried as an integer or a float, shown as a decimal)
	TypeBool      // BOOLEAN (stored as 0 or 1)
	TypeBytes     // BLOB
	TypeDate      // DATE
	TypeTimestamp // TIMESTAMP, DATETIME (no time zone)
	TypeJSON      // JSON (text)
	TypeArray     // a PostgreSQL array, held as a JSON array (text), shown as PostgreSQL's array text
	TypeInt4      // 32-bit integer (INTEGER, INT, MEDIUMINT)
	TypeInt2      // 16-bit integer (SMALLINT, TINYINT)
)

// IsInt reports whether t is one of the integer types (TypeInt, TypeInt4,
// TypeInt2).
func (t Type) IsInt() bool { return t == TypeInt || t == TypeInt4 || t == TypeInt2 }

// Column describes a result column: its name, SQLite's declared type
// (upper case; "TEXT" for a masked column) and its type.
type Column struct {
	Name string
	Decl string
	Type Type
}

// TypeOf maps a SQLite declared type (upper case) to a type, following
// SQLite's own affinity rules, with a few names SQLite users write that
// carry more meaning (BOOLEAN, DATE, TIMESTAMP, JSON) and the width SQL
// gives an integer type's name (intWidth). ok is false for no declared
// type.
func TypeOf(decl string) (t Type, ok bool) {
	switch {
	case decl == "":
		return TypeUnknown, false
	case strings.HasSuffix(decl, " ARRAY"), strings.HasSuffix(decl, "[]"):
		return TypeArray, true
	case strings.Contains(decl, "BOOL"):
		return TypeBool, true
	case strings.Contains(decl, "INT"):
		return intWidth(decl), true
	case strings.Contains(decl, "CHAR"), strings.Contains(decl, "CLOB"), strings.Contains(decl, "TEXT"):
		return TypeText, true
	case strings.Contains(decl, "BLOB"):
		return TypeBytes, true
	case strings.Contains(decl, "REAL"), strings.Contains(decl, "FLOA"), strings.Contains(decl, "DOUB"):
		return TypeFloat, true
	case strings.Contains(decl, "TIMESTAMP"), strings.Contains(decl, "DATETIME"):
		return TypeTimestamp, true
	case decl == "DATE":
		return TypeDate, true
	case strings.Contains(decl, "JSON"):
		return TypeJSON, true
	case strings.Contains(decl, "NUMERIC"), strings.Contains(decl, "DECIMAL"):
		return TypeNumeric, true
	}
	return TypeText, true
}

// intWidth is the integer type of a declared type with INT in it, as
// PostgreSQL and MySQL read the name: BIGINT and INT8 are 64-bit,
// SMALLINT, INT2 and TINYINT 16-bit, INTEGER, INT, INT4 and MEDIUMINT
// 32-bit (an INTEGER PRIMARY KEY too: SQLite's rowid holds 64 bits, the
// declared type says 32 as in PostgreSQL). An UNSIGNED type and other
// names (SQLite's "UNSIGNED BIG INT") are 64-bit.
func intWidth(decl string) Type {
	base, _, _ := strings.Cut(decl, "(")
	base = strings.TrimSpace(base)
	switch {
	case strings.Contains(decl, "UNSIGNED"), strings.Contains(base, "BIG"), base == "INT8":
		return TypeInt
	case base == "SMALLINT", base == "INT2", base == "TINYINT":
		return TypeInt2
	case base == "INTEGER", base == "INT", base == "INT4", base == "MEDIUMINT":
		return TypeInt4
	}
	return TypeInt
}

// typeOfValue picks a type for a column without a declared type (an
// expression) from its first value.
func typeOfValue(v any) Type {
	switch v.(type) {
	case int64:
		return TypeInt
	case float64:
		return TypeFloat
	case []byte:
		return TypeBytes
	case bool:
		return TypeBool
	case time.Time:
		return TypeTimestamp
	}
	return TypeText
}

// AppendText appends v in PostgreSQL's text output format for t (the
// engine's text form of a value: masks apply to it, and the MySQL front
// end shows it for the types its own text format does not cover). A
// NUMERIC held as a REAL shows its shortest decimal of 15 significant
// digits (217.92, not 217.92000000000002); Column.AppendText also applies
// a declared scale.
func AppendText(buf []byte, t Type, v any) []byte {
	switch x := v.(type) {
	case int64:
		if t == TypeBool {
			if x != 0 {
				return append(buf, 't')
			}
			return append(buf, 'f')
		}
		return strconv.AppendInt(buf, x, 10)
	case float64:
		if t == TypeNumeric {
			return append(buf, floatText(x)...)
		}
		switch {
		case math.IsInf(x, 1):
			return append(buf, "Infinity"...)
		case math.IsInf(x, -1):
			return append(buf, "-Infinity"...)
		case math.IsNaN(x):
			return append(buf, "NaN"...)
		}
		return appendFloat8(buf, x)
	case string:
		if t == TypeArray {
			if out, ok := appendPGArray(buf, x); ok {
				return out
			}
		}
		return append(buf, x...)
	case []byte:
		if t == TypeArray {
			if out, ok := appendPGArray(buf, string(x)); ok {
				return out
			}
		}
		if t == TypeBytes {
			buf = append(buf, `\x`...)
			return hex.AppendEncode(buf, x)
		}
		return append(buf, x...)
	case bool:
		if x {
			return append(buf, 't')
		}
		return append(buf, 'f')
	case time.Time:
		if t == TypeDate {
			return x.AppendFormat(buf, "2006-01-02")
		}
		return x.AppendFormat(buf, "2006-01-02 15:04:05.999999")
	}
	return fmt.Append(buf, v)
}

// appendFloat8 appends a finite float as PostgreSQL's float8 output does:
// the shortest decimal that reads back as x, with an exponent only below
// 1e-4 and from 1e15 on.
func appendFloat8(buf []byte, x float64) []byte {
	e := strconv.AppendFloat(nil, x, 'e', -1, 64)
	exp, _ := strconv.Atoi(string(e[bytes.IndexByte(e, 'e')+1:]))
	if exp < -4 || exp >= 15 {
		return append(buf, e...)
	}
	return strconv.AppendFloat(buf, x, 'f', -1, 64)
}

// Convert converts a SQLite value to the Go value of type t that a
// binary encoding takes (int64, float64, bool, []byte, time.Time or
// string), converting SQLite's dynamic types where they disagree with the
// column's declared type.
func Convert(t Type, v any) (any, error) {
	switch t {
	case TypeInt4, TypeInt2:
		n, err := Convert(TypeInt, v)
		if err != nil {
			return nil, err
		}
		if lo, hi := intRange(t); n.(int64) < lo || n.(int64) > hi {
			return nil, fmt.Errorf("value %d is out of range for type %s", n, t)
		}
		return n, nil
	case TypeInt:
		switch x := v.(type) {
		case int64:
			return x, nil
		case float64:
			if x == math.Trunc(x) {
				return int64(x), nil
			}
		case string:
			if n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil {
				return n, nil
			}
		case bool:
			if x {
				return int64(1), nil
			}
			return int64(0), nil
		}
	case TypeFloat, TypeNumeric:
		switch x := v.(type) {
		case int64:
			return float64(x), nil
		case float64:
			if t == TypeNumeric {
				return round15(x), nil
			}
			return x, nil
		case string:
			if f, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
				return f, nil
			}
		}
	case TypeBool:
		switch x := v.(type) {
		case bool:
			return x, nil
		case int64:
			return x != 0, nil
		}
	case TypeBytes:
		switch x := v.(type) {
		case []byte:
			return x, nil
		case string:
			return []byte(x), nil
		}
	case TypeTimestamp, TypeDate:
		switch x := v.(type) {
		case time.Time:
			return x, nil
		case string:
			// An expression's value (now(), a cast): the engine's text form.
			if t, ok := parseTimeText(x); ok {
				return t, nil
			}
		}
	case TypeArray:
		switch x := v.(type) {
		case string:
			if a, ok := arrayStrings(x); ok {
				return a, nil
			}
		case []byte:
			if a, ok := arrayStrings(string(x)); ok {
				return a, nil
			}
		}
	default:
		switch x := v.(type) {
		case string:
			return x, nil
		case []byte:
			return string(x), nil
		default:
			return string(AppendText(nil, TypeText, v)), nil
		}
	}
	return nil, fmt.Errorf("value of SQLite type %T does not fit the column's type (%s) in binary format", v, t)
}

// intRange is the range of values of an integer type.
func intRange(t Type) (lo, hi int64) {
	switch t {
	case TypeInt4:
		return math.MinInt32, math.MaxInt32
	case TypeInt2:
		return math.MinInt16, math.MaxInt16
	}
	return math.MinInt64, math.MaxInt64
}

// Scale is the count of digits after the point a column's declared type
// gives its values (NUMERIC(10,2), DECIMAL(5, 2): 2; NUMERIC(10): 0), or
// -1 when it gives none (no NUMERIC type, or NUMERIC without a scale).
func (c Column) Scale() int {
	if c.Type != TypeNumeric {
		return -1
	}
	return declScale(c.Decl)
}

// declScale reads the scale of a declared NUMERIC(p[,s]) type; -1 for
// none.
func declScale(decl string) int {
	open := strings.IndexByte(decl, '(')
	end := strings.IndexByte(decl, ')')
	if open < 0 || end < open {
		return -1
	}
	_, sc, found := strings.Cut(decl[open+1:end], ",")
	if !found {
		sc = "0"
	}
	n, err := strconv.Atoi(strings.TrimSpace(sc))
	if err != nil || n < 0 || n > 30 {
		return -1
	}
	return n
}

// AppendText appends v in PostgreSQL's text output format for the
// column: as the package's AppendText for its type, except that a NUMERIC
// value shows the declared scale's digits after the point (a REAL read as
// its decimal of 15 significant digits, rounded half away from zero).
func (c Column) AppendText(buf []byte, v any) []byte {
	if sc := c.Scale(); sc >= 0 {
		if s, ok := numericText(v, sc); ok {
			return append(buf, s...)
		}
	}
	return AppendText(buf, c.Type, v)
}

// Convert converts v for a binary encoding as the package's Convert does
// for the column's type, a NUMERIC value rounded to the declared scale.
func (c Column) Convert(v any) (any, error) {
	if sc := c.Scale(); sc >= 0 {
		if s, ok := numericText(v, sc); ok {
			if f, err := strconv.ParseFloat(s, 64); err == nil {
				return f, nil
			}
		}
	}
	return Convert(c.Type, v)
}

// String names the type (in error messages).
func (t Type) String() string {
	switch t {
	case TypeText:
		return "text"
	case TypeInt:
		return "bigint"
	case TypeInt4:
		return "integer"
	case TypeInt2:
		return "smallint"
	case TypeFloat:
		return "double precision"
	case TypeNumeric:
		return "numeric"
	case TypeBool:
		return "boolean"
	case TypeBytes:
		return "bytes"
	case TypeDate:
		return "date"
	case TypeTimestamp:
		return "timestamp"
	case TypeJSON:
		return "json"
	case TypeArray:
		return "array"
	}
	return "unknown"
}

// parseTimeText reads a timestamp or date in the engine's text form
// ('YYYY-MM-DD[ HH:MM:SS[.ffffff]]', UTC; SQLite's T separator too).
func parseTimeText(s string) (time.Time, bool) {
	for _, layout := range []string{"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
