package arrowsql

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Numeric says how exact decimal columns (PostgreSQL numeric, MySQL
// DECIMAL) are delivered.
type Numeric int

const (
	// NumericDecimal delivers decimals with a declared precision of at
	// most 38 as Decimal128(precision, scale); wider ones and PostgreSQL
	// numeric without a declared precision are delivered as strings.
	NumericDecimal Numeric = iota
	// NumericString delivers every decimal as its exact text.
	NumericString
)

// Defaults for Options.
const (
	DefaultBatchRows  = 65536
	DefaultBatchBytes = 2 << 20
)

// Origin names where a result column comes from, as the server reports
// it. Table and Column are empty for computed columns.
type Origin struct {
	Name   string // the result column's name
	Schema string // schema (PostgreSQL), database (MySQL), main (SQLite)
	Table  string
	Column string
}

// Masker replaces the values of one result column. A column with a
// Masker is delivered as a string column of the masked text (or, when
// Null reports true, as a column of NULLs of its own type).
type Masker interface {
	// Apply appends the masked form of v (the value's text) to dst.
	Apply(dst, v []byte) []byte
	// Null reports whether the column is replaced by NULL.
	Null() bool
}

// Options tune a query. The zero value is ready to use.
type Options struct {
	// BatchRows bounds the rows of a record batch (DefaultBatchRows when 0).
	BatchRows int
	// BatchBytes bounds the raw value bytes of a record batch
	// (DefaultBatchBytes when 0); a batch holds at least one row.
	BatchBytes int
	// Numeric chooses the Arrow type of exact decimals.
	Numeric Numeric
	// Allocator allocates the batches (memory.DefaultAllocator when nil).
	Allocator memory.Allocator
	// Mask, when set, is asked once per result column with the column's
	// origin; the values of a column it returns a Masker for are masked.
	Mask func(Origin) Masker
	// OnRow, when set, is called for each row with its size in bytes
	// before the row is added; an error ends the stream with that error
	// and stops the statement on the server.
	OnRow func(bytes int) error
}

func (o Options) withDefaults() Options {
	if o.BatchRows <= 0 {
		o.BatchRows = DefaultBatchRows
	}
	if o.BatchBytes <= 0 {
		o.BatchBytes = DefaultBatchBytes
	}
	if o.Allocator == nil {
		o.Allocator = memory.DefaultAllocator
	}
	return o
}

// ColumnError is a value of a column that cannot be delivered as the
// column's Arrow type.
type ColumnError struct {
	Column string
	Err    error
}

func (e *ColumnError) Error() string { return fmt.Sprintf("column %q: %v", e.Column, e.Err) }
func (e *ColumnError) Unwrap() error { return e.Err }

// errTooLarge is returned for a value that does not fit its Arrow type.
var errTooLarge = errors.New("value out of range for the column's Arrow type")

// producer fills a batch. fill appends rows to rb until the batch is full
// (more is true) or the result ends (more is false). stop ends the query
// early; it is called once, from Release, when the result did not end.
type producer interface {
	fill(rb *array.RecordBuilder) (rows int, more bool, err error)
	stop()
	// close gives back what the producer holds (after the end or stop).
	close()
}

// Reader streams a result as record batches. It implements
// array.RecordReader.
type Reader struct {
	refs   atomic.Int64
	schema *arrow.Schema
	rb     *array.RecordBuilder
	p      producer
	cur    arrow.RecordBatch
	err    error
	done   bool
	closed bool
	rows   int64
	// first is a batch read ahead (SQLite reads one to learn the types
	// of untyped columns).
	first arrow.RecordBatch
}

func newReader(schema *arrow.Schema, mem memory.Allocator, p producer) *Reader {
	r := &Reader{schema: schema, rb: array.NewRecordBuilder(mem, schema), p: p}
	r.refs.Store(1)
	return r
}

// Schema is the result's schema.
func (r *Reader) Schema() *arrow.Schema { return r.schema }

// Next reads the next batch; false at the end of the result or on error
// (see Err).
func (r *Reader) Next() bool {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if r.first != nil {
		r.cur, r.first = r.first, nil
		return true
	}
	if r.done {
		return false
	}
	n, more, err := r.p.fill(r.rb)
	if err != nil || !more {
		r.finish(err)
	}
	if err != nil || n == 0 {
		// A failed batch may hold part of a row; its builders are
		// released with the reader, never turned into a batch.
		return false
	}
	r.cur = r.rb.NewRecordBatch()
	r.rows += int64(n)
	return true
}

// finish ends the stream with err (nil: the result ended).
func (r *Reader) finish(err error) {
	if r.done {
		return
	}
	r.done = true
	r.err = err
	if !r.closed {
		r.closed = true
		if err != nil {
			r.p.stop()
		}
		r.p.close()
	}
}

// RecordBatch returns the current batch, valid until the next Next.
func (r *Reader) RecordBatch() arrow.RecordBatch { return r.cur }

// Record returns the current batch.
//
// Deprecated: use RecordBatch.
func (r *Reader) Record() arrow.RecordBatch { return r.cur }

// Err returns the error that ended the stream (nil at a clean end).
func (r *Reader) Err() error { return r.err }

// Rows returns the number of rows delivered so far.
func (r *Reader) Rows() int64 { return r.rows }

// Retain adds a reference.
func (r *Reader) Retain() { r.refs.Add(1) }

// Release drops a reference; the last one stops the query if it is still
// running and gives the connection back.
func (r *Reader) Release() {
	if r.refs.Add(-1) != 0 {
		return
	}
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if r.first != nil {
		r.first.Release()
		r.first = nil
	}
	if !r.closed {
		r.closed = true
		if !r.done {
			r.p.stop()
		}
		r.p.close()
	}
	r.done = true
	r.rb.Release()
}

var _ array.RecordReader = (*Reader)(nil)
