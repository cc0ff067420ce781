package app

import (
	"context"
	"crypto/x509"
	"errors"
	"net"
	"os"

	"github.com/floe-db/floe/internal/audit"
	"github.com/floe-db/floe/internal/authn"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/dataapi"
	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/sqlerr"
	"github.com/floe-db/floe/internal/stmt"
	"github.com/floe-db/floe/internal/wire/mysqlwire"
	"github.com/floe-db/floe/internal/wire/pgwire"
)

// policyNow is the policy.Source of every session: the policy of the
// configuration in force.
func (a *App) policyNow() *policy.Policy {
	if st := a.state.Load(); st != nil {
		return st.policy
	}
	return nil
}

// sinks holds what outlives one configuration: the audit writer and the
// firewall allow-list, kept across reloads while their files stay.
type sinks struct {
	audit     *audit.Writer
	auditCfg  config.AuditSinks
	allowlist *policy.Allowlist
}

// buildPolicy makes the policy of cfg, opening or reusing its sinks.
// It is called with a.mu held. commit puts the sinks in force once the
// whole configuration is accepted; discard closes what was newly opened
// when it is not.
func (a *App) buildPolicy(cfg *config.Config) (p *policy.Policy, commit, discard func(), err error) {
	var w *audit.Writer
	var newAudit bool
	if c := cfg.Audit; c != nil {
		if a.mu.sinks.audit != nil && a.mu.sinks.auditCfg == *c {
			w = a.mu.sinks.audit
		} else {
			opts := audit.Options{MaxBytes: c.MaxSize, Queue: c.Buffer, Block: c.OnFull == "block", Dropped: a.metrics.AuditDropped.Inc,
				Key: []byte(c.Key), Checkpoints: c.Checkpoints, CheckpointEvery: c.CheckpointEvery, CheckpointInterval: c.CheckpointInterval}
			if c.Stdout {
				opts.Tee = a.opts.Stdout
			}
			if w, err = audit.Open(c.File, opts); err != nil {
				return nil, nil, nil, err
			}
			newAudit = true
		}
	}
	var list *policy.Allowlist
	var newList bool
	if fw := cfg.Firewall; fw != nil && fw.Allowlist != "" {
		if a.mu.sinks.allowlist != nil && a.mu.sinks.allowlist.Path() == fw.Allowlist {
			list = a.mu.sinks.allowlist
			if err := list.Reload(); err != nil {
				a.closeNew(w, newAudit, nil, false)
				return nil, nil, nil, err
			}
		} else {
			if list, err = policy.OpenAllowlist(fw.Allowlist, a.log.With("component", "firewall"), nil); err != nil {
				a.closeNew(w, newAudit, nil, false)
				return nil, nil, nil, err
			}
			newList = true
		}
	}
	opts := policy.Options{Log: a.log.With("component", "policy"), Metrics: a.metrics, Allowlist: list, Counters: a.counters, Denials: a.denials}
	if sl, ok := a.store.(policy.SharedLimiter); ok {
		opts.Shared = sl
	}
	if w != nil {
		opts.Audit = w
	}
	p, err = policy.New(cfg, opts)
	if err != nil {
		a.closeNew(w, newAudit, list, newList)
		return nil, nil, nil, err
	}
	commit = func() {
		old := a.mu.sinks
		a.mu.sinks = sinks{audit: w, allowlist: list}
		if cfg.Audit != nil {
			a.mu.sinks.auditCfg = *cfg.Audit
		}
		if old.audit != nil && old.audit != w {
			_ = old.audit.Close()
		}
		if old.allowlist != nil && old.allowlist != list {
			_ = old.allowlist.Close()
		}
	}
	discard = func() { a.closeNew(w, newAudit, list, newList) }
	return p, commit, discard, nil
}

func (a *App) closeNew(w *audit.Writer, newAudit bool, l *policy.Allowlist, newList bool) {
	if newAudit && w != nil {
		_ = w.Close()
	}
	if newList && l != nil {
		_ = l.Close()
	}
}

