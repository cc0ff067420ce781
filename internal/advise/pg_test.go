package advise

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/floe-db/floe/internal/analysis"
)

func pgAdminDSN() string {
	if v := os.Getenv("FLOE_TEST_PG"); v != "" {
		return v
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// On the real PostgreSQL: a login that may not create hypopg gets
// unverified advice that says why, with the plan's evidence; a login
// that may gets it verified, and an index that exists covers its
// candidates.
func TestPostgresPlanner(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin, err := pgx.Connect(ctx, pgAdminDSN())
	if err != nil {
		t.Fatalf("connect to PostgreSQL: %v — run scripts/services.sh", err)
	}
	defer admin.Close(context.Background())
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	name := "floe_t_advise_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(ctx, "CREATE ROLE "+name+" LOGIN"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// admin is closed by then (deferred): a connection of its own.
		c, err := pgx.Connect(context.Background(), pgAdminDSN())
		if err != nil {
			t.Logf("drop %s: %v", name, err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("drop database %s: %v", name, err)
		}
		if _, err := c.Exec(context.Background(), "DROP ROLE IF EXISTS "+name); err != nil {
			t.Logf("drop role %s: %v", name, err)
		}
	})
	u, _ := url.Parse(pgAdminDSN())
	u.Path = "/" + name
	superDSN := u.String()
	u.User = url.User(name)
	plainDSN := u.String()
	db, err := pgx.Connect(ctx, superDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(context.Background())
	if _, err := db.Exec(ctx, `CREATE TABLE t (id int PRIMARY KEY, k int NOT NULL, r int NOT NULL, v text);
		INSERT INTO t SELECT g, g % 3000, g % 97, 'v' FROM generate_series(1, 60000) g;
		CREATE TABLE u (id int PRIMARY KEY, k int NOT NULL);
		INSERT INTO u SELECT g, g FROM generate_series(1, 20000) g;
		CREATE INDEX u_k ON u (k);
		CREATE FUNCTION f_t(int) RETURNS int LANGUAGE sql STABLE AS 'SELECT $1';
		CREATE VIEW tv AS SELECT * FROM t;
		ANALYZE;
		GRANT SELECT ON t, u TO `+name); err != nil {
		t.Fatal(err)
	}
	shapes := []Shape{
		{Query: "SELECT v FROM t WHERE k = ? AND r > ?", Count: 40, TotalMS: 400},
		{Query: "SELECT id FROM u WHERE k = $1", Count: 40, TotalMS: 40},
		{Query: "INSERT INTO t VALUES (?, ?, ?, ?)", Count: 5, TotalMS: 1},
		{Query: "SELECT v FROM nosuch WHERE k = ?", Count: 1, TotalMS: 1},
		// Planning these could run code that is not PostgreSQL's own.
		{Query: "SELECT v FROM t WHERE k = f_t(?)", Count: 1, TotalMS: 0.5},
		{Query: "SELECT v FROM tv WHERE k = ?", Count: 1, TotalMS: 0.4},
	}
	set := Settings{MinGain: 0.3, TopShapes: 10}

	// A login that may not create the extension: unverified, and why.
	p, err := OpenPostgres(ctx, plainDSN)
	if err != nil {
		t.Fatal(err)
	}
	r := Compute(ctx, name, "postgres", analysis.Postgres, "public", shapes, set, p)
	p.Close()
	if r.Verified || !strings.Contains(r.Note, "hypopg is not available") {
		t.Fatalf("plain login: verified %v, note %q", r.Verified, r.Note)
	}
	if len(r.Advice) != 1 || r.Advice[0].Table != "public.t" || r.Advice[0].Verified || r.Advice[0].Columns[0] != "k" ||
		!strings.Contains(strings.Join(r.Advice[0].Shapes[0].Evidence, ";"), "Seq Scan on t") {
		t.Fatalf("plain login advice: %+v", r.Advice)
	}
	var skipped []string
	for _, s := range r.Skipped {
		skipped = append(skipped, s.Query+": "+s.Reason)
	}
	if len(skipped) != 3 || !strings.HasPrefix(skipped[0], "SELECT v FROM nosuch WHERE k = ?") ||
		!strings.Contains(skipped[1], "it names function f_t, which is not PostgreSQL's own") ||
		!strings.Contains(skipped[2], "it names relation tv, which is not PostgreSQL's own") {
		t.Errorf("skipped:\n%s", strings.Join(skipped, "\n"))
	}

	// A login that may: verified, t's index found, u's already there.
	p, err = OpenPostgres(ctx, superDSN)
	if err != nil {
		t.Fatal(err)
	}
	r = Compute(ctx, name, "postgres", analysis.Postgres, "public", shapes, set, p)
	p.Close()
	if !r.Verified || r.Note != "" || r.Shapes != 2 {
		t.Fatalf("superuser: %+v", r)
	}
	if len(r.Advice) != 1 || r.Advice[0].Table != "public.t" || !r.Advice[0].Verified || r.Advice[0].Gain < 0.3 ||
		!slices.Contains(r.Advice[0].Columns, "k") || r.Advice[0].Columns[0] != "k" {
		t.Fatalf("superuser advice: %+v", r.Advice)
	}
	// Nothing hypothetical outlives the planner session, nothing real
	// was created.
	var n int
	if err := db.QueryRow(ctx, "SELECT count(*) FROM pg_indexes WHERE tablename = 't'").Scan(&n); err != nil || n != 1 {
		t.Fatalf("indexes on t: %d, %v", n, err)
	}

	// Filter keeps only what the caller may see and recomputes the gain.
	none := r.Filter(func(string) bool { return false })
	if len(none.Advice) != 0 || len(none.Skipped) != 0 {
		t.Errorf("filter none: %+v", none)
	}
	all := r.Filter(func(string) bool { return true })
	if len(all.Advice) != 1 || all.Advice[0].Gain != r.Advice[0].Gain {
		t.Errorf("filter all: %+v", all.Advice)
	}
}
