package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// floeProcess is a gateway run as its own process from the built binary.
type floeProcess struct {
	cmd       *exec.Cmd
	pg, admin string
}

// startProcess runs `floe serve` with yaml (listeners on free ports) and
// reads the addresses from its start-up log line.
func startProcess(t *testing.T, bin, yaml string) *floeProcess {
	t.Helper()
	path := filepath.Join(t.TempDir(), "floe.yaml")
	full := "listen: {postgres: 127.0.0.1:0, mysql: 127.0.0.1:0, admin: 127.0.0.1:0, http: 127.0.0.1:0, flightsql: 127.0.0.1:0}\n" + withAdminTokens(yaml)
	if err := os.WriteFile(path, []byte(full), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--config", path)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &floeProcess{cmd: cmd}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	started := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var rec map[string]any
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec["msg"] == "floe started" {
				p.pg, _ = rec["postgres"].(string)
				p.admin, _ = rec["admin"].(string)
				started <- nil
				_, _ = io.Copy(io.Discard, stderr)
				return
			}
		}
		started <- fmt.Errorf("floe exited before it started: %v", sc.Err())
	}()
	select {
	case err := <-started:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("floe did not start")
	}
	return p
}

func (p *floeProcess) dsn(user, password, db string) string {
	return fmt.Sprintf("postgres://%s:%s@%s/%s?sslmode=disable", user, password, p.pg, db)
}

func (p *floeProcess) put(t *testing.T, path string, body any) int {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("PUT", "http://"+p.admin+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+testAdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// Three floe processes share a store (PostgreSQL, then Redis): a role and a user made
// through the first are usable through the others within a second, and
// a grant revoked through the first is refused by the others, on their
// open sessions, within a second.
func TestSharedStoreProcesses(t *testing.T) {
	appDSN := testDB(t)
	c, err := pgx.Connect(context.Background(), appDSN)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(context.Background(), "CREATE TABLE t (id int)"); err != nil {
		t.Fatal(err)
	}
	c.Close(context.Background())
	bin := buildFloe(t)
	for _, kind := range []string{"postgres", "redis"} {
		t.Run(kind, func(t *testing.T) {
			storeCfg := fmt.Sprintf("store: {kind: postgres, dsn: %q}", testDB(t))
			if kind == "redis" {
				storeCfg = fmt.Sprintf("store: {kind: redis, address: %q, prefix: %s}", redisAddr(), redisPrefix(t))
			}
			sharedStoreProcesses(t, bin, fmt.Sprintf(`databases:
  - {name: app, kind: postgres, primary: %q}
users:
  - {name: root, password: root-secret}
%s
`, appDSN, storeCfg))
		})
	}
}

func sharedStoreProcesses(t *testing.T, bin, cfg string) {
	p1, p2, p3 := startProcess(t, bin, cfg), startProcess(t, bin, cfg), startProcess(t, bin, cfg)
	ctx := context.Background()
	within := func(what string, ok func() bool) time.Duration {
		t.Helper()
		return within(t, what, time.Second, ok)
	}
	if code := p1.put(t, "/api/v1/roles/reader", map[string]any{"grants": []map[string]any{{"database": "app", "tables": []string{"t"}, "actions": []string{"select"}}}}); code != 200 {
		t.Fatalf("PUT role: %d", code)
	}
	if code := p1.put(t, "/api/v1/users/dana", map[string]any{"password": "dana-secret-1", "roles": []string{"reader"}}); code != 200 {
		t.Fatalf("PUT user: %d", code)
	}
	open := map[*floeProcess]*pgx.Conn{}
	for _, p := range []*floeProcess{p2, p3} {
		d := within("the user reaches another process", func() bool {
			c, err := pgx.Connect(ctx, p.dsn("dana", "dana-secret-1", "app"))
			if err != nil {
				return false
			}
			open[p] = c
			return true
		})
		t.Cleanup(func() { open[p].Close(ctx) })
		t.Logf("user usable through process %s after %v", p.admin, d.Round(time.Millisecond))
		if _, err := open[p].Exec(ctx, "SELECT id FROM t"); err != nil {
			t.Fatal(err)
		}
	}
	if code := p1.put(t, "/api/v1/roles/reader", map[string]any{"grants": []any{}}); code != 200 {
		t.Fatalf("revoke: %d", code)
	}
	for _, p := range []*floeProcess{p2, p3} {
		d := within("the revocation reaches another process", func() bool {
			_, err := open[p].Exec(ctx, "SELECT id FROM t")
			return sqlstate(err) == "42501"
		})
		t.Logf("revocation enforced by process %s after %v", p.admin, d.Round(time.Millisecond))
	}
	if !strings.HasPrefix(p3.pg, "127.0.0.1:") {
		t.Errorf("listener %q", p3.pg)
	}
}
