package catalog

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/floe-db/floe/internal/analysis"
)

const testSchema = `
CREATE TABLE customers (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	email VARCHAR(20) NOT NULL UNIQUE,
	vip BOOLEAN NOT NULL DEFAULT 0,
	created_at TIMESTAMP NOT NULL);
CREATE TABLE orders (
	id INTEGER PRIMARY KEY,
	customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
	total NUMERIC(10,2) NOT NULL CHECK (total >= 0),
	note TEXT,
	CONSTRAINT small CHECK (length(note) < 100));
CREATE INDEX orders_customer ON orders(customer_id);
CREATE UNIQUE INDEX orders_note ON orders(lower(note)) WHERE note IS NOT NULL;
CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 100;
CREATE TABLE "Mixed Case" (k TEXT, v BLOB, PRIMARY KEY (k)) WITHOUT ROWID;
`

// open makes a database with the test schema in a file of its own and
// gives a connection with the catalog of dialect d attached and filled.
func open(t *testing.T, d analysis.Dialect, name string) (*sql.DB, *sql.Conn) {
	t.Helper()
	ctx := context.Background()
	RegisterFunctions()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "t.db")+"?_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if _, err := db.ExecContext(ctx, testSchema); err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	if err := Attach(ctx, conn, d, name, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := Refresh(ctx, conn, d, name); err != nil {
		t.Fatal(err)
	}
	return db, conn
}

// resetRegistry forgets the databases' snapshots (a test's databases
// reuse names other tests, or earlier runs, gave to other files).
func resetRegistry() {
	for i := range registry.current {
		registry.current[i].Store(nil)
	}
}

