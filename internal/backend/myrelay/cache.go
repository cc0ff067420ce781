package myrelay

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/floe-db/floe/internal/cache/wirefmt"
	"github.com/floe-db/floe/internal/stmt"
	"github.com/floe-db/floe/internal/wire/mysqlwire"
)

// Result cache (issue 19): a statement the pipeline's cache stage offers
// (Statement.Cache) is answered from a stored result on a hit, and its
// result set is recorded while it is relayed on a miss. The relay stores
// what the client received (after masks), independent of the client's
// EOF dialect: the column-count packet, the column definitions, the rows
// (text or binary protocol, as the variant's format says) and the final
// warnings, in frames of its own (encodeFrame). The status flags of the
// final packet are the session's at replay (autocommit, in transaction,
// NO_BACKSLASH_ESCAPES), never the recorded ones. Only a single result
// set is stored: an OK, an ERR, a LOCAL INFILE request or more results
// end the recording.

// The stored results' encoding is package wirefmt's, shared with the
// embedded engine's MySQL front.
const (
	formatText    = wirefmt.MyText
	formatBinary  = wirefmt.MyBinary
	resultMagic   = wirefmt.MyMagic
	resultVersion = wirefmt.MyVersion
	frameCount    = wirefmt.FrameCount
	frameColumn   = wirefmt.FrameColumn
	frameRow      = wirefmt.FrameRow
	frameEnd      = wirefmt.FrameEnd
	sessionStatus = wirefmt.MySessionStatus
)

type myResult = wirefmt.MyResult

func appendFrame(b []byte, kind byte, body []byte) []byte { return wirefmt.AppendFrame(b, kind, body) }

// recording is the result set of the statement under way being
// recorded for the cache.
type recording struct {
	rec  stmt.Recorder
	rows int64
	buf  []byte // scratch for a frame
}

// write records one frame; false ends the recording.
func (r *recording) write(kind byte, body []byte) bool {
	r.buf = appendFrame(r.buf[:0], kind, body)
	return r.rec.Write(r.buf)
}

// record passes a frame the client received to the recording, which
// ends if the cache's bound is passed.
func (o *results) record(kind byte, body []byte) {
	if o.rec == nil {
		return
	}
	if o.muted || o.gone.Load() || !o.rec.write(kind, body) {
		o.rec = nil
		return
	}
	if kind == frameRow {
		o.rec.rows++
	}
}

// recordEnd ends the recording of a result set that ended with status:
// complete unless more results follow.
func (o *results) recordEnd(warnings, status uint16) {
	r := o.rec
	o.rec = nil
	if r == nil || o.muted || o.gone.Load() || status&(mysqlwire.StatusMoreResults|mysqlwire.StatusCursorExists) != 0 {
		return
	}
	var b [4]byte
	binary.LittleEndian.PutUint16(b[:], warnings)
	binary.LittleEndian.PutUint16(b[2:], status)
	if r.write(frameEnd, b[:]) {
		r.rec.Complete(r.rows)
	}
}

// startRecording records the result of the statement under way in v, if
// the cache stage wants it.
func (s *session) startRecording(c stmt.Cached, v stmt.Variant) {
	if s.untracked != "" {
		return
	}
	rec := c.Record(v)
	if rec == nil || !rec.Write([]byte{resultMagic, resultVersion}) {
		return
	}
	s.rec = &recording{rec: rec}
}

// settings is the session's part of the cache key: the database, the
// backend login, the character set state (handshake collation or SET
// NAMES) — or an "untracked" marker no other session shares once the
// session changed state the relay does not follow (a session SET of
// sql_mode or time_zone, user variables, temporary tables, …).
// sql_mode and time_zone are otherwise the server's defaults, the same
// for every session of the database.
func (s *session) settings() string {
	var b strings.Builder
	b.WriteString("db=")
	b.WriteString(strconv.Quote(s.c.Database))
	// The login by index and name: an index may name another login
	// after a reload, and the cache outlives reloads.
	b.WriteString(";login=")
	b.WriteString(strconv.Itoa(s.login))
	b.WriteByte(':')
	b.WriteString(strconv.Quote(s.r.logins.Name(s.login)))
	b.WriteString(";names=")
	b.WriteString(strconv.Quote(s.names))
	if s.untracked != "" {
		b.WriteString(";untracked=")
		b.WriteString(s.untracked)
	}
	return b.String()
}

// untrack marks the session's settings as no longer known to the relay
// (again: each such statement takes a new marker). From now on its
// statements miss the cache and are not recorded.
func (s *session) untrack() {
	var b [12]byte
	_, _ = rand.Read(b[:])
	s.untracked = hex.EncodeToString(b[:])
}

// executeParams is the parameter part of the key of a COM_STMT_EXECUTE
// (wirefmt.ExecuteParams).
func executeParams(ex *mysqlwire.Execute, types []uint16) []byte {
	return wirefmt.ExecuteParams(ex, types)
}

// hit looks the statement under way up in the cache in v: the stored
// result, or false (a miss, a result that does not decode, or one the
// statement's result bounds would stop: it runs).
func (s *session) hit(ctx context.Context, st *stmt.Statement, c stmt.Cached, v stmt.Variant) (myResult, bool) {
	res, ok := c.Hit(ctx, v)
	if !ok {
		return myResult{}, false
	}
	r, err := wirefmt.DecodeMy(res.Payload)
	if err != nil {
		s.r.log.Warn("a stored result does not decode; running the statement", "error", err.Error())
		return myResult{}, false
	}
	if b := st.Bounds(); b.MaxRows > 0 && int64(len(r.Rows)) > b.MaxRows || b.MaxBytes > 0 && r.Size > b.MaxBytes {
		return myResult{}, false
	}
	return r, true
}

// replay sends a stored result set to the client with the session's
// status flags, counting its rows as relayed rows are counted.
func (s *session) replay(st *stmt.Statement, r myResult) error {
	return wirefmt.ReplayMy(s.c, st, r, s.status&sessionStatus)
}
