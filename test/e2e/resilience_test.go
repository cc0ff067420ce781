package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

// faultProxy forwards TCP connections to a real server and injects
// faults: it can reset the connections it accepts (as a server that is
// restarting or out of slots would look) and cut the live ones.
type faultProxy struct {
	ln     net.Listener
	target string

	mu       sync.Mutex
	reset    int  // reset the next this many connections
	resetAll bool // reset every connection
	live     map[net.Conn]bool
	accepted int
}

func newFaultProxy(t *testing.T, target string) *faultProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{ln: ln, target: target, live: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go p.serve()
	return p
}

func (p *faultProxy) addr() string { return p.ln.Addr().String() }

func (p *faultProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.accepted++
		drop := p.resetAll || p.reset > 0
		if p.reset > 0 {
			p.reset--
		}
		p.mu.Unlock()
		if drop {
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // RST, not FIN
			}
			c.Close()
			continue
		}
		go p.forward(c)
	}
}

func (p *faultProxy) forward(c net.Conn) {
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.live[c], p.live[s] = true, true
	p.mu.Unlock()
	go func() { _, _ = io.Copy(s, c); s.Close() }()
	_, _ = io.Copy(c, s)
	c.Close()
	p.mu.Lock()
	delete(p.live, c)
	delete(p.live, s)
	p.mu.Unlock()
}

// cut closes every forwarded connection.
func (p *faultProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.live {
		c.Close()
	}
}

func (p *faultProxy) set(reset int, resetAll bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reset, p.resetAll = reset, resetAll
}

func (p *faultProxy) connections() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

// twoDatabases is a config with PostgreSQL database pgapp and MySQL
// database myapp, both with the keys extra, and user alice.
func twoDatabases(pgDSN, myDSN, extra string) string {
	return fmt.Sprintf(`databases:
  - name: pgapp
    kind: postgres
    primary: %q%s
  - name: myapp
    kind: mysql
    primary: %q%s
users:
  - {name: alice, password: alice-secret}
`, pgDSN, extra, myDSN, extra)
}

// within waits up to limit for ok (a bound the product promises, such as
// a change reaching every instance within a second) and returns how long
// it took.
func within(t *testing.T, what string, limit time.Duration, ok func() bool) time.Duration {
	t.Helper()
	began := time.Now()
	eventually(t, limit, func() error {
		if !ok() {
			return fmt.Errorf("%s: not within %v", what, limit)
		}
		return nil
	})
	return time.Since(began)
}

// redisPrefix is a fresh Redis key prefix for a test; its keys go when
// the test ends.
func redisPrefix(t *testing.T) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "floe_test_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		rdb := redis.NewClient(&redis.Options{Addr: redisAddr()})
		defer rdb.Close()
		rdb.Del(context.Background(), prefix+":state", prefix+":state:version")
	})
	return prefix
}

