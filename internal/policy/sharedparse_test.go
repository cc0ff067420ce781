package policy

import (
	"context"
	"testing"
)

// A text that shares another text's parse (the same shape key) gets the
// verdict a fresh policy gives it, where a literal decides what a name
// means to the server: PostgreSQL's UESCAPE string picks the identifier
// U&"…" names, a MySQL alias written as a string picks what ORDER BY or
// an outer query names, a number in ORDER BY is a position or a
// constant. Each attack follows a harmless text of its shape that is
// allowed.
func TestSharedParseAttacks(t *testing.T) {
	// sup may read customers' id, name and email (masked), not card,
	// and create procedures.
	supCfg := `
databases:
  - {name: shop, kind: mysql, primary: "mysql://u@127.0.0.1:3306/shop"}
users:
  - {name: sup, password: s, roles: [sup]}
roles:
  - name: sup
    grants:
      - {database: shop, tables: [customers], columns: [id, name, email], actions: [select]}
      - {database: shop, actions: [ddl]}
masking:
  - {database: shop, table: customers, column: email, method: full}
`
	sup := func(sql string) Request {
		return Request{User: "sup", Roles: []string{"sup"}, Database: "shop", Dialect: MySQL, DefaultSchema: "shop", SQL: sql}
	}
	maskCfg := testConfig + `
masking:
  - {database: app, table: customers, column: email, method: full}
  - {database: shop, table: customers, column: email, method: full}
`
	pgm := func(sql string) Request {
		return Request{User: "alice", Roles: roles["alice"], Database: "app", Dialect: Postgres, DefaultSchema: "public", SQL: sql}
	}
	mym := func(sql string) Request {
		return Request{User: "alice", Roles: roles["alice"], Database: "shop", Dialect: MySQL, DefaultSchema: "shop", SQL: sql}
	}
	pg := func(user, sql string) Request {
		return Request{User: user, Roles: roles[user], Database: "app", Dialect: Postgres, DefaultSchema: "public", SQL: sql}
	}
	for _, tt := range []struct {
		name         string
		cfg          string
		warm, attack Request
	}{
		{"denied table", "", pg("alice", `SELECT * FROM U&"s!0061laries" UESCAPE '#'`), pg("alice", `SELECT * FROM U&"s!0061laries" UESCAPE '!'`)},
		{"exposing catalogue", "", pg("alice", `SELECT query FROM U&"pg_stat_!0061ctivity" UESCAPE '#'`), pg("alice", `SELECT query FROM U&"pg_stat_!0061ctivity" UESCAPE '!'`)},
		{"governed function", "", pg("bob", `SELECT U&"pg_read_fil!0065" UESCAPE '#' ('/etc/passwd')`), pg("bob", `SELECT U&"pg_read_fil!0065" UESCAPE '!' ('/etc/passwd')`)},
		{"pinned setting", "", pg("bob", `SELECT U&"set_confi!0067" UESCAPE '#' ('search_path', 'evil', false)`), pg("bob", `SELECT U&"set_confi!0067" UESCAPE '!' ('search_path', 'evil', false)`)},
		{"ungranted column in ORDER BY", supCfg, sup("SELECT id AS 'card' FROM customers ORDER BY card"), sup("SELECT id AS 'zz' FROM customers ORDER BY card")},
		// A decimal or a huge number is a constant to the parsers, 2 a
		// position: ordering by a masked column.
		{"position after a decimal", maskCfg, pgm("SELECT id, email FROM customers ORDER BY 1.5"), pgm("SELECT id, email FROM customers ORDER BY 2")},
		{"position after a huge number", maskCfg, pgm("SELECT id, email FROM customers ORDER BY 99999999999"), pgm("SELECT id, email FROM customers ORDER BY 2")},
		{"DISTINCT ON position after a decimal", maskCfg, pgm("SELECT DISTINCT ON (1.5) id, email FROM customers"), pgm("SELECT DISTINCT ON (2) id, email FROM customers")},
		{"MySQL position after a decimal", maskCfg, mym("SELECT id, email FROM customers ORDER BY 1.5"), mym("SELECT id, email FROM customers ORDER BY 2")},
		{"MySQL GROUP BY position after a decimal", maskCfg, mym("SELECT id, email FROM customers GROUP BY 1.5"), mym("SELECT id, email FROM customers GROUP BY 2")},
		// The same inside a procedure body.
		{"alias in a procedure body", supCfg, sup("CREATE PROCEDURE p() BEGIN SELECT id AS 'card' FROM customers ORDER BY card; END"), sup("CREATE PROCEDURE p() BEGIN SELECT id AS 'zz' FROM customers ORDER BY card; END")},
		{"position in a procedure body", supCfg, sup("CREATE PROCEDURE p() BEGIN SELECT id, email FROM customers ORDER BY 1.5; END"), sup("CREATE PROCEDURE p() BEGIN SELECT id, email FROM customers ORDER BY 2; END")},
		// AS '' is no alias to the parser, an alias to the server.
		{"MySQL empty alias", maskCfg, mym("SELECT email AS '' FROM customers ORDER BY id"), mym("SELECT email AS 'id' FROM customers ORDER BY id")},
	} {
		mk := func() *Policy {
			if tt.cfg == "" {
				return newTestPolicy(t, "", Options{})
			}
			return policyFrom(t, tt.cfg, Options{})
		}
		cold, warm := mk(), mk()
		if d := warm.Check(context.Background(), tt.warm); d.Denial != nil {
			t.Fatalf("%s: the harmless text is denied: %v", tt.name, d.Denial)
		}
		c := cold.Check(context.Background(), tt.attack)
		if c.Denial == nil {
			t.Fatalf("%s: a fresh policy allows the attack", tt.name)
		}
		if w := warm.Check(context.Background(), tt.attack); w.Denial == nil || w.Denial.Rule != c.Denial.Rule {
			t.Errorf("%s: after %q: %+v; a fresh policy: %s (%s)", tt.name, tt.warm.SQL, w.Denial, c.Denial.Rule, c.Denial.Message)
		}
	}
}

