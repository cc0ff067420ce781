package pgrelay

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/sqlerr"
	"github.com/floe-db/floe/internal/wire/pgwire"
)

// copyFlushBytes is how much COPY data is buffered before it is written on.
const copyFlushBytes = 64 << 10

// interrupt stops the read of an exchange under way (the session's
// context ended: the server is shutting down). It runs on another
// goroutine; a connection it stops is failed by its exchange and not
// reused.
func (s *session) interrupt() {
	if b := s.exchanging.Load(); b != nil {
		_ = b.conn.SetReadDeadline(time.Now())
	}
}

// exchange writes what is buffered for the backend and relays responses
// until every pending op is answered. Results stream: the client is
// flushed whenever the backend has nothing more buffered, so memory holds
// at most one read buffer of rows.
func (s *session) exchange(ctx context.Context) error {
	b := s.att.be.Value
	if err := b.fe.Flush(); err != nil {
		return s.backendFailed(ctx, err)
	}
	stopWatch := s.c.WatchClose(watchDelay, s.hangUpFn)
	defer func() { stopWatch() }()
	s.exchanging.Store(b)
	defer func() {
		s.exchanging.Store(nil)
		if ctx.Err() != nil {
			s.att.discard = true // interrupt may yet set a deadline on it
		}
	}()
	if ctx.Err() != nil {
		s.interrupt() // cancelled before the store: interrupt saw nothing to stop
	}

	for len(s.q.ops) > 0 {
		head := &s.q.ops[0]
		if head.cached != nil {
			// An Execute answered from the cache, in its place in the batch.
			s.replay(*head.cached, false)
			s.q.pop()
			continue
		}
		if head.synthetic != nil {
			s.toClient(head.synthetic)
			if e, isErr := head.synthetic.(*pgproto3.ErrorResponse); isErr {
				s.st.Fail(e.Code)
				s.q.dropUntilSync(s.att.be.Value, &s.prep)
			} else {
				s.q.pop()
			}
			continue
		}
		msg, err := b.fe.Receive()
		if err != nil {
			return s.backendFailed(ctx, err)
		}
		switch msg.(type) {
		case *pgproto3.ParseComplete, *pgproto3.BindComplete, *pgproto3.CloseComplete, *pgproto3.ParameterStatus,
			*pgproto3.ParameterDescription, *pgproto3.NoticeResponse:
			// Not yet the statement's answer.
		default:
			s.st.Responded()
		}
		done := false
		k := head.kind
		switch m := msg.(type) {
		case *pgproto3.ParameterStatus:
			s.rec = nil
			b.noteParam(m.Name, m.Value)
			if s.want != nil {
				s.want[strings.ToLower(m.Name)] = m.Value
				s.wantKey = ""
			}
			s.toClient(msg)
		case *pgproto3.ErrorResponse:
			s.rec = nil
			s.gate.Masks().ScrubError(&m.Detail, &m.Where)
			if m.Code == sqlerr.QueryCanceled && s.st.TimedOut() {
				// The gateway's cancel request stopped it: say why, as
				// PostgreSQL's own statement_timeout does.
				m.Message = timeoutMessage
			}
			s.endResult(nil)
			// A failed re-prepare is reported too: it is why the Bind cannot run.
			if head.replace != nil {
				s.st.Fail(head.replace.Code)
				s.toClient(head.replace)
			} else {
				s.st.Fail(m.Code)
				if s.st == nil && k == opParse && !head.swallow {
					// The server refused the client's Parse before any
					// statement ran: a failed statement all the same.
					s.sess.Refused(nil)
				}
				s.toClient(msg)
			}
			switch k {
			case opSync, opQuery, opFunction:
			default:
				s.q.dropUntilSync(s.att.be.Value, &s.prep)
			}
		case *pgproto3.CopyInResponse:
			s.rec = nil
			if k != opQuery && k != opExecute {
				return s.confused(msg)
			}
			if k == opExecute {
				// The server ignores Syncs it reads during COPY FROM STDIN;
				// a Sync sent with the Execute gets no ReadyForQuery. The
				// client sends another after CopyDone (libpq does).
				kept := s.q.ops[:1]
				for _, o := range s.q.ops[1:] {
					if o.kind == opSync {
						s.q.syncDropped = true
						continue
					}
					kept = append(kept, o)
				}
				s.q.ops = kept
			}
			s.toClient(msg)
			stopWatch()
			if err := s.copyIn(ctx, k == opExecute); err != nil {
				return err
			}
			stopWatch = s.c.WatchClose(watchDelay, s.hangUpFn)
		case *pgproto3.ReadyForQuery:
			if k != opSync && k != opQuery && k != opFunction {
				return s.confused(msg)
			}
			s.txStatus = m.TxStatus
			s.mask.muted, s.mask.plan = false, nil
			if s.txStatus == 'I' {
				clear(s.prep.portals) // portals end with their transaction
			}
			if s.mode == config.PoolStatement && m.TxStatus != 'I' && s.att.pinned == "" {
				if err := s.refuseTransaction(ctx); err != nil {
					return err
				}
			}
			// The statement is over before the client can hear so.
			s.finish(nil)
			s.toClient(&pgproto3.ReadyForQuery{TxStatus: s.txStatus})
			done = true
		case *pgproto3.DataRow:
			if ok, _ := answers(msg, k); !ok {
				return s.confused(msg)
			}
			s.maskRow(head, m)
			if den := s.st.Row(rowSize(m)); den != nil {
				s.stop(pgwire.ErrorOf(den))
			}
			if !s.mask.muted {
				s.resultRows++
			}
			s.toClient(msg)
			if s.rec != nil {
				s.recordAnswer(head, msg)
			}
		case *pgproto3.CopyData:
			// COPY … TO STDOUT: a row per message, held to the result
			// bounds as DataRows are (the count comes from the tag).
			if ok, _ := answers(msg, k); !ok {
				return s.confused(msg)
			}
			if den := s.st.Row(len(m.Data) + 5); den != nil {
				s.stop(pgwire.ErrorOf(den))
			}
			if !s.mask.muted {
				s.copyRows++
			}
			s.rec = nil
			s.toClient(msg)
		case *pgproto3.RowDescription:
			ok, ends := answers(msg, k)
			if !ok {
				return s.confused(msg)
			}
			if err := s.describeRows(ctx, head, m); err != nil {
				s.maskFailed(err)
			}
			if !head.swallow {
				s.toClient(msg)
			}
			if s.rec != nil {
				s.recordAnswer(head, msg)
			}
			done = ends
		default:
			ok, ends := answers(msg, k)
			if !ok {
				return s.confused(msg)
			}
			if s.rec != nil {
				s.recordAnswer(head, msg)
			}
			switch m := msg.(type) {
			case *pgproto3.CommandComplete:
				s.endResult(m.CommandTag)
				s.st.NextResult()
				s.mask.plan = nil
			case *pgproto3.NoData:
				if head.st != nil {
					head.st.plan, head.st.planMasks, head.st.described = nil, s.gate.Masks(), true
				}
				if head.portal != nil {
					head.portal.plan, head.portal.described = nil, true
				}
			}
			switch msg.(type) {
			case *pgproto3.ParseComplete, *pgproto3.ParameterDescription, *pgproto3.NoData, *pgproto3.CloseComplete:
				if head.swallow {
					break
				}
				s.toClient(msg)
			default:
				s.toClient(msg)
			}
			done = ends
		}
		if done {
			s.q.pop()
		}
		if b.fe.ReadBufferLen() == 0 {
			s.flushClient()
		}
	}
	s.flushClient()
	stopWatch()
	if s.gone.Load() {
		s.clientGone = true
	}
	return nil
}

