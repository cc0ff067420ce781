package myrelay

import (
	"encoding/binary"
	"testing"

	"github.com/floe-db/floe/internal/wire/mysqlwire"
)

// encodeResult is a stored result as the recorder writes it: frames of
// kind and body.
func encodeResult(frames ...any) []byte {
	b := []byte{resultMagic, resultVersion}
	for i := 0; i+1 < len(frames); i += 2 {
		b = appendFrame(b, frames[i].(byte), frames[i+1].([]byte))
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

func TestDecodeResult(t *testing.T) {
	for _, tc := range []struct {
		name     string
		payload  []byte
		ok       bool
		rows     int
		warnings uint16
	}{
		{"columns, rows and end", encodeResult(frameCount, testCount, frameColumn, testCol1, frameColumn, testCol2, frameRow, testRow, frameRow, testRow, frameEnd, testEnd), true, 2, 1},
		{"no rows", encodeResult(frameCount, testCount, frameColumn, testCol1, frameColumn, testCol2, frameEnd, testEnd), true, 0, 1},
		{"no end", encodeResult(frameCount, testCount, frameColumn, testCol1, frameColumn, testCol2, frameRow, testRow), false, 0, 0},
		{"a column short", encodeResult(frameCount, testCount, frameColumn, testCol1, frameRow, testRow, frameEnd, testEnd), false, 0, 0},
		{"a column too many", encodeResult(frameCount, testCount, frameColumn, testCol1, frameColumn, testCol2, frameColumn, testCol2, frameEnd, testEnd), false, 0, 0},
		{"no count", encodeResult(frameColumn, testCol1, frameEnd, testEnd), false, 0, 0},
		{"two counts", encodeResult(frameCount, testCount, frameCount, testCount, frameEnd, testEnd), false, 0, 0},
		{"zero columns", encodeResult(frameCount, []byte{0}, frameEnd, testEnd), false, 0, 0},
		{"bad column", encodeResult(frameCount, []byte{1}, frameColumn, []byte{3, 'd'}, frameEnd, testEnd), false, 0, 0},
		{"empty row", encodeResult(frameCount, []byte{1}, frameColumn, testCol1, frameRow, []byte{}, frameEnd, testEnd), false, 0, 0},
		{"short end", encodeResult(frameCount, []byte{1}, frameColumn, testCol1, frameEnd, []byte{0}), false, 0, 0},
		{"after the end", encodeResult(frameCount, []byte{1}, frameColumn, testCol1, frameEnd, testEnd, frameRow, testRow), false, 0, 0},
		{"other kind", encodeResult(frameCount, []byte{1}, frameColumn, testCol1, byte('X'), testRow, frameEnd, testEnd), false, 0, 0},
		{"bad header", append([]byte{'P', 1}, encodeResult(frameCount, []byte{1}, frameColumn, testCol1, frameEnd, testEnd)[2:]...), false, 0, 0},
		{"truncated", encodeResult(frameCount, testCount, frameColumn, testCol1, frameColumn, testCol2, frameEnd, testEnd)[:20], false, 0, 0},
		{"empty", nil, false, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := decodeResult(tc.payload)
			if (err == nil) != tc.ok {
				t.Fatalf("err %v, want ok=%v", err, tc.ok)
			}
			if tc.ok && (len(r.rows) != tc.rows || r.warnings != tc.warnings || len(r.columns) != 2) {
				t.Fatalf("rows %d warnings %d columns %d", len(r.rows), r.warnings, len(r.columns))
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
	if string(executeParams(sent, long)) != string(executeParams(bound, long)) {
		t.Fatal("types sent with the execution and bound before key differently")
	}
	keys := map[string]string{}
	for name, k := range map[string][]byte{
		"long 1":   executeParams(bound, long),
		"string 1": executeParams(&mysqlwire.Execute{Nulls: []bool{false}, Values: mysqlwire.AppendLenString(nil, "1")}, str),
		"long 2":   executeParams(&mysqlwire.Execute{Nulls: []bool{false}, Values: binary.LittleEndian.AppendUint64(nil, 2)}, long),
		"null":     executeParams(&mysqlwire.Execute{Nulls: []bool{true}}, long),
	} {
		if other, dup := keys[string(k)]; dup {
			t.Errorf("%s and %s share a key", name, other)
		}
		keys[string(k)] = name
	}
}

func FuzzDecodeResult(f *testing.F) {
	f.Add(encodeResult(frameCount, testCount, frameColumn, testCol1, frameColumn, testCol2, frameRow, testRow, frameEnd, testEnd))
	f.Add(encodeResult(frameCount, []byte{1}, frameColumn, testCol1, frameEnd, testEnd))
	f.Fuzz(func(t *testing.T, p []byte) {
		r, err := decodeResult(p)
		if err != nil {
			return
		}
		n, _ := mysqlwire.NewReader(r.count).LenInt()
		if int(n) != len(r.columns) {
			t.Fatalf("%d columns announced, %d decoded", n, len(r.columns))
		}
		for _, row := range r.rows {
			if len(row) == 0 {
				t.Fatal("an empty row decoded")
			}
		}
	})
}
