package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/floe-db/floe/internal/testcluster"
)

type backendStatus struct {
	Database, Name, Role string
	Healthy              bool
	LagSeconds           float64 `json:"lag_seconds"`
	LSN                  uint64
	Breaker              string
}

func (g *gateway) backends(t *testing.T) []backendStatus {
	t.Helper()
	var body struct{ Backends []backendStatus }
	if code := g.adminCall(t, "GET", "/api/v1/backends", testReadToken, &body); code != 200 {
		t.Fatalf("GET /api/v1/backends: %d", code)
	}
	return body.Backends
}

// waitBackends polls the admin API until want (name → "up/role" or
// "down") holds, for up to 10 s.
func (g *gateway) waitBackends(t *testing.T, want map[string]string) {
	t.Helper()
	eventually(t, 10*time.Second, func() error {
		got := map[string]string{}
		for _, b := range g.backends(t) {
			got[b.Name] = "down"
			if b.Healthy {
				got[b.Name] = "up/" + b.Role
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			return fmt.Errorf("backends %v, want %v", got, want)
		}
		return nil
	})
}

// waitHealthy waits up to 10 s until exactly n backends are healthy.
func (g *gateway) waitHealthy(t *testing.T, n int) {
	t.Helper()
	eventually(t, 10*time.Second, func() error {
		up := 0
		bs := g.backends(t)
		for _, b := range bs {
			if b.Healthy {
				up++
			}
		}
		if up != n {
			return fmt.Errorf("%d backends up, want %d: %+v", up, n, bs)
		}
		return nil
	})
}

// clusterGateway starts a PostgreSQL primary with one streaming replica
// holding table t (created by ddl, replayed), and a gateway whose
// database app fronts both with fast health checks and the given extra
// database keys (indented YAML lines, e.g. routing).
func clusterGateway(t *testing.T, ddl, extra string) (*testcluster.PGCluster, *gateway) {
	t.Helper()
	cl := testcluster.StartPG(t, 1)
	if err := cl.Primary.Exec(ddl); err != nil {
		t.Fatal(err)
	}
	cl.WaitReplayed(t)
	g := start(t, fmt.Sprintf(`databases:
  - name: app
    kind: postgres
    primary: %q
    replicas: [%q]
    health: {interval: 200ms, fail_after: 2, rise_after: 1}
%susers:
  - {name: alice, password: alice-secret}
`, cl.Primary.DSN(), cl.Replicas[0].DSN(), extra))
	g.waitBackends(t, map[string]string{"primary": "up/primary", "replica1": "up/replica"})
	return cl, g
}

// Health checks find the primary and the replica, see a killed replica
// go down and come back, and see a promoted replica as the primary; the
// admin API and the metrics show it.
func TestHealthChecksTopology(t *testing.T) {
	cl := testcluster.StartPG(t, 1)
	g := start(t, fmt.Sprintf(`databases:
  - name: app
    kind: postgres
    primary: %q
    replicas:
      - {dsn: %q, weight: 2, tags: {region: eu}}
    health: {interval: 200ms, fail_after: 2, rise_after: 2}
users:
  - {name: alice, password: alice-secret}
`, cl.Primary.DSN(), cl.Replicas[0].DSN()))
	g.waitBackends(t, map[string]string{"primary": "up/primary", "replica1": "up/replica"})
	for _, b := range g.backends(t) {
		if b.Name == "replica1" && (b.LagSeconds < 0 || b.LSN == 0) {
			t.Errorf("replica status %+v", b)
		}
	}
	cl.Replicas[0].Kill()
	g.waitBackends(t, map[string]string{"primary": "up/primary", "replica1": "down"})
	cl.Replicas[0].Start()
	g.waitBackends(t, map[string]string{"primary": "up/primary", "replica1": "up/replica"})
	cl.Primary.Kill()
	cl.Replicas[0].Promote()
	g.waitBackends(t, map[string]string{"primary": "down", "replica1": "up/primary"})

	resp, err := http.Get("http://" + g.admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`floe_backend_up{backend="replica1",database="app"} 1`,
		`floe_backend_up{backend="primary",database="app"} 0`,
		`floe_backend_state_changes_total{backend="replica1",database="app",role="primary",state="up"}`,
	} {
		if !strings.Contains(string(m), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if !strings.Contains(g.log.String(), `"msg":"backend state changed"`) {
		t.Error("state changes not logged")
	}
}

// While health checks find the primary down, statements that need a
// backend fail at once with a retryable connection error, the client
// session survives, and work resumes when the primary is back.
func TestPrimaryDownFailsFast(t *testing.T) {
	pg := testcluster.StartPG(t, 0)
	my := testcluster.StartMariaDB(t, 0)
	if err := my.Primary.Exec("CREATE DATABASE app"); err != nil {
		t.Fatal(err)
	}
	g := start(t, fmt.Sprintf(`databases:
  - name: pgapp
    kind: postgres
    primary: %q
    health: {interval: 200ms, fail_after: 2, rise_after: 1}
  - name: myapp
    kind: mysql
    primary: %q
    health: {interval: 200ms, fail_after: 2, rise_after: 1}
users:
  - {name: alice, password: alice-secret}
`, pg.Primary.DSN(), my.Primary.DSN()+"app"))
	ctx := context.Background()
	pc := g.connect(t, "alice", "alice-secret", "pgapp")
	db := g.mydb(t, "alice", "alice-secret", "myapp", nil)
	db.SetMaxOpenConns(1)
	one := func() (error, error) {
		var n int
		return pc.QueryRow(ctx, "SELECT 1").Scan(&n), db.QueryRowContext(ctx, "SELECT 1").Scan(&n)
	}
	if pe, me := one(); pe != nil || me != nil {
		t.Fatalf("before: %v / %v", pe, me)
	}
	pg.Primary.Kill()
	my.Primary.Kill()
	g.waitHealthy(t, 0)
	pe, me := one()
	if sqlstate(pe) != "08006" || !strings.Contains(pe.Error(), "is down") {
		t.Errorf("PostgreSQL client while the primary is down: %v", pe)
	}
	if myErrno(me) != 1429 || !strings.Contains(me.Error(), "is down") {
		t.Errorf("MySQL client while the primary is down: %v", me)
	}
	pg.Primary.Start()
	my.Primary.Start()
	g.waitHealthy(t, 2)
	if pe, me := one(); pe != nil || me != nil {
		t.Fatalf("after the primaries came back, on the same client sessions: %v / %v", pe, me)
	}
}

// When the primary dies, writes fail fast; when a replica is promoted,
// writes go to it through the same client sessions, without a restart.
func TestFailoverToPromotedReplica(t *testing.T) {
	cl, g := clusterGateway(t, "CREATE TABLE t (id int PRIMARY KEY, note text)", "    pool: {mode: transaction, size: 4}\n")
	ctx := context.Background()
	c := g.connect(t, "alice", "alice-secret", "app")
	if _, err := c.Exec(ctx, "INSERT INTO t VALUES (1, 'before')"); err != nil {
		t.Fatal(err)
	}
	cl.WaitReplayed(t)

	killed := time.Now()
	cl.Primary.Kill()
	g.waitBackends(t, map[string]string{"primary": "down", "replica1": "up/replica"})
	_, err := c.Exec(ctx, "INSERT INTO t VALUES (2, 'while down')")
	if sqlstate(err) != "08006" {
		t.Fatalf("write while the primary is down: %v, want 08006", err)
	}
	cl.Replicas[0].Promote()
	var errs int
	eventually(t, 30*time.Second, func() error {
		_, err := c.Exec(ctx, "INSERT INTO t VALUES (3, 'after promotion')")
		if err == nil {
			return nil
		}
		errs++
		if sqlstate(err) != "08006" && sqlstate(err) != "25006" {
			t.Fatalf("write during failover: %v", err)
		}
		return fmt.Errorf("writes did not resume: %w", err)
	})
	t.Logf("failover: first write on the promoted replica %v after the primary was killed (%d refused writes while polling)", time.Since(killed).Round(time.Millisecond), errs)
	var notes []string
	rows, err := c.Query(ctx, "SELECT note FROM t ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		notes = append(notes, n)
	}
	if rows.Err() != nil || strings.Join(notes, ",") != "before,after promotion" {
		t.Fatalf("rows after failover: %v %v", notes, rows.Err())
	}
}

// Reads outside transactions go to the replica; writes, transactions and
// reads within the read-your-writes window go to the primary; a replica
// killed under load costs only the reads on its connections.
func TestReadWriteSplit(t *testing.T) {
	cl, g := clusterGateway(t, "CREATE TABLE t (id int PRIMARY KEY, note text)",
		"    pool: {mode: transaction, size: 8}\n    routing: {read_write_split: true, read_your_writes: 2s}\n")
	ctx := context.Background()
	c := g.connect(t, "alice", "alice-secret", "app")
	onReplica := func(c *pgx.Conn, mode pgx.QueryExecMode) bool {
		t.Helper()
		var r bool
		if err := c.QueryRow(ctx, "SELECT pg_is_in_recovery()", mode).Scan(&r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeCacheStatement, pgx.QueryExecModeExec} {
		if !onReplica(c, mode) {
			t.Errorf("mode %v: a read outside a transaction ran on the primary", mode)
		}
	}
	if r := onReplica(g.connect(t, "alice", "alice-secret", "app"), pgx.QueryExecModeSimpleProtocol); !r {
		t.Error("a hinted-free read of a new session ran on the primary")
	}
	var r bool
	if err := c.QueryRow(ctx, "/* floe:primary */ SELECT pg_is_in_recovery()").Scan(&r); err != nil || r {
		t.Errorf("hinted read: replica=%v %v", r, err)
	}
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&r); err != nil || r {
		t.Errorf("read in a transaction: replica=%v %v", r, err)
	}
	tx.Rollback(ctx)
	// Read your writes: the row written is read back at once.
	if _, err := c.Exec(ctx, "INSERT INTO t VALUES (1, 'mine')"); err != nil {
		t.Fatal(err)
	}
	var note string
	if err := c.QueryRow(ctx, "SELECT note FROM t WHERE id = 1").Scan(&note); err != nil || note != "mine" {
		t.Fatalf("read after write: %q %v", note, err)
	}
	if onReplica(c, pgx.QueryExecModeSimpleProtocol) {
		t.Error("a read within the read-your-writes window ran on the replica")
	}

	// A batch that begins with a read on the replica cannot write; the
	// session goes on.
	fresh := g.connect(t, "alice", "alice-secret", "app")
	b := &pgx.Batch{}
	b.Queue("SELECT count(*) FROM t")
	b.Queue("INSERT INTO t VALUES (2, 'batched')")
	br := fresh.SendBatch(ctx, b)
	var cnt int
	if err := br.QueryRow().Scan(&cnt); err != nil {
		t.Fatalf("batched read: %v", err)
	}
	if _, err := br.Exec(); sqlstate(err) != "25006" {
		t.Errorf("write in a batch begun on a replica: %v, want 25006", err)
	}
	br.Close()
	if _, err := fresh.Exec(ctx, "INSERT INTO t VALUES (2, 'alone')"); err != nil {
		t.Errorf("write after the refused batch: %v", err)
	}

	// Kill the replica under load: reads go on. A session whose read was
	// in flight on the dying replica may end with it (as PgBouncer ends
	// the client of a crashed server connection); its client connects
	// again. The load stops before the gateway does, also when the test
	// fails.
	const clients = 4
	stop := make(chan struct{})
	stopLoad := sync.OnceFunc(func() { close(stop) })
	errs := make(chan error, 10000)
	done := make(chan int, clients)
	var attempts atomic.Int64
	var load sync.WaitGroup
	t.Cleanup(func() { stopLoad(); load.Wait() })
	for i := 0; i < clients; i++ {
		load.Add(1)
		go func() {
			defer load.Done()
			n := 0
			var pc *pgx.Conn
			defer func() {
				if pc != nil {
					pc.Close(context.Background())
				}
				done <- n
			}()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if pc == nil || pc.IsClosed() {
					cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
					c, err := pgx.Connect(cctx, g.dsn("alice", "alice-secret", "app"))
					cancel()
					if err != nil {
						errs <- err
						time.Sleep(50 * time.Millisecond)
						continue
					}
					pc = c
				}
				var x int
				if err := pc.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&x); err != nil {
					errs <- err
				}
				n++
				attempts.Add(1)
			}
		}()
	}
	// Kill the replica once the load runs, and let the load go on a
	// little after the checks have seen it down.
	loadRuns := func(after int64) func() error {
		return func() error {
			if attempts.Load() <= after {
				return errors.New("the load has made no reads yet")
			}
			return nil
		}
	}
	eventually(t, 10*time.Second, loadRuns(0))
	cl.Replicas[0].Kill()
	g.waitBackends(t, map[string]string{"primary": "up/primary", "replica1": "down"})
	eventually(t, 10*time.Second, loadRuns(attempts.Load()+clients))
	stopLoad()
	total := 0
	for i := 0; i < clients; i++ {
		total += <-done
	}
	close(errs)
	var failed []string
	for err := range errs {
		failed = append(failed, err.Error())
	}
	// At most the statement in flight on each client's connection to the
	// killed replica fails.
	if len(failed) > clients {
		t.Errorf("%d of %d reads failed when the replica died (bound %d): %v", len(failed), total, clients, failed)
	}
	if onReplica(c, pgx.QueryExecModeSimpleProtocol) {
		t.Error("a read went to the dead replica")
	}
	var n int
	if err := c.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil || n != 2 {
		t.Errorf("read after the replica died: %d %v", n, err)
	}
}

// With routing.failover_wait, a write issued while there is no primary
// waits for the promotion instead of failing.
func TestFailoverWaitHoldsWrites(t *testing.T) {
	cl, g := clusterGateway(t, "CREATE TABLE t (id int PRIMARY KEY)", "    routing: {failover_wait: 20s}\n")
	c := g.connect(t, "alice", "alice-secret", "app")
	cl.Primary.Kill()
	g.waitBackends(t, map[string]string{"primary": "down", "replica1": "up/replica"})
	done := make(chan error, 1)
	go func() {
		_, err := c.Exec(context.Background(), "INSERT INTO t VALUES (1)")
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("the write returned before any promotion: %v", err)
	case <-time.After(500 * time.Millisecond):
	}
	cl.Replicas[0].Promote()
	if err := <-done; err != nil {
		t.Fatalf("held write after promotion: %v", err)
	}
	var n int
	if err := c.QueryRow(context.Background(), "SELECT count(*) FROM t").Scan(&n); err != nil || n != 1 {
		t.Fatalf("rows %d %v", n, err)
	}
}

// Read-your-writes by replayed position: within a long window, a
// session's reads return to the replica as soon as the checks see it has
// replayed past the session's write, and never before (the row is there).
func TestReadYourWritesByReplayedLSN(t *testing.T) {
	_, g := clusterGateway(t, "CREATE TABLE t (id int PRIMARY KEY, note text)",
		"    pool: {mode: transaction, size: 4}\n    routing: {read_write_split: true, read_your_writes: 60s}\n")
	ctx := context.Background()
	c := g.connect(t, "alice", "alice-secret", "app")
	for i := 1; i <= 3; i++ {
		if _, err := c.Exec(ctx, "INSERT INTO t VALUES ($1, 'mine')", i); err != nil {
			t.Fatal(err)
		}
		wrote := time.Now()
		reads := 0
		eventually(t, 15*time.Second, func() error {
			var onReplica bool
			var note *string
			if err := c.QueryRow(ctx, "SELECT pg_is_in_recovery(), (SELECT note FROM t WHERE id = $1)", i).Scan(&onReplica, &note); err != nil {
				t.Fatal(err)
			}
			reads++
			if note == nil {
				t.Fatalf("write %d: a read (on the replica: %v) missed the session's own row", i, onReplica)
			}
			if !onReplica {
				return fmt.Errorf("write %d: reads stay on the primary %v after the write although the replica replays continuously (window 60s)", i, time.Since(wrote).Round(time.Millisecond))
			}
			t.Logf("write %d: reads back on the replica %v after the write (%d reads on the primary first)", i, time.Since(wrote).Round(time.Millisecond), reads-1)
			return nil
		})
	}
}
