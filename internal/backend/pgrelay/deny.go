package pgrelay

import (
	"bytes"
	"context"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/wire/pgwire"
)

// failingSQL is sent in place of a denied statement when the backend's
// transaction must see an error; it is a syntax error, so nothing runs.
const failingSQL = "floe: statement denied by policy"

func denialError(d *policy.Denial) *pgproto3.ErrorResponse {
	return pgwire.ErrorResponse(d)
}

// deniedQuery answers a denied simple Query. Inside a transaction the
// backend is made to fail too, so the transaction is aborted as it would
// be had the server itself refused the statement; otherwise nothing goes
// to the backend.
func (s *session) deniedQuery(ctx context.Context, d *policy.Denial) error {
	resp := denialError(d)
	if s.txStatus == 'T' && s.be != nil {
		if !s.inBatch {
			s.cycleStart = time.Now()
			s.cycleErr = false
		}
		s.send(&pgproto3.Query{String: failingSQL})
		s.pending = append(s.pending, op{kind: opQuery, replace: resp})
		if err := s.exchange(ctx); err != nil {
			return err
		}
		s.inBatch = false
		s.endCycle()
		return nil
	}
	s.c.Send(resp)
	s.c.Send(&pgproto3.ReadyForQuery{TxStatus: s.txStatus})
	s.errObs.Inc()
	return s.c.Flush()
}

// deniedParse answers a denied Parse. With a backend attached (an
// extended-protocol batch is under way, maybe inside a transaction) the
// backend gets a Parse that fails, so the batch and any transaction end
// as the server would end them; the unnamed statement is gone, as after
// any failed Parse. Without one the error is local and the batch is
// skipped to its Sync.
func (s *session) deniedParse(ctx context.Context, m *pgproto3.Parse, d *policy.Denial) error {
	resp := denialError(d)
	if s.be == nil {
		s.c.Send(resp)
		s.errObs.Inc()
		return s.skipToSync()
	}
	if m.Name == "" {
		s.unnamed = nil
		if b := s.be.Value; b.unnamedOwner == s {
			b.unnamedOwner = nil
		}
	}
	if err := s.beginBatch(ctx); err != nil {
		return s.batchError(err)
	}
	s.send(&pgproto3.Parse{Query: failingSQL})
	s.pending = append(s.pending, op{kind: opParse, replace: resp})
	return s.checkPending(ctx)
}

// beginLimits takes the statement limits for what is about to run, once
// per Query or extended batch, and arms the statement timeout.
func (s *session) beginLimits() *policy.Denial {
	if s.run != nil {
		return nil
	}
	r, den := s.gate.Begin(s.cancel)
	if den != nil {
		return den
	}
	s.run, s.runRows, s.runErr = r, 0, ""
	return nil
}

// endLimits gives the statement limits back and records the outcome.
func (s *session) endLimits() {
	if s.run != nil {
		s.run.Done(s.runRows, s.runErr)
		s.run = nil
	}
}

// tagRows is the row count of a CommandComplete tag (SELECT 5, INSERT 0 3).
func tagRows(tag []byte) int64 {
	i := bytes.LastIndexByte(tag, ' ')
	if i < 0 {
		return 0
	}
	n, err := strconv.ParseInt(string(tag[i+1:]), 10, 64)
	if err != nil {
		return 0
	}
	return n
}