// metric reads one sample of the gateway's metrics (-1 when absent).
func (g *gateway) metric(t *testing.T, name string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + g.admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindSubmatch(body)
	if m == nil {
		return -1
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

// Connects that fail transiently are retried with backoff, so a backend
// restarting under a client costs it nothing; connects that keep failing
// open the server's circuit breaker, which refuses at once without
// dialling until a probe finds the server back. Both relays, real
// servers behind a proxy that injects the faults.
func TestConnectRetriesAndCircuitBreaker(t *testing.T) {
	pgDSN := testDB(t)
	myDSN, _ := myTestDB(t)
	pgHost := strings.SplitN(strings.SplitN(pgDSN, "@", 2)[1], "/", 2)[0]
	myHost := strings.SplitN(strings.SplitN(myDSN, "@", 2)[1], "/", 2)[0]
	pgProxy := newFaultProxy(t, pgHost)
	myProxy := newFaultProxy(t, myHost)
	// Health checks run once a minute here, so the breaker, not the
	// checks, is what stops the dials.
	guard := `
    pool: {mode: transaction, size: 1, retry: {attempts: 3, backoff: 5ms, max_backoff: 10ms}, breaker: {failures: 3, open_for: 700ms}}
    health: {interval: 1m, fail_after: 10}`
	g := start(t, twoDatabases(strings.Replace(pgDSN, pgHost, pgProxy.addr(), 1), strings.Replace(myDSN, myHost, myProxy.addr(), 1), guard))
	ctx := context.Background()
	pc := g.connect(t, "alice", "alice-secret", "pgapp")
	db := g.mydb(t, "alice", "alice-secret", "myapp", nil)
	db.SetMaxOpenConns(1)

	for _, tc := range []struct {
		name    string
		proxy   *faultProxy
		query   func() error
		refused func(err error) bool
	}{
		{"postgres", pgProxy,
			func() error { var n int; return pc.QueryRow(ctx, "SELECT 1").Scan(&n) },
			func(err error) bool { return sqlstate(err) == "08006" }},
		{"mysql", myProxy,
			func() error { var n int; return db.QueryRowContext(ctx, "SELECT 1").Scan(&n) },
			func(err error) bool { return myErrno(err) == 1429 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			backend := "pgapp"
			if tc.name == "mysql" {
				backend = "myapp"
			}
			retries := fmt.Sprintf(`floe_backend_connect_retries_total{backend="primary",database="%s"}`, backend)
			open := fmt.Sprintf(`floe_backend_breaker_open{backend="primary",database="%s"}`, backend)
			if err := tc.query(); err != nil {
				t.Fatalf("before any fault: %v", err)
			}
			before := max(g.metric(t, retries), 0)

			// The server drops the pooled connection and resets the next
			// two connects: the third attempt gets through.
			tc.proxy.set(2, false)
			tc.proxy.cut()
			if err := tc.query(); err != nil {
				t.Fatalf("with two connects reset: %v (retries should have hidden them)", err)
			}
			// Each reset costs the dial that meets it one retry (a reset
			// can also meet a connect of the relay's own, which retries
			// the same way).
			if got := g.metric(t, retries) - before; got < 1 || got > 2 {
				t.Errorf("retries counted %v, want 1 or 2", got)
			}

			// Every connect fails: three failed dials (of three attempts
			// each) open the breaker.
			tc.proxy.set(0, true)
			tc.proxy.cut()
			for i := range 3 {
				err := tc.query()
				if !tc.refused(err) || strings.Contains(err.Error(), "circuit breaker") {
					t.Fatalf("query %d with the server unreachable: %v", i, err)
				}
			}
			if g.metric(t, open) != 1 {
				t.Fatalf("%s = %v after three failed dials, want 1", open, g.metric(t, open))
			}
			for _, b := range g.backends(t) {
				if b.Database == backend && b.Breaker != "open" {
					t.Errorf("GET /api/v1/backends shows the breaker of %s/%s as %q, want open", b.Database, b.Name, b.Breaker)
				}
			}
			dialled := tc.proxy.connections()
			began := time.Now()
			err := tc.query()
			if !tc.refused(err) || !strings.Contains(err.Error(), "circuit breaker open") {
				t.Fatalf("query with the breaker open: %v", err)
			}
			if n := tc.proxy.connections() - dialled; n != 0 {
				t.Errorf("the open breaker let %d connects through", n)
			}
			t.Logf("refused by the open breaker in %v", time.Since(began).Round(time.Microsecond))

			// The server is back: after open_for a probe gets through and
			// closes the breaker.
			tc.proxy.set(0, false)
			eventually(t, 10*time.Second, func() error {
				err := tc.query()
				if err != nil && !tc.refused(err) {
					t.Fatalf("after the server came back: %v", err)
				}
				if err != nil {
					return fmt.Errorf("after the server came back: %w", err)
				}
				return nil
			})
			if g.metric(t, open) != 0 {
				t.Errorf("%s = %v after a good probe, want 0", open, g.metric(t, open))
			}
		})
	}
}

// pool.query_timeout cancels a statement on the backend and the session
// goes on; pool.idle_in_transaction_timeout ends a session that sits in an
// open transaction, rolling the transaction back (PostgreSQL 25P03, MySQL
// 4031), while a session idle outside a transaction stays.
func TestQueryAndIdleInTransactionTimeouts(t *testing.T) {
	pgDSN := testDB(t)
	myDSN, direct := myTestDB(t)
	if _, err := direct.Exec("CREATE TABLE t (id int PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	pgAdmin, err := pgx.Connect(context.Background(), pgDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer pgAdmin.Close(context.Background())
	if _, err := pgAdmin.Exec(context.Background(), "CREATE TABLE t (id int PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	pool := "\n    pool: {mode: transaction, size: 4, query_timeout: 300ms, idle_in_transaction_timeout: 500ms}"
	g := start(t, twoDatabases(pgDSN, myDSN, pool))
	ctx := context.Background()

	t.Run("query timeout", func(t *testing.T) {
		c := g.connect(t, "alice", "alice-secret", "pgapp")
		began := time.Now()
		if _, err := c.Exec(ctx, "SELECT pg_sleep(10)"); sqlstate(err) != "57014" || !strings.Contains(err.Error(), "statement timeout") {
			t.Fatalf("long statement: %v, want 57014 saying it was the statement timeout", err)
		}
		if d := time.Since(began); d > 5*time.Second {
			t.Fatalf("statement ran %v past its 300ms bound", d)
		}
		if _, err := c.Exec(ctx, "SELECT 1"); err != nil {
			t.Fatalf("after the timeout: %v", err)
		}
		db := g.mydb(t, "alice", "alice-secret", "myapp", nil)
		var n int64
		began = time.Now()
		err := db.QueryRow("SELECT count(*) FROM seq_1_to_100000 a JOIN seq_1_to_100000 b").Scan(&n)
		if myErrno(err) != 3024 || time.Since(began) > 5*time.Second {
			t.Fatalf("MySQL long statement: %v after %v, want 3024", err, time.Since(began))
		}
		if err := db.QueryRow("SELECT 1").Scan(&n); err != nil {
			t.Fatalf("after the timeout: %v", err)
		}
	})

	t.Run("idle in transaction", func(t *testing.T) {
		c := g.connect(t, "alice", "alice-secret", "pgapp")
		tx, err := c.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO t VALUES (1)"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(900 * time.Millisecond)
		_, err = tx.Exec(ctx, "INSERT INTO t VALUES (2)")
		if sqlstate(err) != "25P03" {
			t.Fatalf("statement after idling in a transaction: %v, want the session ended with 25P03", err)
		}
		var n int
		if err := pgAdmin.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil || n != 0 {
			t.Fatalf("rows after the timeout: %d %v, want the insert rolled back", n, err)
		}
		// Idle outside a transaction is fine.
		c2 := g.connect(t, "alice", "alice-secret", "pgapp")
		time.Sleep(900 * time.Millisecond)
		if _, err := c2.Exec(ctx, "SELECT 1"); err != nil {
			t.Fatalf("session idle outside a transaction: %v", err)
		}

		db := g.mydb(t, "alice", "alice-secret", "myapp", nil)
		db.SetMaxOpenConns(1)
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ExecContext(ctx, "INSERT INTO t VALUES (1)"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(900 * time.Millisecond)
		_, err = conn.ExecContext(ctx, "INSERT INTO t VALUES (2)")
		if err == nil {
			t.Fatal("MySQL statement after idling in a transaction succeeded")
		}
		if myErrno(err) != 4031 {
			t.Fatalf("MySQL after idling in a transaction: %v, want 4031", err)
		}
		eventually(t, 5*time.Second, func() error {
			if err := direct.QueryRow("SELECT count(*) FROM t").Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				return fmt.Errorf("MySQL rows after the timeout: %d, want the insert rolled back", n)
			}
			return nil
		})
	})
}
