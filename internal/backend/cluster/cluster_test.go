package cluster

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/floe-db/floe/internal/route"
)

func newTest(load func(int) Load) (*Cluster, *[]route.Backend) {
	bs := &[]route.Backend{}
	c := New([]string{"primary", "replica1", "replica2"}, slog.New(slog.NewTextHandler(io.Discard, nil)), load)
	c.SetTopology(func() []route.Backend { return append([]route.Backend(nil), *bs...) })
	return c, bs
}

func b(role route.Role, healthy bool) route.Backend {
	return route.Backend{Role: role, Healthy: healthy, Lag: 0}
}

func TestWritable(t *testing.T) {
	c, bs := newTest(func(int) Load { return Load{} })
	steps := []struct {
		name    string
		topo    []route.Backend
		want    int
		wantErr bool
	}{
		{"unchecked: the configured primary", []route.Backend{{}, {}, {}}, 0, false},
		{"healthy primary", []route.Backend{b(route.RolePrimary, true), b(route.RoleReplica, true), b(route.RoleReplica, true)}, 0, false},
		{"primary down, nobody promoted", []route.Backend{b(route.RolePrimary, false), b(route.RoleReplica, true), b(route.RoleReplica, true)}, -1, true},
		{"replica2 promoted", []route.Backend{b(route.RoleUnknown, false), b(route.RoleReplica, true), b(route.RolePrimary, true)}, 2, false},
		{"old primary back as a primary: writes stay", []route.Backend{b(route.RolePrimary, true), b(route.RoleReplica, true), b(route.RolePrimary, true)}, 2, false},
		{"successor fails: the old one takes over", []route.Backend{b(route.RolePrimary, true), b(route.RoleReplica, true), b(route.RolePrimary, false)}, 0, false},
	}
	for _, st := range steps {
		*bs = st.topo
		got, err := c.Writable()
		if got != st.want || (err != nil) != st.wantErr || (err != nil && !errors.Is(err, route.ErrNoPrimary)) {
			t.Fatalf("%s: Writable() = %d, %v; want %d (error %v)", st.name, got, err, st.want, st.wantErr)
		}
	}
}

func TestWritableWait(t *testing.T) {
	c, bs := newTest(func(int) Load { return Load{} })
	*bs = []route.Backend{b(route.RolePrimary, false), b(route.RoleReplica, true), b(route.RoleReplica, true)}
	c.SetRouting(&route.Policy{FailoverWait: 2 * time.Second})
	go func() {
		time.Sleep(100 * time.Millisecond)
		c.SetTopology(func() []route.Backend {
			return []route.Backend{b(route.RolePrimary, false), b(route.RolePrimary, true), b(route.RoleReplica, true)}
		})
	}()
	if i, err := c.WritableWait(context.Background()); i != 1 || err != nil {
		t.Fatalf("WritableWait = %d, %v; want the promoted replica1", i, err)
	}
	c.SetTopology(func() []route.Backend {
		return []route.Backend{b(route.RolePrimary, false), b(route.RoleReplica, false), b(route.RoleReplica, true)}
	})
	c.SetRouting(&route.Policy{FailoverWait: 100 * time.Millisecond})
	if _, err := c.WritableWait(context.Background()); !errors.Is(err, route.ErrNoPrimary) {
		t.Fatalf("no promotion within the wait: %v", err)
	}
}

func TestReadTarget(t *testing.T) {
	refusing := map[int]bool{}
	c, bs := newTest(func(i int) Load { return Load{Refusing: refusing[i]} })
	*bs = []route.Backend{b(route.RolePrimary, true), b(route.RoleReplica, true), b(route.RoleReplica, true)}
	read := route.Class{Read: true}
	if _, ok := c.ReadTarget(read, route.Session{}); ok {
		t.Fatal("a read went to a replica with no routing settings")
	}
	c.SetRouting(&route.Policy{Split: true})
	seen := map[int]bool{}
	for range 10 {
		i, ok := c.ReadTarget(read, route.Session{})
		if !ok || i == 0 {
			t.Fatalf("read placed on %d, %v", i, ok)
		}
		seen[i] = true
	}
	if !seen[1] || !seen[2] {
		t.Fatalf("round robin used only %v", seen)
	}
	refusing[1] = true
	for range 10 {
		if i, ok := c.ReadTarget(read, route.Session{}); !ok || i != 2 {
			t.Fatalf("with replica1's breaker open, read placed on %d, %v", i, ok)
		}
	}
	if _, ok := c.ReadTarget(route.Class{Why: "write"}, route.Session{}); ok {
		t.Fatal("a write went to a replica")
	}
	if _, ok := c.ReadTarget(read, route.Session{InTransaction: true}); ok {
		t.Fatal("a read in a transaction went to a replica")
	}
}
