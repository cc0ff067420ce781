package e2e

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// The engine's helper tables of each connection (temp.floe_session,
// temp.generate_series) exist, but no catalog listing shows them: only
// the database's own tables and views.
func TestSQLiteHelperTablesHidden(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e")
	}
	ctx := context.Background()
	g := start(t, sqliteConfig(filepath.Join(t.TempDir(), "lite.db")))
	c := g.connect(t, "alice", "alice-secret", "lite")
	for _, q := range []string{"create table items (id integer primary key, name text)", "create view item_names as select name from items"} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// The helpers are there (so hiding them is what the listings do).
	if got := catRows(t, c, "select user_name, database_name from temp.floe_session"); !slices.Equal(got, []string{"alice|lite"}) {
		t.Fatalf("temp.floe_session: %q", got)
	}
	if got := catRows(t, c, "select count(*) from generate_series(1, 3)"); !slices.Equal(got, []string{"3"}) {
		t.Fatalf("generate_series: %q", got)
	}
	want := []string{"item_names", "items"}
	for _, q := range []string{
		"select relname from pg_class where relkind in ('r', 'v', 'm', 'f', 'p') and relnamespace <> 'pg_catalog'::regnamespace and relnamespace <> 'information_schema'::regnamespace order by 1",
		"select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname not in ('pg_catalog', 'information_schema') and c.relkind <> 'i' order by 1",
		"select table_name from information_schema.tables where table_schema not in ('pg_catalog', 'information_schema') order by 1",
		"select tablename from pg_tables where schemaname = 'public' union all select viewname from pg_views where schemaname = 'public' order by 1",
		"select relname from pg_class where relname in ('floe_session', 'generate_series') union all select table_name from information_schema.tables where table_name in ('floe_session', 'generate_series') union all select 'item_names' union all select 'items' order by 1",
	} {
		if got := catRows(t, c, q); !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", q, got, want)
		}
	}
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName = "alice", "alice-secret", "tcp", g.my, "lite"
	cfg.Timeout = 10 * time.Second
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var user string
	if err := db.QueryRowContext(ctx, "SELECT user_name FROM temp.floe_session").Scan(&user); err != nil || user != "alice" {
		t.Fatalf("temp.floe_session over MySQL: %q %v", user, err)
	}
	for _, q := range []string{
		"SHOW TABLES",
		"SHOW FULL TABLES",
		"SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY 1",
		"SELECT table_name FROM information_schema.tables WHERE table_schema NOT IN ('information_schema', 'mysql', 'performance_schema', 'sys') ORDER BY 1",
	} {
		rows, err := db.QueryContext(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		var got []string
		for rows.Next() {
			cols, _ := rows.Columns()
			vals := make([]sql.RawBytes, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			got = append(got, strings.ToLower(string(vals[0])))
		}
		rows.Close()
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", q, got, want)
		}
	}
}
