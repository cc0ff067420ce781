package catalog

import (
	"context"
	"testing"

	"github.com/floe-db/floe/internal/analysis"
)

func TestIndexKeyOnly(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"a", "a"},
		{"a DESC", "a"},
		{"b asc", "b"},
		{"a DESC NULLS LAST", "a"},
		{`"Odd Name" COLLATE nocase DESC`, `"Odd Name"`},
		{"lower(note)", "lower(note)"},
		{"(a || ' DESC')", "(a || ' DESC')"},
		{"descr", "descr"},
	} {
		if got := indexKeyOnly(c.in); got != c.want {
			t.Errorf("indexKeyOnly(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// A descending index column shows in pg_index.indoption (DESC | NULLS
// FIRST = 3, as PostgreSQL writes "DESC") and pg_get_indexdef(index,
// column, pretty) gives the column alone.
func TestIndexOptions(t *testing.T) {
	ctx := context.Background()
	db, conn := open(t, analysis.Postgres, "idxdb")
	if _, err := db.ExecContext(ctx, "CREATE INDEX orders_total_note ON orders (total, note DESC)"); err != nil {
		t.Fatal(err)
	}
	if err := Refresh(ctx, conn, analysis.Postgres, "idxdb"); err != nil {
		t.Fatal(err)
	}
	var opts, key, c1, c2 string
	err := conn.QueryRowContext(ctx, `SELECT i.indoption, i.indkey, pg_get_indexdef(c.oid, 1, 0), pg_get_indexdef(c.oid, 2, 0)
		FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'orders_total_note'`).Scan(&opts, &key, &c1, &c2)
	if err != nil {
		t.Fatal(err)
	}
	if opts != "0 3" || key != "3 4" || c1 != "total" || c2 != "note" {
		t.Errorf("indoption %q indkey %q columns %q %q, want \"0 3\" \"3 4\" total note", opts, key, c1, c2)
	}
}
