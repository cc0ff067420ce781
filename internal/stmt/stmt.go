package stmt

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/floe-db/floe/internal/analysis"
	"github.com/floe-db/floe/internal/observe"
	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/sqlerr"
	"github.com/floe-db/floe/internal/sqltext"
)

// Options configure a Pipeline.
type Options struct {
	// Database is the logical database's name (metric label, audit).
	Database string
	// Dialect is the SQL dialect its clients speak.
	Dialect analysis.Dialect
	// Policy is the policy source (nil: none; SetPolicy may set it).
	Policy policy.Source
	// Metrics receive the counters (nil: none).
	Metrics *observe.Metrics
	// Analyzer reads the texts (nil: one of the pipeline's own).
	Analyzer *analysis.Analyzer
	// Stages run after the built-in statement-stats stage, in order.
	Stages []Stage
}

// Pipeline is one database's statement lifecycle.
type Pipeline struct {
	db       string
	dialect  analysis.Dialect
	metrics  *observe.Metrics
	analyzer *analysis.Analyzer
	// builtin are the stages the pipeline always runs (statement
	// statistics); stages are those and the ones SetStages added.
	builtin []Stage
	stages  atomic.Pointer[[]Stage]
	policy  atomic.Pointer[policy.Source]
	// wantArgs: a stage reads Statement.Args (ArgsReader).
	wantArgs atomic.Bool
}

// ArgsReader is a Stage that reads Statement.Args. The protocols copy a
// statement's parameter values for SetArgs only while one that reads
// them is set (Session.WantsArgs): the copy is per execution.
type ArgsReader interface {
	ReadsArgs() bool
}

// New makes the pipeline of o.
func New(o Options) *Pipeline {
	p := &Pipeline{db: o.Database, dialect: o.Dialect, metrics: o.Metrics, analyzer: o.Analyzer}
	if p.analyzer == nil {
		p.analyzer = analysis.New(o.Dialect, 0)
	}
	if o.Metrics != nil && o.Metrics.Statements != nil {
		p.builtin = append(p.builtin, StatsStage(o.Metrics.Statements, o.Database, o.Dialect))
	}
	p.SetStages(o.Stages)
	if o.Policy != nil {
		p.SetPolicy(o.Policy)
	}
	return p
}

// SetStages sets the stages that run after the built-in ones, in order:
// a configuration's stages reach every path without the protocols
// knowing. Statements under way keep the stages they began with.
func (p *Pipeline) SetStages(extra []Stage) {
	all := append(slices.Clip(p.builtin), extra...)
	want := false
	for _, st := range all {
		if r, ok := st.(ArgsReader); ok && r.ReadsArgs() {
			want = true
		}
	}
	p.wantArgs.Store(want)
	p.stages.Store(&all)
}

// SetPolicy sets the policy source (sessions opened later use it).
func (p *Pipeline) SetPolicy(src policy.Source) { p.policy.Store(&src) }

// Database is the pipeline's database.
func (p *Pipeline) Database() string { return p.db }

// Dialect is the dialect its clients speak.
func (p *Pipeline) Dialect() analysis.Dialect { return p.dialect }

// Analyzer reads the pipeline's texts.
func (p *Pipeline) Analyzer() *analysis.Analyzer { return p.analyzer }

func (p *Pipeline) source() policy.Source {
	if s := p.policy.Load(); s != nil {
		return *s
	}
	return nil
}

// Open starts a session for who (its Database and Dialect are the
// pipeline's).
func (p *Pipeline) Open(who policy.Request) *Session {
	who.Database, who.Dialect = p.db, p.dialect
	s := &Session{p: p, user: who.User, client: who.Client, roles: who.Roles, gate: policy.NewGate(p.source(), who)}
	s.opened = s.gate.Policy()
	if m := p.metrics; m != nil {
		s.ok = m.Queries.WithLabelValues(p.db, who.User, "ok")
		s.failed = m.Queries.WithLabelValues(p.db, who.User, "error")
		s.cancelled = m.Queries.WithLabelValues(p.db, who.User, "cancelled")
		s.latency = m.QueryDuration.WithLabelValues(p.db)
	}
	return s
}

