package cdc

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pglogrepl"
)

func TestQueryEvents(t *testing.T) {
	cases := []struct {
		name, schema, sql string
		want              []Event
		ctl               queryControl
	}{
		{"begin", "s", "BEGIN", nil, ctlBegin},
		{"commit", "s", "COMMIT", nil, ctlCommit},
		{"savepoint", "s", "SAVEPOINT a", nil, ctlNone},
		{"rollback to", "s", "ROLLBACK TO SAVEPOINT a", nil, ctlNone},
		{"rollback", "s", "ROLLBACK", nil, ctlCommit},
		{"xa start", "s", "XA START 'x'", nil, ctlBegin},
		{"xa end", "s", "XA END 'x'", nil, ctlNone},
		{"xa commit", "s", "XA COMMIT 'x'", nil, ctlCommit},
		{"create", "s", "CREATE TABLE t (id int)", []Event{{Schema: "s", Table: "t", Op: OpDDL}}, ctlChange},
		{"qualified", "s", "ALTER TABLE o.t ADD COLUMN x int", []Event{{Schema: "o", Table: "t", Op: OpDDL}}, ctlChange},
		{"drop two", "s", "DROP TABLE a, o.b", []Event{{Schema: "s", Table: "a", Op: OpDDL}, {Schema: "o", Table: "b", Op: OpDDL}}, ctlChange},
		{"rename", "s", "RENAME TABLE a TO b", []Event{{Schema: "s", Table: "a", Op: OpDDL}, {Schema: "s", Table: "b", Op: OpDDL}}, ctlChange},
		{"truncate", "s", "TRUNCATE TABLE t", []Event{{Schema: "s", Table: "t", Op: OpTruncate}}, ctlChange},
		{"index", "s", "CREATE INDEX i ON t (a)", []Event{{Schema: "s", Table: "t", Op: OpDDL}}, ctlChange},
		{"drop database", "s", "DROP DATABASE d", []Event{{Schema: "d", Op: OpDDL}}, ctlChange},
		{"statement insert", "s", "INSERT INTO t VALUES (1)", []Event{{Schema: "s", Table: "t", Op: OpInsert}}, ctlChange},
		{"statement update", "s", "UPDATE t SET a = 1", []Event{{Schema: "s", Table: "t", Op: OpUpdate}}, ctlChange},
		{"statement delete", "s", "DELETE FROM o.t", []Event{{Schema: "o", Table: "t", Op: OpDelete}}, ctlChange},
		{"executable comment", "s", "/*!40000 ALTER TABLE t DISABLE KEYS */", []Event{{Schema: "s", Table: "t", Op: OpDDL}}, ctlChange},
		{"grant", "s", "GRANT SELECT ON s.t TO u", nil, ctlChange},
		{"unparsed", "s", "ALTER TABLE t FROBNICATE", []Event{{Schema: "s", Op: OpDDL}}, ctlChange},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ctl := queryEvents(c.schema, c.sql)
			if ctl != c.ctl {
				t.Errorf("control %d, want %d", ctl, c.ctl)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCmpFilePos(t *testing.T) {
	cases := []struct {
		f1   string
		p1   uint32
		f2   string
		p2   uint32
		want int
	}{
		{"b.000001", 4, "b.000001", 4, 0},
		{"b.000001", 400, "b.000002", 4, -1},
		{"b.000010", 4, "b.000009", 900, 1},
		{"b.000002", 5, "b.000002", 4, 1},
	}
	for _, c := range cases {
		if got := cmpFilePos(c.f1, c.p1, c.f2, c.p2); got != c.want {
			t.Errorf("cmpFilePos(%s:%d, %s:%d) = %d, want %d", c.f1, c.p1, c.f2, c.p2, got, c.want)
		}
	}
}

func TestDefaultName(t *testing.T) {
	cases := map[string]string{
		"app":       "floe_app",
		"My-Shop.1": "floe_my_shop_1",
		"ünï":       "floe__n_",
	}
	for in, want := range cases {
		if got := DefaultName(in); got != want || !ValidName(got) {
			t.Errorf("DefaultName(%q) = %q (valid %v), want %q", in, got, ValidName(got), want)
		}
	}
	if got := DefaultName(string(make([]byte, 100))); len(got) != 63 {
		t.Errorf("long name not cut to 63: %d", len(got))
	}
}

func TestPageBoundary(t *testing.T) {
	cases := []struct{ in, want pglogrepl.LSN }{
		{0x1000000, 0x1000000},
		{0x1000018, 0x1000000},
		{0x1000028, 0x1000000},
		{0x1000030, 0x1000030},
		{0x1002018, 0x1002000},
	}
	for _, c := range cases {
		if got := pageBoundary(c.in); got != c.want {
			t.Errorf("pageBoundary(%s) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestSameRelation(t *testing.T) {
	base := func() *pglogrepl.RelationMessage {
		return &pglogrepl.RelationMessage{Namespace: "public", RelationName: "t", ReplicaIdentity: 'd',
			Columns: []*pglogrepl.RelationMessageColumn{{Name: "id", DataType: 23, Flags: 1}, {Name: "v", DataType: 25}}}
	}
	cases := []struct {
		name   string
		change func(*pglogrepl.RelationMessage)
		same   bool
	}{
		{"unchanged", func(*pglogrepl.RelationMessage) {}, true},
		{"renamed", func(r *pglogrepl.RelationMessage) { r.RelationName = "u" }, false},
		{"column added", func(r *pglogrepl.RelationMessage) {
			r.Columns = append(r.Columns, &pglogrepl.RelationMessageColumn{Name: "w", DataType: 25})
		}, false},
		{"type changed", func(r *pglogrepl.RelationMessage) { r.Columns[1].DataType = 1043 }, false},
		{"identity", func(r *pglogrepl.RelationMessage) { r.ReplicaIdentity = 'f' }, false},
	}
	for _, c := range cases {
		b := base()
		c.change(b)
		if got := sameRelation(base(), b); got != c.same {
			t.Errorf("%s: sameRelation = %v, want %v", c.name, got, c.same)
		}
	}
}

func TestTxnCollapses(t *testing.T) {
	var tx txn
	for _, op := range []Op{OpInsert, OpInsert, OpUpdate, OpInsert, OpDelete} {
		tx.add(Event{Schema: "s", Table: "t", Op: op})
	}
	tx.add(Event{Schema: "s", Table: "u", Op: OpInsert})
	got := tx.finish("0/10", testTime)
	want := []Event{
		{Schema: "s", Table: "t", Op: OpInsert, Position: "0/10", Commit: testTime},
		{Schema: "s", Table: "t", Op: OpUpdate, Position: "0/10", Commit: testTime},
		{Schema: "s", Table: "t", Op: OpDelete, Position: "0/10", Commit: testTime},
		{Schema: "s", Table: "u", Op: OpInsert, Position: "0/10", Commit: testTime},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(tx.finish("0/11", testTime)) != 0 {
		t.Error("finish did not empty the transaction")
	}
}

func TestState(t *testing.T) {
	dir := t.TempDir()
	if st, err := ReadState(dir, "shop"); err != nil || st != nil {
		t.Fatalf("missing state: %v %v", st, err)
	}
	in := State{Database: "shop", Kind: KindMySQL, Position: "mysql-bin.000003:1234", GTID: "0-1-17"}
	if err := WriteState(dir, in); err != nil {
		t.Fatal(err)
	}
	st, err := ReadState(dir, "shop")
	if err != nil || st == nil || st.Position != in.Position || st.GTID != in.GTID || st.Updated.IsZero() {
		t.Fatalf("read back %+v, %v", st, err)
	}
	if err := RemoveState(dir, "shop"); err != nil {
		t.Fatal(err)
	}
	if st, _ := ReadState(dir, "shop"); st != nil {
		t.Fatal("state still there after RemoveState")
	}
	bad := []string{`{`, `{"kind":"oracle"}`, `{"kind":"mysql","position":"nocolon"}`, `{"kind":"mysql","position":"f:-1"}`}
	for _, b := range bad {
		if _, err := DecodeState([]byte(b)); !errors.Is(err, ErrConfig) {
			t.Errorf("DecodeState(%s) = %v, want ErrConfig", b, err)
		}
	}
}

func TestNewChecks(t *testing.T) {
	h := func(Event) {}
	cases := []Options{
		{Kind: KindPostgres, DSN: "postgres://x", Handler: h},
		{Database: "d", Kind: KindPostgres, Handler: h},
		{Database: "d", Kind: KindPostgres, DSN: "postgres://x"},
		{Database: "d", Kind: "sqlite", DSN: "x", Handler: h},
		{Database: "d", Kind: KindMySQL, DSN: "mysql://root@127.0.0.1:3306/", Handler: h},
		{Database: "d", Kind: KindMySQL, DSN: "tcp(127.0.0.1)", Handler: h, ServerID: 7},
	}
	for i, o := range cases {
		if _, err := New(o); !errors.Is(err, ErrConfig) {
			t.Errorf("case %d: New = %v, want ErrConfig", i, err)
		}
	}
}

func TestDecodeDDLMessage(t *testing.T) {
	cases := []struct {
		in   string
		want []Event
		err  bool
	}{
		{`[{"schema":"public","table":"t"},{"schema":"s","table":"U x"}]`, []Event{{Schema: "public", Table: "t", Op: OpDDL}, {Schema: "s", Table: "U x", Op: OpDDL}}, false},
		{`[]`, []Event{}, false},
		{`[{"schema":"s"}]`, nil, true},
		{`[{"schema":"s","table":""}]`, nil, true},
		{`{"schema":"s","table":"t"}`, nil, true},
		{`not json`, nil, true},
	}
	for _, c := range cases {
		got, err := decodeDDLMessage([]byte(c.in))
		if (err != nil) != c.err {
			t.Errorf("%s: error %v, want error %v", c.in, err, c.err)
			continue
		}
		if !c.err {
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", c.in, diff)
			}
		}
	}
}
