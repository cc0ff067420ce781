package pool

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"
)

// ErrAcquireTimeout is returned when no connection became free in time.
var ErrAcquireTimeout = errors.New("timed out waiting for a backend connection")

// AliveAfter is the wire relays' Config.AliveAfter: a connection reused
// within a millisecond of its release is not peeked at again. (The data
// API's sources check every hand-out: a write there that meets a dead
// connection fails rather than run twice, so they keep the peek.)
const AliveAfter = time.Millisecond

// ErrClosed is returned by Acquire on a closed pool.
var ErrClosed = errors.New("pool is closed")

// Config configures a Pool of connections of type T.
type Config[T any] struct {
	Size             int
	MinIdle          int
	IdleTimeout      time.Duration
	MaxLifetime      time.Duration
	AcquireTimeout   time.Duration
	HealthCheckAfter time.Duration

	// Dial opens a new connection.
	Dial func(ctx context.Context) (T, error)
	// Ping checks a connection that sat idle longer than
	// HealthCheckAfter; nil skips it.
	Ping func(ctx context.Context, c T) error
	// Alive is a cheap check (no round trip) run on an idle connection
	// before it is handed out, e.g. that the server has not closed it;
	// nil skips it.
	Alive func(c T) bool
	// AliveAfter is how long a connection must have been idle for Alive
	// to run (0: every time). A connection given back a moment ago and
	// handed out again at once (a busy pool) skips it: a server that
	// ends a connection in that moment races with the check anyway.
	AliveAfter time.Duration
	// Close closes a connection.
	Close func(c T)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Observe receives pool events; nil fields are skipped.
	Observe Observer
}

// Observer receives pool events for metrics.
type Observer struct {
	Waited   func(d time.Duration)
	TimedOut func()
	Closed   func(reason string)
	Changed  func(s Stats)
}

// Stats is a snapshot of a pool.
type Stats struct {
	Total   int `json:"total"`
	Idle    int `json:"idle"`
	InUse   int `json:"in_use"`
	Waiting int `json:"waiting"`
}

// Add returns the sum of s and o.
func (s Stats) Add(o Stats) Stats {
	return Stats{Total: s.Total + o.Total, Idle: s.Idle + o.Idle, InUse: s.InUse + o.InUse, Waiting: s.Waiting + o.Waiting}
}

// ServerStats are the pool counters of one backend server.
type ServerStats struct {
	Server string
	Stats  Stats
}

// Conn is a pooled connection.
type Conn[T any] struct {
	Value    T
	created  time.Time
	expires  time.Time
	lastUsed time.Time
}

type grant[T any] struct {
	c   *Conn[T] // nil: a slot is reserved for the waiter, who dials
	err error
}

// Pool is a pool of connections of type T.
type Pool[T any] struct {
	cfg  Config[T]
	ctx  context.Context // cancelled by Close; bounds maintenance dials
	stop context.CancelFunc
	done chan struct{}

	mu struct {
		sync.Mutex
		idle    []*Conn[T] // most recently used last
		total   int        // idle + in use + being dialled
		waiters []chan grant[T]
		closed  bool
		filling int // MinIdle dials in progress
	}
}

// New creates a pool and starts its maintenance goroutine.
func New[T any](cfg Config[T]) *Pool[T] {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Size < 1 {
		cfg.Size = 1
	}
	p := &Pool[T]{cfg: cfg, done: make(chan struct{})}
	p.ctx, p.stop = context.WithCancel(context.Background())
	go p.maintain()
	return p
}

// Acquire returns an idle connection, a new one, or waits for one.
func (p *Pool[T]) Acquire(ctx context.Context) (*Conn[T], error) {
	for {
		c, err := p.acquireOnce(ctx)
		if err != nil || c != nil {
			return c, err
		}
	}
}

