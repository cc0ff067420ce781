package sqlparse

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func tablesString(ts []Table) string {
	var out []string
	for _, t := range ts {
		out = append(out, t.String()+":"+string(t.Action))
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

// parseCase is one statement and what parsing it must find.
type parseCase struct {
	sql    string
	kind   Kind
	tables string // "name:action" sorted, space-separated
	funcs  string // sorted, space-separated
}

func checkParses(t *testing.T, parse func(string) ([]Statement, error), tests []parseCase) {
	t.Helper()
	for _, tt := range tests {
		sts, err := parse(tt.sql)
		if err != nil {
			t.Errorf("%q: %v", tt.sql, err)
			continue
		}
		if len(sts) != 1 {
			t.Errorf("%q: %d statements", tt.sql, len(sts))
			continue
		}
		st := sts[0]
		fs := slices.Clone(st.Functions)
		slices.Sort(fs)
		if st.Kind != tt.kind || tablesString(st.Tables) != tt.tables || strings.Join(fs, " ") != tt.funcs {
			t.Errorf("%q: kind %s tables %q funcs %q; want %s %q %q", tt.sql, st.Kind, tablesString(st.Tables), strings.Join(fs, " "), tt.kind, tt.tables, tt.funcs)
		}
		if st.Fingerprint == "" {
			t.Errorf("%q: no fingerprint", tt.sql)
		}
	}
}

func TestPostgres(t *testing.T) {
	tests := []parseCase{
		{"SELECT 1", KindSelect, "", ""},
		{"select a from t join s.u on t.id = u.id where x in (select y from v)", KindSelect, "s.u:read t:read v:read", ""},
		{"WITH c AS (SELECT * FROM base) SELECT * FROM c JOIN other ON true", KindSelect, "base:read other:read", ""},
		{"WITH d AS (DELETE FROM old RETURNING *) INSERT INTO archive SELECT * FROM d", KindInsert, "archive:insert old:delete", ""},
		{"INSERT INTO t (a) SELECT b FROM u", KindInsert, "t:insert u:read", ""},
		{"UPDATE t SET a = 1 FROM u WHERE t.id = u.id", KindUpdate, "t:update u:read", ""},
		{"DELETE FROM t USING u WHERE t.id = u.id", KindDelete, "t:delete u:read", ""},
		{"SELECT * INTO newt FROM t", KindDDL, "newt:ddl t:read", ""},
		{"CREATE TABLE x (a int)", KindDDL, "x:ddl", ""},
		{"DROP TABLE public.x, y", KindDDL, "public.x:ddl y:ddl", ""},
		{"CREATE TABLE n AS SELECT * FROM t", KindDDL, "n:ddl t:read", ""},
		{"ALTER TABLE x ADD COLUMN b int", KindDDL, "x:ddl", ""},
		{"TRUNCATE t", KindDDL, "t:ddl", ""},
		{"GRANT SELECT ON t TO bob", KindDCL, "t:ddl", ""},
		{"BEGIN", KindTCL, "", ""},
		{"SET search_path = x", KindUtility, "", ""},
		{"COPY t FROM STDIN", KindCopy, "t:insert", ""},
		{"COPY t TO STDOUT", KindCopy, "t:read", ""},
		{"COPY (SELECT * FROM t) TO STDOUT", KindCopy, "t:read", ""},
		{"CALL proc(1)", KindCall, "", "proc"},
		{"SELECT pg_read_file('/etc/passwd'), now()", KindSelect, "", "now pg_read_file"},
		{"SELECT pg_catalog.pg_sleep(5)", KindSelect, "", "pg_catalog.pg_sleep"},
		{"SELECT * FROM dblink('x', 'select 1') AS t(a int)", KindSelect, "", "dblink"},
		{"EXPLAIN ANALYZE DELETE FROM t", KindDelete, "t:delete", ""},
		{"MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET a = 1", KindMerge, "s:read t:update", ""},
		{"SELECT * FROM v1 UNION SELECT * FROM information_schema.tables", KindSelect, "information_schema.tables:read v1:read", ""},
	}
	checkParses(t, Postgres, tests)
}

func TestPostgresMultiAndErrors(t *testing.T) {
	sts, err := Postgres("SELECT 1 FROM a; UPDATE b SET x = 'y'; ")
	if err != nil || len(sts) != 2 {
		t.Fatalf("%v %d", err, len(sts))
	}
	if sts[0].Text != "SELECT 1 FROM a" || sts[1].Text != "UPDATE b SET x = 'y'" || sts[1].Kind != KindUpdate {
		t.Fatalf("%q %q %s", sts[0].Text, sts[1].Text, sts[1].Kind)
	}
	a, _ := Postgres("SELECT * FROM t WHERE id = 1")
	b, _ := Postgres("select *  from t where id = 42")
	if a[0].Fingerprint != b[0].Fingerprint {
		t.Error("literals change the fingerprint")
	}
	if _, err := Postgres("SELEC 1"); !errors.Is(err, ErrSyntax) {
		t.Fatalf("syntax error: %v", err)
	}
}

func FuzzPostgres(f *testing.F) {
	for _, s := range []string{"SELECT 1", "WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x", "COPY t FROM PROGRAM 'id'", "select $1::int; begin", "SELECT * INTO t FROM u"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		sts, err := Postgres(sql)
		if err != nil {
			return
		}
		for _, st := range sts {
			if st.Kind == "" {
				t.Fatal(fmt.Sprintf("no kind for %q", st.Text))
			}
		}
	})
}

func BenchmarkPostgresParse(b *testing.B) {
	q := "SELECT c.name, sum(o.total) FROM customers c JOIN orders o ON o.customer_id = c.id WHERE c.country = 'NL' GROUP BY c.name"
	b.Run("parse", func(b *testing.B) {
		for b.Loop() {
			if _, err := Postgres(q); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestLocking(t *testing.T) {
	for _, tc := range []struct {
		dialect string
		sql     string
		locking bool
	}{
		{"pg", "SELECT * FROM t", false},
		{"pg", "SELECT * FROM t FOR UPDATE", true},
		{"pg", "SELECT * FROM t FOR SHARE SKIP LOCKED", true},
		{"pg", "SELECT * FROM t FOR NO KEY UPDATE NOWAIT", true},
		{"pg", "SELECT * FROM (SELECT * FROM t FOR UPDATE) s", true},
		{"pg", "WITH x AS (SELECT id FROM t FOR KEY SHARE) SELECT * FROM x", true},
		{"my", "SELECT * FROM t", false},
		{"my", "SELECT * FROM t FOR UPDATE", true},
		{"my", "SELECT * FROM t LOCK IN SHARE MODE", true},
		{"my", "SELECT * FROM t FOR SHARE NOWAIT", true},
		{"my", "SELECT * FROM (SELECT * FROM t FOR UPDATE) s", true},
	} {
		parse := Postgres
		if tc.dialect == "my" {
			parse = MySQL
		}
		stmts, err := parse(tc.sql)
		if err != nil {
			t.Fatalf("%s: %v", tc.sql, err)
		}
		if stmts[0].Locking != tc.locking {
			t.Errorf("%s %q: locking %v, want %v", tc.dialect, tc.sql, stmts[0].Locking, tc.locking)
		}
	}
}
