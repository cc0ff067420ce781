package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// events records what the fake services were asked to do, in order.
type events struct {
	mu  sync.Mutex
	log []string
}

func (e *events) add(s string) {
	e.mu.Lock()
	e.log = append(e.log, s)
	e.mu.Unlock()
}

func (e *events) all() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.log)
}

// fakeService serves nothing; its connections end on Drain unless
// stuck, and always on Close.
type fakeService struct {
	name    string
	ev      *events
	stuck   bool
	stopped chan struct{} // closed when Serve should return
	ended   chan struct{} // closed when its connections have ended
	once    sync.Once
	endOnce sync.Once
}

func newFake(name string, ev *events, stuck bool) *fakeService {
	return &fakeService{name: name, ev: ev, stuck: stuck, stopped: make(chan struct{}), ended: make(chan struct{})}
}

func (f *fakeService) Serve(ctx context.Context, ln net.Listener) error {
	f.ev.add(f.name + " serve")
	<-f.stopped
	return ln.Close()
}

func (f *fakeService) Drain() {
	f.ev.add(f.name + " drain")
	f.once.Do(func() { close(f.stopped) })
	if !f.stuck {
		f.endOnce.Do(func() { close(f.ended) })
	}
}

func (f *fakeService) Wait(ctx context.Context) error {
	select {
	case <-f.ended:
		f.ev.add(f.name + " ended")
		return nil
	case <-ctx.Done():
		f.ev.add(f.name + " late")
		return ctx.Err()
	}
}

func (f *fakeService) Close(context.Context) {
	f.ev.add(f.name + " close")
	f.endOnce.Do(func() { close(f.ended) })
}

func testApp() *App { return &App{log: slog.New(slog.NewTextHandler(io.Discard, nil))} }

func fakeListener(key, addr string, bound *string, svc service) *listener {
	return &listener{key: key, addr: addr, bound: bound, open: func() service { return svc }}
}

func TestServicesStopStageByStage(t *testing.T) {
	ev := &events{}
	var a1, a2, a3, a4 string
	pg, my := newFake("pg", ev, false), newFake("my", ev, true)
	data, adm := newFake("http", ev, false), newFake("admin", ev, false)
	stages := []stage{
		// A grace the stuck service outlasts: the stage is cut.
		{grace: graceOf(20 * time.Millisecond), listeners: []*listener{
			fakeListener("postgres", "127.0.0.1:0", &a1, pg),
			fakeListener("mysql", "127.0.0.1:0", &a2, my),
		}},
		{grace: graceOf(time.Minute), listeners: []*listener{
			fakeListener("http", "127.0.0.1:0", &a3, data),
			fakeListener("flightsql", "off", new(string), newFake("flight", ev, false)),
		}},
		{grace: graceOf(time.Minute), listeners: []*listener{fakeListener("admin", "127.0.0.1:0", &a4, adm)}},
	}
	a := testApp()
	var wg sync.WaitGroup
	errc := make(chan error, 5)
	if err := a.start(context.Background(), stages, &wg, errc); err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{a1, a2, a3, a4} {
		if b == "" || strings.HasSuffix(b, ":0") {
			t.Fatalf("bound addresses %q %q %q %q", a1, a2, a3, a4)
		}
	}
	if stages[1].listeners[1].svc != nil {
		t.Fatal("a listener that is off was started")
	}
	a.stop(stages)
	wg.Wait()
	select {
	case err := <-errc:
		t.Fatal(err)
	default:
	}
	var got []string
	for _, e := range ev.all() {
		if !strings.HasSuffix(e, " serve") {
			got = append(got, e)
		}
	}
	want := []string{
		"pg drain", "my drain", // the first stage drains together
		"pg ended", "my late", // the stuck one outlasts the grace
		"pg close", "my close", // and the stage is cut
		"http drain", "http ended", // then the next stage, in its turn
		"admin drain", "admin ended",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("events\n got %q\nwant %q", got, want)
	}
}

func TestServicesStartFailureStopsTheStarted(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	ev := &events{}
	var a1, a2, a3 string
	pg, my, adm := newFake("pg", ev, true), newFake("my", ev, false), newFake("admin", ev, false)
	stages := []stage{
		{grace: graceOf(time.Minute), listeners: []*listener{
			fakeListener("postgres", "127.0.0.1:0", &a1, pg),
			fakeListener("mysql", taken.Addr().String(), &a2, my),
		}},
		{grace: graceOf(time.Minute), listeners: []*listener{fakeListener("admin", "127.0.0.1:0", &a3, adm)}},
	}
	a := testApp()
	var wg sync.WaitGroup
	err = a.start(context.Background(), stages, &wg, make(chan error, 5))
	if err == nil || !strings.HasPrefix(err.Error(), "listen.mysql: ") {
		t.Fatalf("start: %v, want a listen.mysql error", err)
	}
	wg.Wait() // the started one stops serving
	got := slices.DeleteFunc(ev.all(), func(e string) bool { return strings.HasSuffix(e, " serve") })
	if want := []string{"pg drain", "pg close"}; !slices.Equal(got, want) {
		t.Fatalf("events %q, want %q", got, want)
	}
	if a3 != "" || stages[1].listeners[0].svc != nil {
		t.Fatal("a listener after the failed one was started")
	}
}

// An HTTP service drains gracefully; requests still under way when the
// grace ends are cut: their contexts end, which stops their statements.
func TestHTTPServiceCutsLateRequests(t *testing.T) {
	errCut := errors.New("sessions cut")
	base, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	cut := func() { cancel(errCut) }
	entered := make(chan struct{})
	ended := make(chan error, 1)
	h := newHTTPService(&http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-r.Context().Done()
		ended <- context.Cause(r.Context())
	})}, nil, cut)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- h.Serve(base, ln) }()
	go func() {
		if resp, err := http.Get("http://" + ln.Addr().String()); err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	h.Drain()
	// The request waits for its context: it cannot end within any grace.
	wctx, stop := context.WithTimeout(context.Background(), 20*time.Millisecond)
	err = h.Wait(wctx)
	stop()
	if err == nil {
		t.Fatal("Wait returned while a request was under way")
	}
	h.Close(context.Background())
	if err := <-ended; !errors.Is(err, errCut) {
		t.Fatalf("the request's context ended with %v, want it cut", err)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}
