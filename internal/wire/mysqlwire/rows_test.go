package mysqlwire

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"
)

func TestTextRowRoundTrip(t *testing.T) {
	vals := [][]byte{[]byte("1"), nil, {}, bytes.Repeat([]byte("x"), 300)}
	p := AppendTextRow(nil, vals)
	got, err := TextRow(p, len(vals))
	if err != nil {
		t.Fatal(err)
	}
	for i := range vals {
		if (got[i] == nil) != (vals[i] == nil) || !bytes.Equal(got[i], vals[i]) {
			t.Errorf("value %d: %q, want %q", i, got[i], vals[i])
		}
	}
	if _, err := TextRow(p, len(vals)+1); err == nil {
		t.Error("a short row was accepted")
	}
	if _, err := TextRow(append(p, 1), len(vals)); err == nil {
		t.Error("trailing bytes were accepted")
	}
}

func TestBinaryRowAndText(t *testing.T) {
	le := binary.LittleEndian
	cols := []Column{
		{Type: TypeLong}, {Type: TypeLongLong, Flags: FlagUnsigned}, {Type: TypeTiny}, {Type: TypeDouble},
		{Type: TypeVarString}, {Type: TypeDate}, {Type: TypeDateTime, Decimals: 3}, {Type: TypeTime}, {Type: TypeShort},
	}
	neg := int32(-42)
	vals := BinaryRow{
		le.AppendUint32(nil, uint32(neg)),
		le.AppendUint64(nil, math.MaxUint64),
		{0xff},
		le.AppendUint64(nil, math.Float64bits(2.5)),
		AppendLenString(nil, "héllo"),
		{4, 0xe6, 0x07, 5, 1},                                   // 2022-05-01
		{11, 0xe6, 0x07, 5, 1, 13, 14, 15, 0x40, 0xe2, 0x01, 0}, // 13:14:15.123456
		{8, 1, 1, 0, 0, 0, 2, 3, 4},                             // -26:03:04
		nil,
	}
	p := AppendBinaryRow(nil, vals)
	got, err := ParseBinaryRow(p, cols)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"-42", "18446744073709551615", "-1", "2.5", "héllo", "2022-05-01", "2022-05-01 13:14:15.123", "-26:03:04", ""}
	for i, c := range cols {
		if (got[i] == nil) != (vals[i] == nil) {
			t.Fatalf("column %d: null %v", i, got[i] == nil)
		}
		if got[i] == nil {
			continue
		}
		text, err := BinaryText(c, got[i])
		if err != nil || string(text) != want[i] {
			t.Errorf("column %d: %q, %v; want %q", i, text, err, want[i])
		}
	}
	if !bytes.Equal(AppendBinaryRow(nil, got), p) {
		t.Error("re-encoded row differs")
	}
	if _, err := ParseBinaryRow(p[:len(p)-1], cols); err == nil {
		t.Error("a truncated row was accepted")
	}
}
