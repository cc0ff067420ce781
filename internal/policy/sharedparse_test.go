package policy

import (
	"context"
	"testing"
)

// A text that shares another text's parse (the same shape key) gets the
// verdict a fresh policy gives it, where a literal decides what a name
// means to the server: PostgreSQL's UESCAPE string picks the identifier
// U&"…" names, a MySQL alias written as a string picks what ORDER BY or
// an outer query names. Each attack follows a harmless text of its
// shape that is allowed.
func TestSharedParseAttacks(t *testing.T) {
	myCfg := `
databases:
  - {name: shop, kind: mysql, primary: "mysql://u@127.0.0.1:3306/shop"}
users:
  - {name: sup, password: s, roles: [sup]}
roles:
  - name: sup
    grants:
      - {database: shop, tables: [customers], columns: [id, name], actions: [select]}
`
	pg := func(user, sql string) Request {
		return Request{User: user, Roles: roles[user], Database: "app", Dialect: Postgres, DefaultSchema: "public", SQL: sql}
	}
	my := func(sql string) Request {
		return Request{User: "sup", Roles: []string{"sup"}, Database: "shop", Dialect: MySQL, DefaultSchema: "shop", SQL: sql}
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
		{"ungranted column in ORDER BY", myCfg, my("SELECT id AS 'card' FROM customers ORDER BY card"), my("SELECT id AS 'zz' FROM customers ORDER BY card")},
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
