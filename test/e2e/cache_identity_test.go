package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// Two roles with the same masks (none) run as different backend logins,
// and the table's row-level security shows each login its own rows: the
// result cache must never hand one login's rows to the other, on the
// data API or on the wire (the backend login is part of the key).
func TestCacheBackendLogins(t *testing.T) {
	dsn := testDB(t)
	pgSetup(t, dsn,
		"CREATE TABLE notes (owner text NOT NULL, body text NOT NULL)",
		"ALTER TABLE notes ENABLE ROW LEVEL SECURITY",
		"CREATE POLICY own ON notes USING (owner = current_user)",
	)
	grant := "GRANT SELECT ON notes TO $LOGIN"
	l1 := pgLogin(t, dsn, grant)
	l2 := pgLogin(t, dsn, grant)
	pgSetup(t, dsn, fmt.Sprintf("INSERT INTO notes VALUES ('%s', 'first-login-note'), ('%s', 'second-login-note')", l1, l2))
	g := start(t, fmt.Sprintf(`databases:
  - name: app
    kind: postgres
    primary: %s
    pool: {mode: transaction, size: 2}
    cache: {enabled: true, ttl: 1m}
    identities:
      - {role: r1, user: %s, password: pw-%s}
      - {role: r2, user: %s, password: pw-%s}
users:
  - {name: alice, password: alice-secret, roles: [r1]}
  - {name: bob, password: bob-secret, roles: [r2]}
roles:
  - name: r1
    grants: [{database: app, tables: ["notes"], actions: [select]}]
  - name: r2
    grants: [{database: app, tables: ["notes"], actions: [select]}]
`, dsn, l1, l1, l2, l2))
	const q = "SELECT body FROM notes"
	// HTTP: alice fills, alice hits, bob must miss and see his own row.
	if a := g.cacheQuery(t, "alice", "alice-secret", "app", q); a.value != "first-login-note" {
		t.Fatalf("alice reads %+v", a)
	}
	if a := g.cacheQuery(t, "alice", "alice-secret", "app", q); a.value != "first-login-note" || !strings.HasPrefix(a.cache, "hit") {
		t.Fatalf("alice's second read %+v, want a hit", a)
	}
	if b := g.cacheQuery(t, "bob", "bob-secret", "app", q); b.value != "second-login-note" || strings.HasPrefix(b.cache, "hit") {
		t.Fatalf("bob reads %+v: another login's cached rows", b)
	}
	// The wire: the same, through the PostgreSQL relay.
	ctx := context.Background()
	for range 2 {
		var body string
		if err := g.connect(t, "alice", "alice-secret", "app").QueryRow(ctx, q).Scan(&body); err != nil || body != "first-login-note" {
			t.Fatalf("alice over the wire: %q %v", body, err)
		}
	}
	var body string
	if err := g.connect(t, "bob", "bob-secret", "app").QueryRow(ctx, q).Scan(&body); err != nil || body != "second-login-note" {
		t.Fatalf("bob over the wire reads %q (%v): another login's cached rows", body, err)
	}
}
