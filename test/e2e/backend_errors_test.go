package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-adbc/go/adbc"
	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// clean fails the test when a client-facing message names a backend
// host, login or database.
func clean(t *testing.T, what, msg string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(msg, s) {
			t.Errorf("%s: the message names %q: %s", what, s, msg)
		}
	}
}

// pgMessage is what the server said in a PostgreSQL error (pgx's own
// text adds the address it dialled).
func pgMessage(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Message + " " + pe.Detail + " " + pe.Hint
	}
	return err.Error()
}

// serverRange fails the test unless errno is a MySQL server error number
// (clients read an ERR packet with a client-side number, 2000–2999, as a
// malformed packet).
func serverRange(t *testing.T, what string, errno uint16) {
	t.Helper()
	if errno < 1000 || (errno >= 2000 && errno < 3000) {
		t.Errorf("%s: error number %d is not a server error number", what, errno)
	}
}

// A database that cannot be reached fails alike on every protocol: 08006
// on PostgreSQL, ER_CONNECT_TO_FOREIGN_DATA_SOURCE (1429, a server-range
// number the mysql client prints) on MySQL, 503 "unavailable" over HTTP,
// Unavailable over Flight SQL — and no message names the backend's host,
// login or database.
func TestResilienceUnreachableBackendErrors(t *testing.T) {
	// A closed port, and the real servers refusing a login that does not
	// exist (their refusal names the login and the database).
	for _, tc := range []struct{ name, pgHost, myHost string }{
		{"closed-port", "127.0.0.1:1", "127.0.0.1:1"},
		{"login-refused", "127.0.0.1:5432", "127.0.0.1:3306"},
	} {
		t.Run(tc.name, func(t *testing.T) { unreachable(t, tc.pgHost, tc.myHost) })
	}
}

func unreachable(t *testing.T, pgHost, myHost string) {
	g := start(t, fmt.Sprintf(`databases:
  - name: pgdown
    kind: postgres
    primary: "postgres://pg_hidden_login:pg_hidden_pw@%s/pg_hidden_db?sslmode=disable"
    pool: {mode: transaction, size: 2, acquire_timeout: 2s}
  - name: mydown
    kind: mysql
    primary: "mysql://my_hidden_login:my_hidden_pw@%s/my_hidden_db"
    pool: {mode: transaction, size: 2, acquire_timeout: 2s}
users:
  - {name: alice, password: alice-secret}
`, pgHost, myHost))
	secrets := []string{"127.0.0.1", "hidden"}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	t.Run("postgres", func(t *testing.T) {
		var err error
		c, cerr := pgx.Connect(ctx, g.dsn("alice", "alice-secret", "pgdown"))
		if cerr == nil {
			defer c.Close(context.Background())
			var n int
			err = c.QueryRow(ctx, "SELECT 1").Scan(&n)
		} else {
			err = cerr
		}
		if sqlstate(err) != "08006" {
			t.Fatalf("query on an unreachable database: %v, want SQLSTATE 08006", err)
		}
		clean(t, "postgres", pgMessage(err), secrets...)
	})

	t.Run("mysql", func(t *testing.T) {
		db := g.mydb(t, "alice", "alice-secret", "mydown", nil)
		var n int
		err := db.QueryRowContext(ctx, "SELECT 1").Scan(&n)
		var me *mysql.MySQLError
		if !errors.As(err, &me) {
			t.Fatalf("query on an unreachable database: %v, want a MySQL error", err)
		}
		serverRange(t, "mysql", me.Number)
		if me.Number != 1429 {
			t.Errorf("query on an unreachable database: %v, want error 1429", err)
		}
		clean(t, "mysql", me.Message, secrets...)
	})

	t.Run("mysql-cli", func(t *testing.T) {
		if _, err := exec.LookPath("mysql"); err != nil {
			t.Fatal("the mysql client is missing: run scripts/services.sh")
		}
		host, port, _ := net.SplitHostPort(g.my)
		cmd := exec.CommandContext(ctx, "mysql", "--no-defaults", "-h", host, "-P", port, "-u", "alice", "-palice-secret",
			"-e", "SELECT 1", "mydown")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err == nil {
			t.Fatalf("the mysql client succeeded on an unreachable database: %s", out.String())
		}
		if !strings.Contains(out.String(), "ERROR 1429 (HY000)") || strings.Contains(out.String(), "malformed") {
			t.Errorf("the mysql client printed %q, want ERROR 1429 and no malformed packet", out.String())
		}
		clean(t, "mysql client", out.String(), secrets...)
	})

	for _, db := range []string{"pgdown", "mydown"} {
		t.Run("http-"+db, func(t *testing.T) {
			a := g.post(t, "alice", "alice-secret", "/v1/query", queryBody(db, "SELECT 1"))
			if code, _, _ := errorOf(t, a); a.status != 503 || code != "unavailable" {
				t.Errorf("HTTP query on an unreachable database: %d %s", a.status, a.body)
			}
			clean(t, "http", string(a.body), secrets...)
		})
		t.Run("flightsql-"+db, func(t *testing.T) {
			c, err := g.adbcConn(t, "alice", "alice-secret", db)
			if err == nil {
				_, _, err = adbcQuery(t, c, "SELECT 1")
			}
			if err == nil || adbcStatus(err) != adbc.StatusIO {
				t.Fatalf("Flight SQL query on an unreachable database: %v (status %v), want Unavailable (ADBC IO)", err, adbcStatus(err))
			}
			clean(t, "flightsql", err.Error(), secrets...)
		})
		t.Run("flightsql-metadata-"+db, func(t *testing.T) {
			c, err := g.adbcConn(t, "alice", "alice-secret", db)
			if err != nil {
				t.Fatal(err)
			}
			catalog := db
			rdr, err := c.GetObjects(ctx, adbc.ObjectDepthDBSchemas, &catalog, nil, nil, nil, nil)
			if err == nil {
				for rdr.Next() {
				}
				err = rdr.Err()
				rdr.Release()
			}
			if err == nil || adbcStatus(err) != adbc.StatusIO {
				t.Fatalf("Flight SQL schemas of an unreachable database: %v (status %v), want Unavailable (ADBC IO)", err, adbcStatus(err))
			}
			clean(t, "flightsql metadata", err.Error(), secrets...)
		})
	}
}

