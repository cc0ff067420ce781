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

// cacheVariant is what, beyond the SQL and the caller's masks, shapes
// the Arrow stream of a data-API result: the data APIs share one
// encoding (Arrow IPC, whatever the HTTP response format), so HTTP and
// Flight SQL share an entry for the same statement and parameters.
func cacheVariant(args []any, opts arrowsql.Options) stmt.Variant {
	var p bytes.Buffer
	for _, a := range args {
		s := fmt.Sprintf("%T=%v", a, a)
		p.WriteString(strconv.Itoa(len(s)))
		p.WriteByte(':')
		p.WriteString(s)
	}
	return stmt.Variant{Format: "arrow/numeric=" + strconv.Itoa(int(opts.Numeric)), Params: p.Bytes()}
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

// replay serves a stored Arrow IPC stream.
type replay struct {
	r    *ipc.Reader
	rows int64
	err  error
}

func newReplay(payload []byte) (*replay, error) {
	r, err := ipc.NewReader(bytes.NewReader(payload), ipc.WithAllocator(memory.DefaultAllocator))
	if err != nil {
		return nil, err
	}
	return &replay{r: r}, nil
}

func (p *replay) Schema() *arrow.Schema { return p.r.Schema() }
func (p *replay) Next() bool {
	if !p.r.Next() {
		return false
	}
	p.rows += p.r.RecordBatch().NumRows()
	return true
}
func (p *replay) RecordBatch() arrow.RecordBatch { return p.r.RecordBatch() }
func (p *replay) Err() error                     { return p.r.Err() }
func (p *replay) Rows() int64                    { return p.rows }
func (p *replay) Release()                       { p.r.Release() }

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
func fromCache(ctx context.Context, st *stmt.Statement, v stmt.Variant, run func() (*arrowsql.Reader, error)) (rowReader, error) {
	c := st.Cache()
	if c == nil {
		return run()
	}
	if res, ok := c.Hit(ctx, v); ok {
		if p, err := newReplay(res.Payload); err == nil {
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
