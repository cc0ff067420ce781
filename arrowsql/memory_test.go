package arrowsql

import (
	"context"
	"runtime"
	"testing"
)

// peakHeap streams a result and returns the rows read and the highest
// heap seen after each batch: the live heap when gc is set (a GC runs
// before each sample), else the heap with its garbage.
func peakHeap(t testing.TB, r *Reader, gc bool) (rows int64, peak uint64) {
	t.Helper()
	defer r.Release()
	var ms runtime.MemStats
	for r.Next() {
		rows += r.RecordBatch().NumRows()
		if gc {
			runtime.GC()
		}
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return rows, peak
}

const exportQuery = `SELECT g AS id, g % 1000 AS k, 'row number ' || g AS label, now() AS at, g::numeric(12,2) / 3 AS amount
	FROM generate_series(1, 1000000) g`

// Streaming a million rows keeps the live heap at about one batch: the
// result is never held whole.
func TestPostgresExportMemoryIsFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("streams a million rows")
	}
	c := pgConn(t)
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	r, err := QueryPostgres(context.Background(), c, exportQuery, nil, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rows, peak := peakHeap(t, r, true)
	if rows != 1_000_000 {
		t.Fatalf("%d rows", rows)
	}
	grew := int64(peak) - int64(base.HeapAlloc)
	t.Logf("1M rows: live heap %d MB above the start", grew>>20)
	// One batch of these rows is about 5 MB; the whole result about 80 MB.
	if grew > 48<<20 {
		t.Errorf("live heap grew by %d MB streaming 1M rows; the result is being held", grew>>20)
	}
}

// BenchmarkPostgresExport reports rows/s and the peak live heap of
// streaming a million rows to Arrow (make bench-arrow runs the 10M-row
// comparison against COPY).
func BenchmarkPostgresExport(b *testing.B) {
	c := pgConn(b)
	var total int64
	var peak uint64
	for i := 0; i < b.N; i++ {
		r, err := QueryPostgres(context.Background(), c, exportQuery, nil, Options{}, nil)
		if err != nil {
			b.Fatal(err)
		}
		rows, p := peakHeap(b, r, false)
		total += rows
		peak = max(peak, p)
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(peak>>20), "peak-heap-MB")
}
