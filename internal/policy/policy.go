package policy

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/floe-db/floe/internal/analysis"
	"github.com/floe-db/floe/internal/audit"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/observe"
	"github.com/floe-db/floe/internal/sqlerr"
	"github.com/floe-db/floe/internal/sqlparse"
	"github.com/floe-db/floe/internal/sqltext"
)

// Dialect is the SQL dialect of a text.
type Dialect = analysis.Dialect

// Dialects.
const (
	Postgres = analysis.Postgres // PostgreSQL, and SQLite behind the PostgreSQL front end
	MySQL    = analysis.MySQL    // MySQL/MariaDB, and SQLite behind the MySQL front end
)

// Request is one SQL text to decide on and who sent it.
type Request struct {
	User     string
	Roles    []string
	Database string // logical database
	Client   string // client address (host)
	Protocol string // postgres, mysql, http, flightsql
	Session  uint32 // the front end's connection id, for audit correlation
	Dialect  Dialect
	// DefaultSchema resolves unqualified table names (public, the MySQL
	// database, main for SQLite).
	DefaultSchema string
	// Via says how the text came: query, parse, prepare.
	Via string
	SQL string
	// Analysis is SQL's analysis (nil: the policy makes one); its text
	// must be SQL.
	Analysis *analysis.Analysis
	// QueryTimeout is the database's own statement time bound (pool
	// query_timeout); a tighter limits[].statement_timeout wins.
	QueryTimeout time.Duration
	// Prepared are the names the session PREPAREd in SQL (nil: none).
	Prepared *PreparedNames
	// Backed is set when the session runs as an identity's backend login
	// (databases[].identities): the database's own privileges back the
	// role's grants, so a MySQL stored program whose body the parser
	// cannot read may run (storedprograms.go).
	Backed bool
}

// Decision is the outcome of a check.
type Decision struct {
	// Denial is nil when the text may run.
	Denial *Denial
	// Findings are the firewall's observations (also when allowed, in
	// detect and learn modes).
	Findings []Finding
	// Statements are the parsed statements (nil when policy is off or the
	// text did not parse).
	Statements []sqlparse.Statement
	// SQL, when set, is the text to run instead of the client's: row
	// filters were added to it.
	SQL string
	// Masked lists the masked columns the text returns (masked on the
	// way to the client).
	Masked []string

	a *reading // for the masked text in logs and audit records
}

// Allowed reports whether the text may run.
func (d Decision) Allowed() bool { return d.Denial == nil }

// Denial says why a text may not run.
type Denial struct {
	Rule    string
	Message string
	// Code is the SQLSTATE (PostgreSQL's); Errno the MySQL error number,
	// whose SQLSTATE comes from package sqlerr's table.
	Code  string
	Errno uint16
}

func (d *Denial) Error() string { return d.Message }

// reading is the policy's view of a text, independent of who sent it:
// kept with the text's analysis (analysis.SlotPolicy), so a text is read
// once whatever path it came by.
type reading struct {
	src      *analysis.Analysis
	stmts    []sqlparse.Statement
	parseErr error
	findings []Finding
	// mask is the masked text.
	mask maskCache
	// grants remembers whom the grant check allowed (shared by the
	// texts of one shape; nil: not remembered).
	grants *grantMemo
}

// read makes the reading of x; a text sharing its shape's parse derives
// it from the shape's.
func read(x *analysis.Analysis) any {
	if s := x.Shared(); s != nil {
		base := s.Derived(analysis.SlotPolicy, read).(*reading)
		r := base.derive(x.Strings())
		r.src = x
		return r
	}
	r := &reading{src: x}
	r.stmts, r.parseErr = x.Statements()
	if r.parseErr == nil {
		r.findings = inspect(x.Dialect(), x.Text, r.stmts)
		r.grants = newGrantMemo(r.stmts)
	}
	return r
}

// fingerprint is the allow-list's key of the text.
func (a *reading) fingerprint() string {
	stmts, err := a.src.Fingerprinted()
	if err != nil {
		return ""
	}
	fps := make([]string, len(stmts))
	for i, st := range stmts {
		fps[i] = st.Fingerprint
	}
	return strings.Join(fps, ";")
}

