package dataapi

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/floe-db/floe/arrowsql"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/pool"
	"github.com/floe-db/floe/internal/route"
)

// fakeConn is a connection of fakeDB; dead ones fail the next statement
// (as a connection killed on the server does).
type fakeConn struct {
	server, id int
	dead       bool
}

// fakeDB is a scripted database behind a clusterSource: it records
// which connection ran each statement.
type fakeDB struct {
	mu      sync.Mutex
	dials   int
	dialErr error
	ran     []string // "server/conn:statement"
	alive   bool     // what the cheap idle check says of a dead conn
	unsent  bool     // failures of dead conns happened before sending
	sqlErr  error    // the next statement fails with it, conn intact
}

var errLost = errors.New("unexpected EOF")

func (f *fakeDB) driver() kindDriver[*fakeConn] {
	return kindDriver[*fakeConn]{
		dial: func(_ context.Context, server int) (*fakeConn, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			if f.dialErr != nil {
				return nil, f.dialErr
			}
			f.dials++
			return &fakeConn{server: server, id: f.dials}, nil
		},
		close: func(*fakeConn) {},
		ping:  func(context.Context, *fakeConn) error { return nil },
		alive: func(c *fakeConn) bool { return !c.dead || f.alive },
		reset: func(*fakeConn, int) error { return nil },
		query: func(_ context.Context, c *fakeConn, q string, _ []any, _ arrowsql.Options, done func(bool)) (*arrowsql.Reader, error) {
			f.mu.Lock()
			f.ran = append(f.ran, strings.Repeat("r", c.server)+"#"+string(rune('0'+c.id))+":"+q)
			err := f.sqlErr
			f.sqlErr = nil
			f.mu.Unlock()
			if c.dead {
				done(true)
				return nil, errLost
			}
			done(false)
			return nil, err
		},
		lost:   func(_ error, broken bool) bool { return broken },
		unsent: func(error) bool { return f.unsent },
	}
}

func (f *fakeDB) log() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := strings.Join(f.ran, " ")
	f.ran = nil
	return out
}

// fakeServers places reads on replica 1 when split is on.
type fakeServers struct {
	split     bool
	noPrimary bool
	writer    int
	guards    []*pool.Guard
}

func (s *fakeServers) Replica(text string) (int, bool) {
	return 1, s.split && s.ReadOnly(text)
}

func (s *fakeServers) Writer(context.Context) (int, error) {
	if s.noPrimary {
		return -1, route.ErrNoPrimary
	}
	return s.writer, nil
}

func (s *fakeServers) ReadOnly(text string) bool { return strings.HasPrefix(text, "SELECT") }

func (s *fakeServers) Guard(i int) *pool.Guard {
	if s.guards == nil {
		return nil
	}
	return s.guards[i]
}

func newFake(t *testing.T, servers *fakeServers) (*fakeDB, *clusterSource[*fakeConn]) {
	f := &fakeDB{}
	s := newClusterSource(config.Database{Name: "app", Pool: config.Pool{Size: 2}}, servers, 2, f.driver())
	t.Cleanup(s.Close)
	return f, s
}

// kill marks every idle connection of the source dead.
func kill(s *clusterSource[*fakeConn]) {
	for _, p := range s.pools {
		var held []*pool.Conn[*dataConn[*fakeConn]]
		for p.Stats().Idle > 0 {
			c, _ := p.Acquire(context.Background())
			c.Value.c.dead = true
			held = append(held, c)
		}
		for _, c := range held {
			p.Release(c, true)
		}
	}
}

func run(t *testing.T, s *clusterSource[*fakeConn], q string) error {
	t.Helper()
	_, err := s.Query(context.Background(), q, nil, arrowsql.Options{})
	return err
}