// The servers read an integer as an output position in more places than
// a bare ORDER BY k: MariaDB in parentheses and after a unary plus,
// PostgreSQL inside ROLLUP, CUBE, GROUPING SETS and a parenthesised
// GROUP BY list. Ordering or grouping by a masked column through any of
// them is refused as ORDER BY 2 is; the same forms over an unmasked
// column are allowed.
func TestPositionForms(t *testing.T) {
	p := policyFrom(t, testConfig+`
masking:
  - {database: app, table: customers, column: email, method: full}
  - {database: shop, table: customers, column: email, method: full}
`, Options{})
	check := func(d Dialect, sql string) *Denial {
		db, schema := "app", "public"
		if d == MySQL {
			db, schema = "shop", "shop"
		}
		return p.Check(context.Background(), Request{User: "alice", Roles: roles["alice"], Database: db, Dialect: d, DefaultSchema: schema, SQL: sql}).Denial
	}
	for _, tt := range []struct {
		d   Dialect
		sql string
	}{
		{MySQL, "SELECT id, email FROM customers ORDER BY 2"},
		{MySQL, "SELECT id, email FROM customers ORDER BY (2)"},
		{MySQL, "SELECT id, email FROM customers ORDER BY ((2))"},
		{MySQL, "SELECT id, email FROM customers ORDER BY +2"},
		{MySQL, "SELECT id, email FROM customers ORDER BY + 2 DESC"},
		{MySQL, "SELECT count(*), email FROM customers GROUP BY (2)"},
		{Postgres, "SELECT id, email FROM customers ORDER BY 2"},
		{Postgres, "SELECT count(*), email FROM customers GROUP BY ROLLUP(2)"},
		{Postgres, "SELECT count(*), email FROM customers GROUP BY CUBE(2)"},
		{Postgres, "SELECT count(*), email FROM customers GROUP BY GROUPING SETS ((2), ())"},
		{Postgres, "SELECT count(*), email FROM customers GROUP BY (1, 2)"},
	} {
		if den := check(tt.d, tt.sql); den == nil || den.Rule != RuleMaskDerived {
			t.Errorf("%q: %+v, want %s", tt.sql, den, RuleMaskDerived)
		}
	}
	for _, tt := range []struct {
		d   Dialect
		sql string
	}{
		{MySQL, "SELECT id, email FROM customers ORDER BY (1)"},
		{MySQL, "SELECT id, email FROM customers ORDER BY +1"},
		{Postgres, "SELECT id, count(*) FROM customers GROUP BY ROLLUP(1)"},
		{Postgres, "SELECT id, name, count(*) FROM customers GROUP BY (1, 2)"},
	} {
		if den := check(tt.d, tt.sql); den != nil {
			t.Errorf("%q: %v", tt.sql, den)
		}
	}
}
