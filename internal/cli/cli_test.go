package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/floe-db/floe/internal/authn"
)

func run(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb strings.Builder
	code = Main(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestPasswd(t *testing.T) {
	code, out, _ := run(t, "s3cret\n", "passwd")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	v := strings.TrimSpace(out)
	if _, err := authn.ParseVerifier(v); err != nil {
		t.Fatalf("output %q is not a verifier: %v", v, err)
	}
	if strings.Contains(out, "s3cret") {
		t.Fatal("password echoed")
	}
	// The verifier authenticates the password through a user store.
	store, err := authn.NewStore([]authn.Spec{{Name: "u", Verifier: v}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := store.Lookup("u"); !ok {
		t.Fatal("user missing")
	}
	if code, _, _ := run(t, "\n", "passwd"); code == 0 {
		t.Fatal("empty password accepted")
	}
}

func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	_ = os.WriteFile(good, []byte("databases: [{name: a, kind: sqlite, path: x.db}]\nusers: [{name: u, password: p}]\n"), 0o600)
	_ = os.WriteFile(bad, []byte("databases:\n  - name: a\n    kind: sqlite\n    path: x.db\n    pool: {mode: often}\nusers: [{name: u, password: p}]\n"), 0o600)
	if code, out, _ := run(t, "", "config", "check", "--config", good); code != 0 || !strings.Contains(out, "ok (1 databases, 1 users)") {
		t.Fatalf("good config: %d %q", code, out)
	}
	code, _, errOut := run(t, "", "config", "check", "--config", bad)
	if code == 0 || !strings.Contains(errOut, "bad.yaml:5: databases[0].pool.mode") {
		t.Fatalf("bad config: %d %q", code, errOut)
	}
}
