package cluster

import (
	"context"

	"github.com/floe-db/floe/internal/pool"
	"github.com/floe-db/floe/internal/route"
)

// Placer places the statements of the data APIs (HTTP, Flight SQL) on a
// relay's servers with the relay's own routing state: the same health
// topology and writer choice, the same routing settings and statement
// classes, and the same connect guards (timeouts, retries, circuit
// breakers) for the connections the data APIs open. A data-API statement
// has no session: it runs outside a transaction, pins nothing and has no
// earlier write to read back, so a read-only statement may go to a replica
// whenever the routing settings split reads.
//
// A Placer is a small value (the relay's cluster, guards and classifier), so
// two Placers of the same relay compare equal. It is safe for concurrent
// use.
type Placer struct {
	cluster *Cluster
	guards  *Guards
	class   Classifier
}

// Classifier gives a statement text's routing class (the relay's
// analyzer).
type Classifier interface {
	ClassOf(text string) route.Class
}

// NewPlacer places on the servers c knows of, dialled through g, with
// statement texts classified by class.
func NewPlacer(c *Cluster, g *Guards, class Classifier) Placer {
	return Placer{cluster: c, guards: g, class: class}
}

// Replica returns the replica a statement text may run on now, or false
// when it goes where writes go (not read-only, no split, no replica fit).
func (p Placer) Replica(text string) (int, bool) {
	if !p.cluster.Splitting() {
		return 0, false
	}
	return p.cluster.ReadTarget(p.class.ClassOf(text), route.Session{})
}

// Writer returns the server writes go to, waiting up to
// routing.failover_wait while the checks see no healthy primary;
// route.ErrNoPrimary when none appeared.
func (p Placer) Writer(ctx context.Context) (int, error) { return p.cluster.WritableWait(ctx) }

// ReadOnly reports whether a statement text only reads (running it again
// changes nothing).
func (p Placer) ReadOnly(text string) bool { return p.class.ClassOf(text).Read }

// Guard is server i's connect guard now (a reload may replace it).
func (p Placer) Guard(i int) *pool.Guard { return p.guards.Guard(i) }

// Name is server i's name (primary, replica1, …).
func (p Placer) Name(i int) string { return p.cluster.Name(i) }
