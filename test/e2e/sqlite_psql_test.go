package e2e

import (
	"context"
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/floe-db/floe/internal/backend/sqlite"
)

// psql's meta-commands against the demo database on the embedded SQLite
// engine: each lists the demo's objects from the emulated catalog.
func TestSQLitePsqlMetaCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e")
	}
	psqlBin, err := exec.LookPath("psql")
	if err != nil {
		t.Fatal("psql (postgresql-client) is needed: scripts/services.sh installs it")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "lite.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if err := sqlite.SeedDemo(ctx, db); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `CREATE VIEW vip_customers AS SELECT id, name FROM customers WHERE vip`); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()
	g := start(t, sqliteConfig(path))
	// psql's queries are PostgreSQL's dialect (casts, OPERATOR(pg_catalog.~)):
	// the engine must translate them and have PostgreSQL's functions.
	var n int
	if err := g.connect(t, "alice", "alice-secret", "lite").QueryRow(ctx, `SELECT ('abc' ~ '^a')::integer`, pgx.QueryExecModeSimpleProtocol).Scan(&n); err != nil || n != 1 {
		t.Fatalf("PostgreSQL's regular expressions and casts: %d %v", n, err)
	}
	// psql runs the commands; any failure fails the case.
	psql := func(t *testing.T, cmds ...string) string {
		t.Helper()
		args := []string{"-X", "-A", "-F", "|", "-v", "ON_ERROR_STOP=1", g.dsn("alice", "alice-secret", "lite")}
		for _, c := range cmds {
			args = append(args, "-c", c)
		}
		cmd := exec.Command(psqlBin, args...)
		cmd.Env = append(os.Environ(), "PGSSLMODE=disable", "PGCONNECT_TIMEOUT=10")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("psql %q: %v\n%s", cmds, err, out)
		}
		return string(out)
	}
	tests := []struct {
		cmds []string
		want []string // lines of the output
		not  []string // lines that must not be there
	}{
		// First: a cast to regclass before any statement read the catalog.
		{[]string{`\sv vip_customers`}, []string{"CREATE OR REPLACE VIEW public.vip_customers AS", "SELECT id, name FROM customers WHERE vip"}, nil},
		{[]string{`\l`}, []string{"lite|floe|UTF8|C.UTF-8|C.UTF-8||libc|"}, nil},
		{[]string{`\dn`}, []string{"public|floe"}, []string{"pg_catalog|floe"}},
		{[]string{`\dt`}, []string{"public|customers|table|floe", "public|orders|table|floe", "public|products|table|floe"},
			[]string{"public|vip_customers|view|floe"}},
		{[]string{`\d customers`}, []string{
			`Table "public.customers"`,
			"Column|Type|Collation|Nullable|Default",
			"id|integer||not null|",
			"name|text||not null|",
			"email|text||not null|",
			"country|text||not null|",
			"vip|boolean||not null|false",
			"created_at|timestamp without time zone||not null|",
			"Indexes:",
			`    "customers_pkey" PRIMARY KEY, btree (id)`,
			`    "customers_email_key" UNIQUE CONSTRAINT, btree (email)`,
			"Referenced by:",
			`    TABLE "orders" CONSTRAINT "orders_customer_id_fkey" FOREIGN KEY (customer_id) REFERENCES customers(id)`,
		}, []string{"Foreign-key constraints:", "Check constraints:", "Triggers:"}},
		{[]string{`\d+ customers`}, []string{
			"Column|Type|Collation|Nullable|Default|Storage|Compression|Stats target|Description",
			"id|integer||not null||plain|||",
			"email|text||not null||extended|||",
			"vip|boolean||not null|false|plain|||",
			`    "customers_pkey" PRIMARY KEY, btree (id)`,
			"Referenced by:",
			"Access method: heap",
		}, nil},
		{[]string{`\d orders`}, []string{
			`Table "public.orders"`,
			"customer_id|integer||not null|",
			"total|numeric(10,2)||not null|",
			"Indexes:",
			`    "orders_pkey" PRIMARY KEY, btree (id)`,
			`    "orders_customer" btree (customer_id)`,
			"Check constraints:",
			`    "orders_quantity_check" CHECK (quantity > 0)`,
			"Foreign-key constraints:",
			`    "orders_customer_id_fkey" FOREIGN KEY (customer_id) REFERENCES customers(id)`,
			`    "orders_product_id_fkey" FOREIGN KEY (product_id) REFERENCES products(id)`,
		}, []string{"Referenced by:"}},
		{[]string{`\di`}, []string{"public|orders_customer|index|floe|orders", "public|customers_pkey|index|floe|customers"}, nil},
		{[]string{`\dv`}, []string{"public|vip_customers|view|floe"}, []string{"public|customers|table|floe"}},
		{[]string{`\dp`}, []string{"public|customers|table|||", "public|vip_customers|view|||"}, []string{"information_schema|tables|view|||"}},
		{[]string{`\df`}, []string{"Schema|Name|Result data type|Argument data types|Type", "(0 rows)"}, nil},
		{[]string{`\du`}, []string{"Role name|Attributes|Member of", "alice||{}", "floe|Cannot login|{}"}, []string{"alice||[]"}},
		// Arrays (the catalog's, ARRAY(…), casts) in PostgreSQL's array text.
		{[]string{`SELECT conname, conkey, ARRAY(SELECT attname FROM pg_attribute a WHERE a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)) AS cols, '{1,2}'::int[] AS lit FROM pg_constraint c WHERE contype = 'f' ORDER BY 1`},
			[]string{"orders_customer_id_fkey|{2}|{customer_id}|{1,2}", "orders_product_id_fkey|{3}|{product_id}|{1,2}"}, nil},
		{[]string{`\x`, `SELECT name, country FROM customers WHERE id = 1`}, []string{"Expanded display is on.", "name|Grace Lovelace", "country|US"}, nil},
		{[]string{`\timing`, `SELECT count(*) FROM orders`}, []string{"Timing is on.", "500"}, nil},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.cmds, " "), func(t *testing.T) {
			out := psql(t, tc.cmds...)
			lines := map[string]bool{}
			for l := range strings.SplitSeq(out, "\n") {
				lines[strings.TrimRight(l, " ")] = true
			}
			for _, w := range tc.want {
				if !lines[w] && !strings.Contains(out, w) {
					t.Errorf("missing %q in:\n%s", w, out)
				}
			}
			for _, n := range tc.not {
				if lines[n] {
					t.Errorf("unexpected %q in:\n%s", n, out)
				}
			}
			if strings.Contains(tc.cmds[0], "timing") && !strings.Contains(out, "Time: ") {
				t.Errorf("no timing in:\n%s", out)
			}
		})
	}
}
