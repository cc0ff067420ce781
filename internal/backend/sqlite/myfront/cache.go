package myfront

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/floe-db/floe/internal/cache"
	"github.com/floe-db/floe/internal/cache/wirefmt"
	"github.com/floe-db/floe/internal/stmt"
	"github.com/floe-db/floe/internal/wire/mysqlwire"
)

// Result cache (issue 19): a statement the pipeline's cache stage offers
// (Statement.Cache) is answered from a stored result on a hit, and its
// result set is recorded as it is written on a miss, in the MySQL
// relay's encoding (package wirefmt): the column count, the column
// definitions, the rows (text for COM_QUERY, binary for
// COM_STMT_EXECUTE) and the warnings. A replay's status flags are the
// session's at that moment (autocommit, in transaction). Only a single
// result set is stored: an OK, an error or more results end the
// recording.

// recording is the result set under way being recorded for the cache.
type recording struct {
	rec  stmt.Recorder
	rows int64
	buf  []byte
}

// startRecording records the result of the statement under way in v, if
// the cache stage wants it.
func (s *mySession) startRecording(c stmt.Cached, v stmt.Variant) {
	s.rec = nil
	rec := c.Record(v)
	if rec == nil || !rec.Write([]byte{wirefmt.MyMagic, wirefmt.MyVersion}) {
		return
	}
	s.rec = &recording{rec: rec}
}

// record passes a frame written to the client to the recording, which
// ends when the cache's bound is passed.
func (s *mySession) record(kind byte, body []byte) {
	r := s.rec
	if r == nil {
		return
	}
	r.buf = wirefmt.AppendFrame(r.buf[:0], kind, body)
	if !r.rec.Write(r.buf) {
		s.rec = nil
		return
	}
	if kind == wirefmt.FrameRow {
		r.rows++
	}
}

// recordEnd ends the recording of a result set that ended with warnings
// and status: complete unless more results follow.
func (s *mySession) recordEnd(warnings, status uint16) {
	r := s.rec
	s.rec = nil
	if r == nil || status&(mysqlwire.StatusMoreResults|mysqlwire.StatusCursorExists) != 0 {
		return
	}
	r.buf = wirefmt.AppendEnd(r.buf[:0], warnings, status)
	if r.rec.Write(r.buf) {
		r.rec.Complete(r.rows)
	}
}

// settings is the session's part of the cache key: the database and the
// session's system variables (character sets, sql_mode, time_zone, …),
// but autocommit, which changes no result (its status flag is the
// session's at replay).
func (s *mySession) settings() string {
	var b strings.Builder
	b.WriteString("db=")
	b.WriteString(strconv.Quote(s.c.Database))
	cache.WriteSettings(&b, s.vars, "autocommit", func(v any) string { return fmt.Sprint(v) })
	return b.String()
}

// hit looks statement st up in the cache in v: the stored result, or
// false (a miss, a result that does not decode, or one the statement's
// result bounds would stop: it runs).
func (s *mySession) hit(ctx context.Context, st *stmt.Statement, c stmt.Cached, v stmt.Variant) (wirefmt.MyResult, bool) {
	res, ok := c.Hit(ctx, v)
	if !ok {
		return wirefmt.MyResult{}, false
	}
	r, err := wirefmt.DecodeMy(res.Payload)
	if err != nil {
		return wirefmt.MyResult{}, false
	}
	if b := st.Bounds(); b.MaxRows > 0 && int64(len(r.Rows)) > b.MaxRows || b.MaxBytes > 0 && r.Size > b.MaxBytes {
		return wirefmt.MyResult{}, false
	}
	return r, true
}

// serve answers the statement under way from the cache in v when it
// holds it (true), else starts recording its result.
func (s *mySession) serve(ctx context.Context, c stmt.Cached, v stmt.Variant) (bool, error) {
	st := s.cur
	if r, ok := s.hit(ctx, st, c, v); ok {
		if !s.autocommit && !s.inTx {
			// autocommit=0: the read opens the transaction, as a run would.
			if _, err := s.conn.ExecContext(ctx, "BEGIN"); err != nil {
				return true, err
			}
			s.inTx = true
		}
		return true, s.replay(st, r)
	}
	s.startRecording(c, v)
	return false, nil
}

// replay writes a stored result set to the client with the session's
// status flags, counting its rows as written rows are counted.
func (s *mySession) replay(st *stmt.Statement, r wirefmt.MyResult) error {
	return wirefmt.ReplayMy(s.c, st, r, s.status()&wirefmt.MySessionStatus)
}
