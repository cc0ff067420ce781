package policy

import (
	"context"
	"net"
	"time"
)

// Source returns the policy in force; it changes on reload, so sessions
// ask for it at every check and a revoked grant applies at once.
type Source func() *Policy

// Gate is one client session's view of the policy: who is asking, from
// where, in which dialect. A nil Gate, or one whose source has no policy,
// allows everything.
type Gate struct {
	src  Source
	base Request
}

// NewGate binds src to a session.
func NewGate(src Source, base Request) *Gate {
	if src == nil {
		return nil
	}
	return &Gate{src: src, base: base}
}

// HostOf returns the host part of a client address.
func HostOf(a net.Addr) string {
	if a == nil {
		return ""
	}
	h, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return h
}

// Enabled reports whether checks are configured now.
func (g *Gate) Enabled() bool { return g != nil && g.src().Enabled() }

// Policy returns the policy in force (nil when none).
func (g *Gate) Policy() *Policy {
	if g == nil {
		return nil
	}
	return g.src()
}

// SetDatabase changes the session's logical database (MySQL USE).
func (g *Gate) SetDatabase(db, defaultSchema string) {
	if g != nil {
		g.base.Database, g.base.DefaultSchema = db, defaultSchema
	}
}

// Check decides on sql, which arrived via via (query, parse, prepare).
func (g *Gate) Check(ctx context.Context, via, sql string) Decision {
	if g == nil {
		return Decision{}
	}
	p := g.src()
	if !p.Enabled() {
		return Decision{}
	}
	req := g.base
	req.Via, req.SQL = via, sql
	return p.Check(ctx, req)
}

// Begin applies the statement limits before a statement runs: end must
// be called after it; timeout (0: none) is when the caller should cancel
// it.
func (g *Gate) Begin() (end func(), timeout time.Duration, den *Denial) {
	if g == nil {
		return func() {}, 0, nil
	}
	return g.src().BeginStatement(g.base.User, g.base.Database, g.base.Client)
}

// Refuses reports whether the policy refuses protocol paths that carry
// no SQL text to check (the PostgreSQL function-call message).
func (g *Gate) Refuses() bool {
	p := g.Policy()
	return p != nil && (p.grants || p.firewallUsed())
}
