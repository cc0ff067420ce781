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
	first, _ := PGStatements(pg.Of("SELECT 'ab' AS b; SELECT 2"))
	again, _ := PGStatements(pg.Of("SELECT 'ab' AS b; SELECT 2"))
	if len(first) != 2 || &first[0] != &again[0] {
		t.Fatalf("the text was split again: %p %p", first, again)
	}
	mine := MyStatements(my.Of(q))
	if len(mine) != 2 || &mine[0] != &MyStatements(my.Of(q))[0] {
		t.Fatal("the MySQL text was split again")
	}
	if mine[0].SQL != "SELECT X'6162' AS `b`" || first[0].SQL == mine[0].SQL {
		t.Fatalf("MySQL literals: %q (PostgreSQL side %q)", mine[0].SQL, first[0].SQL)
	}
}

func TestSplit(t *testing.T) {
	got := split("select 1; select 'a;b' -- c;\n; insert into t (a, b) values ($2, $1) returning id;")
	if len(got) != 3 {
		t.Fatalf("statements: %+v", got)
	}
	if got[1].SQL != "select 'a;b' -- c;" || !got[1].Rows {
		t.Fatalf("quoted semicolon: %+v", got[1])
	}
	ins := got[2]
	if ins.SQL != "insert into t (a, b) values (?2, ?1) returning id" || ins.NParams != 2 || !ins.Rows || ins.Verb != "INSERT" {
		t.Fatalf("insert: %+v", ins)
	}
	if !slices.Equal(ins.ParamCols, []string{"b", "a"}) {
		t.Fatalf("param columns: %v", ins.ParamCols)
	}
	for q, tx := range map[string]byte{"BEGIN": 'B', "start transaction": 'B', "commit": 'E', "END": 'E', "rollback": 'E', "rollback to sp": 0, "select 1": 0} {
		if s := split(q)[0]; s.Tx != tx {
			t.Errorf("%q: tx %q want %q", q, s.Tx, tx)
		}
	}
	if s := split(""); len(s) != 1 || !s[0].Empty {
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
		if !slices.Equal(st.ParamCols, want) {
			t.Errorf("%q: %v want %v", q, st.ParamCols, want)
		}
	}
}

func TestExprType(t *testing.T) {
	cols := map[string]Type{"qty": TypeInt4, "price": TypeFloat, "total": TypeNumeric}
	for e, want := range map[string]Type{
		"count(*)": TypeInt, "sum(o.qty)": TypeInt, "max(qty)": TypeInt4, "length(name)": TypeInt4, "sum(price)": TypeFloat, "avg(qty)": TypeFloat, "max(price)": TypeFloat,
		"upper(name)": TypeText, "42": TypeInt4, "1.5": TypeFloat, "'x'": TypeText, "a + b": TypeUnknown, "3000000000": TypeInt,
		"floe_numeric_sum(`o`.`total`)": TypeNumeric, "floe_numeric_sum(`qty`)": TypeInt, "floe_numeric_sum(x)": TypeNumeric, "max(\"total\")": TypeNumeric,
	} {
		if got := ExprType(e, cols); got != want {
			t.Errorf("%s: %s want %s", e, got, want)
		}
	}
	if got := SelectList("select count(*) as n, sum(x), 'a,b' from t"); len(got) != 3 || got[0] != "count(*)" {
		t.Fatalf("select list: %q", got)
	}
}

func FuzzSplit(f *testing.F) {
	for _, s := range []string{"select $1; select '$2'", "insert into t (a) values ($1)", "$$;$$", "--", "?1 ? $0 $99999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, st := range split(s) {
			if len(st.ParamCols) != 0 && len(st.ParamCols) != st.NParams {
				t.Fatalf("param columns %d for %d params", len(st.ParamCols), st.NParams)
			}
		}
		_ = SelectList(s)
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
