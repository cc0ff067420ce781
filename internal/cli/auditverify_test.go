package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/floe-db/floe/internal/audit"
)

// floe audit verify with the key and the checkpoints: an honest keyed log
// verifies; a log cut at its end, and a literal key on the command line,
// are refused; an unkeyed log is reported as such.
func TestAuditVerifyKeyed(t *testing.T) {
	dir := t.TempDir()
	path, ck, keyFile := filepath.Join(dir, "audit.jsonl"), filepath.Join(dir, "audit.ckpt"), filepath.Join(dir, "key")
	key := "k3y-k3y-k3y-k3y-k3y-k3y-k3y-k3y-k3y"
	if err := os.WriteFile(keyFile, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	w, err := audit.Open(path, audit.Options{Block: true, Key: []byte(key), Checkpoints: ck, CheckpointEvery: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		w.Log(audit.Event{Type: "statement", Fields: map[string]any{"n": i}})
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	t.Setenv("FLOE_TEST_AUDIT_KEY", key)
	for _, ref := range []string{"file:" + keyFile, "env:FLOE_TEST_AUDIT_KEY"} {
		code, out, errOut := run(t, "", "audit", "verify", "--key", ref, "--checkpoints", ck, path)
		if code != 0 || !strings.Contains(out, "5 records") || !strings.Contains(out, "keyed (HMAC-SHA-256)") {
			t.Fatalf("--key %s: exit %d, %q %q", ref, code, out, errOut)
		}
	}
	if code, out, _ := run(t, key+"\n", "audit", "verify", "--key", "-", "--checkpoints", ck, path); code != 0 {
		t.Fatalf("--key -: exit %d %q", code, out)
	}
	if code, _, errOut := run(t, "", "audit", "verify", "--key", key, path); code == 0 || !strings.Contains(errOut, "never the key itself") {
		t.Fatalf("literal key: exit %d %q", code, errOut)
	}
	if code, _, errOut := run(t, "", "audit", "verify", path); code == 0 || !strings.Contains(errOut, "verify with the audit key") {
		t.Fatalf("keyed log without key: exit %d %q", code, errOut)
	}
	data, _ := os.ReadFile(path)
	lines := strings.SplitAfter(strings.TrimRight(string(data), "\n"), "\n")
	if err := os.WriteFile(path, []byte(strings.Join(lines[:len(lines)-1], "")), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := run(t, "", "audit", "verify", "--key", "file:"+keyFile, "--checkpoints", ck, path); code == 0 || !strings.Contains(errOut, "removed from its end") {
		t.Fatalf("log cut at its end: exit %d %q", code, errOut)
	}
	// An old unkeyed log verifies, flagged unkeyed.
	old := filepath.Join(dir, "old.jsonl")
	w, _ = audit.Open(old, audit.Options{Block: true})
	w.Log(audit.Event{Type: "statement"})
	_ = w.Close()
	if code, out, _ := run(t, "", "audit", "verify", old); code != 0 || !strings.Contains(out, "UNKEYED") {
		t.Fatalf("unkeyed log: exit %d %q", code, out)
	}
}
