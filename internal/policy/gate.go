package policy

import (
	"context"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/floe-db/floe/internal/analysis"
	"github.com/floe-db/floe/internal/audit"
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

	// masks are the masking rules for the session under maskedBy.
	maskedBy *Policy
	masks    *Masks

	// prepared are the statement names the session PREPAREd in SQL.
	prepared *PreparedNames
}

// NewGate binds src to a session.
func NewGate(src Source, base Request) *Gate {
	if src == nil {
		return nil
	}
	return &Gate{src: src, base: base, prepared: &PreparedNames{}}
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
		g.maskedBy = nil
	}
}

// Masks returns the masking rules for the session's user on its database
// under the policy in force (nil: nothing is masked).
func (g *Gate) Masks() *Masks {
	if g == nil {
		return nil
	}
	p := g.src()
	if p != g.maskedBy {
		g.maskedBy, g.masks = p, p.Masks(g.base.Roles, g.base.Database, g.base.DefaultSchema)
	}
	return g.masks
}

// Check decides on sql, which arrived via via (query, parse, prepare).
func (g *Gate) Check(ctx context.Context, via, sql string) Decision {
	return g.check(ctx, via, sql, nil)
}

// CheckAnalysis decides on the text of a, read once for every consumer.
func (g *Gate) CheckAnalysis(ctx context.Context, via string, a *analysis.Analysis) Decision {
	return g.check(ctx, via, a.Text, a)
}

func (g *Gate) check(ctx context.Context, via, sql string, a *analysis.Analysis) Decision {
	if g == nil {
		return Decision{}
	}
	p := g.src()
	if !p.Enabled() {
		if a != nil && a.Dialect() == g.base.Dialect {
			if err := a.Limits(); err != nil {
				return Decision{Denial: complexityDenial(err)}
			}
			return Decision{}
		}
		return Decision{Denial: checkComplexity(g.base.Dialect, sql)}
	}
	req := g.base
	req.Via, req.SQL, req.Prepared, req.Analysis = via, sql, g.prepared, a
	d := p.Check(ctx, req)
	if d.Allowed() {
		g.prepared.note(req.Dialect, d.Statements)
	}
	return d
}

// CheckTable decides on listing the columns of a table (MySQL
// COM_FIELD_LIST), as the SELECT * of it that would show them.
func (g *Gate) CheckTable(ctx context.Context, table string) Decision {
	return g.Check(ctx, "field_list", "SELECT * FROM `"+strings.ReplaceAll(table, "`", "``")+"` LIMIT 0")
}

// Run is one statement under way: the limits it holds and its statement
// timeout. Done ends it and records its outcome.
type Run struct {
	Bounds
	g     *Gate
	p     *Policy
	end   func()
	timer *time.Timer // calls cancel at the statement timeout
	start time.Time
	done  bool
	// rows and bytes of the result under way; over: its bound was passed.
	rows, bytes int64
	over        bool
	timedOut    atomic.Bool
}

// TimedOut reports whether the statement timeout cancelled the statement.
func (r *Run) TimedOut() bool { return r != nil && r.timedOut.Load() }

// Row counts a row of n bytes of the result under way. Past the result
// bounds it returns the denial that ends the result (once).
func (r *Run) Row(n int) *Denial {
	if r == nil || r.MaxRows == 0 && r.MaxBytes == 0 || r.over {
		return nil
	}
	r.rows++
	r.bytes += int64(n)
	var d *Denial
	switch {
	case r.MaxRows > 0 && r.rows > r.MaxRows:
		d = r.p.limitDenial("limit.result-rows", "the result has more than %d rows (limits: max_result_rows); the statement was stopped", r.MaxRows)
	case r.MaxBytes > 0 && r.bytes > r.MaxBytes:
		d = r.p.limitDenial("limit.result-bytes", "the result is larger than %d bytes (limits: max_result_bytes); the statement was stopped", r.MaxBytes)
	default:
		return nil
	}
	r.over = true
	return d
}

