package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestParserLimitsThroughTheGateway: a statement deep enough to crash the
// PostgreSQL parser (select 1 followed by +1 100,000 times) or to cost the
// MySQL parser hundreds of megabytes (100,000 nested parentheses) is
// refused with 54001 / 1436 on the PostgreSQL relay, the MySQL relay and
// the SQLite engine (both protocols), with and without a policy; nothing
// runs (the INSERT it carries leaves the table empty), the same session
// then runs SELECT 1, and another session never noticed.
func TestParserLimitsThroughTheGateway(t *testing.T) {
	pgDSN := testDB(t)
	myDSN, mydb := myTestDB(t)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, pgDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE TABLE t (a bigint)"); err != nil {
		t.Fatal(err)
	}
	if _, err := mydb.Exec("CREATE TABLE t (a bigint)"); err != nil {
		t.Fatal(err)
	}
	plus := "INSERT INTO t SELECT 1" + strings.Repeat("+1", 100_000)
	parens := "INSERT INTO t SELECT " + strings.Repeat("(", 100_000) + "1" + strings.Repeat(")", 100_000)

	for _, policy := range []string{"none", "grants"} {
		t.Run(policy, func(t *testing.T) {
			users := "users:\n  - {name: alice, password: alice-secret}\n  - {name: bob, password: bob-secret}\n"
			if policy == "grants" {
				users = "users:\n  - {name: alice, password: alice-secret, roles: [all]}\n  - {name: bob, password: bob-secret, roles: [all]}\n" +
					"roles:\n  - name: all\n    grants:\n      - {database: \"*\", actions: [all]}\n"
			}
			lite := filepath.Join(t.TempDir(), "lite.db")
			g := start(t, fmt.Sprintf("databases:\n  - {name: app, kind: postgres, primary: %q}\n  - {name: shop, kind: mysql, primary: %q}\n  - {name: lite, kind: sqlite, path: %q}\n",
				pgDSN, myDSN, lite)+users)

			for _, db := range []string{"app", "lite"} {
				t.Run("postgres/"+db, func(t *testing.T) {
					other := g.connect(t, "bob", "bob-secret", db)
					c := g.connect(t, "alice", "alice-secret", db)
					if db == "lite" {
						if _, err := c.Exec(ctx, "CREATE TABLE IF NOT EXISTS t (a bigint)"); err != nil {
							t.Fatal(err)
						}
					}
					for _, sql := range []string{plus, parens} {
						_, err := c.Exec(ctx, sql, pgx.QueryExecModeSimpleProtocol)
						if sqlstate(err) != "54001" {
							t.Fatalf("got %v, want SQLSTATE 54001", err)
						}
						_, err = c.Exec(ctx, sql) // extended protocol: Parse
						if sqlstate(err) != "54001" {
							t.Fatalf("extended: got %v, want SQLSTATE 54001", err)
						}
					}
					var n int
					if err := c.QueryRow(ctx, "SELECT 1").Scan(&n); err != nil || n != 1 {
						t.Fatalf("the session after the refusal: %v", err)
					}
					if err := other.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil || n != 0 {
						t.Fatalf("another session: %v, %d rows in t", err, n)
					}
				})
			}
			for _, db := range []string{"shop", "lite"} {
				t.Run("mysql/"+db, func(t *testing.T) {
					other := g.mydb(t, "bob", "bob-secret", db, nil)
					c := g.mydb(t, "alice", "alice-secret", db, nil)
					c.SetMaxOpenConns(1)
					if db == "lite" {
						if _, err := c.Exec("CREATE TABLE IF NOT EXISTS t (a bigint)"); err != nil {
							t.Fatal(err)
						}
					}
					for _, sql := range []string{plus, parens} {
						_, err := c.Exec(sql)
						if myErrno(err) != 1436 {
							t.Fatalf("got %v, want errno 1436", err)
						}
					}
					var n int
					if err := c.QueryRow("SELECT 1").Scan(&n); err != nil || n != 1 {
						t.Fatalf("the session after the refusal: %v", err)
					}
					if err := other.QueryRow("SELECT count(*) FROM t").Scan(&n); err != nil || n != 0 {
						t.Fatalf("another session: %v, %d rows in t", err, n)
					}
				})
			}
		})
	}
}
