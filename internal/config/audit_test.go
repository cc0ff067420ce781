package config

import (
	"strings"
	"testing"
	"time"
)

func TestAuditKeyAndCheckpoints(t *testing.T) {
	base := "databases: [{name: a, kind: sqlite, path: x}]\nusers: [{name: u, password: p, roles: [r]}]\nroles: [{name: r}]\n"
	key := strings.Repeat("k", 32)
	for _, tt := range []struct{ yaml, want string }{
		{"audit: {file: a.jsonl, key: short-key}", "audit.key: want at least 32 bytes"},
		{"audit: {file: a.jsonl, checkpoints: a.ckpt}", "audit.checkpoints: needs audit.key"},
		{"audit: {file: a.jsonl, key: " + key + ", checkpoints: a.jsonl}", "must be another file"},
		{"audit: {file: a.jsonl, key: " + key + ", checkpoint_every: -1}", "audit.checkpoint_every: must not be negative"},
	} {
		_, err := Parse("f.yaml", []byte(base+tt.yaml), env(nil))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: want %q, got %v", tt.yaml, tt.want, err)
		}
		if err != nil && strings.Contains(err.Error(), "short-key") {
			t.Errorf("error echoes the key: %v", err)
		}
	}
	c, err := Parse("f.yaml", []byte(base+"audit: {file: a.jsonl, key: '${env:AUDIT_KEY}', checkpoints: a.ckpt, checkpoint_every: 50, checkpoint_interval: 3s}"),
		env(map[string]string{"AUDIT_KEY": key}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Audit.Key != key || c.Audit.Checkpoints != "a.ckpt" || c.Audit.CheckpointEvery != 50 || c.Audit.CheckpointInterval != 3*time.Second {
		t.Fatalf("audit: %+v", *c.Audit)
	}
}