// onAuth audits an authentication attempt.
func (a *App) onAuth(protocol string) func(user, db string, client net.Addr, err error) {
	return func(user, db string, client net.Addr, err error) {
		p := a.policyNow()
		if p == nil {
			return
		}
		p.LoginResult(user, policy.HostOf(client), err == nil)
		f := map[string]any{"protocol": protocol, "user": user, "database": db, "client": policy.HostOf(client), "ok": err == nil}
		if err != nil {
			f["error"] = err.Error()
		}
		p.Audit(audit.Event{Type: "auth", Fields: f})
	}
}

// screenLogin applies the network rules to the user and database a wire
// client names, before its password is checked; roles are the user's in
// the configuration (none for a name no user has).
func (a *App) screenLogin(protocol, user, db string, client net.Addr) *policy.Denial {
	// A name that is not a gateway user may still log in with a token
	// (oidc.wire) whose groups give its roles: they are not known until
	// the token is verified, so rules naming roles wait for the connect
	// stage.
	var roles []string
	u, known := a.Users().Lookup(user)
	if known {
		roles = u.Roles
	}
	return a.policyNow().ScreenNetwork(policy.NetLogin, policy.NetFacts{Client: policy.AddrOf(client), Protocol: protocol,
		User: user, Roles: roles, RolesKnown: known, Database: db})
}

// screenAccept applies the network rules to a connection just accepted
// on the listener of protocol: the bytes it is sent when refused (a
// minimal error in its protocol: PostgreSQL's FATAL 28000, MySQL's ERR
// 1130 in place of the handshake, HTTP 403 on a plain-text listener;
// nothing on a TLS one or to Flight SQL, which are closed).
func (a *App) screenAccept(protocol string, plainHTTP bool) func(net.Conn) ([]byte, bool) {
	return func(nc net.Conn) ([]byte, bool) {
		den := a.policyNow().ScreenNetwork(policy.NetAccept, policy.NetFacts{Client: policy.AddrOf(nc.RemoteAddr()), Protocol: protocol})
		if den == nil {
			return nil, true
		}
		switch {
		case protocol == "postgres":
			return pgwire.Refusal(den), false
		case protocol == "mysql":
			return mysqlwire.Refusal(mysqlwire.ErrorOf(den)), false
		case protocol == "http" && plainHTTP:
			return dataapi.Refusal(den), false
		}
		return nil, false
	}
}

// admit applies the connect-time policy (grants, connection limits) and
// audits its decision.
func (a *App) admit(protocol string, u *authn.User, db string, client net.Addr) (func(), *policy.Denial) {
	p := a.policyNow()
	host := policy.HostOf(client)
	f := map[string]any{"protocol": protocol, "user": u.Name, "database": db, "client": host, "decision": "allowed"}
	release := func() {}
	var den *policy.Denial
	if a.adminDrained.Load() {
		den = &policy.Denial{Rule: "drained", Code: sqlerr.CannotConnectNow, Errno: sqlerr.ErServerShutdown,
			Message: "this Floe instance is drained for maintenance; connect to another instance"}
	} else if den = p.ScreenNetwork(policy.NetConnect, policy.NetFacts{Client: policy.AddrOf(client), Protocol: protocol,
		User: u.Name, Roles: u.Roles, RolesKnown: true, Database: db, Final: true}); den == nil {
		den = p.Connect(u.Name, u.Roles, db)
	}
	if den == nil {
		den = a.identityDenial(u, db)
	}
	if den == nil {
		release, den = p.OpenConnection(u.Name, db, host)
	}
	if den != nil {
		f["decision"], f["reason"] = "denied", den.Message
		f["rule"] = den.Rule
	}
	p.Audit(audit.Event{Type: "connect", Fields: f})
	return release, den
}

// AdmitPostgres implements pgwire.Gateway.
func (a *App) AdmitPostgres(u *authn.User, db string, client net.Addr) (func(), *pgwire.Error) {
	release, den := a.admit("postgres", u, db, client)
	if den != nil {
		return nil, pgwire.ErrorOf(den)
	}
	return release, nil
}

