package pool

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/floe-db/floe/internal/config"
)

// ErrCircuitOpen is returned by a guarded dial while the server's circuit
// breaker is open: recent connects failed, and new ones are not tried
// until the breaker lets a probe through.
var ErrCircuitOpen = errors.New("circuit breaker open after repeated connect failures")

// GuardConfig configures a Guard.
type GuardConfig struct {
	// Name labels the guarded server in state changes.
	Name string
	// ConnectTimeout bounds one connect attempt (0: only the caller's
	// context bounds it).
	ConnectTimeout time.Duration
	// Attempts is how many times a dial is tried when it fails with a
	// transient error (≥ 1).
	Attempts int
	// Backoff is the pause before the second attempt; it doubles for each
	// further one up to MaxBackoff, with full jitter.
	Backoff, MaxBackoff time.Duration
	// Transient reports whether a failed attempt may succeed if tried
	// again (refused or reset connections, a server starting up, too many
	// connections); nil: none is.
	Transient func(error) bool

	// Failures is how many failed dials in a row open the breaker (0:
	// no breaker).
	Failures int
	// ErrorRate opens the breaker when at least this share of the dials
	// within Window failed, once MinRequests were made (0: off).
	ErrorRate   float64
	MinRequests int
	Window      time.Duration
	// OpenFor is how long the breaker stays open before one probe dial is
	// let through (half-open); its success closes the breaker.
	OpenFor time.Duration
	// OnStateChange observes breaker transitions (closed, open, half-open).
	OnStateChange func(name, from, to string)
	// OnRetry observes a failed attempt that is tried again.
	OnRetry func(err error)
}

// GuardChanged reports whether two pool settings describe different
// guards (a reload keeps a server's breaker state otherwise).
func GuardChanged(a, b config.Pool) bool {
	return a.ConnectTimeout != b.ConnectTimeout || a.Retry != b.Retry || a.Breaker != b.Breaker
}

// GuardSettings is the guard a database's pool settings describe for
// one of its servers; the caller adds Transient and the observers.
func GuardSettings(name string, pc config.Pool) GuardConfig {
	g := GuardConfig{
		Name: name, ConnectTimeout: pc.ConnectTimeout,
		Attempts: pc.Retry.Attempts, Backoff: pc.Retry.Backoff, MaxBackoff: pc.Retry.MaxBackoff,
	}
	if b := pc.Breaker; !b.Disabled {
		g.Failures, g.ErrorRate, g.MinRequests, g.Window, g.OpenFor = b.Failures, b.ErrorRate, b.MinRequests, b.Window, b.OpenFor
	}
	return g
}

// Guard protects one backend server: dials through it are retried with
// backoff on transient errors, and a circuit breaker stops dialling a
// server whose connects keep failing. A Guard is shared by every pool of
// the server and is safe for concurrent use.
type Guard struct {
	cfg GuardConfig
	cb  *gobreaker.TwoStepCircuitBreaker[struct{}]
}

// NewGuard returns a guard; a nil *Guard dials once, unguarded.
func NewGuard(cfg GuardConfig) *Guard {
	cfg.Attempts = max(cfg.Attempts, 1)
	g := &Guard{cfg: cfg}
	if cfg.Failures <= 0 && cfg.ErrorRate <= 0 {
		return g
	}
	st := gobreaker.Settings{
		Name:        cfg.Name,
		MaxRequests: 1,
		Interval:    cfg.Window,
		Timeout:     cfg.OpenFor,
		ReadyToTrip: func(c gobreaker.Counts) bool {
			if cfg.Failures > 0 && int(c.ConsecutiveFailures) >= cfg.Failures {
				return true
			}
			return cfg.ErrorRate > 0 && c.Requests >= uint32(max(cfg.MinRequests, 1)) &&
				float64(c.TotalFailures) >= cfg.ErrorRate*float64(c.Requests)
		},
		// A caller that gave up (client gone, acquire timeout) says
		// nothing about the server.
		IsExcluded: func(err error) bool { return errors.Is(err, errCallerGone) },
	}
	if cfg.Window > 0 {
		st.BucketPeriod = max(cfg.Window/10, time.Millisecond)
	}
	if cfg.OnStateChange != nil {
		st.OnStateChange = func(name string, from, to gobreaker.State) {
			cfg.OnStateChange(name, from.String(), to.String())
		}
	}
	g.cb = gobreaker.NewTwoStepCircuitBreaker[struct{}](st)
	return g
}

// errCallerGone marks a dial abandoned because its caller's context ended.
var errCallerGone = errors.New("caller gone")

// State is the breaker's state: closed, open or half-open ("" without a
// breaker).
func (g *Guard) State() string {
	if g == nil || g.cb == nil {
		return ""
	}
	return g.cb.State().String()
}

// Open reports whether the breaker refuses dials now.
func (g *Guard) Open() bool {
	return g != nil && g.cb != nil && g.cb.State() == gobreaker.StateOpen
}

// Dial runs dial under g: at most cfg.Attempts attempts, each bounded by
// the connect timeout, with backoff between them, while the breaker
// allows. A nil g dials once.
func Dial[T any](ctx context.Context, g *Guard, dial func(context.Context) (T, error)) (T, error) {
	var zero T
	if g == nil {
		return dial(ctx)
	}
	var done func(error)
	if g.cb != nil {
		d, err := g.cb.Allow()
		if err != nil {
			return zero, ErrCircuitOpen
		}
		done = d
	}
	var err error
	for try := 1; ; try++ {
		var v T
		v, err = attempt(ctx, g, dial)
		if err == nil {
			if done != nil {
				done(nil)
			}
			return v, nil
		}
		if ctx.Err() != nil || try >= g.cfg.Attempts || g.cfg.Transient == nil || !g.cfg.Transient(err) {
			break
		}
		if !sleep(ctx, g.backoff(try)) {
			break
		}
		if g.cfg.OnRetry != nil {
			g.cfg.OnRetry(err)
		}
	}
	if done != nil {
		if ctx.Err() != nil {
			done(errCallerGone)
		} else {
			done(err)
		}
	}
	return zero, err
}

// attempt runs one dial within the connect timeout.
func attempt[T any](ctx context.Context, g *Guard, dial func(context.Context) (T, error)) (T, error) {
	if g.cfg.ConnectTimeout <= 0 {
		return dial(ctx)
	}
	ctx, cancel := context.WithTimeout(ctx, g.cfg.ConnectTimeout)
	defer cancel()
	return dial(ctx)
}

// backoff is the pause after the given failed attempt (1-based): full
// jitter over an exponentially growing bound.
func (g *Guard) backoff(attempt int) time.Duration {
	b := g.cfg.Backoff
	if b <= 0 {
		return 0
	}
	for i := 1; i < attempt && (g.cfg.MaxBackoff <= 0 || b < g.cfg.MaxBackoff); i++ {
		b *= 2
	}
	if g.cfg.MaxBackoff > 0 && b > g.cfg.MaxBackoff {
		b = g.cfg.MaxBackoff
	}
	return time.Duration(rand.Int64N(int64(b)) + 1)
}

func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
