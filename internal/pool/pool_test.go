package pool

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type fakeConn struct {
	id     int
	closed atomic.Bool
	bad    atomic.Bool
}

type harness struct {
	dialed  atomic.Int32
	closed  atomic.Int32
	dialErr atomic.Pointer[error]
	now     atomic.Pointer[time.Time]
}

func newPool(t *testing.T, h *harness, cfg Config[*fakeConn]) *Pool[*fakeConn] {
	t.Helper()
	start := time.Unix(1000, 0)
	h.now.Store(&start)
	cfg.Dial = func(ctx context.Context) (*fakeConn, error) {
		if e := h.dialErr.Load(); e != nil {
			return nil, *e
		}
		return &fakeConn{id: int(h.dialed.Add(1))}, nil
	}
	cfg.Close = func(c *fakeConn) { c.closed.Store(true); h.closed.Add(1) }
	cfg.Ping = func(ctx context.Context, c *fakeConn) error {
		if c.bad.Load() {
			return errors.New("dead")
		}
		return nil
	}
	cfg.Now = func() time.Time { return *h.now.Load() }
	p := New(cfg)
	t.Cleanup(p.Close)
	return p
}

func (h *harness) advance(d time.Duration) {
	n := h.now.Load().Add(d)
	h.now.Store(&n)
}

func TestReuseAndLimit(t *testing.T) {
	h := &harness{}
	p := newPool(t, h, Config[*fakeConn]{Size: 2, AcquireTimeout: 50 * time.Millisecond})
	ctx := context.Background()
	a, err := p.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p.Release(a, true)
	b, _ := p.Acquire(ctx)
	if b.Value != a.Value {
		t.Fatal("idle connection not reused")
	}
	c, _ := p.Acquire(ctx)
	if _, err := p.Acquire(ctx); !errors.Is(err, ErrAcquireTimeout) {
		t.Fatalf("want ErrAcquireTimeout, got %v", err)
	}
	if s := p.Stats(); s.Total != 2 || s.InUse != 2 {
		t.Fatalf("stats %+v", s)
	}
	// A waiter gets the next released connection.
	got := make(chan *Conn[*fakeConn])
	go func() {
		x, err := p.Acquire(context.WithoutCancel(ctx))
		if err != nil {
			t.Error(err)
		}
		got <- x
	}()
	time.Sleep(10 * time.Millisecond)
	p.Release(b, true)
	if x := <-got; x.Value != b.Value {
		t.Fatal("waiter did not get the released connection")
	}
	p.Release(c, false)
	if !c.Value.closed.Load() {
		t.Fatal("discarded connection not closed")
	}
	if h.dialed.Load() != 2 {
		t.Fatalf("dialed %d", h.dialed.Load())
	}
}

func TestDiscardHandsSlotToWaiter(t *testing.T) {
	h := &harness{}
	p := newPool(t, h, Config[*fakeConn]{Size: 1, AcquireTimeout: time.Second})
	a, _ := p.Acquire(context.Background())
	done := make(chan *Conn[*fakeConn])
	go func() {
		x, _ := p.Acquire(context.Background())
		done <- x
	}()
	time.Sleep(10 * time.Millisecond)
	p.Release(a, false)
	x := <-done
	if x == nil || x.Value == a.Value || h.dialed.Load() != 2 {
		t.Fatal("waiter should dial a fresh connection in the freed slot")
	}
}

func TestLifetimeIdleTimeoutAndHealthCheck(t *testing.T) {
	h := &harness{}
	p := newPool(t, h, Config[*fakeConn]{Size: 3, MaxLifetime: time.Hour, IdleTimeout: time.Minute, HealthCheckAfter: 10 * time.Second})
	ctx := context.Background()
	a, _ := p.Acquire(ctx)
	p.Release(a, true)
	// Stale and dead: pinged, replaced.
	h.advance(20 * time.Second)
	a.Value.bad.Store(true)
	b, err := p.Acquire(ctx)
	if err != nil || b.Value == a.Value || !a.Value.closed.Load() {
		t.Fatalf("dead idle connection handed out: %v", err)
	}
	// Past its lifetime (jitter takes at most 20% off): closed on release.
	h.advance(61 * time.Minute)
	p.Release(b, true)
	if !b.Value.closed.Load() {
		t.Fatal("expired connection kept")
	}
	// Idle past IdleTimeout: reaped by maintenance.
	c, _ := p.Acquire(ctx)
	p.Release(c, true)
	h.advance(2 * time.Minute)
	p.reapAndFill()
	if !c.Value.closed.Load() || p.Stats().Total != 0 {
		t.Fatalf("idle connection not reaped: %+v", p.Stats())
	}
}

