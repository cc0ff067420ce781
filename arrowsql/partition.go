package arrowsql

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// QueryFunc runs one statement on a connection of its own and streams
// its result (for example a pool-backed source's Query).
type QueryFunc func(ctx context.Context, sql string, args []any, opts Options) (*Reader, error)

// Dialect says how partition queries quote the partition column.
type Dialect int

const (
	// DialectStandard quotes identifiers with double quotes (PostgreSQL,
	// SQLite).
	DialectStandard Dialect = iota
	// DialectMySQL quotes identifiers with backquotes.
	DialectMySQL
)

// Partitioning splits a query on a numeric column into ranges run
// concurrently (ConnectorX's approach to parallel export).
type Partitioning struct {
	// Column is a numeric column of the query's result.
	Column string
	// Partitions is the number of ranges (and concurrent queries).
	Partitions int
	Dialect    Dialect
}

func (p Partitioning) quote(s string) string {
	if p.Dialect == DialectMySQL {
		return "`" + strings.ReplaceAll(s, "`", "``") + "`"
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// QueryPartitioned runs sql once to find the column's minimum and
// maximum, then once per range
//
//	SELECT * FROM (sql) AS floe_part WHERE col >= lo AND col < hi
//
// (the last range includes the maximum; rows where the column is NULL go
// with the first), each on its own connection from query, and merges the
// batches into one stream in the order they complete. Rows keep no order
// across ranges. Cancelling ctx or releasing the reader stops every
// range.
func QueryPartitioned(ctx context.Context, query QueryFunc, sql string, args []any, part Partitioning, opts Options) (array.RecordReader, error) {
	if part.Partitions < 1 || part.Column == "" {
		return nil, errors.New("partitioning needs a column and at least one partition")
	}
	inner := strings.TrimRight(strings.TrimSpace(sql), ";")
	col := part.quote(part.Column)
	lo, hi, empty, err := bounds(ctx, query, fmt.Sprintf("SELECT min(%s), max(%s) FROM (%s) AS floe_part", col, col, inner), args)
	if err != nil {
		return nil, err
	}
	var queries []string
	base := "SELECT * FROM (" + inner + ") AS floe_part WHERE "
	if empty {
		queries = []string{base + col + " IS NULL"}
	} else {
		n := part.Partitions
		if hi-lo < float64(n) && hi-lo >= 0 && lo == math.Trunc(lo) && hi == math.Trunc(hi) {
			n = max(1, int(hi-lo)+1) // fewer integers than ranges
		}
		step := (hi - lo) / float64(n)
		edge := func(i int) string {
			if i == 0 {
				return num(lo)
			}
			if i == n {
				return num(hi)
			}
			return num(lo + step*float64(i))
		}
		for i := 0; i < n; i++ {
			cond := fmt.Sprintf("%s >= %s AND %s < %s", col, edge(i), col, edge(i+1))
			if i == n-1 {
				cond = fmt.Sprintf("%s >= %s AND %s <= %s", col, edge(i), col, edge(i+1))
			}
			if i == 0 {
				cond = "(" + cond + " OR " + col + " IS NULL)"
			}
			queries = append(queries, base+cond)
		}
	}
	return merge(ctx, query, queries, args, opts)
}

// num writes a bound as SQL: an integer when it is one.
func num(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// bounds reads min and max of the partition column.
func bounds(ctx context.Context, query QueryFunc, q string, args []any) (lo, hi float64, empty bool, err error) {
	r, err := query(ctx, q, args, Options{})
	if err != nil {
		return 0, 0, false, err
	}
	defer r.Release()
	if !r.Next() {
		if r.Err() != nil {
			return 0, 0, false, r.Err()
		}
		return 0, 0, true, nil
	}
	b := r.RecordBatch()
	val := func(i int) (float64, bool, error) {
		a := b.Column(i)
		if a.IsNull(0) {
			return 0, true, nil
		}
		f, err := strconv.ParseFloat(a.ValueStr(0), 64)
		if err != nil {
			return 0, false, fmt.Errorf("partition column is not numeric (%s)", a.DataType())
		}
		return f, false, nil
	}
	lo, null, err := val(0)
	if err != nil || null {
		return 0, 0, null, err
	}
	hi, _, err = val(1)
	return lo, hi, false, err
}

// merged is the stream of several readers' batches.
type merged struct {
	refs    atomic.Int64
	schema  *arrow.Schema
	ch      chan arrow.RecordBatch
	cur     arrow.RecordBatch
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	errOnce sync.Once
	err     error
	done    chan struct{}
}

func merge(ctx context.Context, query QueryFunc, queries []string, args []any, opts Options) (array.RecordReader, error) {
	ctx, cancel := context.WithCancel(ctx)
	readers := make([]*Reader, len(queries))
	for i, q := range queries {
		r, err := query(ctx, q, args, opts)
		if err != nil {
			cancel()
			for _, o := range readers[:i] {
				o.Release()
			}
			return nil, err
		}
		readers[i] = r
	}
	m := &merged{schema: readers[0].Schema(), ch: make(chan arrow.RecordBatch, len(readers)), cancel: cancel, done: make(chan struct{})}
	m.refs.Store(1)
	for _, r := range readers {
		if !r.Schema().Equal(m.schema) {
			m.fail(fmt.Errorf("the partitions have different schemas (%s and %s)", m.schema, r.Schema()))
		}
	}
	for _, r := range readers {
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			defer r.Release()
			for r.Next() {
				b := r.RecordBatch()
				b.Retain()
				select {
				case m.ch <- b:
				case <-ctx.Done():
					b.Release()
					return
				}
			}
			if err := r.Err(); err != nil {
				m.fail(err)
			}
		}()
	}
	go func() {
		m.wg.Wait()
		close(m.ch)
	}()
	return m, nil
}

// fail records the first error and stops every range.
func (m *merged) fail(err error) {
	m.errOnce.Do(func() {
		m.err = err
		close(m.done)
	})
	m.cancel()
}

func (m *merged) Schema() *arrow.Schema { return m.schema }

func (m *merged) Next() bool {
	if m.cur != nil {
		m.cur.Release()
		m.cur = nil
	}
	select {
	case <-m.done:
		return false
	case b, ok := <-m.ch:
		if !ok {
			return false
		}
		select {
		case <-m.done:
			b.Release()
			return false
		default:
		}
		m.cur = b
		return true
	}
}

func (m *merged) RecordBatch() arrow.RecordBatch { return m.cur }

// Record returns the current batch.
//
// Deprecated: use RecordBatch.
func (m *merged) Record() arrow.RecordBatch { return m.cur }

func (m *merged) Err() error {
	select {
	case <-m.done:
		return m.err
	default:
		return nil
	}
}

func (m *merged) Retain() { m.refs.Add(1) }

func (m *merged) Release() {
	if m.refs.Add(-1) != 0 {
		return
	}
	if m.cur != nil {
		m.cur.Release()
		m.cur = nil
	}
	m.cancel()
	for b := range m.ch {
		b.Release()
	}
}
