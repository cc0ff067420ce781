package e2e

import (
	"bufio"
	"context"
	"flag"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

var update = flag.Bool("update", false, "rewrite golden files")

// buildFloe builds the floe binary once per test binary run.
func buildFloe(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "floe")
	cmd := exec.Command("go", "build", "-o", bin, "../../cmd/floe")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestDemoModeBinary starts the built binary with no configuration, as a
// new user would, and drives it with psql and pgx.
func TestDemoModeBinary(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:6432", "127.0.0.1:3307", "127.0.0.1:8080", "127.0.0.1:8815"} {
		if ln, err := net.Listen("tcp", addr); err != nil {
			t.Fatalf("demo mode needs %s, which is taken: %v", addr, err)
		} else {
			ln.Close()
		}
	}
	bin := buildFloe(t)
	dir := t.TempDir()
	cmd := exec.Command(bin, "serve")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "FLOE_CONFIG=")
	stdout, _ := cmd.StdoutPipe()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("floe exited with %v\n%s", err, stderr.String())
			}
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			t.Error("floe did not stop on SIGINT")
		}
	}()
	banner := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		var b strings.Builder
		for sc.Scan() {
			b.WriteString(sc.Text() + "\n")
			if strings.Contains(sc.Text(), "psql -h") {
				banner <- b.String()
			}
		}
	}()
	var text string
	select {
	case text = <-banner:
	case <-time.After(20 * time.Second):
		t.Fatalf("no banner; stderr:\n%s", stderr.String())
	}
	if !strings.Contains(text, "psql -h 127.0.0.1 -p 6432 -U demo demo") {
		t.Fatalf("banner does not show the psql command:\n%s", text)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "demo.db")); err != nil {
		t.Fatalf("demo database not created: %v", err)
	}

	// psql, scripted, against a golden transcript.
	psql := exec.Command("psql", "-X", "-h", "127.0.0.1", "-p", "6432", "-U", "demo", "-f", "testdata/demo.sql", "demo")
	psql.Env = append(os.Environ(), "PGPASSWORD=demo", "PGCONNECT_TIMEOUT=10")
	out, _ := psql.CombinedOutput()
	golden(t, "testdata/demo.psql.out", string(out))

	// pgx, extended protocol with binary parameters and results.
	ctx := context.Background()
	c, err := pgx.Connect(ctx, "postgres://demo:demo@127.0.0.1:6432/demo?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var name string
	var total float64
	if err := c.QueryRow(ctx, "select c.name, sum(o.total) from customers c join orders o on o.customer_id = c.id where c.id = $1 group by c.name", 5).Scan(&name, &total); err != nil {
		t.Fatal(err)
	}
	if name == "" || total <= 0 {
		t.Fatalf("got %q %v", name, total)
	}
	_, err = pgx.Connect(ctx, "postgres://demo:wrong@127.0.0.1:6432/demo?sslmode=disable")
	if sqlstate(err) != "28P01" {
		t.Fatalf("wrong password: %v", err)
	}

	// The mysql command-line client, the command the banner prints.
	if _, err := exec.LookPath("mysql"); err != nil {
		t.Fatal("the mysql client is missing: run scripts/services.sh")
	}
	my := exec.Command("mysql", "--no-defaults", "-h", "127.0.0.1", "-P", "3307", "-u", "demo", "-pdemo", "--table", "--force", "demo")
	sql, err := os.ReadFile("testdata/demo.mysql.sql")
	if err != nil {
		t.Fatal(err)
	}
	my.Stdin = strings.NewReader(string(sql))
	out, _ = my.CombinedOutput()
	golden(t, "testdata/demo.mysql.out", string(out))

	// The HTTP API, as the banner shows it.
	req, _ := http.NewRequest("POST", "http://127.0.0.1:8080/v1/query?format=csv",
		strings.NewReader(`{"database":"demo","sql":"SELECT count(*) AS n FROM customers"}`))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth("demo", "demo")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(string(body), "n\n") {
		t.Fatalf("HTTP API in demo mode: %d %s", resp.StatusCode, body)
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Fatalf("%s differs:\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}
