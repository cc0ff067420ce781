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
		out = append(out, t+"."+c.Column)
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

func TestColumns(t *testing.T) {
	for _, tt := range []struct{ sql, want string }{
		{"SELECT id, name FROM customers WHERE email = 'x'", "customers.email customers.id customers.name"},
		{"SELECT * FROM customers", "customers.*"},
		{"SELECT c.* , o.total FROM customers c JOIN orders o ON o.cid = c.id", "customers.* customers.id orders.cid orders.total"},
		{"SELECT name FROM customers c JOIN orders o ON o.cid = c.id", "customers.name orders.cid orders.name customers.id"},
		{"SELECT id FROM customers WHERE id IN (SELECT cid FROM orders WHERE total > 1)", "customers.id orders.cid orders.total"},
		{"SELECT lower(name) AS n FROM customers ORDER BY n", "customers.name"},
		{"WITH x AS (SELECT ssn FROM people) SELECT * FROM x", "people.ssn"},
		{"SELECT count(*) FROM customers", ""},
		{"UPDATE customers SET name = 'a' WHERE id = 1", "customers.id"}, // SET targets are written, not read
		{"SELECT s.ssn FROM public.people s", "public.people.ssn"},
		{"SELECT d.x FROM (SELECT ssn AS x FROM people) d", "people.ssn"},
	} {
		for name, parse := range map[string]func(string) ([]Statement, error){"pg": Postgres, "mysql": MySQL} {
			sts, err := parse(tt.sql)
			if err != nil {
				t.Errorf("%s %q: %v", name, tt.sql, err)
				continue
			}
			want := strings.Fields(tt.want)
			slices.Sort(want)
			if got := columnsString(sts[0].Columns); got != strings.Join(want, " ") {
				t.Errorf("%s %q:\n got %s\nwant %s", name, tt.sql, got, strings.Join(want, " "))
			}
		}
	}
}
