package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestDatabasesOfEveryKind runs a PostgreSQL, a MySQL and an SQLite
// database in one gateway: each serves the clients of the protocols it
// speaks, and refuses the others' with the client to use. A reload that
// gives a name to a database of another kind serves the new one at once,
// while a session opened before goes on with the one it began on.
func TestDatabasesOfEveryKind(t *testing.T) {
	ctx := context.Background()
	pgDSN := testDB(t)
	myDSN, _ := myTestDB(t)
	pgName := strings.TrimPrefix(mustURL(t, pgDSN).Path, "/")
	myName := strings.TrimPrefix(mustURL(t, myDSN).Path, "/")
	lite := filepath.Join(t.TempDir(), "l.db")
	users := "users:\n  - {name: alice, password: alice-secret}\n"
	g := start(t, fmt.Sprintf("databases:\n  - {name: a, kind: postgres, primary: '%s'}\n  - {name: b, kind: mysql, primary: '%s'}\n  - {name: c, kind: sqlite, path: '%s'}\n",
		pgDSN, myDSN, lite)+users)

	pgAnswers := func(c *pgx.Conn, want string) {
		t.Helper()
		var got string
		if err := c.QueryRow(ctx, "select current_database()").Scan(&got); err != nil || got != want {
			t.Fatalf("PostgreSQL session on %q: %q, %v", want, got, err)
		}
	}
	myAnswers := func(db, want string) {
		t.Helper()
		var got string
		if err := g.mydb(t, "alice", "alice-secret", db, nil).QueryRow("select database()").Scan(&got); err != nil || got != want {
			t.Fatalf("MySQL session on %s: %q, %v", db, got, err)
		}
	}
	pgRefused := func(db string) {
		t.Helper()
		c, err := pgx.Connect(ctx, g.dsn("alice", "alice-secret", db))
		var pe *pgconn.PgError
		if err == nil {
			c.Close(ctx)
		}
		if !errors.As(err, &pe) || pe.Code != "0A000" || !strings.Contains(pe.Message, "MySQL client") {
			t.Fatalf("PostgreSQL client on MySQL database %s: %v", db, err)
		}
	}
	myRefused := func(db string) {
		t.Helper()
		// The refusal follows the handshake's OK, which go-sql-driver
		// reads as a broken connection; the gateway logs what it sent.
		if err := g.mydb(t, "alice", "alice-secret", db, nil).Ping(); err == nil {
			t.Fatalf("MySQL client on PostgreSQL database %s: connected", db)
		}
		want := "ERROR 1235 (42000): database '" + db + "' is a PostgreSQL database; connect to it with a PostgreSQL client"
		for deadline := time.Now().Add(5 * time.Second); !strings.Contains(g.log.String(), want); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("MySQL client on PostgreSQL database %s: no %q in the log", db, want)
			}
		}
	}

	early := g.connect(t, "alice", "alice-secret", "a")
	pgAnswers(early, pgName)
	myAnswers("b", myName)
	pgRefused("b")
	myRefused("a")

	// The SQLite file serves both protocols: what one writes the other
	// reads.
	c := g.connect(t, "alice", "alice-secret", "c")
	if _, err := c.Exec(ctx, "create table t (id integer primary key, v text)"); err != nil {
		t.Fatal(err)
	}
	if _, err := g.mydb(t, "alice", "alice-secret", "c", nil).Exec("insert into t (v) values ('from mysql')"); err != nil {
		t.Fatal(err)
	}
	var v string
	if err := c.QueryRow(ctx, "select v from t").Scan(&v); err != nil || v != "from mysql" {
		t.Fatalf("SQLite read back: %q, %v", v, err)
	}

	// Reload: a becomes the MySQL database, b goes away, c stays.
	g.rewrite(t, fmt.Sprintf("databases:\n  - {name: a, kind: mysql, primary: '%s'}\n  - {name: c, kind: sqlite, path: '%s'}\n", myDSN, lite)+users)
	if code := g.adminCall(t, "POST", "/api/v1/reload", testAdminToken, nil); code != 200 {
		t.Fatalf("reload: %d\n%s", code, g.log.String())
	}
	myAnswers("a", myName)
	pgRefused("a")
	// The session that began on the PostgreSQL relay goes on with it.
	pgAnswers(early, pgName)
	// The SQLite engine was kept, with its session.
	if err := c.QueryRow(ctx, "select v from t").Scan(&v); err != nil || v != "from mysql" {
		t.Fatalf("SQLite session after the reload: %q, %v", v, err)
	}
	if _, err := pgx.Connect(ctx, g.dsn("alice", "alice-secret", "b")); err == nil {
		t.Fatal("a removed database still accepts sessions")
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
