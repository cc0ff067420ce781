package app

import (
	"context"
	"errors"

	"github.com/floe-db/floe/arrowsql"
	"github.com/floe-db/floe/internal/backend/cluster"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/dataapi"
	"github.com/floe-db/floe/internal/policy"
)

// loginSources is the data-API source of a database with backend
// identities: one source (and pool) per backend login, so that HTTP and
// Flight SQL statements run with the privileges of the caller's roles'
// login, as wire sessions do, and connections never pass between logins.
// A database without identities has a single source (login 0).
type loginSources struct {
	logins *cluster.Logins
	srcs   []dataapi.Source
}

func newLoginSources(db config.Database, mk func(config.Database) (dataapi.Source, error)) (dataapi.Source, error) {
	if len(db.Identities) == 0 {
		return mk(db)
	}
	ls := &loginSources{logins: cluster.NewLogins(db)}
	for i := range ls.logins.Len() {
		d := db
		if i > 0 {
			d.Primary = config.WithLogin(db.Primary, ls.logins.User(i), ls.logins.Password(i))
		}
		src, err := mk(d)
		if err != nil {
			ls.Close()
			return nil, err
		}
		ls.srcs = append(ls.srcs, src)
	}
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
	for _, s := range l.srcs {
		s.Close()
	}
}

// Query refuses: a statement runs on the source of a login (For).
func (l *loginSources) Query(context.Context, string, []any, arrowsql.Options) (*arrowsql.Reader, error) {
	return nil, errors.New("no backend login chosen for the statement")
}
