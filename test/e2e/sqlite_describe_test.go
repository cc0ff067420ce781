package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

// A PostgreSQL Describe on the embedded engine runs the statement to
// learn its columns. Describing a portal opens its cursor, so the
// statement starts there, under the limits (the concurrency slot is
// held until the Execute that reads it ends); describing a prepared
// statement runs it for a row at most, bounded by the statement timeout.
func TestSQLiteDescribeUnderLimits(t *testing.T) {
	dir := t.TempDir()
	litePath := filepath.Join(dir, "lite.db")
	seedLite(t, litePath)
	g := start(t, fmt.Sprintf(`databases:
  - {name: lite, kind: sqlite, path: %q}
users:
  - {name: conc, password: conc-secret, roles: [reader]}
  - {name: slow, password: slow-secret, roles: [reader]}
roles:
  - name: reader
    grants:
      - {database: lite, tables: [t], actions: [select]}
limits:
  - {per: user, user: conc, concurrent_queries: 1}
  - {per: user, user: slow, statement_timeout: 200ms}
`, litePath))
	ctx := context.Background()

	t.Run("described portal holds the slot", func(t *testing.T) {
		c1 := g.connect(t, "conc", "conc-secret", "lite")
		c2 := g.connect(t, "conc", "conc-secret", "lite")
		if _, err := c1.PgConn().Prepare(ctx, "s", "SELECT id FROM t ORDER BY id", nil); err != nil {
			t.Fatal(err)
		}
		fe := c1.PgConn().Frontend()
		fe.Send(&pgproto3.Bind{PreparedStatement: "s"})
		fe.Send(&pgproto3.Describe{ObjectType: 'P'})
		fe.Send(&pgproto3.Flush{})
		if err := fe.Flush(); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"*pgproto3.BindComplete", "*pgproto3.RowDescription"} {
			m, err := fe.Receive()
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprintf("%T", m); got != want {
				t.Fatalf("got %s (%+v), want %s", got, m, want)
			}
		}
		// The described portal's query is running: the user's one slot is
		// taken.
		if _, err := c2.Exec(ctx, "SELECT id FROM t WHERE id = 1"); sqlstate(err) != "53400" {
			t.Fatalf("a second statement while a described portal is open: %v, want 53400", err)
		}
		fe.Send(&pgproto3.Execute{})
		fe.Send(&pgproto3.Sync{})
		if err := fe.Flush(); err != nil {
			t.Fatal(err)
		}
		rows := 0
		for {
			m, err := fe.Receive()
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := m.(*pgproto3.DataRow); ok {
				rows++
			}
			if e, ok := m.(*pgproto3.ErrorResponse); ok {
				t.Fatalf("execute: %+v", e)
			}
			if _, ok := m.(*pgproto3.ReadyForQuery); ok {
				break
			}
		}
		if rows != 5 {
			t.Fatalf("%d rows, want 5", rows)
		}
		// The statement ended with its Execute: the slot is free again.
		if _, err := c2.Exec(ctx, "SELECT id FROM t WHERE id = 1"); err != nil {
			t.Fatalf("after the portal's statement ended: %v", err)
		}
	})

	t.Run("describe bounded by the statement timeout", func(t *testing.T) {
		c := g.connect(t, "slow", "slow-secret", "lite")
		const long = "WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < 1000000000) SELECT count(*) FROM s, t"
		_, err := c.PgConn().Prepare(ctx, "long", long, nil)
		if sqlstate(err) != "57014" || !strings.Contains(err.Error(), "statement timeout") {
			t.Fatalf("describing a long statement: %v, want 57014 (statement timeout)", err)
		}
		// The session goes on.
		if _, err := c.Exec(ctx, "SELECT id FROM t WHERE id = 1"); err != nil {
			t.Fatal(err)
		}
	})
}
