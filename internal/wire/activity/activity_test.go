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