// rowSize is the size of a DataRow on the wire.
func rowSize(m *pgproto3.DataRow) int {
	n := 7 + 4*len(m.Values)
	for _, v := range m.Values {
		n += len(v)
	}
	return n
}

// answers reports whether msg may answer an op of kind k and whether it
// completes it. Messages with effects of their own (ParameterStatus,
// ErrorResponse, CopyInResponse, ReadyForQuery) are handled by exchange.
func answers(msg pgproto3.BackendMessage, k opKind) (ok, done bool) {
	results := k == opQuery || k == opExecute
	describe := k == opDescribeStmt || k == opDescribePortal
	switch msg.(type) {
	case *pgproto3.NoticeResponse, *pgproto3.NotificationResponse:
		return true, false
	case *pgproto3.DataRow, *pgproto3.CopyData, *pgproto3.CopyDone, *pgproto3.CopyOutResponse:
		return results, false
	case *pgproto3.FunctionCallResponse:
		return k == opFunction, false
	case *pgproto3.RowDescription:
		return k == opQuery || describe, describe
	case *pgproto3.NoData:
		return describe, true
	case *pgproto3.ParameterDescription:
		return k == opDescribeStmt, false
	case *pgproto3.CommandComplete, *pgproto3.EmptyQueryResponse:
		return results, k == opExecute
	case *pgproto3.PortalSuspended:
		return k == opExecute, true
	case *pgproto3.ParseComplete:
		return k == opParse, true
	case *pgproto3.BindComplete:
		return k == opBind, true
	case *pgproto3.CloseComplete:
		return k == opClose, true
	}
	return false, false
}

