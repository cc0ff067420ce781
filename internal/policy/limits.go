package policy

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/sqlerr"
)

// Counters holds the state of limits that must outlive one policy (a
// reload keeps open connections counted and buckets filled): token
// buckets, running statements, open connections, failed logins. Bucket
// keys include the limit's own settings, so a changed limit starts
// afresh while releases still reach the bucket they were taken from.
type Counters struct {
	now func() time.Time
	mu  struct {
		sync.Mutex
		buckets map[string]*bucket
		logins  map[string]*loginState
	}
}

type bucket struct {
	lim     *rate.Limiter // nil without a rate
	running int
	conns   int
}

type loginState struct {
	failures    []time.Time
	lockedUntil time.Time
}

// maxIdleKeys bounds the maps; idle entries are dropped past it.
const maxIdleKeys = 100000

// NewCounters makes empty counters; now is the clock (nil: time.Now).
func NewCounters(now func() time.Time) *Counters {
	if now == nil {
		now = time.Now
	}
	c := &Counters{now: now}
	c.mu.buckets = map[string]*bucket{}
	c.mu.logins = map[string]*loginState{}
	return c
}

// limit is one compiled limits[] entry.
type limit struct {
	config.Limit
	prefix netip.Prefix // valid when Client is set
	spec   string
}

func compileLimits(ls []config.Limit) []limit {
	out := make([]limit, 0, len(ls))
	for _, l := range ls {
		c := limit{Limit: l, spec: fmt.Sprintf("%+v", l)}
		if l.Client != "" {
			if p, err := netip.ParsePrefix(l.Client); err == nil {
				c.prefix = p
			} else if a, err := netip.ParseAddr(l.Client); err == nil {
				c.prefix = netip.PrefixFrom(a, a.BitLen())
			}
		}
		out = append(out, c)
	}
	return out
}

// applies reports whether l selects a session, and the counter key.
func (l *limit) applies(user, db, client string) (string, bool) {
	if l.User != "" && l.User != user || l.Database != "" && l.Database != db {
		return "", false
	}
	if l.prefix.IsValid() {
		a, err := netip.ParseAddr(client)
		if err != nil || !l.prefix.Contains(a.Unmap()) {
			return "", false
		}
	}
	var k string
	switch l.Per {
	case "user":
		k = user
	case "client":
		k = client
	default:
		k = db
	}
	return l.spec + "|" + k, true
}

func (c *Counters) bucketLocked(key string, l *limit) *bucket {
	b := c.mu.buckets[key]
	if b == nil {
		if len(c.mu.buckets) >= maxIdleKeys {
			for k, o := range c.mu.buckets {
				if o.running == 0 && o.conns == 0 {
					delete(c.mu.buckets, k)
				}
			}
		}
		b = &bucket{}
		if l.Rate > 0 {
			burst := l.Burst
			if burst <= 0 {
				burst = max(1, int(l.Rate))
			}
			b.lim = rate.NewLimiter(rate.Limit(l.Rate), burst)
		}
		c.mu.buckets[key] = b
	}
	return b
}

// limitDenial counts and describes an exceeded limit.
func (p *Policy) limitDenial(rule, format string, args ...any) *Denial {
	if m := p.opts.Metrics; m != nil {
		m.LimitsExceeded.WithLabelValues(rule).Inc()
	}
	return &Denial{Rule: rule, Code: sqlerr.ConfigurationLimitExceeded, Errno: sqlerr.ErUserLimitReached, Message: fmt.Sprintf(format, args...)}
}

func describe(l *limit, user, db, client string) string {
	switch l.Per {
	case "user":
		return fmt.Sprintf("user %q", user)
	case "client":
		return "client " + client
	}
	return fmt.Sprintf("database %q", db)
}

