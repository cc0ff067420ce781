package cluster

import (
	"context"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/floe-db/floe/internal/route"
)

// Load is what a relay knows of one of its servers right now.
type Load struct {
	// Outstanding is the number of connections in use on it.
	Outstanding int
	// Refusing is true while its circuit breaker refuses connects.
	Refusing bool
}

// Cluster is the routing state of one database's servers.
type Cluster struct {
	names []string
	log   *slog.Logger
	load  func(i int) Load

	topology atomic.Pointer[func() []route.Backend]
	routing  atomic.Pointer[route.Policy]
	writer   atomic.Int32
	picks    atomic.Uint64 // varies the choice among equal replicas
}

// New makes the state for servers named names (primary first); load
// reports on server i.
func New(names []string, log *slog.Logger, load func(i int) Load) *Cluster {
	return &Cluster{names: names, log: log, load: load}
}

// SetTopology sets where the cluster finds its servers as the health
// checks last saw them, in server order. f's slice is read, never
// modified (it may be shared).
func (c *Cluster) SetTopology(f func() []route.Backend) { c.topology.Store(&f) }

// SetRouting sets the routing settings (nil: none).
func (c *Cluster) SetRouting(p *route.Policy) { c.routing.Store(p) }

// Routing returns the routing settings (nil: none).
func (c *Cluster) Routing() *route.Policy { return c.routing.Load() }

// Writer is the index of the server writes went to last.
func (c *Cluster) Writer() int { return int(c.writer.Load()) }

// backends is the checked topology, or nil when there is none that
// matches the servers.
func (c *Cluster) backends() []route.Backend {
	f := c.topology.Load()
	if f == nil {
		return nil
	}
	bs := (*f)()
	if len(bs) != len(c.names) {
		return nil
	}
	return bs
}

// Writable returns the server writes go to now, or route.ErrNoPrimary
// while the checks see no healthy primary.
func (c *Cluster) Writable() (int, error) {
	bs := c.backends()
	if bs == nil {
		return 0, nil
	}
	cur := int(c.writer.Load())
	if b := bs[cur]; b.Role == route.RolePrimary && b.Healthy {
		return cur, nil
	}
	unchecked := true
	for i, b := range bs {
		if b.Role == route.RolePrimary && b.Healthy {
			if c.writer.CompareAndSwap(int32(cur), int32(i)) {
				c.log.Warn("writes move to another server", "from", c.names[cur], "to", c.names[i])
			}
			return int(c.writer.Load()), nil
		}
		if b.Role != route.RoleUnknown || b.Healthy {
			unchecked = false
		}
	}
	if unchecked {
		return cur, nil // no check has answered yet
	}
	return -1, route.ErrNoPrimary
}

// WritableWait is Writable, waiting up to routing.failover_wait for a
// primary to appear while there is none.
func (c *Cluster) WritableWait(ctx context.Context) (int, error) {
	i, err := c.Writable()
	pol := c.routing.Load()
	if err == nil || pol == nil || pol.FailoverWait <= 0 {
		return i, err
	}
	deadline := time.NewTimer(pol.FailoverWait)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return -1, ctx.Err()
		case <-deadline.C:
			return -1, err
		case <-tick.C:
			if i, err = c.Writable(); err == nil {
				return i, nil
			}
		}
	}
}

// Splitting reports whether reads may go to replicas at all (cheap: the
// relay classifies statement texts only when it does).
func (c *Cluster) Splitting() bool {
	pol := c.routing.Load()
	return pol != nil && pol.Split && len(c.names) > 1
}

// ReadTarget places a statement of class cls from session s: the index
// of a replica that may serve it, or false when it goes where writes go.
func (c *Cluster) ReadTarget(cls route.Class, s route.Session) (int, bool) {
	pol := c.routing.Load()
	if !cls.Read || pol == nil || !pol.Split || len(c.names) < 2 {
		return 0, false
	}
	bs := slices.Clone(c.backends()) // filled in below
	if bs == nil {
		return 0, false
	}
	for i := range bs {
		l := c.load(i)
		bs[i].Outstanding = l.Outstanding
		if l.Refusing {
			bs[i].Healthy = false // connects to it keep failing
		}
	}
	d := route.Decide(cls, s, bs, *pol, time.Now(), c.picks.Add(1))
	if d.Err != nil || bs[d.Backend].Role != route.RoleReplica {
		return 0, false
	}
	return d.Backend, true
}

// Name is server i's name (primary, replica1, …).
func (c *Cluster) Name(i int) string { return c.names[i] }
