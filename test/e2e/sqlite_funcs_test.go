package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestSQLiteNumericAndFunctions reads a NUMERIC(10,2) column of the
// embedded engine over both protocols (text and binary results) and
// calls PostgreSQL functions the engine registers.
func TestSQLiteNumericAndFunctions(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e")
	}
	g := start(t, sqliteConfig(filepath.Join(t.TempDir(), "lite.db")))
	ctx := context.Background()
	c := g.connect(t, "alice", "alice-secret", "lite")
	for _, q := range []string{
		"CREATE TABLE money (id INTEGER PRIMARY KEY, amount NUMERIC(10,2))",
		"INSERT INTO money (amount) VALUES (0.1), (0.2), (217.62), (12)",
	} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	// The text PostgreSQL sends, as it arrives.
	texts := func(q string) []string {
		t.Helper()
		rows, err := c.Query(ctx, q, pgx.QueryResultFormats{pgx.TextFormatCode})
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			for _, v := range rows.RawValues() {
				out = append(out, string(v))
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return out
	}
	if got := strings.Join(texts("SELECT amount FROM money ORDER BY id"), ","); got != "0.10,0.20,217.62,12.00" {
		t.Errorf("NUMERIC(10,2) as text: %s", got)
	}
	// sum() of a NUMERIC column adds the decimals exactly (SQLite alone
	// would show 217.92000000000002).
	if got := strings.Join(texts("SELECT sum(amount) FROM money WHERE id <= 3"), ","); got != "217.92" {
		t.Errorf("sum of NUMERIC: %s", got)
	}
	// Binary results: the value is the decimal's nearest double.
	var sum float64
	if err := c.QueryRow(ctx, "SELECT amount FROM money WHERE id = $1", 3).Scan(&sum); err != nil || sum != 217.62 {
		t.Errorf("NUMERIC(10,2) binary: %v %v", sum, err)
	}
	got := texts(`SELECT lpad('7', 3, '0'), interval '90 minutes', timestamp '2024-01-31' + interval '1 month',
		(SELECT string_agg(g::text, ',') FROM generate_series(1, 7, 3) AS g), json_build_object('n', 1), random() < 1`)
	if want := []string{"007", "01:30:00", "2024-02-29 00:00:00", "1,4,7", `{"n" : 1}`, "t"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("functions: %q, want %q", got, want)
	}
	// A function's error carries PostgreSQL's SQLSTATE; the session goes on.
	if _, err := c.Exec(ctx, "SELECT mod(1, 0)"); sqlstate(err) != "22012" {
		t.Errorf("mod(1, 0): %v", err)
	}
	if got := texts("SELECT count(*) FROM money"); len(got) != 1 || got[0] != "4" {
		t.Errorf("after the error: %v", got)
	}

	// MySQL: text protocol and prepared (binary) statements.
	for name, params := range map[string]map[string]string{"text": {"interpolateParams": "true"}, "binary": nil} {
		db := g.mydb(t, "alice", "alice-secret", "lite", params)
		vals, err := sqlStrings(db.Query("SELECT amount FROM money WHERE id > ? ORDER BY id", 0))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := strings.Join(vals, ","); got != "0.10,0.20,217.62,12.00" {
			t.Errorf("MySQL %s: DECIMAL(10,2) values %s", name, got)
		}
	}
}
