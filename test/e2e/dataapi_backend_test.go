package e2e

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-adbc/go/adbc"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/jackc/pgx/v5"
)

// The data APIs run on the same backend as the wire relays: the same
// servers, health topology, writer after a failover, replica reads and
// connect guards. These tests check it on the database's side (which
// server ran a statement, what it wrote).

// dataAnswer is the outcome of one HTTP query.
type dataAnswer struct {
	status                  int
	rows                    [][]string // CSV rows, header dropped
	code, sqlstate, message string
}

func (a dataAnswer) String() string {
	if a.status == 200 {
		return fmt.Sprintf("200 %v", a.rows)
	}
	return fmt.Sprintf("%d %s/%s %q", a.status, a.code, a.sqlstate, a.message)
}

// dataQuery runs sql on database db over HTTP as alice. It does not fail
// the test (load goroutines call it); a result cut short mid-stream comes
// back with status 0 and the trailer's error.
func (g *gateway) dataQuery(db, sql string) (dataAnswer, error) {
	req, err := http.NewRequest("POST", "http://"+g.http+"/v1/query?format=csv", strings.NewReader(queryBody(db, sql)))
	if err != nil {
		return dataAnswer{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth("alice", "alice-secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return dataAnswer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return dataAnswer{}, err
	}
	a := dataAnswer{status: resp.StatusCode}
	var e struct {
		Error struct{ Code, SQLState, Message string }
	}
	if resp.StatusCode != 200 {
		if err := json.Unmarshal(body, &e); err != nil {
			return a, fmt.Errorf("error body %q: %v", body, err)
		}
		a.code, a.sqlstate, a.message = e.Error.Code, e.Error.SQLState, e.Error.Message
		return a, nil
	}
	if resp.Trailer.Get("Floe-Status") != "ok" {
		_ = json.Unmarshal([]byte(resp.Trailer.Get("Floe-Error")), &e)
		return dataAnswer{code: e.Error.Code, sqlstate: e.Error.SQLState, message: e.Error.Message}, nil
	}
	recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		return a, fmt.Errorf("csv %q: %v", body, err)
	}
	if len(recs) > 0 { // a statement without a result has no header
		a.rows = recs[1:]
	}
	return a, nil
}

// mustData is dataQuery for the test's goroutine: any failure to get an
// answer fails the test.
func (g *gateway) mustData(t *testing.T, db, sql string) dataAnswer {
	t.Helper()
	a, err := g.dataQuery(db, sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return a
}

// waitFor polls ok every 20 ms for up to 30 s.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 30s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A data-API connection killed on the server while it sits in the pool
// is noticed before the next statement, which runs on a fresh connection:
// later HTTP queries, reads and writes, succeed without
// health_check_after.
func TestDataAPIKilledConnection(t *testing.T) {
	pgDSN := testDB(t)
	myDSN, direct := myTestDB(t)
	ctx := context.Background()
	pgc := pgSetup(t, pgDSN, "CREATE TABLE t (id int PRIMARY KEY, conn bigint)")
	mySetup(t, direct, "CREATE TABLE t (id int PRIMARY KEY, conn bigint)")
	g := start(t, twoDatabases(pgDSN, myDSN, "\n    pool: {mode: transaction, size: 2}"))
	admin := pgSetup(t, pgAdminDSN())

	for _, tc := range []struct {
		db, whoami string
		kill       func(id int64) error
		gone       func(id int64) bool
		written    func(id int) (int64, error)
	}{
		{"pgapp", "pg_backend_pid()",
			func(id int64) error {
				_, err := admin.Exec(ctx, "SELECT pg_terminate_backend($1::int)", id)
				return err
			},
			func(id int64) bool {
				var n int
				return admin.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1::int", id).Scan(&n) == nil && n == 0
			},
			func(id int) (n int64, err error) {
				err = pgc.QueryRow(ctx, "SELECT conn FROM t WHERE id = $1", id).Scan(&n)
				return n, err
			}},
		{"myapp", "CONNECTION_ID()",
			func(id int64) error { _, err := direct.Exec(fmt.Sprintf("KILL %d", id)); return err },
			func(id int64) bool {
				var n int
				return direct.QueryRow("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = ?", id).Scan(&n) == nil && n == 0
			},
			func(id int) (n int64, err error) {
				err = direct.QueryRow("SELECT conn FROM t WHERE id = ?", id).Scan(&n)
				return n, err
			}},
	} {
		t.Run(tc.db, func(t *testing.T) {
			connOf := func() int64 {
				t.Helper()
				a := g.mustData(t, tc.db, "SELECT "+tc.whoami+" AS id")
				if a.status != 200 || len(a.rows) != 1 {
					t.Fatalf("query: %v", a)
				}
				id, _ := strconv.ParseInt(a.rows[0][0], 10, 64)
				return id
			}
			killIdle := func(id int64) {
				t.Helper()
				if err := tc.kill(id); err != nil {
					t.Fatalf("kill %d: %v", id, err)
				}
				waitFor(t, "the killed connection to go", func() bool { return tc.gone(id) })
			}
			first := connOf()
			if again := connOf(); again != first {
				t.Fatalf("sequential queries used connections %d and %d: the pool is not reusing", first, again)
			}
			killIdle(first)
			second := connOf() // fails on the dead connection without the fix
			if second == first {
				t.Fatalf("the query ran on the killed connection %d", first)
			}
			// A write after a kill runs once, on a fresh connection.
			killIdle(second)
			a := g.mustData(t, tc.db, "INSERT INTO t SELECT 1, "+tc.whoami)
			if a.status != 200 {
				t.Fatalf("write after the kill: %v", a)
			}
			wrote, err := tc.written(1)
			if err != nil || wrote == second || wrote == 0 {
				t.Fatalf("the row written by connection %d (err %v); the killed one was %d", wrote, err, second)
			}
			for i := range 3 {
				if a := g.mustData(t, tc.db, "SELECT count(*) FROM t"); a.status != 200 || a.rows[0][0] != "1" {
					t.Fatalf("query %d after the kills: %v", i, a)
				}
			}
		})
	}
}

// With the read/write split on, read-only HTTP and Flight SQL statements
// run on the replica and everything else on the primary; when the
// primary dies under HTTP load, reads go on on the replica, writes fail
// at once with 503 unavailable, and resume on the promoted replica.
func TestDataAPIReplicaReadsAndFailover(t *testing.T) {
	cl, g := clusterGateway(t, "CREATE TABLE t (id int PRIMARY KEY, note text)",
		"    pool: {mode: transaction, size: 4}\n    routing: {read_write_split: true}\n")
	primaryPort, replicaPort := strconv.Itoa(cl.Primary.Port), strconv.Itoa(cl.Replicas[0].Port)
	where := func(sql string) string {
		t.Helper()
		a := g.mustData(t, "app", sql)
		if a.status != 200 || len(a.rows) != 1 {
			t.Fatalf("%s: %v", sql, a)
		}
		return strings.Join(a.rows[0], "/")
	}

	// Replica reads, primary writes (the server's own word).
	if got := where("SELECT inet_server_port(), pg_is_in_recovery()"); got != replicaPort+"/true" {
		t.Errorf("a read ran on %s, want the replica %s", got, replicaPort)
	}
	if got := where("/* floe:primary */ SELECT inet_server_port()"); got != primaryPort {
		t.Errorf("a read hinted to the primary ran on %s", got)
	}
	if got := where("INSERT INTO t VALUES (1, 'before') RETURNING inet_server_port()"); got != primaryPort {
		t.Errorf("a write ran on %s, want the primary %s", got, primaryPort)
	}
	fc, err := g.adbcConn(t, "alice", "alice-secret", "app")
	if err != nil {
		t.Fatal(err)
	}
	if _, rows, err := adbcQuery(t, fc, "SELECT inet_server_port()"); err != nil || fmt.Sprint(rows) != "[["+replicaPort+"]]" {
		t.Errorf("a Flight SQL read ran on %v (%v), want the replica %s", rows, err, replicaPort)
	}
	cl.WaitReplayed(t)

	// HTTP load: readers report the server that answered.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var reads, onPrimary atomic.Int64
	var mu sync.Mutex
	var failures []string
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				a, err := g.dataQuery("app", "SELECT inet_server_port(), count(*) FROM t")
				if err != nil || a.status != 200 || len(a.rows) != 1 {
					mu.Lock()
					failures = append(failures, fmt.Sprintf("%v %v", a, err))
					mu.Unlock()
					continue
				}
				reads.Add(1)
				if a.rows[0][0] != replicaPort {
					onPrimary.Add(1)
				}
			}
		}()
	}
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		wg.Wait()
	}()
	waitFor(t, "reads under load", func() bool { return reads.Load() >= 20 })

	cl.Primary.Kill()
	g.waitBackends(t, map[string]string{"primary": "down", "replica1": "up/replica"})
	a := g.mustData(t, "app", "INSERT INTO t VALUES (2, 'while down')")
	if a.status != 503 || a.code != "unavailable" || a.sqlstate != "08006" || strings.Contains(a.message, "127.0.0.1") {
		t.Fatalf("write while the primary is down: %v, want 503 unavailable 08006", a)
	}
	down := reads.Load()
	waitFor(t, "reads while the primary is down", func() bool { return reads.Load() >= down+20 })

	cl.Replicas[0].Promote()
	var refused int
	for {
		a := g.mustData(t, "app", "INSERT INTO t VALUES (3, 'after promotion') RETURNING inet_server_port()")
		if a.status == 200 {
			if a.rows[0][0] != replicaPort {
				t.Fatalf("the write after promotion ran on %s, want the promoted %s", a.rows[0][0], replicaPort)
			}
			break
		}
		refused++
		if !(a.status == 503 && a.code == "unavailable") && a.sqlstate != "25006" {
			t.Fatalf("write during failover: %v", a)
		}
		if refused > 1500 {
			t.Fatalf("writes did not resume: %v", a)
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	mu.Lock()
	if len(failures) > 0 {
		t.Errorf("%d of %d reads failed across the failover, e.g. %s", len(failures), int(reads.Load())+len(failures), failures[0])
	}
	mu.Unlock()
	if n := onPrimary.Load(); n > 0 {
		t.Logf("%d reads answered by the promoted server after the promotion", n)
	}
	t.Logf("%d reads under load; %d writes refused during the failover", reads.Load(), refused)

	// The promoted server holds exactly the writes that succeeded.
	ctx := context.Background()
	rc, err := pgx.Connect(ctx, cl.Replicas[0].DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close(ctx)
	var notes string
	if err := rc.QueryRow(ctx, "SELECT string_agg(note, ',' ORDER BY id) FROM t").Scan(&notes); err != nil || notes != "before,after promotion" {
		t.Fatalf("rows on the promoted server: %q %v", notes, err)
	}
}

// The data APIs dial through the relay's connect guard: connects that
// keep failing open the circuit breaker the wire sessions share, and HTTP
// callers then get 503 unavailable without a dial. The broken database
// fails only its own requests: the other answers, and Flight SQL still
// lists it.
func TestDataAPICircuitBreaker(t *testing.T) {
	pgDSN := testDB(t)
	myDSN, direct := myTestDB(t)
	pgSetup(t, pgDSN, "CREATE TABLE pgthings (id int)")
	mySetup(t, direct, "CREATE TABLE mythings (id int)")
	pgHost := strings.SplitN(strings.SplitN(pgDSN, "@", 2)[1], "/", 2)[0]
	myHost := strings.SplitN(strings.SplitN(myDSN, "@", 2)[1], "/", 2)[0]
	pgProxy := newFaultProxy(t, pgHost)
	myProxy := newFaultProxy(t, myHost)
	guard := `
    pool: {mode: transaction, size: 1, retry: {attempts: 2, backoff: 5ms, max_backoff: 10ms}, breaker: {failures: 3, open_for: 2s}}
    health: {interval: 1m, fail_after: 10}`
	g := start(t, twoDatabases(strings.Replace(pgDSN, pgHost, pgProxy.addr(), 1), strings.Replace(myDSN, myHost, myProxy.addr(), 1), guard))
	ctx := context.Background()
	for _, tc := range []struct {
		db, other, otherTable string
		proxy                 *faultProxy
		wire                  func() error
	}{
		{"pgapp", "myapp", "mythings", pgProxy, func() error {
			c, err := pgx.Connect(ctx, g.dsn("alice", "alice-secret", "pgapp"))
			if err != nil {
				return err
			}
			defer c.Close(ctx)
			var n int
			return c.QueryRow(ctx, "SELECT 1").Scan(&n)
		}},
		{"myapp", "pgapp", "pgthings", myProxy, func() error {
			db := g.mydb(t, "alice", "alice-secret", "myapp", nil)
			var n int
			return db.QueryRowContext(ctx, "SELECT 1").Scan(&n)
		}},
	} {
		t.Run(tc.db, func(t *testing.T) {
			open := fmt.Sprintf(`floe_backend_breaker_open{backend="primary",database="%s"}`, tc.db)
			if a := g.mustData(t, tc.db, "SELECT 1"); a.status != 200 {
				t.Fatalf("before any fault: %v", a)
			}
			tc.proxy.set(0, true)
			tc.proxy.cut()
			for i := range 3 {
				a := g.mustData(t, tc.db, "SELECT 1")
				if a.status != 503 || a.code != "unavailable" || strings.Contains(a.message, "circuit breaker") {
					t.Fatalf("query %d with the server unreachable: %v", i, a)
				}
			}
			if g.metric(t, open) != 1 {
				t.Fatalf("%s = %v after three failed dials, want 1", open, g.metric(t, open))
			}
			dialled := tc.proxy.connections()
			a := g.mustData(t, tc.db, "SELECT 1")
			if a.status != 503 || a.code != "unavailable" || !strings.Contains(a.message, "circuit breaker open") {
				t.Fatalf("query with the breaker open: %v", a)
			}
			if n := tc.proxy.connections() - dialled; n != 0 {
				t.Errorf("the open breaker let %d connects through", n)
			}
			// The wire relay shares the breaker.
			if err := tc.wire(); err == nil || !strings.Contains(err.Error(), "circuit breaker open") {
				t.Errorf("a wire session with the breaker open: %v", err)
			}

			// The other database answers, and Flight SQL lists it.
			if a := g.mustData(t, tc.other, "SELECT 1"); a.status != 200 {
				t.Errorf("%s while %s is broken: %v", tc.other, tc.db, a)
			}
			fc, err := g.adbcConn(t, "alice", "alice-secret", "")
			if err != nil {
				t.Fatal(err)
			}
			objs, err := fc.GetObjects(ctx, adbc.ObjectDepthAll, nil, nil, nil, nil, nil)
			if err != nil {
				t.Fatalf("GetObjects with %s broken: %v", tc.db, err)
			}
			cats := map[string][]string{}
			for objs.Next() {
				b := objs.RecordBatch()
				names := b.Column(0).(*array.String)
				for i := 0; i < names.Len(); i++ {
					cats[names.Value(i)] = tablesIn(b.Column(1).(*array.List), i)
				}
			}
			err = objs.Err()
			objs.Release()
			if err != nil {
				t.Fatalf("GetObjects with %s broken: %v", tc.db, err)
			}
			if got := strings.Join(cats[tc.other], ","); got != tc.otherTable {
				t.Errorf("GetObjects with %s broken lists %v", tc.db, cats)
			}

			// The server is back: a probe closes the breaker.
			tc.proxy.set(0, false)
			waitFor(t, "the breaker to let a probe through", func() bool {
				a, err := g.dataQuery(tc.db, "SELECT 1")
				return err == nil && a.status == 200
			})
			if g.metric(t, open) != 0 {
				t.Errorf("%s = %v after a good probe, want 0", open, g.metric(t, open))
			}
		})
	}
}

// MySQL: read-only HTTP statements run on the replica when routing splits
// reads; writes and hinted reads on the primary.
func TestDataAPIMySQLReplicaReads(t *testing.T) {
	cl, g := myClusterGateway(t, "    pool: {mode: transaction, size: 4}\n    routing: {read_write_split: true}\n",
		"CREATE TABLE app.t (id int PRIMARY KEY, server int)")
	const primary, replica = "1", "2"
	where := func(sql string) string {
		t.Helper()
		a := g.mustData(t, "app", sql)
		if a.status != 200 || len(a.rows) != 1 {
			t.Fatalf("%s: %v", sql, a)
		}
		return a.rows[0][0]
	}
	if id := where("SELECT @@server_id"); id != replica {
		t.Errorf("a read ran on server %s, want the replica", id)
	}
	if id := where("/* floe:primary */ SELECT @@server_id"); id != primary {
		t.Errorf("a hinted read ran on server %s, want the primary", id)
	}
	if a := g.mustData(t, "app", "INSERT INTO t SELECT 1, @@server_id"); a.status != 200 {
		t.Fatalf("write: %v", a)
	}
	cl.WaitReplicated(t)
	// The row records the server that ran the write; the read of it is
	// the replica's, which has it replicated.
	if got := where("SELECT CONCAT(server, '/', @@server_id) FROM t WHERE id = 1"); got != primary+"/"+replica {
		t.Errorf("written on / read from %s, want %s/%s", got, primary, replica)
	}
}
