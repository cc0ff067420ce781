package cache

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/floe-db/floe/internal/analysis"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/stmt"
)

// clock is a fake clock tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }
func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type rig struct {
	c   *Cache
	p   *stmt.Pipeline
	clk *clock
}

func newRig(t *testing.T, d analysis.Dialect, cfg config.Cache, src policy.Source) *rig {
	t.Helper()
	clk := newClock()
	c := New(Options{Database: "db", Dialect: d, Config: cfg, Now: clk.now, Wait: 200 * time.Millisecond})
	p := stmt.New(stmt.Options{Database: "db", Dialect: d, Stages: []stmt.Stage{c}, Policy: src})
	return &rig{c: c, p: p, clk: clk}
}

var variant = stmt.Variant{Format: "test"}

// run runs text in session s: a hit serves the stored payload, a miss
// records result (as the protocol code does). It returns the payload
// served and the verdict.
func run(t *testing.T, s *stmt.Session, text, result string) (string, string, string) {
	t.Helper()
	st, den := s.Start(context.Background(), "query", text, nil)
	if den != nil {
		t.Fatalf("%s: %v", text, den)
	}
	got := result
	if c := st.Cache(); c != nil {
		if r, ok := c.Hit(context.Background(), variant); ok {
			got = string(r.Payload)
		} else if rec := c.Record(variant); rec != nil {
			rec.Write([]byte(result))
			rec.Complete(1)
		}
	}
	status, reason := "", ""
	if c := st.Cache(); c != nil {
		status, reason = c.Verdict()
	}
	st.Finish(nil)
	return got, status, reason
}

// Of a database whose every write passes through the stage (an embedded
// one), entries live their TTL without a change feed: max_staleness does
// not cut them short, and a write through the stage still drops them.
func TestCompleteWritesLiveTheirTTL(t *testing.T) {
	clk := newClock()
	c := New(Options{Database: "db", Dialect: analysis.Postgres, Now: clk.now, Wait: 200 * time.Millisecond, Complete: true,
		Config: config.Cache{Enabled: true, TTL: 10 * time.Second, MaxStaleness: 3 * time.Second, ReadYourWrites: time.Millisecond}})
	p := stmt.New(stmt.Options{Database: "db", Dialect: analysis.Postgres, Stages: []stmt.Stage{c}})
	s := p.Open(policy.Request{User: "u"})
	for i, st := range []struct {
		advance      time.Duration
		text         string
		result, want string
		status       string
	}{
		{0, "SELECT * FROM orders WHERE id = 1", "v1", "v1", StatusMiss},
		{5 * time.Second, "SELECT * FROM orders WHERE id = 1", "v2", "v1", StatusHit}, // past max_staleness
		{4 * time.Second, "SELECT * FROM orders WHERE id = 1", "v3", "v1", StatusHit},
		{2 * time.Second, "SELECT * FROM orders WHERE id = 1", "v4", "v4", StatusMiss}, // past the TTL
		{time.Second, "UPDATE orders SET x = 1", "", "", StatusBypass},
		{time.Second, "SELECT * FROM orders WHERE id = 1", "v5", "v5", StatusMiss},
		{time.Second, "SELECT * FROM orders WHERE id = 1", "v6", "v5", StatusHit},
		// A write to another table drops every entry: its triggers or
		// cascades may have changed orders, and nothing else would tell.
		{time.Second, "UPDATE customers SET x = 1", "", "", StatusBypass},
		{time.Second, "SELECT * FROM orders WHERE id = 1", "v7", "v7", StatusMiss},
	} {
		clk.add(st.advance)
		got, status, reason := run(t, s, st.text, st.result)
		if got != st.want || status != st.status {
			t.Fatalf("step %d: got %q %s (%s), want %q %s", i, got, status, reason, st.want, st.status)
		}
	}
}