// acquireOnce returns (nil, nil) when a stale connection failed its ping
// and the caller should try again.
func (p *Pool[T]) acquireOnce(ctx context.Context) (*Conn[T], error) {
	p.mu.Lock()
	if p.mu.closed {
		p.mu.Unlock()
		return nil, ErrClosed
	}
	now := p.cfg.Now()
	for len(p.mu.idle) > 0 {
		c := p.mu.idle[len(p.mu.idle)-1]
		p.mu.idle = p.mu.idle[:len(p.mu.idle)-1]
		if now.After(c.expires) {
			p.mu.total--
			p.mu.Unlock()
			p.closeConn(c, "lifetime")
			p.mu.Lock()
			continue
		}
		p.changedLocked()
		p.mu.Unlock()
		if p.cfg.Alive != nil && now.Sub(c.lastUsed) >= p.cfg.AliveAfter && !p.cfg.Alive(c.Value) {
			p.Release(c, false)
			return nil, ctx.Err()
		}
		if p.cfg.Ping != nil && p.cfg.HealthCheckAfter > 0 && now.Sub(c.lastUsed) > p.cfg.HealthCheckAfter {
			if err := p.cfg.Ping(ctx, c.Value); err != nil {
				p.Release(c, false)
				return nil, ctx.Err()
			}
		}
		return c, nil
	}
	if p.mu.total < p.cfg.Size {
		p.mu.total++
		p.changedLocked()
		p.mu.Unlock()
		return p.dial(ctx)
	}
	ch := make(chan grant[T], 1)
	p.mu.waiters = append(p.mu.waiters, ch)
	p.changedLocked()
	p.mu.Unlock()

	start := p.cfg.Now()
	var timeout <-chan time.Time
	if p.cfg.AcquireTimeout > 0 {
		t := time.NewTimer(p.cfg.AcquireTimeout)
		defer t.Stop()
		timeout = t.C
	}
	var err error
	select {
	case g := <-ch:
		p.observeWait(start)
		return p.granted(ctx, g)
	case <-timeout:
		err = ErrAcquireTimeout
	case <-ctx.Done():
		err = ctx.Err()
	}
	p.mu.Lock()
	for i, w := range p.mu.waiters {
		if w == ch {
			p.mu.waiters = append(p.mu.waiters[:i], p.mu.waiters[i+1:]...)
			p.changedLocked()
			p.mu.Unlock()
			if errors.Is(err, ErrAcquireTimeout) && p.cfg.Observe.TimedOut != nil {
				p.cfg.Observe.TimedOut()
			}
			return nil, err
		}
	}
	p.mu.Unlock()
	// A grant raced with the timeout: take it (the caller asked for a connection).
	p.observeWait(start)
	return p.granted(ctx, <-ch)
}

func (p *Pool[T]) observeWait(start time.Time) {
	if p.cfg.Observe.Waited != nil {
		p.cfg.Observe.Waited(p.cfg.Now().Sub(start))
	}
}

func (p *Pool[T]) granted(ctx context.Context, g grant[T]) (*Conn[T], error) {
	if g.err != nil {
		return nil, g.err
	}
	if g.c != nil {
		return g.c, nil
	}
	return p.dial(ctx)
}

// dial opens a connection in a slot already counted in total.
func (p *Pool[T]) dial(ctx context.Context) (*Conn[T], error) {
	v, err := p.cfg.Dial(ctx)
	if err != nil {
		p.releaseSlot()
		return nil, err
	}
	now := p.cfg.Now()
	c := &Conn[T]{Value: v, created: now, lastUsed: now, expires: now.Add(p.lifetime())}
	return c, nil
}

func (p *Pool[T]) lifetime() time.Duration {
	lt := p.cfg.MaxLifetime
	if lt <= 0 {
		return 100 * 365 * 24 * time.Hour
	}
	return lt - time.Duration(rand.Int64N(int64(lt)/5+1))
}

// releaseSlot gives up a slot: a waiter gets it to dial.
func (p *Pool[T]) releaseSlot() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.mu.waiters) > 0 && !p.mu.closed {
		w := p.mu.waiters[0]
		p.mu.waiters = p.mu.waiters[1:]
		w <- grant[T]{}
	} else {
		p.mu.total--
	}
	p.changedLocked()
}

// Release returns c to the pool; reusable=false closes it.
func (p *Pool[T]) Release(c *Conn[T], reusable bool) {
	now := p.cfg.Now()
	if !reusable || now.After(c.expires) {
		reason := "discarded"
		if reusable {
			reason = "lifetime"
		}
		p.closeConn(c, reason)
		p.releaseSlot()
		return
	}
	c.lastUsed = now
	p.mu.Lock()
	if p.mu.closed {
		p.mu.total--
		p.changedLocked()
		p.mu.Unlock()
		p.closeConn(c, "pool_closed")
		return
	}
	if len(p.mu.waiters) > 0 {
		w := p.mu.waiters[0]
		p.mu.waiters = p.mu.waiters[1:]
		p.changedLocked()
		p.mu.Unlock()
		w <- grant[T]{c: c}
		return
	}
	p.mu.idle = append(p.mu.idle, c)
	p.changedLocked()
	p.mu.Unlock()
}

