package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func sqliteConfig(path string) string {
	return fmt.Sprintf(`databases:
  - name: lite
    kind: sqlite
    path: %s
users:
  - name: alice
    password: alice-secret
`, path)
}

func TestSQLiteOverPostgresProtocol(t *testing.T) {
	g := start(t, sqliteConfig(filepath.Join(t.TempDir(), "lite.db")))
	ctx := context.Background()
	for _, mode := range []string{"cache_statement", "describe_exec", "exec", "simple_protocol"} {
		t.Run(mode, func(t *testing.T) {
			c := g.connect(t, "alice", "alice-secret", "lite", "default_query_exec_mode="+mode)
			tbl := "t_" + mode
			if _, err := c.Exec(ctx, fmt.Sprintf(`create table %s (id integer primary key, name text not null, price real, ok boolean, data blob, at timestamp)`, tbl)); err != nil {
				t.Fatal(err)
			}
			at := time.Date(2024, 2, 3, 4, 5, 6, 0, time.UTC)
			for i := 1; i <= 3; i++ {
				if _, err := c.Exec(ctx, fmt.Sprintf("insert into %s (id, name, price, ok, data, at) values ($1, $2, $3, $4, $5, $6)", tbl),
					i, fmt.Sprintf("n%d", i), float64(i)+0.5, i%2 == 1, []byte{byte(i), 0xff}, at); err != nil {
					t.Fatal(err)
				}
			}
			var (
				id    int64
				name  string
				price float64
				ok    bool
				data  []byte
				when  time.Time
			)
			// Parameters out of textual order bind by number.
			err := c.QueryRow(ctx, fmt.Sprintf("select id, name, price, ok, data, at from %s where name = $2 and id = $1", tbl), 2, "n2").
				Scan(&id, &name, &price, &ok, &data, &when)
			if err != nil {
				t.Fatal(err)
			}
			if id != 2 || name != "n2" || price != 2.5 || ok || len(data) != 2 || data[1] != 0xff || !when.Equal(at) {
				t.Fatalf("row: %d %q %v %v %v %v", id, name, price, ok, data, when)
			}
			var cnt int64
			var sum float64
			if err := c.QueryRow(ctx, "select count(*), sum(price) from "+tbl).Scan(&cnt, &sum); err != nil || cnt != 3 || sum != 7.5 {
				t.Fatalf("aggregate: %v %d %v", err, cnt, sum)
			}
			var null *string
			if err := c.QueryRow(ctx, "select null").Scan(&null); err != nil || null != nil {
				t.Fatalf("null: %v %v", err, null)
			}
			// Constraint violation → 23505; unknown table → 42P01; syntax → 42601.
			_, err = c.Exec(ctx, fmt.Sprintf("insert into %s (id, name) values (1, 'dup')", tbl))
			if sqlstate(err) != "23505" {
				t.Fatalf("want 23505, got %v", err)
			}
			_, err = c.Exec(ctx, "select * from no_such_table")
			if sqlstate(err) != "42P01" {
				t.Fatalf("want 42P01, got %v", err)
			}
			_, err = c.Exec(ctx, "selec 1")
			if sqlstate(err) != "42601" {
				t.Fatalf("want 42601, got %v", err)
			}
			// Transactions.
			tx, err := c.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Exec(ctx, "delete from "+tbl); err != nil {
				t.Fatal(err)
			}
			if err := tx.Rollback(ctx); err != nil {
				t.Fatal(err)
			}
			if err := c.QueryRow(ctx, "select count(*) from "+tbl).Scan(&cnt); err != nil || cnt != 3 {
				t.Fatalf("after rollback: %v %d", err, cnt)
			}
			rows, err := c.Query(ctx, "select id from "+tbl+" order by id")
			if err != nil {
				t.Fatal(err)
			}
			ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
			if err != nil || len(ids) != 3 || ids[2] != 3 {
				t.Fatalf("collect: %v %v", err, ids)
			}
		})
	}

	// lib/pq: text protocol, parameters with unspecified types.
	db, err := sql.Open("postgres", g.dsn("alice", "alice-secret", "lite"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("create table pq (a integer, b text)"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("insert into pq values ($1, $2)", 7, "seven"); err != nil {
		t.Fatal(err)
	}
	var a int
	var b string
	if err := db.QueryRow("select a, b from pq where a = $1", 7).Scan(&a, &b); err != nil || a != 7 || b != "seven" {
		t.Fatalf("lib/pq: %v %d %q", err, a, b)
	}
}
