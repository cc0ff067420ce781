package cache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/floe-db/floe/internal/analysis"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/observe"
	"github.com/floe-db/floe/internal/sqlparse"
	"github.com/floe-db/floe/internal/sqltext"
	"github.com/floe-db/floe/internal/stmt"
)

// Feed is a database's change feed (package cdc): how far the changes it
// delivered reach, and whether it is connected.
type Feed interface {
	Watermark() time.Time
	Connected() bool
}

// Options configure one database's cache.
type Options struct {
	Database string
	Dialect  analysis.Dialect
	Config   config.Cache
	// Metrics receive floe_cache_* (nil: none).
	Metrics *observe.Metrics
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	Log *slog.Logger
	// Wait bounds how long a miss waits for a concurrent identical fill
	// (0: 2s).
	Wait time.Duration
	// Complete says every write to the database passes through this
	// cache's stage (an embedded SQLite database): its write tracking
	// invalidates every change, so without a change feed entries live
	// their TTL rather than at most max_staleness.
	Complete bool
}

// Cache is one database's result cache. It is a stmt.Stage: add it to
// the database's pipeline stages (backend.Settings.Stages). Safe for
// concurrent use.
type Cache struct {
	db      string
	dialect analysis.Dialect
	cfg     config.Cache
	ttl     time.Duration
	stale   time.Duration
	ryw     time.Duration
	maxRes  int64
	wait    time.Duration
	// complete: every write passes through the stage (Options.Complete).
	complete bool
	now      func() time.Time
	log      *slog.Logger
	rules    []rule
	store    *store
	analyzer *analysis.Analyzer
	feed     atomic.Pointer[feedBox]
	tier     *tier // the shared Redis tier (nil: none)

	hits, misses, bypasses, fills, dropped atomic.Int64

	metrics        *observe.Metrics
	gaugeB, gaugeE prometheus.Gauge
	mu             sync.Mutex // guards the metric children cache below
	counters       map[[2]string]prometheus.Counter
}

type feedBox struct{ f Feed }

type rule struct {
	tables []string
	shape  string // masked text
	ttl    time.Duration
	never  bool
	name   string
}

// New makes the cache of one database.
func New(o Options) *Cache {
	c := &Cache{db: o.Database, dialect: o.Dialect, cfg: o.Config, now: o.Now, log: o.Log, metrics: o.Metrics, wait: o.Wait, complete: o.Complete}
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.wait <= 0 {
		c.wait = 2 * time.Second
	}
	c.ttl = o.Config.TTLOrDefault()
	c.stale = o.Config.MaxStalenessOrDefault()
	c.ryw = o.Config.ReadYourWritesOrDefault()
	c.maxRes = o.Config.MaxResultBytes()
	c.store = newStore(o.Config.MemoryBytes())
	c.analyzer = analysis.New(o.Dialect, 256)
	for i, r := range o.Config.Rules {
		cr := rule{ttl: r.TTL, never: r.Never}
		for _, t := range r.Tables {
			cr.tables = append(cr.tables, strings.ToLower(t))
		}
		if r.Shape != "" {
			cr.shape = c.mask(r.Shape)
			cr.name = "rules[" + strconv.Itoa(i) + "] shape"
		} else {
			cr.name = "rules[" + strconv.Itoa(i) + "] tables " + strings.Join(r.Tables, ",")
		}
		c.rules = append(c.rules, cr)
	}
	if m := o.Metrics; m != nil && m.CacheBytes != nil {
		c.gaugeB = m.CacheBytes.WithLabelValues(o.Database)
		c.gaugeE = m.CacheEntries.WithLabelValues(o.Database)
		c.counters = map[[2]string]prometheus.Counter{}
	}
	// Last: the tier's goroutine reads the fields set above.
	if r := o.Config.Redis; r != nil && o.Config.Enabled {
		c.tier = newTier(r, o.Database, c.log, func() {
			c.store.invalidate(nil)
			c.gauges()
		}, func(names []string) {
			c.store.invalidate(names)
			c.gauges()
		})
	}
	return c
}

// Close stops the shared tier's subscription (nothing without one).
func (c *Cache) Close() {
	if c.tier != nil {
		c.tier.close()
	}
}

