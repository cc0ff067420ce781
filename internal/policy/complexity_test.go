package policy

import (
	"context"
	"strings"
	"testing"
)

// TestComplexityRefusals: texts over the parser limits are refused with
// 54001 / 1436 by every kind of policy — grants on, unparseable: allow,
// audit only, none at all (nil) — while bulk and ordinary texts pass.
func TestComplexityRefusals(t *testing.T) {
	policies := map[string]*Policy{
		"grants":      newTestPolicy(t, "", Options{}),
		"unparseable": newTestPolicy(t, "policy: {unparseable: allow}\n", Options{}),
		"off":         policyFrom(t, "databases:\n  - {name: app, kind: postgres, primary: \"postgres://u@127.0.0.1:5432/app\"}\nusers:\n  - {name: root, password: r}\n", Options{}),
		"nil":         nil,
	}
	if policies["off"].Enabled() {
		t.Fatal("the policy without grants, firewall or audit should be off")
	}
	var rows strings.Builder
	rows.WriteString("INSERT INTO orders (id, total) VALUES (0, 0)")
	for i := 1; i < 20000; i++ {
		rows.WriteString(", (1, 2)")
	}
	tests := []struct {
		name    string
		dialect Dialect
		sql     string
		refused bool
	}{
		{"plus chain", Postgres, "SELECT 1" + strings.Repeat("+1", 100_000), true},
		{"concat chain", Postgres, "SELECT 'a'" + strings.Repeat("||'a'", 30_000), true},
		{"parentheses", Postgres, "SELECT " + strings.Repeat("(", 5000) + "1" + strings.Repeat(")", 5000), true},
		{"nested calls", Postgres, "SELECT " + strings.Repeat("abs(", 2000) + "1" + strings.Repeat(")", 2000), true},
		{"deep case", Postgres, "SELECT " + strings.Repeat("CASE WHEN true THEN ", 2000) + "1" + strings.Repeat(" END", 2000), true},
		{"deep subqueries", Postgres, strings.Repeat("SELECT (", 2000) + "SELECT 1" + strings.Repeat(")", 2000), true},
		{"mysql parentheses", MySQL, "SELECT " + strings.Repeat("(", 100_000) + "1" + strings.Repeat(")", 100_000), true},
		{"mysql or chain", MySQL, "SELECT 1 FROM orders WHERE " + strings.Repeat("id=1 OR ", 50_000) + "true", true},
		{"bulk insert", Postgres, rows.String(), false},
		{"and chain", Postgres, "SELECT id FROM orders WHERE " + strings.Repeat("id=1 AND ", 30_000) + "true", false},
		{"ordinary", Postgres, "SELECT 1+2*(3-4)", false},
		{"mysql ordinary", MySQL, "SELECT 1+2*(3-4)", false},
	}
	for pname, p := range policies {
		for _, tt := range tests {
			t.Run(pname+"/"+tt.name, func(t *testing.T) {
				db := "app"
				if tt.dialect == MySQL {
					db = "shop"
				}
				d := p.Check(context.Background(), Request{User: "root", Roles: []string{"dba"}, Database: db, Dialect: tt.dialect, SQL: tt.sql})
				if !tt.refused {
					if d.Denial != nil {
						t.Fatalf("refused: %v", d.Denial)
					}
					return
				}
				if d.Denial == nil {
					t.Fatal("allowed")
				}
				if d.Denial.Rule != RuleComplex || d.Denial.Code != "54001" || d.Denial.Errno != 1436 || !strings.Contains(d.Denial.Message, "too complex") {
					t.Fatalf("denial %+v", d.Denial)
				}
			})
		}
	}
}
