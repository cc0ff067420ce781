package pgfront

import (
	"strconv"
	"strings"

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
	case sqlite.TypeInt4:
		return pgtype.Int4OID
	case sqlite.TypeInt2:
		return pgtype.Int2OID
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
	for t := sqlite.TypeText; t <= sqlite.TypeInt2; t++ {
		if oidOf(t) == oid {
			return t
		}
	}
	return sqlite.TypeUnknown
}

// columnType is the PostgreSQL type and typmod (-1 for none) a result
// column shows, as PostgreSQL reports the same declared type: the engine
// type's OID, refined by the declared name where PostgreSQL has a narrower
// type (VARCHAR(n) is varchar, CHAR(n) bpchar, both with their length;
// REAL and FLOAT4 float4; NUMERIC(p,s) keeps its precision and scale).
func columnType(col sqlite.Column) (oid uint32, typmod int32) {
	oid, typmod = oidOf(col.Type), -1
	base, mods := splitDecl(col.Decl)
	switch col.Type {
	case sqlite.TypeText:
		switch {
		case strings.Contains(base, "VARCHAR"), strings.Contains(base, "VARYING"):
			oid = pgtype.VarcharOID
		case strings.Contains(base, "CHAR"):
			oid = pgtype.BPCharOID
		default:
			return oid, -1
		}
		if len(mods) == 1 && mods[0] >= 0 {
			typmod = mods[0] + 4
		}
	case sqlite.TypeFloat:
		if base == "REAL" || base == "FLOAT4" {
			oid = pgtype.Float4OID
		}
	case sqlite.TypeNumeric:
		switch len(mods) {
		case 1:
			typmod = mods[0]<<16 + 4
		case 2:
			typmod = mods[0]<<16 | mods[1] + 4
		}
	}
	return oid, typmod
}

// splitDecl splits a declared type into its name and its numeric
// modifiers ("VARCHAR(40)" → "VARCHAR", [40]); mods is nil when any is not
// a number.
func splitDecl(decl string) (base string, mods []int32) {
	base, args, found := strings.Cut(decl, "(")
	base = strings.TrimSpace(base)
	if !found {
		return base, nil
	}
	args, _, _ = strings.Cut(args, ")")
	for f := range strings.SplitSeq(args, ",") {
		n, err := strconv.ParseInt(strings.TrimSpace(f), 10, 16)
		if err != nil {
			return base, nil
		}
		mods = append(mods, int32(n))
	}
	return base, mods
}

func typeSize(oid uint32) int16 {
	switch oid {
	case pgtype.BoolOID:
		return 1
	case pgtype.Int2OID:
		return 2
	case pgtype.Int4OID, pgtype.Float4OID:
		return 4
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
