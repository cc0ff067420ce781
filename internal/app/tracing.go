package app

import (
	"context"
	"reflect"
	"time"

	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/stmt"
	"github.com/floe-db/floe/internal/tracing"
)

// tracingFlushTimeout bounds the last export of a tracer provider being
// replaced or stopped.
const tracingFlushTimeout = 5 * time.Second

// reviseTracingLocked returns the tracer provider of cfg's tracing: the
// running one while its settings stay, a new one when they changed, nil
// when tracing is off. commit puts it in force and shuts the one it
// replaces down (after a last export); discard drops a new one.
func (a *App) reviseTracingLocked(ctx context.Context, cfg *config.Config) (p *tracing.Provider, commit, discard func(), err error) {
	cur := a.mu.tracing
	noop := func() {}
	switch {
	case !cfg.Tracing.Enabled:
		p = nil
	case cur != nil && reflect.DeepEqual(cur.Config(), cfg.Tracing):
		return cur, noop, noop, nil
	default:
		if p, err = tracing.New(ctx, cfg.Tracing, buildVersion()); err != nil {
			return nil, nil, nil, err
		}
	}
	commit = func() {
		a.mu.tracing = p
		if cur != nil {
			a.log.Info("tracing settings changed; the previous exporter stops after a last export")
			go shutdownTracing(cur, a)
		}
	}
	discard = func() {
		if p != nil {
			go shutdownTracing(p, a)
		}
	}
	return p, commit, discard, nil
}

// shutdownTracing exports what p still holds and stops it.
func shutdownTracing(p *tracing.Provider, a *App) {
	ctx, cancel := context.WithTimeout(context.Background(), tracingFlushTimeout)
	defer cancel()
	if err := p.Shutdown(ctx); err != nil {
		a.log.Warn("tracing: last export failed", "error", err.Error())
	}
}

// closeTracingLocked stops the provider in force at gateway stop, after
// a last export.
func (a *App) closeTracingLocked() {
	if p := a.mu.tracing; p != nil {
		a.mu.tracing = nil
		shutdownTracing(p, a)
	}
}

// tracingStage is the trace stage of database db, nil when tracing is
// off.
func (a *App) tracingStage(p *tracing.Provider, db config.Database) stmt.Stage {
	if p == nil {
		return nil
	}
	return p.Stage(db.Name, db.Kind)
}
