package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"slices"

	"github.com/floe-db/floe/arrowsql"
	"github.com/floe-db/floe/internal/backend"
	"github.com/floe-db/floe/internal/backend/cluster"
	"github.com/floe-db/floe/internal/backend/sqlite"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/dataapi"
	"github.com/floe-db/floe/internal/policy"
)

// The data-API source of a PostgreSQL or MySQL database runs on the same
// backend as the database's wire relay: it keeps pools of its own (one
// per server and backend login) but places every statement, and dials
// every connection, through the relay's routing state (dataServers), so
// failover, replica reads, connect retries and circuit breakers apply to
// HTTP and Flight SQL as they do to wire sessions.

// sourceOf is a data-API source, the database settings it was made from
// and the relay routing state it places statements with (a reload keeps
// it while all three stay).
type sourceOf struct {
	src     dataapi.Source
	db      config.Database
	servers dataapi.Servers
	groups  []tls.CurveID // tls.groups of its connections
}

// dataServers is the routing state of the relay that serves a database
// (nil for a database without one: an SQLite file).
func dataServers(d backend.Database) dataapi.Servers {
	if r, ok := d.(interface{ DataServers() cluster.Placer }); ok {
		return r.DataServers()
	}
	return nil
}

// sourceFor returns the data-API source of db, reusing the running one
// while its settings, relay and TLS groups stay. e is the database's
// SQLite engine, if any; servers its relay's routing state; groups the
// key-exchange groups its TLS connections offer (tls.groups).
func (a *App) sourceFor(db config.Database, e *sqlite.Engine, servers dataapi.Servers, groups []tls.CurveID, leases cluster.LeaseFor) (sourceOf, error) {
	if e != nil {
		if cur, ok := a.mu.sources[db.Name]; ok && cur.db.Path == db.Path && cur.db.Kind == db.Kind {
			return cur, nil
		}
		return sourceOf{src: dataapi.NewSQLite(e.DB()), db: db}, nil
	}
	if cur, ok := a.mu.sources[db.Name]; ok && sameSource(cur.db, db) && cur.servers == servers && slices.Equal(cur.groups, groups) {
		return cur, nil
	}
	if servers == nil {
		return sourceOf{}, fmt.Errorf("database %s: no data-API source for kind %q", db.Name, db.Kind)
	}
	src, err := newLoginSources(db, servers, groups, leases)
	if err != nil {
		return sourceOf{}, fmt.Errorf("database %s: %w", db.Name, err)
	}
	return sourceOf{src: src, db: db, servers: servers, groups: groups}, nil
}

// sameSource reports whether a and b describe the same data-API source:
// kind, servers (passwords included), pool settings and logins.
func sameSource(a, b config.Database) bool {
	return a.Kind == b.Kind && a.Primary == b.Primary && a.Pool == b.Pool &&
		slices.EqualFunc(a.Replicas, b.Replicas, func(x, y config.Replica) bool { return x.DSN == y.DSN }) &&
		slices.EqualFunc(a.Identities, b.Identities, func(x, y config.Identity) bool {
			return x.Role == y.Role && x.User == y.User && x.Password == y.Password && x.Login() == y.Login()
		})
}

// newSource makes the source of db for one backend login.
func newSource(db config.Database, servers dataapi.Servers, login dataapi.Login, groups []tls.CurveID) (dataapi.Source, error) {
	if db.Kind == config.KindMySQL {
		return dataapi.NewMySQLOn(db, servers, login, groups)
	}
	return dataapi.NewPostgresOn(db, servers, login, groups)
}

// loginSources is the data-API source of a database with backend
// identities: one source (and pools) per backend login, so that HTTP and
// Flight SQL statements run with the privileges of the caller's roles'
// login, as wire sessions do, and connections never pass between logins.
// A database without identities has a single source (login 0).
type loginSources struct {
	logins *cluster.Logins
	srcs   []dataapi.Source
}

// newLoginSources makes the sources of db's logins; leases gives the
// leases of its logins leased from Vault, whose sources (leasedSource)
// follow their rotations.
func newLoginSources(db config.Database, servers dataapi.Servers, groups []tls.CurveID, leases cluster.LeaseFor) (dataapi.Source, error) {
	if len(db.Identities) == 0 {
		return newSource(db, servers, dataapi.Login{}, groups)
	}
	ls := &loginSources{logins: cluster.NewLogins(db, leases)}
	for i := range ls.logins.Len() {
		if ls.logins.Leased(i) {
			src, err := newLeasedSource(ls.logins, i, func(login dataapi.Login) (dataapi.Source, error) {
				return newSource(db, servers, login, groups)
			})
			if err != nil {
				ls.Close()
				return nil, err
			}
			ls.srcs = append(ls.srcs, src)
			continue
		}
		var login dataapi.Login
		if i > 0 {
			login = dataapi.Login{User: ls.logins.User(i), Password: ls.logins.Password(i)}
		}
		src, err := newSource(db, servers, login, groups)
		if err != nil {
			ls.Close()
			return nil, err
		}
		ls.srcs = append(ls.srcs, src)
	}
	ls.logins.Watch(func(i int) func() bool {
		if s, ok := ls.srcs[i].(*leasedSource); ok {
			return s.Drain()
		}
		return func() bool { return true }
	})
	return ls, nil
}

// For returns the source of the login roles run as; when they map none
// (admission refuses such callers), l itself, which describes the
// database but runs nothing.
func (l *loginSources) For(roles []string) (dataapi.Source, bool) {
	i, err := l.logins.For(roles)
	if err != nil {
		return l, true
	}
	return l.srcs[i], true
}

func (l *loginSources) Kind() string            { return l.srcs[0].Kind() }
func (l *loginSources) Dialect() policy.Dialect { return l.srcs[0].Dialect() }
func (l *loginSources) DefaultSchema() string   { return l.srcs[0].DefaultSchema() }
func (l *loginSources) Close() {
	l.logins.Unwatch()
	for _, s := range l.srcs {
		if s != nil {
			s.Close()
		}
	}
}

// Query refuses: a statement runs on the source of a login (For).
func (l *loginSources) Query(context.Context, string, []any, arrowsql.Options) (*arrowsql.Reader, error) {
	return nil, errors.New("no backend login chosen for the statement")
}
