package pgrelay

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/floe-db/floe/internal/analysis"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/sqltext"
	"github.com/floe-db/floe/internal/stmt"
	"github.com/floe-db/floe/internal/wire/pgwire"
)

// watchDelay is how long a statement may run before the session starts
// watching the client socket for a hang-up.
const watchDelay = 50 * time.Millisecond

// session is one client's PostgreSQL session on the relay, served on the
// client's goroutine. Its parts: the backend attachment (attach.go), the
// queue of responses owed by the backend (queue.go), the client's
// prepared statements and portals (prepared.go), the masking of the
// result under way (mask.go) and the statement under way in the
// statement pipeline (statement.go).
type session struct {
	r    *Relay
	c    *pgwire.Conn
	log  *slog.Logger
	mode string
	// sess is the session's use of the statement pipeline; gate its
	// policy view (masks, refusals of the protocol's own).
	sess *stmt.Session
	gate *policy.Gate
	// idleInTx ends a session idle inside a transaction this long (0: never).
	idleInTx time.Duration
	// st is the statement under way (a Query, or an extended batch from
	// its first Execute to Sync): it holds the limits and collects the
	// outcome; resultRows are the rows of its result under way relayed
	// to the client, copyRows the CopyData messages of a COPY TO STDOUT.
	st         *stmt.Statement
	resultRows int64
	copyRows   int64

	att      attachment // the backend connection held, if any
	q        queue      // the responses the backend owes
	prep     statements // the client's prepared statements and portals
	mask     rowMasker  // masking of the result under way
	txStatus byte

	want      map[string]string // parameters to replay on attach (lower-case names)
	startWant map[string]string
	// wantKey is want written out (paramsKey; "": not yet since want
	// changed).
	wantKey string

	clientGone bool
	gone       atomic.Bool // set by the hang-up watcher
	// exchanging is the backend connection an exchange reads from, for
	// the session's one context.AfterFunc (interrupt) to stop that read
	// when the server shuts down.
	exchanging atomic.Pointer[backendConn]

	// cancelFn and hangUpFn are s.cancel and s.hangUp, made once (a
	// method value handed on allocates each time).
	cancelFn, hangUpFn func()

	// Result cache (cache.go): rec records the result under way;
	// untracked is the session's marker once its settings are no longer
	// known (""); held are a Bind and Describe kept back while no backend
	// is attached, in case the Execute that follows is a hit.
	rec       *recording
	untracked string
	held      []pgproto3.FrontendMessage
}

// Serve implements pgwire.Handler.
func (r *Relay) Serve(ctx context.Context, c *pgwire.Conn) (err error) {
	if v := c.Params["replication"]; v != "" && v != "false" && v != "off" && v != "0" && v != "no" {
		return pgwire.Fatalf(pgwire.CodeFeatureNotSupported, "replication connections are not supported by the gateway")
	}
	s := &session{
		r: r, c: c, txStatus: 'I',
		log:  r.log.With("user", c.User.Name),
		prep: statements{named: map[string]*clientStmt{}, portals: map[string]*portal{}},
	}
	s.cancelFn, s.hangUpFn = s.cancel, s.hangUp
	r.sessions.Enter()
	defer r.sessions.Leave(r.Close)
	login, err := r.loginFor(c.User.Roles)
	if err != nil {
		return err
	}
	s.att.login = login
	pc := r.poolConfig()
	s.sess = r.pipe.Open(policy.Request{
		User: c.User.Name, Roles: c.User.Roles, Client: policy.HostOf(c.RemoteAddr),
		Protocol: "postgres", Session: c.ProcessID(), DefaultSchema: "public",
		QueryTimeout: pc.QueryTimeout,
	})
	s.gate = s.sess.Gate()
	s.idleInTx = pc.IdleInTransactionTimeout
	if s.mode = pc.Mode; s.mode == config.PoolSession {
		s.att.pinned = "session mode"
	}
	c.SetCanceller(s.cancelFn)
	defer c.SetCanceller(nil)
	defer context.AfterFunc(ctx, s.interrupt)()
	defer s.detach(true)
	// A statement the session ends in the middle of ends with it.
	defer func() { s.finish(err) }()

	if err := s.startup(ctx); err != nil {
		return err
	}
	return s.loop(ctx)
}

