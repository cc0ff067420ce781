package analysis

import (
	"errors"
	"sync"
	"testing"

	"github.com/floe-db/floe/internal/sqlparse"
)

// The cache keeps one analysis per text, up to its bound, oldest out
// first; parse errors are kept like results.
func TestAnalyzerCache(t *testing.T) {
	z := New(Postgres, 2)
	a1 := z.Of("SELECT 1")
	if z.Of("SELECT 1") != a1 {
		t.Fatal("two analyses of one text")
	}
	z.Of("SELECT x FROM t")
	z.Of("SELECT y FROM t")
	if n := z.Len(); n != 2 {
		t.Fatalf("cached %d texts, want 2", n)
	}
	if z.Of("SELECT 1") == a1 {
		t.Fatal("the oldest text was not evicted")
	}
	bad := z.Of("SELEC")
	if _, err := bad.Statements(); !errors.Is(err, sqlparse.ErrSyntax) {
		t.Fatal(err)
	}
	if _, err := z.Of("SELEC").Statements(); !errors.Is(err, sqlparse.ErrSyntax) {
		t.Fatal(err)
	}
	if cls := bad.Class(); cls.Read {
		t.Fatalf("a text that does not parse is routed as a read: %+v", cls)
	}
}

// Concurrent first uses of a text share one analysis and one parse.
func TestSingleFlight(t *testing.T) {
	z := New(MySQL, 0)
	const n = 8
	got := make([]*Analysis, n)
	stmts := make([][]sqlparse.Statement, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			got[i] = z.Of("SELECT a FROM t WHERE b = 'x'")
			stmts[i], _ = got[i].Statements()
		})
	}
	wg.Wait()
	for i := 1; i < n; i++ {
		if got[i] != got[0] || &stmts[i][0] != &stmts[0][0] {
			t.Fatal("concurrent callers got different analyses or parses")
		}
	}
}

// Texts of one shape share the parse and class of the first, but each
// keeps its own text-dependent parts; a value-sensitive parse is never
// shared.
func TestShapes(t *testing.T) {
	z := New(Postgres, 0)
	a := z.Of("SELECT * FROM t WHERE id = 1")
	b := z.Of("SELECT * FROM t WHERE id = 2")
	if b.Shared() != a {
		t.Fatal("same shape, no sharing")
	}
	sa, _ := a.Statements()
	sb, _ := b.Statements()
	if &sa[0] != &sb[0] {
		t.Fatal("the parse was not shared")
	}
	if b.Text != "SELECT * FROM t WHERE id = 2" {
		t.Fatal(b.Text)
	}
	// nextval('seq') names its sequence in a literal: never shared.
	n1 := z.Of("SELECT nextval('s1')")
	n2 := z.Of("SELECT nextval('s2')")
	if n2.Shared() != nil {
		t.Fatal("a value-sensitive parse is shared")
	}
	s1, _ := n1.Statements()
	s2, _ := n2.Statements()
	if &s1[0] == &s2[0] {
		t.Fatal("value-sensitive texts share a parse")
	}
	// Effects are the text's own, read from its text.
	if !z.Of("LISTEN x").Effects().Listen || z.Of("SELECT 'LISTEN x'").Effects().Listen {
		t.Fatal("LISTEN misread")
	}
}

// MySQL texts are read as the server reads them: an executable comment's
// contents count.
func TestMySQLServerReading(t *testing.T) {
	z := New(MySQL, 0)
	a := z.Of("SELECT 1 /*!50000 , @x := 1 */")
	if a.MySQLEffects().Pin == "" {
		t.Fatalf("a user variable inside an executable comment does not pin: %+v", a.MySQLEffects())
	}
	if z.Of("SELECT 1 /* , @x := 1 */").MySQLEffects().Pin != "" {
		t.Fatal("a plain comment pins")
	}
}

// A text counts the statements it runs, also when the parser does not
// read it (the server splits it at its semicolons all the same).
func TestStatementCount(t *testing.T) {
	for _, tt := range []struct {
		d    Dialect
		text string
		want int
	}{
		{Postgres, "SELECT 1", 1},
		{Postgres, "SELECT 1; SELECT 2;", 2},
		{Postgres, "SELECT ';'; SELECT 2 -- ;\n", 2},
		{MySQL, "VALUES (1); VALUES (2); VALUES (3)", 3},
		{MySQL, "INSERT INTO t VALUES (1) RETURNING id; /* ; */ INSERT INTO t VALUES (2) RETURNING id", 2},
		{MySQL, "VALUES (1) /*!; VALUES (2) */", 2},
		{MySQL, "VALUES ('a;b')", 1},
		{Postgres, "", 1},
	} {
		if got := New(tt.d, 0).Of(tt.text).StatementCount(); got != tt.want {
			t.Errorf("%s %q: %d statements, want %d", tt.d, tt.text, got, tt.want)
		}
	}
}

// Masked is the masked text, the same for every text of a shape and
// computed on the shape's first analysis.
func TestMasked(t *testing.T) {
	for _, tt := range []struct {
		d          Dialect
		a, b, want string
	}{
		{Postgres, "SELECT * FROM t WHERE a = 1 AND b = 'x'", "SELECT * FROM t WHERE a = 22 AND b = 'yy'", "SELECT * FROM t WHERE a = ? AND b = ?"},
		{MySQL, `SELECT * FROM t WHERE a = 1 AND b = "x"`, `SELECT * FROM t WHERE a = 2 AND b = "y"`, "SELECT * FROM t WHERE a = ? AND b = ?"},
	} {
		z := New(tt.d, 0)
		first, second := z.Of(tt.a), z.Of(tt.b)
		if second.Shape() != first {
			t.Fatalf("%s: the second text's shape is not the first's analysis", tt.d)
		}
		if got := second.Masked(); got != tt.want || first.Masked() != tt.want {
			t.Fatalf("%s: masked %q / %q, want %q", tt.d, got, first.Masked(), tt.want)
		}
	}
}