// toClient buffers a message for the client unless the client is gone
// or the result was stopped.
func (s *session) toClient(m pgproto3.BackendMessage) {
	if s.clientGone || s.mask.muted {
		return
	}
	s.c.Send(m)
}

func (s *session) flushClient() {
	if s.clientGone {
		return
	}
	if err := s.c.Flush(); err != nil {
		s.lostClient()
	}
}

// hangUp runs on the watcher goroutine when the client disconnects while
// a statement runs.
func (s *session) hangUp() {
	s.gone.Store(true)
	s.cancel()
}

// lostClient notes that writes to the client fail: the running statement
// is cancelled and its remaining output drained so the backend connection
// can be reused.
func (s *session) lostClient() {
	if s.clientGone {
		return
	}
	s.clientGone = true
	s.log.Info("client went away during a statement; cancelling it")
	go s.cancel()
}

// copyIn relays COPY FROM STDIN data from the client to the backend. For
// a COPY run by Execute the server holds its CommandComplete until a Sync
// or Flush, and the client's Sync may still be on its way: a Flush after
// CopyDone gets the answer out.
func (s *session) copyIn(ctx context.Context, extended bool) error {
	b := s.att.be.Value
	s.flushClient()
	if s.clientGone || s.gone.Load() {
		s.clientGone = true
		b.fe.Send(&pgproto3.CopyFail{Message: "client disconnected"})
		return s.flushBackend(ctx)
	}
	buffered := 0
	for {
		msg, err := s.c.Receive()
		if err != nil {
			s.clientGone = true
			b.fe.Send(&pgproto3.CopyFail{Message: "client disconnected"})
			if ferr := s.flushBackend(ctx); ferr != nil {
				return ferr
			}
			if _, ok := errors.AsType[*pgwire.Error](err); ok {
				return err
			}
			return nil
		}
		switch m := msg.(type) {
		case *pgproto3.CopyData:
			b.fe.Send(m)
			buffered += len(m.Data) + 5
			if buffered >= copyFlushBytes {
				buffered = 0
				if err := s.flushBackend(ctx); err != nil {
					return err
				}
			}
		case *pgproto3.CopyDone, *pgproto3.CopyFail:
			b.fe.Send(m)
			if extended {
				b.fe.Send(&pgproto3.Flush{})
			}
			return s.flushBackend(ctx)
		case *pgproto3.Flush, *pgproto3.Sync:
			// Ignored during COPY, as the server does.
		default:
			b.fe.Send(&pgproto3.CopyFail{Message: fmt.Sprintf("unexpected message %T during COPY", msg)})
			if err := s.flushBackend(ctx); err != nil {
				return err
			}
			return pgwire.Fatalf(pgwire.CodeProtocolViolation, "unexpected message %T during COPY from stdin", msg)
		}
	}
}

