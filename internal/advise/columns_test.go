package advise

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/floe-db/floe/internal/analysis"
)

func TestExtract(t *testing.T) {
	pub := func(n string) TableRef { return TableRef{Schema: "public", Name: n} }
	app := func(n string) TableRef { return TableRef{Schema: "app", Name: n} }
	tests := []struct {
		name    string
		dialect analysis.Dialect
		sql     string
		want    []TableUse
	}{
		{"pg equality", analysis.Postgres, "SELECT * FROM orders WHERE customer_id = ?",
			[]TableUse{{Table: pub("orders"), Equal: []string{"customer_id"}}}},
		{"pg equality and range, alias", analysis.Postgres, "SELECT o.id FROM orders o WHERE o.status = $1 AND o.created_at >= ? ORDER BY o.created_at",
			[]TableUse{{Table: pub("orders"), Equal: []string{"status"}, Range: []string{"created_at"}, Order: []string{"created_at"}}}},
		{"pg value on the left, between, in", analysis.Postgres, "SELECT * FROM s.t WHERE ? < a AND b BETWEEN ? AND ? AND c IN (?, ?)",
			[]TableUse{{Table: TableRef{"s", "t"}, Range: []string{"a", "b"}, Equal: []string{"c"}}}},
		{"pg join resolves aliases", analysis.Postgres, "SELECT * FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.country = ?",
			[]TableUse{{Table: pub("customers"), Join: []string{"id"}, Equal: []string{"country"}}, {Table: pub("orders"), Join: []string{"customer_id"}}}},
		{"pg unqualified over two tables is not guessed", analysis.Postgres, "SELECT * FROM a, b WHERE x = ?", []TableUse{}},
		{"pg OR is not a condition", analysis.Postgres, "SELECT * FROM t WHERE a = ? OR b = ?", []TableUse{}},
		{"pg subquery has its own scope", analysis.Postgres, "SELECT * FROM t WHERE id IN (SELECT t_id FROM u WHERE k = ?)",
			[]TableUse{{Table: pub("t"), Equal: []string{"id"}}, {Table: pub("u"), Equal: []string{"k"}}}},
		{"pg cte names are not tables", analysis.Postgres, "WITH x AS (SELECT * FROM t WHERE a = ?) SELECT * FROM x WHERE b = ?",
			[]TableUse{{Table: pub("t"), Equal: []string{"a"}}}},
		{"pg update and delete", analysis.Postgres, "UPDATE t SET v = ? WHERE k = ?",
			[]TableUse{{Table: pub("t"), Equal: []string{"k"}}}},
		{"pg delete", analysis.Postgres, "DELETE FROM public.t WHERE ts < $1",
			[]TableUse{{Table: pub("t"), Range: []string{"ts"}}}},
		{"pg insert gives nothing", analysis.Postgres, "INSERT INTO t VALUES (?)", []TableUse{}},
		{"pg order by over two tables is dropped", analysis.Postgres, "SELECT * FROM a JOIN b ON a.id = b.a_id ORDER BY a.x, b.y",
			[]TableUse{{Table: pub("a"), Join: []string{"id"}}, {Table: pub("b"), Join: []string{"a_id"}}}},
		{"pg cast of a column", analysis.Postgres, "SELECT * FROM t WHERE k::text = ?",
			[]TableUse{{Table: pub("t"), Equal: []string{"k"}}}},
		{"pg quoted names keep case", analysis.Postgres, `SELECT * FROM "T" WHERE "K" = ?`,
			[]TableUse{{Table: pub("t"), Equal: []string{"k"}}}},

		{"my equality", analysis.MySQL, "SELECT * FROM orders WHERE customer_id = ?",
			[]TableUse{{Table: app("orders"), Equal: []string{"customer_id"}}}},
		{"my alias, range, order", analysis.MySQL, "SELECT o.id FROM shop.orders AS o WHERE o.status = ? AND o.total > ? ORDER BY o.created_at DESC",
			[]TableUse{{Table: TableRef{"shop", "orders"}, Equal: []string{"status"}, Range: []string{"total"}, Order: []string{"created_at"}}}},
		{"my join", analysis.MySQL, "SELECT * FROM orders o INNER JOIN customers c ON o.customer_id = c.id WHERE c.country = 'x'",
			[]TableUse{{Table: app("orders"), Join: []string{"customer_id"}}, {Table: app("customers"), Join: []string{"id"}, Equal: []string{"country"}}}},
		{"my in and between", analysis.MySQL, "SELECT * FROM t WHERE a IN (1, 2) AND b BETWEEN ? AND ?",
			[]TableUse{{Table: app("t"), Equal: []string{"a"}, Range: []string{"b"}}}},
		{"my update, delete", analysis.MySQL, "UPDATE t SET v = 1 WHERE k = ?",
			[]TableUse{{Table: app("t"), Equal: []string{"k"}}}},
		{"my delete", analysis.MySQL, "DELETE FROM t WHERE ts <= ?",
			[]TableUse{{Table: app("t"), Range: []string{"ts"}}}},
		{"my subquery", analysis.MySQL, "SELECT * FROM t WHERE id IN (SELECT t_id FROM u WHERE k = ?)",
			[]TableUse{{Table: app("t"), Equal: []string{"id"}}, {Table: app("u"), Equal: []string{"k"}}}},
		{"my OR is not a condition", analysis.MySQL, "SELECT * FROM t WHERE a = 1 OR b = 2", []TableUse{}},
		{"my insert gives nothing", analysis.MySQL, "INSERT INTO t VALUES (?)", []TableUse{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			def := "public"
			if tc.dialect == analysis.MySQL {
				def = "app"
			}
			got, err := Extract(tc.dialect, tc.sql, def)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Extract(%q) (-want +got):\n%s", tc.sql, diff)
			}
		})
	}
}

