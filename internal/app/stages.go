package app

import (
	"github.com/floe-db/floe/internal/backend"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/stmt"
	"github.com/floe-db/floe/internal/tracing"
)

// stagesFor are the pipeline stages of database db served by d, after
// the built-in statement statistics: the embedding program's, then the
// configured ones (traces, the slow-statement log) in that order; build
// adds the metadata invalidation and the result cache after them
// (withMetadata, withCache).
func (a *App) stagesFor(cfg *config.Config, p *tracing.Provider, db config.Database, d backend.Database) []stmt.Stage {
	out := make([]stmt.Stage, 0, len(a.opts.Stages)+2)
	out = append(out, a.opts.Stages...)
	for _, st := range []stmt.Stage{a.tracingStage(p, db), a.slowStage(cfg, db, d)} {
		if st != nil {
			out = append(out, st)
		}
	}
	return out
}
