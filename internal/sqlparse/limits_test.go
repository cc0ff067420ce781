package sqlparse

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// deep builds the text shapes that make parse trees deep.
func deep(kind string, n int) string {
	r := strings.Repeat
	switch kind {
	case "plus":
		return "select 1" + r("+1", n)
	case "concat":
		return "select 'a'" + r("||'a'", n)
	case "cast":
		return "select 1" + r("::int", n)
	case "paren":
		return "select " + r("(", n) + "1" + r(")", n)
	case "func":
		return "select " + r("abs(", n) + "1" + r(")", n)
	case "case":
		return "select " + r("case when true then ", n) + "1" + r(" end", n)
	case "subquery":
		return r("select (", n) + "select 1" + r(")", n)
	case "not":
		return "select " + r("not ", n) + "true"
	case "neg":
		return "select " + r("- ", n) + "1"
	case "union":
		return "select 1" + r(" union select 1", n)
	case "join":
		return "select 1 from t0" + r(" join t0 on true", n)
	case "crossjoin":
		return "select 1 from t0" + r(" cross join t0", n)
	case "array":
		return "select " + r("array[", n) + "1" + r("]", n)
	case "isnull":
		return "select 1" + r(" is null", n)
	case "collate":
		return "select 'a'" + r(` collate "C"`, n)
	case "nested-chains": // n/100 levels of 100-operator chains
		return "select " + r("(1"+r("+1", 100)+"+", n/100) + "1" + r(")", n/100)
	case "and-my", "and":
		return "select 1 from t where " + r("a=1 and ", n) + "true"
	case "or":
		return "select 1 from t where " + r("a=1 or ", n) + "true"
	case "pipes":
		return "select 1 from t where " + r("a=1 || ", n) + "true"
	}
	panic(kind)
}

func inList(n int) string {
	var b strings.Builder
	b.WriteString("select * from t where a in (")
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%d", i)
	}
	b.WriteString(")")
	return b.String()
}

func insertRows(n int) string {
	var b strings.Builder
	b.WriteString("insert into t (a, b, c, d, e) values ")
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "(%d, 'name %d', %d.5, true, null)", i, i, i)
	}
	return b.String()
}

// TestLimitsRefuseDeepTexts: every shape that makes a deep tree is
// refused before parsing, by the pre-scan and by the parse functions,
// at the size found to crash the process (100,000) and just over the
// limit, in both dialects.
func TestLimitsRefuseDeepTexts(t *testing.T) {
	kinds := []string{"plus", "concat", "cast", "paren", "func", "case", "subquery", "not", "neg",
		"union", "join", "crossjoin", "array", "isnull", "collate", "nested-chains"}
	for _, kind := range kinds {
		for _, n := range []int{100_000, DefaultMaxDepth + 10} {
			pg := deep(kind, n)
			my := strings.ReplaceAll(strings.ReplaceAll(pg, "::int", "+1"), `"C"`, "utf8mb4_bin")
			t.Run(fmt.Sprintf("%s/%d", kind, n), func(t *testing.T) {
				if err := CheckPostgres(pg); !errors.Is(err, ErrTooComplex) {
					t.Errorf("CheckPostgres: %v", err)
				}
				if _, err := Postgres(pg); !errors.Is(err, ErrTooComplex) {
					t.Errorf("Postgres: %v", err)
				}
				if _, _, err := RewritePostgres(pg, "public", []RowFilter{{Table: "t0", Where: "a = 1"}}); !errors.Is(err, ErrTooComplex) {
					t.Errorf("RewritePostgres: %v", err)
				}
				if kind == "concat" && n < DefaultMaxLogical {
					return // MySQL's || is OR: a logical chain, allowed longer
				}
				if _, err := MySQL(my); !errors.Is(err, ErrTooComplex) {
					t.Errorf("MySQL: %v", err)
				}
				if _, _, err := RewriteMySQL(my, "db", []RowFilter{{Table: "t0", Where: "a = 1"}}); !errors.Is(err, ErrTooComplex) {
					t.Errorf("RewriteMySQL: %v", err)
				}
			})
		}
	}
}

