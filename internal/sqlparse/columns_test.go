package sqlparse

import (
	"slices"
	"strings"
	"testing"
)

func columnsString(cs []ColumnUse) string {
	var out []string
	for _, c := range cs {
		t := c.Table
		if c.Schema != "" {
			t = c.Schema + "." + t
		}
		out = append(out, t+"."+c.Column+":"+c.Use.String())
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

// TestColumns lists the base columns a statement names and how it uses
// them: returned as they are (output; nested through a subquery in FROM),
// computed on (derived), or only read (filter).
func TestColumns(t *testing.T) {
	both := []struct{ sql, want string }{
		{"SELECT id, name FROM customers WHERE email = 'x'", "customers.email:filter customers.id:output customers.name:output"},
		{"SELECT * FROM customers", "customers.*:output"},
		{"SELECT c.* , o.total FROM customers c JOIN orders o ON o.cid = c.id", "customers.*:output customers.id:filter orders.cid:filter orders.total:output"},
		{"SELECT name FROM customers c JOIN orders o ON o.cid = c.id", "customers.name:output orders.cid:filter orders.name:output customers.id:filter"},
		{"SELECT id FROM customers WHERE id IN (SELECT cid FROM orders WHERE total > 1)", "customers.id:filter customers.id:output orders.cid:filter orders.total:filter"},
		{"SELECT lower(name) AS n FROM customers ORDER BY n", "customers.name:derived"},
		{"SELECT name AS email FROM customers WHERE email = 'x' ORDER BY email", "customers.email:filter customers.name:filter customers.name:output"},
		{"WITH x AS (SELECT ssn FROM people) SELECT * FROM x", "people.ssn:nested people.ssn:read"},
		{"WITH x AS (SELECT ssn FROM people) SELECT upper(ssn) FROM x", "people.ssn:derived people.ssn:read"},
		{"SELECT count(*) FROM customers", ""},
		{"SELECT upper(email), length(name) FROM customers", "customers.email:derived customers.name:derived"},
		{"SELECT (SELECT email FROM customers LIMIT 1)", "customers.email:derived"},
		{"SELECT email FROM customers UNION SELECT name FROM people", "customers.email:derived people.name:derived"},
		{"UPDATE customers SET name = email WHERE id = 1", "customers.email:derived customers.id:filter"}, // SET targets are written, not read
		{"INSERT INTO copy SELECT email FROM customers", "customers.email:derived"},
		{"DELETE FROM customers WHERE email LIKE 'a%'", "customers.email:filter"},
		{"SELECT s.ssn FROM public.people s", "public.people.ssn:output"},
		{"SELECT d.x FROM (SELECT ssn AS x FROM people) d", "people.ssn:nested people.ssn:read"},
		{"SELECT 1 FROM (SELECT ssn AS x FROM people) d", "people.ssn:read"},
		{"SELECT concat(d.x, 'a') FROM (SELECT ssn AS x FROM people) d", "people.ssn:derived people.ssn:read"},
		{"SELECT * FROM (SELECT * FROM people) d", "people.*:nested people.*:read"},
		{"SELECT d.ssn || '' FROM (SELECT * FROM people) d", "people.*:read people.ssn:derived"},
		{"CREATE VIEW v AS SELECT ssn FROM people", "people.ssn:derived"},
		{"EXPLAIN SELECT upper(ssn) FROM people", "people.ssn:filter"},
		// Ordering and grouping by an output column's alias or position
		// use the base column behind it.
		{"SELECT email AS e FROM customers ORDER BY e", "customers.email:filter customers.email:output"},
		{"SELECT id, email FROM customers ORDER BY 2", "customers.email:filter customers.email:output customers.id:output"},
		{"SELECT id, email FROM customers ORDER BY 1", "customers.email:output customers.id:filter customers.id:output"},
		{"SELECT id, email FROM customers GROUP BY 2, 1", "customers.email:filter customers.email:output customers.id:filter customers.id:output"},
		{"SELECT email AS e, count(*) FROM customers GROUP BY e", "customers.e:filter customers.email:filter customers.email:output"},
		{"SELECT email AS e, count(*) FROM customers GROUP BY e HAVING e LIKE 'a%'", "customers.e:filter customers.email:filter customers.email:output"},
		{"SELECT * FROM customers ORDER BY 3", "customers.*:filter customers.*:output"},
		{"SELECT id, * FROM customers ORDER BY 1", "customers.*:output customers.id:filter customers.id:output"},
		{"SELECT d.e FROM (SELECT email AS e FROM customers) d ORDER BY 1", "customers.email:filter customers.email:nested customers.email:read"},
		{"SELECT 1 FROM customers WHERE CAST(email AS DECIMAL) = 1", "customers.email:filter"},
		{"SELECT c.id FROM customers c JOIN guesses g USING (email)", "customers.email:filter customers.id:output guesses.email:filter"},
		{"SELECT c.id FROM customers c NATURAL JOIN guesses g", "customers.*:filter customers.id:output guesses.*:filter"},
	}
	pgOnly := []struct{ sql, want string }{
		{"SELECT c FROM customers c", "customers.*:derived customers.c:output"},
		{"SELECT row_to_json(c) FROM customers c", "customers.*:derived customers.c:derived"},
		{"SELECT email INTO t2 FROM customers", "customers.email:derived"},
		{"UPDATE customers SET name = 'a' WHERE id = 1 RETURNING email", "customers.email:derived customers.id:filter"},
		{"COPY (SELECT email FROM customers) TO STDOUT", "customers.email:derived"},
		{"SELECT email FROM customers TABLESAMPLE SYSTEM (50) WHERE email::int = 1", "customers.email:filter customers.email:output"},
		{"SELECT 1 FROM ONLY customers WHERE email::inet IS NULL", "customers.email:filter"},
		{"SELECT id FROM customers ORDER BY to_date(email, 'YYYY')", "customers.email:filter customers.id:output"},
		{"SELECT d.a FROM (SELECT ssn, name FROM people) AS d(a, b)", "people.name:read people.ssn:nested people.ssn:read"},
	}
	myOnly := []struct{ sql, want string }{
		{"SELECT email FROM customers INTO OUTFILE '/tmp/x'", "customers.email:derived"},
		{"SELECT @v := email FROM customers", "customers.email:derived"},
		{"SELECT 1 FROM customers WHERE (@x := email) IS NOT NULL", "customers.email:filter"},
		{"SELECT id FROM customers WHERE CAST(email AS SIGNED) = 1", "customers.email:filter customers.id:output"},
	}
	check := func(name string, parse func(string) ([]Statement, error), sql, wantS string) {
		t.Helper()
		sts, err := parse(sql)
		if err != nil {
			t.Errorf("%s %q: %v", name, sql, err)
			return
		}
		want := strings.Fields(wantS)
		slices.Sort(want)
		if got := columnsString(sts[0].Columns); got != strings.Join(want, " ") {
			t.Errorf("%s %q:\n got %s\nwant %s", name, sql, got, strings.Join(want, " "))
		}
	}
	for _, tt := range both {
		check("pg", Postgres, tt.sql, tt.want)
		check("mysql", MySQL, tt.sql, tt.want)
	}
	for _, tt := range pgOnly {
		check("pg", Postgres, tt.sql, tt.want)
	}
	for _, tt := range myOnly {
		check("mysql", MySQL, tt.sql, tt.want)
	}
}

// A position in ORDER BY or GROUP BY makes the columns depend on the
// literal's value, even a position that names no column (0, out of
// range): a text of the same shape with another position may name one.
func TestPositionValueSensitive(t *testing.T) {
	for _, q := range []string{"SELECT a, b FROM t ORDER BY 0", "SELECT a, b FROM t ORDER BY 9", "SELECT a, b FROM t GROUP BY 0",
		// Any constant there: 1.5 and 99999999999 are no position to
		// the parser, but share a shape with 2, which is one.
		"SELECT a, b FROM t ORDER BY 1.5", "SELECT a, b FROM t ORDER BY 99999999999", "SELECT a, b FROM t GROUP BY 1.5", "SELECT a, b FROM t ORDER BY 'x'"} {
		for name, parse := range map[string]func(string) ([]Statement, error){"postgres": Postgres, "mysql": MySQL} {
			stmts, err := parse(q)
			if err != nil {
				t.Fatalf("%s %q: %v", name, q, err)
			}
			if !stmts[0].ValueSensitive {
				t.Errorf("%s %q: not value-sensitive", name, q)
			}
		}
	}
	if stmts, err := Postgres("SELECT DISTINCT ON (1.5) a, b FROM t"); err != nil || !stmts[0].ValueSensitive {
		t.Errorf("DISTINCT ON (1.5): value-sensitive %v, %v", err == nil && stmts[0].ValueSensitive, err)
	}
	stmts, err := Postgres("SELECT a, b FROM t ORDER BY a")
	if err != nil || stmts[0].ValueSensitive {
		t.Errorf("ORDER BY a column: value-sensitive %v, %v", stmts[0].ValueSensitive, err)
	}
}

// MySQL takes a string literal as a select-list alias, and the alias
// decides what ORDER BY or an outer query names: a statement with any
// alias is value-sensitive (the parser does not say how it was written);
// one without is not.
func TestMySQLAliasValueSensitive(t *testing.T) {
	for _, q := range []string{
		"SELECT id AS 'card' FROM customers ORDER BY card",
		`SELECT id "card" FROM customers ORDER BY card`,
		"SELECT x FROM (SELECT id AS 'x', card AS 'y' FROM customers) d",
		"SELECT id FROM customers WHERE id IN (SELECT id AS k FROM orders)",
		"SELECT id AS n FROM customers",
	} {
		stmts, err := MySQL(q)
		if err != nil {
			t.Fatalf("%q: %v", q, err)
		}
		if !stmts[0].ValueSensitive {
			t.Errorf("%q: not value-sensitive", q)
		}
	}
	// A procedure body's statements count as the procedure's.
	stmts, err := MySQL("CREATE PROCEDURE p() BEGIN SELECT id AS 'card' FROM customers ORDER BY card; SELECT @@datadir; END")
	if err != nil || !stmts[0].ValueSensitive || !slices.Contains(stmts[0].Exposes, ExposeSysVar+"datadir") {
		t.Errorf("procedure body: %+v, %v", stmts, err)
	}
	for _, q := range []string{"SELECT id, card FROM customers WHERE id = 'x' ORDER BY card", "SELECT c.id FROM customers AS c"} {
		stmts, err := MySQL(q)
		if err != nil || stmts[0].ValueSensitive {
			t.Errorf("%q: value-sensitive %v, %v", q, stmts[0].ValueSensitive, err)
		}
	}
}

// CREATE FUNCTION's language may be a string literal; its value decides
// whether the statement is privileged.
func TestFunctionLanguageValueSensitive(t *testing.T) {
	stmts, err := Postgres("CREATE FUNCTION f() RETURNS int AS 'SELECT 1' LANGUAGE 'sql'")
	if err != nil || !stmts[0].ValueSensitive || stmts[0].Privileged != "" {
		t.Fatalf("LANGUAGE 'sql': %+v, %v", stmts, err)
	}
	stmts, err = Postgres("CREATE FUNCTION f() RETURNS int AS 'x', 'y' LANGUAGE 'c'")
	if err != nil || stmts[0].Privileged == "" {
		t.Fatalf("LANGUAGE 'c': privileged %q, %v", stmts[0].Privileged, err)
	}
}
