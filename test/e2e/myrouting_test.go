package e2e

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/floe-db/floe/internal/testcluster"
)

// myClusterGateway starts a MariaDB primary with one replica, runs ddl
// (naming its tables app.…) in a new database app on the primary, and a gateway in front of both as
// database "app".
func myClusterGateway(t *testing.T, extra string, ddl ...string) (*testcluster.MyCluster, *gateway) {
	t.Helper()
	cl := testcluster.StartMariaDB(t, 1)
	for _, q := range append([]string{"CREATE DATABASE app"}, ddl...) {
		if err := cl.Primary.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	cl.WaitReplicated(t)
	g := start(t, fmt.Sprintf(`databases:
  - name: app
    kind: mysql
    primary: %q
    replicas: [%q]
    health: {interval: 200ms, fail_after: 2, rise_after: 1}
%susers:
  - {name: alice, password: alice-secret}
`, cl.Primary.DSN()+"app", cl.Replicas[0].DSN()+"app", extra))
	g.waitBackends(t, map[string]string{"primary": "up/primary", "replica1": "up/replica"})
	return cl, g
}

// serverID is @@server_id where the statement ran: 1 is the primary, 2
// the replica (testcluster numbers them so).
func serverID(t *testing.T, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, query string, args ...any) int {
	t.Helper()
	var id int
	if err := q.QueryRowContext(context.Background(), query, args...).Scan(&id); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return id
}

// MySQL read/write split: reads outside transactions (text and binary
// protocol) go to the replica; writes, transactions, autocommit-off
// sessions, pinned sessions, hinted reads and reads within the
// read-your-writes window go to the primary; a replica killed under load
// costs only the reads on its connections.
func TestMySQLReadWriteSplit(t *testing.T) {
	cl, g := myClusterGateway(t, "    pool: {mode: transaction, size: 8}\n    routing: {read_write_split: true, read_your_writes: 1s}\n",
		"CREATE TABLE app.t (id int PRIMARY KEY, note text)", "INSERT INTO app.t VALUES (0, 'seed')")
	ctx := context.Background()
	db := g.mydb(t, "alice", "alice-secret", "app", nil)
	db.SetMaxOpenConns(1)
	const primary, replica = 1, 2

	if id := serverID(t, db, "SELECT @@server_id"); id != replica {
		t.Errorf("text-protocol read ran on server %d, want the replica", id)
	}
	bin := g.mydb(t, "alice", "alice-secret", "app", map[string]string{"interpolateParams": "false"})
	if id := serverID(t, bin, "SELECT @@server_id + ? - ?", 1, 1); id != replica {
		t.Errorf("prepared read ran on server %d, want the replica", id)
	}
	if id := serverID(t, db, "/* floe:primary */ SELECT @@server_id"); id != primary {
		t.Errorf("hinted read ran on server %d, want the primary", id)
	}
	if id := serverID(t, db, "SELECT @@server_id FROM t WHERE id = 0 FOR UPDATE"); id != primary {
		t.Errorf("locking read ran on server %d", id)
	}

	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if id := serverID(t, tx, "SELECT @@server_id"); id != primary {
		t.Errorf("read in a transaction ran on server %d, want the primary", id)
	}
	_ = tx.Rollback()
	if _, err := conn.ExecContext(ctx, "SET autocommit = 0"); err != nil {
		t.Fatal(err)
	}
	if id := serverID(t, conn, "SELECT @@server_id"); id != primary {
		t.Errorf("read with autocommit off ran on server %d, want the primary", id)
	}
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "SET autocommit = 1"); err != nil {
		t.Fatal(err)
	}
	conn.Close()

	// Read your writes: the row written is read back at once; after the
	// window the session's reads go back to the replica.
	if _, err := db.ExecContext(ctx, "INSERT INTO t VALUES (1, 'mine')"); err != nil {
		t.Fatal(err)
	}
	var note string
	if err := db.QueryRowContext(ctx, "SELECT note FROM t WHERE id = 1").Scan(&note); err != nil || note != "mine" {
		t.Fatalf("read after write: %q %v", note, err)
	}
	if id := serverID(t, db, "SELECT @@server_id"); id != primary {
		t.Errorf("read within the read-your-writes window ran on server %d, want the primary", id)
	}
	time.Sleep(1100 * time.Millisecond)
	if id := serverID(t, db, "SELECT @@server_id"); id != replica {
		t.Errorf("read after the window ran on server %d, want the replica", id)
	}
	// A write inside a transaction opens the window too.
	wtx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wtx.ExecContext(ctx, "INSERT INTO t VALUES (2, 'in a transaction')"); err != nil {
		t.Fatal(err)
	}
	if err := wtx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, "SELECT note FROM t WHERE id = 2").Scan(&note); err != nil || note != "in a transaction" {
		t.Fatalf("read after a committed transaction: %q %v", note, err)
	}
	if id := serverID(t, db, "SELECT @@server_id"); id != primary {
		t.Errorf("read after a committed write ran on server %d, want the primary", id)
	}

	// A session with a user variable is pinned: its reads stay where the
	// variable is.
	pinned, err := g.mydb(t, "alice", "alice-secret", "app", nil).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pinned.ExecContext(ctx, "SET @x = 7"); err != nil {
		t.Fatal(err)
	}
	var x int
	if err := pinned.QueryRowContext(ctx, "SELECT @x").Scan(&x); err != nil || x != 7 {
		t.Errorf("pinned session read its variable as %d, %v", x, err)
	}
	if id := serverID(t, pinned, "SELECT @@server_id"); id != primary {
		t.Errorf("pinned session read on server %d, want the primary", id)
	}
	pinned.Close()

	// Kill the replica under load: reads move to the primary; only reads
	// on the killed connections fail.
	load := g.mydb(t, "alice", "alice-secret", "app", nil)
	load.SetMaxOpenConns(4)
	var ok, failed atomic.Int64
	var other atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				var n int
				if err := load.QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil {
					failed.Add(1)
					if myErrno(err) != 1927 {
						other.Store(err)
					}
					continue
				}
				ok.Add(1)
			}
		}()
	}
	eventually(t, 10*time.Second, func() error {
		if ok.Load() == 0 {
			return errors.New("no read of the load has succeeded yet")
		}
		return nil
	})
	cl.Replicas[0].Kill()
	g.waitBackends(t, map[string]string{"primary": "up/primary", "replica1": "down"})
	before := ok.Load()
	err = poll(10*time.Second, func() error {
		if ok.Load() == before {
			return errors.New("no reads succeeded after the replica went down")
		}
		return nil
	})
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if f := failed.Load(); f > 4 {
		t.Errorf("%d reads failed when the replica died (4 clients), want at most one per client", f)
	}
	if err := other.Load(); err != nil {
		t.Errorf("a read on a killed replica connection failed with %v, want 1927 (the client session stays)", err)
	}
	t.Logf("replica killed under load: %d reads ok, %d failed", ok.Load(), failed.Load())
	if id := serverID(t, db, "SELECT @@server_id"); id != primary {
		t.Errorf("with the replica down a read ran on server %d", id)
	}
	// Back: the replica passes its checks and takes reads again — once
	// its circuit breaker, opened by the connects that failed while it
	// was down, lets a probe through (open_for, 5 s by default).
	cl.Replicas[0].Start()
	g.waitBackends(t, map[string]string{"primary": "up/primary", "replica1": "up/replica"})
	back := time.Now()
	eventually(t, 15*time.Second, func() error {
		if serverID(t, db, "SELECT @@server_id") != replica {
			return fmt.Errorf("reads did not return to the replica after it came back: %+v", g.backends(t))
		}
		return nil
	})
	t.Logf("reads back on the replica %v after its checks passed", time.Since(back).Round(time.Millisecond))
}

