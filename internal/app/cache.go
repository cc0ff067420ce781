package app

import (
	"context"
	"fmt"
	"slices"

	"github.com/floe-db/floe/internal/admin"
	"github.com/floe-db/floe/internal/analysis"
	rcache "github.com/floe-db/floe/internal/cache"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/stmt"
)

// withCache appends database db's result cache to its stages when
// enabled (kept across reloads while its settings stay the same), noted
// in caches for Commit.
func (a *App) withCache(stages []stmt.Stage, db config.Database, caches map[string]*rcache.Cache) []stmt.Stage {
	if db.Cache == nil || !db.Cache.Enabled {
		return stages
	}
	d := analysis.Postgres
	if db.Kind == "mysql" {
		d = analysis.MySQL
	}
	// An embedded database is written only through Floe: the stage's
	// write tracking sees every change.
	c, _ := a.caches.Prepare(rcache.Options{Database: db.Name, Dialect: d, Config: *db.Cache, Metrics: a.metrics, Complete: db.Kind == config.KindSQLite,
		Log: a.log.With("component", "cache", "database", db.Name)})
	caches[db.Name] = c
	return append(slices.Clip(stages), c)
}

// discardCaches keeps, of a refused configuration, the caches of the
// databases whose pipelines already took them (backend Apply runs as
// each database is built), so that invalidations reach the stage in use.
func (a *App) discardCaches(caches map[string]*rcache.Cache) { a.caches.Put(caches) }

// Caches are the databases' result caches: change events reach them
// through Invalidate, a database's change feed through SetFeed.
func (a *App) Caches() *rcache.Caches { return a.caches }

var _ admin.CacheAdmin = adminGateway{}

// CacheExplain says whether sql would be served from database db's cache.
func (g adminGateway) CacheExplain(db, sql string) (any, error) {
	c := g.a.caches.Get(db)
	if c == nil {
		return nil, fmt.Errorf("database %q has no result cache: %w", db, admin.ErrNotFound)
	}
	return c.ExplainSQL(sql), nil
}

// CacheStats reports every database's cache.
func (g adminGateway) CacheStats(top int) any {
	out := []rcache.Stats{}
	for _, c := range g.a.caches.All() {
		out = append(out, c.Stats(top))
	}
	return out
}

// CachePurge drops the entries of table ("": every entry) of database db
// ("": every database); it returns the entries dropped.
func (g adminGateway) CachePurge(ctx context.Context, db, table string) (int, error) {
	n := 0
	found := false
	for _, c := range g.a.caches.All() {
		if db != "" && c.Database() != db {
			continue
		}
		found = true
		n += c.Purge(ctx, table)
	}
	if db != "" && !found {
		return 0, fmt.Errorf("database %q has no result cache: %w", db, admin.ErrNotFound)
	}
	return n, nil
}