// TestLimitsSeeThroughLexicalTricks: a deep chain cannot be hidden from
// the pre-scan behind what it takes for a comment or a string while the
// parser reads it as SQL.
func TestLimitsSeeThroughLexicalTricks(t *testing.T) {
	chain := strings.Repeat("+1", 30_000)
	pg := []string{
		"select 1 -- x\r" + chain,        // PostgreSQL ends -- comments at CR too
		"select '\\' " + chain + " --'",  // no backslash escapes in standard strings
		"select $a$ $a$ " + chain,        // a closed dollar quote
		"select $1 " + chain,             // a parameter is no dollar quote
		"select a$b$ " + chain + " $b$",  // $ inside an identifier opens nothing
		"select /* /* */ */ 1" + chain,   // nested comments
		`select "a""" ` + chain + ` "x"`, // doubled quotes in identifiers
		"select e'\\'' " + chain,         // escaped quote in an E string
		"select 1;select 1" + chain,      // a later statement
	}
	for _, sql := range pg {
		if err := CheckPostgres(sql); !errors.Is(err, ErrTooComplex) {
			t.Errorf("CheckPostgres(%.40q…): %v", sql, err)
		}
	}
	my := []string{
		"select 1 /*! " + chain + " */",      // MySQL-specific comments are SQL
		"select 1 /*!50000 " + chain + " */", // with a version
		"select 1 /*T! " + chain + " */",     // TiDB-specific comments
		"select 1 --x" + chain,               // -- without a space is two minuses
		"select 'a\\' " + chain + " '",       // hmm: backslash escapes the quote
		"select \"\\\"\" " + chain,           // double-quoted strings escape too
		"select `a``b` " + chain,             // doubled backticks
		"select 1 " + strings.Repeat("|| 1 ", 30_000),
	}
	for i, sql := range my {
		err := CheckMySQL(sql)
		if i == 4 {
			// 'a\' … ' is one string in MySQL: nothing to refuse.
			if err != nil {
				t.Errorf("CheckMySQL(%.40q…): %v", sql, err)
			}
			continue
		}
		if !errors.Is(err, ErrTooComplex) {
			t.Errorf("CheckMySQL(%.40q…): %v", sql, err)
		}
	}
}

// TestLimitsKeepBulkStatements: flat bulk statements and realistic
// complex ones pass the pre-scan and parse.
func TestLimitsKeepBulkStatements(t *testing.T) {
	bulk := []struct {
		name string
		sql  string
		my   bool // MySQL only
		pg   bool // PostgreSQL only
	}{
		{name: "insert 100k rows", sql: insertRows(100_000)},
		{name: "in list 50k", sql: inList(50_000)},
		{name: "and chain 100k", sql: deep("and", 100_000), pg: true},
		{name: "or chain 100k", sql: deep("or", 100_000), pg: true},
		{name: "mysql and chain 15k", sql: deep("and", 15_000), my: true},
		{name: "mysql || chain 15k", sql: deep("pipes", 15_000), my: true},
		{name: "concat 300", sql: deep("concat", 300)},
		{name: "parens 300", sql: deep("paren", 300)},
		{name: "union 500", sql: deep("union", 500)},
		{name: "joins 200", sql: deep("join", 200)},
		{name: "case 200", sql: deep("case", 200)},
		{name: "columns sum 300", sql: "select " + strings.Repeat("c+", 300) + "c from t"},
		{name: "many statements", sql: strings.Repeat("select 1+1+1+1+1+1+1+1+1+1; ", 500)},
	}
	for _, c := range bulk {
		t.Run(c.name, func(t *testing.T) {
			// Under the race detector the pre-scan still reads every
			// statement whole; the full parse of the largest is left to the
			// plain run (make test-short, go test without -race).
			parse := !raceEnabled || len(c.sql) < 64<<10
			if !c.my {
				if err := CheckPostgres(c.sql); err != nil {
					t.Fatalf("CheckPostgres: %v", err)
				}
				if !parse {
					t.Logf("%s: %d bytes, full parse skipped under the race detector", c.name, len(c.sql))
				} else if _, err := PostgresNoFingerprint(c.sql); err != nil {
					t.Fatalf("Postgres: %.200v", err)
				}
			}
			if c.pg {
				return
			}
			if err := CheckMySQL(c.sql); err != nil {
				t.Fatalf("CheckMySQL: %v", err)
			}
			if !parse {
				return
			}
			if _, err := MySQLNoFingerprint(c.sql); err != nil {
				t.Fatalf("MySQL: %.200v", err)
			}
		})
	}
}

