package dataapi

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/floe-db/floe/arrowsql"
)

// ipcStream is an Arrow IPC stream of batches of ints.
func ipcStream(t testing.TB, batches ...[]int64) []byte {
	t.Helper()
	schema := arrow.NewSchema([]arrow.Field{{Name: "n", Type: arrow.PrimitiveTypes.Int64}}, nil)
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(schema))
	for _, vals := range batches {
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		b.Field(0).(*array.Int64Builder).AppendValues(vals, nil)
		rec := b.NewRecordBatch()
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		rec.Release()
		b.Release()
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReplayBounds(t *testing.T) {
	payload := ipcStream(t, []int64{1, 2, 3}, []int64{4, 5, 6})
	errBound := errors.New("max_result_rows")
	for _, tc := range []struct {
		name  string
		limit int
		rows  int64
		err   error
	}{
		{"no bound", 100, 6, nil},
		{"cut in the second batch", 4, 4, errBound},
		{"cut at a batch end", 3, 3, errBound},
		{"nothing allowed", 0, 0, errBound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seen := 0
			p, err := newReplay(payload, func(n int) error {
				if n <= 0 {
					t.Fatalf("row of %d bytes", n)
				}
				if seen >= tc.limit {
					return errBound
				}
				seen++
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Release()
			var got []int64
			for p.Next() {
				b := p.RecordBatch()
				got = append(got, b.Column(0).(*array.Int64).Int64Values()...)
			}
			if p.Rows() != tc.rows || int64(len(got)) != tc.rows || !errors.Is(p.Err(), tc.err) {
				t.Fatalf("rows %d %v err %v", p.Rows(), got, p.Err())
			}
			for i, v := range got {
				if v != int64(i+1) {
					t.Fatalf("values %v", got)
				}
			}
		})
	}
}

func TestCacheVariant(t *testing.T) {
	base := cacheVariant([]any{int64(1), "a"}, arrowsql.Options{}, "user:a")
	for _, other := range []struct {
		args  []any
		opts  arrowsql.Options
		login string
	}{
		{[]any{int64(2), "a"}, arrowsql.Options{}, "user:a"},
		{[]any{"1", "a"}, arrowsql.Options{}, "user:a"},
		{[]any{int64(1), "a", nil}, arrowsql.Options{}, "user:a"},
		{[]any{int64(1)}, arrowsql.Options{}, "user:a"},
		{[]any{int64(1), "a"}, arrowsql.Options{Numeric: 1}, "user:a"},
		{[]any{int64(1), "a"}, arrowsql.Options{}, "user:b"},
		{[]any{int64(1), "a"}, arrowsql.Options{}, "lease:a"},
		{[]any{int64(1), "a"}, arrowsql.Options{}, ""},
	} {
		v := cacheVariant(other.args, other.opts, other.login)
		if v.Format == base.Format && bytes.Equal(v.Params, base.Params) && v.Settings == base.Settings {
			t.Errorf("%v %+v %q shares the variant of the base", other.args, other.opts, other.login)
		}
	}
	if v := cacheVariant([]any{int64(1), "a"}, arrowsql.Options{BatchRows: 7}, "user:a"); v.Format != base.Format || !bytes.Equal(v.Params, base.Params) || v.Settings != base.Settings {
		t.Error("the batch size changed the variant")
	}
}

// A stored stream cut short ends the replay with an error, never a
// panic (stored streams are the gateway's own, checked by a checksum in
// the shared tier: Arrow's reader is not given foreign bytes).
func TestReplayTruncated(t *testing.T) {
	payload := ipcStream(t, []int64{1, 2, 3}, []int64{4, 5, 6})
	for n := 0; n < len(payload); n += 7 {
		p, err := newReplay(payload[:n], nil)
		if err != nil {
			continue
		}
		for p.Next() {
		}
		p.Release()
	}
}

// memRecorder is a stmt.Recorder over memory, bounded by max bytes.
type memRecorder struct {
	buf      bytes.Buffer
	max      int
	rows     int64
	complete bool
}

func (m *memRecorder) Write(p []byte) bool {
	if m.buf.Len()+len(p) > m.max {
		return false
	}
	m.buf.Write(p)
	return true
}
func (m *memRecorder) Complete(rows int64) { m.complete, m.rows = true, rows }

// TestRecordingRoundTrip: a live result passes through a recording
// unchanged, and what was recorded replays as the same rows; a result
// over the bound is not completed.
func TestRecordingRoundTrip(t *testing.T) {
	db, err := sql.Open("sqlite", t.TempDir()+"/r.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE t (n INTEGER, s TEXT); INSERT INTO t VALUES (1, 'a'), (2, NULL), (3, 'c')"); err != nil {
		t.Fatal(err)
	}
	read := func(r rowReader) [][]string {
		var rows [][]string
		for r.Next() {
			b := r.RecordBatch()
			for i := 0; i < int(b.NumRows()); i++ {
				rows = append(rows, []string{b.Column(0).ValueStr(i), b.Column(1).ValueStr(i)})
			}
		}
		if r.Err() != nil {
			t.Fatal(r.Err())
		}
		return rows
	}
	for _, tc := range []struct {
		max      int
		complete bool
	}{{1 << 20, true}, {64, false}} {
		conn, err := db.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		live, err := arrowsql.QuerySQLite(context.Background(), conn, "SELECT n, s FROM t ORDER BY n", nil, arrowsql.Options{BatchRows: 2}, func(bool) { conn.Close() })
		if err != nil {
			t.Fatal(err)
		}
		rec := &memRecorder{max: tc.max}
		r := newRecording(live, rec)
		got := read(r)
		r.Release()
		if len(got) != 3 || got[1][1] != "(null)" {
			t.Fatalf("live rows %v", got)
		}
		if rec.complete != tc.complete {
			t.Fatalf("max %d: complete %v", tc.max, rec.complete)
		}
		if !tc.complete {
			continue
		}
		p, err := newReplay(rec.buf.Bytes(), nil)
		if err != nil {
			t.Fatal(err)
		}
		again := read(p)
		p.Release()
		if fmt.Sprint(again) != fmt.Sprint(got) || rec.rows != 3 {
			t.Fatalf("replayed %v (%d rows), live %v", again, rec.rows, got)
		}
	}
}