func TestSourceDeadConnections(t *testing.T) {
	servers := &fakeServers{}
	f, s := newFake(t, servers)
	if err := run(t, s, "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	if got := f.log(); got != "#1:SELECT 1" {
		t.Fatalf("ran %q", got)
	}

	// Killed while idle, seen by the cheap check: dropped before use.
	kill(s)
	if err := run(t, s, "INSERT 1"); err != nil {
		t.Fatalf("write after the idle connection died: %v", err)
	}
	if got := f.log(); got != "#2:INSERT 1" {
		t.Fatalf("ran %q", got)
	}

	// The check missed it: a read fails on the dead connection and runs
	// again on a fresh one.
	f.alive = true
	kill(s)
	if err := run(t, s, "SELECT 2"); err != nil {
		t.Fatalf("read on a dead connection: %v", err)
	}
	if got := f.log(); got != "#2:SELECT 2 #3:SELECT 2" {
		t.Fatalf("ran %q", got)
	}

	// A write that may have reached the server is not run again.
	kill(s)
	err := run(t, s, "INSERT 2")
	var e *Error
	if !errors.As(err, &e) || e.Status != 503 || e.Code != CodeUnavailable || e.SQLState != "08006" {
		t.Fatalf("write on a dead connection: %v", err)
	}
	if got := f.log(); got != "#3:INSERT 2" {
		t.Fatalf("ran %q", got)
	}
	if err := run(t, s, "INSERT 3"); err != nil {
		t.Fatalf("next write: %v", err)
	}
	f.log()

	// One that never reached it is.
	f.unsent = true
	kill(s)
	if err := run(t, s, "INSERT 4"); err != nil {
		t.Fatalf("unsent write on a dead connection: %v", err)
	}
	if got := f.log(); got != "#4:INSERT 4 #5:INSERT 4" {
		t.Fatalf("ran %q", got)
	}

	// An SQL error leaves the connection in the pool, and is the caller's.
	f.sqlErr = errors.New("syntax error")
	if err := run(t, s, "SELECT 3"); err == nil || err.Error() != "syntax error" {
		t.Fatalf("sql error: %v", err)
	}
	if err := run(t, s, "SELECT 4"); err != nil {
		t.Fatal(err)
	}
	if got := f.log(); got != "#5:SELECT 3 #5:SELECT 4" {
		t.Fatalf("ran %q", got)
	}
}

// A connection that fails on its first statement is not tried again:
// the server itself is failing.
func TestSourceFreshConnectionFails(t *testing.T) {
	f, s := newFake(t, &fakeServers{})
	f.alive = true
	fd := f.driver()
	fd.dial = func(_ context.Context, server int) (*fakeConn, error) {
		return &fakeConn{server: server, id: 9, dead: true}, nil
	}
	s.drv = fd
	for _, p := range s.pools {
		p.Close()
	}
	s.pools = newClusterSource(config.Database{Name: "app", Pool: config.Pool{Size: 2}}, &fakeServers{}, 2, fd).pools
	if err := run(t, s, "SELECT 1"); err == nil {
		t.Fatal("a read on a failing fresh connection succeeded")
	}
	if got := f.log(); got != "#9:SELECT 1" {
		t.Fatalf("ran %q", got)
	}
}

func TestSourcePlacement(t *testing.T) {
	servers := &fakeServers{split: true}
	f, s := newFake(t, servers)
	for _, q := range []string{"SELECT 1", "INSERT 1"} {
		if err := run(t, s, q); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.log(); got != "r#1:SELECT 1 #2:INSERT 1" {
		t.Fatalf("ran %q (a read on the replica, the write on the primary)", got)
	}

	// After a failover the writer is server 1.
	servers.writer = 1
	if err := run(t, s, "INSERT 2"); err != nil {
		t.Fatal(err)
	}
	if got := f.log(); got != "r#1:INSERT 2" {
		t.Fatalf("ran %q", got)
	}

	// No primary: writes fail at once; reads go on on the replica.
	servers.noPrimary = true
	err := run(t, s, "INSERT 3")
	var e *Error
	if !errors.As(err, &e) || e.Status != 503 || e.SQLState != "08006" || !strings.Contains(e.Message, "is down") {
		t.Fatalf("write with no primary: %v", err)
	}
	if err := run(t, s, "SELECT 2"); err != nil {
		t.Fatal(err)
	}
	if got := f.log(); got != "r#1:SELECT 2" {
		t.Fatalf("ran %q", got)
	}
}

func TestSourceCircuitBreaker(t *testing.T) {
	g := pool.NewGuard(pool.GuardConfig{Name: "primary", Failures: 1, OpenFor: 3600e9})
	servers := &fakeServers{split: true, guards: []*pool.Guard{g, nil}}
	f, s := newFake(t, servers)
	f.dialErr = errors.New("connection refused")
	err := run(t, s, "INSERT 1")
	var e *Error
	if errors.As(err, &e) {
		t.Fatalf("first failed connect: %v (want the connect error, not a translated one)", err)
	}
	err = run(t, s, "INSERT 1")
	if !errors.As(err, &e) || e.Status != 503 || !strings.Contains(e.Message, "circuit breaker open") {
		t.Fatalf("with the breaker open: %v", err)
	}
	if g.State() != "open" {
		t.Fatalf("breaker %s", g.State())
	}
	// A replica that cannot be reached sends the read to the writer,
	// whose breaker refuses it.
	err = run(t, s, "SELECT 1")
	if !errors.As(err, &e) || !strings.Contains(e.Message, "circuit breaker open") {
		t.Fatalf("read with the replica unreachable and the primary's breaker open: %v", err)
	}
	f.dialErr = nil
	if err := run(t, s, "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	if got := f.log(); got != "r#1:SELECT 1" {
		t.Fatalf("ran %q", got)
	}
}
