package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func limitsConfig(pgDSN, myDSN, litePath string) string {
	return fmt.Sprintf(`databases:
  - {name: app, kind: postgres, primary: %q, pool: {mode: transaction, size: 4}}
  - {name: shop, kind: mysql, primary: %q, pool: {mode: transaction, size: 4}}
  - {name: lite, kind: sqlite, path: %q}
users:
  - {name: erin, password: erin-secret}
  - {name: fay, password: fay-secret}
  - {name: alice, password: alice-secret}
  - {name: bob, password: bob-secret}
  - {name: carol, password: carol-secret}
  - {name: dave, password: dave-secret}
limits:
  - {per: user, user: alice, connections: 2}
  - {per: user, user: bob, rate: 1, burst: 3}
  - {per: user, user: carol, concurrent_queries: 1}
  - {per: user, user: dave, statement_timeout: 300ms}
  - {per: user, user: erin, max_result_rows: 100}
  - {per: user, user: fay, max_result_bytes: 20000}
policy:
  login: {max_failures: 3, window: 1m, lockout: 1m}
`, pgDSN, myDSN, litePath)
}

func TestLimits(t *testing.T) {
	pgDSN := testDB(t)
	myDSN, _ := myTestDB(t)
	g := start(t, limitsConfig(pgDSN, myDSN, filepath.Join(t.TempDir(), "lite.db")))
	ctx := context.Background()

	t.Run("connections", func(t *testing.T) {
		a := g.connect(t, "alice", "alice-secret", "app")
		b := g.connect(t, "alice", "alice-secret", "app")
		if _, err := pgx.Connect(ctx, g.dsn("alice", "alice-secret", "app")); sqlstate(err) != "53400" {
			t.Fatalf("third PostgreSQL connection: %v, want 53400", err)
		}
		my := g.mydb(t, "alice", "alice-secret", "shop", nil)
		if err := my.Ping(); myErrno(err) != 1226 {
			t.Fatalf("third connection over MySQL: %v, want 1226", err)
		}
		b.Close(ctx)
		// The slot is free again once the connection has gone.
		eventually(t, 5*time.Second, func() error {
			c, err := pgx.Connect(ctx, g.dsn("alice", "alice-secret", "app"))
			if err != nil {
				return fmt.Errorf("slot not given back: %w", err)
			}
			c.Close(ctx)
			return nil
		})
		_ = a
	})

	t.Run("rate", func(t *testing.T) {
		c := g.connect(t, "bob", "bob-secret", "app")
		var denied int
		for i := 0; i < 6; i++ {
			if _, err := c.Exec(ctx, "SELECT 1"); err != nil {
				if sqlstate(err) != "53400" {
					t.Fatalf("statement %d: %v", i, err)
				}
				denied++
			}
		}
		if denied < 2 || denied > 3 {
			t.Fatalf("%d of 6 statements refused at 1/s with burst 3", denied)
		}
		db := g.mydb(t, "bob", "bob-secret", "shop", nil)
		db.SetMaxOpenConns(1)
		var myDenied int
		for i := 0; i < 6; i++ {
			if _, err := db.Exec("SELECT 1"); err != nil {
				if myErrno(err) != 1226 {
					t.Fatalf("MySQL statement %d: %v", i, err)
				}
				myDenied++
			}
		}
		if myDenied == 0 {
			t.Fatal("MySQL statements not rate limited")
		}
	})

	t.Run("concurrency", func(t *testing.T) {
		slow := g.connect(t, "carol", "carol-secret", "app")
		other := g.connect(t, "carol", "carol-secret", "app")
		var wg sync.WaitGroup
		wg.Add(1)
		started := make(chan struct{})
		go func() {
			defer wg.Done()
			close(started)
			if _, err := slow.Exec(ctx, "SELECT pg_sleep(1.5)"); err != nil {
				t.Errorf("slow statement: %v", err)
			}
		}()
		<-started
		// Wait until the slow statement runs on the server.
		direct, err := pgx.Connect(ctx, pgDSN)
		if err != nil {
			t.Fatal(err)
		}
		defer direct.Close(ctx)
		eventually(t, 10*time.Second, func() error {
			var n int
			if err := direct.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(1.5)%' AND state = 'active'").Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				return fmt.Errorf("the slow statement is not running on the server")
			}
			return nil
		})
		eventually(t, time.Second, func() error {
			if _, err := other.Exec(ctx, "SELECT 1"); sqlstate(err) != "53400" {
				return fmt.Errorf("second concurrent statement: %v, want 53400", err)
			}
			return nil
		})
		wg.Wait()
		if _, err := other.Exec(ctx, "SELECT 1"); err != nil {
			t.Fatalf("after the slow one: %v", err)
		}
	})

	t.Run("timeout", func(t *testing.T) {
		c := g.connect(t, "dave", "dave-secret", "app")
		start := time.Now()
		if _, err := c.Exec(ctx, "SELECT pg_sleep(10)"); sqlstate(err) != "57014" || !strings.Contains(err.Error(), "statement timeout") {
			t.Fatalf("long statement: %v, want 57014 saying it was the statement timeout", err)
		}
		if time.Since(start) > 5*time.Second {
			t.Fatal("statement ran past its timeout")
		}
		if _, err := c.Exec(ctx, "SELECT 1"); err != nil {
			t.Fatalf("after the timeout: %v", err)
		}
		db := g.mydb(t, "dave", "dave-secret", "shop", nil)
		start = time.Now()
		var x sql.NullInt64
		err := db.QueryRow("SELECT SLEEP(10)").Scan(&x)
		if time.Since(start) > 5*time.Second {
			t.Fatalf("MySQL statement ran past its timeout (%v)", err)
		}
		// MariaDB ends a killed SLEEP() with 1, or with an error.
		if err != nil && myErrno(err) != 3024 {
			t.Fatalf("MySQL long statement: %v, want 3024", err)
		}
		var n int64
		start = time.Now()
		err = db.QueryRow("SELECT count(*) FROM seq_1_to_100000 a JOIN seq_1_to_100000 b").Scan(&n)
		if myErrno(err) != 3024 || time.Since(start) > 5*time.Second {
			t.Fatalf("MySQL long statement: %v after %v, want 3024 (statement timeout)", err, time.Since(start))
		}
		if err := db.QueryRow("SELECT 1").Scan(&n); err != nil {
			t.Fatalf("after the timeout: %v", err)
		}
	})

	t.Run("result size", func(t *testing.T) {
		// A result past the bound ends with an error where the next row
		// would be; the session goes on.
		pgQueries := map[string]string{
			"app":  "SELECT g, repeat('x', 300) FROM generate_series(1, %d) g",
			"lite": "WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < %d) SELECT g, printf('%%300s', 'x') FROM s",
		}
		for db, q := range pgQueries {
			for _, user := range []string{"erin", "fay"} {
				c := g.connect(t, user, user+"-secret", db)
				for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeCacheStatement} {
					n, err := countRows(c.Query(ctx, fmt.Sprintf(q, 100000), mode))
					if sqlstate(err) != "53400" || n > 100 {
						t.Errorf("%s %s %v: %d rows then %v, want at most 100 rows then 53400", db, user, mode, n, err)
					}
					var got int
					if err := c.QueryRow(ctx, "SELECT 1", mode).Scan(&got); err != nil || got != 1 {
						t.Fatalf("%s %s after a stopped result: %v", db, user, err)
					}
					if n, err := countRows(c.Query(ctx, fmt.Sprintf(q, 50), mode)); err != nil || n != 50 {
						t.Errorf("%s %s: a small result: %d rows, %v", db, user, n, err)
					}
				}
				// Inside a transaction the statement fails as a server error would.
				tx, err := c.Begin(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := tx.Exec(ctx, fmt.Sprintf(q, 100000)); sqlstate(err) != "53400" {
					t.Errorf("%s %s in a transaction: %v", db, user, err)
				}
				if err := tx.Rollback(ctx); err != nil {
					t.Fatalf("%s %s rollback: %v", db, user, err)
				}
				c.Close(ctx)
			}
		}
		myQueries := map[string]string{
			"shop": "SELECT seq, repeat('x', 300) FROM seq_1_to_%d WHERE seq > ?",
			"lite": "WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < %d) SELECT g, printf('%%300s', 'x') FROM s WHERE g > ?",
		}
		for name, q := range myQueries {
			for _, user := range []string{"erin", "fay"} {
				for _, interpolate := range []string{"true", "false"} {
					db := g.mydb(t, user, user+"-secret", name, map[string]string{"interpolateParams": interpolate})
					db.SetMaxOpenConns(1)
					n, err := countRows(db.Query(fmt.Sprintf(q, 100000), 0))
					if myErrno(err) != 1226 || n > 100 {
						t.Errorf("%s %s interpolate=%s: %d rows then %v, want at most 100 rows then 1226", name, user, interpolate, n, err)
					}
					var one int
					if err := db.QueryRow("SELECT 1").Scan(&one); err != nil || one != 1 {
						t.Fatalf("%s %s after a stopped result: %v", name, user, err)
					}
					if n, err := countRows(db.Query(fmt.Sprintf(q, 50), 0)); err != nil || n != 50 {
						t.Errorf("%s %s: a small result: %d rows, %v", name, user, n, err)
					}
				}
			}
		}
	})

	t.Run("login throttle", func(t *testing.T) {
		for i := 0; i < 3; i++ {
			if _, err := pgx.Connect(ctx, g.dsn("carol", "wrong", "app")); sqlstate(err) != "28P01" {
				t.Fatalf("wrong password %d: %v", i, err)
			}
		}
		if _, err := pgx.Connect(ctx, g.dsn("carol", "carol-secret", "app")); sqlstate(err) != "53400" {
			t.Fatalf("locked-out login: %v, want 53400", err)
		}
		if err := g.mydb(t, "carol", "carol-secret", "shop", nil).Ping(); myErrno(err) != 1226 {
			t.Fatalf("locked-out MySQL login: %v, want 1226", err)
		}
		// Another user from the same address is not affected.
		c := g.connect(t, "dave", "dave-secret", "app")
		c.Close(ctx)
	})
}

// countRows reads a result to its end (which closes it, in pgx and
// database/sql alike): the rows seen and the error that ended it.
func countRows(rows interface {
	Next() bool
	Err() error
}, err error) (int, error) {
	if err != nil {
		return 0, err
	}
	n := 0
	for rows.Next() {
		n++
	}
	return n, rows.Err()
}