// When the MariaDB primary dies, writes fail fast with 1429 while reads
// go on on the replica; when the replica is promoted, writes go to it
// through the same client sessions, without a restart.
func TestMySQLFailoverToPromotedReplica(t *testing.T) {
	cl, g := myClusterGateway(t, "    pool: {mode: transaction, size: 4}\n    routing: {read_write_split: true}\n",
		"CREATE TABLE app.t (id int PRIMARY KEY, note text)")
	ctx := context.Background()
	db := g.mydb(t, "alice", "alice-secret", "app", nil)
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, "INSERT INTO t VALUES (1, 'before')"); err != nil {
		t.Fatal(err)
	}
	cl.WaitReplicated(t)

	killed := time.Now()
	cl.Primary.Kill()
	g.waitBackends(t, map[string]string{"primary": "down", "replica1": "up/replica"})
	_, err := db.ExecContext(ctx, "INSERT INTO t VALUES (2, 'while down')")
	if myErrno(err) != 1429 || !strings.Contains(err.Error(), "is down") {
		t.Fatalf("write while the primary is down: %v, want 1429", err)
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil || n != 1 {
		t.Fatalf("read while the primary is down: %d %v, want the replica to answer", n, err)
	}
	cl.Replicas[0].Promote()
	var errs int
	eventually(t, 30*time.Second, func() error {
		_, err := db.ExecContext(ctx, "INSERT INTO t VALUES (3, 'after promotion')")
		if err == nil {
			return nil
		}
		errs++
		// 1429 until the checks see the promotion; 1290 (read-only) if a
		// write reaches the replica before read_only is off.
		if myErrno(err) != 1429 && myErrno(err) != 1290 {
			t.Fatalf("write during failover: %v", err)
		}
		return fmt.Errorf("writes did not resume: %w", err)
	})
	t.Logf("failover: first write on the promoted replica %v after the primary was killed (%d refused writes while polling)", time.Since(killed).Round(time.Millisecond), errs)
	g.waitBackends(t, map[string]string{"primary": "down", "replica1": "up/primary"})
	rows, err := db.QueryContext(ctx, "SELECT note FROM t ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var notes []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		notes = append(notes, s)
	}
	if strings.Join(notes, ",") != "before,after promotion" {
		t.Fatalf("rows after failover: %v", notes)
	}
}
