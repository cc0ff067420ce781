package pool

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

var (
	errRefused = errors.New("connection refused")
	errAuth    = errors.New("password authentication failed")
)

// script is a dial that fails with the given errors in turn, then
// succeeds; it counts its calls.
type script struct {
	mu    sync.Mutex
	errs  []error
	calls int
}

func (s *script) dial(ctx context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if len(s.errs) == 0 {
		return s.calls, nil
	}
	err := s.errs[0]
	s.errs = s.errs[1:]
	return 0, err
}

func transient(err error) bool { return errors.Is(err, errRefused) }

func TestGuardRetries(t *testing.T) {
	for _, tc := range []struct {
		name      string
		attempts  int
		errs      []error
		wantErr   error
		wantCalls int
	}{
		{"first try", 3, nil, nil, 1},
		{"transient then up", 3, []error{errRefused, errRefused}, nil, 3},
		{"transient past attempts", 3, []error{errRefused, errRefused, errRefused, errRefused}, errRefused, 3},
		{"permanent not retried", 3, []error{errAuth}, errAuth, 1},
		{"one attempt", 1, []error{errRefused}, errRefused, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewGuard(GuardConfig{Attempts: tc.attempts, Backoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond, Transient: transient})
			s := &script{errs: tc.errs}
			_, err := Dial(context.Background(), g, s.dial)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if s.calls != tc.wantCalls {
				t.Fatalf("%d calls, want %d", s.calls, tc.wantCalls)
			}
		})
	}
}

func TestGuardBackoffBounds(t *testing.T) {
	g := NewGuard(GuardConfig{Backoff: 10 * time.Millisecond, MaxBackoff: 40 * time.Millisecond})
	for attempt, bound := range map[int]time.Duration{1: 10 * time.Millisecond, 2: 20 * time.Millisecond, 3: 40 * time.Millisecond, 9: 40 * time.Millisecond} {
		for range 200 {
			if d := g.backoff(attempt); d <= 0 || d > bound {
				t.Fatalf("backoff(%d) = %s, want in (0, %s]", attempt, d, bound)
			}
		}
	}
}

func TestGuardConnectTimeout(t *testing.T) {
	g := NewGuard(GuardConfig{ConnectTimeout: 20 * time.Millisecond, Attempts: 2, Transient: func(err error) bool { return errors.Is(err, context.DeadlineExceeded) }})
	calls := 0
	_, err := Dial(context.Background(), g, func(ctx context.Context) (int, error) {
		calls++
		<-ctx.Done()
		return 0, ctx.Err()
	})
	if !errors.Is(err, context.DeadlineExceeded) || calls != 2 {
		t.Fatalf("err %v after %d calls; want a deadline after 2", err, calls)
	}
}

func TestGuardBreaker(t *testing.T) {
	var changes []string
	var mu sync.Mutex
	g := NewGuard(GuardConfig{Failures: 3, OpenFor: 50 * time.Millisecond, OnStateChange: func(_, from, to string) {
		mu.Lock()
		changes = append(changes, from+">"+to)
		mu.Unlock()
	}})
	s := &script{errs: []error{errRefused, errRefused, errRefused, errRefused}}
	for i := range 3 {
		if _, err := Dial(context.Background(), g, s.dial); !errors.Is(err, errRefused) {
			t.Fatalf("dial %d: %v", i, err)
		}
	}
	if !g.Open() || g.State() != "open" {
		t.Fatalf("state %q after 3 failures, want open", g.State())
	}
	if _, err := Dial(context.Background(), g, s.dial); !errors.Is(err, ErrCircuitOpen) {
		t.Fatalf("open breaker: %v", err)
	}
	if s.calls != 3 {
		t.Fatalf("open breaker dialled (%d calls)", s.calls)
	}
	time.Sleep(60 * time.Millisecond)
	// Half-open: one probe; it fails, the breaker opens again.
	if _, err := Dial(context.Background(), g, s.dial); !errors.Is(err, errRefused) {
		t.Fatalf("probe: %v", err)
	}
	if !g.Open() {
		t.Fatalf("failed probe left state %q", g.State())
	}
	time.Sleep(60 * time.Millisecond)
	if _, err := Dial(context.Background(), g, s.dial); err != nil {
		t.Fatalf("second probe: %v", err)
	}
	if g.State() != "closed" {
		t.Fatalf("successful probe left state %q", g.State())
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"closed>open", "open>half-open", "half-open>open", "open>half-open", "half-open>closed"}
	if len(changes) != len(want) {
		t.Fatalf("changes %v, want %v", changes, want)
	}
	for i := range want {
		if changes[i] != want[i] {
			t.Fatalf("changes %v, want %v", changes, want)
		}
	}
}

func TestGuardBreakerErrorRate(t *testing.T) {
	g := NewGuard(GuardConfig{ErrorRate: 0.5, MinRequests: 4, Window: time.Minute, OpenFor: time.Minute})
	// ok, fail, ok, fail: 2 of 4 failed, never two in a row.
	for i, fail := range []bool{false, true, false, true} {
		var err error
		if fail {
			err = errRefused
		}
		_, got := Dial(context.Background(), g, func(context.Context) (int, error) { return 0, err })
		if !errors.Is(got, err) {
			t.Fatalf("dial %d: %v", i, got)
		}
		if open := g.Open(); open != (i == 3) {
			t.Fatalf("after dial %d open=%v", i, open)
		}
	}
}

func TestGuardCallerGoneIsNotAFailure(t *testing.T) {
	g := NewGuard(GuardConfig{Failures: 1, OpenFor: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Dial(ctx, g, func(ctx context.Context) (int, error) { return 0, ctx.Err() })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	if g.Open() {
		t.Fatal("a cancelled caller opened the breaker")
	}
}

func TestPoolDialThroughOpenGuardFailsFast(t *testing.T) {
	g := NewGuard(GuardConfig{Failures: 1, OpenFor: time.Minute})
	p := New(Config[int]{
		Size: 2,
		Dial: func(ctx context.Context) (int, error) {
			return Dial(ctx, g, func(context.Context) (int, error) { return 0, errRefused })
		},
		Close: func(int) {},
	})
	defer p.Close()
	if _, err := p.Acquire(context.Background()); !errors.Is(err, errRefused) {
		t.Fatalf("first acquire: %v", err)
	}
	if _, err := p.Acquire(context.Background()); !errors.Is(err, ErrCircuitOpen) {
		t.Fatalf("second acquire: %v", err)
	}
	if st := p.Stats(); st.Total != 0 {
		t.Fatalf("failed dials left slots taken: %+v", st)
	}
}