// OpenConnection counts a new client connection against the limits that
// select it; release must be called when the connection ends.
func (p *Policy) OpenConnection(user, db, client string) (release func(), den *Denial) {
	if p == nil || len(p.limits) == 0 {
		return func() {}, nil
	}
	c := p.opts.Counters
	c.mu.Lock()
	defer c.mu.Unlock()
	var taken []*bucket
	for i := range p.limits {
		l := &p.limits[i]
		if l.Connections == 0 {
			continue
		}
		key, ok := l.applies(user, db, client)
		if !ok {
			continue
		}
		b := c.bucketLocked(key, l)
		if b.conns >= l.Connections {
			for _, t := range taken {
				t.conns--
			}
			return func() {}, p.limitDenial("limit.connections", "too many connections for %s (limit %d)", describe(l, user, db, client), l.Connections)
		}
		b.conns++
		taken = append(taken, b)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			for _, t := range taken {
				t.conns--
			}
		})
	}, nil
}

// Bounds are the per-statement limits that apply to a session (zero:
// none), the tightest of each kind.
type Bounds struct {
	Timeout time.Duration
	// MaxRows and MaxBytes bound each result.
	MaxRows, MaxBytes int64
}

func tighter[T int64 | time.Duration](cur, v T) T {
	if v > 0 && (cur == 0 || v < cur) {
		return v
	}
	return cur
}

// TakeRate takes the rate tokens of one more statement run by a
// statement already under way (the next Execute of an extended-protocol
// batch): the rate limits apply to each statement that runs, the
// concurrency limits to the batch as a whole.
func (p *Policy) TakeRate(user, db, client string) *Denial {
	if p == nil || len(p.limits) == 0 {
		return nil
	}
	c := p.opts.Counters
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range p.limits {
		l := &p.limits[i]
		key, ok := l.applies(user, db, client)
		if !ok || l.Rate == 0 {
			continue
		}
		b := c.bucketLocked(key, l)
		if l.Shared && p.opts.Shared != nil {
			c.mu.Unlock()
			allowed, err := p.opts.Shared.Allow(context.Background(), key, l.Rate, b.lim.Burst())
			c.mu.Lock()
			if err == nil {
				if !allowed {
					return p.limitDenial("limit.rate", "statement rate limit exceeded for %s (%g per second across all instances, burst %d)", describe(l, user, db, client), l.Rate, b.lim.Burst())
				}
				continue
			}
			p.opts.Log.Warn("shared rate limit unreachable; applying the limit per instance", "error", err.Error())
		}
		if b.lim != nil && !b.lim.AllowN(now, 1) {
			return p.limitDenial("limit.rate", "statement rate limit exceeded for %s (%g per second, burst %d)", describe(l, user, db, client), l.Rate, b.lim.Burst())
		}
	}
	return nil
}

// StatementTimeout is the statement timeout the limits give user on db
// from client (0: none), without taking anything: for work a statement
// does before it starts (a PostgreSQL Describe that must run it to learn
// its columns).
func (p *Policy) StatementTimeout(user, db, client string) time.Duration {
	var t time.Duration
	if p == nil {
		return t
	}
	for i := range p.limits {
		if _, ok := p.limits[i].applies(user, db, client); ok {
			t = tighter(t, p.limits[i].StatementTimeout)
		}
	}
	return t
}

// BeginStatement applies rate and concurrency limits to a statement about
// to run; end must be called when it has finished. The bounds say when
// the caller must cancel it or stop its result.
func (p *Policy) BeginStatement(user, db, client string) (end func(), b Bounds, den *Denial) {
	return p.BeginStatements(user, db, client, nil)
}

