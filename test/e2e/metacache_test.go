package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	afsql "github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/floe-db/floe/internal/cdc"
	"github.com/floe-db/floe/internal/testcluster"
)

// metadataCacheTotal reads floe_metadata_cache_total for database db and
// result (hit or miss).
func metadataCacheTotal(t *testing.T, g *gateway, db, result string) int {
	t.Helper()
	resp, err := http.Get("http://" + g.admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	prefix := fmt.Sprintf(`floe_metadata_cache_total{database=%q,result=%q} `, db, result)
	for _, l := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(l, prefix); ok {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", l, err)
			}
			return int(n)
		}
	}
	return 0
}

// flightTables lists the tables of catalog db that user sees through
// Flight SQL GetTables (schema.table).
func (g *gateway) flightTables(t *testing.T, user, password, db string) []string {
	t.Helper()
	ctx := context.Background()
	cl, err := afsql.NewClient(g.flight, nil, nil, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	actx, err := cl.Client.AuthenticateBasicToken(ctx, user, password)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := cl.GetTables(actx, &afsql.GetTablesOpts{Catalog: ptr(db)})
	if err != nil {
		t.Fatal(err)
	}
	rdr, err := cl.DoGet(actx, fi.Endpoint[0].Ticket)
	if err != nil {
		t.Fatal(err)
	}
	defer rdr.Release()
	var out []string
	for rdr.Next() {
		for _, r := range batchRows(rdr.RecordBatch()) {
			out = append(out, r[1]+"."+r[2])
		}
	}
	if err := rdr.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMetadataCache: the catalogue metadata the gateway keeps follows
// schema changes. On PostgreSQL with change capture (and its DDL
// trigger): a masked column renamed and replaced directly on the
// database is masked by its new definition at once (the relay's masking
// catalog would otherwise trust its old answer for a minute), and a
// table created directly shows in Flight SQL GetTables within about a
// second. Without change capture GetTables is served from the metadata
// cache (counted), a schema change through the gateway drops it, and a
// caller still sees only the tables they may read after another's
// request filled it.
func TestMetadataCache(t *testing.T) {
	pg := testcluster.StartPG(t, 0, testcluster.Logical())
	for _, s := range []string{
		"CREATE TABLE people (id int PRIMARY KEY, email text, note text)",
		"INSERT INTO people VALUES (1, 'ada@example.com', 'hello')",
		"CREATE TABLE secrets (id int PRIMARY KEY, v text)",
	} {
		if err := pg.Primary.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	g := start(t, fmt.Sprintf(`databases:
  - name: app
    kind: postgres
    primary: %q
    cdc: {enabled: true, ddl_trigger: true, heartbeat: 200ms, state_dir: %q}
    cache: {enabled: true, ttl: 1m, max_staleness: 10s, metadata_ttl: 1m}
  - name: plain
    kind: postgres
    primary: %q
    cache: {enabled: true, ttl: 1m, max_staleness: 10s, metadata_ttl: 1m}
users:
  - {name: alice, password: alice-secret, roles: [analyst]}
  - {name: eve, password: eve-secret, roles: [narrow]}
  - {name: root, password: root-secret, roles: [dba]}
roles:
  - name: analyst
    grants:
      - {database: "*", tables: ["*"], actions: [select]}
  - name: narrow
    grants:
      - {database: "*", tables: [people], actions: [select]}
  - name: dba
    grants:
      - {database: "*", actions: [all]}
masking:
  - {database: "*", table: people, column: email, method: full, except_roles: [dba]}
`, pg.Primary.DSN(), t.TempDir(), pg.Primary.DSN()))

	// The stream must run (its DDL trigger installed) before the direct
	// changes below: a probe table created directly is seen as an event.
	var body struct{ CDC []cdc.Status }
	within(t, "the change stream connected", 30*time.Second, func() bool {
		body.CDC = nil
		g.adminCall(t, "GET", "/api/v1/cdc", testReadToken, &body)
		return len(body.CDC) == 1 && body.CDC[0].Connected
	})
	within(t, "a direct schema change seen by the stream", 30*time.Second, func() bool {
		_ = pg.Primary.Exec("DROP TABLE IF EXISTS floe_t_probe; CREATE TABLE floe_t_probe (id int)")
		time.Sleep(200 * time.Millisecond)
		body.CDC = nil
		g.adminCall(t, "GET", "/api/v1/cdc", testReadToken, &body)
		return len(body.CDC) == 1 && body.CDC[0].Events > 0
	})

	// read runs sql through the PostgreSQL relay as alice on database db,
	// on a connection of its own (no prepared statement kept across the
	// schema change), and returns the first row as text.
	read := func(db, sql string) []string {
		t.Helper()
		c := g.connect(t, "alice", "alice-secret", db)
		defer c.Close(context.Background())
		rows, err := c.Query(context.Background(), sql)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		if !rows.Next() {
			t.Fatalf("%s: no row (%v)", sql, rows.Err())
		}
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		out := make([]string, len(vals))
		for i, v := range vals {
			out[i] = fmt.Sprint(v)
		}
		return out
	}

	t.Run("masks follow a direct column rename", func(t *testing.T) {
		// The masking catalog learns people's columns (email is attnum 2).
		if got := read("app", "SELECT email, note FROM people WHERE id = 1"); got[0] != "****" || got[1] != "hello" {
			t.Fatalf("before: %v", got)
		}
		// Directly: email becomes old_email, and note (attnum 3) becomes
		// email. A stale catalog names attnum 3 "note" and shows it.
		if err := pg.Primary.Exec("ALTER TABLE people RENAME COLUMN email TO old_email; ALTER TABLE people RENAME COLUMN note TO email"); err != nil {
			t.Fatal(err)
		}
		var got []string
		d := within(t, "the new email column masked", 5*time.Second, func() bool {
			got = read("app", "SELECT old_email, email FROM people WHERE id = 1")
			return got[1] == "****"
		})
		if got[0] != "ada@example.com" {
			t.Fatalf("old_email is no longer masked by the policy: %v", got)
		}
		t.Logf("the rename was masked by its new definition after %v", d)
		// Dropped and re-created under the same name: a new attnum.
		if err := pg.Primary.Exec("ALTER TABLE people DROP COLUMN email; ALTER TABLE people ADD COLUMN email text DEFAULT 'new@example.com'"); err != nil {
			t.Fatal(err)
		}
		within(t, "the re-created email column masked", 5*time.Second, func() bool {
			got = read("app", "SELECT email FROM people WHERE id = 1")
			return got[0] == "****"
		})
	})

	t.Run("GetTables sees a direct CREATE TABLE with change capture", func(t *testing.T) {
		if ts := g.flightTables(t, "alice", "alice-secret", "app"); !slices.Contains(ts, "public.people") || slices.Contains(ts, "public.floe_t_direct") {
			t.Fatalf("before: %v", ts)
		}
		hits := metadataCacheTotal(t, g, "app", "hit")
		g.flightTables(t, "alice", "alice-secret", "app")
		if metadataCacheTotal(t, g, "app", "hit") != hits+1 {
			t.Fatal("a second listing was not served from the metadata cache")
		}
		if err := pg.Primary.Exec("CREATE TABLE floe_t_direct (id int)"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = pg.Primary.Exec("DROP TABLE IF EXISTS floe_t_direct") })
		d := within(t, "the direct table listed", 3*time.Second, func() bool {
			return slices.Contains(g.flightTables(t, "alice", "alice-secret", "app"), "public.floe_t_direct")
		})
		t.Logf("a table created directly was listed after %v", d)
	})

	t.Run("without change capture: cached, dropped by DDL through the gateway", func(t *testing.T) {
		miss := metadataCacheTotal(t, g, "plain", "miss")
		before := g.flightTables(t, "alice", "alice-secret", "plain")
		if err := pg.Primary.Exec("CREATE TABLE floe_t_plain_direct (id int)"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = pg.Primary.Exec("DROP TABLE IF EXISTS floe_t_plain_direct") })
		// Within the TTL the listing is the cached one: the direct table
		// is not in it, and the database was not asked again.
		for i := 0; i < 3; i++ {
			if ts := g.flightTables(t, "alice", "alice-secret", "plain"); !slices.Equal(ts, before) {
				t.Fatalf("listing %d: %v, cached %v", i, ts, before)
			}
		}
		if got := metadataCacheTotal(t, g, "plain", "miss"); got != miss+1 {
			t.Fatalf("%d catalogue queries for 4 listings, want 1", got-miss)
		}
		// A schema change through the gateway drops the listing at once.
		c := g.connect(t, "root", "root-secret", "plain")
		if _, err := c.Exec(context.Background(), "CREATE TABLE floe_t_plain_gw (id int)"); err != nil {
			t.Fatal(err)
		}
		c.Close(context.Background())
		t.Cleanup(func() { _ = pg.Primary.Exec("DROP TABLE IF EXISTS floe_t_plain_gw") })
		ts := g.flightTables(t, "alice", "alice-secret", "plain")
		if !slices.Contains(ts, "public.floe_t_plain_gw") || !slices.Contains(ts, "public.floe_t_plain_direct") {
			t.Fatalf("after CREATE TABLE through the gateway: %v", ts)
		}
		if got := metadataCacheTotal(t, g, "plain", "miss"); got != miss+2 {
			t.Fatalf("%d catalogue queries, want 2", got-miss)
		}
	})

	t.Run("a cache hit is filtered per caller", func(t *testing.T) {
		// root fills the listing; eve's request is a hit and still shows
		// only the table she may read.
		root := g.flightTables(t, "root", "root-secret", "plain")
		if !slices.Contains(root, "public.secrets") || !slices.Contains(root, "public.people") {
			t.Fatalf("root: %v", root)
		}
		hits := metadataCacheTotal(t, g, "plain", "hit")
		if eve := g.flightTables(t, "eve", "eve-secret", "plain"); !slices.Equal(eve, []string{"public.people"}) {
			t.Fatalf("eve sees %v", eve)
		}
		if metadataCacheTotal(t, g, "plain", "hit") != hits+1 {
			t.Fatal("eve's listing was not a cache hit")
		}
	})
}

// TestMetadataCacheMySQL: on MariaDB with change capture, a table created
// directly on the database shows in Flight SQL GetTables without waiting
// for metadata_ttl (the binlog's QueryEvent is the ddl event).
func TestMetadataCacheMySQL(t *testing.T) {
	my := testcluster.StartMariaDB(t, 0, testcluster.RowBinlog())
	for _, s := range []string{"CREATE DATABASE shop", "CREATE TABLE shop.items (id int PRIMARY KEY)"} {
		if err := my.Primary.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	g := start(t, fmt.Sprintf(`databases:
  - name: shop
    kind: mysql
    primary: %q
    cdc: {enabled: true, heartbeat: 200ms, server_id: 779, state_dir: %q}
    cache: {enabled: true, ttl: 1m, max_staleness: 10s, metadata_ttl: 1m}
users:
  - {name: alice, password: alice-secret}
`, my.Primary.DSN()+"shop", t.TempDir()))
	var body struct{ CDC []cdc.Status }
	within(t, "the change stream connected", 30*time.Second, func() bool {
		body.CDC = nil
		g.adminCall(t, "GET", "/api/v1/cdc", testReadToken, &body)
		return len(body.CDC) == 1 && body.CDC[0].Connected
	})
	if ts := g.flightTables(t, "alice", "alice-secret", "shop"); !slices.Equal(ts, []string{"shop.items"}) {
		t.Fatalf("before: %v", ts)
	}
	hits := metadataCacheTotal(t, g, "shop", "hit")
	g.flightTables(t, "alice", "alice-secret", "shop")
	if metadataCacheTotal(t, g, "shop", "hit") != hits+1 {
		t.Fatal("a second listing was not served from the metadata cache")
	}
	if err := my.Primary.Exec("CREATE TABLE shop.floe_t_direct (id int)"); err != nil {
		t.Fatal(err)
	}
	d := within(t, "the direct table listed", 3*time.Second, func() bool {
		return slices.Contains(g.flightTables(t, "alice", "alice-secret", "shop"), "shop.floe_t_direct")
	})
	t.Logf("a table created directly was listed after %v", d)
}
