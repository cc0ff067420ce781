package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// pgRead runs q and returns its rows, one line each.
func pgRead(t *testing.T, c *pgx.Conn, q string, args ...any) string {
	t.Helper()
	rows, err := c.Query(context.Background(), q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	var b strings.Builder
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(&b, vals...)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return b.String()
}

// pgReadErr runs q and returns its error's SQLSTATE.
func pgReadErr(c *pgx.Conn, q string, args ...any) string {
	rows, err := c.Query(context.Background(), q, args...)
	if err == nil {
		for rows.Next() {
		}
		err = rows.Err()
	}
	return sqlstate(err)
}

// delta fails unless the cache counted hits, misses and fills since
// the counts before.
func (w *wireCache) delta(t *testing.T, what string, before [3]int, hits, misses, fills int) {
	t.Helper()
	h, m, f := w.counts()
	if h-before[0] != hits || m-before[1] != misses || f-before[2] != fills {
		t.Fatalf("%s: cache hits/misses/fills +%d/+%d/+%d, want +%d/+%d/+%d", what, h-before[0], m-before[1], f-before[2], hits, misses, fills)
	}
}

func (w *wireCache) now() [3]int {
	h, m, f := w.counts()
	return [3]int{h, m, f}
}

// The PostgreSQL relay answers a repeated statement from the cache stage:
// simple and extended protocol, text and binary results, psql; the second
// read returns the rows of the first although the table changed on the
// database in between, and a sequence shows the statement did not run
// again. Parameters, result formats and settings make other variants;
// errors and results past the cache's bound are never stored; the
// transaction status is the session's; and a hit needs no backend
// connection (the only one is held by another client).
func TestCacheWirePostgres(t *testing.T) {
	dsn := testDB(t)
	ctx := context.Background()
	direct, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close(ctx)
	if _, err := direct.Exec(ctx, `CREATE TABLE items (id int PRIMARY KEY, name text);
		INSERT INTO items VALUES (1, 'a'), (2, 'b'), (3, 'c');
		CREATE SEQUENCE calls`); err != nil {
		t.Fatal(err)
	}
	rename := func(name string) {
		t.Helper()
		if _, err := direct.Exec(ctx, "UPDATE items SET name = $1 WHERE id = 1", name); err != nil {
			t.Fatal(err)
		}
	}
	g, w := startCached(t, relayConfig(dsn, "transaction", 1, ", acquire_timeout: 1s"), 4096)
	simple := g.connect(t, "alice", "alice-secret", "app", "default_query_exec_mode=simple_protocol")
	ext := g.connect(t, "alice", "alice-secret", "app")

	t.Run("simple", func(t *testing.T) {
		q := "SELECT id, name FROM items ORDER BY id /* floe_cache simple */"
		b := w.now()
		first := pgRead(t, simple, q)
		rename("simple")
		if second := pgRead(t, simple, q); second != first {
			t.Fatalf("second read %q, want the cached %q", second, first)
		}
		w.delta(t, "simple", b, 1, 1, 1)
		if got := pgRead(t, direct, "SELECT name FROM items WHERE id = 1"); got != "simple\n" {
			t.Fatalf("direct read %q", got)
		}
	})

	t.Run("no second execution", func(t *testing.T) {
		q := "SELECT nextval('calls') /* floe_cache seq */"
		a, b := pgRead(t, simple, q), pgRead(t, simple, q)
		c, d := pgRead(t, ext, q), pgRead(t, ext, q)
		if a != "1\n" || b != a || c != "2\n" || d != c {
			t.Fatalf("nextval through the cache: %q %q (simple) %q %q (extended), want 1 1 2 2", a, b, c, d)
		}
		if got := pgRead(t, direct, "SELECT last_value FROM calls"); got != "2\n" {
			t.Fatalf("the sequence moved to %q: the statement ran again", got)
		}
	})

	t.Run("extended", func(t *testing.T) {
		q := "SELECT id, name FROM items WHERE id >= $1 ORDER BY id /* floe_cache ext */"
		b := w.now()
		first := pgRead(t, ext, q, 1) // binary results where pgx asks for them
		rename("ext1")
		if second := pgRead(t, ext, q, 1); second != first {
			t.Fatalf("second read %q, want the cached %q", second, first)
		}
		w.delta(t, "extended, same parameters", b, 1, 1, 1)
		b = w.now()
		if got := pgRead(t, ext, q, 2); strings.Contains(got, "1 ") {
			t.Fatalf("other parameters: %q", got)
		}
		w.delta(t, "other parameters", b, 0, 1, 1)
		b = w.now()
		text := pgRead(t, ext, q, pgx.QueryResultFormats{pgx.TextFormatCode}, 1)
		if !strings.HasPrefix(text, "1 ext1\n") {
			t.Fatalf("text formats: %q, want the renamed row (a variant of its own)", text)
		}
		rename("ext2")
		if again := pgRead(t, ext, q, pgx.QueryResultFormats{pgx.TextFormatCode}, 1); again != text {
			t.Fatalf("text formats again %q, want the cached %q", again, text)
		}
		w.delta(t, "text formats", b, 1, 1, 1)
	})

	t.Run("transaction status", func(t *testing.T) {
		qs := "SELECT id, name FROM items ORDER BY id /* floe_cache simple */"
		qe := "SELECT id, name FROM items WHERE id >= $1 ORDER BY id /* floe_cache ext */"
		for _, c := range []*pgx.Conn{simple, ext} {
			b := w.now()
			tx, err := c.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if c == simple {
				pgRead(t, c, qs)
			} else {
				pgRead(t, c, qe, 1)
			}
			if st := c.PgConn().TxStatus(); st != 'T' {
				t.Fatalf("a hit inside a transaction left status %q, want T", st)
			}
			w.delta(t, "inside a transaction", b, 1, 0, 0)
			if err := tx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			if c == simple {
				pgRead(t, c, qs)
			} else {
				pgRead(t, c, qe, 1)
			}
			if st := c.PgConn().TxStatus(); st != 'I' {
				t.Fatalf("a hit outside a transaction left status %q, want I", st)
			}
		}
	})

	t.Run("errors and big results are not stored", func(t *testing.T) {
		b := w.now()
		for _, c := range []*pgx.Conn{simple, simple, ext, ext} {
			if code := pgReadErr(c, "SELECT 10 / (id - 2) FROM items ORDER BY id /* floe_cache err */"); code != "22012" {
				t.Fatalf("division by zero: %q", code)
			}
		}
		w.delta(t, "errors", b, 0, 4, 0)
		b = w.now()
		q := "SELECT g, repeat('x', 100) FROM generate_series(1, 200) g /* floe_cache big */"
		for range 2 {
			if got := pgRead(t, simple, q); strings.Count(got, "\n") != 200 {
				t.Fatalf("big result: %d rows", strings.Count(got, "\n"))
			}
		}
		w.delta(t, "a result past the bound", b, 0, 2, 0)
	})

	t.Run("settings", func(t *testing.T) {
		// A session of its own: the SET that pins it keeps the pool's
		// only connection until it ends.
		set := g.connect(t, "alice", "alice-secret", "app", "default_query_exec_mode=simple_protocol")
		defer set.Close(ctx)
		q := "SELECT now()::date IS NOT NULL /* floe_cache tz */"
		b := w.now()
		pgRead(t, set, q)
		pgRead(t, set, q)
		w.delta(t, "same settings", b, 1, 1, 1)
		b = w.now()
		if _, err := set.Exec(ctx, "SET TimeZone = 'America/New_York'"); err != nil {
			t.Fatal(err)
		}
		pgRead(t, set, q)
		pgRead(t, set, q)
		w.delta(t, "another TimeZone", b, 1, 1, 1)
		b = w.now()
		if _, err := set.Exec(ctx, "SET search_path = public"); err != nil {
			t.Fatal(err)
		}
		pgRead(t, set, q)
		pgRead(t, set, q)
		w.delta(t, "after a SET the relay does not follow", b, 0, 2, 0)
	})

	t.Run("psql", func(t *testing.T) {
		cliAvailable(t, "psql")
		q := "SELECT id, name FROM items ORDER BY id /* floe_cache psql */"
		b := w.now()
		first := runPsql(t, g, q)
		rename("psql")
		if second := runPsql(t, g, q); second != first || strings.Contains(second, "psql") {
			t.Fatalf("psql second read %q, want the cached %q", second, first)
		}
		w.delta(t, "psql", b, 1, 1, 1)
	})

	t.Run("no backend connection for a hit", func(t *testing.T) {
		// pgx deallocates the statements it dropped from its cache (after
		// an error) before its next query: let it, while it can.
		pgRead(t, ext, "SELECT id, name FROM items WHERE id >= $1 ORDER BY id /* floe_cache ext */", 1)
		holder := g.connect(t, "bob", "bob-secret", "app")
		tx, err := holder.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		if _, err := tx.Exec(ctx, "SELECT 1"); err != nil {
			t.Fatal(err)
		}
		b := w.now()
		pgRead(t, simple, "SELECT id, name FROM items ORDER BY id /* floe_cache simple */")
		pgRead(t, ext, "SELECT id, name FROM items WHERE id >= $1 ORDER BY id /* floe_cache ext */", 1)
		w.delta(t, "hits while the pool is taken", b, 2, 0, 0)
		if code := pgReadErr(simple, "SELECT 1"); code != "53300" {
			t.Fatalf("a statement that needs the backend: %q, want 53300 (the pool is taken)", code)
		}
	})
}