// Session is one client session's (or data API request's) use of a
// pipeline. Its methods are called by one goroutine at a time.
type Session struct {
	p    *Pipeline
	user string
	// client is the client's address (host), roles the user's roles.
	client string
	roles  []string
	gate   *policy.Gate
	// decided are the texts checked to run later (Check), by the client's
	// text and by the SQL that runs: the policy they were decided under.
	// Past maxDecided texts no more are kept and overflow is set.
	decided  map[string]*decided
	overflow bool
	// opened is the policy in force when the session opened.
	opened *policy.Policy
	// values are the stages' per-session values (SetValue).
	values stageValues

	ok, failed, cancelled prometheus.Counter
	latency               prometheus.Observer
}

// Gate is the session's policy view: masks, refusals of the protocol's
// own (startup parameters, character sets), the logical database.
func (s *Session) Gate() *policy.Gate { return s.gate }

// Pipeline is the session's pipeline.
func (s *Session) Pipeline() *Pipeline { return s.p }

// SetValue keeps a stage's per-session value under key (a stage's own
// unexported key type): state a stage follows from one statement of the
// session to the next (a transaction's writes, for a result cache).
func (s *Session) SetValue(key, val any) { s.values.set(key, val) }

// Value is the value SetValue kept under key (nil when none).
func (s *Session) Value(key any) any {
	if s == nil {
		return nil
	}
	return s.values.get(key)
}

// Analyze returns text's analysis.
func (s *Session) Analyze(text string) *analysis.Analysis { return s.p.analyzer.Of(text) }

// Check decides on text without running it (a prepare); via says how it
// came (parse, prepare, metadata). A denial is counted; its answer is the
// caller's.
func (s *Session) Check(ctx context.Context, via, text string) (policy.Decision, *analysis.Analysis) {
	d, a := s.check(ctx, via, text)
	if d.Denial == nil && s.gate != nil {
		if s.decided == nil {
			s.decided = make(map[string]*decided)
		}
		if _, known := s.decided[text]; !known && len(s.decided) >= maxDecided {
			s.overflow = true
		} else {
			r := &decided{pol: s.gate.Policy(), text: text, sql: d.SQL}
			s.decided[text] = r
			if d.SQL != "" {
				s.decided[d.SQL] = r
			}
		}
	}
	return d, a
}

func (s *Session) check(ctx context.Context, via, text string) (policy.Decision, *analysis.Analysis) {
	a := s.p.analyzer.Of(text)
	d := s.gate.CheckAnalysis(ctx, via, a)
	if d.Denial != nil {
		s.Refused(d.Denial)
	}
	return d, a
}

// maxDecided bounds the texts a session remembers the decisions of; past
// it a text not kept is decided again at its execution once the policy
// changed since the session opened.
const maxDecided = 1024

// decided is the decision on a text checked to run later.
type decided struct {
	pol       *policy.Policy // in force when it was made
	text, sql string         // the client's text, the rewritten one ("" none)
}

// Recheck decides again on a text checked earlier (Check, at prepare) that
// is about to run, when the policy changed since (a reload): the decision
// made at prepare time must not outlive the grants it was made under. A
// denial refuses the execution, and so does a row-filter rewrite other
// than the one prepared (the client prepares the statement again). A text
// whose policy has not changed is not decided again. Begin calls it; so
// must protocol code for each further statement of a batch begun earlier.
func (s *Session) Recheck(ctx context.Context, text string) *policy.Denial {
	if s.gate == nil || text == "" {
		return nil
	}
	pol := s.gate.Policy()
	r := s.decided[text]
	switch {
	case r != nil && r.pol == pol:
		return nil
	case r == nil && (!s.overflow || pol == s.opened):
		// Not decided at prepare (KILL, USE, which the gateway answers),
		// or under the policy the session opened with.
		return nil
	}
	orig := text
	if r != nil {
		orig = r.text
	}
	d, _ := s.check(ctx, "execute", orig)
	if d.Denial != nil {
		return d.Denial
	}
	if r == nil {
		return nil
	}
	if d.SQL != r.sql {
		den := &policy.Denial{Rule: "grant.changed", Code: sqlerr.InsufficientPrivilege, Errno: sqlerr.ErTableAccessDenied,
			Message: "the row filters changed since the statement was prepared: prepare it again"}
		s.Refused(den)
		return den
	}
	r.pol = pol
	return nil
}

// Start decides on text and, when it may run, takes the limits and runs
// the stages: the statement is under way until Finish. cancel (safe to
// call from another goroutine) stops it on the backend at the statement
// timeout. On a denial nothing is held.
func (s *Session) Start(ctx context.Context, via, text string, cancel func()) (*Statement, *policy.Denial) {
	received := time.Now()
	d, a := s.check(ctx, via, text)
	if d.Denial != nil {
		return nil, d.Denial
	}
	st, den := s.begin(ctx, received, text, a, a.StatementCount, cancel)
	if den != nil {
		return nil, den
	}
	st.Decision = d
	if d.SQL != "" {
		st.SQL = d.SQL
	}
	return st, nil
}

