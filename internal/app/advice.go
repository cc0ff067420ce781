package app

import (
	"context"
	"time"

	"github.com/floe-db/floe/internal/admin"
	"github.com/floe-db/floe/internal/advise"
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
// cut to the shapes that user may run (Report.Filter with the policy's
// decision on each shape). ok is false when the user is unknown.
func (a *App) Advice(ctx context.Context, q admin.AdviceQuery) (reports []advise.Report, ok bool) {
	st := a.state.Load()
	ctx, cancel := context.WithTimeout(ctx, adviceTimeout)
	defer cancel()
	targets := adviceTargets(st.cfg, q.Database)
	if q.User == "" {
		return a.advisor.Reports(ctx, targets, a.shapesOf, q.Refresh), true
	}
	u, found := st.users.Lookup(q.User)
	if !found {
		return nil, false
	}
	// Only the databases the user may open are read at all.
	var mine []advise.Target
	for _, t := range targets {
		if u.MayOpen(t.Database) {
			mine = append(mine, t)
		}
	}
	reports = a.advisor.Reports(ctx, mine, a.shapesOf, q.Refresh)
	pol := a.policyNow()
	for i, r := range reports {
		t := mine[i]
		reports[i] = r.Filter(func(query string) bool {
			return mayRunShape(pol, u.Name, u.Roles, t, query)
		})
	}
	return reports, true
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
