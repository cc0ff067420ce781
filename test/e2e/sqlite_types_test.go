package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgtype"
)

// Result columns on the embedded engine carry the types PostgreSQL
// reports for the declared types (int4 for integer, varchar with its
// length…), and binary values have the width of the reported type.
func TestSQLiteResultTypesPG(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e")
	}
	g := start(t, sqliteConfig(filepath.Join(t.TempDir(), "lite.db")))
	ctx := context.Background()
	c := g.connect(t, "alice", "alice-secret", "lite")
	if _, err := c.Exec(ctx, `create table rt (id integer primary key, s smallint, b bigint, name varchar(40) not null,
		code char(3), note text, ok boolean, r real, d double precision, price numeric(10,2))`); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, `insert into rt values (7, -3, 5000000000, 'n', 'abc', 'x', true, 1.5, 2.25, 9.5)`); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"cache_statement", "simple_protocol"} {
		t.Run(mode, func(t *testing.T) {
			c := g.connect(t, "alice", "alice-secret", "lite", "default_query_exec_mode="+mode)
			rows, err := c.Query(ctx, "select id, s, b, name, code, note, ok, r, d, price from rt")
			if err != nil {
				t.Fatal(err)
			}
			var (
				id    int32
				s     int16
				b     int64
				name  string
				code  string
				note  string
				ok    bool
				r     float32
				d     float64
				price pgtype.Numeric
			)
			if !rows.Next() {
				t.Fatal("no row", rows.Err())
			}
			var got []string
			for _, f := range rows.FieldDescriptions() {
				got = append(got, fmt.Sprintf("%d/%d/%d", f.DataTypeOID, f.DataTypeSize, f.TypeModifier))
			}
			want := []string{"23/4/-1", "21/2/-1", "20/8/-1", "1043/-1/44", "1042/-1/7", "25/-1/-1", "16/1/-1", "700/4/-1", "701/8/-1",
				fmt.Sprintf("1700/-1/%d", 10<<16|2+4)}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("fields: got %v, want %v", got, want)
			}
			if err := rows.Scan(&id, &s, &b, &name, &code, &note, &ok, &r, &d, &price); err != nil {
				t.Fatal(err)
			}
			rows.Close()
			f, _ := price.Float64Value()
			if id != 7 || s != -3 || b != 5000000000 || name != "n" || code != "abc" || note != "x" || !ok || r != 1.5 || d != 2.25 || f.Float64 != 9.5 {
				t.Errorf("row: %d %d %d %q %q %q %v %v %v %v", id, s, b, name, code, note, ok, r, d, f.Float64)
			}
			rows, err = c.Query(ctx, "select 1, count(*), sum(id), length(name), 2 + 3, b + 1 from rt")
			if err != nil {
				t.Fatal(err)
			}
			var oids []uint32
			for _, f := range rows.FieldDescriptions() {
				oids = append(oids, f.DataTypeOID)
			}
			var one, ln, idp int32
			var cnt, sum, bp int64
			if !rows.Next() {
				t.Fatal("no row", rows.Err())
			}
			if err := rows.Scan(&one, &cnt, &sum, &ln, &idp, &bp); err != nil {
				t.Fatal(err)
			}
			rows.Close()
			if fmt.Sprint(oids) != "[23 20 20 23 23 20]" || one != 1 || cnt != 1 || sum != 7 || ln != 1 || idp != 5 || bp != 5000000001 {
				t.Errorf("expressions: oids %v, values %d %d %d %d %d %d", oids, one, cnt, sum, ln, idp, bp)
			}
		})
	}
	// SQLite lets an integer column hold 64 bits: a value out of int4's
	// range is refused in binary format, clearly, and the session goes on.
	if _, err := c.Exec(ctx, "insert into rt (id, name) values (8, 'big')"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, "update rt set s = 70000 where id = 8"); err != nil {
		t.Fatal(err)
	}
	var s16 int16
	err := c.QueryRow(ctx, "select s from rt where id = 8").Scan(&s16)
	if sqlstate(err) != "22P03" {
		t.Errorf("int2 out of range in binary: %v", err)
	}
	var n int64
	if err := c.QueryRow(ctx, "select count(*) from rt").Scan(&n); err != nil || n != 2 {
		t.Errorf("after the refused value: %v %d", err, n)
	}
}

// SHOW answers the settings drivers ask for at connect; unknown names
// keep PostgreSQL's error.
func TestSQLiteShowSettings(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e")
	}
	g := start(t, sqliteConfig(filepath.Join(t.TempDir(), "lite.db")))
	ctx := context.Background()
	c := g.connect(t, "alice", "alice-secret", "lite", "default_query_exec_mode=simple_protocol")
	for _, tc := range []struct{ q, want string }{
		{"show transaction isolation level", "serializable"},
		{"SHOW transaction_isolation", "serializable"},
		{"show default_transaction_isolation", "serializable"},
		{"show standard_conforming_strings", "on"},
		{"show server_version_num", "150000"},
		{"show TimeZone", "UTC"},
		{"show DateStyle", "ISO, MDY"},
		{"show client_encoding", "UTF8"},
		{"show search_path", `"$user", public`},
		{"show max_identifier_length", "63"},
		{"show transaction_read_only", "off"},
	} {
		var got string
		if err := c.QueryRow(ctx, tc.q).Scan(&got); err != nil || got != tc.want {
			t.Errorf("%s: %q, %v; want %q", tc.q, got, err, tc.want)
		}
	}
	var v string
	if err := c.QueryRow(ctx, "show server_version").Scan(&v); err != nil || !strings.HasPrefix(v, "15.") {
		t.Errorf("server_version: %q %v", v, err)
	}
	err := c.QueryRow(ctx, "show no_such_setting").Scan(&v)
	if sqlstate(err) != "42704" {
		t.Errorf("unknown setting: %v", err)
	}
}

// The MySQL front end describes columns as MariaDB does for the same DDL.
func TestSQLiteResultTypesMySQL(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e")
	}
	_, maria := myTestDB(t)
	g := start(t, liteMyConfig(filepath.Join(t.TempDir(), "lite.db")))
	ddl := `CREATE TABLE rt (id int PRIMARY KEY, name varchar(40) NOT NULL, active boolean, price decimal(10,2),
		created datetime, note text, s smallint, b bigint, code char(3), t tinyint)`
	ins := `INSERT INTO rt VALUES (1, 'n', true, 9.5, '2024-01-02 03:04:05', 'x', -3, 5000000000, 'abc', 7)`
	describe := func(db *sql.DB) []string {
		t.Helper()
		if _, err := db.Exec(ddl); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(ins); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, q := range []string{"SELECT * FROM rt", "SELECT * FROM rt WHERE id = ?"} {
			var args []any
			if strings.Contains(q, "?") {
				args = []any{1}
			}
			rows, err := db.Query(q, args...)
			if err != nil {
				t.Fatal(err)
			}
			cts, _ := rows.ColumnTypes()
			vals := make([]sql.NullString, len(cts))
			ptrs := make([]any, len(cts))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if !rows.Next() {
				t.Fatal("no row")
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			rows.Close()
			for i, ct := range cts {
				n, _ := ct.Length()
				out = append(out, fmt.Sprintf("%s:%s:%d=%s", ct.Name(), ct.DatabaseTypeName(), n, vals[i].String))
			}
		}
		return out
	}
	want := describe(maria)
	got := describe(g.mydb(t, "alice", "alice-secret", "lite", nil))
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("column types:\n got %v\nwant %v", got, want)
	}
}