// NextResult starts counting the next result of the statement (a
// multi-statement text or an extended-protocol batch has several).
func (r *Run) NextResult() {
	if r != nil {
		r.rows, r.bytes, r.over = 0, 0, false
	}
}

// Begin applies the statement limits before a statement runs; cancel
// (which must be safe to call from another goroutine) stops the statement
// on the backend if it outlives the statement timeout.
func (g *Gate) Begin(cancel func()) (*Run, *Denial) { return g.BeginN(cancel, nil) }

// BeginN is Begin for a text of n() statements (asked only where a rate
// limit applies): each takes a rate token.
func (g *Gate) BeginN(cancel func(), n func() int) (*Run, *Denial) {
	if g == nil {
		return &Run{end: func() {}}, nil
	}
	p := g.src()
	end, b, den := p.BeginStatements(g.base.User, g.base.Database, g.base.Client, n)
	if den != nil {
		g.limitRefused(p, den)
		return nil, den
	}
	b.Timeout = tighter(b.Timeout, g.base.QueryTimeout)
	r := &Run{Bounds: b, g: g, p: p, end: end, start: time.Now()}
	if b.Timeout > 0 {
		r.timer = time.AfterFunc(b.Timeout, func() {
			r.timedOut.Store(true)
			cancel()
		})
	}
	return r, nil
}

// More takes the rate tokens of one more statement the run carries
// out (the next Execute of an extended-protocol batch).
func (r *Run) More() *Denial {
	if r == nil || r.g == nil || r.p == nil {
		return nil
	}
	den := r.p.TakeRate(r.g.base.User, r.g.base.Database, r.g.base.Client)
	if den != nil {
		r.g.limitRefused(r.p, den)
	}
	return den
}

// limitRefused records a statement the limits refused: the recent
// denials and an audit result record with the limit's code.
func (g *Gate) limitRefused(p *Policy, den *Denial) {
	p.noteDenial(g.base, den, "")
	if p.opts.Audit != nil {
		p.opts.Audit.Log(audit.Event{Type: "result", Fields: map[string]any{
			"user": g.base.User, "database": g.base.Database, "client": g.base.Client, "protocol": g.base.Protocol,
			"session": g.base.Session, "rows": 0, "error": den.Code, "rule": den.Rule,
		}})
	}
}

// Timeout is the statement timeout of the session's statements (0:
// none): the limits' and the database's own, the tighter.
func (g *Gate) Timeout() time.Duration {
	if g == nil {
		return 0
	}
	return tighter(g.src().StatementTimeout(g.base.User, g.base.Database, g.base.Client), g.base.QueryTimeout)
}

// Done gives the limits back and audits the outcome: rows returned or
// affected, and the error code ("" on success). Later calls do nothing.
func (r *Run) Done(rows int64, errCode string) {
	if r == nil || r.done {
		return
	}
	r.done = true
	if r.timer != nil {
		r.timer.Stop()
	}
	r.end()
	if r.p == nil || r.p.opts.Audit == nil {
		return
	}
	b := r.g.base
	f := make([]audit.Field, 0, 8) // in key order (audit.Event.Pairs)
	f = append(f, audit.String("client", b.Client), audit.String("database", b.Database),
		audit.Value("duration_ms", float64(time.Since(r.start).Microseconds())/1000))
	if errCode != "" {
		f = append(f, audit.String("error", errCode))
	}
	f = append(f, audit.String("protocol", b.Protocol), audit.Value("rows", rows), audit.Value("session", b.Session), audit.String("user", b.User))
	r.p.opts.Audit.Log(audit.Event{Type: "result", Pairs: f})
}

// Refuses reports whether the policy refuses protocol paths that carry
// no SQL text to check (the PostgreSQL function-call message).
func (g *Gate) Refuses() bool {
	p := g.Policy()
	return p != nil && (p.grants || p.firewallUsed())
}