func TestHitAfterMissAndTTL(t *testing.T) {
	r := newRig(t, analysis.Postgres, config.Cache{Enabled: true, TTL: 10 * time.Second, MaxStaleness: 3 * time.Second}, nil)
	s := r.p.Open(policy.Request{User: "u"})
	steps := []struct {
		advance      time.Duration
		result, want string
		status       string
	}{
		{0, "v1", "v1", StatusMiss},
		{time.Second, "v2", "v1", StatusHit},
		// Without a feed an entry lives min(ttl, max_staleness) = 3s.
		{2 * time.Second, "v3", "v3", StatusMiss},
		{time.Second, "v4", "v3", StatusHit},
	}
	for i, st := range steps {
		r.clk.add(st.advance)
		got, status, reason := run(t, s, "SELECT * FROM orders WHERE id = 1", st.result)
		if got != st.want || status != st.status {
			t.Fatalf("step %d: got %q %s (%s), want %q %s", i, got, status, reason, st.want, st.status)
		}
	}
	// Another text is another entry.
	if got, status, _ := run(t, s, "SELECT * FROM orders WHERE id = 2", "x"); got != "x" || status != StatusMiss {
		t.Fatalf("other text: %q %s", got, status)
	}
}

func TestSessionBypasses(t *testing.T) {
	cfg := config.Cache{Enabled: true, TTL: time.Minute, MaxStaleness: time.Minute, ReadYourWrites: 5 * time.Second,
		Rules: []config.CacheRule{{Tables: []string{"audit_*"}, Never: true}}}
	for _, tc := range []struct {
		name    string
		dialect analysis.Dialect
		before  []string
		advance time.Duration
		read    string
		status  string
		reason  string
	}{
		{"plain", analysis.Postgres, nil, 0, "SELECT * FROM t", StatusHit, ""},
		{"tx that wrote", analysis.Postgres, []string{"BEGIN", "UPDATE u SET a = 1"}, 10 * time.Second, "SELECT * FROM t", StatusBypass, ReasonTxWrote},
		{"tx read only", analysis.Postgres, []string{"BEGIN"}, 0, "SELECT * FROM t", StatusHit, ""},
		{"after commit", analysis.Postgres, []string{"BEGIN", "UPDATE u SET a = 1", "COMMIT"}, 10 * time.Second, "SELECT * FROM t", StatusHit, ""},
		{"read your writes", analysis.Postgres, []string{"UPDATE t SET a = 1"}, time.Second, "SELECT * FROM t", StatusBypass, ReasonReadYourWrite + ": t"},
		{"read your writes over", analysis.Postgres, []string{"UPDATE t SET a = 1"}, 6 * time.Second, "SELECT * FROM t", StatusMiss, ""},
		{"temp table", analysis.Postgres, []string{"CREATE TEMP TABLE x (a int)"}, 0, "SELECT * FROM t", StatusBypass, ReasonTemp},
		{"rule never", analysis.Postgres, nil, 0, "SELECT * FROM audit_log", StatusBypass, ReasonRule + ": rules[0] tables audit_*"},
		{"volatile", analysis.Postgres, nil, 0, "SELECT now() FROM t", StatusBypass, ReasonVolatile + ": now"},
		{"mysql autocommit off", analysis.MySQL, []string{"SET autocommit = 0", "UPDATE u SET a = 1"}, 10 * time.Second, "SELECT * FROM t", StatusBypass, ReasonTxWrote},
		{"mysql ddl commits", analysis.MySQL, []string{"START TRANSACTION", "UPDATE u SET a = 1", "CREATE TABLE z (a int)"}, 10 * time.Second, "SELECT * FROM t", StatusHit, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, tc.dialect, cfg, nil)
			// Another session fills the entry first.
			if _, status, reason := run(t, r.p.Open(policy.Request{User: "o"}), tc.read, "old"); status != StatusMiss && tc.status != StatusBypass {
				t.Fatalf("fill: %s %s", status, reason)
			}
			s := r.p.Open(policy.Request{User: "u"})
			for _, q := range tc.before {
				run(t, s, q, "")
			}
			r.clk.add(tc.advance)
			_, status, reason := run(t, s, tc.read, "new")
			if status != tc.status || reason != tc.reason {
				t.Fatalf("got %s %q, want %s %q", status, reason, tc.status, tc.reason)
			}
		})
	}
}

