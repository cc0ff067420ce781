package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/floe-db/floe/internal/app"
	"github.com/floe-db/floe/internal/stmt"
)

// wireCache is a result-cache stage of the test's own, installed as a
// program embedding the gateway would (app.Options.Stages): texts that
// mention floe_cache are offered an in-memory cache keyed by database,
// user, text and the protocol's variant; a recorded result is filled
// when the statement ends ok. It counts what happened.
type wireCache struct {
	bound int // bytes a result may take (0: no bound)

	mu      sync.Mutex
	entries map[string]stmt.Result
	hits    int
	misses  int
	fills   int
	keys    []string // the keys looked up, in order
}

func newWireCache(bound int) *wireCache {
	return &wireCache{bound: bound, entries: map[string]stmt.Result{}}
}

func (w *wireCache) Begin(_ context.Context, st *stmt.Statement) error {
	if strings.Contains(st.Text, "floe_cache") {
		st.SetCache(&wireCached{w: w, st: st})
	}
	return nil
}

func (w *wireCache) End(st *stmt.Statement, o stmt.Outcome) {
	c, _ := st.Cache().(*wireCached)
	if c == nil || c.rec == nil || !c.rec.complete || c.rec.over || o.Status != "ok" {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.entries[c.rec.key] = stmt.Result{Payload: c.rec.buf, Rows: c.rec.rows}
	w.fills++
}

// counts returns hits, misses and fills so far.
func (w *wireCache) counts() (hits, misses, fills int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.hits, w.misses, w.fills
}

type wireCached struct {
	w       *wireCache
	st      *stmt.Statement
	rec     *wireRecorder
	verdict string
}

func (c *wireCached) key(v stmt.Variant) string {
	return strings.Join([]string{c.st.Database(), c.st.User(), c.st.Text, v.Format, string(v.Params), v.Settings}, "\x00")
}

func (c *wireCached) Hit(_ context.Context, v stmt.Variant) (stmt.Result, bool) {
	k := c.key(v)
	c.w.mu.Lock()
	defer c.w.mu.Unlock()
	c.w.keys = append(c.w.keys, k)
	r, ok := c.w.entries[k]
	if ok {
		c.w.hits++
		c.verdict = "hit"
	} else {
		c.w.misses++
		c.verdict = "miss"
	}
	return r, ok
}

func (c *wireCached) Record(v stmt.Variant) stmt.Recorder {
	c.rec = &wireRecorder{key: c.key(v), bound: c.w.bound}
	return c.rec
}

func (c *wireCached) Verdict() (string, string) { return c.verdict, "" }

type wireRecorder struct {
	key      string
	bound    int
	buf      []byte
	rows     int64
	over     bool
	complete bool
}

func (r *wireRecorder) Write(p []byte) bool {
	if r.over || r.bound > 0 && len(r.buf)+len(p) > r.bound {
		r.over = true
		return false
	}
	r.buf = append(r.buf, p...)
	return true
}

func (r *wireRecorder) Complete(rows int64) { r.rows, r.complete = rows, true }

// startCached starts a gateway with the test cache stage and the config
// yaml.
func startCached(t *testing.T, yaml string, bound int) (*gateway, *wireCache) {
	w := newWireCache(bound)
	return startWith(t, yaml, app.Options{Stages: []stmt.Stage{w}}), w
}

// wantCounts fails unless the cache counted hits, misses and fills.
func (w *wireCache) want(t *testing.T, what string, hits, misses, fills int) {
	t.Helper()
	h, m, f := w.counts()
	if h != hits || m != misses || f != fills {
		t.Fatalf("%s: cache hits/misses/fills %d/%d/%d, want %d/%d/%d", what, h, m, f, hits, misses, fills)
	}
}

func cliAvailable(t *testing.T, name string) {
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s not installed", name)
	}
}