// TestLimitsOtherBounds: length, tokens and the MySQL logical chain.
func TestLimitsOtherBounds(t *testing.T) {
	l := Limits{MaxBytes: 100, MaxTokens: 20, MaxDepth: 5, MaxLogical: 3}
	cases := []struct {
		sql   string
		mysql bool
		what  string // "" allowed
	}{
		{sql: strings.Repeat(" ", 101), what: "length in bytes"},
		{sql: "select 1,2,3,4,5,6,7,8,9,10,11", what: "number of tokens"},
		{sql: "select 1,2,3,4"},
		{sql: "select 1 where a and b and c and d and e", what: ""},
		{sql: "select 1 where a and b and c and d and e", mysql: true, what: "chain of AND/OR/XOR"},
		{sql: "select 1 where a and b and c and d", mysql: true},
		{sql: "select (((((1)))))"},
		{sql: "select ((((((1))))))", what: "nesting depth"},
		{sql: "select 1+1+1+1+1+1"},
		{sql: "select 1+1+1+1+1+1+1", what: "nesting depth"},
	}
	for _, c := range cases {
		err := l.Check(c.sql, c.mysql)
		var le *LimitError
		switch {
		case c.what == "" && err != nil:
			t.Errorf("%q: %v", c.sql, err)
		case c.what != "" && (!errors.As(err, &le) || le.What != c.what):
			t.Errorf("%q: got %v, want %s", c.sql, err, c.what)
		}
	}
}

// TestLimitsScanAllocatesNothingPerToken: the pre-scan costs the same
// few allocations whatever the text's length.
func TestLimitsScanAllocatesNothingPerToken(t *testing.T) {
	sql := insertRows(2000) + "; " + deep("paren", 20) + "; " + deep("case", 20)
	allocs := testing.AllocsPerRun(10, func() {
		if err := CheckPostgres(sql); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 2 {
		t.Fatalf("%v allocations per scan", allocs)
	}
}

// TestParserSurvivesFiveTimesTheLimit runs PostgreSQL's parser itself,
// without the pre-scan, in a child process on chains five times
// DefaultMaxDepth long: the margin to the stack overflow that kills the
// process (about 23,500 with an 8 MiB stack) is real.
func TestParserSurvivesFiveTimesTheLimit(t *testing.T) {
	if kind := os.Getenv("FLOE_PARSE_CHILD"); kind != "" {
		_, err := pg_query.Parse(deep(kind, 5*DefaultMaxDepth))
		fmt.Println("parsed:", err)
		os.Exit(0)
	}
	for _, kind := range []string{"plus", "concat", "cast", "join", "union"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestParserSurvivesFiveTimesTheLimit$")
		cmd.Env = append(os.Environ(), "FLOE_PARSE_CHILD="+kind)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "parsed:") {
			t.Errorf("%s: the parser failed at %d: %v\n%.500s", kind, 5*DefaultMaxDepth, err, out)
		}
	}
}

// FuzzLimits builds long and deep expressions from a fragment and
// checks that the pre-scan refuses them or the parsers return.
func FuzzLimits(f *testing.F) {
	for _, s := range []struct {
		open, mid, close string
		n                uint16
	}{
		{"", "+1", "", 30000}, {"(", "", ")", 20000}, {"abs(", "", ")", 9000},
		{"case when true then ", "", " end", 9000}, {"select (", "", ")", 9000},
		{"", "::int", "", 30000}, {"", " union select 1", "", 60000}, {"not ", "", "", 9000},
		{"(1+", "+1", ")", 500}, {"", " and a=1", "", 60000}, {"", " || 'a'", "", 40000},
		{"/*!", "+1", "*/", 30000}, {"array[", "", "]", 9000}, {"", " is null", "", 30000},
		{"/*!", "/*", "*/", 3},
	} {
		f.Add(s.open, s.mid, s.close, s.n, false)
		f.Add(s.open, s.mid, s.close, s.n, true)
	}
	f.Fuzz(func(t *testing.T, open, mid, close string, n uint16, mysql bool) {
		if len(open)+len(mid)+len(close) > 32 {
			return
		}
		r := int(n) % 30000
		sql := "select " + strings.Repeat(open, r) + "1" + strings.Repeat(mid, r) + strings.Repeat(close, r)
		if mysql {
			// ErrAmbiguous is the lexer's refusal of executable
			// comments a server could read two ways (nested comments
			// built from the fragment), a clear error like the others.
			if _, err := MySQLNoFingerprint(sql); err != nil && !errors.Is(err, ErrTooComplex) && !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrAmbiguous) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if _, err := PostgresNoFingerprint(sql); err != nil && !errors.Is(err, ErrTooComplex) && !errors.Is(err, ErrSyntax) {
			t.Fatalf("unexpected error %v", err)
		}
	})
}
