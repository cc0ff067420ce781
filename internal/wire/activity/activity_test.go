package activity

import (
	"sync"
	"testing"
	"time"
)

func TestTracker(t *testing.T) {
	var tr Tracker
	start := time.Now()
	tr.Start(start)
	if got := tr.Info(7, "alice", "app", "127.0.0.1:1", false); got.State != "active" || got.Statement != "" || !got.Connected.Equal(start) || got.ID != 7 || got.User != "alice" {
		t.Fatalf("new session: %+v", got)
	}
	tr.Note("SELECT 1")
	if got := tr.Info(7, "alice", "app", "c", true); got.State != "idle" || got.Statement != "SELECT 1" || got.StatementSince.Before(start) {
		t.Fatalf("idle after a statement: %+v", got)
	}
	tr.IdleInTx(true)
	if got := tr.Info(7, "alice", "app", "c", false); got.State != "idle in transaction" {
		t.Fatalf("idle in a transaction: %+v", got)
	}
	tr.IdleInTx(false)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for range 1000 {
			tr.Note("SELECT 2")
			tr.IdleInTx(true)
			tr.IdleInTx(false)
		}
	}()
	go func() {
		defer wg.Done()
		for range 1000 {
			_ = tr.Info(7, "alice", "app", "c", false)
		}
	}()
	wg.Wait()
}

func TestTrackerReady(t *testing.T) {
	cases := []struct {
		status   byte
		idleInTx bool
		want     string
	}{
		{'I', false, "idle"},
		{'T', false, "idle in transaction"},
		{'E', false, "idle in transaction (aborted)"},
		{0, false, "active"},
		{0, true, "idle in transaction"},
	}
	for _, c := range cases {
		var tr Tracker
		tr.Ready(c.status)
		tr.IdleInTx(c.idleInTx)
		if got := tr.Info(1, "u", "d", "c", false).State; got != c.want {
			t.Errorf("Ready(%q) IdleInTx(%v): %q, want %q", c.status, c.idleInTx, got, c.want)
		}
	}
}