func TestMinIdleAndDialErrors(t *testing.T) {
	h := &harness{}
	p := newPool(t, h, Config[*fakeConn]{Size: 4, MinIdle: 2})
	p.reapAndFill() // concurrently with the maintenance goroutine's first fill
	for deadline := time.Now().Add(5 * time.Second); p.Stats().Idle < 2; {
		if time.Now().After(deadline) {
			t.Fatalf("min idle not reached: %+v", p.Stats())
		}
		time.Sleep(time.Millisecond)
	}
	if s := p.Stats(); s.Idle != 2 || s.Total != 2 {
		t.Fatalf("min idle overshot: %+v", s)
	}
	e := errors.New("refused")
	h.dialErr.Store(&e)
	ctx := context.Background()
	x, _ := p.Acquire(ctx)
	y, _ := p.Acquire(ctx)
	if _, err := p.Acquire(ctx); !errors.Is(err, e) {
		t.Fatalf("dial error not returned: %v", err)
	}
	if s := p.Stats(); s.Total != 2 {
		t.Fatalf("failed dial leaked a slot: %+v", s)
	}
	p.Release(x, true)
	p.Release(y, true)
}

func TestCloseFailsWaiters(t *testing.T) {
	h := &harness{}
	p := newPool(t, h, Config[*fakeConn]{Size: 1})
	a, _ := p.Acquire(context.Background())
	errc := make(chan error)
	go func() {
		_, err := p.Acquire(context.Background())
		errc <- err
	}()
	time.Sleep(10 * time.Millisecond)
	p.Close()
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Fatalf("waiter: %v", err)
	}
	p.Release(a, true)
	if !a.Value.closed.Load() {
		t.Fatal("connection released to a closed pool not closed")
	}
}

func TestConcurrent(t *testing.T) {
	h := &harness{}
	p := newPool(t, h, Config[*fakeConn]{Size: 4, AcquireTimeout: 5 * time.Second})
	var wg sync.WaitGroup
	var inUse, maxInUse atomic.Int32
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 200 {
				c, err := p.Acquire(context.Background())
				if err != nil {
					t.Error(err)
					return
				}
				n := inUse.Add(1)
				for {
					m := maxInUse.Load()
					if n <= m || maxInUse.CompareAndSwap(m, n) {
						break
					}
				}
				inUse.Add(-1)
				p.Release(c, j%50 != 0)
			}
		}()
	}
	wg.Wait()
	if maxInUse.Load() > 4 {
		t.Fatalf("%d connections in use at once with Size 4", maxInUse.Load())
	}
	if s := p.Stats(); s.InUse != 0 || s.Total > 4 {
		t.Fatalf("stats after: %+v", s)
	}
}

func TestAliveCheckReplacesClosedConnections(t *testing.T) {
	h := &harness{}
	p := newPool(t, h, Config[*fakeConn]{Size: 2, Alive: func(c *fakeConn) bool { return !c.bad.Load() }})
	a, _ := p.Acquire(context.Background())
	p.Release(a, true)
	a.Value.bad.Store(true)
	b, err := p.Acquire(context.Background())
	if err != nil || b.Value == a.Value || !a.Value.closed.Load() {
		t.Fatalf("closed connection handed out: %v", err)
	}
}

// With AliveAfter, a connection handed out again right after its release
// is not checked; once idle that long, it is, and a closed one is replaced.
func TestAliveAfter(t *testing.T) {
	h := &harness{}
	var checks atomic.Int32
	p := newPool(t, h, Config[*fakeConn]{Size: 2, AliveAfter: time.Millisecond,
		Alive: func(c *fakeConn) bool { checks.Add(1); return !c.bad.Load() }})
	ctx := context.Background()
	a, _ := p.Acquire(ctx)
	p.Release(a, true)
	again, _ := p.Acquire(ctx)
	if again != a || checks.Load() != 0 {
		t.Fatalf("reused at once: same %v, %d checks", again == a, checks.Load())
	}
	p.Release(again, true)
	a.Value.bad.Store(true)
	h.advance(time.Millisecond)
	b, err := p.Acquire(ctx)
	if err != nil || b.Value == a.Value || !a.Value.closed.Load() || checks.Load() != 1 {
		t.Fatalf("after idling: %v, closed %v, %d checks", err, a.Value.closed.Load(), checks.Load())
	}
}

// A Tally sums the figures each pool reported last.
func TestTally(t *testing.T) {
	tl := NewTally(2)
	tl.Set(0, Stats{Total: 3, Idle: 1, InUse: 2})
	tl.Set(1, Stats{Total: 1, InUse: 1, Waiting: 4})
	tl.Set(0, Stats{Total: 2, Idle: 2})
	if got := tl.Sum(); got != (Stats{Total: 3, Idle: 2, InUse: 1, Waiting: 4}) {
		t.Fatalf("sum %+v", got)
	}
}
