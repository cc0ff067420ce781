package cluster

import (
	"log/slog"
	"sync/atomic"

	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/observe"
	"github.com/floe-db/floe/internal/pool"
)

// Guards holds the connect guard (timeout, retries, circuit breaker) of
// each server of a database; a relay's pools dial through Guard(i).
type Guards struct {
	db        string
	names     []string
	transient func(error) bool
	metrics   *observe.Metrics
	log       *slog.Logger
	guards    []atomic.Pointer[pool.Guard]
}

// NewGuards makes the guards of servers names of database db from the
// pool settings pc; transient tells retryable connect errors.
func NewGuards(db string, names []string, pc config.Pool, transient func(error) bool, m *observe.Metrics, log *slog.Logger) *Guards {
	g := &Guards{db: db, names: names, transient: transient, metrics: m, log: log, guards: make([]atomic.Pointer[pool.Guard], len(names))}
	for i := range names {
		g.guards[i].Store(g.make(i, pc))
	}
	return g
}

func (g *Guards) make(i int, pc config.Pool) *pool.Guard {
	name := g.names[i]
	gc := pool.GuardSettings(g.db+"/"+name, pc)
	gc.Transient = g.transient
	retries := g.metrics.ConnectRetries.WithLabelValues(g.db, name)
	gc.OnRetry = func(error) { retries.Inc() }
	changed := g.metrics.BreakerChanged(g.db, name)
	gc.OnStateChange = func(n, from, to string) {
		g.log.Warn("backend circuit breaker "+to, "backend", name, "from", from)
		changed(n, from, to)
	}
	return pool.NewGuard(gc)
}

// Guard is server i's guard now.
func (g *Guards) Guard(i int) *pool.Guard { return g.guards[i].Load() }

// Reconfigure makes new guards when the settings that shape them changed
// (a reload keeps the breakers' state otherwise).
func (g *Guards) Reconfigure(old, pc config.Pool) {
	if !pool.GuardChanged(old, pc) {
		return
	}
	for i := range g.guards {
		g.guards[i].Store(g.make(i, pc))
	}
}

// State is the breaker state of the named server ("" when unknown).
func (g *Guards) State(name string) string {
	for i, n := range g.names {
		if n == name {
			return g.Guard(i).State()
		}
	}
	return ""
}

// ServerCameUp closes the breaker of a server the health checks found up
// again: a passing check proves what a probe connect would, so clients
// need not wait out open_for.
func (g *Guards) ServerCameUp(name string, pc config.Pool) {
	for i, n := range g.names {
		if n == name && g.Guard(i).State() != "closed" {
			g.guards[i].Store(g.make(i, pc))
			g.log.Info("backend circuit breaker closed: health checks pass", "backend", name)
		}
	}
}
