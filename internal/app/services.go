package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"google.golang.org/grpc"

	"github.com/floe-db/floe/internal/wire/accept"
)

// service is one listener's server. Run starts every service the
// configuration turns on and stops them stage by stage (stop).
type service interface {
	// Serve serves the connections ln accepts until the service is
	// stopped, which returns nil. Connections whose context the service
	// controls derive it from ctx, which shutdown cancels to cut them.
	Serve(ctx context.Context, ln net.Listener) error
	// Drain stops accepting and asks the open connections to end (a
	// session at its next transaction boundary, a request once answered);
	// it does not wait.
	Drain()
	// Wait waits until every connection has ended, or returns ctx's error
	// when ctx ends first.
	Wait(ctx context.Context) error
	// Close cuts the connections left, waiting up to ctx for them to go.
	Close(ctx context.Context)
}

// listener is a service and the address it listens on.
type listener struct {
	// key is its key under listen: in the configuration, which names it
	// in errors and logs.
	key string
	// addr is where it listens ("off": not started).
	addr string
	// bound receives the address it bound.
	bound *string
	// open makes the service (only for a listener that is on).
	open func() service
	// screen, when set, decides on each accepted connection before the
	// service sees it (the network rules; accept.Screen).
	screen func(net.Conn) ([]byte, bool)

	svc service // nil until started
}

// stage is listeners that stop together: they drain at once, and their
// connections get grace to end before the rest are cut.
type stage struct {
	grace     func() time.Duration
	listeners []*listener
}

// graceOf is a fixed grace.
func graceOf(d time.Duration) func() time.Duration { return func() time.Duration { return d } }

// cutGrace is how long the connections a stage cuts get to go.
const cutGrace = 5 * time.Second

// start listens on the address of every listener that is on, in stage
// order, and serves each on a goroutine of wg; a service that stops with
// an error sends it on errc. When a listener cannot bind, the ones
// already serving are stopped at once and the error names its key.
func (a *App) start(ctx context.Context, stages []stage, wg *sync.WaitGroup, errc chan<- error) error {
	for _, st := range stages {
		for _, l := range st.listeners {
			if l.addr == "off" {
				continue
			}
			ln, err := net.Listen("tcp", l.addr)
			if err != nil {
				abort(stages)
				return fmt.Errorf("listen.%s: %w", l.key, err)
			}
			*l.bound = ln.Addr().String()
			if l.screen != nil {
				// An HTTP client must have sent its request before it
				// reads a refusal.
				ln = accept.Screen(ln, l.screen, l.key == "http")
			}
			l.svc = l.open()
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := l.svc.Serve(ctx, ln); err != nil {
					errc <- fmt.Errorf("%s listener: %w", l.key, err)
				}
			}()
		}
	}
	return nil
}

// abort stops the services started so far at once: they drain and
// their connections are cut (a later listener could not start).
func abort(stages []stage) {
	ctx, cancel := context.WithTimeout(context.Background(), cutGrace)
	defer cancel()
	for _, st := range stages {
		for _, l := range st.listeners {
			if l.svc != nil {
				l.svc.Drain()
				l.svc.Close(ctx)
			}
		}
	}
}

// stop stops the started services stage by stage: a stage's services
// drain together and get the stage's grace for their connections to
// end; those still open then are cut. Later stages serve until their
// turn (the admin API answers /readyz with "draining" meanwhile).
func (a *App) stop(stages []stage) {
	for _, st := range stages {
		var on []*listener
		for _, l := range st.listeners {
			if l.svc != nil {
				on = append(on, l)
			}
		}
		if len(on) == 0 {
			continue
		}
		for _, l := range on {
			l.svc.Drain()
		}
		ctx, cancel := context.WithTimeout(context.Background(), st.grace())
		var late []string
		for _, l := range on {
			if l.svc.Wait(ctx) != nil {
				late = append(late, l.key)
			}
		}
		cancel()
		if len(late) == 0 {
			continue
		}
		attrs := []any{"listeners", late}
		if conns, counted := openConns(on); counted {
			attrs = append(attrs, "connections", conns)
		}
		a.log.Warn("shutdown timeout reached; closing remaining connections", attrs...)
		cctx, cancel := context.WithTimeout(context.Background(), cutGrace)
		for _, l := range on {
			l.svc.Close(cctx)
		}
		cancel()
	}
}