// shared reports whether the shared tier is in use now.
func (c *Cache) shared() bool { return c.tier != nil && c.tier.up.Load() }

// Database is the cache's database.
func (c *Cache) Database() string { return c.db }

// Config is the configuration the cache was made with.
func (c *Cache) Config() config.Cache { return c.cfg }

func (c *Cache) mask(text string) string {
	if c.dialect == analysis.MySQL {
		return sqltext.MaskMySQL(text)
	}
	return sqltext.Mask(text)
}

// SetFeed sets the database's change feed (nil: none). With a feed, an
// entry lives its TTL and is bypassed while the feed is disconnected or
// further behind than max_staleness; without one, an entry lives at most
// min(ttl, max_staleness).
func (c *Cache) SetFeed(f Feed) {
	if f == nil {
		if c.feed.Swap(nil) != nil {
			// Entries filled under the feed live their TTL: past the
			// bound without one.
			c.store.invalidate(nil)
			c.gauges()
		}
		return
	}
	c.feed.Store(&feedBox{f})
}

// feedBehind reports whether a feed is set and cannot vouch for entries
// now.
func (c *Cache) feedBehind(now time.Time) bool {
	b := c.feed.Load()
	if b == nil {
		return false
	}
	return !b.f.Connected() || b.f.Watermark().Before(now.Add(-c.stale))
}

// lifetime is how long an entry filled now lives, for a rule's TTL
// (0: the cache's): at most max_staleness without a change feed (unless
// every write passes through the stage: Options.Complete), or while a
// configured shared tier is down.
func (c *Cache) lifetime(ruleTTL time.Duration) time.Duration {
	ttl := c.ttl
	if ruleTTL > 0 {
		ttl = ruleTTL
	}
	if (c.feed.Load() == nil && !c.complete || (c.tier != nil && !c.tier.up.Load())) && c.stale < ttl {
		ttl = c.stale
	}
	return ttl
}

// Invalidate drops the entries that read any of tables (names as the
// database gives them: name or schema.name, any case) and refuses fills
// of statements that began before: change events and writes call it.
// No tables: every entry.
func (c *Cache) Invalidate(_ context.Context, tables []string) int {
	var names []string
	for _, t := range tables {
		names = append(names, normTable(t))
	}
	if len(tables) == 0 {
		names = nil
	}
	n := c.store.invalidate(names)
	c.gauges()
	if c.tier != nil {
		c.tier.invalidate(context.Background(), names)
	}
	return n
}

// Purge drops every entry of table ("": all), as DELETE /api/v1/cache.
func (c *Cache) Purge(ctx context.Context, table string) int {
	if table == "" {
		return c.Invalidate(ctx, nil)
	}
	return c.Invalidate(ctx, []string{table})
}

// normTable is the name tables are tracked by: the last part, lower
// case, unquoted. Tables of the same name in different schemas share
// their entries' fate (an invalidation of one drops the other's: more
// misses, never a stale hit).
func normTable(t string) string {
	t = strings.TrimSpace(t)
	if i := strings.LastIndexByte(t, '.'); i >= 0 {
		t = t[i+1:]
	}
	return strings.ToLower(strings.Trim(t, "\"`"))
}