// AdmitMySQL implements mysqlwire.Gateway.
func (a *App) AdmitMySQL(u *authn.User, db string, client net.Addr) (func(), *mysqlwire.Error) {
	release, den := a.admit("mysql", u, db, client)
	if den != nil {
		return nil, mysqlwire.ErrorOf(den)
	}
	return release, nil
}

// connect audits the end of a session.
func (a *App) connect(protocol, user string, db string, client net.Addr, serve func() error) error {
	p := a.policyNow()
	host := policy.HostOf(client)
	err := serve()
	f := map[string]any{"protocol": protocol, "user": user, "database": db, "client": host}
	if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, os.ErrDeadlineExceeded) {
		f["error"] = err.Error()
	}
	p.Audit(audit.Event{Type: "disconnect", Fields: f})
	return err
}

// gatedPG audits the end of a PostgreSQL session.
type gatedPG struct {
	a  *App
	db string
	h  pgwire.Handler
}

func (g gatedPG) Serve(ctx context.Context, c *pgwire.Conn) error {
	return g.a.connect("postgres", c.User.Name, g.db, c.RemoteAddr, func() error { return g.h.Serve(ctx, c) })
}

// gatedMy audits the end of a MySQL session.
type gatedMy struct {
	a  *App
	db string
	h  mysqlwire.Handler
}

func (g gatedMy) Serve(ctx context.Context, c *mysqlwire.Conn) error {
	return g.a.connect("mysql", c.User.Name, g.db, c.RemoteAddr, func() error { return g.h.Serve(ctx, c) })
}

// PolicyNow implements dataapi.Gateway.
func (a *App) PolicyNow() *policy.Policy { return a.policyNow() }

// OIDC implements dataapi.Gateway.
func (a *App) OIDC() *authn.OIDC { return a.state.Load().oidc }

// RecheckCertificate implements dataapi.Gateway.
func (a *App) RecheckCertificate(chain []*x509.Certificate) error { return a.tlsm.Recheck(chain) }

// Tokens implements dataapi.Gateway.
func (a *App) Tokens() *authn.Tokens { return a.tokens }

// Source implements dataapi.Gateway.
func (a *App) Source(db string, roles []string) (dataapi.Source, bool) {
	s, ok := a.state.Load().sources[db]
	if ls, isLogins := s.(*loginSources); isLogins {
		return ls.For(roles)
	}
	return s, ok
}

// Pipeline implements dataapi.Gateway: the statement pipeline of the
// handler that serves db's clients of dialect d, when it keeps one.
func (a *App) Pipeline(db string, d policy.Dialect) *stmt.Pipeline {
	st := a.state.Load()
	var h any = st.handlers[db]
	if d == policy.MySQL {
		h = st.myHandlers[db]
	}
	if b, ok := h.(interface{ Pipeline() *stmt.Pipeline }); ok {
		return b.Pipeline()
	}
	return nil
}

// Databases implements dataapi.Gateway.
func (a *App) Databases() []string {
	cfg := a.state.Load().cfg
	out := make([]string, len(cfg.Databases))
	for i, d := range cfg.Databases {
		out[i] = d.Name
	}
	return out
}

// Admit implements dataapi.Gateway.
func (a *App) Admit(protocol string, u *authn.User, db string, client net.Addr) (func(), *policy.Denial) {
	return a.admit(protocol, u, db, client)
}

// AuthResult implements dataapi.Gateway.
func (a *App) AuthResult(protocol, user, db string, client net.Addr, err error) {
	a.onAuth(protocol)(user, db, client, err)
}

// identityDenial refuses a user whose roles map no backend login (or two
// different ones) on a database with identities.
func (a *App) identityDenial(u *authn.User, db string) *policy.Denial {
	st := a.state.Load()
	if st == nil {
		return nil
	}
	d, ok := st.cfg.Database(db)
	if !ok {
		return nil
	}
	if _, err := d.IdentityFor(u.Roles); err != nil {
		return &policy.Denial{Rule: "identity", Code: sqlerr.InsufficientPrivilege, Errno: sqlerr.ErDBAccessDenied, Message: err.Error()}
	}
	return nil
}
