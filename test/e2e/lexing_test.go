package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// lexingPGConfig: alice may read public.items only; secrets and
// private.items are someone else's.
func lexingPGConfig(dsn string) string {
	return fmt.Sprintf(`databases:
  - name: app
    kind: postgres
    primary: %s
    pool: {mode: session, size: 4}
users:
  - {name: alice, password: alice-secret, roles: [reader]}
roles:
  - name: reader
    grants:
      - {database: app, tables: [items], actions: [select]}
`, dsn)
}

// TestLexingDesyncPostgres: the settings that would make PostgreSQL read
// a text differently from the gateway are refused, at startup and by every
// statement form, and the texts that would then smuggle a subquery read
// nothing they should not; the backend's setting stays as it was.
func TestLexingDesyncPostgres(t *testing.T) {
	dsn := testDB(t)
	ctx := context.Background()
	direct, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close(ctx)
	if _, err := direct.Exec(ctx, `CREATE TABLE secrets (secret text);
		INSERT INTO secrets VALUES ('TOP-SECRET');
		CREATE TABLE items (id int, name text);
		INSERT INTO items VALUES (1, 'public-item');
		CREATE SCHEMA private;
		CREATE TABLE private.items (id int, name text);
		INSERT INTO private.items VALUES (1, 'PRIVATE-ITEM')`); err != nil {
		t.Fatal(err)
	}
	g := start(t, lexingPGConfig(dsn))

	// The text that reads the secret when standard_conforming_strings is off.
	const smuggle = "select 'a\\' as x, ' , (select secret from secrets) as s, ' as y --' as z\n, 1"

	t.Run("startup", func(t *testing.T) {
		for _, extra := range []string{
			"options=-c%20standard_conforming_strings%3Doff",
			"standard_conforming_strings=off",
			"client_encoding=SJIS",
			"options=-c%20client_encoding%3DGBK",
			"search_path=private",
			"options=-c%20search_path%3Dprivate,public",
			"options=-c%20session_replication_role%3Dreplica",
		} {
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			c, err := pgx.Connect(cctx, g.dsn("alice", "alice-secret", "app", extra))
			cancel()
			if err == nil {
				c.Close(ctx)
				t.Errorf("%s: connected", extra)
				continue
			}
			if sqlstate(err) != "42501" {
				t.Errorf("%s: %v, want 42501", extra, err)
			}
		}
		// What drivers send keeps working.
		c := g.connect(t, "alice", "alice-secret", "app", "application_name=x", "client_encoding=UTF8", "search_path=public", "standard_conforming_strings=on")
		var v string
		if err := c.QueryRow(ctx, "SHOW standard_conforming_strings", pgx.QueryExecModeSimpleProtocol).Scan(&v); err != nil || v != "on" {
			t.Errorf("SHOW standard_conforming_strings: %q %v", v, err)
		}
	})

	modes := map[string]pgx.QueryExecMode{"simple": pgx.QueryExecModeSimpleProtocol, "extended": pgx.QueryExecModeCacheStatement}
	for name, mode := range modes {
		t.Run(name, func(t *testing.T) {
			c := g.connect(t, "alice", "alice-secret", "app")
			for _, q := range []string{
				"SET standard_conforming_strings = off",
				"SET SESSION standard_conforming_strings TO 'off'",
				"SET LOCAL standard_conforming_strings = off",
				"SELECT set_config('standard_conforming_strings', 'off', false)",
				"RESET standard_conforming_strings",
				"SET client_encoding = 'SJIS'",
				"SET NAMES 'BIG5'",
				"SELECT set_config('client_encoding', 'GBK', false)",
				"SET search_path = private, public",
				"SET SCHEMA 'private'",
				"SELECT set_config('search_path', 'private', false)",
				"ALTER ROLE CURRENT_USER SET standard_conforming_strings = off",
				"PREPARE p AS SELECT set_config('standard_conforming_strings', 'off', false)",
				"SET session_replication_role = replica",
			} {
				_, err := c.Exec(ctx, q, mode)
				if sqlstate(err) != "42501" {
					t.Errorf("%q: %v, want 42501", q, err)
				}
			}
			// The effect: the backend session reads as before.
			for setting, want := range map[string]string{"standard_conforming_strings": "on", "client_encoding": "UTF8", "search_path": `"$user", public`, "session_replication_role": "origin"} {
				var v string
				if err := c.QueryRow(ctx, "SHOW "+setting, pgx.QueryExecModeSimpleProtocol).Scan(&v); err != nil || v != want {
					t.Errorf("SHOW %s: %q %v, want %q", setting, v, err, want)
				}
			}
			// The smuggling text reads literals, not the secret.
			rows, err := c.Query(ctx, smuggle, mode)
			if err == nil {
				for rows.Next() {
					vals, _ := rows.Values()
					if strings.Contains(fmt.Sprint(vals...), "TOP-SECRET") {
						t.Errorf("the secret was returned: %v", vals)
					}
				}
				rows.Close()
			}
			// An unqualified granted name is public's table.
			var item string
			if err := c.QueryRow(ctx, "SELECT name FROM items", mode).Scan(&item); err != nil || item != "public-item" {
				t.Errorf("items: %q %v", item, err)
			}
			// Benign settings keep working.
			for _, q := range []string{"SET application_name = 'report'", "SET search_path = public", "SET search_path TO \"$user\", public",
				"SET client_encoding = 'UTF8'", "SET standard_conforming_strings = on", "RESET search_path", "SET TIME ZONE 'UTC'"} {
				if _, err := c.Exec(ctx, q, mode); err != nil {
					t.Errorf("%q: %v", q, err)
				}
			}
		})
	}
}