// Begin starts a statement decided on before (Check at prepare time):
// the decision again if the policy changed since (Recheck), limits, then
// stages. text is what it runs, for the statistics ("" when not known
// yet: SetText).
func (s *Session) Begin(ctx context.Context, text string, cancel func()) (*Statement, *policy.Denial) {
	received := time.Now()
	var a *analysis.Analysis
	if text != "" {
		if den := s.Recheck(ctx, text); den != nil {
			return nil, den
		}
		a = s.p.analyzer.Of(text)
	}
	return s.begin(ctx, received, text, a, nil, cancel)
}

func (s *Session) begin(ctx context.Context, received time.Time, text string, a *analysis.Analysis, n func() int, cancel func()) (*Statement, *policy.Denial) {
	if cancel == nil {
		cancel = func() {}
	}
	run, den := s.gate.BeginN(cancel, n)
	if den != nil {
		s.Refused(nil)
		return nil, den
	}
	st := &Statement{s: s, Text: text, SQL: text, Analysis: a, run: run, received: received, start: time.Now(), stages: *s.p.stages.Load()}
	for _, stg := range st.stages {
		if err := stg.Begin(ctx, st); err != nil {
			st.Finish(err)
			var d *policy.Denial
			if errors.As(err, &d) {
				return nil, d
			}
			return nil, &policy.Denial{Rule: "stage", Message: err.Error(), Code: sqlerr.InternalError}
		}
		st.begun++
	}
	return st, nil
}

// Refused counts a statement refused before it ran: by the policy (its
// denial, when given, is already recorded there) or by the database at
// prepare time (a PostgreSQL Parse it rejected).
func (s *Session) Refused(*policy.Denial) {
	if s.failed != nil {
		s.failed.Inc()
	}
}

// Outcome is how a statement ended.
type Outcome struct {
	// Rows returned or affected.
	Rows int64
	// Code is the error's SQLSTATE ("" on success).
	Code string
	// Status is ok, error or cancelled (by the client).
	Status string
	// Duration from Start (or Begin) to Finish.
	Duration time.Duration
	// Received is when the statement reached the pipeline (Start or
	// Begin was called); Phases split its time from then to Finish.
	Received time.Time
	Phases   Phases
	// Server is the backend server that ran it ("" when none was used
	// or the protocol code did not say: Acquired).
	Server string
}

// Phases split a statement's time. Policy runs from Received to the
// stages' start; Wait from there to Acquired (zero when the protocol
// code did not mark it); Backend from Acquired to Responded (the first
// answer of the database); Stream from Responded to Finish (the result
// passing to the client). A phase whose marks are missing is zero and
// its time falls into the next phase that has one.
type Phases struct {
	Policy  time.Duration `json:"policy"`
	Wait    time.Duration `json:"wait"`
	Backend time.Duration `json:"backend"`
	Stream  time.Duration `json:"stream"`
}

// Statement is one statement (or one extended-protocol batch) under way.
type Statement struct {
	// Text is the client's text (the statistics' key).
	Text string
	// SQL is what runs: Text, or Text with row filters added.
	SQL string
	// Analysis is Text's analysis (nil until a text is known).
	Analysis *analysis.Analysis
	// Decision is the policy's (zero for a statement decided at prepare).
	Decision policy.Decision

	s        *Session
	run      *policy.Run
	received time.Time // Start or Begin called
	start    time.Time // decided and limits taken: the stages begin
	acquired time.Time // backend connection in hand (Acquired)
	answered time.Time // first answer of the database (Responded)
	server   string
	values   stageValues
	cache    Cached
	args     *Args
	rows     int64
	code     string
	stages   []Stage // the pipeline's when the statement began
	begun    int     // stages whose Begin ran
	done     bool
}

// Session is the statement's session.
func (st *Statement) Session() *Session { return st.s }

// Acquired marks the moment the statement's backend connection is in
// hand (the pool wait ends) and names the server it is on (host:port).
// The first call wins; calls after Responded are ignored.
func (st *Statement) Acquired(server string) {
	if st == nil || !st.acquired.IsZero() || !st.answered.IsZero() {
		return
	}
	st.acquired, st.server = time.Now(), server
}

