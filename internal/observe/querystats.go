package observe

import (
	"math"
	"slices"
	"sync"
	"time"
)

// QueryStats keeps per-fingerprint statement statistics for the admin
// API: count, errors, rows and latency percentiles of each statement
// shape (its text with literals masked) per database. It is safe for
// concurrent use; a nil *QueryStats records nothing.
//
// The masked form of a text is computed once per distinct text and
// remembered (up to a bound, then forgotten all at once), so a statement
// sent again, as prepared statements and ORMs do, costs a map lookup.
// At most maxShapes shapes are kept; past that, new shapes are counted
// in one "(other)" entry per database.
type QueryStats struct {
	maxShapes, maxTexts int

	mu     sync.Mutex
	texts  map[textKey]*shapeStats
	shapes map[textKey]*shapeStats
}

type textKey struct{ db, text string }

// latency buckets: bucket i holds durations below base·growth^(i+1).
const (
	latBuckets = 80
	latBase    = 10 * time.Microsecond
	latGrowth  = 1.25
)

type shapeStats struct {
	db, shape     string
	count, errors uint64
	rows          int64
	total         time.Duration
	max           time.Duration
	buckets       [latBuckets]uint32
	last          time.Time
}

// NewQueryStats keeps up to maxShapes shapes (0: 2000).
func NewQueryStats(maxShapes int) *QueryStats {
	if maxShapes <= 0 {
		maxShapes = 2000
	}
	return &QueryStats{maxShapes: maxShapes, maxTexts: 8 * maxShapes,
		texts: map[textKey]*shapeStats{}, shapes: map[textKey]*shapeStats{}}
}

// Record adds one statement of database db: text as sent, mask turning it
// into its shape, how long it took, rows returned or affected, and
// whether it failed.
func (q *QueryStats) Record(db, text string, mask func(string) string, d time.Duration, rows int64, failed bool) {
	if q == nil || text == "" {
		return
	}
	q.mu.Lock()
	st := q.texts[textKey{db, text}]
	if st == nil {
		q.mu.Unlock()
		shape := mask(text) // outside the lock: it lexes the text
		q.mu.Lock()
		st = q.shapeLocked(db, shape)
		if len(q.texts) >= q.maxTexts {
			clear(q.texts)
		}
		q.texts[textKey{db, text}] = st
	}
	st.add(d, rows, failed)
	q.mu.Unlock()
}

// RecordShape is Record for a text whose masked shape the caller knows
// already (it was derived once per shape).
func (q *QueryStats) RecordShape(db, shape string, d time.Duration, rows int64, failed bool) {
	if q == nil || shape == "" {
		return
	}
	q.mu.Lock()
	q.shapeLocked(db, shape).add(d, rows, failed)
	q.mu.Unlock()
}

// shapeLocked is the entry of a shape, made if new ("(other)" once there
// are maxShapes). q.mu is held.
func (q *QueryStats) shapeLocked(db, shape string) *shapeStats {
	st := q.shapes[textKey{db, shape}]
	if st == nil {
		if len(q.shapes) >= q.maxShapes {
			shape = "(other)"
			st = q.shapes[textKey{db, shape}]
		}
		if st == nil {
			st = &shapeStats{db: db, shape: shape}
			q.shapes[textKey{db, shape}] = st
		}
	}
	return st
}

// add counts one execution.
func (st *shapeStats) add(d time.Duration, rows int64, failed bool) {
	st.count++
	if failed {
		st.errors++
	}
	st.rows += rows
	st.total += d
	st.max = max(st.max, d)
	st.buckets[latBucket(d)]++
	st.last = time.Now()
}

func latBucket(d time.Duration) int {
	if d < latBase {
		return 0
	}
	i := int(math.Log(float64(d)/float64(latBase)) / math.Log(latGrowth))
	return min(max(i, 0), latBuckets-1)
}