// lexingMyConfig: alice may read items only.
func lexingMyConfig(dsn string) string {
	return fmt.Sprintf(`databases:
  - name: shop
    kind: mysql
    primary: %s
    pool: {mode: session, size: 4, acquire_timeout: 3s}
users:
  - {name: alice, password: alice-secret, roles: [reader]}
roles:
  - name: reader
    grants:
      - {database: shop, tables: [items], actions: [select]}
`, dsn)
}

// TestLexingDesyncMySQL: sql_mode flags and character sets that change
// how MariaDB reads text are refused in every form, executable comments
// are read as MariaDB runs them, and PREPARE's text is checked; the
// secret is not read, nothing is written, the session's modes stay.
func TestLexingDesyncMySQL(t *testing.T) {
	dsn, direct := myTestDB(t)
	for _, q := range []string{"CREATE TABLE secrets (secret text)", "INSERT INTO secrets VALUES ('TOP-SECRET')",
		"CREATE TABLE items (id int, name text)", "INSERT INTO items VALUES (1, 'public-item')"} {
		if _, err := direct.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	g := start(t, lexingMyConfig(dsn))
	db := g.mydb(t, "alice", "alice-secret", "shop", map[string]string{"multiStatements": "true"})
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var modeBefore string
	if err := conn.QueryRowContext(ctx, "SELECT @@session.sql_mode").Scan(&modeBefore); err != nil {
		t.Fatal(err)
	}
	refused := []struct {
		sql   string
		errno uint16
	}{
		{"SET sql_mode = 'NO_BACKSLASH_ESCAPES'", 1227},
		{"SET SESSION sql_mode = 'ANSI_QUOTES'", 1227},
		{"SET @@session.sql_mode = 'ANSI'", 1227},
		{"SET @@sql_mode = concat(@@sql_mode, ',NO_BACKSLASH_ESCAPES')", 1227},
		{"SET sql_mode = (SELECT REPLACE(@@sql_mode, 'STRICT_TRANS_TABLES', 'ANSI_QUOTES'))", 1227},
		{"SET sql_mode = @m", 1227},
		{"SET STATEMENT sql_mode = 'NO_BACKSLASH_ESCAPES' FOR SELECT 'a\\' , (select secret from secrets) , ''", 1235},
		{"SET NAMES gbk", 1227},
		{"SET CHARACTER SET gbk", 1227},
		{"SET character_set_client = gbk", 1227},
		{"SET NAMES sjis", 1227},
		{"/*!40101 SET NAMES gbk */", 1227},
		{"/*M!100000 SET sql_mode = 'NO_BACKSLASH_ESCAPES' */", 1227},
		{"SELECT name FROM items /*M! UNION SELECT secret FROM secrets */", 1235},
		{"SELECT name FROM items /*M!100000 UNION SELECT secret FROM secrets */", 1235},
		{"SELECT name FROM items /*! UNION SELECT secret FROM secrets */", 1142},
		{"SELECT * FROM /*!99999 items, (select 1) as */ secrets", 1235},
		{"SELECT 1; /*M! SELECT secret FROM secrets */", 1142},
		{"PREPARE s FROM 'SELECT secret FROM secrets'", 1142},
		{"PREPARE s FROM 'INSERT INTO items VALUES (2, ''x'')'", 1142},
		{"PREPARE s FROM 'SET sql_mode = ''NO_BACKSLASH_ESCAPES'''", 1227},
		{"PREPARE s FROM @q", 1235},
		{"EXECUTE IMMEDIATE 'SELECT secret FROM secrets'", 1235},
	}
	for _, tc := range refused {
		rows, err := conn.QueryContext(ctx, tc.sql)
		if err == nil {
			for {
				for rows.Next() {
					var v sql.RawBytes
					if rows.Scan(&v) == nil && strings.Contains(string(v), "TOP-SECRET") {
						t.Errorf("%q returned the secret", tc.sql)
					}
				}
				if !rows.NextResultSet() {
					break
				}
			}
			err = rows.Err()
			rows.Close()
		}
		if myErrno(err) != tc.errno {
			t.Errorf("%q: %v, want errno %d", tc.sql, err, tc.errno)
		}
	}
	// Nothing prepared ran, nothing was written, the modes are as before.
	if _, err := conn.ExecContext(ctx, "EXECUTE s"); err == nil {
		t.Error("EXECUTE s ran a statement that was refused at PREPARE")
	}
	var n int
	if err := direct.QueryRow("SELECT count(*) FROM items").Scan(&n); err != nil || n != 1 {
		t.Errorf("items: %d rows %v", n, err)
	}
	var mode, cs string
	if err := conn.QueryRowContext(ctx, "SELECT @@session.sql_mode, @@character_set_client").Scan(&mode, &cs); err != nil {
		t.Fatal(err)
	}
	if mode != modeBefore || cs != "utf8mb4" {
		t.Errorf("session sql_mode %q (was %q), character_set_client %q", mode, modeBefore, cs)
	}
	// What drivers and dumps send keeps working.
	for _, q := range []string{
		"set autocommit=1, sql_mode = concat(@@sql_mode,',STRICT_TRANS_TABLES')",
		"SET NAMES utf8mb4",
		"/*!40101 SET NAMES utf8mb4 */",
		"/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */",
		"/*M!100616 SET NOTE_VERBOSITY=@@NOTE_VERBOSITY, NOTE_VERBOSITY=0 */",
		"SET sql_mode = (SELECT REPLACE(@@sql_mode, 'ONLY_FULL_GROUP_BY', ''))",
		"PREPARE s FROM 'SELECT name FROM items WHERE id = ?'",
		"SELECT name FROM items /*!40101 WHERE id = 1 */",
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Errorf("%q: %v", q, err)
		}
	}
	var item string
	if _, err := conn.ExecContext(ctx, "SET @id = 1"); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRowContext(ctx, "EXECUTE s USING @id").Scan(&item); err != nil || item != "public-item" {
		t.Errorf("EXECUTE s USING @id: %q %v", item, err)
	}

	// A USE in an executable comment is a USE: it may not move the backend
	// connection to another database behind the gateway's back (unqualified
	// granted names would resolve there).
	var dbBefore, dbAfter string
	if err := conn.QueryRowContext(ctx, "SELECT DATABASE()").Scan(&dbBefore); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"/*!40101 USE mysql */", "/*! USE mysql */", "/*M!100000 USE mysql */"} {
		if _, err := conn.ExecContext(ctx, q); err == nil {
			t.Errorf("%q: accepted", q)
		}
	}
	if err := conn.QueryRowContext(ctx, "SELECT DATABASE()").Scan(&dbAfter); err != nil || dbAfter != dbBefore {
		t.Errorf("database after USE in executable comments: %q (was %q) %v", dbAfter, dbBefore, err)
	}

	// A handshake character set that hides quote bytes is refused.
	gbk := g.mydb(t, "alice", "alice-secret", "shop", map[string]string{"collation": "gbk_chinese_ci"})
	var v string
	err = gbk.QueryRowContext(ctx, "SELECT name FROM items").Scan(&v)
	if myErrno(err) != 1227 || !strings.Contains(err.Error(), "gbk") {
		t.Errorf("gbk handshake: %v, want errno 1227", err)
	}
}
