package e2e

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/go-mysql-org/go-mysql/client"
	gomysql "github.com/go-mysql-org/go-mysql/mysql"
)

// myRead runs q on db and returns its rows, one line each.
func myRead(t *testing.T, db *sql.DB, q string, args ...any) string {
	t.Helper()
	out, err := myReadErr(db, q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

func myReadErr(db *sql.DB, q string, args ...any) (string, error) {
	rows, err := db.Query(q, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var b strings.Builder
	for rows.Next() {
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return "", err
		}
		for i, v := range vals {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.Write(v)
		}
		b.WriteByte('\n')
	}
	return b.String(), rows.Err()
}

// The MySQL relay answers a repeated statement from the cache stage: text
// protocol (COM_QUERY, go-sql-driver with interpolateParams, the mysql
// CLI) and binary protocol (COM_STMT_EXECUTE); the second read returns
// the rows of the first although the table changed on the database in
// between, and a sequence shows the statement did not run again.
// Parameters and settings make other variants; errors and results past
// the cache's bound are never stored; the status flags of a replay are
// the session's (in transaction or not); and a hit needs no backend
// connection.
func TestCacheWireMySQL(t *testing.T) {
	dsn, direct := myTestDB(t)
	for _, q := range []string{
		"CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20))",
		"INSERT INTO items VALUES (1, 'a'), (2, 'b'), (3, 'c')",
		"CREATE SEQUENCE calls NOCACHE",
	} {
		if _, err := direct.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	rename := func(name string) {
		t.Helper()
		if _, err := direct.Exec("UPDATE items SET name = ? WHERE id = 1", name); err != nil {
			t.Fatal(err)
		}
	}
	g, w := startCached(t, myRelayConfig(dsn, "transaction", 1), 4096)
	text := g.mydb(t, "alice", "alice-secret", "shop", map[string]string{"interpolateParams": "true"})
	bin := g.mydb(t, "alice", "alice-secret", "shop", nil)
	text.SetMaxOpenConns(1)
	bin.SetMaxOpenConns(1)

	t.Run("text", func(t *testing.T) {
		q := "SELECT id, name FROM items ORDER BY id /* floe_cache text */"
		b := w.now()
		first := myRead(t, text, q)
		rename("text")
		if second := myRead(t, text, q); second != first {
			t.Fatalf("second read %q, want the cached %q", second, first)
		}
		w.delta(t, "text", b, 1, 1, 1)
		b = w.now()
		p := "SELECT id, name FROM items WHERE id >= ? ORDER BY id /* floe_cache textp */"
		if got := myRead(t, text, p, 1); !strings.HasPrefix(got, "1 text\n") {
			t.Fatalf("interpolated: %q", got)
		}
		myRead(t, text, p, 1)
		myRead(t, text, p, 2)
		w.delta(t, "interpolated parameters", b, 1, 2, 2)
	})

	t.Run("binary", func(t *testing.T) {
		q := "SELECT id, name FROM items WHERE id >= ? ORDER BY id /* floe_cache bin */"
		b := w.now()
		first := myRead(t, bin, q, 1)
		rename("bin")
		if second := myRead(t, bin, q, 1); second != first {
			t.Fatalf("second read %q, want the cached %q", second, first)
		}
		w.delta(t, "binary, same parameters", b, 1, 1, 1)
		b = w.now()
		if got := myRead(t, bin, q, 2); strings.HasPrefix(got, "1 ") {
			t.Fatalf("other parameters: %q", got)
		}
		if got := myRead(t, bin, q, "1"); !strings.HasPrefix(got, "1 bin\n") {
			t.Fatalf("a parameter of another type: %q, want the renamed row (a variant of its own)", got)
		}
		w.delta(t, "other parameters", b, 0, 2, 2)
	})

	t.Run("no second execution", func(t *testing.T) {
		a, b := myRead(t, text, "SELECT NEXTVAL(calls) /* floe_cache seq */"), myRead(t, text, "SELECT NEXTVAL(calls) /* floe_cache seq */")
		c, d := myRead(t, bin, "SELECT NEXTVAL(calls) + ? /* floe_cache seq */", 0), myRead(t, bin, "SELECT NEXTVAL(calls) + ? /* floe_cache seq */", 0)
		if a != "1\n" || b != a || c != "2\n" || d != c {
			t.Fatalf("NEXTVAL through the cache: %q %q (text) %q %q (binary), want 1 1 2 2", a, b, c, d)
		}
		if got := myRead(t, direct, "SELECT next_not_cached_value FROM calls"); got != "3\n" {
			t.Fatalf("the sequence's next value is %q: the statement ran again", got)
		}
	})

	t.Run("status flags", func(t *testing.T) {
		conn, err := client.Connect(g.my, "alice", "alice-secret", "shop")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		exec := func(q string) *gomysql.Result {
			t.Helper()
			r, err := conn.Execute(q)
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			return r
		}
		inTx := func(r *gomysql.Result) bool { return r.Status&gomysql.SERVER_STATUS_IN_TRANS != 0 }
		out := "SELECT id FROM items ORDER BY id /* floe_cache out */"
		in := "SELECT name FROM items ORDER BY id /* floe_cache in */"
		b := w.now()
		if r := exec(out); inTx(r) {
			t.Fatal("recorded outside a transaction: in transaction")
		}
		exec("BEGIN")
		if r := exec(out); !inTx(r) {
			t.Fatalf("a hit inside a transaction: status %#x, want IN_TRANS", r.Status)
		}
		if r := exec(in); !inTx(r) {
			t.Fatalf("recorded inside a transaction: status %#x", r.Status)
		}
		exec("COMMIT")
		if r := exec(in); inTx(r) || r.Status&gomysql.SERVER_STATUS_AUTOCOMMIT == 0 {
			t.Fatalf("a hit after COMMIT: status %#x, want autocommit and no transaction", r.Status)
		}
		w.delta(t, "status flags", b, 2, 2, 2)
	})

	t.Run("errors and big results are not stored", func(t *testing.T) {
		b := w.now()
		q := "SELECT id FROM items WHERE id = (SELECT id FROM items WHERE id >= ?) /* floe_cache err */"
		for _, db := range []*sql.DB{text, text, bin, bin} {
			if _, err := myReadErr(db, q, 1); myErrno(err) != 1242 {
				t.Fatalf("a subquery of several rows: %v", err)
			}
		}
		w.delta(t, "errors", b, 0, 4, 0)
		b = w.now()
		big := "SELECT seq, REPEAT('x', 100) FROM seq_1_to_200 /* floe_cache big */"
		for range 2 {
			if got := myRead(t, text, big); strings.Count(got, "\n") != 200 {
				t.Fatalf("big result: %d rows", strings.Count(got, "\n"))
			}
		}
		w.delta(t, "a result past the bound", b, 0, 2, 0)
	})

	t.Run("settings", func(t *testing.T) {
		set := g.mydb(t, "alice", "alice-secret", "shop", nil)
		set.SetMaxOpenConns(1)
		defer set.Close()
		q := "SELECT name FROM items ORDER BY id /* floe_cache names */"
		b := w.now()
		myRead(t, set, q)
		myRead(t, set, q)
		w.delta(t, "same settings", b, 1, 1, 1)
		b = w.now()
		if _, err := set.Exec("SET NAMES latin1"); err != nil {
			t.Fatal(err)
		}
		myRead(t, set, q)
		myRead(t, set, q)
		w.delta(t, "another character set", b, 1, 1, 1)
		b = w.now()
		if _, err := set.Exec("SET sql_mode = 'ANSI_QUOTES'"); err != nil {
			t.Fatal(err)
		}
		myRead(t, set, q)
		myRead(t, set, q)
		w.delta(t, "after a SET the relay does not follow", b, 0, 2, 0)
	})

	t.Run("mysql CLI", func(t *testing.T) {
		cliAvailable(t, "mysql")
		q := "SELECT id, name FROM items ORDER BY id /* floe_cache cli */"
		b := w.now()
		first := runMySQLCLI(t, g, q)
		rename("cli")
		if second := runMySQLCLI(t, g, q); second != first || strings.Contains(second, "cli") {
			t.Fatalf("mysql second read %q, want the cached %q", second, first)
		}
		w.delta(t, "mysql CLI", b, 1, 1, 1)
	})

	t.Run("no backend connection for a hit", func(t *testing.T) {
		// A statement prepared before: its executions need no prepare.
		ps, err := bin.Prepare("SELECT id, name FROM items WHERE id >= ? ORDER BY id /* floe_cache bin */")
		if err != nil {
			t.Fatal(err)
		}
		defer ps.Close()
		holder := g.mydb(t, "bob", "bob-secret", "shop", nil)
		tx, err := holder.BeginTx(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if _, err := tx.Exec("SELECT 1"); err != nil {
			t.Fatal(err)
		}
		b := w.now()
		myRead(t, text, "SELECT id, name FROM items ORDER BY id /* floe_cache text */")
		rows, err := ps.Query(1)
		if err != nil {
			t.Fatalf("binary hit while the pool is taken: %v", err)
		}
		n := 0
		for rows.Next() {
			n++
		}
		if rows.Close(); rows.Err() != nil || n != 3 {
			t.Fatalf("binary hit: %d rows, %v", n, rows.Err())
		}
		w.delta(t, "hits while the pool is taken", b, 2, 0, 0)
		if _, err := myReadErr(text, "SELECT 1"); myErrno(err) != 1040 {
			t.Fatalf("a statement that needs the backend: %v, want 1040 (the pool is taken)", err)
		}
	})
}
