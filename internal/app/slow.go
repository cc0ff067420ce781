package app

import (
	"github.com/floe-db/floe/internal/analysis"
	"github.com/floe-db/floe/internal/backend"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/insight"
	"github.com/floe-db/floe/internal/stmt"
)

// slowStage is the slow-statement log's stage of database db served by
// d, nil unless db sets a threshold (its records outlive reloads in
// a.slow; d captures the plans when it can: the relays).
func (a *App) slowStage(cfg *config.Config, db config.Database, d backend.Database) stmt.Stage {
	set := cfg.SlowFor(db)
	if !set.Enabled() {
		return nil
	}
	dialect := analysis.Postgres
	if db.Kind == config.KindMySQL {
		dialect = analysis.MySQL
	}
	ex, _ := d.(insight.Explainer)
	st := insight.NewStage(insight.Settings{Database: db.Name, Dialect: dialect, Threshold: set.Threshold,
		Plans: set.Plans, PlanInterval: set.PlanInterval, PlanTimeout: set.PlanTimeout},
		a.slow.Log(db.Name, set.Keep), ex, a.metrics.SlowStatements.WithLabelValues(db.Name))
	return st
}

// Slow lists the slow-statement log (GET /api/v1/slow).
func (g adminGateway) Slow(database string, limit int) any {
	return g.a.slow.List(database, limit)
}
