package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// catRows reads the first column of a query's rows as text.
func catRows(t *testing.T, c *pgx.Conn, q string, args ...any) []string {
	t.Helper()
	rows, err := c.Query(context.Background(), q, append([]any{pgx.QueryExecModeSimpleProtocol}, args...)...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		s := make([]string, len(vals))
		for i, v := range vals {
			s[i] = fmtValue(v)
		}
		out = append(out, strings.Join(s, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

func fmtValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return x
	case bool:
		if x {
			return "t"
		}
		return "f"
	}
	return fmt.Sprint(v)
}

// The emulated catalog over both protocols: it shows the database's own
// tables, follows schema changes, refuses writes, and the other sessions
// go on.
func TestSQLiteCatalog(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e")
	}
	g := start(t, sqliteConfig(filepath.Join(t.TempDir(), "lite.db")))
	ctx := context.Background()
	c := g.connect(t, "alice", "alice-secret", "lite")
	for _, q := range []string{
		`create table customers (id integer primary key, name text not null, email varchar(40) unique, balance numeric(10,2) default 0)`,
		`create table orders (id integer primary key, customer_id integer not null references customers(id), total real check (total >= 0))`,
		`create index orders_customer on orders(customer_id)`,
	} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	got := catRows(t, c, `select c.relname, c.relkind from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
		where n.nspname = 'public' order by 1`)
	want := []string{"customers|r", "customers_email_key|i", "customers_pkey|i", "orders|r", "orders_customer|i", "orders_pkey|i"}
	if !slices.Equal(got, want) {
		t.Fatalf("pg_class: %q, want %q", got, want)
	}
	got = catRows(t, c, `select a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull from pg_attribute a
		where a.attrelid = (select oid from pg_class where relname = 'customers') and a.attnum > 0 order by a.attnum`)
	want = []string{"id|integer|t", "name|text|t", "email|character varying(40)|f", "balance|numeric(10,2)|f"}
	if !slices.Equal(got, want) {
		t.Fatalf("pg_attribute: %q, want %q", got, want)
	}
	got = catRows(t, c, `select pg_get_constraintdef(oid) from pg_constraint where contype = 'f'`)
	if want := []string{"FOREIGN KEY (customer_id) REFERENCES customers(id)"}; !slices.Equal(got, want) {
		t.Fatalf("pg_constraint: %q", got)
	}
	// A table created later shows at once, in this session and another.
	if _, err := c.Exec(ctx, `create table later (k text)`); err != nil {
		t.Fatal(err)
	}
	other := g.connect(t, "alice", "alice-secret", "lite")
	for _, conn := range []*pgx.Conn{c, other} {
		got = catRows(t, conn, `select table_name from information_schema.tables where table_schema = 'public' order by 1`)
		if want := []string{"customers", "later", "orders"}; !slices.Equal(got, want) {
			t.Fatalf("information_schema.tables: %q", got)
		}
	}
	// Writes to the catalog are refused; the catalog and the session stay.
	for _, q := range []string{
		`delete from pg_catalog.pg_class`,
		`delete from pg_class`,
		`insert into information_schema.tables (table_name) values ('x')`,
		`drop table pg_catalog.pg_type`,
		`drop view pg_attribute`,
		`update pg_catalog.floe_pg_class set relname = 'x'`,
	} {
		if _, err := c.Exec(ctx, q, pgx.QueryExecModeSimpleProtocol); sqlstate(err) != "42501" {
			t.Errorf("%s: %v, want 42501", q, err)
		}
	}
	got = catRows(t, c, `select count(*) from pg_class where relname in ('customers', 'orders', 'later')`)
	if !slices.Equal(got, []string{"3"}) {
		t.Fatalf("pg_class after refused writes: %q", got)
	}
	got = catRows(t, other, `select count(*) from pg_type where typname = 'int8'`)
	if !slices.Equal(got, []string{"1"}) {
		t.Fatalf("pg_type after refused writes: %q", got)
	}

	// SQLAlchemy's has_table (PostgreSQL dialect), extended protocol.
	var n int
	err := c.QueryRow(ctx, `SELECT count(*) FROM pg_catalog.pg_class JOIN pg_catalog.pg_namespace
		ON pg_catalog.pg_namespace.oid = pg_catalog.pg_class.relnamespace
		WHERE pg_catalog.pg_class.relname = $1::VARCHAR
		AND pg_catalog.pg_class.relkind = ANY (ARRAY[$2::VARCHAR, $3::VARCHAR, $4::VARCHAR, $5::VARCHAR, $6::VARCHAR])
		AND pg_catalog.pg_table_is_visible(pg_catalog.pg_class.oid) AND pg_catalog.pg_namespace.nspname != $7::VARCHAR`,
		"orders", "r", "p", "f", "v", "m", "pg_catalog").Scan(&n)
	if err != nil || n != 1 {
		t.Fatalf("has_table: %d %v", n, err)
	}
	// A reg* cast and a catalog function through the translation.
	var def string
	if err := c.QueryRow(ctx, `SELECT pg_catalog.pg_get_indexdef(i.indexrelid) FROM pg_catalog.pg_index i
		WHERE i.indrelid = 'orders'::regclass AND NOT i.indisprimary`).Scan(&def); err != nil ||
		def != "CREATE INDEX orders_customer ON public.orders USING btree (customer_id)" {
		t.Fatalf("pg_get_indexdef: %q %v", def, err)
	}

	// MySQL sessions see MySQL's information_schema of the same database.
	db := g.mydb(t, "alice", "alice-secret", "lite", nil)
	got, err = sqlStrings(db.Query(`SELECT concat(COLUMN_NAME, '|', COLUMN_TYPE, '|', COLUMN_KEY, '|', IS_NULLABLE, '|', EXTRA)
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'lite' AND TABLE_NAME = 'customers' ORDER BY ORDINAL_POSITION`))
	if err != nil {
		t.Fatal(err)
	}
	want = []string{"id|int|PRI|NO|auto_increment", "name|text||NO|", "email|varchar(40)|UNI|YES|", "balance|decimal(10,2)||YES|"}
	if !slices.Equal(got, want) {
		t.Fatalf("COLUMNS: %q, want %q", got, want)
	}
	got, err = sqlStrings(db.Query(`SELECT concat(CONSTRAINT_NAME, '|', COLUMN_NAME, '|', coalesce(REFERENCED_TABLE_NAME, ''))
		FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_NAME = 'orders' ORDER BY 1`))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"PRIMARY|id|", "orders_customer_id_fkey|customer_id|customers"}; !slices.Equal(got, want) {
		t.Fatalf("KEY_COLUMN_USAGE: %q", got)
	}
	if _, err := db.Exec(`DELETE FROM information_schema.TABLES`); myErrno(err) == 0 {
		t.Fatalf("write to information_schema: %v, want an error", err)
	}
	got, err = sqlStrings(db.Query(`SELECT TABLE_NAME FROM information_schema.TABLES ORDER BY 1`))
	if err != nil || !slices.Equal(got, []string{"customers", "later", "orders"}) {
		t.Fatalf("TABLES: %q %v", got, err)
	}
}
