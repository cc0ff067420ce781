package pgfront

import (
	"strconv"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/floe-db/floe/internal/backend/sqlite"
)

// oidOf is the PostgreSQL type of an engine type (0, unspecified, for
// TypeUnknown: a parameter whose column is not known).
func oidOf(t sqlite.Type) uint32 {
	switch t {
	case sqlite.TypeText:
		return pgtype.TextOID
	case sqlite.TypeInt:
		return pgtype.Int8OID
	case sqlite.TypeFloat:
		return pgtype.Float8OID
	case sqlite.TypeNumeric:
		return pgtype.NumericOID
	case sqlite.TypeBool:
		return pgtype.BoolOID
	case sqlite.TypeBytes:
		return pgtype.ByteaOID
	case sqlite.TypeDate:
		return pgtype.DateOID
	case sqlite.TypeTimestamp:
		return pgtype.TimestampOID
	case sqlite.TypeJSON:
		return pgtype.JSONOID
	case sqlite.TypeArray:
		return pgtype.TextArrayOID
	}
	return 0
}

// typeOfOID is the engine type oidOf maps to oid (TypeUnknown for
// another).
func typeOfOID(oid uint32) sqlite.Type {
	for t := sqlite.TypeText; t <= sqlite.TypeArray; t++ {
		if oidOf(t) == oid {
			return t
		}
	}
	return sqlite.TypeUnknown
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

// commandTag builds the CommandComplete tag PostgreSQL would send.
func commandTag(st *sqlite.Statement, n int64) string {
	switch st.Verb {
	case "INSERT":
		return "INSERT 0 " + strconv.FormatInt(n, 10)
	case "UPDATE", "DELETE", "SELECT", "WITH", "VALUES", "TABLE", "PRAGMA", "EXPLAIN", "REPLACE":
		v := st.Verb
		if v == "WITH" || v == "VALUES" || v == "TABLE" || v == "PRAGMA" || v == "EXPLAIN" {
			v = "SELECT"
		}
		return v + " " + strconv.FormatInt(n, 10)
	}
	return st.Verb
}
