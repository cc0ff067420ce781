package pgrelay

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/floe-db/floe/internal/cache"
	"github.com/floe-db/floe/internal/cache/wirefmt"
	"github.com/floe-db/floe/internal/stmt"
)

// Result cache (issue 19): a statement the pipeline's cache stage offers
// (Statement.Cache) is answered from a stored result on a hit, and its
// result is recorded while it is relayed on a miss. The relay stores what
// the client received (after masks): the RowDescription, the DataRows and
// the CommandComplete, as the wire messages themselves behind a two-byte
// header (encodeHeader). A simple Query replays all three; an Execute
// replays the rows and the tag (and the description when the client
// described the portal in the same batch). What the stage cannot see and
// that changes the bytes goes in the stmt.Variant: the result formats and
// parameter values of a Bind, and the session settings (settings).

// The stored results' encoding is package wirefmt's, shared with the
// embedded engine's PostgreSQL front.
const (
	formatSimple  = wirefmt.PGSimple
	resultMagic   = wirefmt.PGMagic
	resultVersion = wirefmt.PGVersion
)

// replayChunk is how many bytes of stored rows are buffered for the
// client before a flush.
const replayChunk = 64 << 10

type (
	pgResult    = wirefmt.PGResult
	rawMessages = wirefmt.RawMessages
)

// recording is the result of the statement under way being recorded
// for the cache.
type recording struct {
	rec stmt.Recorder
	// portal is the Execute's portal (nil: a simple Query).
	portal *portal
	// needDesc: the variant promises a RowDescription.
	needDesc bool
	desc     bool
	rows     int64
	buf      []byte // scratch for encoding a message
}

// write records one message the client received; false ends the
// recording.
func (r *recording) write(m pgproto3.BackendMessage) bool {
	var err error
	if r.buf, err = m.Encode(r.buf[:0]); err != nil {
		return false
	}
	return r.rec.Write(r.buf)
}

// startRecording records the result of the statement under way in v,
// if the cache stage wants it.
func (s *session) startRecording(c stmt.Cached, v stmt.Variant, p *portal, needDesc bool) {
	if s.untracked != "" {
		return
	}
	rec := c.Record(v)
	if rec == nil {
		return
	}
	if !rec.Write([]byte{resultMagic, resultVersion}) {
		return
	}
	s.rec = &recording{rec: rec, portal: p, needDesc: needDesc}
}

// recordAnswer passes a message the client received for the head op of
// kind k to the recording, which ends there if the message has no place
// in a stored result.
func (s *session) recordAnswer(head *op, msg pgproto3.BackendMessage) {
	r := s.rec
	if r == nil {
		return
	}
	if s.mask.muted || s.clientGone {
		s.rec = nil
		return
	}
	ours := head.kind == opQuery && r.portal == nil || head.kind == opExecute && head.portal == r.portal && r.portal != nil
	switch m := msg.(type) {
	case *pgproto3.RowDescription:
		describes := head.kind == opQuery && r.portal == nil || head.kind == opDescribePortal && head.portal == r.portal && r.portal != nil
		if !describes && head.kind != opQuery || head.swallow {
			// Another statement's description (or the relay's own, for
			// masking): not part of the result.
			return
		}
		if !describes || r.desc {
			s.rec = nil
			return
		}
		r.desc = true
		if !r.write(m) {
			s.rec = nil
		}
	case *pgproto3.DataRow:
		if !ours {
			s.rec = nil
			return
		}
		r.rows++
		if !r.write(m) {
			s.rec = nil
		}
	case *pgproto3.CommandComplete:
		if !ours || r.needDesc && !r.desc {
			s.rec = nil
			return
		}
		if r.write(m) {
			r.rec.Complete(r.rows)
		}
		s.rec = nil
	case *pgproto3.NoData, *pgproto3.ParseComplete, *pgproto3.BindComplete, *pgproto3.ParameterDescription, *pgproto3.CloseComplete:
		// Answers to other messages of the batch.
	default:
		// Notices, parameter changes, COPY, an empty query, a suspended
		// portal, an error: not a result to store.
		s.rec = nil
	}
}

// settings is the session's part of the cache key: the backend login
// and the parameters that change how results are written (client
// encoding, DateStyle, IntervalStyle, TimeZone, standard_conforming_
// strings and any startup parameter), or an "untracked" marker no
// other session shares once the session changed a setting the relay does
// not follow (SET search_path, set_config(), a temporary table, …).
func (s *session) settings() string {
	var b strings.Builder
	// The login by index and name: an index may name another login
	// after a reload, and the cache outlives reloads.
	b.WriteString("login=")
	b.WriteString(strconv.Itoa(s.att.login))
	b.WriteByte(':')
	b.WriteString(strconv.Quote(s.r.logins.Name(s.att.login)))
	writeParams(&b, s.want, "application_name")
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

// bindKey is the part of the variant of an Execute that its Bind b of a
// statement parsed with parameter types oids decides (wirefmt.BindKey).
func bindKey(b *pgproto3.Bind, oids []uint32) (format string, params []byte) {
	return wirefmt.BindKey(b, oids)
}

// variant is the variant of an Execute of the portal p (keyed at its
// Bind); described: the client described the portal in the batch, and a
// hit replays the description too.
func (s *session) variant(p *portal) stmt.Variant {
	f := p.keyFormat
	if p.describedInBatch {
		f += "+describe"
	}
	return stmt.Variant{Format: f, Params: p.keyParams, Settings: s.settings()}
}

// hit looks the statement under way up in the cache in v: the stored
// result, or false (a miss, a result that does not decode, or one the
// statement's result bounds would stop: it runs).
func (s *session) hit(ctx context.Context, c stmt.Cached, v stmt.Variant) (pgResult, bool) {
	res, ok := c.Hit(ctx, v)
	if !ok {
		return pgResult{}, false
	}
	r, err := wirefmt.DecodePG(res.Payload)
	if err != nil {
		s.log.Warn("a stored result does not decode; running the statement", "error", err.Error())
		return pgResult{}, false
	}
	if b := s.st.Bounds(); b.MaxRows > 0 && r.N > b.MaxRows || b.MaxBytes > 0 && r.Size > b.MaxBytes {
		return pgResult{}, false
	}
	return r, true
}

// replay sends a stored result to the client as the backend's answer
// would have gone (the description when desc), counting its rows as
// relayed rows are counted.
func (s *session) replay(r pgResult, desc bool) {
	if desc && r.Desc != nil {
		s.toClient(rawMessages(r.Desc))
	}
	s.st.Responded()
	start := 0
	for off := 0; off < len(r.Rows); {
		n := wirefmt.NextRow(r.Rows[off:])
		_ = s.st.Row(n) // within the bounds (checked before the hit)
		s.resultRows++
		off += n
		if off-start >= replayChunk {
			s.toClient(rawMessages(r.Rows[start:off]))
			s.flushClient()
			start = off
		}
	}
	if start < len(r.Rows) {
		s.toClient(rawMessages(r.Rows[start:]))
	}
	s.toClient(rawMessages(r.Done))
	s.endResult(r.Tag)
	s.st.NextResult()
}

// writeParams writes params in name order, ";name=quoted value" each,
// leaving out skip (cache.WriteSettings).
func writeParams(b *strings.Builder, params map[string]string, skip string) {
	cache.WriteSettings(b, params, skip, func(v string) string { return v })
}