func (s *session) loop(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return pgwire.ErrShutdown
		}
		var msg pgproto3.FrontendMessage
		var err error
		switch {
		case s.att.be != nil && s.idle():
			// A kept connection (session mode, pinned) is read while the
			// client is idle: notifications of a LISTENing session go
			// through, and a backend that is terminated or restarts ends
			// the client session at once, so its driver reconnects.
			msg, err = s.receiveListening()
		case s.idle():
			msg, err = s.c.ReceiveIdle()
		case s.q.quiet():
			// Idle inside a transaction: the client has its ReadyForQuery.
			msg, err = s.c.ReceiveWithin(s.idleInTx)
		default:
			msg, err = s.c.Receive()
		}
		if err != nil {
			return err
		}
		if s.q.skipping {
			switch msg.(type) {
			case *pgproto3.Parse, *pgproto3.Bind, *pgproto3.Describe, *pgproto3.Execute, *pgproto3.Close:
				continue
			}
		}
		if len(s.held) > 0 {
			if kept, err := s.holdMore(ctx, msg); err != nil {
				return err
			} else if kept {
				continue
			}
		}
		switch m := msg.(type) {
		case *pgproto3.Query:
			err = s.query(ctx, m)
		case *pgproto3.Parse:
			err = s.parse(ctx, m)
		case *pgproto3.Bind:
			err = s.bind(ctx, m)
		case *pgproto3.Describe:
			err = s.describe(ctx, m)
		case *pgproto3.Execute:
			err = s.execute(ctx, m)
		case *pgproto3.Close:
			err = s.close(ctx, m)
		case *pgproto3.Sync:
			err = s.sync(ctx)
		case *pgproto3.Flush:
			err = s.flush(ctx)
		case *pgproto3.FunctionCall:
			err = s.functionCall(ctx, m)
		case *pgproto3.Terminate:
			return nil
		case *pgproto3.CopyData, *pgproto3.CopyDone, *pgproto3.CopyFail:
			// Outside COPY the server ignores these too.
		default:
			return pgwire.Fatalf(pgwire.CodeProtocolViolation, "unexpected message %T", msg)
		}
		if err != nil {
			return err
		}
		if s.clientGone {
			return nil
		}
	}
}

// idle reports whether the client is between transactions with nothing in flight.
func (s *session) idle() bool {
	return s.txStatus == 'I' && s.q.quiet() && len(s.held) == 0
}

func (s *session) send(m pgproto3.FrontendMessage) {
	s.att.be.Value.fe.Send(m)
}

