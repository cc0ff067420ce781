package cache

import (
	"context"
	"strings"
	"time"

	"github.com/floe-db/floe/internal/analysis"
	"github.com/floe-db/floe/internal/sqlparse"
	"github.com/floe-db/floe/internal/stmt"
)

// sessionKey keys a session's cache state (stmt.Session.Value).
type sessionKey struct{}

// session is what the cache follows of one client session, statement by
// statement: its transaction and what it wrote in it, whether it made a
// temporary table, when it last wrote each table.
type session struct {
	inTx     bool // an explicit transaction is open
	manual   bool // MySQL autocommit is off: every statement is in one
	txWrote  bool
	txTables []string
	txAll    bool // the transaction wrote tables not known by name
	temp     bool
	wrote    map[string]time.Time
}

func sessionOf(st *stmt.Statement) *session {
	s := st.Session()
	if s == nil {
		return &session{}
	}
	if v, ok := s.Value(sessionKey{}).(*session); ok {
		return v
	}
	v := &session{}
	s.SetValue(sessionKey{}, v)
	return v
}

// handle is one statement's use of the cache: stmt.Cached.
type handle struct {
	c       *Cache
	st      *stmt.Statement
	ss      *session
	reason  Reason
	masked  string
	tables  []string
	vers    versions
	ttl     time.Duration
	fill    bool // fills are allowed (outside a transaction)
	status  string
	writes  []string
	allW    bool // writes tables not known by name
	endTx   bool
	flights map[string]*flight
	recs    []*recorder
	begun   bool
	rvers   []string // the shared tier's versions of the tables (fills)
	rok     bool     // rvers were read: a fill goes to the shared tier too
}

// Begin follows the session's transaction and writes (invalidating the
// tables a statement writes before it runs) and offers the statement the
// cache (Statement.SetCache) with the verdict so far.
func (c *Cache) Begin(_ context.Context, st *stmt.Statement) error {
	h := &handle{c: c, st: st, ss: sessionOf(st)}
	st.SetCache(h)
	st.SetValue(handleKey{}, h)
	if st.Analysis != nil {
		h.begin()
	}
	return nil
}

type handleKey struct{}

// begin reads the statement (its text is known).
func (h *handle) begin() {
	h.begun = true
	c, ss, a := h.c, h.ss, h.st.Analysis
	now := c.now()
	h.follow(a, now)
	if len(h.writes) > 0 || h.allW {
		c.invalidateNames(h.writes, h.allW)
	}
	h.reason = Explain(a)
	if !h.reason.OK() {
		return
	}
	stmts, _ := a.Statements()
	s := &stmts[0]
	h.tables = tablesOf(s, false)
	switch {
	case ss.temp:
		h.reason = Reason{Code: ReasonTemp}
		return
	case ss.txWrote:
		h.reason = Reason{Code: ReasonTxWrote}
		return
	}
	for _, t := range h.tables {
		if w, ok := ss.wrote[t]; ok && now.Sub(w) < c.ryw {
			h.reason = Reason{Code: ReasonReadYourWrite, Detail: t}
			return
		}
	}
	h.masked = c.mask(a.Text)
	var ruleTTL time.Duration
	if r := c.ruleFor(h.masked, s.Tables); r != nil {
		if r.never {
			h.reason = Reason{Code: ReasonRule, Detail: r.name}
			return
		}
		ruleTTL = r.ttl
	}
	if c.feedBehind(now) {
		h.reason = Reason{Code: ReasonFeed}
		return
	}
	h.ttl = c.lifetime(ruleTTL)
	h.fill = !ss.inTx && !ss.manual
	h.vers = c.store.snapshot(h.tables)
}

