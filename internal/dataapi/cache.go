package dataapi

import (
	"bytes"
	"context"
	"fmt"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/floe-db/floe/arrowsql"
	"github.com/floe-db/floe/internal/stmt"
)

// HeaderCache is the response header (and Flight SQL metadata key, in
// lower case) that says what the result cache did: hit, miss, or
// bypass; reason=….
const HeaderCache = "Floe-Cache"

// rowReader is what a Result streams: a live query's reader or a stored
// result replayed.
type rowReader interface {
	Schema() *arrow.Schema
	Next() bool
	RecordBatch() arrow.RecordBatch
	Err() error
	Rows() int64
	Release()
}

// LoginNamer is a Source that names the backend login its statements
// run as. Two logins may read different rows of the same text (their
// grants, row-level security, views over current_user), so the login is
// part of a result's cache key; a source that does not name one runs
// every caller's statements as the same login.
type LoginNamer interface {
	LoginName() string
}

// loginOf names the backend login src runs statements as.
func loginOf(src Source) string {
	if l, ok := src.(LoginNamer); ok {
		return l.LoginName()
	}
	return ""
}

// cacheVariant is what, beyond the SQL and the caller's masks, shapes
// the Arrow stream of a data-API result: the data APIs share one
// encoding (Arrow IPC, whatever the HTTP response format), so HTTP and
// Flight SQL share an entry for the same statement, parameters and
// backend login.
func cacheVariant(args []any, opts arrowsql.Options, login string) stmt.Variant {
	var p bytes.Buffer
	for _, a := range args {
		s := fmt.Sprintf("%T=%v", a, a)
		p.WriteString(strconv.Itoa(len(s)))
		p.WriteByte(':')
		p.WriteString(s)
	}
	return stmt.Variant{Format: "arrow/numeric=" + strconv.Itoa(int(opts.Numeric)), Params: p.Bytes(), Settings: "login=" + strconv.Quote(login)}
}

// cacheStatus is the HeaderCache value of a statement's verdict ("" when
// the database has no cache).
func cacheStatus(st *stmt.Statement) string {
	c := st.Cache()
	if c == nil {
		return ""
	}
	s, reason := c.Verdict()
	if reason == "" {
		return s
	}
	return s + "; reason=" + reason
}

// replay serves a stored Arrow IPC stream, each row counted against the
// caller's result bounds (onRow) as a live result's is: past them the
// stream ends with the bound's denial after the rows it allowed.
type replay struct {
	r     *ipc.Reader
	onRow func(bytes int) error
	cur   arrow.RecordBatch // a slice of the reader's batch (or nil)
	rows  int64
	err   error
	done  bool
}

func newReplay(payload []byte, onRow func(int) error) (*replay, error) {
	r, err := ipc.NewReader(bytes.NewReader(payload), ipc.WithAllocator(memory.DefaultAllocator))
	if err != nil {
		return nil, err
	}
	return &replay{r: r, onRow: onRow}, nil
}

func (p *replay) Schema() *arrow.Schema { return p.r.Schema() }
func (p *replay) Next() bool {
	if p.cur != nil {
		p.cur.Release()
		p.cur = nil
	}
	if p.done || !p.r.Next() {
		return false
	}
	b := p.r.RecordBatch()
	n := b.NumRows()
	allowed := n
	if p.onRow != nil && n > 0 {
		per := 0
		for _, c := range b.Columns() {
			for _, buf := range c.Data().Buffers() {
				if buf != nil {
					per += buf.Len()
				}
			}
		}
		per /= int(n)
		for i := int64(0); i < n; i++ {
			if err := p.onRow(per); err != nil {
				p.err, p.done, allowed = err, true, i
				break
			}
		}
	}
	if allowed == 0 && p.done {
		return false
	}
	p.cur = b.NewSlice(0, allowed)
	p.rows += allowed
	return true
}
func (p *replay) RecordBatch() arrow.RecordBatch { return p.cur }
func (p *replay) Err() error {
	if p.err != nil {
		return p.err
	}
	return p.r.Err()
}
func (p *replay) Rows() int64 { return p.rows }
func (p *replay) Release() {
	if p.cur != nil {
		p.cur.Release()
		p.cur = nil
	}
	p.r.Release()
}

// recording passes a live result through and copies it, as an Arrow IPC
// stream, to the cache's recorder; the entry is complete when the
// stream ended without error.
type recording struct {
	*arrowsql.Reader
	rec stmt.Recorder
	w   *ipc.Writer
	bad bool
}

// recWriter adapts a Recorder to io.Writer: past the bound it fails.
type recWriter struct{ rec stmt.Recorder }

func (w recWriter) Write(p []byte) (int, error) {
	if !w.rec.Write(p) {
		return 0, errTooLarge
	}
	return len(p), nil
}

var errTooLarge = fmt.Errorf("result over the cache's max_result")

func newRecording(r *arrowsql.Reader, rec stmt.Recorder) *recording {
	return &recording{Reader: r, rec: rec, w: ipc.NewWriter(recWriter{rec}, ipc.WithSchema(r.Schema()))}
}

func (r *recording) Next() bool {
	if !r.Reader.Next() {
		if r.Reader.Err() == nil && !r.bad {
			if r.w.Close() == nil {
				r.rec.Complete(r.Reader.Rows())
			}
		}
		r.bad = true
		return false
	}
	if !r.bad {
		if err := r.w.Write(r.Reader.RecordBatch()); err != nil {
			r.bad = true
		}
	}
	return true
}

// fromCache serves st's stored result, or wraps the live one in a
// recording, when the statement may use the cache; run starts the live
// query.
func fromCache(ctx context.Context, st *stmt.Statement, v stmt.Variant, onRow func(int) error, run func() (*arrowsql.Reader, error)) (rowReader, error) {
	c := st.Cache()
	if c == nil {
		return run()
	}
	if res, ok := c.Hit(ctx, v); ok {
		if p, err := newReplay(res.Payload, onRow); err == nil {
			st.Responded()
			return p, nil
		}
	}
	r, err := run()
	if err != nil {
		return nil, err
	}
	if rec := c.Record(v); rec != nil {
		return newRecording(r, rec), nil
	}
	return r, nil
}
