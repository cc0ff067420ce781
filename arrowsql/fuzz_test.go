package arrowsql

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// fuzzOIDs are the PostgreSQL types with binary decoders, and arrays of them.
var fuzzOIDs = []uint32{oidBool, oidInt2, oidInt4, oidInt8, oidOID, oidFloat4, oidFloat8, oidText, oidBytea,
	oidJSON, oidJSONB, oidUUID, oidDate, oidTime, oidTimestamp, oidTimestampTZ, oidInterval, oidNumeric,
	1007, 1009, 1231, 1185, 2951}

// Any bytes a server (or something posing as one) sends for a binary
// value give a value or an error, never a panic.
func FuzzPostgresBinary(f *testing.F) {
	f.Add(uint8(17), int32(10<<16|2+4), []byte{0, 2, 0, 0, 0, 0, 0, 2, 0, 1, 0x13, 0x88})
	f.Add(uint8(18), int32(-1), []byte{0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 23, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff})
	f.Add(uint8(12), int32(-1), []byte{1, '{', '}'})
	f.Fuzz(func(t *testing.T, which uint8, typmod int32, v []byte) {
		col := pgColumnFor(fuzzOIDs[int(which)%len(fuzzOIDs)], typmod, NumericDecimal)
		b := array.NewBuilder(memory.DefaultAllocator, col.typ)
		defer b.Release()
		_ = col.bind(b)(v)
	})
}

// The text parsers used for MySQL values never panic and agree on
// what they accept.
func FuzzTextValues(f *testing.F) {
	for _, s := range []string{"2024-02-29 10:11:12.123456", "0000-00-00", "-838:59:59.000001", "-12345.6789", "99999999999999999999999999999999999999.5", ".5", "1e5"} {
		f.Add(s, int32(38), int32(4))
	}
	f.Fuzz(func(t *testing.T, s string, prec, scale int32) {
		b := []byte(s)
		_, _, _ = parseDateTime(b)
		_, _ = parseClock(b)
		if prec < 1 || prec > 38 || scale < 0 || scale > prec {
			return
		}
		if n, err := parseDecimal(b, prec, scale); err == nil && !n.FitsInPrecision(prec) {
			t.Fatalf("%q accepted as %s, over precision %d", s, n.ToString(scale), prec)
		}
	})
}
