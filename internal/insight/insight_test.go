package insight

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/floe-db/floe/internal/analysis"
	"github.com/floe-db/floe/internal/sqltext"
)

func TestRing(t *testing.T) {
	cases := []struct {
		name       string
		keep, add  int
		resize     int
		wantIDs    []uint64 // newest first
		listLimit  int
		wantListed int
	}{
		{name: "under capacity", keep: 5, add: 3, wantIDs: []uint64{3, 2, 1}, listLimit: 10},
		{name: "wraps", keep: 3, add: 7, wantIDs: []uint64{7, 6, 5}, listLimit: 10},
		{name: "limit", keep: 10, add: 10, wantIDs: []uint64{10, 9}, listLimit: 2},
		{name: "shrink keeps newest", keep: 5, add: 5, resize: 2, wantIDs: []uint64{5, 4}, listLimit: 10},
		{name: "grow keeps all", keep: 2, add: 4, resize: 10, wantIDs: []uint64{4, 3}, listLimit: 10},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := NewBook()
			defer b.Close()
			l := b.Log("db", tc.keep)
			t0 := time.Now()
			for i := range tc.add {
				l.add(&Record{Time: t0.Add(time.Duration(i) * time.Millisecond), Database: "db"})
			}
			if tc.resize > 0 {
				if b.Log("db", tc.resize) != l {
					t.Fatal("resizing made a new log")
				}
			}
			got := b.List("db", tc.listLimit)
			var ids []uint64
			for _, r := range got {
				ids = append(ids, r.ID)
			}
			if len(ids) != len(tc.wantIDs) {
				t.Fatalf("ids %v, want %v", ids, tc.wantIDs)
			}
			for i := range ids {
				if ids[i] != tc.wantIDs[i] {
					t.Fatalf("ids %v, want %v", ids, tc.wantIDs)
				}
			}
			if tc.resize > 0 {
				// after a resize the ring goes on wrapping at its new size
				for range 2 * tc.resize {
					l.add(&Record{Time: time.Now(), Database: "db"})
				}
				if n := len(b.List("db", 1000)); n != tc.resize {
					t.Fatalf("%d records after refilling, want %d", n, tc.resize)
				}
			}
		})
	}
}

func TestBookListAcrossDatabases(t *testing.T) {
	b := NewBook()
	defer b.Close()
	t0 := time.Now()
	b.Log("a", 10).add(&Record{Time: t0, Database: "a"})
	b.Log("b", 10).add(&Record{Time: t0.Add(time.Second), Database: "b"})
	b.Log("a", 10).add(&Record{Time: t0.Add(2 * time.Second), Database: "a"})
	all := b.List("", 0)
	if len(all) != 3 || all[0].Database != "a" || all[1].Database != "b" {
		t.Fatalf("list %+v", all)
	}
	if got := b.List("b", 10); len(got) != 1 || got[0].Database != "b" {
		t.Fatalf("filtered %+v", got)
	}
	b.Drop(func(db string) bool { return db == "b" })
	if got := b.List("a", 10); len(got) != 0 {
		t.Fatalf("dropped database still listed: %+v", got)
	}
}

func TestPlanLimiter(t *testing.T) {
	l := newLog(context.Background(), 10)
	t0 := time.Unix(1000, 0)
	steps := []struct {
		shape string
		at    time.Duration
		want  bool
	}{
		{"a", 0, true},
		{"a", 5 * time.Second, false},
		{"b", 5 * time.Second, true},
		{"a", 9999 * time.Millisecond, false},
		{"a", 10 * time.Second, true},
		{"b", 14 * time.Second, false},
		{"b", 15 * time.Second, true},
	}
	for i, s := range steps {
		if got := l.allowPlan(s.shape, t0.Add(s.at), 10*time.Second); got != s.want {
			t.Fatalf("step %d (%s at %v): %v, want %v", i, s.shape, s.at, got, s.want)
		}
	}
	// The limiter stays bounded.
	for i := range maxShapes + 10 {
		l.allowPlan(strings.Repeat("x", i%7)+string(rune('a'+i%26))+time.Duration(i).String(), t0, time.Hour)
	}
	if n := len(l.mu.plans); n > maxShapes {
		t.Fatalf("limiter holds %d shapes", n)
	}
}

const pgPlan = `[{"Plan": {"Node Type": "Nested Loop", "Join Type": "Inner", "Startup Cost": 0.00, "Total Cost": 35.5, "Plan Rows": 10, "Plans": [
 {"Node Type": "Seq Scan", "Parent Relationship": "Outer", "Relation Name": "orders", "Schema": "public", "Total Cost": 20.1, "Plan Rows": 5, "Actual Rows": 7, "Filter": "((email)::text = 'alice@example.com'::text)"},
 {"Node Type": "Index Scan", "Relation Name": "items", "Index Name": "items_pkey", "Total Cost": 1.2, "Plan Rows": 1, "Index Cond": "(id = 42)"}]}, "Planning Time": 0.1}]`

const myPlan = `{"query_block": {"select_id": 1, "cost_info": {"query_cost": "12.50"},
 "ordering_operation": {"using_filesort": true, "nested_loop": [
   {"table": {"table_name": "orders", "access_type": "ALL", "rows_examined_per_scan": 100, "attached_condition": "(` + "`test`.`orders`.`email` = 'bob@example.com'" + `)"}},
   {"table": {"table_name": "items", "access_type": "eq_ref", "key": "PRIMARY", "rows_examined_per_scan": 1}}]}}}`