func TestPostgresPlaceholders(t *testing.T) {
	tests := []struct {
		in, want string
		n        int
	}{
		{"SELECT * FROM t WHERE a = ? AND b = ?", "SELECT * FROM t WHERE a = $1 AND b = $2", 2},
		{"SELECT * FROM t WHERE a = $1 AND b = ?", "SELECT * FROM t WHERE a = $1 AND b = $2", 2},
		{"SELECT * FROM t WHERE a>? LIMIT ?", "SELECT * FROM t WHERE a>$1 LIMIT $2", 2},
		{`SELECT "x?" FROM t WHERE j ?| ?`, `SELECT "x?" FROM t WHERE j ?| $1`, 1},
		{"SELECT 1 -- ?\n", "SELECT 1 -- ?\n", 0},
	}
	for _, tc := range tests {
		got, n := PostgresPlaceholders(tc.in)
		if got != tc.want || n != tc.n {
			t.Errorf("PostgresPlaceholders(%q) = %q, %d; want %q, %d", tc.in, got, n, tc.want, tc.n)
		}
	}
}

func TestMySQLLiterals(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SELECT * FROM t WHERE a = ? LIMIT ?", "SELECT * FROM t WHERE a = '1' LIMIT 1"},
		{"SELECT * FROM t WHERE a IN (?, ?) LIMIT ?, ?", "SELECT * FROM t WHERE a IN ('1', '1') LIMIT 1, 1"},
		{"SELECT '?' FROM t", "SELECT '?' FROM t"},
	}
	for _, tc := range tests {
		if got := MySQLLiterals(tc.in); got != tc.want {
			t.Errorf("MySQLLiterals(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCandidatesAndCovered(t *testing.T) {
	tr := TableRef{"public", "orders"}
	uses := []TableUse{{Table: tr, Equal: []string{"status", "customer_id"}, Range: []string{"created_at"}}}
	var got []string
	for _, x := range Candidates(uses) {
		got = append(got, x.Key())
	}
	want := []string{
		"public.orders(status)", "public.orders(customer_id)", "public.orders(created_at)",
		"public.orders(status,customer_id)", "public.orders(status,customer_id,created_at)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Candidates (-want +got):\n%s", diff)
	}
	cov := []struct {
		name     string
		x        Index
		existing [][]string
		want     bool
	}{
		{"prefix", Index{Table: tr, Columns: []string{"a"}, Equal: 1}, [][]string{{"a", "b"}}, true},
		{"not leading", Index{Table: tr, Columns: []string{"b"}, Equal: 1}, [][]string{{"a", "b"}}, false},
		{"equality any order", Index{Table: tr, Columns: []string{"a", "b"}, Equal: 2}, [][]string{{"b", "a", "c"}}, true},
		{"range must follow", Index{Table: tr, Columns: []string{"a", "r"}, Equal: 1}, [][]string{{"a", "b", "r"}}, false},
		{"exact", Index{Table: tr, Columns: []string{"a", "r"}, Equal: 1}, [][]string{{"a", "r"}}, true},
		{"none", Index{Table: tr, Columns: []string{"a"}, Equal: 1}, nil, false},
	}
	for _, tc := range cov {
		if got := Covered(tc.x, tc.existing); got != tc.want {
			t.Errorf("%s: Covered = %v, want %v", tc.name, got, tc.want)
		}
	}
	x := Index{Table: TableRef{"public", "user"}, Columns: []string{"order", "id"}}
	if got, want := x.CreateStatement(analysis.Postgres), `CREATE INDEX CONCURRENTLY floe_idx_user_order_id ON public."user" ("order", id)`; got != want {
		t.Errorf("CreateStatement = %s, want %s", got, want)
	}
	if got, want := x.CreateStatement(analysis.MySQL), "CREATE INDEX `floe_idx_user_order_id` ON `public`.`user` (`order`, `id`)"; got != want {
		t.Errorf("CreateStatement = %s, want %s", got, want)
	}
}

func TestPlans(t *testing.T) {
	pg, err := pgPlan([]byte(`[{"Plan":{"Node Type":"Sort","Total Cost":120.5,"Plan Rows":10,"Plans":[{"Node Type":"Seq Scan","Relation Name":"orders","Plan Rows":10}]}}]`))
	if err != nil {
		t.Fatal(err)
	}
	if pg.Cost != 120.5 || !pg.Sorted || len(pg.Scans) != 1 || pg.Scans[0] != "orders" {
		t.Errorf("pgPlan = %+v", pg)
	}
	my, err := myPlan([]byte(`{"query_block":{"select_id":1,"filesort":{"sort_key":"t.a","table":{"table_name":"T","access_type":"ALL","rows":1000}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if !my.Sorted || len(my.Scans) != 1 || my.Scans[0] != "t" {
		t.Errorf("myPlan = %+v", my)
	}
	if _, err := pgPlan([]byte(`{}`)); err == nil {
		t.Error("pgPlan of an object: want an error")
	}
}

func TestPlannable(t *testing.T) {
	pg := []struct{ in, want string }{
		{"SELECT * FROM t WHERE a = ? AND b = $1", "SELECT * FROM t WHERE a = $2 AND b = $1"},
		{"DELETE FROM t WHERE k < ?", "DELETE FROM t WHERE k < $1"},
		{"INSERT INTO t VALUES (?)", ""},
		{"SELECT 1; SELECT 2", ""},
		{"SELECT * INTO x FROM t", ""},
	}
	for _, tc := range pg {
		got, _, err := pgPlannable(tc.in)
		if (tc.want == "") != (err != nil) || got != tc.want {
			t.Errorf("pgPlannable(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	my := []struct{ in, want string }{
		{"SELECT * FROM t WHERE a = ? LIMIT ?", "SELECT * FROM t WHERE a = '1' LIMIT 1"},
		{"UPDATE t SET a = ? WHERE k = ? ORDER BY id LIMIT ?", "SELECT * FROM `t` WHERE `k`='1' ORDER BY `id` LIMIT 1"},
		{"DELETE FROM s.t WHERE k > ?", "SELECT * FROM `s`.`t` WHERE `k`>'1'"},
		{"DELETE a FROM a JOIN b ON a.id = b.id", ""},
		{"INSERT INTO t VALUES (?)", ""},
		{"SELECT * FROM t FOR UPDATE", ""},
	}
	for _, tc := range my {
		got, err := myPlannable(tc.in)
		if (tc.want == "") != (err != nil) || got != tc.want {
			t.Errorf("myPlannable(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
