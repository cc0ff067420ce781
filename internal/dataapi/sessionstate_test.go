package dataapi

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/floe-db/floe/internal/policy"
)

// Statements that would leave state on a pooled data-API connection, in
// the forms an attacker would try, and the ordinary statements that must
// keep running.
func TestSessionChange(t *testing.T) {
	pg, my := policy.Postgres, policy.MySQL
	refused := []struct {
		d   policy.Dialect
		sql string
	}{
		{pg, "SET search_path = evil, public"},
		{pg, "set SESSION search_path TO evil"},
		{pg, "  /* x */ SeT role postgres"},
		{pg, "RESET ALL"},
		{pg, "SELECT set_config('search_path', 'evil', false)"},
		{pg, `SELECT "set_config"('search_path', 'evil', false)`},
		{pg, "SELECT pg_catalog.set_config ('search_path', 'evil', false)"},
		{pg, "select 1 from (select set_config('search_path','evil',false)) s"},
		{pg, "CREATE TEMP TABLE customers (id int)"},
		{pg, "create temporary view customers as select 1"},
		{pg, "CREATE OR REPLACE TEMP VIEW v AS SELECT 1"},
		{pg, "CREATE GLOBAL TEMPORARY TABLE t (id int)"},
		{pg, "CREATE TABLE pg_temp.customers (id int)"},
		{pg, `CREATE VIEW "pg_temp".customers AS SELECT 1`},
		{pg, "SELECT * INTO TEMP t FROM customers"},
		{pg, "PREPARE p AS SELECT 1"},
		{pg, "EXECUTE p"},
		{pg, "DEALLOCATE ALL"},
		{pg, "LISTEN ch"},
		{pg, "BEGIN"},
		{pg, "start transaction"},
		{pg, "LOCK TABLE customers"},
		{pg, "DECLARE c CURSOR WITH HOLD FOR SELECT 1"},
		{pg, "SELECT pg_advisory_lock(1)"},
		{pg, "DO $$BEGIN PERFORM set_config('search_path','evil',false); END$$"},
		{pg, "DISCARD ALL"},
		{pg, "LOAD 'auto_explain'"},
		{pg, "SELECT 1; SET search_path = evil"},
		{pg, "SELECT 1; SELECT 2"},
		{my, "SET sql_mode = 'NO_BACKSLASH_ESCAPES'"},
		{my, "SET @@session.sql_mode = ''"},
		{my, "SET NAMES gbk"},
		{my, "SET @x = 1"},
		{my, "SELECT @x := 1"},
		{my, "SELECT 1 INTO @x"},
		{my, "SELECT 1 /*!50000 , @x := 5 */"},
		{my, "SELECT 1 /*M! , @y := 5 */"},
		{my, "/*!40101 SET sql_mode = '' */"},
		{my, "SET STATEMENT max_statement_time=1 FOR SELECT 1"},
		{my, "CREATE TEMPORARY TABLE customers (id int)"},
		{my, "PREPARE s FROM 'SELECT 1'"},
		{my, "USE mysql"},
		{my, "LOCK TABLES customers READ"},
		{my, "SELECT GET_LOCK('x', 1)"},
		{my, "HANDLER customers OPEN"},
		{my, "XA START 'x'"},
		{my, "FLUSH TABLES WITH READ LOCK"},
		{my, "DO @x := 1"},
	}
	for _, tc := range refused {
		if why := sessionChange(tc.d, tc.sql, nil); why == "" {
			t.Errorf("%q: not refused", tc.sql)
		}
	}
	allowed := []struct {
		d   policy.Dialect
		sql string
	}{
		{pg, "SELECT * FROM customers WHERE name = 'SET search_path = evil'"},
		{pg, "SELECT set_config FROM settings_log"},
		{pg, "SELECT id, name FROM customers WHERE id = $1"},
		{pg, "INSERT INTO orders (id, note) VALUES (1, 'begin; set role x')"},
		{pg, "UPDATE customers SET name = 'x' WHERE id = 1"},
		{pg, "WITH t AS (SELECT 1 AS n) SELECT n FROM t"},
		{pg, "SELECT current_setting('search_path')"},
		{pg, "SHOW search_path"},
		{pg, "SELECT 1;"},
		{pg, "CREATE TABLE temps (id int)"},
		{pg, "SELECT * FROM customers -- set role x"},
		{my, "SELECT * FROM customers WHERE name = '@x := 1'"},
		{my, "SELECT @@sql_mode"},
		{my, "SELECT id FROM customers WHERE id = ?"},
		{my, "UPDATE customers SET name = 'x' WHERE id = 1"},
		{my, "SELECT 1 /* set @x := 1 */"},
	}
	for _, tc := range allowed {
		if why := sessionChange(tc.d, tc.sql, nil); why != "" {
			t.Errorf("%q: refused (%s)", tc.sql, why)
		}
	}
}

func TestJSONBody(t *testing.T) {
	for _, tc := range []struct {
		ct string
		ok bool
	}{
		{"application/json", true},
		{"application/json; charset=utf-8", true},
		{"Application/JSON; charset=UTF-8", true},
		{"", false},
		{"text/plain", false},
		{"text/plain; charset=utf-8", false},
		{"application/x-www-form-urlencoded", false},
		{"multipart/form-data; boundary=x", false},
		{"application/json; charset=utf-16", false},
		{"application/jsonp", false},
		{"application/json, text/plain", false},
	} {
		r := httptest.NewRequest("POST", "/v1/query", strings.NewReader(`{}`))
		if tc.ct != "" {
			r.Header.Set("Content-Type", tc.ct)
		}
		e := jsonBody(r)
		if (e == nil) != tc.ok {
			t.Errorf("Content-Type %q: accepted=%v, want %v", tc.ct, e == nil, tc.ok)
		}
		if e != nil && e.Status != 415 {
			t.Errorf("Content-Type %q: status %d, want 415", tc.ct, e.Status)
		}
	}
}