// quantile is the upper bound of the bucket holding the q-th share of
// the observations (within 25% of the true value), capped by the maximum.
func (s *shapeStats) quantile(q float64) time.Duration {
	rank := uint64(math.Ceil(q * float64(s.count)))
	var seen uint64
	for i, n := range s.buckets {
		seen += uint64(n)
		if seen >= rank && n > 0 {
			return min(time.Duration(float64(latBase)*math.Pow(latGrowth, float64(i+1))), s.max)
		}
	}
	return s.max
}

// QueryStat is one statement shape's figures.
type QueryStat struct {
	Database string    `json:"database"`
	Query    string    `json:"query"`
	Count    uint64    `json:"count"`
	Errors   uint64    `json:"errors"`
	Rows     int64     `json:"rows"`
	TotalMS  float64   `json:"total_ms"`
	MeanMS   float64   `json:"mean_ms"`
	P50MS    float64   `json:"p50_ms"`
	P95MS    float64   `json:"p95_ms"`
	P99MS    float64   `json:"p99_ms"`
	MaxMS    float64   `json:"max_ms"`
	Last     time.Time `json:"last"`
}

// Top returns up to limit shapes ordered by sort: total (time spent,
// the default), count, errors, mean or p99.
func (q *QueryStats) Top(limit int, sort string) []QueryStat {
	if q == nil {
		return nil
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	q.mu.Lock()
	out := make([]QueryStat, 0, len(q.shapes))
	for _, s := range q.shapes {
		out = append(out, QueryStat{Database: s.db, Query: s.shape, Count: s.count, Errors: s.errors, Rows: s.rows,
			TotalMS: ms(s.total), MeanMS: ms(s.total / time.Duration(max(s.count, 1))),
			P50MS: ms(s.quantile(0.5)), P95MS: ms(s.quantile(0.95)), P99MS: ms(s.quantile(0.99)), MaxMS: ms(s.max), Last: s.last})
	}
	q.mu.Unlock()
	key := func(s QueryStat) float64 {
		switch sort {
		case "count":
			return float64(s.Count)
		case "errors":
			return float64(s.Errors)
		case "mean":
			return s.MeanMS
		case "p99":
			return s.P99MS
		}
		return s.TotalMS
	}
	slices.SortFunc(out, func(a, b QueryStat) int {
		if ka, kb := key(a), key(b); ka != kb {
			if ka > kb {
				return -1
			}
			return 1
		}
		if a.Database != b.Database {
			if a.Database < b.Database {
				return -1
			}
			return 1
		}
		if a.Query < b.Query {
			return -1
		}
		return 1
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

// Totals are the statement figures summed over every shape since start,
// with the cumulative latency histogram: LatencyCounts[i] statements took
// less than LatencyBoundsMS[i]. Two snapshots give the rate and the
// percentiles of the time between them.
type Totals struct {
	Count           uint64    `json:"count"`
	Errors          uint64    `json:"errors"`
	LatencyBoundsMS []float64 `json:"latency_bounds_ms"`
	LatencyCounts   []uint64  `json:"latency_counts"`
}

// Totals sums every shape.
func (q *QueryStats) Totals() Totals {
	t := Totals{LatencyBoundsMS: make([]float64, latBuckets), LatencyCounts: make([]uint64, latBuckets)}
	for i := range latBuckets {
		t.LatencyBoundsMS[i] = float64(latBase) * math.Pow(latGrowth, float64(i+1)) / float64(time.Millisecond)
	}
	if q == nil {
		return t
	}
	var per [latBuckets]uint64
	q.mu.Lock()
	for _, s := range q.shapes {
		t.Count += s.count
		t.Errors += s.errors
		for i, n := range s.buckets {
			per[i] += uint64(n)
		}
	}
	q.mu.Unlock()
	var run uint64
	for i, n := range per {
		run += n
		t.LatencyCounts[i] = run
	}
	return t
}
