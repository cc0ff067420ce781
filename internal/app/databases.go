package app

import (
	"context"
	"fmt"

	"github.com/floe-db/floe/internal/backend"
	"github.com/floe-db/floe/internal/backend/cluster"
	"github.com/floe-db/floe/internal/backend/myrelay"
	"github.com/floe-db/floe/internal/backend/pgrelay"
	"github.com/floe-db/floe/internal/backend/sqlite"
	"github.com/floe-db/floe/internal/backend/sqlite/sqlitedb"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/wire/mysqlwire"
	"github.com/floe-db/floe/internal/wire/pgwire"
)

// openDatabase opens the backend.Database that serves db, by kind: the
// one place that knows which package serves which kind. leaseFor gives
// the relays the leases of their logins from Vault. Settings come
// later (Apply), for new and kept databases alike.
func (a *App) openDatabase(ctx context.Context, cfg *config.Config, db config.Database, leaseFor cluster.LeaseFor) (backend.Database, error) {
	switch db.Kind {
	case config.KindPostgres:
		r, err := pgrelay.New(db, pgrelay.Options{Leases: leaseFor}, a.log.With("component", "pgrelay"), a.metrics)
		if err != nil {
			return nil, err
		}
		return r, nil
	case config.KindMySQL:
		r, err := myrelay.New(db, myrelay.Options{Leases: leaseFor}, a.log.With("component", "myrelay"), a.metrics)
		if err != nil {
			return nil, err
		}
		return r, nil
	case config.KindSQLite:
		d, err := sqlitedb.Open(ctx, db.Name, db.Path, a.log.With("component", "sqlite"), a.metrics)
		if err != nil {
			return nil, err
		}
		if cfg.Demo {
			if err := sqlite.SeedDemo(ctx, d.Engine().DB()); err != nil {
				d.Close()
				return nil, fmt.Errorf("demo database: %w", err)
			}
		}
		return d, nil
	}
	return nil, fmt.Errorf("database %s: no backend for kind %q", db.Name, db.Kind)
}

// handlersOf returns the handlers that serve the database to each
// protocol's clients; a client of a protocol the database does not speak
// is told which client to use.
func handlersOf(name string, d backend.Database) (pgwire.Handler, mysqlwire.Handler) {
	pg, my := d.Postgres(), d.MySQL()
	if pg == nil {
		pg = wrongProtocol(name)
	}
	if my == nil {
		my = wrongMySQL(name)
	}
	return pg, my
}