func (p *Pool[T]) closeConn(c *Conn[T], reason string) {
	p.cfg.Close(c.Value)
	if p.cfg.Observe.Closed != nil {
		p.cfg.Observe.Closed(reason)
	}
}

func (p *Pool[T]) changedLocked() {
	if p.cfg.Observe.Changed != nil {
		p.cfg.Observe.Changed(p.statsLocked())
	}
}

func (p *Pool[T]) statsLocked() Stats {
	return Stats{Total: p.mu.total, Idle: len(p.mu.idle), InUse: p.mu.total - len(p.mu.idle), Waiting: len(p.mu.waiters)}
}

// Stats returns a snapshot.
func (p *Pool[T]) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.statsLocked()
}

// CloseIdle closes every idle connection (after a backend failure, or to
// apply new backend settings); connections in use close on release.
func (p *Pool[T]) CloseIdle() {
	p.mu.Lock()
	idle := p.mu.idle
	p.mu.idle = nil
	p.mu.total -= len(idle)
	p.changedLocked()
	p.mu.Unlock()
	for _, c := range idle {
		p.closeConn(c, "drained")
	}
}

// Close closes idle connections, fails waiters and stops maintenance.
// Connections in use are closed as they are released.
func (p *Pool[T]) Close() {
	p.mu.Lock()
	if p.mu.closed {
		p.mu.Unlock()
		return
	}
	p.mu.closed = true
	waiters := p.mu.waiters
	p.mu.waiters = nil
	p.mu.Unlock()
	for _, w := range waiters {
		w <- grant[T]{err: ErrClosed}
	}
	p.stop()
	<-p.done
	p.CloseIdle()
}

func (p *Pool[T]) maintain() {
	defer close(p.done)
	every := time.Second
	if p.cfg.IdleTimeout > 0 && p.cfg.IdleTimeout/2 < every {
		every = max(p.cfg.IdleTimeout/2, 10*time.Millisecond)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	p.reapAndFill()
	for {
		select {
		case <-p.ctx.Done():
			return
		case <-t.C:
			p.reapAndFill()
		}
	}
}

func (p *Pool[T]) reapAndFill() {
	now := p.cfg.Now()
	var drop []*Conn[T]
	var reasons []string
	p.mu.Lock()
	if p.mu.closed {
		p.mu.Unlock()
		return
	}
	keep := p.mu.idle[:0]
	// The oldest idle connections sit first; keep at least MinIdle.
	surplus := len(p.mu.idle) - p.cfg.MinIdle
	for _, c := range p.mu.idle {
		switch {
		case now.After(c.expires):
			drop, reasons = append(drop, c), append(reasons, "lifetime")
		case surplus > 0 && p.cfg.IdleTimeout > 0 && now.Sub(c.lastUsed) > p.cfg.IdleTimeout:
			drop, reasons = append(drop, c), append(reasons, "idle_timeout")
			surplus--
		default:
			keep = append(keep, c)
		}
	}
	p.mu.idle = keep
	p.mu.total -= len(drop)
	need := 0
	if len(p.mu.waiters) == 0 {
		need = max(min(p.cfg.MinIdle-len(p.mu.idle)-p.mu.filling, p.cfg.Size-p.mu.total), 0)
	}
	p.mu.total += need
	p.mu.filling += need
	p.changedLocked()
	p.mu.Unlock()
	for i, c := range drop {
		p.closeConn(c, reasons[i])
	}
	for range need {
		ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
		c, err := p.dial(ctx)
		cancel()
		p.mu.Lock()
		p.mu.filling--
		if err == nil && len(p.mu.waiters) == 0 && !p.mu.closed {
			// Idle in the same step, so a concurrent fill counts it.
			p.mu.idle = append(p.mu.idle, c)
			p.changedLocked()
			p.mu.Unlock()
			continue
		}
		p.mu.Unlock()
		if err != nil {
			continue // dial released the slot
		}
		p.Release(c, true)
	}
}

// Drained returns a check that reports whether every one of pools, closed
// by a rotation, has no connection left (busy ones close when returned).
func Drained[T any](pools []*Pool[T]) func() bool {
	return func() bool {
		for _, p := range pools {
			if p.Stats().Total > 0 {
				return false
			}
		}
		return true
	}
}
