package pgrelay

import (
	"context"

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
	if s.txStatus == 'T' && s.att.be != nil {
		s.send(&pgproto3.Query{String: failingSQL})
		s.q.push(op{kind: opQuery, replace: resp})
		if err := s.exchange(ctx); err != nil {
			return err
		}
		s.q.inBatch = false
		return nil
	}
	s.c.Send(resp)
	s.c.Send(&pgproto3.ReadyForQuery{TxStatus: s.txStatus})
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
	if s.att.be == nil {
		s.c.Send(resp)
		return s.skipToSync()
	}
	if m.Name == "" {
		s.prep.unnamed = nil
		if b := s.att.be.Value; b.unnamedOwner == s {
			b.unnamedOwner = nil
		}
	}
	if err := s.beginBatch(ctx); err != nil {
		return s.batchError(err)
	}
	s.send(&pgproto3.Parse{Query: failingSQL})
	s.q.push(op{kind: opParse, replace: resp})
	return s.checkPending(ctx)
}