// Responded marks the database's first answer to the statement (a row
// description, a row, a completion or an error). The first call wins.
func (st *Statement) Responded() {
	if st != nil && st.answered.IsZero() {
		st.answered = time.Now()
	}
}

// Received is when the statement reached the pipeline.
func (st *Statement) Received() time.Time { return st.received }

// stageValues are the values stages keep on a session or a statement,
// by key: a few at most, so a slice.
type stageValues []struct{ key, val any }

func (vs *stageValues) set(key, val any) {
	for i := range *vs {
		if (*vs)[i].key == key {
			(*vs)[i].val = val
			return
		}
	}
	*vs = append(*vs, struct{ key, val any }{key, val})
}

func (vs stageValues) get(key any) any {
	for _, v := range vs {
		if v.key == key {
			return v.val
		}
	}
	return nil
}

// SetValue keeps a stage's per-statement value under key (a stage's own
// unexported key type, as with context values).
func (st *Statement) SetValue(key, val any) { st.values.set(key, val) }

// Value is the value SetValue kept under key (nil when none).
func (st *Statement) Value(key any) any {
	if st == nil {
		return nil
	}
	return st.values.get(key)
}

// phases splits the time from received to end.
func (st *Statement) phases(end time.Time) Phases {
	var ph Phases
	ph.Policy = st.start.Sub(st.received)
	mark := st.start
	if !st.acquired.IsZero() {
		ph.Wait = st.acquired.Sub(mark)
		mark = st.acquired
	}
	if !st.answered.IsZero() {
		ph.Backend = st.answered.Sub(mark)
		mark = st.answered
		ph.Stream = end.Sub(mark)
	} else {
		ph.Backend = end.Sub(mark)
	}
	return ph
}

// Database is the statement's logical database.
func (st *Statement) Database() string { return st.s.p.db }

// User is the gateway user who sent it.
func (st *Statement) User() string { return st.s.user }

// Client is the address (host) of the client that sent it.
func (st *Statement) Client() string { return st.s.client }

// Roles are its user's roles (which pick the backend login it ran as).
func (st *Statement) Roles() []string { return st.s.roles }

// SetText names the statement's text when it was not known at Begin (the
// first statement an extended-protocol batch executes). Later calls keep
// the first text.
func (st *Statement) SetText(text string) {
	if st != nil && st.Text == "" {
		st.Text, st.SQL = text, text
		st.Analysis = st.s.p.analyzer.Of(text)
	}
}

// Row counts a result row of n bytes against the result bounds; past
// them it returns the denial that ends the result (once).
func (st *Statement) Row(n int) *policy.Denial {
	if st == nil {
		return nil
	}
	return st.run.Row(n)
}

// Bounds are the result bounds the statement runs under.
func (st *Statement) Bounds() policy.Bounds { return st.run.Bounds }

// More takes the rate tokens of one more statement this one carries out
// (the next Execute of an extended-protocol batch: the rate limits count
// every statement that runs). A refusal is counted; the caller answers
// it and the statement goes on.
func (st *Statement) More() *policy.Denial {
	if st == nil {
		return nil
	}
	den := st.run.More()
	if den != nil {
		st.s.Refused(den)
	}
	return den
}

// NextResult starts counting the next result against the bounds (a
// multi-statement text or a batch has several).
func (st *Statement) NextResult() {
	if st != nil {
		st.run.NextResult()
	}
}

// AddRows adds rows returned or affected.
func (st *Statement) AddRows(n int64) {
	if st != nil {
		st.rows += n
	}
}

// Rows is the count so far.
func (st *Statement) Rows() int64 { return st.rows }

// Fail notes an error code (SQLSTATE) the statement met while its
// protocol carried on (a backend error inside a batch); the first wins.
func (st *Statement) Fail(code string) {
	if st != nil && st.code == "" {
		if code == "" {
			code = CodeUnknown
		}
		st.code = code
	}
}

// TimedOut reports whether the statement timeout cancelled it.
func (st *Statement) TimedOut() bool { return st != nil && st.run.TimedOut() }

