package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/floe-db/floe/internal/analysis"
	"github.com/floe-db/floe/internal/backend/sqlite/catalog"
	"github.com/floe-db/floe/internal/observe"
)

// PgJDBC 42.5's DatabaseMetaData queries (PgDatabaseMetaData), as it
// sends them for the table "things" of schema public.
const (
	jdbcPrimaryKeys = `SELECT        result.TABLE_CAT,        result.TABLE_SCHEM,        result.TABLE_NAME,        result.COLUMN_NAME,        result.KEY_SEQ,        result.PK_NAME FROM      (SELECT NULL AS TABLE_CAT, n.nspname AS TABLE_SCHEM,   ct.relname AS TABLE_NAME, a.attname AS COLUMN_NAME,   (information_schema._pg_expandarray(i.indkey)).n AS KEY_SEQ, ci.relname AS PK_NAME,   information_schema._pg_expandarray(i.indkey) AS KEYS, a.attnum AS A_ATTNUM FROM pg_catalog.pg_class ct   JOIN pg_catalog.pg_attribute a ON (ct.oid = a.attrelid)   JOIN pg_catalog.pg_namespace n ON (ct.relnamespace = n.oid)   JOIN pg_catalog.pg_index i ON ( a.attrelid = i.indrelid)   JOIN pg_catalog.pg_class ci ON (ci.oid = i.indexrelid) WHERE true  AND n.nspname = E'public' AND ct.relname = E'things' AND i.indisprimary  ) result where  result.A_ATTNUM = (result.KEYS).x  ORDER BY result.table_name, result.pk_name, result.key_seq`
	jdbcIndexInfo   = `SELECT     tmp.TABLE_CAT,     tmp.TABLE_SCHEM,     tmp.TABLE_NAME,     tmp.NON_UNIQUE,     tmp.INDEX_QUALIFIER,     tmp.INDEX_NAME,     tmp.TYPE,     tmp.ORDINAL_POSITION,     trim(both '"' from pg_catalog.pg_get_indexdef(tmp.CI_OID, tmp.ORDINAL_POSITION, false)) AS COLUMN_NAME,   CASE tmp.AM_NAME     WHEN 'btree' THEN CASE tmp.I_INDOPTION[tmp.ORDINAL_POSITION - 1] & 1::smallint       WHEN 1 THEN 'D'       ELSE 'A'     END     ELSE NULL   END AS ASC_OR_DESC,     tmp.CARDINALITY,     tmp.PAGES,     tmp.FILTER_CONDITION FROM (SELECT NULL AS TABLE_CAT, n.nspname AS TABLE_SCHEM,   ct.relname AS TABLE_NAME, NOT i.indisunique AS NON_UNIQUE,   NULL AS INDEX_QUALIFIER, ci.relname AS INDEX_NAME,   CASE i.indisclustered     WHEN true THEN 1    ELSE CASE am.amname       WHEN 'hash' THEN 2      ELSE 3    END   END AS TYPE,   (information_schema._pg_expandarray(i.indkey)).n AS ORDINAL_POSITION,   ci.reltuples AS CARDINALITY,   ci.relpages AS PAGES,   pg_catalog.pg_get_expr(i.indpred, i.indrelid) AS FILTER_CONDITION,   ci.oid AS CI_OID,   i.indoption AS I_INDOPTION,   am.amname AS AM_NAME FROM pg_catalog.pg_class ct   JOIN pg_catalog.pg_namespace n ON (ct.relnamespace = n.oid)   JOIN pg_catalog.pg_index i ON (ct.oid = i.indrelid)   JOIN pg_catalog.pg_class ci ON (ci.oid = i.indexrelid)   JOIN pg_catalog.pg_am am ON (ci.relam = am.oid) WHERE true  AND n.nspname = E'public' AND ct.relname = E'things') AS tmp ORDER BY NON_UNIQUE, TYPE, INDEX_NAME, ORDINAL_POSITION`
	jdbcBestRow     = `SELECT a.attname, a.atttypid, atttypmod FROM pg_catalog.pg_class ct   JOIN pg_catalog.pg_attribute a ON (ct.oid = a.attrelid)   JOIN pg_catalog.pg_namespace n ON (ct.relnamespace = n.oid)   JOIN (SELECT i.indexrelid, i.indrelid, i.indisprimary,              information_schema._pg_expandarray(i.indkey) AS keys         FROM pg_catalog.pg_index i) i     ON (a.attnum = (i.keys).x AND a.attrelid = i.indrelid) WHERE true  AND n.nspname = E'public' AND ct.relname = E'things' AND i.indisprimary  ORDER BY a.attnum`
)

