package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/jackc/pgx/v5"
)

// liteCacheConfig is an embedded SQLite database "lite" with the result
// cache on, alice (email masked) and root (not masked). max_staleness is
// short: it does not bound an embedded database's entries.
func liteCacheConfig(path string) string {
	return fmt.Sprintf(`databases:
  - {name: lite, kind: sqlite, path: %s, cache: {enabled: true, ttl: 1m, max_staleness: 20ms, read_your_writes: 1ms}}
users:
  - {name: alice, password: alice-secret, roles: [analyst]}
  - {name: root, password: root-secret, roles: [dba]}
roles:
  - name: analyst
    grants:
      - {database: "*", tables: ["*"], actions: [select, insert, update]}
  - name: dba
    grants:
      - {database: "*", actions: [all]}
masking:
  - {database: lite, table: people, column: email, method: full, except_roles: [dba]}
`, path)
}

// liteHits is the count of the cache's hits on database lite.
func (g *gateway) liteHits(t *testing.T) int {
	t.Helper()
	resp, err := http.Get("http://" + g.admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	const series = `floe_cache_requests_total{database="lite",reason="",result="hit"} `
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, series); ok {
			n, _ := strconv.ParseFloat(v, 64)
			return int(n)
		}
	}
	return 0
}

// TestCacheSQLite: the embedded engine's fronts serve the cache. After a
// read fills an entry, a write made on the SQLite file itself (which no
// stage sees) is not seen: the second read was answered from the cache,
// not run. A write through the gateway is seen at once. Replays carry
// the session's transaction state, and each role's masks keep entries
// apart.
func TestCacheSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lite.db")
	seedSQLite(t, path,
		"CREATE TABLE items (id integer PRIMARY KEY, v text)", "INSERT INTO items VALUES (1, 'a'), (2, 'b')",
		"CREATE TABLE people (id integer PRIMARY KEY, email text)", "INSERT INTO people VALUES (1, 'ada@example.com')")
	file, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	behind := func(t *testing.T, q string, args ...any) {
		t.Helper()
		if _, err := file.Exec(q, args...); err != nil {
			t.Fatal(err)
		}
	}
	g := start(t, liteCacheConfig(path))
	ctx := context.Background()

	type reader interface {
		QueryRow(context.Context, string, ...any) pgx.Row
	}
	pgRead := func(t *testing.T, r reader, q string, args ...any) string {
		t.Helper()
		var v string
		if err := r.QueryRow(ctx, q, args...).Scan(&v); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return v
	}
	expect := func(t *testing.T, what string, got, want string, hits0, hits int) {
		t.Helper()
		if got != want {
			t.Fatalf("%s: %q, want %q", what, got, want)
		}
		if d := g.liteHits(t) - hits0; d != hits {
			t.Fatalf("%s: %d hits, want %d", what, d, hits)
		}
	}

	for i, mode := range []string{"simple_protocol", "cache_statement", "exec"} {
		t.Run("postgres/"+mode, func(t *testing.T) {
			c := g.connect(t, "alice", "alice-secret", "lite", "default_query_exec_mode="+mode)
			id := 1
			val := fmt.Sprintf("p%d", i)
			behind(t, "UPDATE items SET v = ? WHERE id = ?", val, id)
			if _, err := c.Exec(ctx, "UPDATE items SET v = $1 WHERE id = $2", val, id); err != nil {
				t.Fatal(err) // through the gateway: the table's entries go
			}
			time.Sleep(5 * time.Millisecond) // read_your_writes: 1ms
			const q = "SELECT v FROM items WHERE id = $1"
			h := g.liteHits(t)
			expect(t, "first read", pgRead(t, c, q, id), val, h, 0)
			behind(t, "UPDATE items SET v = 'behind' WHERE id = 1")
			expect(t, "second read", pgRead(t, c, q, id), val, h, 1)
			// Another parameter value is another entry.
			expect(t, "other id", pgRead(t, c, q, 2), "b", h, 1)
			// A binary-format integer column alongside.
			var n int32
			var v string
			for range 2 {
				if err := c.QueryRow(ctx, "SELECT id, v FROM items WHERE id = $1", 2).Scan(&n, &v); err != nil || n != 2 || v != "b" {
					t.Fatalf("id, v: %v %d %q", err, n, v)
				}
			}
			expect(t, "two columns", v, "b", h, 2)
			// Inside a transaction that has not written: a hit, and the
			// ReadyForQuery after it says the transaction is open.
			tx, err := c.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			expect(t, "in a transaction", pgRead(t, tx, q, id), val, h, 3)
			if s := c.PgConn().TxStatus(); s != 'T' {
				t.Fatalf("transaction status after a hit: %q", s)
			}
			if err := tx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			if s := c.PgConn().TxStatus(); s != 'I' {
				t.Fatalf("transaction status after commit: %q", s)
			}
			// A write through the gateway is seen at once.
			if _, err := c.Exec(ctx, "UPDATE items SET v = 'gw' WHERE id = 1"); err != nil {
				t.Fatal(err)
			}
			time.Sleep(5 * time.Millisecond)
			expect(t, "after a write through the gateway", pgRead(t, c, q, id), "gw", h, 3)
			var rows int64
			if err := file.QueryRow("SELECT count(*) FROM items WHERE v = 'gw'").Scan(&rows); err != nil || rows != 1 {
				t.Fatalf("the write is not in the file: %v %d", err, rows)
			}
		})
	}

	t.Run("mysql", func(t *testing.T) {
		db := g.mydb(t, "alice", "alice-secret", "lite", nil)
		db.SetMaxOpenConns(1)
		myRead := func(q string, args ...any) string {
			t.Helper()
			var v string
			if err := db.QueryRow(q, args...).Scan(&v); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			return v
		}
		if _, err := db.Exec("UPDATE items SET v = 'm' WHERE id = 1"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
		const text, bin = "SELECT v FROM items WHERE id = 1", "SELECT v FROM items WHERE id = ?"
		h := g.liteHits(t)
		expect(t, "text, first", myRead(text), "m", h, 0)
		expect(t, "binary, first", myRead(bin, 1), "m", h, 0)
		behind(t, "UPDATE items SET v = 'behind' WHERE id = 1")
		expect(t, "text, second", myRead(text), "m", h, 1)
		expect(t, "binary, second", myRead(bin, 1), "m", h, 2)
		expect(t, "binary, other id", myRead(bin, 2), "b", h, 2)
		// Replays carry the session's status flags: in a transaction, out
		// of it, and with autocommit off (the read opens one).
		conn, err := client.Connect(g.my, "alice", "alice-secret", "lite")
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
		hs := g.liteHits(t)
		exec("BEGIN")
		if r := exec(text); !inTx(r) {
			t.Fatalf("a hit inside a transaction: status %#x, want IN_TRANS", r.Status)
		}
		// A write to another table drops items' entries too (its triggers
		// or cascades could have changed them): the next read refills.
		exec("UPDATE people SET id = id WHERE id = 0")
		exec("ROLLBACK")
		exec(text)
		if r := exec(text); inTx(r) || r.Status&gomysql.SERVER_STATUS_AUTOCOMMIT == 0 {
			t.Fatalf("a hit after ROLLBACK: status %#x, want autocommit and no transaction", r.Status)
		}
		exec("SET autocommit = 0")
		if r := exec(text); !inTx(r) || r.Status&gomysql.SERVER_STATUS_AUTOCOMMIT != 0 {
			t.Fatalf("a hit with autocommit off: status %#x, want IN_TRANS without AUTOCOMMIT", r.Status)
		}
		exec("COMMIT")
		expect(t, "status flags", "", "", hs, 3)
		expect(t, "after the transaction", myRead(bin, 2), "b", h, 5) // dropped by the write to people: a miss
		if _, err := db.Exec("UPDATE items SET v = 'gw' WHERE id = 1"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
		hm := g.liteHits(t)
		expect(t, "text after a write through the gateway", myRead(text), "gw", hm, 0)
		expect(t, "binary after a write through the gateway", myRead(bin, 1), "gw", hm, 0)
	})

	// Masks: alice's and root's entries of one statement stay apart.
	t.Run("masks", func(t *testing.T) {
		alice := g.connect(t, "alice", "alice-secret", "lite", "default_query_exec_mode=simple_protocol")
		root := g.connect(t, "root", "root-secret", "lite", "default_query_exec_mode=simple_protocol")
		const q = "SELECT email FROM people WHERE id = 1"
		h := g.liteHits(t)
		expect(t, "alice, first", pgRead(t, alice, q), "****", h, 0)
		expect(t, "root, first", pgRead(t, root, q), "ada@example.com", h, 0)
		behind(t, "UPDATE people SET email = 'new@example.com' WHERE id = 1")
		// Past max_staleness: an embedded database's entries live their
		// TTL, every write passing through the stage.
		time.Sleep(50 * time.Millisecond)
		expect(t, "alice, second", pgRead(t, alice, q), "****", h, 1)
		expect(t, "root, second", pgRead(t, root, q), "ada@example.com", h, 2)
		my := g.mydb(t, "alice", "alice-secret", "lite", nil)
		var v string
		if err := my.QueryRow(q).Scan(&v); err != nil || v != "****" {
			t.Fatalf("alice over MySQL: %v %q", err, v)
		}
	})
}