// follow updates the session's state with the statement's transaction
// control and writes, and notes the tables it writes on h.
func (h *handle) follow(a *analysis.Analysis, now time.Time) {
	ss := h.ss
	stmts, err := a.Statements()
	if err != nil {
		if !a.Class().Read {
			// A write the parser cannot read: every table may change.
			h.allW = true
		}
		return
	}
	my := a.Dialect() == analysis.MySQL
	for i := range stmts {
		s := &stmts[i]
		word := firstWords(s.Text)
		switch s.Kind {
		case sqlparse.KindTCL:
			switch {
			case strings.HasPrefix(word, "begin") || strings.HasPrefix(word, "start"):
				if my && ss.inTx {
					h.endTx = true // MySQL commits the open transaction
				}
				ss.inTx = true
			case strings.HasPrefix(word, "savepoint") || strings.HasPrefix(word, "release") || strings.Contains(word, " to "):
			case strings.HasPrefix(word, "commit") || strings.HasPrefix(word, "end") ||
				strings.HasPrefix(word, "rollback") || strings.HasPrefix(word, "abort"):
				h.endTx = true
			}
			continue
		case sqlparse.KindCall:
			h.allW = true
		case sqlparse.KindDDL:
			if isTemp(s, word) {
				ss.temp = true
				continue
			}
			if my && (ss.inTx || ss.manual) {
				h.endTx = true // DDL commits implicitly
			}
		}
		for _, set := range s.Settings {
			if set.Name == "autocommit" && len(set.Values) == 1 {
				v := strings.ToLower(set.Values[0])
				ss.manual = v == "0" || v == "off" || v == "false"
				if !ss.manual {
					h.endTx = true // turning autocommit on commits
				}
			}
		}
		if s.Node == "DoStmt" {
			h.allW = true
		}
		for _, t := range tablesOf(s, true) {
			if !contains(h.writes, t) {
				h.writes = append(h.writes, t)
			}
		}
	}
	if !a.Class().Read && len(h.writes) == 0 && !h.endTx {
		// A statement routed as a write whose tables are not known
		// (a function that may write) invalidates nothing by name.
		for i := range stmts {
			if stmts[i].Kind == sqlparse.KindSelect && len(stmts[i].Functions) > 0 {
				h.allW = true
			}
		}
	}
	if (ss.inTx || ss.manual) && (len(h.writes) > 0 || h.allW) {
		ss.txWrote = true
		ss.txAll = ss.txAll || h.allW
		for _, t := range h.writes {
			if !contains(ss.txTables, t) {
				ss.txTables = append(ss.txTables, t)
			}
		}
	}
}

// firstWords is the statement's first words, lower case, one space
// apart.
func firstWords(text string) string {
	f := strings.Fields(strings.ToLower(text))
	if len(f) > 4 {
		f = f[:4]
	}
	return strings.Join(f, " ") + " "
}

func isTemp(s *sqlparse.Statement, word string) bool {
	if !strings.HasPrefix(word, "create") {
		return false
	}
	if strings.Contains(word, " temp ") || strings.Contains(word, " temporary ") {
		return true
	}
	for _, t := range s.Tables {
		if strings.HasPrefix(strings.ToLower(t.Schema), "pg_temp") {
			return true
		}
	}
	return false
}

func (c *Cache) invalidateNames(names []string, all bool) {
	// A database whose entries live their whole ttl (Options.Complete:
	// no max_staleness bound) drops every entry on a write: its
	// triggers, cascades and views may change tables the statement does
	// not name.
	if all || c.complete {
		names = nil
	}
	c.store.invalidate(names)
	c.gauges()
	if c.tier != nil {
		c.tier.invalidate(context.Background(), names)
	}
}

// End fills the entry recorded, lets waiting misses go, invalidates the
// written tables again (and a transaction's at its end) and counts the
// verdict.
func (c *Cache) End(st *stmt.Statement, o stmt.Outcome) {
	h, _ := st.Value(handleKey{}).(*handle)
	if h == nil {
		return
	}
	if !h.begun && st.Analysis != nil {
		h.begin()
	}
	now := c.now()
	for _, r := range h.recs {
		if !r.complete || r.over || o.Status != "ok" || !h.reason.OK() {
			continue
		}
		e := &entry{key: r.key, text: h.masked, payload: r.buf, rows: r.rows, tables: h.tables, stored: now, expires: now.Add(h.ttl)}
		if c.store.put(e, h.vers) {
			c.fills.Add(1)
			if h.rok {
				c.tier.put(context.Background(), r.key, h.tables, h.rvers, r.buf, r.rows, e.expires, now)
			}
		} else {
			c.dropped.Add(1)
			if h.status == StatusMiss && h.reason.OK() {
				h.reason = Reason{Code: ReasonStale}
			}
		}
	}
	for k, f := range h.flights {
		c.store.land(k, f)
	}
	ss := h.ss
	if len(h.writes) > 0 || h.allW {
		c.invalidateNames(h.writes, h.allW)
		if ss.wrote == nil {
			ss.wrote = map[string]time.Time{}
		}
		for _, t := range h.writes {
			ss.wrote[t] = now
		}
		for t, w := range ss.wrote {
			if now.Sub(w) >= c.ryw {
				delete(ss.wrote, t)
			}
		}
	}
	if h.endTx {
		if ss.txWrote {
			c.invalidateNames(ss.txTables, ss.txAll)
		}
		ss.inTx, ss.txWrote, ss.txTables, ss.txAll = false, false, nil, false
	}
	c.gauges()
	status, _ := h.Verdict()
	code := ""
	if status == StatusBypass {
		code = h.reason.Code
		if code == "" {
			code = ReasonUnused
		}
	}
	c.count(status, code)
}

