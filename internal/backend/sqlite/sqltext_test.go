package sqlite

import (
	"slices"
	"testing"

	"github.com/floe-db/floe/internal/analysis"
)

// A text is split once: its statements are kept with its analysis, and
// each dialect's analysis is split as that front end reads it.
func TestStatementsKeptWithAnalysis(t *testing.T) {
	const q = "SELECT _binary'ab' AS b; SELECT 2"
	pg, my := analysis.New(analysis.Postgres, 0), analysis.New(analysis.MySQL, 0)
	first := pgStatements(pg.Of(q))
	again := pgStatements(pg.Of(q))
	if len(first) != 2 || &first[0] != &again[0] {
		t.Fatalf("the text was split again: %p %p", first, again)
	}
	mine := myStatements(my.Of(q))
	if len(mine) != 2 || &mine[0] != &myStatements(my.Of(q))[0] {
		t.Fatal("the MySQL text was split again")
	}
	if mine[0].sql != "SELECT X'6162' AS b" || first[0].sql == mine[0].sql {
		t.Fatalf("MySQL literals: %q (PostgreSQL side %q)", mine[0].sql, first[0].sql)
	}
}

func TestSplit(t *testing.T) {
	got := split("select 1; select 'a;b' -- c;\n; insert into t (a, b) values ($2, $1) returning id;")
	if len(got) != 3 {
		t.Fatalf("statements: %+v", got)
	}
	if got[1].sql != "select 'a;b' -- c;" || !got[1].rows {
		t.Fatalf("quoted semicolon: %+v", got[1])
	}
	ins := got[2]
	if ins.sql != "insert into t (a, b) values (?2, ?1) returning id" || ins.nParams != 2 || !ins.rows || ins.verb != "INSERT" {
		t.Fatalf("insert: %+v", ins)
	}
	if !slices.Equal(ins.paramCols, []string{"b", "a"}) {
		t.Fatalf("param columns: %v", ins.paramCols)
	}
	for q, tx := range map[string]byte{"BEGIN": 'B', "start transaction": 'B', "commit": 'E', "END": 'E', "rollback": 'E', "rollback to sp": 0, "select 1": 0} {
		if s := split(q)[0]; s.tx != tx {
			t.Errorf("%q: tx %q want %q", q, s.tx, tx)
		}
	}
	if s := split(""); len(s) != 1 || !s[0].empty {
		t.Fatalf("empty: %+v", s)
	}
}

func TestParamContext(t *testing.T) {
	for q, want := range map[string][]string{
		"select * from t where id = $1 and $2 < t.price":     {"id", "price"},
		"update products set stock = $1 where name = $2":     {"stock", "name"},
		"insert into t (x, y, z) values ($3, lower($1), $2)": {"", "z", "x"},
		"select $1": {""},
	} {
		st := split(q)[0]
		if !slices.Equal(st.paramCols, want) {
			t.Errorf("%q: %v want %v", q, st.paramCols, want)
		}
	}
}

func TestExprType(t *testing.T) {
	cols := map[string]uint32{"qty": 20, "price": 701}
	for e, want := range map[string]uint32{
		"count(*)": 20, "sum(o.qty)": 20, "sum(price)": 701, "avg(qty)": 701, "max(price)": 701,
		"upper(name)": 25, "42": 20, "1.5": 701, "'x'": 25, "a + b": 0,
	} {
		if got := exprType(e, cols); got != want {
			t.Errorf("%s: %d want %d", e, got, want)
		}
	}
	if got := selectList("select count(*) as n, sum(x), 'a,b' from t"); len(got) != 3 || got[0] != "count(*)" {
		t.Fatalf("select list: %q", got)
	}
}

func FuzzSplit(f *testing.F) {
	for _, s := range []string{"select $1; select '$2'", "insert into t (a) values ($1)", "$$;$$", "--", "?1 ? $0 $99999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, st := range split(s) {
			if len(st.paramCols) != 0 && len(st.paramCols) != st.nParams {
				t.Fatalf("param columns %d for %d params", len(st.paramCols), st.nParams)
			}
		}
		_ = selectList(s)
	})
}

// MySQL string literals are written again so that SQLite reads the
// values MySQL (and the policy) reads, and no SQL hides in a string.
func TestMySQLLiterals(t *testing.T) {
	for in, want := range map[string]string{
		`SELECT 'a'`: `SELECT 'a'`,
		`SELECT v FROM t WHERE v = 'a\' UNION SELECT s -- '`: `SELECT v FROM t WHERE v = 'a'' UNION SELECT s -- '`,
		`SELECT "a\" UNION SELECT s -- "`:                    `SELECT 'a" UNION SELECT s -- '`,
		`SELECT 'it''s', "x""y", 'a\nb', 'l\%'`:              "SELECT 'it''s', 'x\"y', 'a\nb', 'l\\%'",
		`SELECT _binary'a\'b'`:                               `SELECT X'612762'`,
		`SELECT 'a\0b'`:                                      `SELECT CAST(X'610062' AS TEXT)`,
		"SELECT `c` FROM t":                                  "SELECT `c` FROM t",
	} {
		if got := mysqlLiterals(in); got != want {
			t.Errorf("%s: got %s, want %s", in, got, want)
		}
	}
}

// PostgreSQL texts SQLite would read otherwise are refused.
func TestCheckPGText(t *testing.T) {
	for q, refused := range map[string]bool{
		"SELECT 1 /* a comment */":                           false,
		"SELECT 1 /* /* */ UNION SELECT s FROM secret -- */": true,
		`SELECT E'a\' UNION SELECT s FROM secret --'`:        true,
		`SELECT 'a\'`:  false,
		`SELECT e '\'`: false,
	} {
		if err := CheckPGText(q); (err != nil) != refused {
			t.Errorf("%s: %v, want refused %v", q, err, refused)
		}
	}
}
