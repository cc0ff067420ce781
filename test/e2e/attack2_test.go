package e2e

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestAttackServerStateFunctions: a restricted gateway user calls
// PostgreSQL functions that change the server rather than read rows —
// statistics resets, replication origins, collation imports, messages
// written into the write-ahead log — through a database whose DSN login
// is a superuser (Floe's grant the only line) and through one with a
// provisioned identity. Each is refused with 42501 and the database
// shows no effect; a role granted execute on the function still calls it.
func TestAttackServerStateFunctions(t *testing.T) {
	dsn := testDB(t)
	ctx := context.Background()
	admin := pgSetup(t, dsn,
		"CREATE TABLE orders (id int primary key, tenant int, total int)",
		"INSERT INTO orders VALUES (1, 7, 10), (2, 7, 20), (3, 8, 30)",
		"CREATE SCHEMA coll",
	)
	login := randName("floe_t_")
	dropPGLoginsLater(t, dsn, login)
	origin := randName("floe_attack_")
	t.Cleanup(func() {
		_, _ = admin.Exec(context.Background(), "SELECT pg_replication_origin_drop($1) FROM pg_replication_origin WHERE roname = $1", origin)
	})
	g := start(t, fmt.Sprintf(`databases:
  - {name: plain, kind: postgres, primary: %[1]q, pool: {mode: transaction, size: 2}}
  - name: app
    kind: postgres
    primary: %[1]q
    pool: {mode: transaction, size: 2}
    provision: true
    identities: [{role: reader, user: %[2]s, password: pw-r}]
users:
  - {name: rita, password: rita-secret, roles: [reader]}
  - {name: opal, password: opal-secret, roles: [operator]}
roles:
  - name: reader
    grants:
      - {database: plain, tables: [orders], actions: [select]}
      - {database: app, tables: [orders], actions: [select]}
  - name: operator
    grants:
      - {database: plain, tables: [orders], actions: [select]}
      - {database: plain, functions: [pg_stat_reset_single_table_counters], actions: [execute]}
`, dsn, login))

	// seqScans is how many sequential scans of orders the statistics
	// hold, after the server has flushed its counters.
	seqScans := func() int64 {
		t.Helper()
		if _, err := admin.Exec(ctx, "SELECT pg_stat_force_next_flush()"); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.Exec(ctx, "SELECT pg_stat_clear_snapshot()"); err != nil {
			t.Fatal(err)
		}
		var n int64
		if err := admin.QueryRow(ctx, "SELECT coalesce(seq_scan, 0) FROM pg_stat_user_tables WHERE relname = 'orders'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	scan := func() {
		t.Helper()
		for range 3 {
			if _, err := admin.Exec(ctx, "SELECT count(*) FROM orders WHERE total > 0"); err != nil {
				t.Fatal(err)
			}
		}
		if seqScans() == 0 { // flushed before the attack
			t.Fatal("no statistics to reset")
		}
	}
	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := admin.QueryRow(ctx, q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// effects returns what the attacks would change: the statistics of
	// orders kept, no replication origin created, no collation imported.
	effects := func() string {
		return fmt.Sprintf("stats kept %v, origins %d, collations %d",
			seqScans() > 0,
			count("SELECT count(*) FROM pg_replication_origin WHERE roname LIKE 'floe_attack_%'"),
			count("SELECT count(*) FROM pg_collation WHERE collnamespace = 'coll'::regnamespace"))
	}
	const untouched = "stats kept true, origins 0, collations 0"
	lsn := func() string {
		var s string
		if err := admin.QueryRow(ctx, "SELECT pg_current_wal_insert_lsn()::text").Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}

	attacks := []struct{ name, sql string }{
		{"stat reset", "SELECT pg_stat_reset()"},
		{"stat reset table", "SELECT pg_stat_reset_single_table_counters('orders'::regclass)"},
		{"stat reset qualified", "SELECT pg_catalog.pg_stat_reset_single_table_counters('orders'::regclass)"},
		{"stat reset quoted upper", `SELECT "pg_catalog"."pg_stat_reset_single_table_counters"('orders'::regclass)`},
		{"stat reset any case", "select PG_CATALOG.PG_STAT_RESET_SINGLE_TABLE_COUNTERS('orders'::regclass)"},
		{"stat reset in cte", "WITH x AS (SELECT pg_stat_reset_single_table_counters('orders'::regclass)) SELECT count(*) FROM x"},
		{"stat reset in subquery", "SELECT id FROM orders WHERE id = (SELECT 1 FROM pg_stat_reset_single_table_counters('orders'::regclass))"},
		{"stat reset shared", "SELECT pg_stat_reset_shared('bgwriter')"},
		{"stat reset prepared", "PREPARE p AS SELECT pg_stat_reset_single_table_counters('orders'::regclass)"},
		{"replication origin", "SELECT pg_replication_origin_create('" + origin + "')"},
		{"collation import", "SELECT pg_import_system_collations('coll')"},
		{"memory contexts", "SELECT pg_log_backend_memory_contexts(pg_backend_pid())"},
		{"wal message", "SELECT pg_logical_emit_message(true, 'cdc', repeat('x', 100000))"},
		{"wal message in values", "VALUES (pg_catalog.pg_logical_emit_message(false, 'cdc', 'forged'))"},
	}
	for _, db := range []string{"plain", "app"} {
		for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeSimpleProtocol} {
			c := g.connect(t, "rita", "rita-secret", db)
			for _, tc := range attacks {
				t.Run(fmt.Sprintf("%s/%v/%s", db, mode, tc.name), func(t *testing.T) {
					scan()
					before := lsn()
					_, err := c.Exec(ctx, tc.sql, mode)
					if sqlstate(err) != "42501" {
						t.Errorf("%s: %v, want 42501", tc.sql, err)
					}
					if got := effects(); got != untouched {
						t.Errorf("%s: %s, want %s", tc.sql, got, untouched)
					}
					// A 100 kB message would move the insert position by
					// more than the admin's own statements do.
					if tc.name == "wal message" {
						var moved int64
						if err := admin.QueryRow(ctx, "SELECT pg_current_wal_insert_lsn() - $1::pg_lsn", before).Scan(&moved); err != nil {
							t.Fatal(err)
						}
						if moved > 50000 {
							t.Errorf("%s: the write-ahead log grew by %d bytes", tc.sql, moved)
						}
					}
				})
			}
			// Benign: the session continues and reads what it is granted.
			var n int
			if err := c.QueryRow(ctx, "SELECT count(*) FROM orders", mode).Scan(&n); err != nil || n != 3 {
				t.Errorf("%s: reader after the refusals: %d, %v", db, n, err)
			}
		}
	}

	// Benign: a role granted execute on the function still calls it.
	scan()
	op := g.connect(t, "opal", "opal-secret", "plain")
	if _, err := op.Exec(ctx, "SELECT pg_stat_reset_single_table_counters('orders'::regclass)"); err != nil {
		t.Fatalf("granted reset: %v", err)
	}
	if n := seqScans(); n != 0 {
		t.Errorf("granted reset left %d sequential scans counted", n)
	}
}

// TestAttackUnloggedSettings: a restricted gateway user on a database
// whose DSN login is a superuser (PostgreSQL) or has SUPER (MariaDB)
// changes the session settings that only such a login may change and
// that take its statements out of the server's logs (log_statement,
// sql_log_bin …) or let DDL rewrite the catalogue. Each form is refused
// and the setting on the (session-pooled, so same) backend connection
// keeps its value; settings any login may change keep working.
func TestAttackUnloggedSettings(t *testing.T) {
	dsn := testDB(t)
	myDSN, _ := myTestDB(t)
	ctx := context.Background()
	g := start(t, fmt.Sprintf(`databases:
  - {name: plain, kind: postgres, primary: %q, pool: {mode: session, size: 1}}
  - {name: shop, kind: mysql, primary: %q, pool: {mode: session, size: 1}}
users:
  - {name: rita, password: rita-secret, roles: [reader]}
roles:
  - name: reader
    grants: [{database: "*", tables: ["*"], actions: [select]}]
`, dsn, myDSN))

	c := g.connect(t, "rita", "rita-secret", "plain")
	show := func(name string) string {
		t.Helper()
		var v string
		if err := c.QueryRow(ctx, "SHOW "+name).Scan(&v); err != nil {
			t.Fatalf("SHOW %s: %v", name, err)
		}
		return v
	}
	logStatement, systemMods := show("log_statement"), show("allow_system_table_mods")
	for _, tc := range []struct{ name, sql string }{
		{"set", "SET log_statement = 'none'"},
		{"set session", "SET SESSION log_statement TO none"},
		{"quoted upper", `SET "log_statement" = 'none'`},
		{"any case", "set LOG_STATEMENT = none"},
		{"duration", "SET log_min_duration_statement = -1"},
		{"messages", "SET log_min_messages = panic"},
		{"catalogue", "SET allow_system_table_mods = on"},
		{"reset", "RESET log_statement"},
		{"multi statement", "SELECT 1; SET log_statement = 'none'"},
		{"in transaction", "BEGIN; SET LOCAL log_statement = 'none'; COMMIT"},
	} {
		t.Run("pg/"+tc.name, func(t *testing.T) {
			_, err := c.Exec(ctx, tc.sql, pgx.QueryExecModeSimpleProtocol)
			if sqlstate(err) != "42501" {
				t.Errorf("%s: %v, want 42501", tc.sql, err)
			}
			_, _ = c.Exec(ctx, "ROLLBACK")
			if got := show("log_statement"); got != logStatement {
				t.Errorf("%s: log_statement is now %q, was %q", tc.sql, got, logStatement)
			}
			if got := show("allow_system_table_mods"); got != systemMods {
				t.Errorf("%s: allow_system_table_mods is now %q", tc.sql, got)
			}
		})
	}
	// Benign: ordinary settings still change.
	if _, err := c.Exec(ctx, "SET statement_timeout = '5s'"); err != nil {
		t.Errorf("SET statement_timeout: %v", err)
	}

	db := g.mydb(t, "rita", "rita-secret", "shop", nil)
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	myVar := func(name string) string {
		t.Helper()
		var v string
		if err := conn.QueryRowContext(ctx, "SELECT @@session."+name).Scan(&v); err != nil {
			t.Fatalf("@@%s: %v", name, err)
		}
		return v
	}
	for _, tc := range []struct{ name, sql string }{
		{"set", "SET sql_log_bin = 0"},
		{"set session", "SET SESSION sql_log_bin = 0"},
		{"at at", "SET @@sql_log_bin = 0"},
		{"at at session", "SET @@session.sql_log_bin = OFF"},
		{"any case", "set SQL_LOG_BIN = 0"},
		{"general log", "SET sql_log_off = 1"},
		{"with another", "SET autocommit = 1, sql_log_bin = 0"},
	} {
		t.Run("mysql/"+tc.name, func(t *testing.T) {
			_, err := conn.ExecContext(ctx, tc.sql)
			if n := myErrno(err); n != 1227 {
				t.Errorf("%s: %v, want 1227", tc.sql, err)
			}
			if got := myVar("sql_log_bin"); got != "1" {
				t.Errorf("%s: sql_log_bin is now %s", tc.sql, got)
			}
			if got := myVar("sql_log_off"); got != "0" {
				t.Errorf("%s: sql_log_off is now %s", tc.sql, got)
			}
		})
	}
	if _, err := conn.ExecContext(ctx, "SET SESSION max_statement_time = 5"); err != nil {
		t.Errorf("benign SET max_statement_time: %v", err)
	}
}
