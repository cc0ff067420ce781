package pgfront

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/floe-db/floe/internal/cache/wirefmt"
	"github.com/floe-db/floe/internal/stmt"
)

// Result cache (issue 19): a statement the pipeline's cache stage offers
// (Statement.Cache) is answered from a stored result on a hit, and its
// result is recorded as it is sent on a miss, in the relay's encoding
// (package wirefmt): the RowDescription (a simple Query, or a portal
// described before its Execute), the DataRows and the CommandComplete.
// A replay ends with the session's own ReadyForQuery status. The
// variant carries what the stage cannot see: the Bind's parameter values
// and result formats, and the session's settings.

// replayChunk is how many bytes of stored rows are buffered for the
// client before a flush.
const replayChunk = 64 << 10

// recording is the result under way being recorded for the cache.
type recording struct {
	rec  stmt.Recorder
	rows int64
	buf  []byte
}

// startRecording records the result of the statement under way in v, if
// the cache stage wants it.
func (s *session) startRecording(c stmt.Cached, v stmt.Variant) {
	s.rec = nil
	rec := c.Record(v)
	if rec == nil || !rec.Write([]byte{wirefmt.PGMagic, wirefmt.PGVersion}) {
		return
	}
	s.rec = &recording{rec: rec}
}

// record passes a message sent to the client to the recording, which
// ends when the cache's bound is passed.
func (s *session) record(m pgproto3.BackendMessage) {
	r := s.rec
	if r == nil {
		return
	}
	var err error
	if r.buf, err = m.Encode(r.buf[:0]); err != nil || !r.rec.Write(r.buf) {
		s.rec = nil
		return
	}
	if _, ok := m.(*pgproto3.DataRow); ok {
		r.rows++
	}
}

// recordDone records the CommandComplete that ends the result: the entry
// is filled when the statement finishes ok.
func (s *session) recordDone(m *pgproto3.CommandComplete) {
	s.record(m)
	if r := s.rec; r != nil {
		r.rec.Complete(r.rows)
	}
	s.rec = nil
}

// settings is the session's part of the cache key: the parameters that
// change how results are written (client encoding, DateStyle,
// IntervalStyle, TimeZone, the session's user, and any other parameter
// set), all but application_name.
func (s *session) settings() string {
	keys := make([]string, 0, len(s.params))
	for k := range s.params {
		if k != "application_name" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(strings.ToLower(k))
		b.WriteByte('=')
		b.WriteString(strconv.Quote(s.params[k]))
	}
	return b.String()
}

// portalVariant is the variant of an Execute of portal pt; described:
// the client described the portal first, and the stored result holds the
// description too.
func (s *session) portalVariant(pt *portal, described bool) stmt.Variant {
	f := pt.keyFormat
	if described {
		f += "+describe"
	}
	return stmt.Variant{Format: f, Params: pt.keyParams, Settings: s.settings()}
}

// hit looks statement st up in the cache in v: the stored result, or
// false (a miss, a result that does not decode, or one the statement's
// result bounds would stop: it runs).
func (s *session) hit(ctx context.Context, st *stmt.Statement, c stmt.Cached, v stmt.Variant) (wirefmt.PGResult, bool) {
	res, ok := c.Hit(ctx, v)
	if !ok {
		return wirefmt.PGResult{}, false
	}
	r, err := wirefmt.DecodePG(res.Payload)
	if err != nil {
		return wirefmt.PGResult{}, false
	}
	if b := st.Bounds(); b.MaxRows > 0 && r.N > b.MaxRows || b.MaxBytes > 0 && r.Size > b.MaxBytes {
		return wirefmt.PGResult{}, false
	}
	return r, true
}

// replay sends a stored result's rows and tag to the client (the
// description first when desc) as the statement under way's answer,
// counting its rows as sent rows are counted.
func (s *session) replay(r wirefmt.PGResult, desc bool) error {
	st := s.cur
	st.NextResult()
	st.Responded()
	if desc {
		s.c.Send(wirefmt.RawMessages(r.Desc))
	}
	start := 0
	for off := 0; off < len(r.Rows); {
		n := wirefmt.NextRow(r.Rows[off:])
		_ = st.Row(n) // within the bounds (checked before the hit)
		st.AddRows(1)
		off += n
		if off-start >= replayChunk {
			s.c.Send(wirefmt.RawMessages(r.Rows[start:off]))
			if err := s.c.Flush(); err != nil {
				return errClientWrite
			}
			start = off
		}
	}
	if start < len(r.Rows) {
		s.c.Send(wirefmt.RawMessages(r.Rows[start:]))
	}
	s.c.Send(wirefmt.RawMessages(r.Done))
	return nil
}
