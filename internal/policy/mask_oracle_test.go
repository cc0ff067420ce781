package policy

import (
	"context"
	"strings"
	"testing"
)

// TestMaskedColumnOracles: a user who sees a column masked may not make
// it decide which rows come back or in what order, nor run it through a
// conversion whose error message would print it. Each attack is a way of
// learning the clear value of customers.email; the benign statements
// beside them must keep working.
func TestMaskedColumnOracles(t *testing.T) {
	p := newTestPolicy(t, maskConfig, Options{})
	ctx := context.Background()
	pg, my := []Dialect{Postgres}, []Dialect{MySQL}
	both := []Dialect{Postgres, MySQL}
	for _, tt := range []struct {
		dialects []Dialect
		sql      string
		denied   bool
	}{
		// Cast errors print the value.
		{pg, "SELECT 1 FROM customers WHERE email::int = 1", true},
		{pg, "SELECT 1 FROM customers WHERE CAST(email AS numeric) = 1", true},
		{my, "SELECT 1 FROM customers WHERE CAST(email AS DECIMAL) = 1", true},
		{pg, "SELECT 1 FROM customers WHERE email::inet IS NULL", true},
		{pg, "SELECT 1 FROM customers WHERE email::json IS NULL", true},
		{pg, "SELECT 1 FROM customers WHERE email::uuid IS NULL", true},
		{pg, "SELECT 1 FROM customers WHERE to_date(email, 'YYYY') IS NULL", true},
		{pg, "SELECT 1 FROM customers WHERE make_date(length(email), 1, 1) IS NULL", true},
		{pg, "SELECT id FROM customers ORDER BY email::int", true},
		{pg, "SELECT id FROM customers GROUP BY id, email::int", true},
		{pg, "SELECT count(*) FROM customers HAVING max(email)::int > 0", true},
		{pg, "SELECT id FROM customers c WHERE EXISTS (SELECT 1 FROM customers d WHERE d.email::int = c.id)", true},
		{pg, "SELECT id FROM customers WHERE id IN (SELECT email::int FROM customers)", true},
		{pg, "SELECT * FROM customers, LATERAL (SELECT customers.email::int) x", true},
		{pg, "SELECT * FROM customers c, to_date(c.email, 'YYYY') d", true},
		{pg, "EXPLAIN ANALYZE SELECT email::int FROM customers", true},
		{pg, "SELECT id FROM customers TABLESAMPLE SYSTEM (100) WHERE email::int = 1", true},
		{pg, "SELECT id FROM ONLY customers WHERE email::int = 1", true},
		{pg, "SELECT id FROM customers* WHERE email::int = 1", true},
		{my, "SELECT 1 FROM customers WHERE CAST(email AS SIGNED) = 1", true},
		{my, "SELECT 1 FROM customers WHERE email + 0 = 1", true},
		{my, "SELECT 1 FROM customers WHERE (@x := email) IS NOT NULL", true},
		{my, "SELECT @x := email FROM customers", true},
		{my, "SET @x = (SELECT email FROM customers LIMIT 1)", true},
		{my, "SELECT 1 FROM customers WHERE extractvalue(1, concat(0x7e, email)) IS NULL", true},
		// Comparisons are oracles.
		{both, "SELECT id FROM customers WHERE email LIKE 'a%'", true},
		{both, "SELECT id FROM customers WHERE email > 'm'", true},
		{both, "SELECT id FROM customers c JOIN guesses g ON g.v = c.email", true},
		{both, "SELECT c.id FROM customers c JOIN guesses g USING (email)", true},
		{both, "SELECT c.id FROM customers c NATURAL JOIN guesses g", true},
		{both, "SELECT id FROM customers ORDER BY email", true},
		{both, "SELECT id, email FROM customers ORDER BY 2", true},
		{both, "SELECT email AS e FROM customers ORDER BY e", true},
		{both, "SELECT email AS e, count(*) FROM customers GROUP BY e", true},
		{both, "SELECT email, count(*) FROM customers GROUP BY 1", true},
		{both, "SELECT count(*) FROM customers GROUP BY email", true},
		{both, "SELECT * FROM customers ORDER BY 3", true},
		{both, "SELECT e FROM (SELECT email AS e FROM customers) d WHERE e LIKE 'a%'", true},
		{pg, "WITH c AS (SELECT email FROM customers) SELECT email FROM c ORDER BY email", true},
		{pg, "SELECT DISTINCT ON (email) id FROM customers", true},
		{pg, "SELECT id, row_number() OVER (ORDER BY email) FROM customers", true},
		{both, "SELECT id FROM customers c WHERE c = c", true},
		{pg, "EXPLAIN SELECT id FROM customers WHERE email = 'a@b.c'", true},
		// Benign: masked columns returned as they are, others filtered on.
		{both, "SELECT id, email FROM customers WHERE id = 1", false},
		{both, "SELECT * FROM customers WHERE name LIKE 'a%' ORDER BY id", false},
		{both, "SELECT id, email FROM customers ORDER BY 1", false},
		{both, "SELECT name AS n, count(*) FROM customers GROUP BY n", false},
		{both, "SELECT c.email, o.total FROM customers c JOIN orders o ON o.customer_id = c.id", false},
		{both, "SELECT count(*) FROM customers", false},
		{pg, "SELECT e FROM (SELECT email AS e, id FROM customers) d WHERE d.id = 1", false},
		{pg, "SELECT email FROM customers TABLESAMPLE SYSTEM (50)", false},
		{pg, "SELECT email FROM ONLY customers", false},
	} {
		for _, d := range tt.dialects {
			dec := p.Check(ctx, Request{User: "alice", Roles: []string{"analyst"}, Database: "app", DefaultSchema: "public", Dialect: d, SQL: tt.sql})
			if got := dec.Denial != nil; got != tt.denied {
				t.Errorf("%s %q: denied=%v (%v), want %v", d, tt.sql, got, dec.Denial, tt.denied)
				continue
			}
			if dec.Denial != nil && (dec.Denial.Rule != RuleMaskDerived || dec.Denial.Code != "42501" || dec.Denial.Errno != 1143 || !strings.Contains(dec.Denial.Message, "masked")) {
				t.Errorf("%s %q: denial %+v", d, tt.sql, dec.Denial)
			}
			if dec.Denial == nil && strings.Contains(tt.sql, "email") && !strings.Contains(strings.Join(dec.Masked, ","), "customers.") {
				t.Errorf("%s %q: allowed without listing the masked column (%v)", d, tt.sql, dec.Masked)
			}
		}
	}
	// Writes: the masked column may not choose the rows either (the
	// *ssn* rule masks people.ssn for every role).
	for _, tt := range []struct {
		sql    string
		denied bool
	}{
		{"DELETE FROM people WHERE ssn = '078-05-1120'", true},
		{"UPDATE people SET name = 'x' WHERE ssn LIKE '0%'", true},
		{"UPDATE people SET name = 'x' WHERE id = 1", false},
		{"INSERT INTO people (id, ssn) VALUES (1, 'x') ON CONFLICT (id) DO UPDATE SET name = 'y' WHERE people.ssn::int = 1", true},
	} {
		dec := p.Check(ctx, Request{User: "root", Roles: []string{"dba"}, Database: "app", DefaultSchema: "public", Dialect: Postgres, SQL: tt.sql})
		if got := dec.Denial != nil; got != tt.denied {
			t.Errorf("%q: denied=%v (%v), want %v", tt.sql, got, dec.Denial, tt.denied)
		}
	}
	// A position is a literal: texts that differ only in it must not
	// share an analysis (ORDER BY 1 allowed, then ORDER BY 2 reused it).
	for _, d := range []Dialect{Postgres, MySQL} {
		fresh := newTestPolicy(t, maskConfig, Options{})
		for _, tt := range []struct {
			sql    string
			denied bool
		}{
			{"SELECT id, email FROM customers ORDER BY 1", false},
			{"SELECT id, email FROM customers ORDER BY 2", true},
			{"SELECT id, email FROM customers GROUP BY 1, 2", true},
			{"SELECT id, email FROM customers GROUP BY 1, 1", false},
		} {
			dec := fresh.Check(ctx, Request{User: "alice", Roles: []string{"analyst"}, Database: "app", DefaultSchema: "public", Dialect: d, SQL: tt.sql})
			if got := dec.Denial != nil; got != tt.denied {
				t.Errorf("%s %q after the others: denied=%v (%v), want %v", d, tt.sql, got, dec.Denial, tt.denied)
			}
		}
	}
	// An exempt role keeps every use.
	dec := p.Check(ctx, Request{User: "root", Roles: []string{"dba"}, Database: "app", DefaultSchema: "public", Dialect: Postgres,
		SQL: "SELECT id FROM customers WHERE email LIKE 'a%' ORDER BY email"})
	if dec.Denial != nil {
		t.Errorf("exempt role refused: %v", dec.Denial)
	}
}
