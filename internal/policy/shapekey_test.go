package policy

import (
	"context"
	"testing"
)

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
