package sqlite

import (
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// oidFor maps a SQLite declared type (upper case) to a PostgreSQL type
// OID, following SQLite's own affinity rules, with a few names SQLite
// users write that carry more meaning (BOOLEAN, DATE, TIMESTAMP, JSON).
func oidFor(decl string) (uint32, bool) {
	switch {
	case decl == "":
		return 0, false
	case strings.Contains(decl, "BOOL"):
		return pgtype.BoolOID, true
	case strings.Contains(decl, "INT"):
		return pgtype.Int8OID, true
	case strings.Contains(decl, "CHAR"), strings.Contains(decl, "CLOB"), strings.Contains(decl, "TEXT"):
		return pgtype.TextOID, true
	case strings.Contains(decl, "BLOB"):
		return pgtype.ByteaOID, true
	case strings.Contains(decl, "REAL"), strings.Contains(decl, "FLOA"), strings.Contains(decl, "DOUB"):
		return pgtype.Float8OID, true
	case strings.Contains(decl, "TIMESTAMP"), strings.Contains(decl, "DATETIME"):
		return pgtype.TimestampOID, true
	case decl == "DATE":
		return pgtype.DateOID, true
	case strings.Contains(decl, "JSON"):
		return pgtype.JSONOID, true
	case strings.Contains(decl, "NUMERIC"), strings.Contains(decl, "DECIMAL"):
		return pgtype.NumericOID, true
	}
	return pgtype.TextOID, true
}

// oidForValue picks a type for a column without a declared type (an
// expression) from its first value.
func oidForValue(v any) uint32 {
	switch v.(type) {
	case int64:
		return pgtype.Int8OID
	case float64:
		return pgtype.Float8OID
	case []byte:
		return pgtype.ByteaOID
	case bool:
		return pgtype.BoolOID
	case time.Time:
		return pgtype.TimestampOID
	}
	return pgtype.TextOID
}

func typeSize(oid uint32) int16 {
	switch oid {
	case pgtype.BoolOID:
		return 1
	case pgtype.Int8OID, pgtype.Float8OID, pgtype.TimestampOID:
		return 8
	case pgtype.DateOID:
		return 4
	}
	return -1
}

// appendText appends v in PostgreSQL's text output format for oid.
func appendText(buf []byte, oid uint32, v any) []byte {
	switch x := v.(type) {
	case int64:
		if oid == pgtype.BoolOID {
			if x != 0 {
				return append(buf, 't')
			}
			return append(buf, 'f')
		}
		return strconv.AppendInt(buf, x, 10)
	case float64:
		switch {
		case math.IsInf(x, 1):
			return append(buf, "Infinity"...)
		case math.IsInf(x, -1):
			return append(buf, "-Infinity"...)
		case math.IsNaN(x):
			return append(buf, "NaN"...)
		}
		return strconv.AppendFloat(buf, x, 'g', -1, 64)
	case string:
		return append(buf, x...)
	case []byte:
		if oid == pgtype.ByteaOID {
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
		if oid == pgtype.DateOID {
			return x.AppendFormat(buf, "2006-01-02")
		}
		return x.AppendFormat(buf, "2006-01-02 15:04:05.999999")
	}
	return fmt.Append(buf, v)
}

// toOIDValue converts a SQLite value to what pgtype encodes for oid in
// binary, converting SQLite's dynamic types where they disagree with the
// column's declared type.
func toOIDValue(oid uint32, v any) (any, error) {
	switch oid {
	case pgtype.Int8OID:
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
	case pgtype.Float8OID, pgtype.NumericOID:
		switch x := v.(type) {
		case int64:
			return float64(x), nil
		case float64:
			return x, nil
		case string:
			if f, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
				return f, nil
			}
		}
	case pgtype.BoolOID:
		switch x := v.(type) {
		case bool:
			return x, nil
		case int64:
			return x != 0, nil
		}
	case pgtype.ByteaOID:
		switch x := v.(type) {
		case []byte:
			return x, nil
		case string:
			return []byte(x), nil
		}
	case pgtype.TimestampOID, pgtype.DateOID:
		if t, ok := v.(time.Time); ok {
			return t, nil
		}
	default:
		switch x := v.(type) {
		case string:
			return x, nil
		case []byte:
			return string(x), nil
		default:
			return string(appendText(nil, pgtype.TextOID, v)), nil
		}
	}
	return nil, fmt.Errorf("value of SQLite type %T does not fit the column's type (OID %d) in binary format", v, oid)
}