// BeginStatements is BeginStatement for a text of several statements: a
// rate limit takes a token for each (n, asked only where a rate applies;
// nil: one), so a multi-statement text is no way around it.
func (p *Policy) BeginStatements(user, db, client string, n func() int) (end func(), b Bounds, den *Denial) {
	if p == nil || len(p.limits) == 0 {
		return func() {}, Bounds{}, nil
	}
	tokens := 1
	counted := n == nil
	count := func() int {
		if !counted {
			tokens, counted = max(n(), 1), true
		}
		return tokens
	}
	c := p.opts.Counters
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	type hit struct {
		l   *limit
		b   *bucket
		key string
	}
	var hits []hit
	for i := range p.limits {
		l := &p.limits[i]
		key, ok := l.applies(user, db, client)
		if !ok {
			continue
		}
		b.Timeout = tighter(b.Timeout, l.StatementTimeout)
		b.MaxRows = tighter(b.MaxRows, l.MaxResultRows)
		b.MaxBytes = tighter(b.MaxBytes, l.MaxResultBytes)
		if l.Rate == 0 && l.ConcurrentQueries == 0 {
			continue
		}
		hits = append(hits, hit{l, c.bucketLocked(key, l), key})
	}
	// Concurrency first (nothing taken yet), then the rate (tokens are
	// taken only for a statement that runs).
	for _, h := range hits {
		if h.l.ConcurrentQueries > 0 && h.b.running >= h.l.ConcurrentQueries {
			return func() {}, Bounds{}, p.limitDenial("limit.concurrency", "too many concurrent statements for %s (limit %d)", describe(h.l, user, db, client), h.l.ConcurrentQueries)
		}
	}
	for _, h := range hits {
		if h.l.Shared && p.opts.Shared != nil {
			continue // asked below, outside the lock
		}
		if h.b.lim != nil && !h.b.lim.AllowN(now, count()) {
			return func() {}, Bounds{}, p.limitDenial("limit.rate", "statement rate limit exceeded for %s (%g per second, burst %d)", describe(h.l, user, db, client), h.l.Rate, h.b.lim.Burst())
		}
	}
	for _, h := range hits {
		if !h.l.Shared || p.opts.Shared == nil || h.b.lim == nil {
			continue
		}
		c.mu.Unlock()
		ok, err := true, error(nil)
		for i := 0; i < count() && ok && err == nil; i++ {
			ok, err = p.opts.Shared.Allow(context.Background(), h.key, h.l.Rate, h.b.lim.Burst())
		}
		c.mu.Lock()
		if err != nil {
			// The fleet's limiter is unreachable: this instance's own
			// bucket applies meanwhile.
			p.opts.Log.Warn("shared rate limit unreachable; applying the limit per instance", "error", err.Error())
			ok = h.b.lim.AllowN(now, count())
		}
		if !ok {
			return func() {}, Bounds{}, p.limitDenial("limit.rate", "statement rate limit exceeded for %s (%g per second across all instances, burst %d)", describe(h.l, user, db, client), h.l.Rate, h.b.lim.Burst())
		}
	}
	var running []*bucket
	for _, h := range hits {
		if h.l.ConcurrentQueries > 0 {
			h.b.running++
			running = append(running, h.b)
		}
	}
	undo := func() {
		for _, b := range running {
			b.running--
		}
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			undo()
		})
	}, b, nil
}
func loginKey(user, client string) string { return user + "\x00" + client }

// LoginAllowed refuses a login attempt while user is locked out from
// client after too many failures.
func (p *Policy) LoginAllowed(user, client string) *Denial {
	if p == nil || p.cfg.Login.MaxFailures == 0 {
		return nil
	}
	c := p.opts.Counters
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.mu.logins[loginKey(user, client)]
	if st != nil && c.now().Before(st.lockedUntil) {
		return p.limitDenial("limit.login", "too many failed logins for user %q from %s; try again later", user, client)
	}
	return nil
}

// LoginResult records the outcome of an authentication.
func (p *Policy) LoginResult(user, client string, ok bool) {
	if p == nil || p.cfg.Login.MaxFailures == 0 {
		return
	}
	lt := p.cfg.Login
	c := p.opts.Counters
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	k := loginKey(user, client)
	if ok {
		delete(c.mu.logins, k)
		return
	}
	st := c.mu.logins[k]
	if st == nil {
		if len(c.mu.logins) >= maxIdleKeys {
			for k, o := range c.mu.logins {
				if now.After(o.lockedUntil) && (len(o.failures) == 0 || now.Sub(o.failures[len(o.failures)-1]) > lt.Window) {
					delete(c.mu.logins, k)
				}
			}
		}
		st = &loginState{}
		c.mu.logins[k] = st
	}
	kept := st.failures[:0]
	for _, t := range st.failures {
		if now.Sub(t) < lt.Window {
			kept = append(kept, t)
		}
	}
	st.failures = append(kept, now)
	if len(st.failures) >= lt.MaxFailures {
		st.lockedUntil = now.Add(lt.Lockout)
		st.failures = st.failures[:0]
		p.opts.Log.Warn("login locked out after repeated failures", "user", user, "client", client, "lockout", lt.Lockout.String())
	}
}
