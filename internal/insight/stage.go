package insight

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/floe-db/floe/internal/analysis"
	"github.com/floe-db/floe/internal/route"
	"github.com/floe-db/floe/internal/sqlparse"
	"github.com/floe-db/floe/internal/sqltext"
	"github.com/floe-db/floe/internal/stmt"
)

// ExplainRequest is what an Explainer needs to explain a statement as
// its user ran it.
type ExplainRequest struct {
	// Roles are the user's roles: they pick the backend login.
	Roles []string
	// Server is the backend server the statement ran on (host:port; ""
	// or unknown: where writes go).
	Server string
	// SQL is the statement that ran (with the row filters added).
	SQL string
	// Args are its parameter values (nil: none).
	Args *stmt.Args
	// Timeout bounds the connection and the EXPLAIN on the server.
	Timeout time.Duration
}

// Explainer captures plans for a database: the relays implement it, on a
// connection of their own as the user's backend login, read-only.
type Explainer interface {
	// Explain returns the JSON the server gave for EXPLAIN in the
	// relay's format (FormatPostgres, FormatMySQL).
	Explain(ctx context.Context, q ExplainRequest) (format string, raw []byte, err error)
}

// Settings configure a Stage.
type Settings struct {
	Database  string
	Dialect   analysis.Dialect
	Threshold time.Duration
	// Plans turns plan capture on; PlanInterval is the least time
	// between two plans of one shape; PlanTimeout bounds one capture.
	Plans        bool
	PlanInterval time.Duration
	PlanTimeout  time.Duration
}

// Stage is the slow-statement stage of one database.
type Stage struct {
	set     Settings
	log     *Log
	ex      Explainer // nil: the database captures no plans
	mask    func(string) string
	counter prometheus.Counter // nil: not counted
	now     func() time.Time
}

// NewStage makes the stage of set over log; ex captures the plans (nil:
// none), counter counts slow statements (nil: none).
func NewStage(set Settings, log *Log, ex Explainer, counter prometheus.Counter) *Stage {
	mask := sqltext.Mask
	if set.Dialect == analysis.MySQL {
		mask = sqltext.MaskMySQL
	}
	return &Stage{set: set, log: log, ex: ex, mask: mask, counter: counter, now: time.Now}
}

var _ stmt.Stage = (*Stage)(nil)

// ReadsArgs implements stmt.ArgsReader: a plan is captured with the
// statement's parameter values.
func (s *Stage) ReadsArgs() bool { return s.set.Plans && s.ex != nil && s.set.Threshold > 0 }

// Begin does nothing: a statement is slow only once it has ended.
func (*Stage) Begin(context.Context, *stmt.Statement) error { return nil }

// End records st when it took the threshold or longer, and starts the
// capture of its plan when one is due.
func (s *Stage) End(st *stmt.Statement, o stmt.Outcome) {
	ph := o.Phases
	total := ph.Policy + ph.Wait + ph.Backend + ph.Stream // Received to Finish
	if s.set.Threshold <= 0 || total < s.set.Threshold || st.Text == "" {
		return
	}
	text := s.mask(st.Text)
	sum := sha256.Sum256([]byte(s.set.Database + "\x00" + text))
	r := &Record{
		Time: s.now(), Database: s.set.Database, User: st.User(), Client: st.Client(), Server: o.Server,
		Text: text, Shape: hex.EncodeToString(sum[:8]),
		DurationMS: ms(total), Rows: o.Rows, Status: o.Status, Code: o.Code,
		Phases: Phases{PolicyMS: ms(ph.Policy), WaitMS: ms(ph.Wait), BackendMS: ms(ph.Backend), StreamMS: ms(ph.Stream)},
	}
	if s.counter != nil {
		s.counter.Inc()
	}
	req, status, note := s.planFor(st, r, o)
	r.PlanStatus, r.PlanNote = status, note
	s.log.add(r)
	if status == PlanPending {
		go s.capture(r, req)
	}
}