func strs(t *testing.T, conn *sql.Conn, q string, args ...any) []string {
	t.Helper()
	rows, err := conn.QueryContext(context.Background(), q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = v.String
			if !v.Valid {
				parts[i] = "NULL"
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

func TestPGCatalog(t *testing.T) {
	resetRegistry()
	_, conn := open(t, analysis.Postgres, "cattest_pg")
	tests := []struct {
		name, q string
		want    []string
	}{
		{"relations", `SELECT c.relname, c.relkind, n.nspname FROM pg_catalog.pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = 'public' ORDER BY 1`,
			[]string{"Mixed Case|r|public", "Mixed Case_pkey|i|public", "big_orders|v|public", "customers|r|public",
				"customers_email_key|i|public", "customers_pkey|i|public", "orders|r|public", "orders_customer|i|public",
				"orders_note|i|public", "orders_pkey|i|public"}},
		{"columns", `SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.atthasdef,
			(SELECT pg_get_expr(d.adbin, d.adrelid, 1) FROM pg_attrdef d WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum)
			FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid WHERE c.relname = 'customers' AND a.attnum > 0 ORDER BY a.attnum`,
			[]string{"id|integer|1|0|NULL", "name|text|1|0|NULL", "email|character varying(20)|1|0|NULL",
				"vip|boolean|1|1|false", "created_at|timestamp without time zone|1|0|NULL"}},
		{"numeric typmod", `SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = floe_regclass('orders') AND attname = 'total'`,
			[]string{"numeric(10,2)"}},
		{"indexes", `SELECT c2.relname, i.indisprimary, i.indisunique, i.indkey, pg_get_indexdef(i.indexrelid, 0, 1)
			FROM pg_index i JOIN pg_class c2 ON c2.oid = i.indexrelid WHERE i.indrelid = floe_regclass('orders') ORDER BY 1`,
			[]string{"orders_customer|0|0|2|CREATE INDEX orders_customer ON public.orders USING btree (customer_id)",
				"orders_note|0|1|0|CREATE UNIQUE INDEX orders_note ON public.orders USING btree (lower(note)) WHERE note IS NOT NULL",
				"orders_pkey|1|1|1|CREATE UNIQUE INDEX orders_pkey ON public.orders USING btree (id)"}},
		{"constraints", `SELECT conname, contype, pg_get_constraintdef(oid, 1), conkey FROM pg_constraint
			WHERE conrelid = floe_regclass('public.orders') ORDER BY 1`,
			[]string{"orders_customer_id_fkey|f|FOREIGN KEY (customer_id) REFERENCES customers(id) ON DELETE CASCADE|[2]",
				"orders_pkey|p|PRIMARY KEY (id)|[1]",
				"orders_total_check|c|CHECK (total >= 0)|[3]",
				"small|c|CHECK (length(note) < 100)|NULL"}},
		{"fk target", `SELECT floe_regclass(confrelid), confdeltype FROM pg_constraint WHERE contype = 'f'`, []string{"customers|c"}},
		{"unique constraint uses its index", `SELECT conname, floe_regclass(conindid) FROM pg_constraint WHERE contype = 'u'`,
			[]string{"customers_email_key|customers_email_key"}},
		{"view", `SELECT viewname, definition, pg_get_viewdef(floe_regclass('big_orders')) FROM pg_views`,
			[]string{"big_orders|SELECT id, total FROM orders WHERE total > 100|SELECT id, total FROM orders WHERE total > 100"}},
		{"quoted names", `SELECT floe_regclass('"Mixed Case"') = oid, floe_regclass(oid) FROM pg_class WHERE relname = 'Mixed Case'`,
			[]string{"1|\"Mixed Case\""}},
		{"catalog relations", `SELECT floe_regclass('pg_class'), floe_regclass('pg_catalog.pg_type'), floe_regclass(1259)`,
			[]string{"1259|1247|pg_class"}},
		{"types", `SELECT floe_regtype('integer'), floe_regtype(1043), floe_regtype('character varying'), format_type(1700, -1), format_type(1042, 5)`,
			[]string{"23|character varying|1043|numeric|character(1)"}},
		{"type rows", `SELECT typname, typtype, typelem, typarray, typinput FROM pg_type WHERE oid IN (25, 1009) ORDER BY oid`,
			[]string{"text|b|0|1009|textin", "_text|b|25|0|array_in"}},
		{"namespaces", `SELECT nspname, floe_regnamespace(oid), floe_regnamespace(nspname) = oid FROM pg_namespace ORDER BY 1`,
			[]string{"information_schema|information_schema|1", "pg_catalog|pg_catalog|1", "public|public|1"}},
		{"database", `SELECT datname, pg_get_userbyid(datdba), pg_encoding_to_char(encoding) FROM pg_database`,
			[]string{"cattest_pg|floe|UTF8"}},
		{"roles", `SELECT rolname, rolcanlogin, rolpassword FROM pg_roles ORDER BY 1`, []string{"alice|1|NULL", "floe|0|NULL"}},
		{"visibility and privileges", `SELECT pg_table_is_visible(floe_regclass('customers')), has_table_privilege('customers', 'SELECT'),
			obj_description(1, 'pg_class'), col_description(1, 1)`, []string{"1|1|NULL|NULL"}},
		{"information_schema is not on the search path", `SELECT c.relname, pg_table_is_visible(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE c.relname IN ('tables', 'pg_class', 'customers') ORDER BY n.nspname`, []string{"tables|0", "pg_class|1", "customers|1"}},
		{"serial sequence", `SELECT pg_get_serial_sequence('orders', 'id') IS NULL, typeof(pg_get_serial_sequence('public.orders', 'id'))`, []string{"1|null"}},
		{"sizes", `SELECT pg_size_pretty(0), pg_size_pretty(10240), pg_size_pretty(1048576), pg_size_pretty(123456789)`,
			[]string{"0 bytes|10 kB|1024 kB|118 MB"}},
		{"procs", `SELECT count(*) > 10, sum(proname = 'format_type') FROM pg_proc`, []string{"1|1"}},
		{"information_schema tables", `SELECT table_catalog, table_schema, table_name, table_type FROM information_schema.tables ORDER BY 3`,
			[]string{"cattest_pg|public|Mixed Case|BASE TABLE", "cattest_pg|public|big_orders|VIEW",
				"cattest_pg|public|customers|BASE TABLE", "cattest_pg|public|orders|BASE TABLE"}},
		{"information_schema columns", `SELECT column_name, ordinal_position, is_nullable, data_type, character_maximum_length,
			numeric_precision, numeric_scale, column_default, udt_name FROM information_schema.columns WHERE table_name = 'orders' ORDER BY 2`,
			[]string{"id|1|NO|integer|NULL|32|0|NULL|int4", "customer_id|2|NO|integer|NULL|32|0|NULL|int4",
				"total|3|NO|numeric|NULL|10|2|NULL|numeric", "note|4|YES|text|NULL|NULL|NULL|NULL|text"}},
		{"key columns", `SELECT k.constraint_name, k.column_name, t.constraint_type FROM information_schema.key_column_usage k
			JOIN information_schema.table_constraints t USING (constraint_name) WHERE k.table_name = 'orders' ORDER BY 1`,
			[]string{"orders_customer_id_fkey|customer_id|FOREIGN KEY", "orders_pkey|id|PRIMARY KEY"}},
		{"referential", `SELECT constraint_name, unique_constraint_name, delete_rule FROM information_schema.referential_constraints`,
			[]string{"orders_customer_id_fkey|customers_pkey|CASCADE"}},
		{"schemata", `SELECT schema_name FROM information_schema.schemata ORDER BY 1`, []string{"information_schema", "pg_catalog", "public"}},
		{"empty relations exist", `SELECT (SELECT count(*) FROM pg_description) + (SELECT count(*) FROM pg_inherits) + (SELECT count(*) FROM pg_policy)
			+ (SELECT count(*) FROM pg_publication) + (SELECT count(*) FROM pg_statistic_ext) + (SELECT count(*) FROM pg_depend)
			+ (SELECT count(*) FROM pg_stat_activity) + (SELECT count(*) FROM information_schema.routines)`, []string{"0"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := strs(t, conn, tc.q)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestMySQLInformationSchema(t *testing.T) {
	resetRegistry()
	_, conn := open(t, analysis.MySQL, "cattest_my")
	tests := []struct {
		name, q string
		want    []string
	}{
		{"tables", `SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES ORDER BY 2`,
			[]string{"cattest_my|Mixed Case|BASE TABLE", "cattest_my|big_orders|VIEW", "cattest_my|customers|BASE TABLE", "cattest_my|orders|BASE TABLE"}},
		{"columns", `SELECT COLUMN_NAME, ORDINAL_POSITION, DATA_TYPE, COLUMN_TYPE, COLUMN_KEY, EXTRA, IS_NULLABLE, CHARACTER_MAXIMUM_LENGTH,
			NUMERIC_PRECISION, NUMERIC_SCALE, COLUMN_DEFAULT FROM information_schema.columns WHERE TABLE_NAME = 'customers' ORDER BY 2`,
			[]string{"id|1|int|int|PRI|auto_increment|NO|NULL|10|0|NULL", "name|2|text|text|||NO|65535|NULL|NULL|NULL",
				"email|3|varchar|varchar(20)|UNI||NO|20|NULL|NULL|NULL", "vip|4|tinyint|tinyint(1)|||NO|NULL|3|0|0",
				"created_at|5|datetime|datetime|||NO|NULL|NULL|NULL|NULL"}},
		{"decimal", `SELECT COLUMN_TYPE, NUMERIC_PRECISION, NUMERIC_SCALE, COLUMN_KEY FROM information_schema.COLUMNS WHERE TABLE_NAME = 'orders' AND COLUMN_NAME IN ('total', 'customer_id') ORDER BY ORDINAL_POSITION`,
			[]string{"int|10|0|MUL", "decimal(10,2)|10|2|"}},
		{"statistics", `SELECT INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, coalesce(COLUMN_NAME, EXPRESSION) FROM information_schema.STATISTICS WHERE TABLE_NAME = 'orders' ORDER BY 1`,
			[]string{"PRIMARY|0|1|id", "orders_customer|1|1|customer_id", "orders_note|0|1|lower(note)"}},
		{"constraints", `SELECT CONSTRAINT_NAME, CONSTRAINT_TYPE FROM information_schema.TABLE_CONSTRAINTS WHERE TABLE_NAME = 'orders' ORDER BY 1`,
			[]string{"PRIMARY|PRIMARY KEY", "orders_customer_id_fkey|FOREIGN KEY", "orders_total_check|CHECK", "small|CHECK"}},
		{"key columns", `SELECT CONSTRAINT_NAME, COLUMN_NAME, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE REFERENCED_TABLE_NAME IS NOT NULL`,
			[]string{"orders_customer_id_fkey|customer_id|customers|id"}},
		{"referential", `SELECT CONSTRAINT_NAME, DELETE_RULE, UPDATE_RULE, REFERENCED_TABLE_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS`,
			[]string{"orders_customer_id_fkey|CASCADE|NO ACTION|customers"}},
		{"views", `SELECT TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS`, []string{"big_orders|SELECT id, total FROM orders WHERE total > 100"}},
		{"schemata", `SELECT SCHEMA_NAME FROM information_schema.SCHEMATA ORDER BY 1`, []string{"cattest_my", "information_schema"}},
		{"routines empty", `SELECT count(*) FROM information_schema.ROUTINES`, []string{"0"}},
		{"no pg_catalog", `SELECT count(*) FROM pragma_database_list WHERE name = 'pg_catalog'`, []string{"0"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := strs(t, conn, tc.q)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// The catalog follows the schema: DDL shows at the next Refresh, a
// rolled-back DDL disappears again, and a pooled connection handed to a
// session of the other dialect or database gets that catalog.
func TestRefreshAndReuse(t *testing.T) {
	resetRegistry()
	ctx := context.Background()
	_, conn := open(t, analysis.Postgres, "cattest_refresh")
	count := func(q string) string { return strings.Join(strs(t, conn, q), ",") }
	if got := count(`SELECT count(*) FROM pg_class WHERE relname = 'extra'`); got != "0" {
		t.Fatalf("before: %s", got)
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE extra (a INTEGER, b TEXT)`); err != nil {
		t.Fatal(err)
	}
	// Without a Refresh the rows are those of the old schema.
	if got := count(`SELECT count(*) FROM pg_class WHERE relname = 'extra'`); got != "0" {
		t.Fatalf("stale: %s", got)
	}
	if err := Refresh(ctx, conn, analysis.Postgres, "cattest_refresh"); err != nil {
		t.Fatal(err)
	}
	if got := count(`SELECT relnatts || ':' || floe_regclass(oid) FROM pg_class WHERE relname = 'extra'`); got != "2:extra" {
		t.Fatalf("after create: %s", got)
	}
	extraOID := count(`SELECT oid FROM pg_class WHERE relname = 'extra'`)
	// DDL in a transaction that rolls back: the catalog goes back with it.
	for _, q := range []string{`BEGIN`, `CREATE TABLE gone (x)`} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := Refresh(ctx, conn, analysis.Postgres, "cattest_refresh"); err != nil {
		t.Fatal(err)
	}
	if got := count(`SELECT count(*) FROM pg_class WHERE relname = 'gone'`); got != "1" {
		t.Fatalf("in transaction: %s", got)
	}
	if _, err := conn.ExecContext(ctx, `ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	if err := Refresh(ctx, conn, analysis.Postgres, "cattest_refresh"); err != nil {
		t.Fatal(err)
	}
	if got := count(`SELECT count(*) FROM pg_class WHERE relname = 'gone'`); got != "0" {
		t.Fatalf("after rollback: %s", got)
	}
	// The next DDL on this connection publishes the database's snapshot
	// again (at the version the rolled-back one had).
	if _, err := conn.ExecContext(ctx, `CREATE TABLE fresh (y)`); err != nil {
		t.Fatal(err)
	}
	if err := Refresh(ctx, conn, analysis.Postgres, "cattest_refresh"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.QueryContext(ctx, `SELECT floe_regclass('gone')`); err == nil || !strings.Contains(err.Error(), `relation "gone" does not exist`) {
		t.Fatalf("regclass of a rolled-back table: %v", err)
	}
	if got := count(`SELECT floe_regclass('fresh') = oid FROM pg_class WHERE relname = 'fresh'`); got != "1" {
		t.Fatalf("regclass of a new table: %s", got)
	}
	// OIDs come from the schema and the database's name: the same for
	// another file with the same schema under that name (a restart).
	customersOID := count(`SELECT oid FROM pg_class WHERE relname = 'customers'`)
	_, conn2 := open(t, analysis.Postgres, "cattest_refresh")
	if got := strings.Join(strs(t, conn2, `SELECT oid FROM pg_class WHERE relname = 'customers'`), ","); got != customersOID {
		t.Fatalf("customers' OID: %s, was %s", got, customersOID)
	}
	// The same connection reused by a MySQL session of another database.
	if err := Attach(ctx, conn, analysis.MySQL, "cattest_other", "bob"); err != nil {
		t.Fatal(err)
	}
	if err := Refresh(ctx, conn, analysis.MySQL, "cattest_other"); err != nil {
		t.Fatal(err)
	}
	if got := count(`SELECT count(*) FROM pragma_database_list WHERE name = 'pg_catalog'`); got != "0" {
		t.Fatalf("pg_catalog still attached: %s", got)
	}
	if got := count(`SELECT DISTINCT TABLE_SCHEMA FROM information_schema.TABLES`); got != "cattest_other" {
		t.Fatalf("MySQL tables: %s", got)
	}
	// And back to PostgreSQL, with another user.
	if err := Attach(ctx, conn, analysis.Postgres, "cattest_refresh", "carol"); err != nil {
		t.Fatal(err)
	}
	if err := Refresh(ctx, conn, analysis.Postgres, "cattest_refresh"); err != nil {
		t.Fatal(err)
	}
	if got := count(`SELECT group_concat(rolname) FROM (SELECT rolname FROM pg_roles ORDER BY 1)`); got != "carol,floe" {
		t.Fatalf("roles: %s", got)
	}
	if got := count(`SELECT oid FROM pg_class WHERE relname = 'extra'`); got != extraOID {
		t.Fatalf("extra's OID changed: %s, was %s", got, extraOID)
	}
}

func TestViewsAreReadOnly(t *testing.T) {
	resetRegistry()
	_, conn := open(t, analysis.Postgres, "cattest_ro")
	for _, q := range []string{
		`DELETE FROM pg_catalog.pg_class`,
		`UPDATE pg_type SET typname = 'x'`,
		`INSERT INTO information_schema.tables (table_name) VALUES ('x')`,
	} {
		if _, err := conn.ExecContext(context.Background(), q); err == nil || !strings.Contains(err.Error(), "cannot modify") {
			t.Errorf("%s: %v, want SQLite's refusal to modify a view", q, err)
		}
	}
	if got := strs(t, conn, `SELECT count(*) > 0 FROM pg_class WHERE relname = 'customers'`); got[0] != "1" {
		t.Fatalf("pg_class: %v", got)
	}
}

func TestNames(t *testing.T) {
	tests := []struct {
		d            analysis.Dialect
		schema, name string
		want         bool
	}{
		{analysis.Postgres, "pg_catalog", "pg_class", true},
		{analysis.Postgres, "", "pg_class", true},
		{analysis.Postgres, "", "PG_CLASS", true},
		{analysis.Postgres, "public", "pg_attribute", true},
		{analysis.Postgres, "", "tables", true},
		{analysis.Postgres, "information_schema", "anything", true},
		{analysis.Postgres, "", "customers", false},
		{analysis.Postgres, "", "pg_not_emulated", false},
		{analysis.Postgres, "", "floe_pg_class", true},
		{analysis.MySQL, "", "COLUMNS", true},
		{analysis.MySQL, "pg_catalog", "pg_class", false},
		{analysis.MySQL, "", "pg_class", false},
		{analysis.MySQL, "shop", "tables", false},
	}
	for _, tc := range tests {
		if got := Names(tc.d, tc.schema, tc.name); got != tc.want {
			t.Errorf("Names(%v, %q, %q) = %v, want %v", tc.d, tc.schema, tc.name, got, tc.want)
		}
	}
}

func TestFormatTypeAndDecl(t *testing.T) {
	tests := []struct {
		decl string
		want string
	}{
		{"INTEGER", "integer"}, {"int", "integer"}, {"INT4", "integer"}, {"BIGINT", "bigint"}, {"INT8", "bigint"},
		{"SMALLINT", "smallint"}, {"TINYINT(1)", "smallint"}, {"INTEGER UNSIGNED", "bigint"}, {"UNSIGNED BIG INT", "bigint"},
		{"FLOAT4", "real"}, {"DOUBLE PRECISION", "double precision"}, {"TEXT", "text"}, {"", "text"}, {"VARCHAR(20)", "character varying(20)"},
		{"character varying", "character varying"}, {"CHAR(3)", "character(3)"}, {"NUMERIC(10,2)", "numeric(10,2)"},
		{"DECIMAL(5)", "numeric(5,0)"}, {"NUMERIC", "numeric"}, {"REAL", "real"}, {"BOOLEAN", "boolean"},
		{"TIMESTAMP", "timestamp without time zone"}, {"DATETIME", "timestamp without time zone"}, {"DATE", "date"},
		{"BLOB", "bytea"}, {"JSON", "json"},
	}
	for _, tc := range tests {
		ct := typeOfDecl(tc.decl)
		if got := formatType(ct.oid, ct.typmod); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.decl, got, tc.want)
		}
	}
	if got := formatType(99999, -1); got != "???" {
		t.Errorf("unknown type: %q", got)
	}
}

func TestSizePretty(t *testing.T) {
	for n, want := range map[int64]string{0: "0 bytes", 10239: "10239 bytes", 10240: "10 kB", 10485760: "10 MB", -20480: "-20 kB", 1 << 40: "1024 GB"} {
		if got := sizePretty(n); got != want {
			t.Errorf("%d: %q, want %q", n, got, want)
		}
	}
}

// Sessions refresh and read the catalog while others change the schema:
// each sees its own rows, and the functions read whole snapshots.
func TestConcurrentRefresh(t *testing.T) {
	resetRegistry()
	db, _ := open(t, analysis.Postgres, "cattest_conc")
	ctx := context.Background()
	errs := make(chan error, 4)
	for w := range 4 {
		go func() {
			errs <- func() error {
				conn, err := db.Conn(ctx)
				if err != nil {
					return err
				}
				defer conn.Close()
				if err := Attach(ctx, conn, analysis.Postgres, "cattest_conc", "w"); err != nil {
					return err
				}
				for i := range 5 {
					name := "w" + itoa(w) + "_" + itoa(i)
					if _, err := conn.ExecContext(ctx, "CREATE TABLE "+name+" (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"); err != nil {
						return err
					}
					if err := Refresh(ctx, conn, analysis.Postgres, "cattest_conc"); err != nil {
						return err
					}
					var got string
					err := conn.QueryRowContext(ctx, `SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
						WHERE i.indrelid = (SELECT oid FROM pg_class WHERE relname = ?) AND c.relname = ?`, name, name+"_pkey").Scan(&got)
					if err != nil {
						return err
					}
					if want := "CREATE UNIQUE INDEX " + name + "_pkey ON public." + name + " USING btree (id)"; got != want {
						return errors.New(got + ", want " + want)
					}
				}
				return nil
			}()
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func TestPGText(t *testing.T) {
	for in, want := range map[string]string{
		"`customer_id`":                 "customer_id",
		"lower(`note`) DESC, [Mixed]":   `lower(note) DESC, "Mixed"`,
		`"total" >= 0 AND 'a"b' <> "x"`: `total >= 0 AND 'a"b' <> x`,
		"`select` = 'it''s'":            `"select" = 'it''s'`,
	} {
		if got := pgText(in); got != want {
			t.Errorf("pgText(%q) = %q, want %q", in, got, want)
		}
	}
}

// An index the MySQL front end made is stored as "table.index" (SQLite's
// index names are per database); information_schema shows MySQL's names,
// and a UNIQUE constraint's index is named after its first column.
func TestMySQLIndexNames(t *testing.T) {
	resetRegistry()
	ctx := context.Background()
	_, conn := open(t, analysis.MySQL, "cattest_myix")
	if _, err := conn.ExecContext(ctx, `CREATE INDEX "customers.by_name" ON customers(name)`); err != nil {
		t.Fatal(err)
	}
	if err := Refresh(ctx, conn, analysis.MySQL, "cattest_myix"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, q string
		want    []string
	}{
		{"statistics", `SELECT INDEX_NAME, NON_UNIQUE, COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_NAME = 'customers' ORDER BY 1`,
			[]string{"PRIMARY|0|id", "by_name|1|name", "email|0|email"}},
		{"constraints", `SELECT CONSTRAINT_NAME, CONSTRAINT_TYPE FROM information_schema.TABLE_CONSTRAINTS WHERE TABLE_NAME = 'customers' ORDER BY 1`,
			[]string{"PRIMARY|PRIMARY KEY", "email|UNIQUE"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := strs(t, conn, tc.q)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
