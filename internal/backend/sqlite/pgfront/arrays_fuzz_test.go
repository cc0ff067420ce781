package pgfront

import (
	"encoding/json"
	"testing"

	"github.com/jackc/pgx/v5/pgtype"
)

// An array parameter from the client, in either format and of any array
// type the engine reads: a JSON array or an error, never a panic.
func FuzzArrayParam(f *testing.F) {
	oids := []uint32{pgtype.Int8ArrayOID, pgtype.Int4ArrayOID, pgtype.Int2ArrayOID, pgtype.TextArrayOID,
		pgtype.VarcharArrayOID, pgtype.BoolArrayOID, pgtype.Float8ArrayOID, pgtype.NumericArrayOID, pgtype.TimestampArrayOID}
	f.Add(uint8(0), false, []byte("{1,2,3}"))
	f.Add(uint8(3), false, []byte(`{"a b",NULL,"c\"d"}`))
	f.Add(uint8(5), false, []byte("{t,f}"))
	f.Add(uint8(1), false, []byte("{{1,2},{3,4}}"))
	// int8[] {1,2} in the binary format.
	f.Add(uint8(0), true, []byte{0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 2})
	f.Fuzz(func(t *testing.T, k uint8, binary bool, raw []byte) {
		m := pgtype.NewMap()
		oid := oids[int(k)%len(oids)]
		elem := arrayElem(m, oid)
		format := int16(pgtype.TextFormatCode)
		if binary {
			format = pgtype.BinaryFormatCode
		}
		v, err := decodeArrayParam(m, oid, elem, format, raw)
		if err != nil {
			return
		}
		s, ok := v.(string)
		if !ok || !json.Valid([]byte(s)) || s == "" || s[0] != '[' {
			t.Fatalf("oid %d %q: not a JSON array: %#v", oid, raw, v)
		}
	})
}