// openConns adds up the connections of the services that count theirs
// (the wire front ends); counted is false when none does.
func openConns(ls []*listener) (n int, counted bool) {
	for _, l := range ls {
		if c, ok := l.svc.(interface{ Conns() int }); ok {
			n += c.Conns()
			counted = true
		}
	}
	return n, counted
}

// wireServer is a wire protocol front end (pgwire.Server,
// mysqlwire.Server).
type wireServer interface {
	Serve(ctx context.Context, ln net.Listener) error
	Drain()
	Wait(ctx context.Context) error
	Conns() int
}

// wireService serves a wire protocol. Its sessions' contexts derive from
// Serve's; cut cancels that context, which ends them.
type wireService struct {
	wireServer
	cut func()
}

func (w wireService) Close(ctx context.Context) {
	w.cut()
	_ = w.Wait(ctx)
}

// httpService serves an http.Server.
type httpService struct {
	srv *http.Server
	tls bool // serve TLS with srv.TLSConfig
	// cut cancels Serve's context, from which the requests' contexts
	// then derive; nil: they do not derive from it (the admin API keeps
	// answering while sessions are cut).
	cut func()

	once     sync.Once
	stopShut context.CancelFunc
	done     chan struct{} // closed when Shutdown returns
	shutErr  error
}

func newHTTPService(srv *http.Server, tlsCfg *tls.Config, cut func()) *httpService {
	h := &httpService{srv: srv, cut: cut, done: make(chan struct{})}
	if tlsCfg != nil {
		// ServeTLS adds HTTP/2 to its config: a copy of its own.
		srv.TLSConfig = tlsCfg.Clone()
		h.tls = true
	}
	return h
}

func (h *httpService) Serve(ctx context.Context, ln net.Listener) error {
	if h.cut != nil {
		h.srv.BaseContext = func(net.Listener) context.Context { return ctx }
	}
	var err error
	if h.tls {
		err = h.srv.ServeTLS(ln, "", "")
	} else {
		err = h.srv.Serve(ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Drain starts a graceful shutdown: the listener closes, idle
// connections close, requests under way finish.
func (h *httpService) Drain() {
	h.once.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		h.stopShut = cancel
		go func() {
			h.shutErr = h.srv.Shutdown(ctx)
			close(h.done)
		}()
	})
}

func (h *httpService) Wait(ctx context.Context) error {
	select {
	case <-h.done:
		return h.shutErr
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close ends the requests under way: their contexts are cut, which
// stops their statements, and their connections closed.
func (h *httpService) Close(context.Context) {
	h.Drain()
	h.stopShut()
	if h.cut != nil {
		h.cut()
	}
	_ = h.srv.Close()
}

// grpcService serves a gRPC server (Flight SQL); its streams take their
// contexts from the gRPC server, which Close stops.
type grpcService struct {
	srv *grpc.Server

	once sync.Once
	done chan struct{} // closed when GracefulStop returns
}

func newGRPCService(srv *grpc.Server) *grpcService {
	return &grpcService{srv: srv, done: make(chan struct{})}
}

func (g *grpcService) Serve(_ context.Context, ln net.Listener) error { return g.srv.Serve(ln) }

// Drain starts a graceful stop: no new streams, those under way finish.
func (g *grpcService) Drain() {
	g.once.Do(func() {
		go func() {
			g.srv.GracefulStop()
			close(g.done)
		}()
	})
}

func (g *grpcService) Wait(ctx context.Context) error {
	select {
	case <-g.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *grpcService) Close(context.Context) { g.srv.Stop() }
