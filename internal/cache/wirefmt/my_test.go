package wirefmt

import (
	"encoding/binary"
	"testing"

	"github.com/floe-db/floe/internal/wire/mysqlwire"
)

// encodeMy is a stored result as the recorder writes it: frames of
// kind and body.
func encodeMy(frames ...any) []byte {
	b := []byte{MyMagic, MyVersion}
	for i := 0; i+1 < len(frames); i += 2 {
		b = AppendFrame(b, frames[i].(byte), frames[i+1].([]byte))
	}
	return b
}

var (
	testCount = mysqlwire.AppendLenInt(nil, 2)
	testCol1  = mysqlwire.AppendColumn(nil, mysqlwire.Column{Schema: "shop", Table: "items", OrgTable: "items", Name: "id", OrgName: "id", Charset: 63, Length: 11, Type: mysqlwire.TypeLong})
	testCol2  = mysqlwire.AppendColumn(nil, mysqlwire.Column{Schema: "shop", Table: "items", OrgTable: "items", Name: "name", OrgName: "name", Charset: 45, Length: 80, Type: mysqlwire.TypeVarString})
	testRow   = append(mysqlwire.AppendLenString(nil, "1"), mysqlwire.AppendLenString(nil, "a")...)
	testEnd   = []byte{1, 0, 0x22, 0} // one warning; status autocommit | no index used
)

func TestDecodeMy(t *testing.T) {
	for _, tc := range []struct {
		name     string
		payload  []byte
		ok       bool
		rows     int
		warnings uint16
	}{
		{"columns, rows and end", encodeMy(FrameCount, testCount, FrameColumn, testCol1, FrameColumn, testCol2, FrameRow, testRow, FrameRow, testRow, FrameEnd, testEnd), true, 2, 1},
		{"no rows", encodeMy(FrameCount, testCount, FrameColumn, testCol1, FrameColumn, testCol2, FrameEnd, testEnd), true, 0, 1},
		{"no end", encodeMy(FrameCount, testCount, FrameColumn, testCol1, FrameColumn, testCol2, FrameRow, testRow), false, 0, 0},
		{"a column short", encodeMy(FrameCount, testCount, FrameColumn, testCol1, FrameRow, testRow, FrameEnd, testEnd), false, 0, 0},
		{"a column too many", encodeMy(FrameCount, testCount, FrameColumn, testCol1, FrameColumn, testCol2, FrameColumn, testCol2, FrameEnd, testEnd), false, 0, 0},
		{"no count", encodeMy(FrameColumn, testCol1, FrameEnd, testEnd), false, 0, 0},
		{"two counts", encodeMy(FrameCount, testCount, FrameCount, testCount, FrameEnd, testEnd), false, 0, 0},
		{"zero columns", encodeMy(FrameCount, []byte{0}, FrameEnd, testEnd), false, 0, 0},
		{"bad column", encodeMy(FrameCount, []byte{1}, FrameColumn, []byte{3, 'd'}, FrameEnd, testEnd), false, 0, 0},
		{"empty row", encodeMy(FrameCount, []byte{1}, FrameColumn, testCol1, FrameRow, []byte{}, FrameEnd, testEnd), false, 0, 0},
		{"short end", encodeMy(FrameCount, []byte{1}, FrameColumn, testCol1, FrameEnd, []byte{0}), false, 0, 0},
		{"after the end", encodeMy(FrameCount, []byte{1}, FrameColumn, testCol1, FrameEnd, testEnd, FrameRow, testRow), false, 0, 0},
		{"other kind", encodeMy(FrameCount, []byte{1}, FrameColumn, testCol1, byte('X'), testRow, FrameEnd, testEnd), false, 0, 0},
		{"bad header", append([]byte{'P', 1}, encodeMy(FrameCount, []byte{1}, FrameColumn, testCol1, FrameEnd, testEnd)[2:]...), false, 0, 0},
		{"truncated", encodeMy(FrameCount, testCount, FrameColumn, testCol1, FrameColumn, testCol2, FrameEnd, testEnd)[:20], false, 0, 0},
		{"empty", nil, false, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := DecodeMy(tc.payload)
			if (err == nil) != tc.ok {
				t.Fatalf("err %v, want ok=%v", err, tc.ok)
			}
			if tc.ok && (len(r.Rows) != tc.rows || r.Warnings != tc.warnings || len(r.Columns) != 2) {
				t.Fatalf("rows %d warnings %d columns %d", len(r.Rows), r.Warnings, len(r.Columns))
			}
		})
	}
}

// The key of an execution is the same whether the client sent the
// parameter types with it or bound them before, and differs by type,
// value and NULL.
func TestExecuteParams(t *testing.T) {
	long := []uint16{uint16(mysqlwire.TypeLongLong)}
	str := []uint16{uint16(mysqlwire.TypeVarString)}
	one := binary.LittleEndian.AppendUint64(nil, 1)
	sent := &mysqlwire.Execute{Nulls: []bool{false}, NewBound: true, Types: long, Values: one}
	bound := &mysqlwire.Execute{Nulls: []bool{false}, Values: one}
	if string(ExecuteParams(sent, long)) != string(ExecuteParams(bound, long)) {
		t.Fatal("types sent with the execution and bound before key differently")
	}
	keys := map[string]string{}
	for name, k := range map[string][]byte{
		"long 1":   ExecuteParams(bound, long),
		"string 1": ExecuteParams(&mysqlwire.Execute{Nulls: []bool{false}, Values: mysqlwire.AppendLenString(nil, "1")}, str),
		"long 2":   ExecuteParams(&mysqlwire.Execute{Nulls: []bool{false}, Values: binary.LittleEndian.AppendUint64(nil, 2)}, long),
		"null":     ExecuteParams(&mysqlwire.Execute{Nulls: []bool{true}}, long),
	} {
		if other, dup := keys[string(k)]; dup {
			t.Errorf("%s and %s share a key", name, other)
		}
		keys[string(k)] = name
	}
}

func FuzzDecodeMy(f *testing.F) {
	f.Add(encodeMy(FrameCount, testCount, FrameColumn, testCol1, FrameColumn, testCol2, FrameRow, testRow, FrameEnd, testEnd))
	f.Add(encodeMy(FrameCount, []byte{1}, FrameColumn, testCol1, FrameEnd, testEnd))
	f.Fuzz(func(t *testing.T, p []byte) {
		r, err := DecodeMy(p)
		if err != nil {
			return
		}
		n, _ := mysqlwire.NewReader(r.Count).LenInt()
		if int(n) != len(r.Columns) {
			t.Fatalf("%d columns announced, %d decoded", n, len(r.Columns))
		}
		for _, row := range r.Rows {
			if len(row) == 0 {
				t.Fatal("an empty row decoded")
			}
		}
	})
}
