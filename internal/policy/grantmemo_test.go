package policy

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/floe-db/floe/internal/analysis"
)

// A grant check allowed once is remembered for the parse, and only for
// sessions alike: another role, database, default schema, policy or
// set of prepared names is checked again. The texts are of one shape
// (a parse shared by texts that differ in literals) or the same text.
func TestGrantMemo(t *testing.T) {
	p := newTestPolicy(t, "", Options{})
	pg := func(user string, roles []string, db, schema, sql string) string {
		t.Helper()
		dec := p.Check(context.Background(), Request{User: user, Roles: roles, Database: db, Dialect: Postgres, DefaultSchema: schema, SQL: sql})
		if dec.Denial != nil {
			return dec.Denial.Rule
		}
		return ""
	}
	for i, tt := range []struct {
		user   string
		roles  []string
		db     string
		schema string
		sql    string
		want   string
	}{
		{"bob", roles["bob"], "app", "public", "SELECT * FROM orders WHERE id = 1", ""},
		{"alice", roles["alice"], "app", "public", "SELECT * FROM orders WHERE id = 1", ""},
		{"nobody", nil, "app", "public", "SELECT * FROM orders WHERE id = 1", RuleGrant},
		{"nobody", nil, "app", "public", "SELECT * FROM orders WHERE id = 2", RuleGrant},
		{"sue", roles["sue"], "app", "public", "SELECT * FROM orders WHERE id = 3", RuleGrantDenied},
		{"alice", roles["alice"], "app", "other", "SELECT * FROM orders WHERE id = 4", RuleGrant},
		{"bob", roles["bob"], "app2", "public", "SELECT * FROM orders WHERE id = 5", RuleGrant},
		{"bob", []string{"writer", "analyst"}, "app", "public", "SELECT * FROM orders WHERE id = 6", ""},
		{"bob", []string{"analyst", "writer"}, "app", "public", "SELECT * FROM salaries WHERE id = 6", RuleGrantDenied},
		{"alice", roles["alice"], "app", "public", "SELECT * FROM orders WHERE id = 7", ""},
		{"nobody", nil, "app", "public", "SELECT * FROM orders WHERE id = 1", RuleGrant},
	} {
		if got := pg(tt.user, tt.roles, tt.db, tt.schema, tt.sql); got != tt.want {
			t.Errorf("%d: %s %v %s/%s %q: got %q, want %q", i, tt.user, tt.roles, tt.db, tt.schema, tt.sql, got, tt.want)
		}
	}

	// The memo keeps its own copy of the roles.
	rs := []string{"writer"}
	if got := pg("bob", rs, "app", "public", "SELECT * FROM orders WHERE total = 8"); got != "" {
		t.Fatalf("writer: %q", got)
	}
	rs[0] = "support"
	if got := pg("bob", rs, "app", "public", "SELECT * FROM orders WHERE total = 9"); got != RuleGrantDenied {
		t.Fatalf("roles changed in place: %q", got)
	}

	// More sessions than the memo keeps: each still checked.
	for i := range 3 * memoKeys {
		user, rs, want := "bob", []string{"writer"}, ""
		if i%2 == 1 {
			user, rs, want = "nobody", nil, RuleGrant
		}
		schema := "public"
		if i%3 == 2 {
			schema = "s" + string(rune('a'+i))
			if user == "bob" {
				want = "" // writer's grants name tables of the default schema
			}
		}
		if got := pg(user, rs, "app", schema, "SELECT total FROM orders WHERE id = 10"); got != want {
			t.Fatalf("session %d (%s, %s): %q, want %q", i, user, schema, got, want)
		}
	}

	// A policy made by a reload does not take the old one's memo, also
	// for the same analysis.
	z := analysis.New(analysis.Postgres, 0)
	x := z.Of("SELECT * FROM orders WHERE id = 11")
	req := Request{User: "bob", Roles: []string{"writer"}, Database: "app", Dialect: Postgres, DefaultSchema: "public", SQL: x.Text, Analysis: x}
	if dec := p.Check(context.Background(), req); dec.Denial != nil {
		t.Fatalf("before the reload: %v", dec.Denial)
	}
	revoked := policyFrom(t, `
databases:
  - {name: app, kind: postgres, primary: "postgres://u@127.0.0.1:5432/app"}
users:
  - {name: bob, password: b, roles: [writer]}
roles:
  - name: writer
    grants:
      - {database: app, tables: ["items"], actions: [select]}
`, Options{})
	if dec := revoked.Check(context.Background(), req); dec.Denial == nil || dec.Denial.Rule != RuleGrant {
		t.Fatalf("after the reload: %+v", dec.Denial)
	}

	// EXECUTE by name depends on what the session prepared: never
	// remembered.
	mine, theirs := &PreparedNames{}, &PreparedNames{}
	prep := p.Check(context.Background(), Request{User: "bob", Roles: roles["bob"], Database: "app", Dialect: Postgres, DefaultSchema: "public", SQL: "PREPARE s1 AS SELECT * FROM orders", Prepared: mine})
	if prep.Denial != nil {
		t.Fatal(prep.Denial)
	}
	mine.note(Postgres, prep.Statements)
	for i, tt := range []struct {
		names *PreparedNames
		want  string
	}{{mine, ""}, {theirs, RulePrepared}, {mine, ""}, {theirs, RulePrepared}} {
		dec := p.Check(context.Background(), Request{User: "bob", Roles: roles["bob"], Database: "app", Dialect: Postgres, DefaultSchema: "public", SQL: "EXECUTE s1", Prepared: tt.names})
		got := ""
		if dec.Denial != nil {
			got = dec.Denial.Rule
		}
		if got != tt.want {
			t.Fatalf("EXECUTE %d: %q, want %q", i, got, tt.want)
		}
	}
}

// The exposure review is remembered with the grant check only when it
// scoped nothing: a restricted session is refused what an admin read
// before it, and a catalogue listing is cut to the database every time.
func TestGrantMemoExposure(t *testing.T) {
	p := newTestPolicy(t, "", Options{})
	check := func(user, sql string) Decision {
		t.Helper()
		return p.Check(context.Background(), Request{User: user, Roles: roles[user], Database: "app", Dialect: Postgres, DefaultSchema: "public", SQL: sql})
	}
	for i := range 3 {
		if dec := check("root", "SELECT query FROM pg_stat_activity WHERE pid = 1"); dec.Denial != nil {
			t.Fatalf("%d: admin: %v", i, dec.Denial)
		}
		dec := check("alice", "SELECT query FROM pg_stat_activity WHERE pid = 2")
		if dec.Denial == nil || dec.Denial.Rule != RuleExposure {
			t.Fatalf("%d: restricted session: %+v", i, dec.Denial)
		}
	}
	for i := range 3 {
		dec := check("alice", fmt.Sprintf("SELECT datname FROM pg_database WHERE oid > %d", i))
		if dec.Denial != nil {
			t.Fatalf("%d: %v", i, dec.Denial)
		}
		if !strings.Contains(dec.SQL, "current_database()") || !strings.Contains(dec.SQL, fmt.Sprint(i)) {
			t.Fatalf("%d: listing not scoped: %q", i, dec.SQL)
		}
	}
}
