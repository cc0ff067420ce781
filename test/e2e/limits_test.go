package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func limitsConfig(pgDSN, myDSN string) string {
	return fmt.Sprintf(`databases:
  - {name: app, kind: postgres, primary: %q, pool: {mode: transaction, size: 4}}
  - {name: shop, kind: mysql, primary: %q, pool: {mode: transaction, size: 4}}
users:
  - {name: alice, password: alice-secret}
  - {name: bob, password: bob-secret}
  - {name: carol, password: carol-secret}
  - {name: dave, password: dave-secret}
limits:
  - {per: user, user: alice, connections: 2}
  - {per: user, user: bob, rate: 1, burst: 3}
  - {per: user, user: carol, concurrent_queries: 1}
  - {per: user, user: dave, statement_timeout: 300ms}
policy:
  login: {max_failures: 3, window: 1m, lockout: 1m}
`, pgDSN, myDSN)
}

func TestLimits(t *testing.T) {
	pgDSN := testDB(t)
	myDSN, _ := myTestDB(t)
	g := start(t, limitsConfig(pgDSN, myDSN))
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
		deadline := time.Now().Add(5 * time.Second)
		for {
			c, err := pgx.Connect(ctx, g.dsn("alice", "alice-secret", "app"))
			if err == nil {
				c.Close(ctx)
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("slot not given back: %v", err)
			}
			time.Sleep(20 * time.Millisecond)
		}
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
		for n := 0; n == 0; time.Sleep(10 * time.Millisecond) {
			if err := direct.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(1.5)%' AND state = 'active'").Scan(&n); err != nil {
				t.Fatal(err)
			}
		}
		deadline := time.Now().Add(time.Second)
		for time.Now().Before(deadline) {
			if _, err = other.Exec(ctx, "SELECT 1"); sqlstate(err) == "53400" {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if sqlstate(err) != "53400" {
			t.Fatalf("second concurrent statement: %v, want 53400", err)
		}
		wg.Wait()
		if _, err := other.Exec(ctx, "SELECT 1"); err != nil {
			t.Fatalf("after the slow one: %v", err)
		}
	})

	t.Run("timeout", func(t *testing.T) {
		c := g.connect(t, "dave", "dave-secret", "app")
		start := time.Now()
		if _, err := c.Exec(ctx, "SELECT pg_sleep(10)"); sqlstate(err) != "57014" {
			t.Fatalf("long statement: %v, want 57014", err)
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
		// MariaDB ends a killed SLEEP() with 1 or error 1317.
		if err != nil && myErrno(err) != 1317 {
			t.Fatalf("MySQL long statement: %v", err)
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
