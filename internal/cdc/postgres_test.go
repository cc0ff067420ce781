package cdc

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"

	"github.com/floe-db/floe/internal/testcluster"
)

// TestPostgres runs every PostgreSQL case on one cluster of its own
// (wal_level = logical; the shared server has replica).
func TestPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL cluster")
	}
	cl := testcluster.StartPG(t, 0, testcluster.Logical())
	srv := cl.Primary
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, srv.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	exec := func(t *testing.T, sql string) {
		t.Helper()
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	slotGone := func(t *testing.T, slot, pub string) {
		t.Helper()
		var n int
		if err := conn.QueryRow(ctx, "SELECT (SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1) + (SELECT count(*) FROM pg_publication WHERE pubname = $2)", slot, pub).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("slot %s / publication %s still there (%d)", slot, pub, n)
		}
	}

	t.Run("events in commit order", func(t *testing.T) {
		db := uniq("floe_t_pg")
		tbl := uniq("floe_t_rows")
		exec(t, "CREATE TABLE "+tbl+" (id int PRIMARY KEY, v text)")
		defer exec(t, "DROP TABLE "+tbl)
		r := start(t, Options{Database: db, Kind: KindPostgres, DSN: srv.DSN(), StateDir: t.TempDir()})
		defer func() {
			r.stop(t)
			mustDropPG(t, srv.DSN(), r.opts.Slot, r.opts.Publication)
			slotGone(t, r.opts.Slot, r.opts.Publication)
		}()
		r.waitConnected(t)
		before := time.Now().Add(-time.Second)
		exec(t, "INSERT INTO "+tbl+" SELECT g, 'x' FROM generate_series(1, 3) g")
		exec(t, "UPDATE "+tbl+" SET v = 'y' WHERE id = 1")
		exec(t, "DELETE FROM "+tbl+" WHERE id = 2")
		exec(t, "TRUNCATE "+tbl)
		exec(t, "ALTER TABLE "+tbl+" ADD COLUMN w int")
		exec(t, "BEGIN; INSERT INTO "+tbl+" VALUES (9, 'z', 1); UPDATE "+tbl+" SET w = 2; COMMIT")
		r.c.waitFor(t, tbl, "insert "+tbl, "update "+tbl, "delete "+tbl, "truncate "+tbl, "ddl "+tbl, "insert "+tbl, "update "+tbl)
		evs := r.c.snapshot()
		var last pglogrepl.LSN
		for _, ev := range evs {
			lsn, err := pglogrepl.ParseLSN(ev.Position)
			if err != nil || lsn < last || ev.Schema != "public" || ev.Database != db || ev.Commit.Before(before) || ev.Commit.After(time.Now()) {
				t.Fatalf("event %+v (previous position %s, err %v)", ev, last, err)
			}
			last = lsn
		}
		st := r.Status()
		if !st.Connected || st.Position != last.String() || st.Events != uint64(len(evs)) || st.Slot != r.opts.Slot {
			t.Fatalf("status %+v, last position %s, %d events", st, last, len(evs))
		}
		// The slot's confirmed position reaches the last commit: the
		// server may release the WAL before it.
		waitUntil(t, "confirmed_flush_lsn reaches "+last.String(), func() bool {
			var ok bool
			err := conn.QueryRow(ctx, "SELECT confirmed_flush_lsn >= $1::pg_lsn FROM pg_replication_slots WHERE slot_name = $2", last.String(), r.opts.Slot).Scan(&ok)
			return err == nil && ok
		})
	})

	t.Run("resume after the connection is killed and after a restart", func(t *testing.T) {
		db := uniq("floe_t_pg")
		tbl := uniq("floe_t_kill")
		exec(t, "CREATE TABLE "+tbl+" (id int PRIMARY KEY)")
		defer exec(t, "DROP TABLE "+tbl)
		dir := t.TempDir()
		o := Options{Database: db, Kind: KindPostgres, DSN: srv.DSN(), StateDir: dir}
		r := start(t, o)
		r.waitConnected(t)
		exec(t, "INSERT INTO "+tbl+" VALUES (1)")
		r.c.waitFor(t, tbl, "insert "+tbl)
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(pg_terminate_backend(active_pid)) FROM pg_replication_slots WHERE slot_name = $1 AND active", r.opts.Slot).Scan(&n); err != nil || n != 1 {
			t.Fatalf("terminate walsender: %d %v", n, err)
		}
		exec(t, "UPDATE "+tbl+" SET id = 2")
		exec(t, "DELETE FROM "+tbl)
		r.c.waitFor(t, tbl, "insert "+tbl, "update "+tbl, "delete "+tbl)
		pos := r.Status().Position
		r.stop(t)
		if st, err := ReadState(dir, db); err != nil || st == nil || st.Position != pos {
			t.Fatalf("state after stop: %+v %v, want position %s", st, err, pos)
		}
		exec(t, "INSERT INTO "+tbl+" VALUES (3)")
		r2 := start(t, o)
		defer func() {
			r2.stop(t)
			mustDropPG(t, srv.DSN(), r2.opts.Slot, r2.opts.Publication)
			slotGone(t, r2.opts.Slot, r2.opts.Publication)
		}()
		r2.c.waitFor(t, tbl, "insert "+tbl)
	})

	t.Run("WAL of tables not published is released too", func(t *testing.T) {
		db := uniq("floe_t_pg")
		pub, priv := uniq("floe_t_pub"), uniq("floe_t_priv")
		exec(t, "CREATE TABLE "+pub+" (id int PRIMARY KEY); CREATE TABLE "+priv+" (id int PRIMARY KEY)")
		defer exec(t, "DROP TABLE "+pub+", "+priv)
		r := start(t, Options{Database: db, Kind: KindPostgres, DSN: srv.DSN(), Tables: []string{"public." + pub}})
		defer func() { r.stop(t); mustDropPG(t, srv.DSN(), r.opts.Slot, r.opts.Publication) }()
		r.waitConnected(t)
		exec(t, "INSERT INTO "+priv+" SELECT generate_series(1, 1000)")
		var lsn string
		if err := conn.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&lsn); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "confirmed_flush_lsn passes the unpublished writes at "+lsn, func() bool {
			var ok bool
			err := conn.QueryRow(ctx, "SELECT confirmed_flush_lsn >= $1::pg_lsn FROM pg_replication_slots WHERE slot_name = $2", lsn, r.opts.Slot).Scan(&ok)
			return err == nil && ok
		})
		if evs := r.c.snapshot(); len(evs) != 0 {
			t.Fatalf("events of an unpublished table: %+v", evs)
		}
		exec(t, "INSERT INTO "+pub+" VALUES (1)")
		r.c.waitFor(t, pub, "insert "+pub)
	})

	t.Run("watermark", func(t *testing.T) {
		db := uniq("floe_t_pg")
		r := start(t, Options{Database: db, Kind: KindPostgres, DSN: srv.DSN()})
		defer func() { r.stop(t); mustDropPG(t, srv.DSN(), r.opts.Slot, r.opts.Publication) }()
		r.waitConnected(t)
		checkWatermarkAdvances(t, r)
		srv.Stop("fast")
		checkWatermarkStill(t, r)
		srv.Start()
		r.waitConnected(t)
		checkWatermarkAdvances(t, r)
		var err error
		if conn, err = pgx.Connect(ctx, srv.DSN()); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("drop keeps what Floe did not create", func(t *testing.T) {
		pub := uniq("floe_t_pub")
		slot := uniq("floe_t_slot")
		exec(t, "CREATE PUBLICATION "+pub+" FOR ALL TABLES")
		defer exec(t, "DROP PUBLICATION "+pub)
		r := start(t, Options{Database: "x", Kind: KindPostgres, DSN: srv.DSN(), Slot: slot, Publication: pub})
		r.waitConnected(t)
		if _, _, err := DropPostgres(ctx, srv.DSN(), slot, pub); err == nil {
			t.Fatal("dropped a slot in use")
		}
		r.stop(t)
		s, p, err := DropPostgres(ctx, srv.DSN(), slot, pub)
		if err != nil || !s || p {
			t.Fatalf("DropPostgres = %v %v %v; want the slot dropped, the operator's publication kept", s, p, err)
		}
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_publication WHERE pubname = $1", pub).Scan(&n); err != nil || n != 1 {
			t.Fatalf("operator's publication: %d %v", n, err)
		}
	})

	t.Run("ddl trigger reports DDL as it commits", func(t *testing.T) {
		db := uniq("floe_t_pg")
		tbl := uniq("floe_t_ddl")
		other := uniq("floe_t_other")
		r := start(t, Options{Database: db, Kind: KindPostgres, DSN: srv.DSN(), DDLTrigger: true})
		r.waitConnected(t)
		exec(t, "CREATE TABLE "+tbl+" (id int)")
		exec(t, "ALTER TABLE "+tbl+" ADD COLUMN v text")
		exec(t, "CREATE INDEX ON "+tbl+" (v)")
		exec(t, "BEGIN; CREATE TABLE "+other+" (id int); INSERT INTO "+other+" VALUES (1); COMMIT")
		exec(t, "DROP TABLE "+tbl+", "+other)
		r.c.waitFor(t, tbl, "ddl "+tbl, "ddl "+tbl, "ddl "+tbl, "ddl "+tbl)
		r.c.waitFor(t, other, "ddl "+other, "insert "+other, "ddl "+other)
		r.stop(t)
		mustDropPG(t, srv.DSN(), r.opts.Slot, r.opts.Publication)
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_event_trigger WHERE evtname LIKE 'floe_cdc_ddl%'").Scan(&n); err != nil || n != 0 {
			t.Fatalf("event triggers left: %d %v", n, err)
		}
		// Without them, DDL goes on.
		exec(t, "CREATE TABLE "+tbl+" (id int); DROP TABLE "+tbl)
	})

	t.Run("wal_level replica is refused", func(t *testing.T) {
		shared := testPG()
		c, err := pgx.Connect(ctx, shared)
		if err != nil {
			t.Skip("shared PostgreSQL not reachable")
		}
		var level string
		_ = c.QueryRow(ctx, "SHOW wal_level").Scan(&level)
		c.Close(ctx)
		if level == "logical" {
			t.Skip("the shared server has wal_level = logical")
		}
		r := start(t, Options{Database: uniq("floe_t_pg"), Kind: KindPostgres, DSN: shared})
		waitUntil(t, "the wal_level error", func() bool { return r.Status().LastError != "" })
		if st := r.Status(); st.Connected || !contains(st.LastError, "wal_level") {
			t.Fatalf("status %+v", st)
		}
	})
}

func mustDropPG(t *testing.T, dsn, slot, pub string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		_, _, err := DropPostgres(ctx, dsn, slot, pub)
		if err == nil {
			return
		}
		if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			t.Fatalf("drop %s: %v", slot, err)
		}
		time.Sleep(100 * time.Millisecond) // the walsender may still be exiting
	}
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
