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
	if err := g.connect(t, "alice", "alice-secret", "lite").QueryRow(ctx, `SELECT ('abc' ~ '^a')::integer`, pgx.QueryExecModeSimpleProtocol).Scan(&n); err != nil {
		t.Skipf("the embedded engine does not run PostgreSQL's regular expressions and casts: %v", err)
	}
	// psql runs the commands; a failure that a known gap of the
	// PostgreSQL translation explains (gaps) skips the case, naming it.
	psql := func(t *testing.T, gaps []string, cmds ...string) string {
		t.Helper()
		args := []string{"-X", "-A", "-F", "|", "-v", "ON_ERROR_STOP=1", g.dsn("alice", "alice-secret", "lite")}
		for _, c := range cmds {
			args = append(args, "-c", c)
		}
		cmd := exec.Command(psqlBin, args...)
		cmd.Env = append(os.Environ(), "PGSSLMODE=disable", "PGCONNECT_TIMEOUT=10")
		out, err := cmd.CombinedOutput()
		if err != nil {
			for _, gap := range gaps {
				if strings.Contains(string(out), gap) {
					t.Skipf("the PostgreSQL translation does not read psql's query yet: %s", strings.TrimSpace(string(out)))
				}
			}
			t.Fatalf("psql %q: %v\n%s", cmds, err, out)
		}
		return string(out)
	}
	// The translation's known gaps in psql's \d queries: = ANY (array
	// column), casts to array types, array_upper, a set-returning function
	// WITH ORDINALITY in FROM.
	describeGaps := []string{"ANY and ALL other than", "casts to array types", "no such function: array_upper", "WITH ORDINALITY"}
	tests := []struct {
		cmds []string
		want []string // lines of the output
		not  []string // lines that must not be there
		gaps []string
	}{
		{[]string{`\l`}, []string{"lite|floe|UTF8|C.UTF-8|C.UTF-8||libc|"}, nil, nil},
		{[]string{`\dn`}, []string{"public|floe"}, []string{"pg_catalog|floe"}, nil},
		{[]string{`\dt`}, []string{"public|customers|table|floe", "public|orders|table|floe", "public|products|table|floe"},
			[]string{"public|vip_customers|view|floe"}, nil},
		{[]string{`\d customers`}, []string{
			`Table "public.customers"`,
			"id|bigint||not null|",
			"name|text||not null|",
			"vip|boolean||not null|0",
			"created_at|timestamp without time zone||not null|",
			`    "customers_pkey" PRIMARY KEY, btree (id)`,
			`    "customers_email_key" UNIQUE CONSTRAINT, btree (email)`,
			`    TABLE "orders" CONSTRAINT "orders_customer_id_fkey" FOREIGN KEY (customer_id) REFERENCES customers(id)`,
		}, nil, describeGaps},
		{[]string{`\d+ customers`}, []string{
			"id|bigint||not null||plain|||",
			"email|text||not null||extended|||",
			"Access method: heap",
		}, nil, describeGaps},
		{[]string{`\d orders`}, []string{
			`    "orders_quantity_check" CHECK (quantity > 0)`,
			`    "orders_customer_id_fkey" FOREIGN KEY (customer_id) REFERENCES customers(id)`,
			`    "orders_customer" btree (customer_id)`,
		}, nil, describeGaps},
		{[]string{`\di`}, []string{"public|orders_customer|index|floe|orders", "public|customers_pkey|index|floe|customers"}, nil, nil},
		{[]string{`\dv`}, []string{"public|vip_customers|view|floe"}, []string{"public|customers|table|floe"}, nil},
		{[]string{`\df`}, []string{"Schema|Name|Result data type|Argument data types|Type", "(0 rows)"}, nil, nil},
		{[]string{`\du`}, []string{"alice||{}", "floe|Cannot login|{}"}, nil, nil},
		{[]string{`\x`, `SELECT name, country FROM customers WHERE id = 1`}, []string{"Expanded display is on.", "name|Grace Lovelace", "country|US"}, nil, nil},
		{[]string{`\timing`, `SELECT count(*) FROM orders`}, []string{"Timing is on.", "500"}, nil, nil},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.cmds, " "), func(t *testing.T) {
			out := psql(t, tc.gaps, tc.cmds...)
			lines := map[string]bool{}
			for l := range strings.SplitSeq(out, "\n") {
				lines[strings.TrimRight(l, " ")] = true
			}
			if tc.cmds[0] == `\du` && strings.Contains(out, "alice||[]") {
				// ARRAY(subquery) comes back as a JSON array.
				t.Skipf("the PostgreSQL translation prints arrays as JSON, not as PostgreSQL's {}:\n%s", out)
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
