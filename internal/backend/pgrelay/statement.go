package pgrelay

import (
	"bytes"
	"context"
	"errors"
	"strconv"

	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/wire/pgwire"
)

// The statement under way (session.st) is what the statement pipeline
// (internal/stmt) sees of the session: a simple Query, with all the
// statements of its text, or an extended-protocol batch from its first
// Execute to Sync. A Query starts it with Session.Start (decision, then
// limits); a batch was decided at Parse and starts it at its first
// Execute with Session.Begin. The exchange reports rows and errors as the
// answer passes, and the ReadyForQuery that ends the answer finishes it
// before the client hears so.

// beginExecute starts the batch's statement at its first Execute of the
// portal p: limits and the pipeline's stages (the decision was made at
// Parse). The statistics go under the first statement the batch
// executes.
func (s *session) beginExecute(ctx context.Context, p *portal) *policy.Denial {
	text := ""
	if p != nil && p.st != nil && p.st.a != nil {
		text = p.st.a.Text
	}
	if s.st != nil {
		if den := s.sess.Recheck(ctx, text); den != nil {
			return den
		}
		// Each Execute is a statement for the rate limits.
		if den := s.st.More(); den != nil {
			return den
		}
		if text != "" {
			s.st.SetText(text)
		}
		return nil
	}
	st, den := s.sess.Begin(ctx, text, s.cancelFn)
	if den != nil {
		return den
	}
	if p != nil {
		st.SetArgs(p.args)
	}
	s.st = st
	if s.att.be != nil {
		// Attached at the batch's Parse or Bind: no wait.
		st.Acquired(s.att.be.Value.addr)
	}
	return nil
}

// endResult adds the rows of the result that ended to the statement: the
// rows relayed to the client, or for a result without rows (DML, COPY)
// the count of its command tag (nil: none).
func (s *session) endResult(tag []byte) {
	n := s.resultRows
	if n == 0 && tag != nil && !s.mask.muted {
		n = tagRows(tag)
	} else if n == 0 {
		// A COPY stopped at a bound: the CopyData messages relayed.
		n = s.copyRows
	}
	s.resultRows, s.copyRows = 0, 0
	s.st.AddRows(n)
}

// finish ends the statement under way, if any: err (nil: it ran to its
// end; errors noted with Fail count too) decides its outcome.
func (s *session) finish(err error) {
	st := s.st
	if st == nil {
		return
	}
	s.endResult(nil)
	s.st = nil
	s.rec = nil
	if pe, ok := errors.AsType[*pgwire.Error](err); ok {
		st.Fail(pe.Code)
	}
	st.Finish(err)
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

// timeoutMessage is the message of a statement the statement timeout
// (limits[].statement_timeout, pool.query_timeout) cancelled.
const timeoutMessage = "canceling statement due to statement timeout"