// planFor decides whether r gets a plan: the request and PlanPending, or
// the status that says why not.
func (s *Stage) planFor(st *stmt.Statement, r *Record, o stmt.Outcome) (ExplainRequest, string, string) {
	switch {
	case !s.set.Plans:
		return ExplainRequest{}, PlanOff, ""
	case s.ex == nil:
		return ExplainRequest{}, PlanUnavailable, "the database's kind has no plan capture"
	}
	if ok, why := Explainable(st.Analysis); !ok {
		return ExplainRequest{}, PlanSkipped, why
	}
	if !s.log.allowPlan(r.Shape, r.Time, s.set.PlanInterval) {
		return ExplainRequest{}, PlanRateLimited, ""
	}
	select {
	case s.log.sem <- struct{}{}:
	default:
		return ExplainRequest{}, PlanBusy, ""
	}
	return ExplainRequest{Roles: st.Roles(), Server: o.Server, SQL: st.SQL, Args: st.Args(), Timeout: s.set.PlanTimeout}, PlanPending, ""
}

// capture runs the EXPLAIN and sets its result on r; it holds a slot of
// the Log's semaphore, which it gives back.
func (s *Stage) capture(r *Record, q ExplainRequest) {
	defer func() { <-s.log.sem }()
	timeout := q.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(s.log.ctx, 2*timeout)
	defer cancel()
	format, raw, err := s.ex.Explain(ctx, q)
	q.Args = nil // the values go no further
	var p *Plan
	switch {
	case err != nil:
	case len(raw) > maxPlanBytes:
		err = fmt.Errorf("the plan is larger than %d KiB", maxPlanBytes>>10)
	default:
		p, err = ParsePlan(format, raw, s.mask)
	}
	s.log.update(r, func(r *Record) {
		if err != nil {
			r.PlanStatus, r.PlanNote = PlanFailed, planError(err)
			return
		}
		p.CapturedAt = s.now()
		r.PlanStatus, r.Plan = PlanCaptured, p
	})
}

// maxPlanBytes bounds a plan's JSON: the records are kept in memory.
const maxPlanBytes = 256 << 10

// planError is what a failed capture records: the server's message,
// masked (it may quote a value), without the driver's wrapping.
func planError(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	code, msg := "", err.Error()
	if se, ok := errors.AsType[*ServerError](err); ok {
		code, msg = se.Code, se.Message
	}
	if len(msg) > 500 {
		msg = msg[:500]
	}
	// A server quotes values in double quotes too (invalid input syntax
	// for type integer: "abc"), which the lexer reads as identifiers.
	msg = quoted.ReplaceAllString(sqltext.Mask(msg), "?")
	if code != "" {
		msg = code + ": " + msg
	}
	return msg
}

var quoted = regexp.MustCompile(`"[^"]*"`)

// ServerError is the server's refusal of a capture (its connection or
// its EXPLAIN): the SQLSTATE or MySQL error number and the message.
type ServerError struct {
	Code, Message string
}

func (e *ServerError) Error() string { return e.Code + ": " + e.Message }

// sleepFunctions are functions that only wait: a statement calling them
// is still explained (EXPLAIN does not run them).
var sleepFunctions = map[string]bool{"pg_sleep": true, "pg_catalog.pg_sleep": true, "pg_sleep_for": true, "pg_catalog.pg_sleep_for": true, "sleep": true}

// Explainable reports whether a's text may be explained: exactly one
// plain SELECT that the routing reading finds read-only (no writes, no
// SELECT INTO, no row locks, no function that might write; the sleep
// functions aside), or why not.
func Explainable(a *analysis.Analysis) (bool, string) {
	if a == nil {
		return false, "no text"
	}
	stmts, err := a.Statements()
	switch {
	case err != nil:
		return false, "not parsed"
	case len(stmts) != 1:
		return false, "not a single statement"
	case stmts[0].Kind != sqlparse.KindSelect:
		return false, "not a SELECT"
	}
	if strings.Contains(a.Text, "floe:primary") {
		return false, "hint floe:primary"
	}
	st := stmts[0]
	st.Functions = nil
	for _, f := range stmts[0].Functions {
		if !sleepFunctions[f] {
			st.Functions = append(st.Functions, f)
		}
	}
	if c := route.Classify(a.Text, []sqlparse.Statement{st}); !c.Read {
		return false, c.Why
	}
	return true, ""
}
