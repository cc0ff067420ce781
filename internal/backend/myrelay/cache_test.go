package myrelay

import (
	"encoding/binary"
	"testing"

	"github.com/floe-db/floe/internal/wire/mysqlwire"
)

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
