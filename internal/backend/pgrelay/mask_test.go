package pgrelay

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/floe-db/floe/internal/policy"
)

// TestRowPlanBinaryValues: binary values of masked columns are masked in
// their text form, whatever their type.
func TestRowPlanBinaryValues(t *testing.T) {
	tm := pgtype.NewMap()
	enc := func(oid uint32, v any) []byte {
		b, err := tm.Encode(oid, pgtype.BinaryFormatCode, v, nil)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	hash := &policy.Mask{Method: "hash"}
	pl := &rowPlan{
		masks: []*policy.Mask{hash, hash, nil, {Method: "null"}, {Method: "email"}},
		types: []uint32{pgtype.Int8OID, pgtype.DateOID, 0, pgtype.Int4OID, pgtype.TextOID},
	}
	row := &pgproto3.DataRow{Values: [][]byte{
		enc(pgtype.Int8OID, int64(5551234567)),
		enc(pgtype.DateOID, pgtype.Date{Time: mustDate(t, "1990-05-01"), Valid: true}),
		[]byte("kept"),
		enc(pgtype.Int4OID, int32(7)),
		[]byte("ada@example.com"),
	}}
	pl.apply(tm, row, []int16{pgtype.BinaryFormatCode})
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	want := []string{sum("5551234567"), sum("1990-05-01"), "kept", "", "a***@example.com"}
	for i, w := range want {
		if got := string(row.Values[i]); got != w || (i == 3) != (row.Values[i] == nil) {
			t.Errorf("column %d: %q, want %q", i, got, w)
		}
	}
	// A value that does not decode as its type is masked whole.
	row = &pgproto3.DataRow{Values: [][]byte{{1, 2}, nil, nil, nil, nil}}
	pl.apply(tm, row, []int16{pgtype.BinaryFormatCode})
	if string(row.Values[0]) != "****" {
		t.Errorf("undecodable value: %q", row.Values[0])
	}
}

func mustDate(t *testing.T, s string) (d time.Time) {
	t.Helper()
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
