package dataapi

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestMetaCache: listings are kept per database and source for the TTL,
// dropped by an invalidation of their database (and only theirs), not
// kept when read while an invalidation ran, and never kept with TTL 0.
func TestMetaCache(t *testing.T) {
	ctx := context.Background()
	srcA, srcB := &sqliteSource{}, &sqliteSource{}
	type step struct {
		key        metaKey
		ttl        time.Duration
		invalidate string // before the step
		during     string // invalidated while the listing is read
		sleep      time.Duration
		wantCalls  int // listing reads so far
	}
	k := func(db string, src Source, q string) metaKey { return metaKey{db: db, src: src, text: q} }
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"hit within ttl", []step{{key: k("a", srcA, "q"), ttl: time.Minute, wantCalls: 1}, {key: k("a", srcA, "q"), ttl: time.Minute, wantCalls: 1}}},
		{"ttl 0 keeps nothing", []step{{key: k("a", srcA, "q"), wantCalls: 1}, {key: k("a", srcA, "q"), wantCalls: 2}}},
		{"expired", []step{{key: k("a", srcA, "q"), ttl: 20 * time.Millisecond, wantCalls: 1}, {key: k("a", srcA, "q"), ttl: 20 * time.Millisecond, sleep: 30 * time.Millisecond, wantCalls: 2}}},
		{"per source", []step{{key: k("a", srcA, "q"), ttl: time.Minute, wantCalls: 1}, {key: k("a", srcB, "q"), ttl: time.Minute, wantCalls: 2}}},
		{"per query", []step{{key: k("a", srcA, "q"), ttl: time.Minute, wantCalls: 1}, {key: k("a", srcA, "r"), ttl: time.Minute, wantCalls: 2}}},
		{"invalidated", []step{{key: k("a", srcA, "q"), ttl: time.Minute, wantCalls: 1}, {key: k("a", srcA, "q"), ttl: time.Minute, invalidate: "a", wantCalls: 2}}},
		{"other database invalidated", []step{{key: k("a", srcA, "q"), ttl: time.Minute, wantCalls: 1}, {key: k("a", srcA, "q"), ttl: time.Minute, invalidate: "b", wantCalls: 1}}},
		{"invalidated while read", []step{{key: k("a", srcA, "q"), ttl: time.Minute, during: "a", wantCalls: 1}, {key: k("a", srcA, "q"), ttl: time.Minute, wantCalls: 2}, {key: k("a", srcA, "q"), ttl: time.Minute, wantCalls: 2}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			c := newMetaCache(reg)
			calls := 0
			for i, s := range tc.steps {
				time.Sleep(s.sleep)
				if s.invalidate != "" {
					c.invalidate(s.invalidate)
				}
				rows, err := c.rows(ctx, s.key, s.ttl, func(context.Context) ([][]string, error) {
					calls++
					if s.during != "" {
						c.invalidate(s.during)
					}
					return [][]string{{"public", "t"}}, nil
				})
				if err != nil || len(rows) != 1 || rows[0][1] != "t" {
					t.Fatalf("step %d: %v %v", i, rows, err)
				}
				if calls != s.wantCalls {
					t.Fatalf("step %d: %d listing reads, want %d", i, calls, s.wantCalls)
				}
			}
			if tc.steps[0].ttl > 0 {
				hits := testutil.ToFloat64(c.counter.WithLabelValues("a", MetaHit))
				misses := testutil.ToFloat64(c.counter.WithLabelValues("a", MetaMiss))
				if int(misses) != calls || int(hits+misses) != len(tc.steps) {
					t.Fatalf("counted %v hits %v misses for %d reads of %d", hits, misses, calls, len(tc.steps))
				}
			}
		})
	}
}

// TestMetaCacheError: a failed listing is not kept.
func TestMetaCacheError(t *testing.T) {
	c := newMetaCache(nil)
	key := metaKey{db: "a", text: "q"}
	boom := errors.New("down")
	if _, err := c.rows(context.Background(), key, time.Minute, func(context.Context) ([][]string, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	calls := 0
	if _, err := c.rows(context.Background(), key, time.Minute, func(context.Context) ([][]string, error) { calls++; return nil, nil }); err != nil || calls != 1 {
		t.Fatalf("%v %d", err, calls)
	}
}

// TestMetaCacheSweep: expired listings do not stay behind when new ones
// are kept.
func TestMetaCacheSweep(t *testing.T) {
	c := newMetaCache(nil)
	list := func(context.Context) ([][]string, error) { return nil, nil }
	for i := 0; i < 5; i++ {
		if _, err := c.rows(context.Background(), metaKey{db: "a", text: strconv.Itoa(i)}, 10*time.Millisecond, list); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(20 * time.Millisecond)
	if _, err := c.rows(context.Background(), metaKey{db: "a", text: "last"}, time.Minute, list); err != nil {
		t.Fatal(err)
	}
	if len(c.entries) != 1 {
		t.Fatalf("%d entries kept", len(c.entries))
	}
}