func (s *session) flushBackend(ctx context.Context) error {
	if err := s.att.be.Value.fe.Flush(); err != nil {
		return s.backendFailed(ctx, err)
	}
	return nil
}

// refuseTransaction ends a transaction a statement-mode client opened.
func (s *session) refuseTransaction(ctx context.Context) error {
	if _, err := s.att.be.Value.simple("ROLLBACK"); err != nil {
		return s.backendFailed(ctx, err)
	}
	s.txStatus = 'I'
	s.st.Fail(pgwire.CodeFeatureNotSupported)
	s.toClient(pgwire.ErrorResponse(pgwire.Errorf(pgwire.CodeFeatureNotSupported,
		"transaction blocks are not allowed in statement pooling mode (database %q); the transaction was rolled back", s.r.name)))
	return nil
}

// backendFailed handles a broken backend connection mid-exchange: the
// connection is discarded and the client told (FATAL: its transaction,
// if any, is gone).
func (s *session) backendFailed(ctx context.Context, err error) error {
	s.rec = nil
	s.att.discard = true
	s.mask.muted = false
	s.q.ops = nil
	s.q.inBatch = false
	if ctx.Err() != nil {
		return pgwire.ErrShutdown
	}
	s.log.Warn("backend connection failed", "error", err.Error())
	return pgwire.Fatalf(pgwire.CodeConnectionFailure, "lost the connection to the backend server of database %q", s.r.name)
}

// confused handles a backend message that does not fit the exchange.
func (s *session) confused(msg pgproto3.BackendMessage) error {
	s.rec = nil
	s.att.discard = true
	s.mask.muted = false
	s.q.ops = nil
	s.q.inBatch = false
	s.log.Error("unexpected backend message", "type", fmt.Sprintf("%T", msg))
	return pgwire.Fatalf(pgwire.CodeProtocolViolation, "the backend sent an unexpected %T", msg)
}

func asPgError(err error) *pgconn.PgError {
	pe, _ := errors.AsType[*pgconn.PgError](err)
	return pe
}

// receiveListening waits for the client's next message while relaying
// what the kept backend sends in the meantime (notifications, notices,
// parameter changes, the FATAL error of a terminated backend); a backend
// that closes ends the client session at once. The backend reader stops
// before this returns, so the session goroutine owns both sockets again.
func (s *session) receiveListening() (pgproto3.FrontendMessage, error) {
	b := s.att.be.Value
	done := make(chan struct{})
	var readErr error
	go func() {
		defer close(done)
		for {
			msg, err := b.fe.Receive()
			if err != nil {
				if !errors.Is(err, os.ErrDeadlineExceeded) {
					readErr = err
					s.c.CloseRead() // the session ends now, not at the client's next message
				}
				return
			}
			switch m := msg.(type) {
			case *pgproto3.NotificationResponse, *pgproto3.NoticeResponse:
				s.c.Send(msg)
			case *pgproto3.ParameterStatus:
				b.noteParam(m.Name, m.Value)
				s.c.Send(msg)
			case *pgproto3.ErrorResponse:
				// The server is ending the connection (e.g. terminated by an administrator).
				s.c.Send(msg)
			default:
				readErr = fmt.Errorf("unexpected %T from an idle backend", msg)
			}
			if err := s.c.Flush(); err != nil {
				return
			}
			if readErr != nil {
				s.c.CloseRead() // the session ends now, not at the client's next message
				return
			}
		}
	}()
	msg, err := s.c.ReceiveIdle()
	_ = b.conn.SetReadDeadline(time.Now())
	<-done
	_ = b.conn.SetReadDeadline(time.Time{})
	if readErr != nil {
		s.att.discard = true
		s.log.Warn("idle backend connection failed", "error", readErr.Error())
		return nil, pgwire.Fatalf(pgwire.CodeConnectionFailure, "lost the connection to the backend server of database %q", s.r.name)
	}
	return msg, err
}
