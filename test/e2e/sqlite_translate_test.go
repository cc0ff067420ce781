package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// sqliteGrantsConfig fronts a SQLite file with an owner who may do
// anything and a reader granted table a only.
func sqliteGrantsConfig(path string) string {
	return fmt.Sprintf(`databases:
  - name: lite
    kind: sqlite
    path: %s
users:
  - {name: alice, password: alice-secret, roles: [owner]}
  - {name: reader, password: reader-secret, roles: [reader]}
roles:
  - name: owner
    grants:
      - {database: lite, tables: ["*"], actions: [all]}
  - name: reader
    grants:
      - {database: lite, tables: [a], actions: [select]}
`, path)
}

// PostgreSQL-dialect statements run on the embedded engine translated:
// PostgreSQL DDL, DML with ON CONFLICT/RETURNING/USING, PostgreSQL's LIKE,
// NULL ordering and result types, through pgx in both protocols.
func TestSQLiteTranslatedPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e")
	}
	g := start(t, sqliteGrantsConfig(filepath.Join(t.TempDir(), "lite.db")))
	ctx := context.Background()
	for _, mode := range []string{"cache_statement", "simple_protocol"} {
		t.Run(mode, func(t *testing.T) {
			c := g.connect(t, "alice", "alice-secret", "lite", "default_query_exec_mode="+mode)
			p, o := "p_"+mode, "o_"+mode
			for _, q := range []string{
				fmt.Sprintf(`create table %s (id serial primary key, name varchar(20) not null unique, price numeric(10,2) check (price >= 0), active boolean not null default true, added timestamptz default now())`, p),
				fmt.Sprintf(`create table %s (id bigserial primary key, p_id integer references %s (id) on delete cascade, qty int not null)`, o, p),
				fmt.Sprintf(`create index on %s (price)`, p),
			} {
				if _, err := c.Exec(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			var id int64
			if err := c.QueryRow(ctx, fmt.Sprintf(`insert into %s (name, price) values ($1, $2) returning id`, p), "Apple", 1.5).Scan(&id); err != nil || id != 1 {
				t.Fatalf("insert returning: %v %d", err, id)
			}
			if _, err := c.Exec(ctx, fmt.Sprintf(`insert into %s (name, price, active) values ('apple', 2, false), ('Banana', null, true), ('cherry', 3, true)`, p)); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Exec(ctx, fmt.Sprintf(`insert into %s (p_id, qty) values (1, 2), (1, 3), (2, 1), (4, 7)`, o)); err != nil {
				t.Fatal(err)
			}
			names := func(q string, args ...any) string {
				t.Helper()
				rows, err := c.Query(ctx, q, args...)
				if err != nil {
					t.Fatalf("%s: %v", q, err)
				}
				got, err := pgx.CollectRows(rows, pgx.RowTo[string])
				if err != nil {
					t.Fatalf("%s: %v", q, err)
				}
				return strings.Join(got, ",")
			}
			for q, want := range map[string]string{
				// PostgreSQL's LIKE is case-sensitive, ILIKE is not.
				fmt.Sprintf(`select name from %s where name like 'a%%' order by id`, p):  "apple",
				fmt.Sprintf(`select name from %s where name ilike 'a%%' order by id`, p): "Apple,apple",
				fmt.Sprintf(`select name from %s where name like $1 order by id`, p):     "Apple",
				// NULLs sort last ascending, first descending.
				fmt.Sprintf(`select name from %s order by price`, p):                                                                                    "Apple,apple,cherry,Banana",
				fmt.Sprintf(`select name from %s order by price desc`, p):                                                                               "Banana,cherry,apple,Apple",
				fmt.Sprintf(`select name from %s order by id offset 2`, p):                                                                              "Banana,cherry",
				fmt.Sprintf(`select string_agg(name, '|' order by name) from %s where active`, p):                                                       "Apple|Banana|cherry",
				fmt.Sprintf(`select p.name from %s p full join %s o on o.p_id = p.id where o.id is null`, p, o):                                         "Banana",
				fmt.Sprintf(`select name || ':' || row_number() over (order by id desc) from %s where id < 3 order by id`, p):                           "Apple:2,apple:1",
				fmt.Sprintf(`with big as (select p_id from %s where qty > 2) select name from %s where id in (select p_id from big) order by id`, o, p): "Apple,cherry",
			} {
				var args []any
				if strings.Contains(q, "$1") {
					args = []any{"A%"}
				}
				if got := names(q, args...); got != want {
					t.Errorf("%s: got %q want %q", q, got, want)
				}
			}
			// Upsert with EXCLUDED, UPDATE … FROM, DELETE … USING.
			var price float64
			if err := c.QueryRow(ctx, fmt.Sprintf(`insert into %s (name, price) values ('Apple', 9) on conflict (name) do update set price = excluded.price + %s.price returning price`, p, p)).Scan(&price); err != nil || price != 10.5 {
				t.Fatalf("upsert: %v %v", err, price)
			}
			tag, err := c.Exec(ctx, fmt.Sprintf(`delete from %s using %s where %s.p_id = %s.id and %s.name = 'Apple'`, o, p, o, p, p))
			if err != nil || tag.RowsAffected() != 2 {
				t.Fatalf("delete using: %v %v", err, tag)
			}
			if got := names(fmt.Sprintf(`select p_id::text from %s order by id`, o)); got != "2,4" {
				t.Fatalf("after delete using: %q", got)
			}
			// Result types: booleans, integers, timestamps, numerics.
			var (
				yes, no  bool
				n        int64
				ts       time.Time
				d        time.Time
				user, db string
				version  string
			)
			err = c.QueryRow(ctx, `select true, 1 > 2, '42'::int, '2024-05-06 07:08:09'::timestamp, '2024-05-06'::date, current_user, current_database(), version()`).
				Scan(&yes, &no, &n, &ts, &d, &user, &db, &version)
			if err != nil {
				t.Fatal(err)
			}
			if !yes || no || n != 42 || !ts.Equal(time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)) || d.Format("2006-01-02") != "2024-05-06" || user != "alice" || db != "lite" || !strings.HasPrefix(version, "PostgreSQL 15.0 (Floe SQLite ") {
				t.Fatalf("values: %v %v %d %v %v %q %q %q", yes, no, n, ts, d, user, db, version)
			}
			var active bool
			if err := c.QueryRow(ctx, fmt.Sprintf(`select active from %s where name = 'apple'`, p)).Scan(&active); err != nil || active {
				t.Fatalf("boolean column: %v %v", err, active)
			}
			// DISTINCT ON: the first row of each group by the order.
			if got := names(fmt.Sprintf(`select distinct on (active) name from %s order by active, price desc`, p)); got != "apple,Banana" {
				t.Fatalf("DISTINCT ON: %q", got)
			}
			// What cannot be translated says so.
			_, err = c.Exec(ctx, fmt.Sprintf(`select * from %s p, lateral (select p.id) x`, p))
			if sqlstate(err) != "0A000" || !strings.Contains(err.Error(), "LATERAL subqueries are not supported by the embedded SQLite engine") {
				t.Fatalf("LATERAL: %v", err)
			}
			// A double-quoted unknown column is an error, not a string.
			_, err = c.Exec(ctx, fmt.Sprintf(`select "nope" from %s`, p))
			if sqlstate(err) != "42703" {
				t.Fatalf("unknown column: %v", err)
			}
			// Transactions and savepoints.
			if _, err := c.Exec(ctx, "begin isolation level serializable"); err != nil {
				t.Fatal(err)
			}
			for _, q := range []string{
				fmt.Sprintf("update %s set qty = 100", o), "savepoint s1", fmt.Sprintf("delete from %s", o), "rollback to savepoint s1", "release s1",
			} {
				if _, err := c.Exec(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			if _, err := c.Exec(ctx, "commit"); err != nil {
				t.Fatal(err)
			}
			if got := names(fmt.Sprintf(`select qty::text from %s order by id`, o)); got != "100,100" {
				t.Fatalf("after the transaction: %q", got)
			}
			if _, err := c.Exec(ctx, fmt.Sprintf("truncate %s", o)); err != nil {
				t.Fatal(err)
			}
			if got := names(fmt.Sprintf(`select count(*)::text from %s`, o)); got != "0" {
				t.Fatalf("after truncate: %q", got)
			}
		})
	}

	// The data API translates too, and reads the caller's name.
	a := g.post(t, "alice", "alice-secret", "/v1/query", queryBody("lite",
		`select current_user as u, current_database() as d, 'X' like 'x' as cs, 'X' ilike 'x' as ci, name from p_simple_protocol where name like $1 order by price desc nulls last`, "a%"))
	if a.status != 200 || !strings.Contains(string(a.body), `"u":"alice"`) || !strings.Contains(string(a.body), `"d":"lite"`) ||
		!strings.Contains(string(a.body), `"name":"apple"`) || strings.Contains(string(a.body), `"name":"Apple"`) {
		t.Fatalf("data API: %d %s", a.status, a.body)
	}

	// psql, the simple protocol's text format.
	if _, err := exec.LookPath("psql"); err != nil {
		t.Skip("no psql")
	}
	host, port, _ := strings.Cut(g.pg, ":")
	psql := exec.Command("psql", "-h", host, "-p", port, "-U", "alice", "-d", "lite", "-Atc",
		"select true, 1 = 2, 'a'::text || 'b', 3.7::int, E'x\\ty' like 'x%', 'X' like 'x', 'X' ilike 'x'")
	psql.Env = append(os.Environ(), "PGPASSWORD=alice-secret", "PGSSLMODE=disable")
	out, err := psql.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "t|f|ab|4|t|f|t" {
		t.Fatalf("psql: %v\n%s", err, out)
	}
}

// SQL PREPARE, EXECUTE and DEALLOCATE run the translated statement with
// the arguments bound; a user granted table a reads no other table
// through any form the translation rewrites (CTE names, subquery aliases,
// views, PREPARE/EXECUTE).
func TestSQLiteTranslatedGrants(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e")
	}
	g := start(t, sqliteGrantsConfig(filepath.Join(t.TempDir(), "lite.db")))
	ctx := context.Background()
	owner := g.connect(t, "alice", "alice-secret", "lite")
	for _, q := range []string{
		"create table a (id int primary key, v text)",
		"insert into a values (1, 'one'), (2, 'two')",
		"create table b (id int primary key, s text)",
		"insert into b values (1, 'hidden')",
		"create view vb as select * from b",
		"prepare pa (int) as select v from a where id = $1",
	} {
		if _, err := owner.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var v string
	if err := owner.QueryRow(ctx, "execute pa(2)").Scan(&v); err != nil || v != "two" {
		t.Fatalf("execute: %v %q", err, v)
	}
	if _, err := owner.Exec(ctx, "prepare pa as select 1"); sqlstate(err) != "42P05" {
		t.Fatalf("prepare twice: %v", err)
	}
	if _, err := owner.Exec(ctx, "deallocate pa"); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.Exec(ctx, "execute pa(1)"); err == nil {
		t.Fatal("execute after deallocate ran")
	}

	r := g.connect(t, "reader", "reader-secret", "lite", "default_query_exec_mode=simple_protocol")
	if err := r.QueryRow(ctx, "select v from a where id = 1").Scan(&v); err != nil || v != "one" {
		t.Fatalf("granted table: %v %q", err, v)
	}
	for _, q := range []string{
		"select * from b",
		"with a as (select * from b) select * from a",
		"select * from (select * from b) as a",
		"select * from a where id in (select id from b)",
		"select * from vb",
		"select * from a join b using (id)",
		"select (select s from b limit 1) from a",
		"prepare pb as select s from b",
		"select * from a union select id, s from b",
	} {
		rows, err := r.Query(ctx, q)
		var got []string
		if err == nil {
			for rows.Next() {
				vals, _ := rows.Values()
				got = append(got, fmt.Sprint(vals...))
			}
			err = rows.Err()
			rows.Close()
		}
		if err == nil || strings.Contains(strings.Join(got, " "), "hidden") {
			t.Errorf("%s: read %q (err %v)", q, got, err)
		}
	}
	// Another session's statement name, and one refused at PREPARE, do
	// not run.
	for _, q := range []string{"execute pb", "execute pa(1)"} {
		rows, err := r.Query(ctx, q)
		var got []string
		if err == nil {
			for rows.Next() {
				vals, _ := rows.Values()
				got = append(got, fmt.Sprint(vals...))
			}
			err = rows.Err()
			rows.Close()
		}
		if err == nil || len(got) > 0 {
			t.Errorf("%s: read %q (err %v)", q, got, err)
		}
	}
	// The reader's own PREPARE of the granted table runs.
	if _, err := r.Exec(ctx, "prepare mine (int) as select v from a where id = $1"); err != nil {
		t.Fatal(err)
	}
	if err := r.QueryRow(ctx, "execute mine(1)").Scan(&v); err != nil || v != "one" {
		t.Fatalf("own execute: %v %q", err, v)
	}
}