func tablesOf(s *sqlparse.Statement, write bool) []string {
	var out []string
	for _, t := range s.Tables {
		if (t.Action != sqlparse.ActionRead) != write {
			continue
		}
		n := strings.ToLower(t.Name)
		if !contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

func contains(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// ruleFor is the first rule matching a statement of masked text reading
// tables (qualified names as written, lower case).
func (c *Cache) ruleFor(masked string, tables []sqlparse.Table) *rule {
	for i := range c.rules {
		r := &c.rules[i]
		if r.shape != "" {
			if r.shape == masked {
				return r
			}
			continue
		}
		for _, t := range tables {
			full, name := strings.ToLower(t.String()), strings.ToLower(t.Name)
			for _, g := range r.tables {
				if ok, _ := path.Match(g, full); ok {
					return r
				}
				if ok, _ := path.Match(g, name); ok {
					return r
				}
			}
		}
	}
	return nil
}

// key identifies a result: the database, the SQL that runs, the variant
// and the policy view (masks digest).
func (c *Cache) key(d analysis.Dialect, sql string, v stmt.Variant, maskDigest string) string {
	h := sha256.New()
	for _, s := range []string{d.String(), c.db, sql, v.Format, string(v.Params), v.Settings, maskDigest} {
		h.Write([]byte(strconv.Itoa(len(s))))
		h.Write([]byte{0})
		h.Write([]byte(s))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Explanation is the answer of ExplainSQL.
type Explanation struct {
	Cacheable bool     `json:"cacheable"`
	Reason    string   `json:"reason,omitempty"`
	Tables    []string `json:"tables,omitempty"`
	TTL       string   `json:"ttl,omitempty"`
}

// ExplainSQL says whether sql would be served from the cache for a
// session that has not written (the session's own state aside).
func (c *Cache) ExplainSQL(sql string) Explanation {
	a := c.analyzer.Of(sql)
	r := Explain(a)
	var x Explanation
	if r.OK() {
		stmts, _ := a.Statements()
		x.Tables = tablesOf(&stmts[0], false)
		if ru := c.ruleFor(c.mask(sql), stmts[0].Tables); ru != nil {
			if ru.never {
				r = Reason{Code: ReasonRule, Detail: ru.name}
			} else {
				x.TTL = c.lifetime(ru.ttl).String()
			}
		}
		if x.TTL == "" {
			x.TTL = c.lifetime(0).String()
		}
		if r.OK() && c.feedBehind(c.now()) {
			r = Reason{Code: ReasonFeed}
		}
	}
	x.Cacheable = r.OK()
	if !r.OK() {
		x.TTL = ""
		x.Reason = r.String()
	}
	return x
}

// Stats are a cache's counters and contents (GET /api/v1/cache).
type Stats struct {
	Database string      `json:"database"`
	Entries  int         `json:"entries"`
	Bytes    int64       `json:"bytes"`
	Memory   int64       `json:"memory"`
	Hits     int64       `json:"hits"`
	Misses   int64       `json:"misses"`
	Bypasses int64       `json:"bypasses"`
	Fills    int64       `json:"fills"`
	Dropped  int64       `json:"dropped"`
	HitRatio float64     `json:"hit_ratio"`
	Feed     string      `json:"feed"`
	Top      []EntryInfo `json:"top"`
}

// Stats reports the cache's state with its top n entries.
func (c *Cache) Stats(n int) Stats {
	now := c.now()
	e, b := c.store.usage()
	s := Stats{Database: c.db, Entries: e, Bytes: b, Memory: c.store.max, Hits: c.hits.Load(), Misses: c.misses.Load(),
		Bypasses: c.bypasses.Load(), Fills: c.fills.Load(), Dropped: c.dropped.Load(), Top: c.store.top(n, now)}
	if t := s.Hits + s.Misses; t > 0 {
		s.HitRatio = float64(s.Hits) / float64(t)
	}
	switch {
	case c.feed.Load() == nil:
		s.Feed = "none"
	case c.feedBehind(now):
		s.Feed = "behind"
	default:
		s.Feed = "ok"
	}
	return s
}

// count records one statement's verdict.
func (c *Cache) count(status, reason string) {
	switch status {
	case StatusHit:
		c.hits.Add(1)
	case StatusMiss:
		c.misses.Add(1)
	default:
		c.bypasses.Add(1)
	}
	if c.counters == nil {
		return
	}
	k := [2]string{status, reason}
	c.mu.Lock()
	ctr := c.counters[k]
	if ctr == nil {
		ctr = c.metrics.CacheRequests.WithLabelValues(c.db, status, reason)
		c.counters[k] = ctr
	}
	c.mu.Unlock()
	ctr.Inc()
}

func (c *Cache) gauges() {
	if c.gaugeB == nil {
		return
	}
	e, b := c.store.usage()
	c.gaugeB.Set(float64(b))
	c.gaugeE.Set(float64(e))
}

// Verdicts.
const (
	StatusHit    = "hit"
	StatusMiss   = "miss"
	StatusBypass = "bypass"
)
