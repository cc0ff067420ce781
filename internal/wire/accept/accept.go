// Package accept runs the accept loops of a front-end server: one loop
// per listener, one goroutine per accepted connection, and a way to stop
// accepting (Close) and to wait until every connection goroutine has
// returned (Wait). Both protocol front ends use it; what a connection
// does is the handler's business.
//
// Screen wraps any listener (the wire front ends', HTTP's, gRPC's) so
// that a connection a check refuses never reaches the server: it is sent
// the check's bytes (a minimal refusal in its protocol, or nothing) on a
// goroutine of its own, drained for a bounded time and closed; a bounded
// number of refusals linger at once.
package accept

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"
)

// Group is a set of listeners and the connections accepted on them. The
// zero value is ready to use.
type Group struct {
	mu  sync.Mutex
	lns []net.Listener
	wg  sync.WaitGroup
}

// Serve accepts on ln until it is closed, running handle for each
// connection on a goroutine of its own. Temporary accept errors (e.g.
// too many open files) are retried after a short pause.
func (g *Group) Serve(ln net.Listener, handle func(net.Conn)) error {
	g.mu.Lock()
	g.lns = append(g.lns, ln)
	g.mu.Unlock()
	for {
		nc, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			return err
		}
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			handle(nc)
		}()
	}
}

// Close stops accepting: every listener is closed.
func (g *Group) Close() {
	g.mu.Lock()
	lns := g.lns
	g.mu.Unlock()
	for _, ln := range lns {
		_ = ln.Close()
	}
}

// Wait blocks until every connection goroutine has returned or ctx ends.
func (g *Group) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { g.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
