package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/floe-db/floe/internal/testcluster"
)

// The result cache's promise, checked as a property: with a change feed,
// no read through Floe returns a state older than max_staleness. Writers
// bump version counters directly on the database and through Floe;
// readers read the counters through Floe with the cache on (simple and
// extended protocol on PostgreSQL, text and binary on MariaDB), for a
// bounded time with random keys; midway the change feed's connection is
// killed. A read that returned version v is stale when version v+1's
// commit had returned to its writer more than max_staleness before the
// read was sent. The cache must also have served hits, or the run proves
// nothing.
func TestCacheStalenessPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server")
	}
	pg := testcluster.StartPG(t, 0, testcluster.Logical())
	if err := pg.Primary.Exec("CREATE TABLE kv (id int PRIMARY KEY, ver bigint NOT NULL); INSERT INTO kv SELECT g, 0 FROM generate_series(1, 6) g"); err != nil {
		t.Fatal(err)
	}
	dsn := pg.Primary.DSN()
	g := start(t, stalenessConfig("postgres", dsn, t.TempDir()))
	direct, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	viaSimple, err := sql.Open("pgx", g.dsn("alice", "alice-secret", "app", "default_query_exec_mode=simple_protocol"))
	if err != nil {
		t.Fatal(err)
	}
	defer viaSimple.Close()
	viaExt, err := sql.Open("pgx", g.dsn("alice", "alice-secret", "app"))
	if err != nil {
		t.Fatal(err)
	}
	defer viaExt.Close()
	kill := func() error {
		var n int
		if err := direct.QueryRow("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE backend_type = 'walsender'").Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("no walsender to end")
		}
		return nil
	}
	runStaleness(t, g, "app", direct, []*sql.DB{viaSimple, viaExt}, viaExt,
		"UPDATE kv SET ver = ver + 1 WHERE id = $1 RETURNING ver", "SELECT ver FROM kv WHERE id = $1", true, kill)
}

func TestCacheStalenessMySQL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a MariaDB server")
	}
	my := testcluster.StartMariaDB(t, 0, testcluster.RowBinlog())
	if err := my.Primary.Exec("CREATE DATABASE shop"); err != nil {
		t.Fatal(err)
	}
	if err := my.Primary.Exec("CREATE TABLE shop.kv (id int PRIMARY KEY, ver bigint NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	if err := my.Primary.Exec("INSERT INTO shop.kv VALUES (1,0),(2,0),(3,0),(4,0),(5,0),(6,0)"); err != nil {
		t.Fatal(err)
	}
	g := start(t, stalenessConfig("mysql", my.Primary.DSN()+"shop", t.TempDir()))
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr, cfg.DBName = "root", "tcp", fmt.Sprintf("127.0.0.1:%d", my.Primary.Port), "shop"
	direct, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	viaText := g.mydb(t, "alice", "alice-secret", "shop", map[string]string{"interpolateParams": "true"})
	viaBin := g.mydb(t, "alice", "alice-secret", "shop", nil)
	kill := func() error {
		rows, err := direct.Query("SELECT id FROM information_schema.processlist WHERE command LIKE 'Binlog Dump%'")
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if len(ids) == 0 {
			return fmt.Errorf("no binlog dump thread to kill")
		}
		for _, id := range ids {
			if _, err := direct.Exec(fmt.Sprintf("KILL %d", id)); err != nil {
				return err
			}
		}
		return nil
	}
	runStaleness(t, g, "shop", direct, []*sql.DB{viaText, viaBin}, viaBin,
		"UPDATE kv SET ver = ver + 1 WHERE id = ?", "SELECT ver FROM kv WHERE id = ?", false, kill)
}

const stalenessBound = 400 * time.Millisecond

func stalenessConfig(kind, dsn, state string) string {
	name, serverID := "app", ""
	if kind == "mysql" {
		name, serverID = "shop", "server_id: 4242, "
	}
	return fmt.Sprintf(`databases:
  - name: %s
    kind: %s
    primary: %q
    pool: {mode: transaction, size: 6}
    cache: {enabled: true, ttl: 1m, max_staleness: %s, read_your_writes: 1s}
    cdc: {enabled: true, heartbeat: 100ms, %sstate_dir: %q}
users:
  - {name: alice, password: alice-secret}
`, name, kind, dsn, stalenessBound, serverID, state)
}

