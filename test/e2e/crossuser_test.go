package e2e

import (
	"context"
	"database/sql"
	"testing"
)

// TestPooledStateDoesNotCrossUsersPostgres: session state that a
// statement leaves on a pooled connection where Floe does not see it (set
// inside a function) is gone before another gateway user's statement runs
// on that connection, even when both share a backend login.
func TestPooledStateDoesNotCrossUsersPostgres(t *testing.T) {
	dsn := testDB(t)
	ctx := context.Background()
	g := start(t, relayConfig(dsn, "transaction", 1, ""))
	root := g.connect(t, "alice", "alice-secret", "app")
	for _, q := range []string{
		"create table orders (id int)", "insert into orders values (1), (2)",
		"create schema evil", "create table evil.orders (id int)", "insert into evil.orders values (666)",
		`create function plant() returns int language plpgsql as $$ begin
		   perform set_config('search_path', 'evil, public', false);
		   create temp table planted (x int) on commit preserve rows;
		   perform pg_advisory_lock(42);
		   return 1; end $$`,
	} {
		if _, err := root.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	root.Close(ctx)
	mallory := g.connect(t, "bob", "bob-secret", "app")
	var pidM, pidA int
	if err := mallory.QueryRow(ctx, "select plant(), pg_backend_pid()").Scan(new(int), &pidM); err != nil {
		t.Fatal(err)
	}
	// The same user keeps its own state (nothing to reset between its own
	// statements) ...
	var n int
	if err := mallory.QueryRow(ctx, "select count(*) from planted").Scan(&n); err != nil {
		t.Fatalf("own temp table: %v", err)
	}
	// ... another user on the same backend connection does not see it.
	alice := g.connect(t, "alice", "alice-secret", "app")
	var sum int
	if err := alice.QueryRow(ctx, "select sum(id), pg_backend_pid() from orders").Scan(&sum, &pidA); err != nil {
		t.Fatal(err)
	}
	if pidA != pidM {
		t.Fatalf("the pool of one gave another connection (%d, %d): the test proves nothing", pidA, pidM)
	}
	if sum != 3 {
		t.Fatalf("alice read orders summing to %d: the search_path another user set on the connection reached her", sum)
	}
	var path string
	var locks int
	if err := alice.QueryRow(ctx, "select current_setting('search_path'), (select count(*) from pg_locks where locktype = 'advisory' and pid = pg_backend_pid())").Scan(&path, &locks); err != nil {
		t.Fatal(err)
	}
	if path == "evil, public" || locks != 0 {
		t.Fatalf("state crossed users: search_path %q, advisory locks %d", path, locks)
	}
	if _, err := alice.Exec(ctx, "select * from planted"); sqlstate(err) != "42P01" {
		t.Fatalf("alice sees another user's temp table: %v", err)
	}
}

// TestPooledStateDoesNotCrossUsersMySQL is the same on MariaDB: user
// variables and temporary tables made inside a procedure.
func TestPooledStateDoesNotCrossUsersMySQL(t *testing.T) {
	dsn, direct := myTestDB(t)
	for _, q := range []string{
		"create table orders (id int)", "insert into orders values (1), (2)",
		"create procedure plant() begin set @planted = 'yes'; create temporary table orders (id int); insert into orders values (666); end",
	} {
		if _, err := direct.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	g := start(t, myRelayConfig(dsn, "transaction", 1))
	mallory := g.mydb(t, "bob", "bob-secret", "shop", nil)
	mallory.SetMaxOpenConns(1)
	var thM, thA int
	if _, err := mallory.Exec("call plant()"); err != nil {
		t.Fatal(err)
	}
	if err := mallory.QueryRow("select connection_id(), 1").Scan(&thM, new(int)); err != nil {
		t.Fatal(err)
	}
	alice := g.mydb(t, "alice", "alice-secret", "shop", nil)
	var planted sql.NullString
	var sum int
	if err := alice.QueryRow("select @planted, (select sum(id) from orders), connection_id()").Scan(&planted, &sum, &thA); err != nil {
		t.Fatal(err)
	}
	if thA != thM {
		t.Fatalf("the pool of one gave another connection (%d, %d): the test proves nothing", thA, thM)
	}
	if planted.Valid || sum != 3 {
		t.Fatalf("state crossed users: @planted %v, orders sum %d", planted, sum)
	}
}
