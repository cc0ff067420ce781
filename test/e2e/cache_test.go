package e2e

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	afsql "github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/floe-db/floe/internal/cli"
	"github.com/floe-db/floe/internal/testcluster"
)

// cacheAnswer is one HTTP query's first value and what the result cache
// said of it (Floe-Cache).
type cacheAnswer struct {
	value, cache string
}

// cacheQuery runs sql over HTTP as user and returns the first column of
// the first row and the Floe-Cache header.
func (g *gateway) cacheQuery(t *testing.T, user, password, db, sql string) cacheAnswer {
	t.Helper()
	req, err := http.NewRequest("POST", "http://"+g.http+"/v1/query?format=csv", strings.NewReader(queryBody(db, sql)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(user, password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Trailer.Get("Floe-Status") != "ok" {
		t.Fatalf("%s: %d %s %s", sql, resp.StatusCode, body, resp.Trailer.Get("Floe-Error"))
	}
	a := cacheAnswer{cache: resp.Header.Get("Floe-Cache")}
	recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) > 1 && len(recs[1]) > 0 {
		a.value = recs[1][0]
	}
	return a
}

// flightCacheQuery runs sql over Flight SQL as alice with arrow-go's
// client and returns the first value and the floe-cache header.
func (g *gateway) flightCacheQuery(t *testing.T, db, sql string) (string, string) {
	t.Helper()
	cl, err := afsql.NewClient(g.flight, nil, nil, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, err := cl.Client.AuthenticateBasicToken(t.Context(), "alice", "alice-secret")
	if err != nil {
		t.Fatal(err)
	}
	ctx = metadata.AppendToOutgoingContext(ctx, "x-floe-database", db)
	fi, err := cl.Execute(ctx, sql)
	if err != nil {
		t.Fatal(err)
	}
	var md metadata.MD
	rdr, err := cl.DoGet(ctx, fi.Endpoint[0].Ticket, grpc.Header(&md))
	if err != nil {
		t.Fatal(err)
	}
	defer rdr.Release()
	var rows [][]string
	for rdr.Next() {
		rows = append(rows, batchRows(rdr.RecordBatch())...)
	}
	if len(rows) == 0 {
		t.Fatalf("flight %s: no rows (%v)", sql, rdr.Err())
	}
	return rows[0][0], strings.Join(md.Get("floe-cache"), ",")
}

// TestCacheDataAPI: on PostgreSQL and MariaDB, through HTTP and Flight
// SQL: a read is a miss then a hit (Flight SQL served the entry HTTP
// filled); a write through the gateway is seen at once; a write made
// directly on the database is not seen until max_staleness has passed
// (no change feed), and then is.
func TestCacheDataAPI(t *testing.T) {
	pgDSN := testDB(t)
	myDSN, direct := myTestDB(t)
	pgc := pgSetup(t, pgDSN, "CREATE TABLE items (id int PRIMARY KEY, v varchar(20))", "INSERT INTO items VALUES (1, 'a')")
	mySetup(t, direct, "CREATE TABLE items (id int PRIMARY KEY, v varchar(20))", "INSERT INTO items VALUES (1, 'a')")
	const staleness = 2 * time.Second
	g := start(t, twoDatabases(pgDSN, myDSN, "\n    cache: {enabled: true, ttl: 1m, max_staleness: 2s, read_your_writes: 1ms}"))
	directWrite := map[string]func(v string){
		"pgapp": func(v string) {
			if _, err := pgc.Exec(t.Context(), "UPDATE items SET v = $1 WHERE id = 1", v); err != nil {
				t.Fatal(err)
			}
		},
		"myapp": func(v string) {
			if _, err := direct.Exec("UPDATE items SET v = ? WHERE id = 1", v); err != nil {
				t.Fatal(err)
			}
		},
	}
	const q = "SELECT v FROM items WHERE id = 1"
	for _, db := range []string{"pgapp", "myapp"} {
		t.Run(db, func(t *testing.T) {
			want := func(got cacheAnswer, value, cache string) {
				t.Helper()
				if got.value != value || got.cache != cache {
					t.Fatalf("got %+v, want %q %q", got, value, cache)
				}
			}
			want(g.cacheQuery(t, "alice", "alice-secret", db, q), "a", "miss")
			want(g.cacheQuery(t, "alice", "alice-secret", db, q), "a", "hit")

			// A direct write is not seen while the entry lives (at most
			// max_staleness without a change feed)...
			directWrite[db]("b")
			written := time.Now()
			want(g.cacheQuery(t, "alice", "alice-secret", db, q), "a", "hit")
			// ... nor through Flight SQL, which serves the entry HTTP filled.
			c, err := g.adbcConn(t, "alice", "alice-secret", db)
			if err != nil {
				t.Fatal(err)
			}
			if _, rows, err := adbcQuery(t, c, q); err != nil || len(rows) != 1 || rows[0][0] != "a" {
				t.Fatalf("flight: %v %v (want the cached a)", rows, err)
			}
			// Flight SQL says what the cache did in the floe-cache header.
			if v, cache := g.flightCacheQuery(t, db, q); v != "a" || cache != "hit" {
				t.Fatalf("flight: %q, floe-cache %q", v, cache)
			}
			// ... and is seen once max_staleness has passed.
			within(t, "the direct write", staleness+time.Second, func() bool {
				return g.cacheQuery(t, "alice", "alice-secret", db, q).value == "b"
			})
			if d := time.Since(written); d < staleness-200*time.Millisecond {
				t.Fatalf("an entry filled before the write was dropped after %v: the bound is not what is served", d)
			}
			want(g.cacheQuery(t, "alice", "alice-secret", db, q), "b", "hit")

			// A write through the gateway invalidates at once.
			g.mustData(t, db, "UPDATE items SET v = 'c' WHERE id = 1")
			want(g.cacheQuery(t, "alice", "alice-secret", db, q), "c", "miss")
			want(g.cacheQuery(t, "alice", "alice-secret", db, q), "c", "hit")

			// Not cacheable: the exact reason.
			vol := "SELECT now() FROM items"
			if db == "myapp" {
				vol = "SELECT RAND() FROM items"
			}
			got := g.cacheQuery(t, "alice", "alice-secret", db, vol)
			if !strings.HasPrefix(got.cache, "bypass; reason=volatile function: ") {
				t.Fatalf("volatile: %+v", got)
			}
		})
	}
}

// TestCacheMasks: two roles whose masks or row filters differ never
// share an entry: each reads its own values, from the database then from
// the cache.
func TestCacheMasks(t *testing.T) {
	pgDSN := testDB(t)
	myDSN, direct := myTestDB(t)
	for _, setup := range []func(...string){
		func(s ...string) { pgSetup(t, pgDSN, s...) },
		func(s ...string) { mySetup(t, direct, s...) },
	} {
		setup("CREATE TABLE people (id int PRIMARY KEY, email varchar(40))", "INSERT INTO people VALUES (1, 'ada@example.com')",
			"CREATE TABLE orders (id int PRIMARY KEY, region varchar(4))", "INSERT INTO orders VALUES (1, 'eu'), (2, 'us'), (3, 'eu')")
	}
	g := start(t, fmt.Sprintf(`databases:
  - {name: pgapp, kind: postgres, primary: %q, cache: {enabled: true, ttl: 1m, max_staleness: 1m}}
  - {name: myapp, kind: mysql, primary: %q, cache: {enabled: true, ttl: 1m, max_staleness: 1m}}
users:
  - {name: alice, password: alice-secret, roles: [analyst]}
  - {name: ann, password: ann-secret, roles: [analyst]}
  - {name: root, password: root-secret, roles: [dba]}
  - {name: eve, password: eve-secret, roles: [europe]}
roles:
  - name: analyst
    grants:
      - {database: "*", tables: ["*"], actions: [select]}
  - name: europe
    grants:
      - {database: "*", tables: ["*"], actions: [select]}
    row_filters:
      - {database: pgapp, table: orders, where: "region = 'eu'"}
      - {database: myapp, table: orders, where: "region = 'eu'"}
  - name: dba
    grants:
      - {database: "*", actions: [all]}
masking:
  - {database: "*", table: people, column: email, method: full, except_roles: [dba]}
`, pgDSN, myDSN))
	const q = "SELECT email FROM people WHERE id = 1"
	for _, db := range []string{"pgapp", "myapp"} {
		t.Run(db, func(t *testing.T) {
			for i, step := range []struct {
				user, pw, value, cache string
			}{
				{"alice", "alice-secret", "****", "miss"},
				{"root", "root-secret", "ada@example.com", "miss"},
				{"ann", "ann-secret", "****", "hit"}, // the same masks: the same entry
				{"root", "root-secret", "ada@example.com", "hit"},
				{"alice", "alice-secret", "****", "hit"},
			} {
				if got := g.cacheQuery(t, step.user, step.pw, db, q); got.value != step.value || got.cache != step.cache {
					t.Fatalf("step %d (%s): got %+v, want %q %q", i, step.user, got, step.value, step.cache)
				}
			}
			// Row filters: eve counts the European orders only.
			const count = "SELECT count(*) FROM orders"
			for i, step := range []struct {
				user, pw, value, cache string
			}{
				{"alice", "alice-secret", "3", "miss"},
				{"eve", "eve-secret", "2", "miss"},
				{"eve", "eve-secret", "2", "hit"},
				{"alice", "alice-secret", "3", "hit"},
			} {
				if got := g.cacheQuery(t, step.user, step.pw, db, count); got.value != step.value || got.cache != step.cache {
					t.Fatalf("row filters, step %d (%s): got %+v, want %q %q", i, step.user, got, step.value, step.cache)
				}
			}
		})
	}
}

// TestCacheAdmin: the admin API and `floe admin cache` explain, report
// and purge; the metrics count each verdict.
func TestCacheAdmin(t *testing.T) {
	pgDSN := testDB(t)
	myDSN, direct := myTestDB(t)
	pgSetup(t, pgDSN, "CREATE TABLE items (id int PRIMARY KEY, v varchar(20))", "INSERT INTO items VALUES (1, 'a')")
	mySetup(t, direct, "CREATE TABLE items (id int PRIMARY KEY, v varchar(20))", "INSERT INTO items VALUES (1, 'a')")
	g := start(t, twoDatabases(pgDSN, myDSN, "\n    cache: {enabled: true, ttl: 1m, max_staleness: 1m}"))
	run := func(token string, args ...string) (string, string, int) {
		var out, errOut strings.Builder
		code := cli.Main(context.Background(), append([]string{"admin", "--server", "http://" + g.admin, "--token", token}, args...), strings.NewReader(""), &out, &errOut)
		return out.String(), errOut.String(), code
	}
	const q = "SELECT v FROM items WHERE id = 1"
	g.cacheQuery(t, "alice", "alice-secret", "pgapp", q)
	if got := g.cacheQuery(t, "alice", "alice-secret", "pgapp", q); got.cache != "hit" {
		t.Fatalf("second read: %+v", got)
	}
	if out, errOut, code := run(testReadToken, "cache", "explain", "myapp", "SELECT UUID() FROM items"); code != 0 || out != "not cacheable: volatile function: uuid\n" {
		t.Fatalf("explain (%d): %q %s", code, out, errOut)
	}
	if out, _, code := run(testReadToken, "cache", "explain", "pgapp", q); code != 0 || !strings.HasPrefix(out, "cacheable (ttl 1m0s, tables items)") {
		t.Fatalf("explain (%d): %q", code, out)
	}
	out, _, code := run(testReadToken, "--json", "cache", "stats")
	var stats struct {
		Caches []struct {
			Database string  `json:"database"`
			Entries  int     `json:"entries"`
			Hits     int64   `json:"hits"`
			HitRatio float64 `json:"hit_ratio"`
			Top      []struct {
				Text string `json:"text"`
			} `json:"top"`
		} `json:"caches"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &stats) != nil || len(stats.Caches) != 2 {
		t.Fatalf("stats (%d): %s", code, out)
	}
	pg := stats.Caches[1]
	if pg.Database != "pgapp" || pg.Entries != 1 || pg.Hits != 1 || pg.HitRatio != 0.5 || len(pg.Top) != 1 || strings.Contains(pg.Top[0].Text, "1") {
		t.Fatalf("pgapp stats: %+v (the text must be masked)", pg)
	}
	if _, errOut, code := run(testReadToken, "cache", "purge"); code == 0 || !strings.Contains(errOut, "lacks the admin scope") {
		t.Fatalf("purge with a read token: %d %s", code, errOut)
	}
	if out, errOut, code := run(testAdminToken, "cache", "purge", "--database", "pgapp", "--table", "public.items"); code != 0 || out != "purged 1 entries\n" {
		t.Fatalf("purge (%d): %q %s", code, out, errOut)
	}
	if got := g.cacheQuery(t, "alice", "alice-secret", "pgapp", q); got.cache != "miss" {
		t.Fatalf("after the purge: %+v", got)
	}
	resp, err := http.Get("http://" + g.admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`floe_cache_requests_total{database="pgapp",reason="",result="hit"} 1`,
		`floe_cache_requests_total{database="pgapp",reason="",result="miss"} 2`,
		`floe_cache_entries{database="pgapp"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestCacheSharedRedis: two gateway instances share the Redis tier: an
// entry one fills is a hit on the other, and a write through either
// invalidates the other's entries (on PostgreSQL and MariaDB).
func TestCacheSharedRedis(t *testing.T) {
	pgDSN := testDB(t)
	myDSN, direct := myTestDB(t)
	pgSetup(t, pgDSN, "CREATE TABLE items (id int PRIMARY KEY, v varchar(20))", "INSERT INTO items VALUES (1, 'a')")
	mySetup(t, direct, "CREATE TABLE items (id int PRIMARY KEY, v varchar(20))", "INSERT INTO items VALUES (1, 'a')")
	prefix := redisPrefix(t)
	t.Cleanup(func() {
		rdb := redis.NewClient(&redis.Options{Addr: redisAddr()})
		defer rdb.Close()
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, prefix+":*", 1000).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
	})
	cfg := twoDatabases(pgDSN, myDSN, fmt.Sprintf("\n    cache: {enabled: true, ttl: 1m, max_staleness: 1m, read_your_writes: 1ms, redis: {addr: %q, prefix: %s}}", redisAddr(), prefix))
	a, b := start(t, cfg), start(t, cfg)
	const q = "SELECT v FROM items WHERE id = 1"
	for _, db := range []string{"pgapp", "myapp"} {
		t.Run(db, func(t *testing.T) {
			// The tiers subscribe as the gateways start.
			within(t, "a shared hit", 5*time.Second, func() bool {
				g := a.cacheQuery(t, "alice", "alice-secret", db, q)
				return g.value == "a" && b.cacheQuery(t, "alice", "alice-secret", db, q).cache == "hit"
			})
			if got := a.cacheQuery(t, "alice", "alice-secret", db, q); got.value != "a" || got.cache != "hit" {
				t.Fatalf("a: %+v", got)
			}
			// A write through b reaches a's memory and the shared entry.
			b.mustData(t, db, "UPDATE items SET v = 'b' WHERE id = 1")
			d := within(t, "b's write seen through a", time.Second, func() bool {
				return a.cacheQuery(t, "alice", "alice-secret", db, q).value == "b"
			})
			t.Logf("%s: a write through one instance reached the other in %v", db, d)
			// b serves the new value from the cache; the invalidation its
			// write published at its end may still drop a's refill once
			// (a miss, never a stale hit), so b may have to refill first.
			within(t, "b's hit of the new value", 2*time.Second, func() bool {
				got := b.cacheQuery(t, "alice", "alice-secret", db, q)
				if got.value != "b" {
					t.Fatalf("b after its write: %+v", got)
				}
				return got.cache == "hit"
			})
		})
	}
}

// TestCacheCDC: with change-data capture on, a write made directly on
// the database (not through the gateway) drops the cached result as its
// change event arrives — well within max_staleness, while entries live
// their TTL — on PostgreSQL and MariaDB.
func TestCacheCDC(t *testing.T) {
	pg := testcluster.StartPG(t, 0, testcluster.Logical())
	my := testcluster.StartMariaDB(t, 0, testcluster.RowBinlog())
	for _, s := range []string{"CREATE TABLE items (id int PRIMARY KEY, v varchar(20))", "INSERT INTO items VALUES (1, 'a')"} {
		if err := pg.Primary.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []string{"CREATE DATABASE shop", "CREATE TABLE shop.items (id int PRIMARY KEY, v varchar(20))", "INSERT INTO shop.items VALUES (1, 'a')"} {
		if err := my.Primary.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	state := t.TempDir()
	g := start(t, fmt.Sprintf(`databases:
  - name: app
    kind: postgres
    primary: %q
    cdc: {enabled: true, heartbeat: 200ms, state_dir: %q}
    cache: {enabled: true, ttl: 1m, max_staleness: 10s}
  - name: shop
    kind: mysql
    primary: %q
    cdc: {enabled: true, heartbeat: 200ms, server_id: 778, state_dir: %q}
    cache: {enabled: true, ttl: 1m, max_staleness: 10s}
users:
  - {name: alice, password: alice-secret}
`, pg.Primary.DSN(), state, my.Primary.DSN()+"shop", state))
	const q = "SELECT v FROM items WHERE id = 1"
	write := map[string]func(string) error{
		"app":  func(v string) error { return pg.Primary.Exec("UPDATE items SET v = '" + v + "' WHERE id = 1") },
		"shop": func(v string) error { return my.Primary.Exec("UPDATE shop.items SET v = '" + v + "' WHERE id = 1") },
	}
	for _, db := range []string{"app", "shop"} {
		t.Run(db, func(t *testing.T) {
			// Until its stream is connected and caught up, the cache is
			// bypassed ("change feed behind").
			within(t, "a hit once the stream runs", 30*time.Second, func() bool {
				return g.cacheQuery(t, "alice", "alice-secret", db, q).cache == "hit"
			})
			if err := write[db]("b"); err != nil {
				t.Fatal(err)
			}
			d := within(t, "the direct write seen", 5*time.Second, func() bool {
				return g.cacheQuery(t, "alice", "alice-secret", db, q).value == "b"
			})
			t.Logf("%s: a direct write was seen through the cache after %v", db, d)
			if got := g.cacheQuery(t, "alice", "alice-secret", db, q); got.value != "b" || got.cache != "hit" {
				t.Fatalf("after the refill: %+v", got)
			}
		})
	}
}

// TestCacheWireStage: the cache stage serves the PostgreSQL and MySQL
// wire relays too: a second read is a hit (a direct write is not seen);
// inside a transaction that wrote, the session reads its own write from
// the database; a write through the gateway invalidates.
func TestCacheWireStage(t *testing.T) {
	pgDSN := testDB(t)
	myDSN, direct := myTestDB(t)
	pgc := pgSetup(t, pgDSN, "CREATE TABLE items (id int PRIMARY KEY, v varchar(20))", "INSERT INTO items VALUES (1, 'a')")
	mySetup(t, direct, "CREATE TABLE items (id int PRIMARY KEY, v varchar(20))", "INSERT INTO items VALUES (1, 'a')")
	g := start(t, twoDatabases(pgDSN, myDSN, "\n    cache: {enabled: true, ttl: 1m, max_staleness: 1m, read_your_writes: 1ms}"))
	const q = "SELECT v FROM items WHERE id = 1"
	ctx := context.Background()

	t.Run("postgres", func(t *testing.T) {
		c := g.connect(t, "alice", "alice-secret", "pgapp")
		read := func(r interface {
			QueryRow(context.Context, string, ...any) pgx.Row
		}) string {
			var v string
			if err := r.QueryRow(ctx, q).Scan(&v); err != nil {
				t.Fatal(err)
			}
			return v
		}
		read(c)
		if _, err := pgc.Exec(ctx, "UPDATE items SET v = 'direct' WHERE id = 1"); err != nil {
			t.Fatal(err)
		}
		if v := read(c); v != "a" {
			t.Fatalf("second read %q, want the cached a", v)
		}
		tx, err := c.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, "UPDATE items SET v = 'mine' WHERE id = 1"); err != nil {
			t.Fatal(err)
		}
		if v := read(tx); v != "mine" {
			t.Fatalf("inside the transaction that wrote: %q", v)
		}
		if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond) // read_your_writes: 1ms
		if v := read(c); v != "direct" {
			t.Fatalf("after the rollback: %q (the write through the gateway invalidated)", v)
		}
	})

	t.Run("mysql", func(t *testing.T) {
		db := g.mydb(t, "alice", "alice-secret", "myapp", map[string]string{"interpolateParams": "true"})
		db.SetMaxOpenConns(1)
		myRead(t, db, q)
		if _, err := direct.Exec("UPDATE items SET v = 'direct' WHERE id = 1"); err != nil {
			t.Fatal(err)
		}
		if v := myRead(t, db, q); v != "a\n" && v != "a" {
			t.Fatalf("second read %q, want the cached a", v)
		}
		if _, err := db.Exec("UPDATE items SET v = 'gw' WHERE id = 1"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
		if v := strings.TrimSpace(myRead(t, db, q)); v != "gw" {
			t.Fatalf("after a write through the gateway: %q", v)
		}
	})
	resp, err := http.Get("http://" + g.admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`floe_cache_requests_total{database="pgapp",reason="",result="hit"}`,
		`floe_cache_requests_total{database="myapp",reason="",result="hit"}`,
		`floe_cache_requests_total{database="pgapp",reason="transaction wrote",result="bypass"}`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