// Finish ends the statement: err (nil on success; an error noted with
// Fail counts too) decides the outcome. Stages end in reverse order, then
// the limits are given back and the result is audited and counted. Later
// calls do nothing.
func (st *Statement) Finish(err error) {
	if st == nil || st.done {
		return
	}
	st.done = true
	code := st.code
	if err != nil && code == "" {
		code = Code(err)
	}
	end := time.Now()
	o := Outcome{Rows: st.rows, Code: code, Status: "ok", Duration: end.Sub(st.start), Received: st.received, Phases: st.phases(end), Server: st.server}
	switch {
	case code == "":
	case code == CodeQueryCanceled && !st.run.TimedOut():
		o.Status = "cancelled"
	default:
		o.Status = "error"
	}
	for i := st.begun - 1; i >= 0; i-- {
		st.stages[i].End(st, o)
	}
	st.run.Done(o.Rows, o.Code)
	s := st.s
	if s.latency == nil {
		return
	}
	s.latency.Observe(o.Duration.Seconds())
	switch o.Status {
	case "ok":
		s.ok.Inc()
	case "cancelled":
		s.cancelled.Inc()
	default:
		s.failed.Inc()
	}
}

// Codes Finish gives errors without one of their own.
const (
	CodeQueryCanceled = sqlerr.QueryCanceled
	CodeUnknown       = sqlerr.InternalError
)

// Code is err's SQLSTATE: its own when it carries one (sqlerr.Code),
// 57014 for a cancelled context, XX000 otherwise.
func Code(err error) string {
	if err == nil {
		return ""
	}
	if c := sqlerr.Code(err); c != "" {
		return c
	}
	if errors.Is(err, context.Canceled) {
		return CodeQueryCanceled
	}
	return CodeUnknown
}

// Stage is a step every statement passes through, whatever its path.
// Begin runs after the decision and the limits, before the statement
// runs (an error refuses it: a *policy.Denial is answered as such);
// End runs at Finish for every stage whose Begin succeeded, in reverse
// order.
// A stage is shared by every session: it must be safe for concurrent
// use, and keeps per-statement state on the Statement only through what
// Statement exposes.
type Stage interface {
	Begin(ctx context.Context, st *Statement) error
	End(st *Statement, o Outcome)
}

// StatsStage records each statement's shape statistics (the admin API's
// /api/v1/queries) in q.
// A text's key is its masked text, computed once per shape (texts that
// differ only in literal values mask alike) and kept on the shape's
// analysis, so a statement with new literal values is not lexed again.
func StatsStage(q *observe.QueryStats, db string, d analysis.Dialect) Stage {
	mask := sqltext.Mask
	if d == analysis.MySQL {
		mask = sqltext.MaskMySQL
	}
	return statsStage{q: q, db: db, d: d, mask: mask}
}

type statsStage struct {
	q    *observe.QueryStats
	db   string
	d    analysis.Dialect
	mask func(string) string
}

func (statsStage) Begin(context.Context, *Statement) error { return nil }

func (s statsStage) End(st *Statement, o Outcome) {
	if a := st.Analysis; a != nil && a.Text == st.Text && a.Dialect() == s.d {
		s.q.RecordShape(s.db, a.Masked(), o.Duration, o.Rows, o.Status != "ok")
		return
	}
	s.q.Record(s.db, st.Text, s.mask, o.Duration, o.Rows, o.Status != "ok")
}

// Args are a statement's parameter values as the protocol received them:
// a PostgreSQL Bind's values with their formats and the Parse's type
// OIDs, or a MySQL COM_STMT_EXECUTE's decoded values. They serve a
// stage that needs to run the statement's text again with the same
// values (a plan capture's EXPLAIN) and are never stored past the
// statement.
type Args struct {
	// Values, Formats and Types are a PostgreSQL Bind's (nil value:
	// NULL; Formats as the Bind gave them: none, one for all, or one
	// each; Types from the Parse, 0 where the server infers).
	Values  [][]byte
	Formats []int16
	Types   []uint32
	// Any are a MySQL execution's values.
	Any []any
}

// Len is the number of values.
func (a *Args) Len() int {
	if a == nil {
		return 0
	}
	return len(a.Values) + len(a.Any)
}

// WantsArgs reports whether a stage reads the parameter values a
// protocol gives with SetArgs: without one they need not be copied.
func (s *Session) WantsArgs() bool { return s.p.wantArgs.Load() }

// SetArgs gives the statement its parameter values (the protocol code,
// at the execution that begins it). The Args must not share memory the
// protocol reuses: the values are read after the statement ends.
func (st *Statement) SetArgs(a *Args) {
	if st != nil {
		st.args = a
	}
}

// Args are the values SetArgs gave (nil: none, or a text without
// parameters).
func (st *Statement) Args() *Args {
	if st == nil {
		return nil
	}
	return st.args
}