// A backend connection killed under a running statement: the MySQL
// client gets ER_CONNECTION_KILLED (1927), a server-range number, and its
// session goes on; the PostgreSQL client gets the backend's 57P01 (or
// 08006); an HTTP request gets 503 "unavailable". No message names the
// backend's host or database.
func TestResilienceKilledBackendConnection(t *testing.T) {
	pgDSN := testDB(t)
	myDSN, direct := myTestDB(t)
	u, _ := url.Parse(myDSN)
	myName := strings.TrimPrefix(u.Path, "/")
	pu, _ := url.Parse(pgDSN)
	pgName := strings.TrimPrefix(pu.Path, "/")
	g := start(t, twoDatabases(pgDSN, myDSN, "\n    pool: {mode: transaction, size: 2}"))
	secrets := []string{myName, pgName, u.Host, pu.Host}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// killSleeper kills the MariaDB connection running SLEEP in the test
	// database once it shows up.
	killSleeper := func(t *testing.T) {
		t.Helper()
		for range 200 {
			var id int64
			err := direct.QueryRowContext(ctx, "SELECT id FROM information_schema.processlist WHERE db = ? AND info LIKE 'SELECT SLEEP%' LIMIT 1", myName).Scan(&id)
			if err == nil {
				if _, err := direct.ExecContext(ctx, fmt.Sprintf("KILL CONNECTION %d", id)); err != nil {
					t.Errorf("KILL: %v", err)
				}
				return
			}
			if !errors.Is(err, sql.ErrNoRows) {
				t.Errorf("processlist: %v", err)
				return
			}
			time.Sleep(25 * time.Millisecond)
		}
		t.Error("the statement never showed up on the server")
	}

	t.Run("mysql", func(t *testing.T) {
		db := g.mydb(t, "alice", "alice-secret", "myapp", nil)
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		done := make(chan struct{})
		go func() { defer close(done); killSleeper(t) }()
		var n int
		err = conn.QueryRowContext(ctx, "SELECT SLEEP(20)").Scan(&n)
		<-done
		var me *mysql.MySQLError
		if !errors.As(err, &me) {
			t.Fatalf("statement whose backend connection was killed: %v, want a MySQL error", err)
		}
		serverRange(t, "mysql", me.Number)
		if me.Number != 1927 {
			t.Errorf("statement whose backend connection was killed: %v, want error 1927", err)
		}
		clean(t, "mysql", me.Message, secrets...)
		// The client session goes on, on another backend connection.
		if err := conn.QueryRowContext(ctx, "SELECT 1").Scan(&n); err != nil || n != 1 {
			t.Errorf("the next statement on the same session: %d %v", n, err)
		}
	})

	t.Run("postgres", func(t *testing.T) {
		c := g.connect(t, "alice", "alice-secret", "pgapp")
		admin, err := pgx.Connect(ctx, pgAdminDSN())
		if err != nil {
			t.Fatal(err)
		}
		defer admin.Close(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range 200 {
				var n int
				if err := admin.QueryRow(ctx, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'SELECT pg_sleep%'", pgName).Scan(&n); err != nil || n > 0 {
					return
				}
				time.Sleep(25 * time.Millisecond)
			}
		}()
		_, err = c.Exec(ctx, "SELECT pg_sleep(20)")
		<-done
		if st := sqlstate(err); st != "57P01" && st != "08006" {
			t.Fatalf("statement whose backend was terminated: %v, want 57P01 or 08006", err)
		}
		clean(t, "postgres", pgMessage(err), secrets...)
	})

	t.Run("http", func(t *testing.T) {
		done := make(chan struct{})
		go func() { defer close(done); killSleeper(t) }()
		a := g.post(t, "alice", "alice-secret", "/v1/query", queryBody("myapp", "SELECT SLEEP(20)"))
		<-done
		if a.status != 503 {
			t.Errorf("HTTP statement whose backend connection was killed: %d %s, want 503 unavailable", a.status, a.body)
		} else if code, _, _ := errorOf(t, a); code != "unavailable" {
			t.Errorf("HTTP statement whose backend connection was killed: %s", a.body)
		}
		clean(t, "http", string(a.body), secrets...)
	})
}
