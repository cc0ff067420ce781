package hangup

import (
	"io"
	"net"
	"testing"
	"time"
)

// TestWatchers checks both ways of watching: a hang-up during a long
// wait calls onClose; a byte that arrives is kept for the next Read; a
// short wait never starts reading.
func TestWatchers(t *testing.T) {
	sw := NewSweeper()
	for name, watch := range map[string]func(r *Reader, d time.Duration, f func()) func(){
		"timer":   func(r *Reader, d time.Duration, f func()) func() { return r.Watch(d, f) },
		"sweeper": func(r *Reader, d time.Duration, f func()) func() { return sw.Watch(r, d, f) },
	} {
		t.Run(name, func(t *testing.T) {
			// Hang-up while watched.
			a, b := net.Pipe()
			r := NewReader(a)
			closed := make(chan struct{})
			stop := watch(r, 10*time.Millisecond, func() { close(closed) })
			time.Sleep(60 * time.Millisecond)
			b.Close()
			noticed(t, closed, "hang-up not noticed")
			stop()
			if _, err := r.Read(make([]byte, 1)); err == nil {
				t.Fatal("read after hang-up succeeded")
			}

			// Data while watched is handed to the next Read.
			a, b = net.Pipe()
			defer b.Close()
			r = NewReader(a)
			stop = watch(r, 10*time.Millisecond, func() { t.Error("onClose without a hang-up") })
			time.Sleep(60 * time.Millisecond)
			go func() { _, _ = b.Write([]byte("xy")) }()
			time.Sleep(20 * time.Millisecond)
			stop()
			buf := make([]byte, 2)
			if _, err := io.ReadFull(r, buf); err != nil || string(buf) != "xy" {
				t.Fatalf("read after watch: %q %v", buf, err)
			}

			// A short watch stops before it starts.
			stop = watch(r, time.Hour, func() { t.Error("onClose on a short watch") })
			stop()
			stop()

			// Armed again (a Sweeper reuses the reader's watch), with a
			// second watch armed and stopped inside it: the first still
			// notices the hang-up.
			closed = make(chan struct{})
			outer := watch(r, 10*time.Millisecond, func() { close(closed) })
			inner := watch(r, time.Hour, func() { t.Error("onClose on the inner watch") })
			inner()
			time.Sleep(60 * time.Millisecond)
			b.Close()
			noticed(t, closed, "hang-up not noticed by a watch armed again")
			outer()
		})
	}
}

// noticed waits for closed, or fails with msg.
func noticed(t *testing.T, closed <-chan struct{}, msg string) {
	t.Helper()
	select {
	case <-closed:
	case <-time.After(2 * time.Second):
		t.Fatal(msg)
	}
}

// TestSweeperList stops watches of many readers in an order other than
// their arming, re-arming some: the sweeper lists exactly those armed
// (a watch left listed would be swept after its reader moved on; one
// lost would never notice its hang-up).
func TestSweeperList(t *testing.T) {
	sw := NewSweeper()
	readers := make([]*Reader, 6)
	stops := make([]func(), len(readers))
	for i := range readers {
		a, b := net.Pipe()
		t.Cleanup(func() { a.Close(); b.Close() })
		readers[i] = NewReader(a)
		stops[i] = sw.Watch(readers[i], time.Hour, func() {})
	}
	listed := func() map[*Reader]bool {
		sw.mu.Lock()
		defer sw.mu.Unlock()
		m := map[*Reader]bool{}
		for w := sw.mu.watches; w != nil; w = w.next {
			if m[w.r] {
				t.Fatal("a watch listed twice")
			}
			m[w.r] = true
		}
		return m
	}
	for _, i := range []int{2, 0, 5} { // middle, last armed is first listed, first armed is last
		stops[i]()
	}
	stops[2] = sw.Watch(readers[2], time.Hour, func() {})
	got := listed()
	for i, r := range readers {
		if want := i != 0 && i != 5; got[r] != want {
			t.Errorf("reader %d listed %v, want %v", i, got[r], want)
		}
	}
	for _, i := range []int{1, 2, 3, 4} {
		stops[i]()
	}
	if got := listed(); len(got) != 0 {
		t.Errorf("%d watches listed after every stop", len(got))
	}
}
