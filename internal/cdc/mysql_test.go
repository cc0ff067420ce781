package cdc

import (
	"fmt"
	"testing"
	"time"

	"github.com/floe-db/floe/internal/testcluster"
)

// TestMySQL runs every MariaDB case on one server of its own (log_bin,
// binlog_format = ROW; the shared server has no binary log).
func TestMySQL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a MariaDB server")
	}
	cl := testcluster.StartMariaDB(t, 0, testcluster.RowBinlog())
	srv := cl.Primary
	exec := func(t *testing.T, sql string) {
		t.Helper()
		if err := srv.Exec(sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	schema := uniq("floe_t_my")
	exec(t, "CREATE DATABASE "+schema)
	defer exec(t, "DROP DATABASE "+schema)
	dsn := srv.DSN()
	opts := func(db string, dir string) Options {
		return Options{Database: db, Kind: KindMySQL, DSN: dsn, ServerID: 4242, StateDir: dir}
	}

	t.Run("events in commit order", func(t *testing.T) {
		tbl := uniq("floe_t_rows")
		q := schema + "." + tbl
		exec(t, "CREATE TABLE "+q+" (id int PRIMARY KEY, v text)")
		r := start(t, opts("shop", t.TempDir()))
		defer r.stop(t)
		r.waitConnected(t)
		before := time.Now().Add(-2 * time.Second)
		exec(t, "INSERT INTO "+q+" VALUES (1, 'x'), (2, 'x'), (3, 'x')")
		exec(t, "UPDATE "+q+" SET v = 'y' WHERE id = 1")
		exec(t, "DELETE FROM "+q+" WHERE id = 2")
		exec(t, "TRUNCATE TABLE "+q)
		exec(t, "ALTER TABLE "+q+" ADD COLUMN w int")
		exec(t, "INSERT INTO "+q+" VALUES (9, 'z', 1)")
		r.c.waitFor(t, tbl, "insert "+tbl, "update "+tbl, "delete "+tbl, "truncate "+tbl, "ddl "+tbl, "insert "+tbl)
		var lastF string
		var lastP uint32
		for _, ev := range r.c.snapshot() {
			f, p, err := parseFilePos(ev.Position)
			if err != nil || cmpFilePos(f, p, lastF, lastP) <= 0 || ev.Schema != schema || ev.Database != "shop" ||
				ev.Commit.Before(before) || ev.Commit.After(time.Now()) {
				t.Fatalf("event %+v (previous %s:%d, err %v)", ev, lastF, lastP, err)
			}
			lastF, lastP = f, p
		}
		if st := r.Status(); !st.Connected || st.GTID == "" || st.Position != fmt.Sprintf("%s:%d", lastF, lastP) {
			t.Fatalf("status %+v", st)
		}
		exec(t, "DROP TABLE "+q)
		r.c.waitFor(t, tbl, "insert "+tbl, "update "+tbl, "delete "+tbl, "truncate "+tbl, "ddl "+tbl, "insert "+tbl, "ddl "+tbl)
	})

	t.Run("resume after the dump thread is killed and after a restart", func(t *testing.T) {
		tbl := uniq("floe_t_kill")
		q := schema + "." + tbl
		exec(t, "CREATE TABLE "+q+" (id int PRIMARY KEY)")
		defer exec(t, "DROP TABLE "+q)
		dir := t.TempDir()
		r := start(t, opts("shop", dir))
		r.waitConnected(t)
		exec(t, "INSERT INTO "+q+" VALUES (1)")
		r.c.waitFor(t, tbl, "insert "+tbl)
		killDump(t, srv)
		exec(t, "UPDATE "+q+" SET id = 2")
		exec(t, "DELETE FROM "+q)
		r.c.waitFor(t, tbl, "insert "+tbl, "update "+tbl, "delete "+tbl)
		st := r.Status()
		r.stop(t)
		saved, err := ReadState(dir, "shop")
		if err != nil || saved == nil || saved.Position != st.Position || saved.GTID != st.GTID {
			t.Fatalf("saved state %+v %v, status %+v", saved, err, st)
		}
		exec(t, "INSERT INTO "+q+" VALUES (3)")
		r2 := start(t, opts("shop", dir))
		defer r2.stop(t)
		r2.c.waitFor(t, tbl, "insert "+tbl)
		// Drop forgets the position: a new stream starts at the
		// server's current one and sees nothing of the past.
		r2.stop(t)
		if err := DropMySQL(dir, "shop"); err != nil {
			t.Fatal(err)
		}
		if st, _ := ReadState(dir, "shop"); st != nil {
			t.Fatalf("state file still there: %+v", st)
		}
		exec(t, "INSERT INTO "+q+" VALUES (4)")
		r3 := start(t, opts("shop", dir))
		defer r3.stop(t)
		r3.waitConnected(t)
		exec(t, "DELETE FROM "+q)
		r3.c.waitFor(t, tbl, "delete "+tbl)
	})

	t.Run("watermark", func(t *testing.T) {
		r := start(t, opts("wm", t.TempDir()))
		defer r.stop(t)
		r.waitConnected(t)
		checkWatermarkAdvances(t, r)
		srv.Kill()
		checkWatermarkStill(t, r)
		srv.Start()
		r.waitConnected(t)
		checkWatermarkAdvances(t, r)
	})
}

// killDump kills the binary log dump threads of the server.
func killDump(t *testing.T, srv *testcluster.MyServer) {
	t.Helper()
	c, err := parseMyDSN(srv.DSN())
	if err != nil {
		t.Fatal(err)
	}
	conn, err := c.connect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	res, err := conn.Execute("SELECT id FROM information_schema.processlist WHERE command LIKE 'Binlog Dump%'")
	if err != nil || res.RowNumber() == 0 {
		t.Fatalf("no dump thread: %v", err)
	}
	for i := 0; i < res.RowNumber(); i++ {
		id, _ := res.GetInt(i, 0)
		if _, err := conn.Execute(fmt.Sprintf("KILL %d", id)); err != nil {
			t.Fatal(err)
		}
	}
}