func TestWriteInvalidates(t *testing.T) {
	r := newRig(t, analysis.MySQL, config.Cache{Enabled: true, TTL: time.Minute, MaxStaleness: time.Minute, ReadYourWrites: time.Millisecond}, nil)
	reader := r.p.Open(policy.Request{User: "r"})
	writer := r.p.Open(policy.Request{User: "w"})
	run(t, reader, "SELECT * FROM t JOIN u ON t.id = u.id", "v1")
	run(t, reader, "SELECT * FROM other", "o1")
	run(t, writer, "UPDATE u SET a = 2", "")
	if got, status, _ := run(t, reader, "SELECT * FROM t JOIN u ON t.id = u.id", "v2"); got != "v2" || status != StatusMiss {
		t.Fatalf("after the write: %q %s", got, status)
	}
	if got, _, _ := run(t, reader, "SELECT * FROM other", "o2"); got != "o1" {
		t.Fatalf("an unrelated table lost its entry: %q", got)
	}
	run(t, writer, "TRUNCATE other", "")
	if got, _, _ := run(t, reader, "SELECT * FROM other", "o3"); got != "o3" {
		t.Fatalf("TRUNCATE left the entry: %q", got)
	}
	r.c.Invalidate(context.Background(), []string{"app.OTHER"})
	if got, _, _ := run(t, reader, "SELECT * FROM other", "o4"); got != "o4" {
		t.Fatalf("Invalidate left the entry: %q", got)
	}
	if got, _, _ := run(t, reader, "SELECT * FROM other", "o5"); got != "o4" {
		t.Fatalf("no hit after refill: %q", got)
	}
	r.c.Purge(context.Background(), "")
	if got, _, _ := run(t, reader, "SELECT * FROM other", "o6"); got != "o6" {
		t.Fatalf("Purge left the entry: %q", got)
	}
}

// TestVersionRace: a fill whose statement began before a write to its
// table ended is dropped.
func TestVersionRace(t *testing.T) {
	r := newRig(t, analysis.Postgres, config.Cache{Enabled: true, TTL: time.Minute, MaxStaleness: time.Minute}, nil)
	reader := r.p.Open(policy.Request{User: "r"})
	st, _ := reader.Start(context.Background(), "query", "SELECT * FROM t", nil)
	if _, ok := st.Cache().Hit(context.Background(), variant); ok {
		t.Fatal("hit on an empty cache")
	}
	rec := st.Cache().Record(variant)
	rec.Write([]byte("old"))
	// A change event arrives while the read is under way.
	r.c.Invalidate(context.Background(), []string{"public.t"})
	rec.Complete(1)
	st.Finish(nil)
	if s := r.c.Stats(10); s.Entries != 0 || s.Dropped != 1 {
		t.Fatalf("stale fill kept: %+v", s)
	}
	if got, status, _ := run(t, reader, "SELECT * FROM t", "new"); got != "new" || status != StatusMiss {
		t.Fatalf("after the dropped fill: %q %s", got, status)
	}
}

// TestSingleFlight: concurrent identical misses run the statement once.
func TestSingleFlight(t *testing.T) {
	r := newRig(t, analysis.Postgres, config.Cache{Enabled: true, TTL: time.Minute, MaxStaleness: time.Minute}, nil)
	var runs atomic.Int32
	var wg sync.WaitGroup
	leader, _ := r.p.Open(policy.Request{User: "l"}).Start(context.Background(), "query", "SELECT * FROM t", nil)
	if _, ok := leader.Cache().Hit(context.Background(), variant); ok {
		t.Fatal("hit")
	}
	runs.Add(1)
	got := make([]string, 5)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := r.p.Open(policy.Request{User: "f"})
			st, _ := s.Start(context.Background(), "query", "SELECT * FROM t", nil)
			if res, ok := st.Cache().Hit(context.Background(), variant); ok {
				got[i] = string(res.Payload)
			} else {
				runs.Add(1)
				got[i] = "ran"
			}
			st.Finish(nil)
		}()
	}
	time.Sleep(50 * time.Millisecond)
	rec := leader.Cache().Record(variant)
	rec.Write([]byte("shared"))
	rec.Complete(1)
	leader.Finish(nil)
	wg.Wait()
	if runs.Load() != 1 {
		t.Fatalf("ran %d times: %v", runs.Load(), got)
	}
	for _, g := range got {
		if g != "shared" {
			t.Fatalf("waiter got %q", g)
		}
	}
}

