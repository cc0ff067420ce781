package app

import (
	"context"
	"strings"
	"time"

	"github.com/floe-db/floe/internal/admin"
	"github.com/floe-db/floe/internal/advise"
	"github.com/floe-db/floe/internal/authn"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/policy"
)

// adviceTargets are the PostgreSQL and MySQL databases with advice on
// (all of them when name is ""), from the configuration in force.
func adviceTargets(cfg *config.Config, name string) []advise.Target {
	var out []advise.Target
	for _, db := range cfg.Databases {
		if (db.Kind != config.KindPostgres && db.Kind != config.KindMySQL) || (name != "" && db.Name != name) {
			continue
		}
		s := cfg.AdviceFor(db)
		if *s.Off {
			continue
		}
		out = append(out, advise.Target{Database: db.Name, Kind: db.Kind, DSN: db.Primary, Interval: s.Interval,
			Settings: advise.Settings{MinGain: s.MinGain, TopShapes: s.TopShapes}})
	}
	return out
}

// shapesOf lists the statement shapes recorded for db.
func (a *App) shapesOf(db string) []advise.Shape {
	var out []advise.Shape
	for _, q := range a.metrics.Statements.Top(0, "total") {
		if q.Database == db {
			out = append(out, advise.Shape{Query: q.Query, Count: q.Count, TotalMS: q.TotalMS})
		}
	}
	return out
}

// adviceTimeout bounds one request's computation of advice.
const adviceTimeout = 2 * time.Minute

// Advice returns the index advice of the databases q names; with a user,
// cut to the shapes that user may run. ok is false when the user is
// unknown.
func (a *App) Advice(ctx context.Context, q admin.AdviceQuery) (reports []advise.Report, ok bool) {
	if q.User == "" {
		ctx, cancel := context.WithTimeout(ctx, adviceTimeout)
		defer cancel()
		return a.advisor.Reports(ctx, adviceTargets(a.state.Load().cfg, q.Database), a.shapesOf, q.Refresh), true
	}
	u, found := a.state.Load().users.Lookup(q.User)
	if !found {
		return nil, false
	}
	return a.UserAdvice(ctx, u, q.Database, q.Refresh), true
}

// UserAdvice is the index advice a gateway user may see (dataapi.Advisor):
// of the databases the user may open, only the advice for shapes the
// policy lets the user run (Report.Filter with the policy's decision on
// each shape, which records nothing); the rest is never shown.
func (a *App) UserAdvice(ctx context.Context, u *authn.User, db string, refresh bool) []advise.Report {
	ctx, cancel := context.WithTimeout(ctx, adviceTimeout)
	defer cancel()
	pol := a.policyNow()
	var mine []advise.Target
	for _, t := range adviceTargets(a.state.Load().cfg, db) {
		if u.MayOpen(t.Database) && pol.Connect(u.Name, u.Roles, t.Database) == nil {
			mine = append(mine, t)
		}
	}
	reports := a.advisor.Reports(ctx, mine, a.shapesOf, refresh)
	for i, r := range reports {
		t := mine[i]
		reports[i] = r.Filter(func(query string) bool {
			return mayRunShape(pol, u.Name, u.Roles, t, query)
		})
		// A gateway user is never told the backend's server or login.
		if strings.HasPrefix(r.Note, advise.NoteUnreachable) {
			reports[i].Note = advise.NoteUnreachable
		}
	}
	return reports
}

// mayRunShape decides whether a user may run a statement of the shape:
// the policy's decision on the shape's text (its masked literals as
// parameters), recording nothing.
func mayRunShape(pol *policy.Policy, user string, roles []string, t advise.Target, query string) bool {
	if pol.Connect(user, roles, t.Database) != nil {
		return false
	}
	text := query
	d := policy.Postgres
	if t.Kind == config.KindMySQL {
		d = policy.MySQL
	} else {
		text, _ = advise.PostgresPlaceholders(query)
	}
	return pol.Permits(policy.Request{User: user, Roles: roles, Database: t.Database, Dialect: d,
		DefaultSchema: t.DefaultSchema(), Protocol: "http", Via: "advice", SQL: text})
}

// Advice implements admin.Advisor.
func (g adminGateway) Advice(ctx context.Context, q admin.AdviceQuery) ([]advise.Report, bool) {
	return g.a.Advice(ctx, q)
}