// Hit serves the stored result of the statement in variant v, waiting
// (boundedly) for a concurrent identical fill; false: run it (a miss or
// a bypass).
func (h *handle) Hit(ctx context.Context, v stmt.Variant) (stmt.Result, bool) {
	if !h.begun && h.st.Analysis != nil {
		h.begin()
	}
	c := h.c
	if !h.reason.OK() {
		h.status = StatusBypass
		return stmt.Result{}, false
	}
	if c.feedBehind(c.now()) {
		h.reason, h.status = Reason{Code: ReasonFeed}, StatusBypass
		return stmt.Result{}, false
	}
	key := h.key(v)
	for waited := false; ; waited = true {
		if p, rows, ok := c.store.get(key, c.now()); ok {
			if h.status != StatusMiss {
				h.status = StatusHit
			}
			return stmt.Result{Payload: p, Rows: rows}, true
		}
		if c.shared() {
			if p, rows, exp, ok := c.tier.get(ctx, key); ok && c.now().Before(exp) {
				e := &entry{key: key, text: h.masked, payload: p, rows: rows, tables: h.tables, stored: c.now(), expires: exp}
				c.store.put(e, h.vers)
				c.gauges()
				if h.status != StatusMiss {
					h.status = StatusHit
				}
				return stmt.Result{Payload: p, Rows: rows}, true
			}
		}
		if waited || !h.fill {
			break
		}
		f, leader := c.store.join(key)
		if leader {
			if h.flights == nil {
				h.flights = map[string]*flight{}
			}
			h.flights[key] = f
			break
		}
		t := time.NewTimer(c.wait)
		select {
		case <-f.done:
			t.Stop()
		case <-t.C:
			h.reason = Reason{Code: ReasonInFlight}
			h.status = StatusBypass
			return stmt.Result{}, false
		case <-ctx.Done():
			t.Stop()
			h.status = StatusBypass
			h.reason = Reason{Code: ReasonInFlight, Detail: "cancelled"}
			return stmt.Result{}, false
		}
	}
	if h.status == "" {
		h.status = StatusMiss
	}
	if h.fill && c.shared() && !h.rok {
		h.rvers, h.rok = c.tier.snapshot(ctx, h.tables)
	}
	return stmt.Result{}, false
}

// key is the statement's entry key in variant v: the SQL that runs is
// read now (Start adds the row filters after the stages began).
func (h *handle) key(v stmt.Variant) string {
	s := h.st.Session()
	return h.c.key(s.Pipeline().Dialect(), h.st.SQL, v, s.Gate().Masks().Digest())
}

// Record returns a recorder of this run's result in variant v, or nil
// when it must not fill the cache.
func (h *handle) Record(v stmt.Variant) stmt.Recorder {
	if !h.begun && h.st.Analysis != nil {
		h.begin()
	}
	if !h.reason.OK() || !h.fill || h.status == StatusBypass {
		return nil
	}
	r := &recorder{key: h.key(v), max: h.c.maxRes}
	h.recs = append(h.recs, r)
	return r
}

// Verdict is hit, miss or bypass, and why a bypass.
func (h *handle) Verdict() (status, reason string) {
	switch {
	case h.status == StatusHit || h.status == StatusMiss:
		if h.status == StatusMiss && !h.fill {
			return StatusMiss, ReasonInTx
		}
		return h.status, ""
	case !h.reason.OK():
		return StatusBypass, h.reason.String()
	case h.status == "":
		return StatusBypass, ReasonUnused
	}
	return StatusBypass, h.reason.String()
}

// recorder collects a result as it passes to the client.
type recorder struct {
	key      string
	max      int64
	buf      []byte
	rows     int64
	over     bool
	complete bool
}

func (r *recorder) Write(p []byte) bool {
	if r.over {
		return false
	}
	if int64(len(r.buf)+len(p)) > r.max {
		r.over, r.buf = true, nil
		return false
	}
	r.buf = append(r.buf, p...)
	return true
}

func (r *recorder) Complete(rows int64) {
	if !r.over {
		r.complete, r.rows = true, rows
	}
}

var _ stmt.Stage = (*Cache)(nil)
var _ stmt.Cached = (*handle)(nil)