// TestSingleFlightBound: a waiter gives up after the bound and runs.
func TestSingleFlightBound(t *testing.T) {
	r := newRig(t, analysis.Postgres, config.Cache{Enabled: true}, nil)
	leader, _ := r.p.Open(policy.Request{User: "l"}).Start(context.Background(), "query", "SELECT * FROM t", nil)
	leader.Cache().Hit(context.Background(), variant)
	st, _ := r.p.Open(policy.Request{User: "f"}).Start(context.Background(), "query", "SELECT * FROM t", nil)
	start := time.Now()
	if _, ok := st.Cache().Hit(context.Background(), variant); ok {
		t.Fatal("hit")
	}
	if d := time.Since(start); d < 150*time.Millisecond || d > 2*time.Second {
		t.Fatalf("waited %v", d)
	}
	if s, reason := st.Cache().Verdict(); s != StatusBypass || reason != ReasonInFlight {
		t.Fatalf("verdict %s %s", s, reason)
	}
	st.Finish(nil)
	leader.Finish(nil)
}

type fakeFeed struct {
	mu        sync.Mutex
	watermark time.Time
	connected bool
}

func (f *fakeFeed) Watermark() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.watermark }
func (f *fakeFeed) Connected() bool      { f.mu.Lock(); defer f.mu.Unlock(); return f.connected }
func (f *fakeFeed) set(w time.Time, c bool) {
	f.mu.Lock()
	f.watermark, f.connected = w, c
	f.mu.Unlock()
}

func TestFeedBound(t *testing.T) {
	r := newRig(t, analysis.Postgres, config.Cache{Enabled: true, TTL: time.Minute, MaxStaleness: 2 * time.Second}, nil)
	f := &fakeFeed{}
	f.set(r.clk.now(), true)
	r.c.SetFeed(f)
	s := r.p.Open(policy.Request{User: "u"})
	run(t, s, "SELECT * FROM t", "v1")
	// With a feed, the entry outlives max_staleness while the feed keeps up.
	for i := 0; i < 5; i++ {
		r.clk.add(time.Second)
		f.set(r.clk.now().Add(-time.Second), true)
		if got, status, reason := run(t, s, "SELECT * FROM t", "x"); got != "v1" || status != StatusHit {
			t.Fatalf("second %d: %q %s %s", i, got, status, reason)
		}
	}
	// The feed falls behind max_staleness: bypass.
	r.clk.add(3 * time.Second)
	if got, status, reason := run(t, s, "SELECT * FROM t", "fresh"); got != "fresh" || status != StatusBypass || reason != ReasonFeed {
		t.Fatalf("feed behind: %q %s %s", got, status, reason)
	}
	// Caught up: served again; disconnected: bypass.
	f.set(r.clk.now(), true)
	if _, status, _ := run(t, s, "SELECT * FROM t", "x"); status != StatusHit {
		t.Fatalf("caught up: %s", status)
	}
	f.set(r.clk.now(), false)
	if _, status, reason := run(t, s, "SELECT * FROM t", "x"); status != StatusBypass || reason != ReasonFeed {
		t.Fatalf("disconnected: %s %s", status, reason)
	}
	if x := r.c.ExplainSQL("SELECT * FROM t"); x.Cacheable || x.Reason != ReasonFeed {
		t.Fatalf("explain: %+v", x)
	}
	// The feed goes away: entries filled under it (TTL 1m) are dropped.
	r.c.SetFeed(nil)
	if got, status, _ := run(t, s, "SELECT * FROM t", "after"); got != "after" || status != StatusMiss {
		t.Fatalf("without the feed: %q %s", got, status)
	}
}

