package cdc

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// collector records the events a stream delivers.
type collector struct {
	mu  sync.Mutex
	evs []Event
}

func (c *collector) handle(ev Event) {
	c.mu.Lock()
	c.evs = append(c.evs, ev)
	c.mu.Unlock()
}

func (c *collector) snapshot() []Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.evs)
}

// of returns the "op table" lines of the events of one table.
func (c *collector) of(table string) []string {
	var out []string
	for _, ev := range c.snapshot() {
		if ev.Table == table {
			out = append(out, string(ev.Op)+" "+ev.Table)
		}
	}
	return out
}

// waitFor waits until the events of table are exactly want (in order),
// failing if more or others arrive or time runs out.
func (c *collector) waitFor(t *testing.T, table string, want ...string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := c.of(table)
		if slices.Equal(got, want) {
			// Nothing more may follow (no duplicates).
			time.Sleep(300 * time.Millisecond)
			if got := c.of(table); !slices.Equal(got, want) {
				t.Fatalf("events of %s:\n got  %q\n want %q", table, got, want)
			}
			return
		}
		if len(got) > len(want) || !slices.Equal(got, want[:len(got)]) || time.Now().After(deadline) {
			t.Fatalf("events of %s:\n got  %q\n want %q", table, got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// running is a stream run by a test.
type running struct {
	*Stream
	c      *collector
	cancel context.CancelFunc
	done   chan struct{} // closed when Run has returned
}

func (r *running) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case <-r.done:
	case <-time.After(15 * time.Second):
		t.Fatal("stream did not stop")
	}
}

func start(t *testing.T, o Options) *running {
	t.Helper()
	c := &collector{}
	o.Handler = c.handle
	o.Heartbeat = 200 * time.Millisecond
	o.MinBackoff, o.MaxBackoff = 50*time.Millisecond, 500*time.Millisecond
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{Stream: s, c: c, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		_ = s.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

// waitConnected waits until the stream reports a connection and its
// first watermark.
func (r *running) waitConnected(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st := r.Status()
		if st.Connected && !st.Watermark.IsZero() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("stream not connected: %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkWatermark: while connected and idle the watermark follows the
// clock; after stop() it stands still.
func checkWatermarkAdvances(t *testing.T, r *running) {
	t.Helper()
	w1 := r.Watermark()
	time.Sleep(1200 * time.Millisecond)
	w2 := r.Watermark()
	if !w2.After(w1) || time.Since(w2) > 3*time.Second {
		t.Fatalf("watermark did not advance while idle: %v then %v (now %v)", w1, w2, time.Now())
	}
}

func checkWatermarkStill(t *testing.T, r *running) {
	t.Helper()
	w1 := r.Watermark()
	time.Sleep(1200 * time.Millisecond)
	if w2 := r.Watermark(); !w2.Equal(w1) {
		t.Fatalf("watermark moved while disconnected: %v then %v", w1, w2)
	}
	if st := r.Status(); st.Connected || st.LagSeconds < 1 {
		t.Fatalf("status while disconnected: %+v", st)
	}
}

func uniq(prefix string) string {
	return fmt.Sprintf("%s_%s", prefix, strings.ToLower(fmt.Sprintf("%x", rand.Uint64())[:8]))
}

func testPG() string {
	if v := os.Getenv("FLOE_TEST_PG"); v != "" {
		return v
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