// Field selection and _pg_expandarray: PostgreSQL text in, SQLite out.
func TestTranslatePGExpandArray(t *testing.T) {
	for _, c := range []struct{ pg, want string }{
		{"select (information_schema._pg_expandarray(i.indkey)).n as k, _pg_expandarray(i.indkey) as r from pg_index i",
			"SELECT (`floe_srf1`.key + 1) AS `k`, json_object('x', `floe_srf1`.value, 'n', `floe_srf1`.key + 1) AS `r` FROM `pg_index` AS `i`, " +
				"json_each(CASE WHEN (`i`.`indkey`) LIKE '[%' THEN (`i`.`indkey`) ELSE '[' || replace(trim((`i`.`indkey`)), ' ', ',') || ']' END) AS `floe_srf1`"},
		{"select (_pg_expandarray(array[3, 4])).x",
			"SELECT `floe_srf1`.value AS `x` FROM json_each(CASE WHEN (json_array(3, 4)) LIKE '[%' THEN (json_array(3, 4)) ELSE '[' || replace(trim((json_array(3, 4))), ' ', ',') || ']' END) AS `floe_srf1`"},
		{"select (r.keys).x from r", "SELECT json_extract(`r`.`keys`, '$.x') AS `x` FROM `r`"},
		{`select (r.keys)."Odd Name" from r`, "SELECT json_extract(`r`.`keys`, '$.\"Odd Name\"') AS `Odd Name` FROM `r`"},
		{"select a[2] from t",
			"SELECT json_extract(CASE WHEN (`a`) LIKE '[%' THEN (`a`) ELSE '[' || replace(trim((`a`)), ' ', ',') || ']' END, '$[' || ((2) - CASE WHEN (`a`) LIKE '[%' THEN 1 ELSE 0 END) || ']') AS `a` FROM `t`"},
	} {
		if got := translateOne(t, c.pg).SQL; got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.pg, got, c.want)
		}
	}
	for _, q := range []string{
		"insert into t values ((_pg_expandarray(array[1])).x)",
		"select (_pg_expandarray(array[1])).y",
		"select (_pg_expandarray(array[1])).*",
		"select k.x from information_schema._pg_expandarray(array[1, 2]) as k",
		// Different arrays would pair every element with every other.
		"select unnest(array[1, 2]), generate_subscripts(array[3, 4], 1)",
		"select generate_subscripts(array[1, 2], 2)",
	} {
		if _, _, err := translatePG(q); err == nil || !strings.Contains(err.Error(), "not supported by the embedded SQLite engine") {
			t.Errorf("%s: err %v, want not supported", q, err)
		}
	}
}

// PgJDBC's getPrimaryKeys, getIndexInfo and getBestRowIdentifier queries
// run on a real SQLite file with the catalog attached, and give the key
// and index columns in their order.
func TestTranslatePGJDBCMetadata(t *testing.T) {
	ctx := context.Background()
	e, err := Open(ctx, "tdb", filepath.Join(t.TempDir(), "t.db"), slog.New(slog.NewTextHandler(io.Discard, nil)), observe.NewMetrics())
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	conn, err := e.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{
		"create table things (a int, b text, c int, d text, primary key (c, a))",
		"create unique index things_d on things (d)",
		"create index things_b_a on things (b, a desc)",
		"create table other (id int primary key)",
		"create table flags (s text, b boolean)",
		"insert into flags values ('f', true), ('t', false), (NULL, NULL)",
	} {
		st := translateOne(t, q)
		if _, err := conn.ExecContext(ctx, st.SQL); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := catalog.Attach(ctx, conn, analysis.Postgres, "tdb", "alice"); err != nil {
		t.Fatal(err)
	}
	if err := catalog.Refresh(ctx, conn, analysis.Postgres, "tdb"); err != nil {
		t.Fatal(err)
	}
	query := func(q string) string {
		t.Helper()
		st := translateOne(t, q)
		rows, err := conn.QueryContext(ctx, st.SQL)
		if err != nil {
			t.Fatalf("%s\n(%s): %v", q, st.SQL, err)
		}
		defer rows.Close()
		out, err := scanStrings(rows)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return out
	}
	for _, c := range []struct{ name, q, want string }{
		{"primary keys", jdbcPrimaryKeys, "<nil>,public,things,c,1,things_pkey;<nil>,public,things,a,2,things_pkey"},
		{"index info", jdbcIndexInfo, "<nil>,public,things,0,<nil>,things_d,3,1,d,A,-1,0,<nil>;" +
			"<nil>,public,things,0,<nil>,things_pkey,3,1,c,A,-1,0,<nil>;" +
			"<nil>,public,things,0,<nil>,things_pkey,3,2,a,A,-1,0,<nil>;" +
			"<nil>,public,things,1,<nil>,things_b_a,3,1,b,A,-1,0,<nil>;" +
			"<nil>,public,things,1,<nil>,things_b_a,3,2,a,D,-1,0,<nil>"},
		{"best row identifier", "SELECT attname FROM (" + jdbcBestRow + ") AS r", "a;c"},
		// SQLAlchemy 1.4's primary-key columns: unnest and
		// generate_subscripts over one array run in step.
		{"sqlalchemy primary key", `SELECT a.attname FROM pg_attribute a JOIN (
			SELECT unnest(ix.indkey) attnum, generate_subscripts(ix.indkey, 1) ord
			FROM pg_index ix WHERE ix.indrelid = floe_regclass('things') AND ix.indisprimary
			) k ON a.attnum=k.attnum WHERE a.attrelid = floe_regclass('things') ORDER BY k.ord`, "c;a"},
		// A string PostgreSQL reads as a boolean takes the column's type:
		// a boolean column compares as a boolean, a text one as text
		// (SQLAlchemy's index query says ix.indisprimary = 'f').
		{"boolean literal, boolean column", "SELECT s FROM flags WHERE b = 'f'", "t"},
		{"boolean literal, text column", "SELECT s FROM flags WHERE s = 'f'", "f"},
		{"boolean literal, not equal", "SELECT s FROM flags WHERE 'yes' <> b", "t"},
		{"boolean literal, catalog", "SELECT count(*) FROM pg_index WHERE indisprimary = 'f'", "2"},
		{"unnest with subscripts of a JSON array", "SELECT unnest(array[7, 8, 9]) AS v, generate_subscripts(array[7, 8, 9], 1) AS i", "7,1;8,2;9,3"},
	} {
		if got := query(c.q); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}

// scanStrings reads rows as "v,v;v,v" (NULL as <nil>).
func scanStrings(rows *sql.Rows) (string, error) {
	cols, err := rows.Columns()
	if err != nil {
		return "", err
	}
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return "", err
		}
		row := make([]string, len(vals))
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			row[i] = fmt.Sprint(v)
		}
		out = append(out, strings.Join(row, ","))
	}
	return strings.Join(out, ";"), rows.Err()
}
