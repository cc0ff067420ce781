package observe

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// maskDigits stands in for the SQL lexer: digits become ?.
func maskDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return '?'
		}
		return r
	}, s)
}

func TestQueryStatsShapesAndPercentiles(t *testing.T) {
	q := NewQueryStats(10)
	masks := 0
	mask := func(s string) string { masks++; return maskDigits(s) }
	for i := range 100 {
		d := time.Duration(i+1) * time.Millisecond // 1..100 ms
		q.Record("app", fmt.Sprintf("SELECT %d", i%7), mask, d, 2, i%10 == 0)
	}
	q.Record("app", "UPDATE t SET a = 1", mask, 500*time.Millisecond, 1, false)
	q.Record("other", "SELECT 1", mask, time.Millisecond, 1, false)
	if masks != 9 { // 7 distinct SELECT texts, the UPDATE, the other database's SELECT
		t.Errorf("masked %d times, want once per distinct text (9)", masks)
	}
	top := q.Top(0, "count")
	if len(top) != 3 {
		t.Fatalf("shapes %+v", top)
	}
	s := top[0]
	if s.Database != "app" || s.Query != "SELECT ?" || s.Count != 100 || s.Errors != 10 || s.Rows != 200 {
		t.Fatalf("top by count %+v", s)
	}
	within := func(got, want float64) bool { return got >= want && got <= want*1.25+0.01 }
	if !within(s.P50MS, 50) || !within(s.P95MS, 95) || !within(s.P99MS, 99) || s.MaxMS != 100 || s.MeanMS != 50.5 {
		t.Errorf("percentiles p50 %v p95 %v p99 %v max %v mean %v", s.P50MS, s.P95MS, s.P99MS, s.MaxMS, s.MeanMS)
	}
	if byTotal := q.Top(1, "total"); len(byTotal) != 1 || byTotal[0].Query != "SELECT ?" {
		t.Errorf("top by total %+v", byTotal)
	}
	if byMean := q.Top(1, "mean"); byMean[0].Query != "UPDATE t SET a = ?" {
		t.Errorf("top by mean %+v", byMean)
	}
}

func TestQueryStatsBounds(t *testing.T) {
	q := NewQueryStats(3)
	for i := range 10 {
		q.Record("app", fmt.Sprintf("SELECT %c", 'a'+i), maskDigits, time.Millisecond, 0, false)
	}
	top := q.Top(0, "count")
	if len(top) != 4 {
		t.Fatalf("want 3 shapes and (other): %+v", top)
	}
	if top[0].Query != "(other)" || top[0].Count != 7 {
		t.Errorf("other %+v", top[0])
	}
	var nilStats *QueryStats
	nilStats.Record("a", "b", maskDigits, 0, 0, false)
	if nilStats.Top(5, "") != nil {
		t.Error("nil stats")
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				q.Record("app", fmt.Sprintf("SELECT %d FROM t%d", i, g), maskDigits, time.Microsecond, 1, false)
				if i%50 == 0 {
					q.Top(3, "p99")
				}
			}
		}()
	}
	wg.Wait()
}

// BenchmarkQueryStatsRecord is the cost a statement pays: a known text
// (prepared statements, ORMs) is a map lookup under the lock.
func BenchmarkQueryStatsRecord(b *testing.B) {
	q := NewQueryStats(0)
	text := "SELECT abalance FROM pgbench_accounts WHERE aid = $1"
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			q.Record("app", text, maskDigits, time.Millisecond, 1, false)
		}
	})
}

func TestQueryStatsTotals(t *testing.T) {
	q := NewQueryStats(0)
	q.Record("a", "SELECT 1", maskDigits, 50*time.Microsecond, 0, false)
	q.Record("a", "SELECT 2", maskDigits, 5*time.Millisecond, 0, true)
	q.Record("b", "UPDATE x", maskDigits, time.Second, 0, false)
	tot := q.Totals()
	if tot.Count != 3 || tot.Errors != 1 || len(tot.LatencyCounts) != len(tot.LatencyBoundsMS) {
		t.Fatalf("totals %+v", tot)
	}
	below := func(ms float64) uint64 {
		for i, b := range tot.LatencyBoundsMS {
			if b > ms {
				return tot.LatencyCounts[i-1]
			}
		}
		return tot.LatencyCounts[len(tot.LatencyCounts)-1]
	}
	if below(0.04) != 0 || below(1) != 1 || below(100) != 2 || tot.LatencyCounts[len(tot.LatencyCounts)-1] != 3 {
		t.Errorf("cumulative counts: <0.04ms %d, <1ms %d, <100ms %d, all %d", below(0.04), below(1), below(100), tot.LatencyCounts[len(tot.LatencyCounts)-1])
	}
}

// A shape recorded by RecordShape and its texts recorded by Record are
// one entry.
func TestQueryStatsRecordShape(t *testing.T) {
	q := NewQueryStats(10)
	q.Record("app", "SELECT 1", maskDigits, time.Millisecond, 1, false)
	q.RecordShape("app", "SELECT ?", 3*time.Millisecond, 2, true)
	q.RecordShape("app", "", time.Millisecond, 1, false) // no shape: nothing
	top := q.Top(0, "count")
	if len(top) != 1 || top[0].Query != "SELECT ?" || top[0].Count != 2 || top[0].Rows != 3 || top[0].Errors != 1 {
		t.Fatalf("shapes %+v", top)
	}
}
