package activity

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"
)

// Lines carry the attributes given at creation, those added by With, and
// the call's own, in that order; a call's pairs do not stick.
func TestLog(t *testing.T) {
	var buf bytes.Buffer
	g := NewLog(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), "client", "10.0.0.1:5000")
	g.Debug("connected", "n", 1)
	g.With("user", "alice", "database", "app")
	g.Info("ended", "error", "boom")
	g.Error("panic")
	want := []map[string]any{
		{"level": "DEBUG", "msg": "connected", "client": "10.0.0.1:5000", "n": 1.0},
		{"level": "INFO", "msg": "ended", "client": "10.0.0.1:5000", "user": "alice", "database": "app", "error": "boom"},
		{"level": "ERROR", "msg": "panic", "client": "10.0.0.1:5000", "user": "alice", "database": "app"},
	}
	dec := json.NewDecoder(&buf)
	for i, w := range want {
		var got map[string]any
		if err := dec.Decode(&got); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		delete(got, "time")
		if len(got) != len(w) {
			t.Errorf("line %d: %v, want %v", i, got, w)
			continue
		}
		for k, v := range w {
			if got[k] != v {
				t.Errorf("line %d: %s = %v, want %v", i, k, got[k], v)
			}
		}
	}
}
