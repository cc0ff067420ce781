package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/floe-db/floe/internal/app"
)

// TestMain skips the whole package under -short: every test here needs
// the real database servers and starts a gateway.
func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		fmt.Println("end-to-end tests skipped in -short mode")
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// poll calls f until it returns nil or timeout has passed, pausing
// between calls with a backoff from 5ms up to 200ms; it returns f's last
// error when time runs out.
func poll(timeout time.Duration, f func() error) error {
	deadline := time.Now().Add(timeout)
	pause := 5 * time.Millisecond
	for {
		err := f()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("still after %v: %w", timeout, err)
		}
		time.Sleep(pause)
		pause = min(2*pause, 200*time.Millisecond)
	}
}

// eventually waits for a condition: it calls f until f returns nil and
// fails the test with f's last error if that does not happen within
// timeout. Use it instead of a fixed sleep wherever a test waits for
// something to happen.
func eventually(t testing.TB, timeout time.Duration, f func() error) {
	t.Helper()
	if err := poll(timeout, f); err != nil {
		t.Fatal(err)
	}
}

func pgAdminDSN() string {
	if v := os.Getenv("FLOE_TEST_PG"); v != "" {
		return v
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// testDB creates a fresh database and returns a DSN for it.
func testDB(t *testing.T) string { return testDBB(t) }

// testDBB is testDB for tests and benchmarks.
func testDBB(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, pgAdminDSN())
	if err != nil {
		t.Fatalf("connect to PostgreSQL (%s): %v — run scripts/services.sh", pgAdminDSN(), err)
	}
	defer admin.Close(ctx)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "floe_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), pgAdminDSN())
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	u, _ := url.Parse(pgAdminDSN())
	u.Path = "/" + name
	return u.String()
}

type gateway struct {
	pg, my, admin string
	http, flight  string
	sig           chan os.Signal
	done          chan error
	dir           string
	cfgPath       string
	log           *logBuffer
}

// start runs the gateway in-process with the given YAML (listen
// addresses are added) and stops it when the test ends.
func start(t *testing.T, yaml string) *gateway { return startB(t, yaml) }

// startB is start for tests and benchmarks.
func startB(t testing.TB, yaml string) *gateway { return startWith(t, yaml, app.Options{}) }

// startWith is start with options of the test's own (ConfigPath, the
// output, Ready and Signals are the helper's).
func startWith(t testing.TB, yaml string, opts app.Options) *gateway {
	t.Helper()
	dir := t.TempDir()
	g := &gateway{sig: make(chan os.Signal, 4), done: make(chan error, 1), dir: dir, cfgPath: filepath.Join(dir, "floe.yaml"), log: &logBuffer{}}
	full := "listen: {postgres: 127.0.0.1:0, mysql: 127.0.0.1:0, admin: 127.0.0.1:0, http: 127.0.0.1:0, flightsql: 127.0.0.1:0}\nshutdown: {timeout: 5s}\n" + withAdminTokens(yaml)
	if err := os.WriteFile(g.cfgPath, []byte(full), 0o600); err != nil {
		t.Fatal(err)
	}
	ready := make(chan app.Addrs, 1)
	go func() {
		opts.ConfigPath, opts.Stdout, opts.Stderr, opts.Signals = g.cfgPath, os.Stdout, g.log, g.sig
		opts.Ready = func(a app.Addrs) { ready <- a }
		g.done <- app.Run(context.Background(), opts)
	}()
	select {
	case a := <-ready:
		g.pg, g.my, g.admin, g.http, g.flight = a.Postgres, a.MySQL, a.Admin, a.HTTP, a.FlightSQL
	case err := <-g.done:
		t.Fatalf("gateway did not start: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("gateway did not start in time")
	}
	t.Cleanup(func() {
		g.stop(t)
		if t.Failed() {
			t.Logf("gateway log:\n%s", g.log.String())
		}
	})
	return g
}

func (g *gateway) stop(t testing.TB) {
	select {
	case g.sig <- syscall.SIGTERM:
	default:
	}
	select {
	case <-g.done:
	case <-time.After(30 * time.Second):
		t.Error("gateway did not stop")
	}
	g.done <- nil // later stops return at once
}

// rewrite replaces the config file (for reload tests).
func (g *gateway) rewrite(t *testing.T, yaml string) {
	full := "listen: {postgres: " + g.pg + ", mysql: " + g.my + ", admin: " + g.admin + ", http: " + g.http + ", flightsql: " + g.flight + "}\nshutdown: {timeout: 5s}\n" + withAdminTokens(yaml)
	if err := os.WriteFile(g.cfgPath, []byte(full), 0o600); err != nil {
		t.Fatal(err)
	}
}

// dsn is a client connection string for the gateway.
func (g *gateway) dsn(user, password, db string, extra ...string) string {
	host, port, _ := strings.Cut(g.pg, ":")
	s := fmt.Sprintf("postgres://%s:%s@%s:%s/%s?sslmode=disable", url.PathEscape(user), url.PathEscape(password), host, port, db)
	for _, e := range extra {
		s += "&" + e
	}
	return s
}

func (g *gateway) connect(t *testing.T, user, password, db string, extra ...string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, g.dsn(user, password, db, extra...))
	if err != nil {
		t.Fatalf("connect through the gateway: %v", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// relayConfig is a config for one PostgreSQL database "app" and user alice.
func relayConfig(dsn, mode string, size int, extra string) string {
	return fmt.Sprintf(`databases:
  - name: app
    kind: postgres
    primary: %s
    pool: {mode: %s, size: %d%s}
users:
  - name: alice
    password: alice-secret
  - name: bob
    password: bob-secret
`, dsn, mode, size, extra)
}

func sqlstate(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// logBuffer keeps the gateway's log and prints it if the test fails.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Admin tokens every test gateway accepts (unless its config has an
// admin section of its own).
const (
	testAdminToken = "test-admin-token-0123456789abcdef"
	testReadToken  = "test-read-token-0123456789abcdef"
)

func withAdminTokens(yaml string) string {
	if strings.Contains(yaml, "\nadmin:") || strings.HasPrefix(yaml, "admin:") {
		return yaml
	}
	return yaml + "\nadmin:\n  tokens:\n    - {name: test-admin, token: " + testAdminToken + ", scopes: [admin]}\n    - {name: test-read, token: " + testReadToken + ", scopes: [read]}\n"
}

// adminCall calls the admin API with token ("" for none) and decodes the
// JSON answer into out (when not nil); it returns the status code.
func (g *gateway) adminCall(t testing.TB, method, path, token string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+g.admin+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

// queriesTotal reads floe_queries_total for database db, user and outcome.
func queriesTotal(t *testing.T, g *gateway, db, user, outcome string) int {
	t.Helper()
	resp, err := http.Get("http://" + g.admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	prefix := fmt.Sprintf(`floe_queries_total{database=%q,outcome=%q,user=%q} `, db, outcome, user)
	for _, l := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(l, prefix); ok {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", l, err)
			}
			return int(n)
		}
	}
	return 0
}

// sqlStrings reads the first column of every row of a query's result as
// text (pass the query's results straight in: sqlStrings(db.Query(q))).
func sqlStrings(rows *sql.Rows, err error) ([]string, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []string
	for rows.Next() {
		// The first column as a string (NULL is an error); the rest
		// read and dropped.
		var s string
		dest := make([]any, len(cols))
		dest[0] = &s
		for i := 1; i < len(dest); i++ {
			dest[i] = new(sql.RawBytes)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
