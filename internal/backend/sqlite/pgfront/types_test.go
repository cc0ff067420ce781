package pgfront

import (
	"testing"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/floe-db/floe/internal/backend/sqlite"
)

func TestColumnType(t *testing.T) {
	tests := []struct {
		decl   string
		typ    sqlite.Type
		oid    uint32
		typmod int32
	}{
		{"INTEGER", sqlite.TypeInt4, pgtype.Int4OID, -1},
		{"SMALLINT", sqlite.TypeInt2, pgtype.Int2OID, -1},
		{"BIGINT", sqlite.TypeInt, pgtype.Int8OID, -1},
		{"", sqlite.TypeInt4, pgtype.Int4OID, -1},
		{"VARCHAR(40)", sqlite.TypeText, pgtype.VarcharOID, 44},
		{"VARCHAR", sqlite.TypeText, pgtype.VarcharOID, -1},
		{"CHAR(3)", sqlite.TypeText, pgtype.BPCharOID, 7},
		{"TEXT", sqlite.TypeText, pgtype.TextOID, -1},
		{"UUID", sqlite.TypeText, pgtype.TextOID, -1},
		{"BOOLEAN", sqlite.TypeBool, pgtype.BoolOID, -1},
		{"REAL", sqlite.TypeFloat, pgtype.Float4OID, -1},
		{"DOUBLE PRECISION", sqlite.TypeFloat, pgtype.Float8OID, -1},
		{"NUMERIC(10,2)", sqlite.TypeNumeric, pgtype.NumericOID, 10<<16 | 2 + 4},
		{"NUMERIC", sqlite.TypeNumeric, pgtype.NumericOID, -1},
	}
	for _, tc := range tests {
		oid, typmod := columnType(sqlite.Column{Name: "c", Decl: tc.decl, Type: tc.typ})
		if oid != tc.oid || typmod != tc.typmod {
			t.Errorf("columnType(%q, %v) = %d, %d; want %d, %d", tc.decl, tc.typ, oid, typmod, tc.oid, tc.typmod)
		}
	}
}
