package e2e

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	_ "github.com/lib/pq"
)

func TestRelaySimpleExtendedBinary(t *testing.T) {
	for _, mode := range []string{"session", "transaction", "statement"} {
		t.Run(mode, func(t *testing.T) {
			g := start(t, relayConfig(testDB(t), mode, 4, ""))
			ctx := context.Background()
			c := g.connect(t, "alice", "alice-secret", "app")
			// Extended protocol, binary results and parameters (pgx default).
			var n int64
			var s string
			var ts time.Time
			var f float64
			var b []byte
			err := c.QueryRow(ctx, "select $1::int8 * 2, $2::text || '!', '2024-05-06 07:08:09'::timestamp, $3::float8, $4::bytea",
				int64(21), "hi", 1.5, []byte{0, 1, 2}).Scan(&n, &s, &ts, &f, &b)
			if err != nil {
				t.Fatal(err)
			}
			if n != 42 || s != "hi!" || ts.Year() != 2024 || f != 1.5 || len(b) != 3 {
				t.Fatalf("got %d %q %v %v %v", n, s, ts, f, b)
			}
			// Simple protocol, several statements in one Query.
			res, err := c.PgConn().Exec(ctx, "select 1; select 'two'; create table t(a int); insert into t values (1),(2)").ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(res) != 4 || string(res[1].Rows[0][0]) != "two" || res[3].CommandTag.String() != "INSERT 0 2" {
				t.Fatalf("multi-statement results: %+v", res)
			}
			// Empty query.
			res, err = c.PgConn().Exec(ctx, "").ReadAll()
			if err != nil || len(res) != 1 {
				t.Fatalf("empty query: %v %v", res, err)
			}
			// Errors carry the SQLSTATE, and the session goes on.
			_, err = c.Exec(ctx, "select 1/0")
			if sqlstate(err) != "22012" {
				t.Fatalf("want 22012, got %v", err)
			}
			if err := c.QueryRow(ctx, "select count(*) from t").Scan(&n); err != nil || n != 2 {
				t.Fatalf("after error: %v %d", err, n)
			}
			// Error in the middle of a result.
			rows, _ := c.Query(ctx, "select 10 / (3 - g) from generate_series(1, 5) g")
			got := 0
			for rows.Next() {
				got++
			}
			if sqlstate(rows.Err()) != "22012" || got != 2 {
				t.Fatalf("mid-result error: rows=%d err=%v", got, rows.Err())
			}

			// lib/pq: text protocol with parameters.
			db, err := sql.Open("postgres", g.dsn("bob", "bob-secret", "app"))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var sum int
			if err := db.QueryRow("select $1::int + $2::int", 40, 2).Scan(&sum); err != nil || sum != 42 {
				t.Fatalf("lib/pq: %v %d", err, sum)
			}
			if mode != "statement" {
				tx, err := db.Begin()
				if err != nil {
					t.Fatal(err)
				}
				if _, err := tx.Exec("insert into t values ($1)", 3); err != nil {
					t.Fatal(err)
				}
				if err := tx.Rollback(); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestRelayLargeRowsStream(t *testing.T) {
	g := start(t, relayConfig(testDB(t), "transaction", 2, ""))
	ctx := context.Background()
	c := g.connect(t, "alice", "alice-secret", "app")
	var l int
	if err := c.QueryRow(ctx, "select length(repeat('x', 20000000))").Scan(&l); err != nil || l != 20000000 {
		t.Fatal(err, l)
	}
	var s string
	if err := c.QueryRow(ctx, "select repeat('y', 20000000)").Scan(&s); err != nil || len(s) != 20000000 {
		t.Fatal(err, len(s))
	}
	rows, err := c.Query(ctx, "select g, md5(g::text) from generate_series(1, 200000) g")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		n++
	}
	if rows.Err() != nil || n != 200000 {
		t.Fatal(rows.Err(), n)
	}
}

func TestRelayCopyBothWays(t *testing.T) {
	g := start(t, relayConfig(testDB(t), "transaction", 2, ""))
	ctx := context.Background()
	c := g.connect(t, "alice", "alice-secret", "app")
	if _, err := c.Exec(ctx, "create table items(id int primary key, name text)"); err != nil {
		t.Fatal(err)
	}
	src := make([][]any, 10000)
	for i := range src {
		src[i] = []any{int32(i), fmt.Sprintf("item %d", i)}
	}
	n, err := c.CopyFrom(ctx, pgx.Identifier{"items"}, []string{"id", "name"}, pgx.CopyFromRows(src))
	if err != nil || n != 10000 {
		t.Fatalf("copy from: %v %d", err, n)
	}
	var buf strings.Builder
	tag, err := c.PgConn().CopyTo(ctx, &buf, "copy (select * from items order by id) to stdout")
	if err != nil || tag.RowsAffected() != 10000 || !strings.HasPrefix(buf.String(), "0\titem 0\n") {
		t.Fatalf("copy to: %v %v", err, tag)
	}
	// COPY FROM STDIN in text format, and a failing COPY.
	tag, err = c.PgConn().CopyFrom(ctx, strings.NewReader("20000\ta\n20001\tb\n"), "copy items from stdin")
	if err != nil || tag.RowsAffected() != 2 {
		t.Fatalf("copy text: %v %v", err, tag)
	}
	_, err = c.PgConn().CopyFrom(ctx, strings.NewReader("1\tduplicate\n"), "copy items from stdin")
	if sqlstate(err) != "23505" {
		t.Fatalf("want unique violation, got %v", err)
	}
	var count int
	if err := c.QueryRow(ctx, "select count(*) from items").Scan(&count); err != nil || count != 10002 {
		t.Fatal(err, count)
	}
}

func TestRelayCancel(t *testing.T) {
	g := start(t, relayConfig(testDB(t), "transaction", 2, ""))
	c := g.connect(t, "alice", "alice-secret", "app")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Exec(ctx, "select pg_sleep(20)")
	if err == nil || time.Since(start) > 10*time.Second {
		t.Fatalf("cancel did not stop the query: %v after %v", err, time.Since(start))
	}
	// pgx closes the connection after a cancelled query; a new one works
	// and the pool is not left with a busy backend.
	c2 := g.connect(t, "alice", "alice-secret", "app")
	var one int
	if err := c2.QueryRow(context.Background(), "select 1").Scan(&one); err != nil {
		t.Fatal(err)
	}
	// A CancelRequest through pgconn, the connection stays usable.
	pc := c2.PgConn()
	rr := pc.Exec(context.Background(), "select pg_sleep(20) /* floe-cancel-request-test */")
	waitActive(t, "%floe-cancel-request-test%", true)
	if err := pc.CancelRequest(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, err = rr.ReadAll()
	if sqlstate(err) != "57014" {
		t.Fatalf("want 57014, got %v", err)
	}
	if err := c2.QueryRow(context.Background(), "select 1").Scan(&one); err != nil {
		t.Fatal(err)
	}
}

func TestRelayNotifyInSessionMode(t *testing.T) {
	g := start(t, relayConfig(testDB(t), "session", 4, ""))
	ctx := context.Background()
	listener := g.connect(t, "alice", "alice-secret", "app")
	sender := g.connect(t, "bob", "bob-secret", "app")
	if _, err := listener.Exec(ctx, "listen jobs"); err != nil {
		t.Fatal(err)
	}
	var notices []string
	var mu sync.Mutex
	cfg, _ := pgconn.ParseConfig(g.dsn("bob", "bob-secret", "app"))
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) { mu.Lock(); notices = append(notices, n.Message); mu.Unlock() }
	nc, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close(ctx)
	if _, err := nc.Exec(ctx, "do $$ begin raise notice 'hello %', 42; end $$").ReadAll(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if len(notices) != 1 || notices[0] != "hello 42" {
		t.Fatalf("notices: %v", notices)
	}
	mu.Unlock()
	if _, err := sender.Exec(ctx, "select pg_notify('jobs', 'payload-1')"); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	n, err := listener.WaitForNotification(wctx)
	if err != nil || n.Channel != "jobs" || n.Payload != "payload-1" {
		t.Fatalf("notification: %v %+v", err, n)
	}
}

func TestRelayWrongPassword(t *testing.T) {
	g := start(t, relayConfig(testDB(t), "transaction", 2, ""))
	for _, tc := range []struct{ user, pw string }{{"alice", "nope"}, {"mallory", "alice-secret"}, {"alice", ""}} {
		_, err := pgx.Connect(context.Background(), g.dsn(tc.user, tc.pw, "app"))
		if sqlstate(err) != "28P01" {
			t.Fatalf("%s/%q: want 28P01, got %v", tc.user, tc.pw, err)
		}
	}
	// Unknown database after a right password.
	_, err := pgx.Connect(context.Background(), g.dsn("alice", "alice-secret", "nosuchdb"))
	if sqlstate(err) != "3D000" {
		t.Fatalf("want 3D000, got %v", err)
	}
	// md5 is not offered unless configured: lib/pq speaks SCRAM too.
	db, _ := sql.Open("postgres", g.dsn("alice", "alice-secret", "app"))
	defer db.Close()
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
}

func TestRelayMD5Auth(t *testing.T) {
	g := start(t, "postgres: {auth_method: md5}\n"+relayConfig(testDB(t), "transaction", 2, ""))
	db, _ := sql.Open("postgres", g.dsn("alice", "alice-secret", "app"))
	defer db.Close()
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
	db2, _ := sql.Open("postgres", g.dsn("alice", "wrong", "app"))
	defer db2.Close()
	if err := db2.Ping(); err == nil || !strings.Contains(err.Error(), "28P01") {
		t.Fatalf("want 28P01, got %v", err)
	}
}

func TestRelayPoolExhaustion(t *testing.T) {
	g := start(t, relayConfig(testDB(t), "transaction", 1, ", acquire_timeout: 300ms"))
	ctx := context.Background()
	holder := g.connect(t, "alice", "alice-secret", "app")
	tx, err := holder.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	other := g.connect(t, "bob", "bob-secret", "app", "default_query_exec_mode=simple_protocol")
	_, err = other.Exec(ctx, "select 1")
	if sqlstate(err) != "53300" {
		t.Fatalf("want 53300 while the only connection is held, got %v", err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Exec(ctx, "select 1"); err != nil {
		t.Fatalf("after release: %v", err)
	}
}

// TestRelayPreparedAcrossBackends: named statements made on one backend
// connection keep working when the client's next transaction runs on
// another, with clients interleaving on a small pool.
func TestRelayPreparedAcrossBackends(t *testing.T) {
	g := start(t, relayConfig(testDB(t), "transaction", 2, ""))
	ctx := context.Background()
	setup := g.connect(t, "alice", "alice-secret", "app")
	if _, err := setup.Exec(ctx, "create table kv(k int primary key, v text)"); err != nil {
		t.Fatal(err)
	}
	const clients, rounds = 8, 200
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := pgx.Connect(ctx, g.dsn("alice", "alice-secret", "app"))
			if err != nil {
				errs <- err
				return
			}
			defer c.Close(ctx)
			// The same client-side name for different statements in different clients.
			if _, err := c.Prepare(ctx, "s1", fmt.Sprintf("select $1::int + %d", i)); err != nil {
				errs <- err
				return
			}
			if _, err := c.Prepare(ctx, "ins", "insert into kv values ($1, $2) on conflict (k) do update set v = excluded.v"); err != nil {
				errs <- err
				return
			}
			for r := range rounds {
				var got int
				if err := c.QueryRow(ctx, "s1", r).Scan(&got); err != nil {
					errs <- fmt.Errorf("client %d round %d: %w", i, r, err)
					return
				}
				if got != r+i {
					errs <- fmt.Errorf("client %d: got %d want %d", i, got, r+i)
					return
				}
				if _, err := c.Exec(ctx, "ins", i*1000+r, "v"); err != nil {
					errs <- err
					return
				}
			}
			// Close and re-prepare under the same name.
			if err := c.Deallocate(ctx, "s1"); err != nil {
				errs <- err
				return
			}
			if _, err := c.Prepare(ctx, "s1", "select $1::int * 10"); err != nil {
				errs <- err
				return
			}
			var got int
			if err := c.QueryRow(ctx, "s1", 7).Scan(&got); err != nil || got != 70 {
				errs <- fmt.Errorf("after re-prepare: %v %d", err, got)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var n int
	if err := setup.QueryRow(ctx, "select count(*) from kv").Scan(&n); err != nil || n != clients*rounds {
		t.Fatalf("rows: %v %d", err, n)
	}
	// SQL-level DEALLOCATE of a protocol-level statement.
	if _, err := setup.Prepare(ctx, "p", "select 1"); err != nil {
		t.Fatal(err)
	}
	if _, err := setup.Exec(ctx, "deallocate p", pgx.QueryExecModeSimpleProtocol); err != nil {
		t.Fatal(err)
	}
	// Describe-then-execute with the unnamed statement across transactions.
	dc, err := pgx.Connect(ctx, g.dsn("bob", "bob-secret", "app", "default_query_exec_mode=describe_exec"))
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close(ctx)
	for i := range 50 {
		var got int
		if err := dc.QueryRow(ctx, "select $1::int", i).Scan(&got); err != nil || got != i {
			t.Fatalf("describe_exec: %v %d", err, got)
		}
	}
}

// TestRelaySessionIsolation: each kind of session state either pins the
// client (transaction mode) or is replayed, and never leaks to others.
func TestRelaySessionIsolation(t *testing.T) {
	g := start(t, relayConfig(testDB(t), "transaction", 1, ", acquire_timeout: 500ms"))
	ctx := context.Background()
	cases := []struct {
		name, set, check, want string
		pins                   bool
	}{
		{"search_path", "set search_path = 'pg_catalog'", "show search_path", `"$user", public`, true},
		{"statement_timeout", "set statement_timeout = 12345", "show statement_timeout", "0", true},
		{"application_name (replayed)", "set application_name = 'leaky'", "show application_name", "", false},
		{"temp table", "create temp table tmp1(a int)", "select count(*)::text from pg_class where relname = 'tmp1' and relpersistence = 't' and pg_table_is_visible(oid)", "0", true},
		{"advisory lock", "select pg_advisory_lock(77)", "select count(*)::text from pg_locks where locktype = 'advisory' and pid = pg_backend_pid()", "0", true},
		{"sql prepare", "prepare q as select 1", "select count(*)::text from pg_prepared_statements where name = 'q'", "0", true},
		{"listen", "listen ch", "select count(*)::text from pg_listening_channels()", "0", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := g.connect(t, "alice", "alice-secret", "app", "default_query_exec_mode=simple_protocol")
			if _, err := a.Exec(ctx, tc.set); err != nil {
				t.Fatal(err)
			}
			if tc.pins {
				// The only backend is pinned to a: b must wait and time out.
				b := g.connect2(t)
				if b != nil {
					t.Fatal("another client got a backend while the state holder was pinned")
				}
				a.Close(ctx)
				// The backend is released once a's session has ended.
				eventually(t, 5*time.Second, func() error {
					c, err := pgx.Connect(ctx, g.dsn("bob", "bob-secret", "app", "default_query_exec_mode=simple_protocol"))
					if err != nil {
						return err
					}
					defer c.Close(ctx)
					_, err = c.Exec(ctx, "select 1")
					return err
				})
			}
			b, err := pgx.Connect(ctx, g.dsn("bob", "bob-secret", "app", "default_query_exec_mode=simple_protocol"))
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close(ctx)
			var got string
			if err := b.QueryRow(ctx, tc.check).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("state leaked: %s = %q, want %q", tc.check, got, tc.want)
			}
			if !tc.pins {
				// The holder still sees its own value on whatever backend it gets.
				if err := a.QueryRow(ctx, tc.check).Scan(&got); err != nil || got != "leaky" {
					t.Fatalf("replayed value: %v %q", err, got)
				}
			}
		})
	}
}

// connect2 connects as bob while the only backend is pinned and runs a
// query; it returns nil when the gateway refuses for lack of a backend.
func (g *gateway) connect2(t *testing.T) *pgx.Conn {
	c := g.connect(t, "bob", "bob-secret", "app", "default_query_exec_mode=simple_protocol")
	_, err := c.Exec(context.Background(), "select 1")
	if err != nil {
		if sqlstate(err) != "53300" {
			t.Fatalf("want 53300, got %v", err)
		}
		return nil
	}
	return c
}

func TestRelayStatementModeRefusesTransactions(t *testing.T) {
	g := start(t, relayConfig(testDB(t), "statement", 2, ""))
	c := g.connect(t, "alice", "alice-secret", "app")
	_, err := c.Exec(context.Background(), "begin", pgx.QueryExecModeSimpleProtocol)
	if sqlstate(err) != "0A000" {
		t.Fatalf("want 0A000, got %v", err)
	}
	var one int
	if err := c.QueryRow(context.Background(), "select 1").Scan(&one); err != nil {
		t.Fatal(err)
	}
}

func TestRelayDisconnectMidQuery(t *testing.T) {
	dsn := testDB(t)
	g := start(t, relayConfig(dsn, "transaction", 1, ""))
	ctx := context.Background()
	c, err := pgx.Connect(ctx, g.dsn("alice", "alice-secret", "app"))
	if err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = c.Exec(ctx, "select pg_sleep(60) /* floe-disconnect-test */") }()
	waitActive(t, "%floe-disconnect-test%", true)
	// Cut the client's socket without a Terminate: the backend query ends.
	_ = c.PgConn().Conn().Close()
	waitActive(t, "%floe-disconnect-test%", false)
	// The single pooled connection is usable by the next client.
	c2 := g.connect(t, "bob", "bob-secret", "app")
	var one int
	if err := c2.QueryRow(ctx, "select 1").Scan(&one); err != nil {
		t.Fatal(err)
	}
}

func TestRelayOversizedAndMalformedInput(t *testing.T) {
	g := start(t, "postgres: {max_message_size: 65536}\n"+relayConfig(testDB(t), "transaction", 2, ""))
	ctx := context.Background()
	bystander := g.connect(t, "bob", "bob-secret", "app")

	c := g.connect(t, "alice", "alice-secret", "app")
	_, err := c.Exec(ctx, "select '"+strings.Repeat("x", 100000)+"'")
	if sqlstate(err) != "54000" {
		t.Fatalf("want 54000 for an oversized message, got %v", err)
	}
	// Garbage instead of a startup packet, and a bad message type after startup.
	for _, payload := range [][]byte{
		[]byte("GET / HTTP/1.1\r\n\r\n"),
		{0, 0, 0, 8, 0xde, 0xad, 0xbe, 0xef},
		{0xff, 0xff, 0xff, 0xff},
	} {
		nc, err := net.Dial("tcp", g.pg)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = nc.Write(payload)
		_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err = io.ReadAll(nc)
		nc.Close()
		if err != nil && !errors.Is(err, net.ErrClosed) && !strings.Contains(err.Error(), "reset") {
			t.Fatalf("payload %q: connection not closed: %v", payload, err)
		}
	}
	var one int
	if err := bystander.QueryRow(ctx, "select 1").Scan(&one); err != nil {
		t.Fatalf("bystander affected: %v", err)
	}
}

// TestRelayPsqlScript runs a psql script through the relay against a
// golden transcript: COPY both ways with \copy, errors with their
// messages, transactions, SQL-level PREPARE (which pins).
func TestRelayPsqlScript(t *testing.T) {
	g := start(t, relayConfig(testDB(t), "transaction", 2, ""))
	host, port, _ := net.SplitHostPort(g.pg)
	psql := exec.Command("psql", "-X", "-h", host, "-p", port, "-U", "alice", "-f", "testdata/relay.sql", "app")
	psql.Env = append(os.Environ(), "PGPASSWORD=alice-secret", "PGCONNECT_TIMEOUT=10", "PGSSLMODE=disable")
	out, _ := psql.CombinedOutput()
	golden(t, "testdata/relay.psql.out", string(out))
}

// TestRelayBackendKilled: backends terminated while idle are replaced
// unnoticed; one terminated mid-query gives its client a proper error and
// leaves other clients unaffected.
func TestRelayBackendKilled(t *testing.T) {
	dsn := testDB(t)
	g := start(t, relayConfig(dsn, "transaction", 2, ""))
	ctx := context.Background()
	c := g.connect(t, "alice", "alice-secret", "app")
	other := g.connect(t, "bob", "bob-secret", "app")
	for _, x := range []*pgx.Conn{c, other} {
		if err := x.QueryRow(ctx, "select 1").Scan(new(int)); err != nil {
			t.Fatal(err)
		}
	}
	admin, err := pgx.Connect(ctx, pgAdminDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	dbname := dsn[strings.LastIndex(dsn, "/")+1 : strings.Index(dsn, "?")]
	kill := func(extra string) int {
		var n int
		err := admin.QueryRow(ctx, "select count(pg_terminate_backend(pid)) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid() "+extra, dbname).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	var killedAt time.Time
	if err := admin.QueryRow(ctx, "select clock_timestamp()").Scan(&killedAt); err != nil {
		t.Fatal(err)
	}
	if n := kill(""); n == 0 {
		t.Fatal("no pooled backend to terminate")
	}
	// Wait until the terminated backends have exited (connections opened
	// since, by health checks say, do not count).
	eventually(t, 10*time.Second, func() error {
		var n int
		if err := admin.QueryRow(ctx, "select count(*) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid() and backend_start <= $2", dbname, killedAt).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return fmt.Errorf("%d terminated backends still there", n)
		}
		return nil
	})
	for _, x := range []*pgx.Conn{c, other} {
		if err := x.QueryRow(ctx, "select 1").Scan(new(int)); err != nil {
			t.Fatalf("query after idle backends were terminated: %v", err)
		}
	}
	// Mid-query.
	errc := make(chan error, 1)
	go func() { _, err := c.Exec(ctx, "select pg_sleep(30) /* floe-kill-test */"); errc <- err }()
	waitActive(t, "%floe-kill-test%", true)
	if n := kill("and query like '%floe-kill-test%'"); n != 1 {
		t.Fatalf("terminated %d backends", n)
	}
	select {
	case err := <-errc:
		if code := sqlstate(err); code != "57P01" && code != "08006" {
			t.Fatalf("want 57P01 or 08006, got %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("client not told its backend died")
	}
	if err := other.QueryRow(ctx, "select 1").Scan(new(int)); err != nil {
		t.Fatalf("bystander affected: %v", err)
	}
	c2 := g.connect(t, "alice", "alice-secret", "app")
	if err := c2.QueryRow(ctx, "select 1").Scan(new(int)); err != nil {
		t.Fatal(err)
	}
}

// TestRelayStartupParameters: startup parameters (and -c options) reach
// the backend as values, never as SQL, whatever the client sets first.
func TestRelayStartupParameters(t *testing.T) {
	dsn := testDB(t)
	g := start(t, relayConfig(dsn, "transaction", 2, ""))
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(g.dsn("alice", "alice-secret", "app"))
	if err != nil {
		t.Fatal(err)
	}
	evil := `x\'; create table pwned(a int); --`
	cfg.RuntimeParams["standard_conforming_strings"] = "off"
	cfg.RuntimeParams["search_path"] = evil
	cfg.RuntimeParams["options"] = "-c statement_timeout=4321"
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var sp, st string
	if err := c.QueryRow(ctx, "select current_setting('search_path'), current_setting('statement_timeout')").Scan(&sp, &st); err != nil {
		t.Fatal(err)
	}
	if st != "4321ms" || !strings.Contains(sp, "create table pwned") {
		t.Fatalf("parameters not applied as values: search_path=%q statement_timeout=%q", sp, st)
	}
	direct, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close(ctx)
	var n int
	if err := direct.QueryRow(ctx, "select count(*) from pg_class where relname = 'pwned'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("startup parameter ran as SQL: %v %d", err, n)
	}
	// Another client on the same backend connections sees none of it.
	other := g.connect(t, "bob", "bob-secret", "app")
	if err := other.QueryRow(ctx, "select current_setting('statement_timeout')").Scan(&st); err != nil || st != "0" {
		t.Fatalf("leaked to another client: %v %q", err, st)
	}
}

// TestRelayExtendedProtocolCopy: COPY FROM STDIN issued with
// Parse/Bind/Execute/Sync, data, CopyDone and a second Sync (as libpq
// does), directly and through the gateway in transaction mode.
func TestRelayExtendedProtocolCopy(t *testing.T) {
	dsn := testDB(t)
	g := start(t, relayConfig(dsn, "transaction", 1, ""))
	ctx := context.Background()
	setup, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer setup.Close(ctx)
	if _, err := setup.Exec(ctx, "create table xc(a int)"); err != nil {
		t.Fatal(err)
	}
	for name, url := range map[string]string{"direct": dsn, "floe": g.dsn("alice", "alice-secret", "app")} {
		t.Run(name, func(t *testing.T) {
			pc, err := pgconn.Connect(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer pc.Close(ctx)
			fe := pc.Frontend()
			fe.Send(&pgproto3.Parse{Query: "copy xc from stdin"})
			fe.Send(&pgproto3.Bind{})
			fe.Send(&pgproto3.Execute{})
			fe.Send(&pgproto3.Sync{})
			if err := fe.Flush(); err != nil {
				t.Fatal(err)
			}
			rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			until := func(stop func(pgproto3.BackendMessage) bool) []string {
				var seen []string
				for {
					m, err := pc.ReceiveMessage(rctx)
					if err != nil {
						t.Fatalf("after %v: %v", seen, err)
					}
					seen = append(seen, fmt.Sprintf("%T", m))
					if stop(m) {
						return seen
					}
				}
			}
			until(func(m pgproto3.BackendMessage) bool { _, ok := m.(*pgproto3.CopyInResponse); return ok })
			fe.Send(&pgproto3.CopyData{Data: []byte("1\n2\n")})
			fe.Send(&pgproto3.CopyDone{})
			fe.Send(&pgproto3.Sync{})
			if err := fe.Flush(); err != nil {
				t.Fatal(err)
			}
			seen := until(func(m pgproto3.BackendMessage) bool { _, ok := m.(*pgproto3.ReadyForQuery); return ok })
			if strings.Join(seen, ",") != "*pgproto3.CommandComplete,*pgproto3.ReadyForQuery" {
				t.Fatalf("after CopyDone: %v", seen)
			}
		})
	}
	var n int
	if err := setup.QueryRow(ctx, "select count(*) from xc").Scan(&n); err != nil || n != 4 {
		t.Fatalf("rows: %v %d", err, n)
	}
	// The single backend connection is clean for the next client.
	c := g.connect(t, "bob", "bob-secret", "app")
	if err := c.QueryRow(ctx, "select 1").Scan(new(int)); err != nil {
		t.Fatal(err)
	}
}
