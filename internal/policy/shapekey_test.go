package policy

import (
	"context"
	"testing"
)

func TestShapeKey(t *testing.T) {
	for _, tt := range []struct {
		d    Dialect
		a, b string
		same bool // equal keys (and both simple)
	}{
		{Postgres, "SELECT * FROM t WHERE id = 1 AND name = 'x'", "SELECT * FROM t WHERE id = 42 AND name = 'yz'", true},
		{MySQL, `SELECT * FROM t WHERE name = "x"`, `SELECT * FROM t WHERE name = "y"`, true},
		{Postgres, "SELECT * FROM t WHERE id = 1", "SELECT * FROM t2 WHERE id = 1", false},
		{Postgres, "SELECT * FROM t WHERE a = 'x'", "SELECT * FROM t WHERE a = 'x' -- c", false},
		// Literals a parser could read differently are never shared.
		{Postgres, "SELECT 'a' FROM t", `SELECT 'a\' FROM secrets --' FROM t`, false},
		{MySQL, "SELECT 'a' FROM t", `SELECT 'a\' FROM t`, false},
		{Postgres, "SELECT 1 /* /* */ , 'x' FROM t", "SELECT 1 /* /* */ , '*/ , secret' FROM t", false},
		{Postgres, "SELECT 'x' FROM t", "SELECT $q$x$q$ FROM t", false},
		{Postgres, "SELECT 'a''b'", "SELECT 'ab'", false},
		{Postgres, "SELECT 1e5", "SELECT 1", false},
	} {
		ka, _, oka := shapeKey(tt.d, tt.a)
		kb, _, okb := shapeKey(tt.d, tt.b)
		if same := oka && okb && ka == kb; same != tt.same {
			t.Errorf("%q vs %q: same=%v (ok %v %v)", tt.a, tt.b, same, oka, okb)
		}
	}
}

// Texts that share a shape get the decision their own text deserves.
func TestSharedShapeDecisions(t *testing.T) {
	p := newTestPolicy(t, "", Options{})
	req := Request{User: "alice", Roles: roles["alice"], Database: "app", Dialect: Postgres, DefaultSchema: "public"}
	for _, tt := range []struct {
		sql  string
		want string
	}{
		{"SELECT name FROM customers WHERE name = 'bob' OR id = 3", ""},
		{"SELECT name FROM customers WHERE name = 'bob' OR 1 = 1", RuleTautology},
		{"SELECT name FROM customers WHERE name = 'x' OR 'a' = 'b'", RuleConstCond},
		{"SELECT name FROM customers WHERE name = 'ann'", ""},
		{"SELECT name FROM customers WHERE name = '1 or 1=1 --x'", ""}, // literals: log
	} {
		req.SQL = tt.sql
		d := p.Check(context.Background(), req)
		got := ""
		if d.Denial != nil {
			got = d.Denial.Rule
		}
		if got != tt.want {
			t.Errorf("%q: %q want %q", tt.sql, got, tt.want)
		}
	}
	req.SQL = "SELECT name FROM customers WHERE name = 'a'' OR ''1''=''1'"
	if d := p.Check(context.Background(), req); len(d.Findings) == 0 {
		t.Error("literal finding lost on a shared shape")
	}
	req.SQL = "SELECT name FROM customers WHERE name = 'plain'"
	if d := p.Check(context.Background(), req); len(d.Findings) != 0 {
		t.Errorf("findings of another text carried over: %+v", d.Findings)
	}
}
