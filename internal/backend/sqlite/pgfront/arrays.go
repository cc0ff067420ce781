package pgfront

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/floe-db/floe/internal/backend/sqlite"
	"github.com/floe-db/floe/internal/sqlerr"
)

// arrayElem is the element type of an array type's OID (0 when oid is
// not an array type pgx knows).
func arrayElem(m *pgtype.Map, oid uint32) uint32 {
	t, ok := m.TypeForOID(oid)
	if !ok {
		return 0
	}
	ac, ok := t.Codec.(*pgtype.ArrayCodec)
	if !ok || ac.ElementType == nil {
		return 0
	}
	return ac.ElementType.OID
}

// elemKind is how the engine reads an element of the type elem
// (sqlite.PGArrayJSON's kinds).
func elemKind(elem uint32) string {
	switch elem {
	case pgtype.Int2OID, pgtype.Int4OID, pgtype.Int8OID, pgtype.OIDOID, pgtype.XIDOID:
		return "int"
	case pgtype.Float4OID, pgtype.Float8OID, pgtype.NumericOID:
		return "float"
	case pgtype.BoolOID:
		return "bool"
	}
	return "text"
}

// decodeArrayParam turns an array parameter (PostgreSQL's array text, or
// the binary array format pgx sends for int8[], text[] …) into the JSON
// array the engine holds arrays as. A multi-dimensional binary array
// comes out flat (its elements in order).
func decodeArrayParam(m *pgtype.Map, oid, elem uint32, format int16, raw []byte) (any, error) {
	if format == pgtype.TextFormatCode {
		j, err := sqlite.PGArrayJSON(string(raw), elemKind(elem))
		if e, ok := err.(*sqlerr.Error); ok {
			return nil, errors.New(e.Message)
		}
		return j, err
	}
	t, _ := m.TypeForOID(oid)
	v, err := t.Codec.DecodeValue(m, oid, format, raw)
	if err != nil {
		return nil, err
	}
	vals, _ := v.([]any)
	out := make([]any, len(vals))
	for i, e := range vals {
		if out[i], err = jsonElem(e, elem); err != nil {
			return nil, err
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// jsonElem is an array element as the engine keeps it in JSON: numbers,
// booleans and text; times in the engine's text form.
func jsonElem(e any, elem uint32) (any, error) {
	switch x := e.(type) {
	case nil, bool, string, int64, float64:
		return x, nil
	case int16:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case float32:
		return float64(x), nil
	case []byte:
		return string(x), nil
	case time.Time:
		if elem == pgtype.DateOID {
			return x.Format("2006-01-02"), nil
		}
		return x.UTC().Format("2006-01-02 15:04:05.999999"), nil
	case [16]byte:
		return fmt.Sprintf("%x-%x-%x-%x-%x", x[0:4], x[4:6], x[6:8], x[8:10], x[10:16]), nil
	case pgtype.Numeric:
		if !x.Valid {
			return nil, nil
		}
		if x.NaN || x.InfinityModifier != pgtype.Finite {
			f, err := x.Float64Value()
			return f.Float64, err
		}
		// An integral value stays an integer; others are the decimal's
		// nearest float, as a numeric parameter is.
		if x.Exp >= 0 {
			n := new(big.Int).Mul(x.Int, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(x.Exp)), nil))
			if n.IsInt64() {
				return n.Int64(), nil
			}
		}
		f, err := x.Float64Value()
		return f.Float64, err
	}
	return nil, fmt.Errorf("array elements of type %T are not supported on SQLite databases", e)
}
