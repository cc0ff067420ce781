package cluster

import (
	"context"
	"errors"
	"testing"

	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/observe"
	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/route"
	"github.com/floe-db/floe/internal/sqlparse"
)

func TestPlacer(t *testing.T) {
	c, bs := newTest(func(int) Load { return Load{} })
	*bs = []route.Backend{b(route.RolePrimary, true), b(route.RoleReplica, true), b(route.RoleReplica, false)}
	g := NewGuards("app", []string{"primary", "replica1", "replica2"}, config.Pool{}, nil, observe.NewMetrics(), c.log)
	p := NewPlacer(c, g, NewClasses(policy.Postgres, sqlparse.PostgresNoFingerprint))
	if p != NewPlacer(c, g, p.class) {
		t.Fatal("two placers of the same relay differ")
	}
	const read, write = "SELECT * FROM t", "INSERT INTO t VALUES (1)"
	if !p.ReadOnly(read) || p.ReadOnly(write) || p.ReadOnly("/* floe:primary */ SELECT 1") {
		t.Fatal("statement classes")
	}
	if _, ok := p.Replica(read); ok {
		t.Fatal("a read went to a replica without the split")
	}
	c.SetRouting(&route.Policy{Split: true})
	if i, ok := p.Replica(read); !ok || i != 1 {
		t.Fatalf("read placed on %d, %v; want the healthy replica1", i, ok)
	}
	if _, ok := p.Replica(write); ok {
		t.Fatal("a write went to a replica")
	}
	if i, err := p.Writer(context.Background()); i != 0 || err != nil {
		t.Fatalf("writer %d, %v", i, err)
	}
	*bs = []route.Backend{b(route.RolePrimary, false), b(route.RoleReplica, true), b(route.RoleReplica, false)}
	if _, err := p.Writer(context.Background()); !errors.Is(err, route.ErrNoPrimary) {
		t.Fatalf("writer with the primary down: %v", err)
	}
	if i, ok := p.Replica(read); !ok || i != 1 {
		t.Fatalf("read with the primary down placed on %d, %v", i, ok)
	}
	if p.Guard(1) != g.Guard(1) || p.Name(2) != "replica2" {
		t.Fatal("guards and names are the relay's")
	}
}
