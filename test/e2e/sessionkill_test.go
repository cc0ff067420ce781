package e2e

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/jackc/pgx/v5"
)

// A session-pooled MySQL client whose backend connection an
// administrator kills (KILL <thread> on the server) while it is idle: the
// gateway ends the client connection at once, without waiting for its
// next statement, so a driver finds it closed and reconnects — a
// database/sql pool runs the next statement on a new connection without
// the application seeing an error.
func TestMySQLSessionBackendKilled(t *testing.T) {
	dsn, direct := myTestDB(t)
	g := start(t, myRelayConfig(dsn, "session", 2))
	killThread := func(thread int64) {
		t.Helper()
		if _, err := direct.Exec(fmt.Sprintf("KILL %d", thread)); err != nil {
			t.Fatalf("KILL %d: %v", thread, err)
		}
		eventually(t, 10*time.Second, func() error {
			var n int
			if err := direct.QueryRow("SELECT count(*) FROM information_schema.processlist WHERE id = ?", thread).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return errors.New("the killed thread is still there")
			}
			return nil
		})
	}

	raw, err := client.Connect(g.my, "alice", "alice-secret", "shop")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Execute("SET @kept = 7"); err != nil {
		t.Fatal(err)
	}
	// CONNECTION_ID() on its own is the gateway's id; an expression of it
	// reaches the server and gives the backend thread.
	res, err := raw.Execute("SELECT CONNECTION_ID() + 0")
	if err != nil {
		t.Fatal(err)
	}
	thread, _ := res.GetInt(0, 0)
	if thread == 0 {
		t.Fatal("no backend thread id")
	}
	killThread(thread)
	// The client connection is closed by the gateway while the client
	// sends nothing.
	nc := raw.Conn.Conn
	eventually(t, 5*time.Second, func() error {
		_ = nc.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		var b [1]byte
		n, err := nc.Read(b[:])
		switch {
		case n > 0:
			t.Fatalf("the gateway sent %q to an idle client", b[:n])
		case errors.Is(err, io.EOF):
			return nil
		}
		return fmt.Errorf("client connection still open: %v", err)
	})
	if _, err := raw.Execute("SELECT @kept"); err == nil {
		t.Fatal("a statement on the closed session succeeded")
	} else if me := (*gomysql.MyError)(nil); errors.As(err, &me) {
		t.Fatalf("statement on the closed session answered %v, want the connection closed", err)
	}

	// A database/sql pool: the driver sees the closed connection and the
	// statement runs on a new session.
	db := g.mydb(t, "alice", "alice-secret", "shop", nil)
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var th1 int64
	if _, err := conn.ExecContext(context.Background(), "SET @kept = 7"); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRowContext(context.Background(), "SELECT CONNECTION_ID() + 0").Scan(&th1); err != nil {
		t.Fatal(err)
	}
	conn.Close() // back to the pool, with its session
	killThread(th1)
	// The gateway ends the client session by itself.
	eventually(t, 5*time.Second, func() error {
		var out apiSessions
		if code := g.adminCall(t, "GET", "/api/v1/sessions", testReadToken, &out); code != 200 {
			t.Fatalf("GET /api/v1/sessions: %d", code)
		}
		for _, s := range out.Sessions {
			if s.Protocol == "mysql" && s.User == "alice" {
				return fmt.Errorf("session %s of alice still open", s.ID)
			}
		}
		return nil
	})
	var kept sql.NullInt64
	var th2 int64
	if err := db.QueryRow("SELECT @kept, CONNECTION_ID() + 0").Scan(&kept, &th2); err != nil {
		t.Fatalf("statement after the backend was killed: %v", err)
	}
	if kept.Valid || th2 == th1 || th2 == 0 {
		t.Fatalf("after the kill: @kept %v, thread %d (killed %d)", kept, th2, th1)
	}
	// A reconnect gets a fresh session on a fresh backend connection.
	again, err := client.Connect(g.my, "alice", "alice-secret", "shop")
	if err != nil {
		t.Fatalf("reconnect: %v", err)
	}
	defer again.Close()
	res, err = again.Execute("SELECT @kept IS NULL, CONNECTION_ID() + 0")
	if err != nil {
		t.Fatalf("statement after reconnecting: %v", err)
	}
	fresh, _ := res.GetInt(0, 0)
	th3, _ := res.GetInt(0, 1)
	if fresh != 1 || th3 == thread || th3 == 0 {
		t.Fatalf("after reconnecting: @kept IS NULL %d, thread %d (killed %d)", fresh, th3, thread)
	}
}

// The same on PostgreSQL: a session-pooled client whose backend is
// terminated (pg_terminate_backend) while it is idle is disconnected by
// the gateway at once (after the server's FATAL 57P01), and reconnects.
func TestPostgresSessionBackendTerminated(t *testing.T) {
	dsn := testDB(t)
	g := start(t, relayConfig(dsn, "session", 2, ""))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := g.connect(t, "alice", "alice-secret", "app")
	if _, err := c.Exec(ctx, "SET application_name = 'floe-kept'"); err != nil {
		t.Fatal(err)
	}
	var pid int
	if err := c.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	admin, err := pgx.Connect(ctx, pgAdminDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	var ok bool
	if err := admin.QueryRow(ctx, "SELECT pg_terminate_backend($1)", pid).Scan(&ok); err != nil || !ok {
		t.Fatalf("pg_terminate_backend(%d): %v %v", pid, ok, err)
	}
	eventually(t, 10*time.Second, func() error {
		var n int
		if err := admin.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return errors.New("the terminated backend is still there")
		}
		return nil
	})
	// The gateway ends the client session by itself.
	eventually(t, 5*time.Second, func() error {
		var out apiSessions
		if code := g.adminCall(t, "GET", "/api/v1/sessions", testReadToken, &out); code != 200 {
			t.Fatalf("GET /api/v1/sessions: %d", code)
		}
		for _, s := range out.Sessions {
			if s.Protocol == "postgres" && s.User == "alice" {
				return fmt.Errorf("session %s of alice still open", s.ID)
			}
		}
		return nil
	})
	for i := range 3 {
		var s string
		err := c.QueryRow(ctx, "SHOW application_name").Scan(&s)
		if err == nil {
			t.Fatalf("statement %d on a session whose backend was terminated: %q", i+1, s)
		}
		if c.IsClosed() {
			break
		}
		if i == 2 {
			t.Fatalf("the client connection stayed open: %v", err)
		}
	}
	c2 := g.connect(t, "alice", "alice-secret", "app")
	var name string
	var pid2 int
	if err := c2.QueryRow(ctx, "SELECT current_setting('application_name'), pg_backend_pid()").Scan(&name, &pid2); err != nil {
		t.Fatalf("after reconnecting: %v", err)
	}
	if name == "floe-kept" || pid2 == pid {
		t.Fatalf("after reconnecting: application_name %q, pid %d (terminated %d)", name, pid2, pid)
	}
}
