package health

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/route"
	"github.com/floe-db/floe/internal/testcluster"
)

// scripted answers checks from a list.
type scripted struct {
	answers []error
	i       int
}

func (s *scripted) Probe(context.Context) (Probe, error) {
	err := s.answers[s.i%len(s.answers)]
	s.i++
	return Probe{Role: route.RoleReplica, Lag: time.Second}, err
}
func (s *scripted) Close() {}

var down = errors.New("connection refused")

// The first check decides; then fail_after failures take a server down
// and rise_after good checks bring it back.
func TestThresholds(t *testing.T) {
	p := &scripted{answers: []error{nil, down, down, nil, down, down, down, nil, nil, nil}}
	c := New("db", config.Health{Interval: time.Second, Timeout: time.Second, FailAfter: 3, RiseAfter: 2},
		[]Server{{Name: "r1", Prober: p}}, []string{"r:5432"}, slog.New(slog.NewTextHandler(io.Discard, nil)), nil, nil)
	var got []bool
	for range p.answers {
		c.CheckNow(context.Background(), 0)
		got = append(got, c.Statuses()[0].Healthy)
	}
	want := []bool{true, true, true, true, true, true, false, false, true, true}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("after %d checks: healthy %v, want %v (all: %v)", i+1, got[i], want[i], got)
		}
	}
	// A server never seen up is not routed to, and is known down only
	// after fail_after failures.
	q := &scripted{answers: []error{down}}
	c = New("db", config.Health{Interval: time.Second, Timeout: time.Second, FailAfter: 3, RiseAfter: 2},
		[]Server{{Name: "r2", Prober: q}}, []string{"r:5432"}, slog.New(slog.NewTextHandler(io.Discard, nil)), nil, nil)
	if c.Statuses()[0].Healthy || c.Backends()[0].Healthy {
		t.Fatal("an unchecked server counts as healthy")
	}
	c.CheckNow(context.Background(), 0)
	if st := c.Statuses()[0]; st.Healthy || st.LastError == "" || c.PrimaryDown() {
		t.Fatalf("after one failed check of a new server: %+v, down %v", st, c.PrimaryDown())
	}
	c.CheckNow(context.Background(), 0)
	c.CheckNow(context.Background(), 0)
	if !c.PrimaryDown() {
		t.Fatal("a new server failing fail_after checks is not known down")
	}
}

// Against a real primary and streaming replica: roles, lag and LSNs; a
// killed replica goes down; a promoted replica reports itself primary.
func TestPostgresPrimaryAndReplica(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL servers")
	}
	cl := testcluster.StartPG(t, 1)
	pp, err := NewPostgres(cl.Primary.DSN())
	if err != nil {
		t.Fatal(err)
	}
	rp, _ := NewPostgres(cl.Replicas[0].DSN())
	cfg := config.Health{Interval: 200 * time.Millisecond, Timeout: 2 * time.Second, FailAfter: 2, RiseAfter: 2}
	c := New("db", cfg, []Server{{Name: "primary", Prober: pp}, {Name: "replica1", Prober: rp}},
		[]string{"p", "r"}, slog.New(slog.NewTextHandler(io.Discard, nil)), nil, nil)
	ctx := context.Background()
	check := func() []route.Backend {
		c.CheckNow(ctx, 0)
		c.CheckNow(ctx, 1)
		return c.Backends()
	}
	if err := cl.Primary.Exec("CREATE TABLE t AS SELECT 1 AS x"); err != nil {
		t.Fatal(err)
	}
	cl.WaitReplayed(t)
	b := check()
	if b[0].Role != route.RolePrimary || !b[0].Healthy || b[1].Role != route.RoleReplica || !b[1].Healthy {
		t.Fatalf("backends %+v", b)
	}
	if b[1].Lag < 0 || b[1].Lag > 5*time.Second || b[1].ReplayLSN == 0 || b[0].ReplayLSN < b[1].ReplayLSN {
		t.Fatalf("lag/LSN %+v", b)
	}
	cl.Replicas[0].Kill()
	check()
	b = check()
	if b[1].Healthy || !b[0].Healthy {
		t.Fatalf("after the replica was killed: %+v", b)
	}
	cl.Replicas[0].Start()
	check()
	if b = check(); !b[1].Healthy {
		t.Fatalf("after the replica came back: %+v", b)
	}
	cl.Primary.Kill()
	cl.Replicas[0].Promote()
	check()
	b = check()
	if b[0].Healthy || b[1].Role != route.RolePrimary || !b[1].Healthy {
		t.Fatalf("after promotion: %+v", b)
	}
	c.Close()
}

// The local MariaDB is a primary: not read-only, no replication status.
func TestMySQLPrimary(t *testing.T) {
	dsn := "mysql://root@127.0.0.1:3306/"
	if v := os.Getenv("FLOE_TEST_MYSQL"); v != "" {
		creds, rest, _ := strings.Cut(v, "@tcp(")
		host, _, _ := strings.Cut(rest, ")")
		dsn = "mysql://" + creds + "@" + host + "/"
	}
	p := NewMySQL(dsn)
	defer p.Close()
	pr, err := p.Probe(context.Background())
	if err != nil {
		t.Fatalf("probe %s: %v — run scripts/services.sh", dsn, err)
	}
	if pr.Role != route.RolePrimary || pr.Lag != 0 {
		t.Fatalf("probe %+v", pr)
	}
	bad := NewMySQL("mysql://root@127.0.0.1:1/")
	defer bad.Close()
	if _, err := bad.Probe(context.Background()); err == nil {
		t.Fatal("a closed port probed healthy")
	}
}

// Against a real MariaDB primary and replica: the replica is seen as one,
// with its lag; killed, it goes down.
func TestMariaDBPrimaryAndReplica(t *testing.T) {
	if testing.Short() {
		t.Skip("starts MariaDB servers")
	}
	cl := testcluster.StartMariaDB(t, 1)
	if err := cl.Primary.Exec("CREATE DATABASE app"); err != nil {
		t.Fatal(err)
	}
	cfg := config.Health{Interval: 200 * time.Millisecond, Timeout: 2 * time.Second, FailAfter: 1, RiseAfter: 1}
	c := New("db", cfg, []Server{{Name: "primary", Prober: NewMySQL(cl.Primary.DSN())}, {Name: "replica1", Prober: NewMySQL(cl.Replicas[0].DSN())}},
		[]string{"p", "r"}, slog.New(slog.NewTextHandler(io.Discard, nil)), nil, nil)
	defer c.Close()
	ctx := context.Background()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c.CheckNow(ctx, 0)
		c.CheckNow(ctx, 1)
		b := c.Backends()
		if b[0].Role == route.RolePrimary && b[0].Healthy && b[1].Role == route.RoleReplica && b[1].Healthy && b[1].Lag >= 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("backends %+v %+v", b, c.Statuses())
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The replica follows the primary.
	if err := cl.Primary.Exec("CREATE TABLE app.t (x INT)"); err != nil {
		t.Fatal(err)
	}
	for cl.Replicas[0].Exec("SELECT x FROM app.t") != nil {
		if time.Now().After(deadline) {
			t.Fatal("the replica does not replicate")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cl.Replicas[0].Kill()
	c.CheckNow(ctx, 1)
	if b := c.Backends(); b[1].Healthy {
		t.Fatalf("killed replica still healthy: %+v", b)
	}
}