const mariaPlan = `{"query_block": {"select_id": 1, "table": {"table_name": "t", "access_type": "ALL", "rows": 3, "filtered": 100, "attached_condition": "t.a = 5"}}}`

func TestParsePlan(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	cases := []struct {
		name, format, raw string
		want              *Node
		bad               bool
		notIn             []string
	}{
		{name: "postgres", format: FormatPostgres, raw: pgPlan, notIn: []string{"alice@example.com", "42"}, want: &Node{Type: "Nested Loop", Cost: f(35.5), Rows: f(10), Children: []*Node{
			{Type: "Seq Scan", Relation: "public.orders", Rows: f(5), Actual: f(7), Cost: f(20.1)},
			{Type: "Index Scan", Relation: "items", Rows: f(1), Cost: f(1.2)},
		}}},
		{name: "mysql", format: FormatMySQL, raw: myPlan, notIn: []string{"bob@example.com"}, want: &Node{Type: "query_block", Cost: f(12.5), Children: []*Node{
			{Type: "ordering_operation", Children: []*Node{
				{Type: "table (ALL)", Relation: "orders", Rows: f(100)},
				{Type: "table (eq_ref)", Relation: "items", Rows: f(1)},
			}},
		}}},
		{name: "mariadb", format: FormatMySQL, raw: mariaPlan, want: &Node{Type: "table (ALL)", Relation: "t", Rows: f(3)}},
		{name: "not json", format: FormatPostgres, raw: `[{`, bad: true},
		{name: "pg object", format: FormatPostgres, raw: `{"Plan": {}}`, bad: true},
		{name: "pg no plan", format: FormatPostgres, raw: `[{"x": 1}]`, bad: true},
		{name: "mysql array", format: FormatMySQL, raw: `[]`, bad: true},
		{name: "unknown format", format: "oracle", raw: `{}`, bad: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePlan(tc.format, []byte(tc.raw), sqltext.Mask)
			if tc.bad {
				if err == nil {
					t.Fatalf("no error: %+v", p)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			assertNode(t, "root", p.Tree, tc.want)
			for _, s := range tc.notIn {
				if strings.Contains(string(p.Raw), s) || strings.Contains(treeText(p.Tree), s) {
					t.Fatalf("value %q kept in the plan: %s", s, p.Raw)
				}
			}
			if !json.Valid(p.Raw) {
				t.Fatalf("raw not JSON: %s", p.Raw)
			}
		})
	}
}

func treeText(n *Node) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func assertNode(t *testing.T, path string, got, want *Node) {
	t.Helper()
	eq := func(a, b *float64) bool { return (a == nil && b == nil) || (a != nil && b != nil && *a == *b) }
	if got.Type != want.Type || got.Relation != want.Relation || !eq(got.Rows, want.Rows) || !eq(got.Actual, want.Actual) || !eq(got.Cost, want.Cost) {
		t.Fatalf("%s: got %s, want %s", path, treeText(got), treeText(want))
	}
	if len(got.Children) != len(want.Children) {
		t.Fatalf("%s: %d children, want %d: %s", path, len(got.Children), len(want.Children), treeText(got))
	}
	for i := range got.Children {
		assertNode(t, path+"/"+got.Children[i].Type, got.Children[i], want.Children[i])
	}
}

func TestExplainable(t *testing.T) {
	pg := analysis.New(analysis.Postgres, 0)
	my := analysis.New(analysis.MySQL, 0)
	cases := []struct {
		a    *analysis.Analysis
		want bool
		why  string
	}{
		{a: pg.Of("SELECT * FROM t WHERE id = $1"), want: true},
		{a: pg.Of("SELECT pg_sleep(0.3)"), want: true},
		{a: pg.Of("select count(*), pg_catalog.pg_sleep(1) from t"), want: true},
		{a: my.Of("SELECT SLEEP(0.3), a FROM t WHERE b = ?"), want: true},
		{a: pg.Of("UPDATE t SET a = 1"), why: "not a SELECT"},
		{a: pg.Of("SELECT 1; SELECT 2"), why: "not a single statement"},
		{a: pg.Of("SELECT * INTO t2 FROM t"), why: "not a SELECT"},
		{a: pg.Of("SELECT * FROM t FOR UPDATE"), why: "row locks"},
		{a: pg.Of("SELECT my_writer(1)"), why: "function my_writer"},
		{a: pg.Of("SELECT nextval('s')"), why: "writes s"},
		{a: pg.Of("WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x"), why: "writes"},
		{a: my.Of("SELECT * FROM t INTO OUTFILE '/tmp/x'")},
		{a: pg.Of("not sql at all"), why: "not parsed"},
		{a: nil, why: "no text"},
	}
	for _, tc := range cases {
		name := "nil"
		if tc.a != nil {
			name = tc.a.Text
		}
		ok, why := Explainable(tc.a)
		if ok != tc.want || !strings.Contains(why, tc.why) {
			t.Errorf("%s: %v %q, want %v %q", name, ok, why, tc.want, tc.why)
		}
	}
}

func TestPlanError(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{&ServerError{Code: "42501", Message: "permission denied for table t"}, "42501: permission denied for table t"},
		{&ServerError{Code: "22P02", Message: `invalid input syntax for type integer: "abc"`}, "22P02: invalid input syntax for type integer: ?"},
		{context.DeadlineExceeded, "timed out"},
		{errors.New("dial tcp: refused"), "dial tcp: refused"},
	}
	for _, tc := range cases {
		if got := planError(tc.err); got != tc.want {
			t.Errorf("planError(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