// derive makes the reading of a text that differs from base's only in
// its literals: the parse (and its grant memo) is base's; the check of
// string literals' contents is done again on this text's strings, and
// the masked text is its own.
func (base *reading) derive(strs []string) *reading {
	// The text logged and audited is this text's own, masked by the
	// tokenizer, never another text's that happened to share the shape.
	a := &reading{stmts: base.stmts, parseErr: base.parseErr, grants: base.grants}
	for _, f := range base.findings {
		if f.Rule != RuleLiteral {
			a.findings = append(a.findings, f)
		}
	}
	if f, ok := literalFinding(strs); ok {
		a.findings = append(a.findings, f)
	}
	return a
}

// Options are what New needs besides the config.
type Options struct {
	Log     *slog.Logger
	Metrics *observe.Metrics
	// Audit receives statement and connection events (nil: none).
	Audit Auditor
	// Allowlist is the firewall's list of known fingerprints (required in
	// learn and enforce modes).
	Allowlist *Allowlist
	// CacheSize bounds the per-dialect analysis caches (default 10000).
	CacheSize int
	// Counters keep limit state across reloads (nil: fresh ones).
	Counters *Counters
	// Denials keeps the recent denials for the admin API (nil: none).
	Denials *observe.Denials
	// Shared enforces limits[].shared rates across instances (nil: each
	// instance alone).
	Shared SharedLimiter
}

// SharedLimiter is a rate limit kept outside the process, so that it
// holds for every instance together: Allow takes one unit of key's
// bucket (rate per second, burst) and reports whether it was there. An
// error means the limiter could not answer.
type SharedLimiter interface {
	Allow(ctx context.Context, key string, rate float64, burst int) (bool, error)
}

// Auditor takes audit events; *audit.Writer is one.
type Auditor interface {
	Log(audit.Event)
}

// Policy decides on SQL texts for one configuration.
type Policy struct {
	grants      bool // any role grants something: default deny
	firewall    *config.Firewall
	cfg         config.Policy
	rules       map[string][]rule             // by role
	filters     map[string][]config.RowFilter // by role
	columnRules bool                          // some grant names columns
	limits      []limit
	masking     []maskRule
	opts        Options
	// analyzers read texts that come without an analysis.
	analyzers [2]*analysis.Analyzer
	enabled   bool
	network   netRules
	// decided caches PolicyDecisions' counters by decisionKey (a lookup
	// in the vector hashes its labels under a lock shared by every
	// statement of every session).
	decided sync.Map
}

type decisionKey struct{ database, decision, rule string }