// version is one committed version of a key: done is when its commit
// had returned to the writer (the commit happened before).
type version struct {
	ver  int64
	done time.Time
}

type staleRead struct {
	id   int
	ver  int64
	sent time.Time
}

func runStaleness(t *testing.T, g *gateway, db string, direct *sql.DB, readers []*sql.DB, viaWriter *sql.DB,
	update, read string, returning bool, killFeed func() error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// Let the feed connect (and its watermark pass) before measuring.
	eventually(t, 20*time.Second, func() error {
		var v int64
		return viaWriter.QueryRowContext(ctx, strings.Replace(read, "kv", "kv", 1), 1).Scan(&v)
	})
	time.Sleep(500 * time.Millisecond)

	var mu sync.Mutex
	history := map[int][]version{}
	var reads []staleRead
	bump := func(c *sql.DB, id int) error {
		var v int64
		if returning {
			if err := c.QueryRowContext(ctx, update, id).Scan(&v); err != nil {
				return err
			}
		} else {
			tx, err := c.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, update, id); err != nil {
				tx.Rollback()
				return err
			}
			if err := tx.QueryRowContext(ctx, "SELECT ver FROM kv WHERE id = ?", id).Scan(&v); err != nil {
				tx.Rollback()
				return err
			}
			if err := tx.Commit(); err != nil {
				return err
			}
		}
		done := time.Now()
		mu.Lock()
		history[id] = append(history[id], version{v, done})
		mu.Unlock()
		return nil
	}
	const runFor = 6 * time.Second
	end := time.Now().Add(runFor)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	writer := func(c *sql.DB, seed uint64, pause time.Duration) {
		defer wg.Done()
		r := rand.New(rand.NewPCG(seed, 1))
		for time.Now().Before(end) {
			if err := bump(c, 1+r.IntN(6)); err != nil {
				errs <- fmt.Errorf("write: %w", err)
				return
			}
			time.Sleep(time.Duration(r.Int64N(int64(pause))))
		}
	}
	reader := func(c *sql.DB, seed uint64) {
		defer wg.Done()
		r := rand.New(rand.NewPCG(seed, 2))
		for time.Now().Before(end) {
			id := 1 + r.IntN(6)
			sent := time.Now()
			var v int64
			if err := c.QueryRowContext(ctx, read, id).Scan(&v); err != nil {
				errs <- fmt.Errorf("read: %w", err)
				return
			}
			mu.Lock()
			reads = append(reads, staleRead{id, v, sent})
			mu.Unlock()
			time.Sleep(time.Duration(r.Int64N(int64(2 * time.Millisecond))))
		}
	}
	wg.Add(2)
	go writer(direct, 1, 60*time.Millisecond)
	go writer(viaWriter, 2, 2*time.Second) // rarer: a write through Floe drops every entry of the table
	for i, c := range readers {
		for j := range 2 {
			wg.Add(1)
			go reader(c, uint64(10*i+j))
		}
	}
	time.Sleep(runFor / 2)
	if err := killFeed(); err != nil {
		t.Errorf("kill the change feed's connection: %v", err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	stale := 0
	for _, rd := range reads {
		for _, v := range history[rd.id] {
			if v.ver == rd.ver+1 && v.done.Before(rd.sent.Add(-stalenessBound)) {
				if stale < 5 {
					t.Errorf("key %d: read sent at %s returned version %d, but version %d had committed by %s (%s earlier; bound %s)",
						rd.id, rd.sent.Format("15:04:05.000"), rd.ver, v.ver, v.done.Format("15:04:05.000"), rd.sent.Sub(v.done), stalenessBound)
				}
				stale++
			}
		}
	}
	m, err := g.scrape(ctx)
	if err != nil {
		t.Fatal(err)
	}
	hits := 0.0
	for k, v := range m {
		if strings.HasPrefix(k, "floe_cache_requests_total{") && strings.Contains(k, `database="`+db+`"`) && strings.Contains(k, `result="hit"`) {
			hits += v
		}
	}
	t.Logf("%d reads, %d stale, %.0f cache hits; writes: %d keys", len(reads), stale, hits, len(history))
	if stale > 0 {
		t.Fatalf("%d of %d reads beyond max_staleness", stale, len(reads))
	}
	if hits < float64(len(reads))/10 {
		t.Fatalf("only %.0f of %d reads were cache hits: the run proves nothing", hits, len(reads))
	}
}
