package app

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/floe-db/floe/internal/admin"
	"github.com/floe-db/floe/internal/audit"
	"github.com/floe-db/floe/internal/authn"
	"github.com/floe-db/floe/internal/observe"
	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/pool"
	"github.com/floe-db/floe/internal/sqltext"
)

// adminGateway is the app as the admin API sees it.
type adminGateway struct{ a *App }

var _ admin.Gateway = adminGateway{}

func (g adminGateway) Ready() (bool, string) { return g.a.ready() }

func (g adminGateway) Tokens() *admin.Tokens { return g.a.state.Load().adminTokens }

func (g adminGateway) OIDC() *authn.OIDC { return g.a.state.Load().oidc }

func (g adminGateway) Backends() any { return g.a.backendStatuses() }

// Secrets lists the cloud secret references in use, without values.
func (g adminGateway) Secrets() any { return g.a.secrets.List() }

func (g adminGateway) Pools() any { return g.a.poolStats() }

// Leases implements admin.LeaseLister.
func (g adminGateway) Leases() any { return g.a.leaseStatuses() }

func (g adminGateway) Sessions() []admin.Session {
	var out []admin.Session
	at := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		return &t
	}
	if g.a.pg != nil {
		for _, s := range g.a.pg.Sessions() {
			out = append(out, admin.Session{ID: "pg-" + strconv.FormatUint(uint64(s.ID), 10), Protocol: "postgres",
				User: s.User, Database: s.Database, Client: s.Client, State: s.State,
				Statement: maskedStatement(s.Statement, sqltext.Mask), StatementSince: at(s.StatementSince), Since: s.Connected})
		}
	}
	if g.a.my != nil {
		for _, s := range g.a.my.Sessions() {
			out = append(out, admin.Session{ID: "my-" + strconv.FormatUint(uint64(s.ID), 10), Protocol: "mysql",
				User: s.User, Database: s.Database, Client: s.Client, State: s.State,
				Statement: maskedStatement(s.Statement, sqltext.MaskMySQL), StatementSince: at(s.StatementSince), Since: s.Connected})
		}
	}
	slices.SortFunc(out, func(x, y admin.Session) int { return x.Since.Compare(y.Since) })
	if out == nil {
		out = []admin.Session{}
	}
	return out
}

// maskedStatement is a statement text with its literals masked, cut to a
// length a session list can show.
func maskedStatement(sql string, mask func(string) string) string {
	if sql == "" {
		return ""
	}
	m := mask(sql)
	if len(m) > 2048 {
		m = m[:2048] + "…"
	}
	return m
}

// sessionID splits an admin session id (pg-<pid>, my-<id>).
func sessionID(id string) (protocol string, n uint32, ok bool) {
	proto, num, found := strings.Cut(id, "-")
	v, err := strconv.ParseUint(num, 10, 32)
	if !found || err != nil || (proto != "pg" && proto != "my") {
		return "", 0, false
	}
	return proto, uint32(v), true
}

func (g adminGateway) CancelSession(id string) bool {
	proto, n, ok := sessionID(id)
	switch {
	case !ok:
		return false
	case proto == "pg":
		return g.a.pg.CancelQuery(n)
	}
	return g.a.my.CancelQuery(n)
}

func (g adminGateway) KillSession(id string) bool {
	proto, n, ok := sessionID(id)
	switch {
	case !ok:
		return false
	case proto == "pg":
		return g.a.pg.Terminate(n)
	}
	return g.a.my.Terminate(n)
}

func (g adminGateway) Stats() admin.Stats {
	_, denials := g.a.denials.Recent(1)
	n := 0
	if g.a.pg != nil {
		n += len(g.a.pg.Sessions())
	}
	if g.a.my != nil {
		n += len(g.a.my.Sessions())
	}
	return admin.Stats{Time: time.Now(), Statements: g.a.metrics.Statements.Totals(), Denials: denials, Sessions: n, Pools: g.a.poolStats()}
}

func (g adminGateway) TopQueries(limit int, sort string) []observe.QueryStat {
	return g.a.metrics.Statements.Top(limit, sort)
}

func (g adminGateway) Denials(limit int) ([]observe.Denial, uint64) { return g.a.denials.Recent(limit) }

func (g adminGateway) Reload(ctx context.Context) error {
	if g.a.state.Load().cfg.Demo {
		return errors.New("demo mode has no configuration file to reload")
	}
	return g.a.reload(ctx)
}

func (g adminGateway) SetDrained(on bool) {
	if g.a.adminDrained.Swap(on) != on {
		if on {
			g.a.log.Warn("instance drained by the admin API: new client sessions are refused")
		} else {
			g.a.log.Info("instance back in service (admin API)")
		}
	}
}

func (g adminGateway) AuditAdmin(fields map[string]any) {
	g.a.policyNow().Audit(audit.Event{Type: "admin", Fields: fields})
}

// PoolStat is one backend pool as the admin API shows it.
type PoolStat struct {
	Database string `json:"database"`
	Kind     string `json:"kind"`
	Server   string `json:"server"`
	Mode     string `json:"mode"`
	Size     int    `json:"size"`
	pool.Stats
}

// poolStats lists the pools of every relayed database.
func (a *App) poolStats() []PoolStat {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := []PoolStat{}
	cfg := a.state.Load().cfg
	for _, db := range cfg.Databases {
		d := a.mu.dbs[db.Name]
		if d == nil {
			continue
		}
		for _, s := range d.PoolStats() {
			out = append(out, PoolStat{Database: db.Name, Kind: db.Kind, Server: s.Server, Mode: db.Pool.Mode, Size: db.Pool.Size, Stats: s.Stats})
		}
	}
	return out
}

func (g adminGateway) Allowlist() ([]policy.Entry, bool) {
	g.a.mu.Lock()
	l := g.a.mu.sinks.allowlist
	g.a.mu.Unlock()
	if l == nil {
		return nil, false
	}
	return l.Entries(), true
}

func (g adminGateway) Forget(user, db, fp string) (found, ok bool) {
	g.a.mu.Lock()
	l := g.a.mu.sinks.allowlist
	g.a.mu.Unlock()
	if l == nil {
		return false, false
	}
	return l.Forget(user, db, fp), true
}