func (s *session) query(ctx context.Context, m *pgproto3.Query) error {
	if s.log.Enabled(ctx, slog.LevelDebug) {
		s.log.Debug("query", "sql", sqltext.Mask(m.String))
	}
	var a *analysis.Analysis
	started := false
	if s.st == nil {
		st, den := s.sess.Start(ctx, "query", m.String, s.cancelFn)
		if den != nil {
			return s.deniedQuery(ctx, den)
		}
		s.st, a, started = st, st.Analysis, true
		if st.SQL != m.String {
			m = &pgproto3.Query{String: st.SQL}
		}
	} else {
		// A Query inside an extended batch not yet synced runs under the
		// batch's statement, as the server answers both with one
		// ReadyForQuery.
		d, qa := s.sess.Check(ctx, "query", m.String)
		if d.Denial != nil {
			return s.deniedQuery(ctx, d.Denial)
		} else if d.SQL != "" {
			m = &pgproto3.Query{String: d.SQL}
		}
		a = qa
	}
	eff := a.Effects()
	if eff.Pin != "" {
		s.untrack()
		s.pin(eff.Pin)
	}
	if eff.Statements == 1 && len(eff.Deallocate) == 1 && !eff.DeallocateAll {
		if _, ours := s.prep.named[eff.Deallocate[0]]; ours {
			// A protocol-level statement the server knows under another name.
			delete(s.prep.named, eff.Deallocate[0])
			s.finish(nil)
			s.c.Send(&pgproto3.CommandComplete{CommandTag: []byte("DEALLOCATE")})
			s.c.Send(&pgproto3.ReadyForQuery{TxStatus: s.txStatus})
			return s.c.Flush()
		}
	}
	if started && eff.Statements == 1 && eff.Pin == "" && len(s.q.ops) == 0 && !s.q.inBatch && s.txStatus != 'E' {
		if c := s.st.Cache(); c != nil {
			v := stmt.Variant{Format: formatSimple, Settings: s.settings()}
			if r, ok := s.hit(ctx, c, v); ok && r.Desc != nil {
				// Answered from the cache: no backend connection is needed.
				s.replay(r, true)
				s.finish(nil)
				s.toClient(&pgproto3.ReadyForQuery{TxStatus: s.txStatus})
				s.flushClient()
				return nil
			}
			s.startRecording(c, v, nil, true)
		}
	}
	// A write Query in the middle of a batch begun on a replica goes
	// there and the replica refuses it (25006), in order with the rest.
	_ = s.noteStatement(a)
	err := s.roundTrip(ctx, m, op{kind: opQuery, sql: m.String}, a)
	if err == nil && s.att.be != nil && !s.q.inBatch && (eff.DiscardAll || eff.DeallocateAll) {
		b := s.att.be.Value
		b.prepared = map[string]bool{}
		b.unnamedOwner = nil
		s.prep.forget()
		if eff.DiscardAll {
			s.untracked = ""
			b.paramsReset()
			for k, v := range s.startWant {
				s.want[k] = v
			}
			s.wantKey = ""
		}
	}
	if err == nil {
		s.maybeRelease()
	}
	return err
}

// functionCall relays a FunctionCall: a statement of its own, with no
// text for the policy to check (refused when the policy checks texts).
func (s *session) functionCall(ctx context.Context, m *pgproto3.FunctionCall) error {
	if s.gate.Refuses() {
		den := &policy.Denial{Code: pgwire.CodeInsufficientPrivilege,
			Message: "the function-call protocol carries no SQL for the policy to check; use SELECT"}
		s.sess.Refused(den)
		return s.deniedQuery(ctx, den)
	}
	if s.st == nil {
		st, den := s.sess.Begin(ctx, "", s.cancelFn)
		if den != nil {
			return s.deniedQuery(ctx, den)
		}
		s.st = st
	}
	err := s.roundTrip(ctx, m, op{kind: opFunction}, nil)
	if err == nil {
		s.maybeRelease()
	}
	return err
}

// roundTrip sends a message that ends with ReadyForQuery (Query,
// FunctionCall) and relays the answer; a is the statement it carries,
// which may route it to a replica (nil: where writes go).
func (s *session) roundTrip(ctx context.Context, m pgproto3.FrontendMessage, o op, a *analysis.Analysis) error {
	if err := s.attachFor(ctx, a); err != nil {
		if pe, ok := errors.AsType[*pgwire.Error](err); ok {
			s.st.Fail(pe.Code)
			s.finish(nil)
			s.c.SendError(err)
			s.c.Send(&pgproto3.ReadyForQuery{TxStatus: s.txStatus})
			return s.c.Flush()
		}
		return err
	}
	s.send(m)
	s.q.push(o)
	if err := s.exchange(ctx); err != nil {
		return err
	}
	s.q.inBatch = false
	s.finish(nil)
	return nil
}
