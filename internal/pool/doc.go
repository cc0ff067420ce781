// Package pool owns backend connection pools: a bounded set of connections
// to one backend server, handed out by Acquire and given back by Release.
//
// Rules (after pgxpool): at most Size connections exist; Acquire takes the
// most recently used idle connection, dials a new one while under Size, or
// waits in FIFO order until AcquireTimeout or the context ends, whichever
// comes first, and then fails with ErrAcquireTimeout. An idle
// connection passes a cheap Alive check (has the server closed it? a
// non-blocking peek) before it is handed out — one given back less than
// AliveAfter ago skips it, so that a busy pool does not pay a syscall per
// hand-out — and one idle longer than HealthCheckAfter is also pinged; a connection that fails either is replaced. Every connection gets a lifetime of
// MaxLifetime minus up to 20% random jitter so that connections made
// together do not all expire together; an expired connection is closed
// when it is released or found idle. Idle connections above MinIdle are
// closed after IdleTimeout. Release(conn, false) discards a connection
// whose state is unknown (an interrupted protocol exchange, a failed
// reset); discarded slots are handed to waiters, who dial.
//
// Guard (guard.go) sits under Dial for one backend server and is shared
// by all of its pools: each connect attempt is bounded by a connect
// timeout, attempts that fail transiently are retried with exponential
// backoff and full jitter, and a circuit breaker (sony/gobreaker) opens
// after consecutive failed dials or a failure rate within a window. While
// it is open Dial fails at once with ErrCircuitOpen; after OpenFor one
// probe dial is let through and its outcome closes or reopens it. Dials
// abandoned by their caller do not count.
//
// Goroutines: one maintenance goroutine per pool (idle reaping, MinIdle
// refill) started by New and stopped by Close. Acquire and Release are
// safe for concurrent use; all pool state sits under one mutex, and no
// network I/O happens while it is held.
package pool