// New builds the policy of cfg.
func New(cfg *config.Config, opts Options) (*Policy, error) {
	if opts.CacheSize == 0 {
		opts.CacheSize = 10000
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Counters == nil {
		opts.Counters = NewCounters(nil)
	}
	p := &Policy{
		grants:   cfg.GrantsConfigured(),
		firewall: cfg.Firewall,
		cfg:      cfg.Policy,
		rules:    compileRules(cfg.Roles),
		limits:   compileLimits(cfg.Limits),
		masking:  compileMasks(cfg.Masking),
		opts:     opts,
	}
	if p.firewall == nil {
		p.firewall = &config.Firewall{Mode: "off"}
	}
	for _, r := range cfg.Roles {
		for _, g := range r.Grants {
			if len(g.Columns) > 0 {
				p.columnRules = true
			}
		}
	}
	p.filters = map[string][]config.RowFilter{}
	for i, r := range cfg.Roles {
		for j, f := range r.RowFilters {
			if err := sqlparse.CheckFilter(f.Where); err != nil {
				return nil, fmt.Errorf("roles[%d].row_filters[%d].where: %w", i, j, err)
			}
			p.filters[r.Name] = append(p.filters[r.Name], f)
		}
	}
	var err error
	if p.network, err = compileNetwork(cfg.Network); err != nil {
		return nil, err
	}
	if p.firewallUsed() && p.needsAllowlist() && opts.Allowlist == nil {
		return nil, fmt.Errorf("firewall learn/enforce mode needs an allow-list")
	}
	p.enabled = p.grants || p.firewallUsed() || opts.Audit != nil || len(p.masking) > 0 || p.network.on
	for _, d := range []Dialect{Postgres, MySQL} {
		p.analyzers[d] = analysis.New(d, opts.CacheSize)
	}
	return p, nil
}

func (p *Policy) firewallUsed() bool {
	if p.firewall.Mode != "" && p.firewall.Mode != "off" {
		return true
	}
	for _, o := range p.firewall.Overrides {
		if o.Mode != "" && o.Mode != "off" {
			return true
		}
	}
	return false
}

func (p *Policy) needsAllowlist() bool {
	if p.firewall.Mode == "learn" || p.firewall.Mode == "enforce" {
		return true
	}
	for _, o := range p.firewall.Overrides {
		if o.Mode == "learn" || o.Mode == "enforce" {
			return true
		}
	}
	return false
}

// Enabled reports whether any check is configured; when it is not,
// Check allows everything and callers may skip it.
func (p *Policy) Enabled() bool { return p != nil && p.enabled }

// Grants reports whether grants are enforced (deny by default).
func (p *Policy) Grants() bool { return p != nil && p.grants }

// mode returns the firewall mode and disabled rules for user on db: a
// user+database override, then user, then database, then the default.
func (p *Policy) mode(user, db string) (string, []string) {
	best, score := -1, -1
	for i, o := range p.firewall.Overrides {
		s := -1
		switch {
		case o.User == user && o.Database == db:
			s = 3
		case o.User == user && o.Database == "":
			s = 2
		case o.User == "" && o.Database == db:
			s = 1
		}
		if s > score {
			best, score = i, s
		}
	}
	mode, disabled := p.firewall.Mode, p.firewall.DisableRules
	if best >= 0 {
		o := p.firewall.Overrides[best]
		if o.Mode != "" {
			mode = o.Mode
		}
		disabled = append(slices.Clone(disabled), o.DisableRules...)
	}
	if mode == "" {
		mode = "off"
	}
	return mode, disabled
}

// Connect decides whether user may open db at all: with grants on, a
// user whose roles grant nothing on the database is refused at once.
func (p *Policy) Connect(user string, roles []string, db string) *Denial {
	if !p.Grants() {
		return nil
	}
	for _, r := range roles {
		for _, ru := range p.rules[r] {
			if ru.deny {
				continue
			}
			if ok, _ := matchDB(ru.database, db); ok {
				return nil
			}
		}
	}
	return &Denial{
		Rule: RuleGrant, Code: sqlerr.InsufficientPrivilege, Errno: sqlerr.ErDBAccessDenied,
		Message: fmt.Sprintf("permission denied for database %q: no role of user %q grants anything on it", db, user),
	}
}

func matchDB(pattern, db string) (bool, error) {
	if pattern == "*" {
		return true, nil
	}
	return globMatch(pattern, db), nil
}

// Check decides on one SQL text.
func (p *Policy) Check(ctx context.Context, req Request) Decision {
	if !p.Enabled() {
		return Decision{Denial: checkComplexity(req.Dialect, req.SQL)}
	}
	if p.NetworkOn() {
		if den := p.ScreenNetwork(NetStatement, statementFacts(req)); den != nil {
			return Decision{Denial: den}
		}
	}
	d := p.decide(req)
	p.record(ctx, req, d)
	return d
}

func (p *Policy) decide(req Request) Decision {
	if max := p.cfg.MaxStatementBytes; max > 0 && len(req.SQL) > max {
		return Decision{Denial: &Denial{Rule: RuleSize, Code: sqlerr.ProgramLimitExceeded, Errno: sqlerr.ErNetPacketTooLarge,
			Message: fmt.Sprintf("statement of %d bytes exceeds policy.max_statement_bytes (%d)", len(req.SQL), max)}}
	}
	if p.cfg.Input != "off" {
		if err := checkInput(req.Dialect, req.SQL); err != nil {
			return Decision{Denial: &Denial{Rule: RuleInput, Code: sqlerr.CharacterNotInRepertoire, Errno: sqlerr.ErInvalidCharacterString, Message: err.Error()}}
		}
	}
	a := p.analyse(req)
	if den := p.checkReading(req, a); den != nil {
		return Decision{a: a, Denial: den}
	}
	mode, disabled := p.mode(req.User, req.Database)
	fwOn := mode != "off"
	masks := p.Masks(req.Roles, req.Database, req.DefaultSchema)
	if a.parseErr != nil {
		if den := tooComplex(a.parseErr); den != nil {
			return Decision{a: a, Denial: den}
		}
		if p.cfg.Unparseable != "allow" && (p.grants || fwOn || masks != nil) {
			if den, ok := p.storedProgram(req); ok {
				return Decision{a: a, Denial: den}
			}
			return Decision{a: a, Denial: &Denial{Rule: RuleParse, Code: sqlerr.SyntaxError, Errno: sqlerr.ErParse,
				Message: "statement refused: it could not be parsed (" + trimParseError(a.parseErr) + ")"}}
		}
		return Decision{}
	}
	dec := Decision{Statements: a.stmts, a: a}
	// A session like one whose grant check and exposure review of this
	// parse passed with nothing scoped passes both again (grantMemo).
	remembered := p.grants && a.grants.allowed(p, &req)
	if p.grants {
		if !remembered {
			if den := p.checkGrants(req, a.stmts); den != nil {
				dec.Denial = den
				return dec
			}
		}
		sql, den := p.applyFilters(req, a.stmts)
		if den != nil {
			dec.Denial = den
			return dec
		}
		dec.SQL = sql
	}
	if !remembered {
		den, scoped := p.scopeExposure(req, a.stmts, masks, &dec)
		if den != nil {
			dec.Denial = den
			return dec
		}
		if p.grants && !scoped {
			a.grants.allow(p, &req)
		}
	}
	if masks != nil {
		masked, den := masks.review(req, a.stmts, req.Dialect == Postgres)
		if den != nil {
			dec.Denial = den
			return dec
		}
		dec.Masked = masked
	}
	if !fwOn {
		return dec
	}
	for _, f := range a.findings {
		if !slices.Contains(disabled, f.Rule) {
			if f.Rule == RuleLiteral && p.firewall.Literals != "block" {
				f.Block = false
			}
			dec.Findings = append(dec.Findings, f)
		}
	}
	switch mode {
	case "learn":
		if masked := p.maskedSQL(req, a); p.opts.Allowlist.Learn(req.User, req.Database, a.fingerprint(), masked) {
			p.opts.Log.Info("firewall learned a statement", "user", req.User, "database", req.Database, "sql", masked)
		}
	case "enforce":
		if !p.opts.Allowlist.Has(req.User, req.Database, a.fingerprint()) {
			dec.Findings = append(dec.Findings, Finding{Rule: RuleUnknown, Reason: "the statement's fingerprint is not in the allow-list", Block: true})
		}
	}
	if mode == "protect" || mode == "enforce" {
		for _, f := range dec.Findings {
			if f.Block {
				dec.Denial = &Denial{Rule: f.Rule, Code: sqlerr.InsufficientPrivilege, Errno: sqlerr.ErNotAllowedCommand,
					Message: fmt.Sprintf("statement blocked by the SQL firewall (rule %s): %s", f.Rule, f.Reason)}
				break
			}
		}
	}
	return dec
}

// analyse returns the policy's reading of the request's text, from the
// analysis the request carries (or one made here).
func (p *Policy) analyse(req Request) *reading {
	x := req.Analysis
	if x == nil || x.Text != req.SQL || x.Dialect() != req.Dialect {
		x = p.analyzers[req.Dialect].Of(req.SQL)
	}
	return x.Derived(analysis.SlotPolicy, read).(*reading)
}

// trimParseError keeps the parser's message short and free of the text.
func trimParseError(err error) string {
	s := err.Error()
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

func (p *Policy) checkGrants(req Request, stmts []sqlparse.Statement) *Denial {
	var rules []rule
	for _, r := range req.Roles {
		rules = append(rules, p.rules[r]...)
	}
	if den := p.checkSessionRules(req, rules, stmts); den != nil {
		return den
	}
	for i := range stmts {
		st := &stmts[i]
		if st.Kind == sqlparse.KindTCL {
			continue
		}
		if f, by := denyFunctions(rules, st, req.Database, req.DefaultSchema); by != nil {
			return grantDenial(req, need{act: actExecute, kind: 'f', name: f}, by)
		}
		for _, n := range needs(req.Dialect, st, p.cfg.Catalog != "deny") {
			if ok, by := grantCheck(rules, n, req.Database, req.DefaultSchema); !ok {
				return grantDenial(req, n, by)
			}
		}
		if !p.columnRules {
			continue
		}
		for _, u := range st.Columns {
			ok, by, narrowed := columnCheck(rules, u, req.Database, req.DefaultSchema)
			if ok {
				continue
			}
			t := u.Table
			if u.Schema != "" {
				t = u.Schema + "." + t
			}
			d := &Denial{Rule: RuleGrant, Code: sqlerr.InsufficientPrivilege, Errno: sqlerr.ErColumnAccessDenied}
			switch {
			case by != nil:
				d.Rule = RuleGrantDenied
				d.Message = fmt.Sprintf("permission denied: select of column %s of table %s is denied to user %q by role %q", u.Column, t, req.User, by.role)
			case narrowed && u.Column == "*":
				d.Message = fmt.Sprintf("permission denied: user %q may select only some columns of table %s; name them instead of *", req.User, t)
			default:
				d.Message = fmt.Sprintf("permission denied: user %q has no select grant on column %s of table %s", req.User, u.Column, t)
			}
			return d
		}
	}
	return nil
}

// applyFilters rewrites the text with the row filters of the user's roles
// on the tables it touches; filters of several roles on one table are
// OR-ed (each role sees its rows).
func (p *Policy) applyFilters(req Request, stmts []sqlparse.Statement) (string, *Denial) {
	var byTable map[string]*sqlparse.RowFilter
	var order []string
	for _, r := range req.Roles {
		for _, f := range p.filters[r] {
			if f.Database != req.Database {
				continue
			}
			rf := sqlparse.RowFilter{Table: f.Table, Where: f.Where}
			if s, t, ok := strings.Cut(f.Table, "."); ok {
				rf.Schema, rf.Table = s, t
			}
			touched := false
			for _, st := range stmts {
				for _, t := range st.Tables {
					schema := t.Schema
					if schema == "" {
						schema = req.DefaultSchema
					}
					fs := rf.Schema
					if fs == "" {
						fs = req.DefaultSchema
					}
					if strings.EqualFold(t.Name, rf.Table) && strings.EqualFold(schema, fs) {
						touched = true
					}
				}
			}
			if !touched {
				continue
			}
			if byTable == nil {
				byTable = map[string]*sqlparse.RowFilter{}
			}
			k := strings.ToLower(rf.Schema + "." + rf.Table)
			if prev := byTable[k]; prev != nil {
				prev.Where = "(" + prev.Where + ") OR (" + rf.Where + ")"
				continue
			}
			byTable[k] = &rf
			order = append(order, k)
		}
	}
	if len(byTable) == 0 {
		return "", nil
	}
	fs := make([]sqlparse.RowFilter, 0, len(order))
	for _, k := range order {
		fs = append(fs, *byTable[k])
	}
	rewrite := sqlparse.RewritePostgres
	if req.Dialect == MySQL {
		rewrite = sqlparse.RewriteMySQL
	}
	out, changed, err := rewrite(req.SQL, req.DefaultSchema, fs)
	if err != nil {
		return "", &Denial{Rule: "grant.row-filter", Code: sqlerr.InsufficientPrivilege, Errno: sqlerr.ErTableAccessDenied,
			Message: "statement refused: the row filter of the user's role could not be applied (" + trimParseError(err) + ")"}
	}
	if !changed {
		return "", nil
	}
	return out, nil
}

func grantDenial(req Request, n need, by *rule) *Denial {
	d := &Denial{Rule: RuleGrant, Code: sqlerr.InsufficientPrivilege, Errno: sqlerr.ErTableAccessDenied}
	what := n.object()
	if n.kind == 'd' {
		what = "database " + req.Database
		if n.why != "" {
			what += " (" + n.why + ")"
		}
		d.Errno = 1227
	}
	if n.kind == 'f' {
		d.Errno = 1370
	}
	if by != nil {
		d.Rule = RuleGrantDenied
		d.Message = fmt.Sprintf("permission denied: %s on %s is denied to user %q by role %q", n.act, what, req.User, by.role)
		return d
	}
	d.Message = fmt.Sprintf("permission denied: user %q has no %s grant on %s", req.User, n.act, what)
	return d
}

// record counts the decision and writes its audit event.
func (p *Policy) record(ctx context.Context, req Request, d Decision) {
	decision, rule := "allowed", ""
	if d.Denial != nil {
		decision, rule = "denied", d.Denial.Rule
	} else if len(d.Findings) > 0 {
		decision, rule = "detected", d.Findings[0].Rule
	} else if len(d.Masked) > 0 {
		decision = "masked"
	}
	if m := p.opts.Metrics; m != nil {
		k := decisionKey{req.Database, decision, rule}
		c, ok := p.decided.Load(k)
		if !ok {
			c, _ = p.decided.LoadOrStore(k, m.PolicyDecisions.WithLabelValues(req.Database, decision, rule))
		}
		c.(prometheus.Counter).Inc()
		for _, f := range d.Findings {
			action := "logged"
			if d.Denial != nil && d.Denial.Rule == f.Rule {
				action = "blocked"
			}
			m.FirewallFindings.WithLabelValues(req.Database, f.Rule, action).Inc()
		}
	}
	if d.Denial != nil {
		p.noteDenial(req, d.Denial, p.maskedSQL(req, d.a))
	}
	if d.Denial != nil || len(d.Findings) > 0 {
		lv := slog.LevelInfo
		if len(d.Findings) > 0 {
			lv = slog.LevelWarn
		}
		if p.opts.Log.Enabled(ctx, lv) {
			p.opts.Log.Log(ctx, lv, "policy "+decision, "user", req.User, "database", req.Database, "client", req.Client,
				"rule", rule, "findings", findingRules(d.Findings), "sql", p.maskedSQL(req, d.a))
		}
	}
	if p.opts.Audit == nil {
		return
	}
	// In the order of their keys (audit.Event.Pairs).
	f := make([]audit.Field, 0, 14)
	f = append(f, audit.String("client", req.Client), audit.String("database", req.Database), audit.String("decision", decision))
	if len(d.Findings) > 0 {
		f = append(f, audit.Value("findings", findingRules(d.Findings)))
	}
	if len(d.Statements) > 0 {
		kind := string(d.Statements[0].Kind)
		if len(d.Statements) > 1 {
			kinds := make([]string, len(d.Statements))
			for i, st := range d.Statements {
				kinds[i] = string(st.Kind)
			}
			kind = strings.Join(kinds, ",")
		}
		f = append(f, audit.String("kind", kind))
	}
	if len(d.Masked) > 0 {
		f = append(f, audit.Value("masked", d.Masked))
	}
	f = append(f, audit.String("protocol", req.Protocol))
	if d.Denial != nil {
		f = append(f, audit.String("reason", d.Denial.Message))
	}
	if d.SQL != "" {
		f = append(f, audit.Value("row_filtered", true))
	}
	if rule != "" {
		f = append(f, audit.String("rule", rule))
	}
	f = append(f, audit.Value("session", req.Session), audit.String("sql", p.maskedSQL(req, d.a)),
		audit.String("user", req.User), audit.String("via", req.Via))
	p.opts.Audit.Log(audit.Event{Type: "statement", Pairs: f})
}

// maxLoggedSQL bounds the SQL text in logs and audit records.
const maxLoggedSQL = 4096

// maskedSQL is the text with its literals masked, for logs and audit
// records, kept with the text's reading.
func (p *Policy) maskedSQL(req Request, a *reading) string {
	mask := func() string {
		s := req.SQL
		if len(s) > maxLoggedSQL {
			s = s[:maxLoggedSQL]
		}
		if req.Dialect == MySQL {
			return sqltext.MaskMySQL(s)
		}
		return sqltext.Mask(s)
	}
	if x := req.Analysis; x != nil && x.Text == req.SQL && len(req.SQL) <= maxLoggedSQL && (x.Dialect() == analysis.MySQL) == (req.Dialect == MySQL) {
		return x.Masked() // once per shape
	}
	if a == nil || len(req.SQL) > maxLoggedSQL {
		return mask()
	}
	a.mask.once.Do(func() { a.mask.s = mask() })
	return a.mask.s
}

// maskCache holds the masked text of a reading, made on first use.
type maskCache struct {
	once sync.Once
	s    string
}

func findingRules(fs []Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Rule
	}
	return out
}

// Audit writes an event (connection, authentication) when an audit sink
// is configured.
func (p *Policy) Audit(e audit.Event) {
	if p != nil && p.opts.Audit != nil {
		p.opts.Audit.Log(e)
	}
}

// noteDenial keeps a denial for the admin API's list of recent ones.
func (p *Policy) noteDenial(req Request, d *Denial, maskedSQL string) {
	if p == nil || p.opts.Denials == nil {
		return
	}
	p.opts.Denials.Add(observe.Denial{Time: time.Now(), User: req.User, Database: req.Database, Client: req.Client,
		Protocol: req.Protocol, Rule: d.Rule, SQLState: d.Code, Errno: d.Errno, Message: d.Message, SQL: maskedSQL})
}