func runPsql(t *testing.T, g *gateway, sql string) string {
	t.Helper()
	host, port, _ := strings.Cut(g.pg, ":")
	cmd := exec.Command("psql", "-X", "-A", "-t", "-h", host, "-p", port, "-U", "alice", "-c", sql, "app")
	cmd.Env = append(os.Environ(), "PGPASSWORD=alice-secret", "PGCONNECT_TIMEOUT=10", "PGSSLMODE=disable")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("psql: %v: %s", err, out)
	}
	return strings.TrimSpace(string(out))
}

func runMySQLCLI(t *testing.T, g *gateway, sql string) string {
	t.Helper()
	host, port, _ := strings.Cut(g.my, ":")
	out, err := exec.Command("mysql", "--no-defaults", "-h", host, "-P", port, "-u", "alice", "-palice-secret", "--comments", "-N", "-B", "-e", sql, "shop").CombinedOutput()
	if err != nil {
		t.Fatalf("mysql: %v: %s", err, out)
	}
	return strings.TrimSpace(string(out))
}

// A result recorded for a masked user is what that user received: the
// hit serves the masked values, in text and binary formats, on both
// protocols; a user the masks exempt has entries of their own (the test
// stage keys by user, as the cache keys by policy view).
func TestCacheWireMasked(t *testing.T) {
	pgDSN := testDB(t)
	myDSN, direct := myTestDB(t)
	ctx := context.Background()
	pgc, err := pgx.Connect(ctx, pgDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer pgc.Close(ctx)
	for _, q := range []string{maskedTable, maskedRows} {
		if _, err := pgc.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
		if _, err := direct.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	g, w := startCached(t, maskingConfig(pgDSN, myDSN, filepath.Join(t.TempDir(), "lite.db")), 0)
	q := "SELECT id, email, card, phone FROM customers ORDER BY id /* floe_cache masked */"
	check := func(t *testing.T, who, first, second string, masked bool) {
		t.Helper()
		if second != first {
			t.Fatalf("%s: hit %q, want the recorded %q", who, second, first)
		}
		if masked != strings.Contains(first, "a***@example.com") || masked == strings.Contains(first, "ada@example.com") {
			t.Fatalf("%s: %q (masked: %v)", who, first, masked)
		}
	}
	t.Run("postgres", func(t *testing.T) {
		for _, mode := range []string{"default_query_exec_mode=simple_protocol", "default_query_exec_mode=cache_statement"} {
			for _, u := range []struct{ name, password string }{{"alice", "alice-secret"}, {"root", "root-secret"}} {
				c := g.connect(t, u.name, u.password, "app", mode)
				b := w.now()
				first := pgRead(t, c, q)
				second := pgRead(t, c, q)
				check(t, u.name+" "+mode, first, second, u.name == "alice")
				w.delta(t, u.name+" "+mode, b, 1, 1, 1)
			}
		}
	})
	t.Run("postgres unnamed", func(t *testing.T) {
		// Parse, Bind, Describe, Execute in one batch: the relay describes
		// the statement itself for the masks before the rows come.
		c := g.connect(t, "alice", "alice-secret", "app")
		read := func() string {
			res := c.PgConn().ExecParams(ctx, q, nil, nil, nil, nil).Read()
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			var b strings.Builder
			for _, row := range res.Rows {
				for _, v := range row {
					b.Write(v)
					b.WriteByte(' ')
				}
				b.WriteByte('\n')
			}
			return b.String()
		}
		b := w.now()
		first := read()
		second := read()
		check(t, "alice unnamed", first, second, true)
		w.delta(t, "alice unnamed", b, 1, 1, 1)
	})
	t.Run("mysql", func(t *testing.T) {
		for _, params := range []map[string]string{nil, {"interpolateParams": "true"}} {
			for _, u := range []struct{ name, password string }{{"alice", "alice-secret"}, {"root", "root-secret"}} {
				db := g.mydb(t, u.name, u.password, "shop", params)
				b := w.now()
				mq := "SELECT id, email, card, phone FROM customers WHERE ? = 1 ORDER BY id /* floe_cache masked */"
				first := myRead(t, db, mq, 1)
				second := myRead(t, db, mq, 1)
				check(t, u.name, first, second, u.name == "alice")
				w.delta(t, u.name, b, 1, 1, 1)
			}
		}
	})
}