func TestLRUBytes(t *testing.T) {
	st := newStore(3 * (entryOverhead + 100 + 64))
	now := time.Now()
	put := func(k string) {
		e := &entry{key: k, payload: make([]byte, 100-len(k)+64), tables: []string{"t"}, expires: now.Add(time.Minute)}
		e.key = k
		if !st.put(e, st.snapshot(e.tables)) {
			t.Fatalf("put %s refused", k)
		}
	}
	put("a")
	put("b")
	put("c")
	st.get("a", now) // a is now the most recent
	put("d")         // evicts b
	for k, want := range map[string]bool{"a": true, "b": false, "c": true, "d": true} {
		if _, _, ok := st.get(k, now); ok != want {
			t.Errorf("%s present %v, want %v", k, ok, want)
		}
	}
	if _, _, ok := st.get("a", now.Add(time.Minute)); ok {
		t.Error("expired entry served")
	}
	if n, b := st.usage(); n != 2 || b > st.max {
		t.Errorf("usage %d %d", n, b)
	}
	big := &entry{key: "big", payload: make([]byte, st.max), expires: now.Add(time.Minute)}
	if st.put(big, st.snapshot(nil)) {
		t.Error("an entry larger than the store was kept")
	}
}

func TestMaxResult(t *testing.T) {
	r := newRig(t, analysis.Postgres, config.Cache{Enabled: true, MaxResult: "10B"}, nil)
	s := r.p.Open(policy.Request{User: "u"})
	run(t, s, "SELECT * FROM t", "0123456789abc")
	if _, status, _ := run(t, s, "SELECT * FROM t", "x"); status != StatusMiss {
		t.Fatalf("an oversized result was kept: %s", status)
	}
}

// TestKeyIsolation: two roles whose masks differ never share an entry;
// two users with the same view do.
func TestKeyIsolation(t *testing.T) {
	cfg := &config.Config{Masking: []config.MaskRule{{Database: "*", Table: "customers", Column: "email", Method: "full", ExceptRoles: []string{"admin"}}}}
	pol, err := policy.New(cfg, policy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := newRig(t, analysis.Postgres, config.Cache{Enabled: true, TTL: time.Minute, MaxStaleness: time.Minute}, func() *policy.Policy { return pol })
	q := "SELECT email FROM customers"
	a1 := r.p.Open(policy.Request{User: "a1", Roles: []string{"analyst"}})
	if got, _, _ := run(t, a1, q, "****"); got != "****" {
		t.Fatal(got)
	}
	ad := r.p.Open(policy.Request{User: "root", Roles: []string{"admin"}})
	if got, status, _ := run(t, ad, q, "alice@example.com"); got != "alice@example.com" || status != StatusMiss {
		t.Fatalf("admin got %q %s", got, status)
	}
	a2 := r.p.Open(policy.Request{User: "a2", Roles: []string{"analyst"}})
	if got, status, _ := run(t, a2, q, "x"); got != "****" || status != StatusHit {
		t.Fatalf("second analyst got %q %s", got, status)
	}
	// Another variant (format, parameters, settings) is another entry.
	for _, v := range []stmt.Variant{{Format: "other"}, {Format: "test", Params: []byte{1}}, {Format: "test", Settings: "TimeZone=UTC"}} {
		if r.c.key(analysis.Postgres, q, v, "") == r.c.key(analysis.Postgres, q, variant, "") {
			t.Errorf("variant %+v shares the key", v)
		}
	}
}

func TestExplainSQL(t *testing.T) {
	c := New(Options{Database: "db", Dialect: analysis.MySQL, Config: config.Cache{Enabled: true, TTL: time.Minute, MaxStaleness: 5 * time.Second,
		Rules: []config.CacheRule{{Shape: "SELECT * FROM prices WHERE id = 1", TTL: 2 * time.Second}}}})
	for _, tc := range []struct {
		sql  string
		want Explanation
	}{
		{"SELECT * FROM t", Explanation{Cacheable: true, Tables: []string{"t"}, TTL: "5s"}},
		{"SELECT * FROM prices WHERE id = 42", Explanation{Cacheable: true, Tables: []string{"prices"}, TTL: "2s"}},
		{"SELECT RAND()", Explanation{Reason: "volatile function: rand"}},
	} {
		got := c.ExplainSQL(tc.sql)
		if got.Cacheable != tc.want.Cacheable || got.Reason != tc.want.Reason || got.TTL != tc.want.TTL || len(got.Tables) != len(tc.want.Tables) {
			t.Errorf("%s: got %+v, want %+v", tc.sql, got, tc.want)
		}
	}
}
