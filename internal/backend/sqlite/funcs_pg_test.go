package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/floe-db/floe/internal/sqlerr"
)

// funcsConn is a connection of the driver with the PostgreSQL functions
// registered (an in-memory database of its own).
func funcsConn(t *testing.T) *sql.Conn {
	t.Helper()
	registerPGFunctions()
	db, err := openDB(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// sqliteText runs SELECT expr and gives the value's text as the
// PostgreSQL front end would send it ("NULL" for NULL).
func sqliteText(ctx context.Context, conn *sql.Conn, expr string) (string, error) {
	var v any
	if err := conn.QueryRowContext(ctx, "SELECT "+expr).Scan(&v); err != nil {
		return "", SQLError(err)
	}
	if v == nil {
		return "NULL", nil
	}
	return string(AppendText(nil, typeOfValue(v), v)), nil
}

func TestPGFunctions(t *testing.T) {
	ctx := context.Background()
	conn := funcsConn(t)
	cases := []struct{ expr, want string }{
		{"floe_regexp('^a.c$', 'abc', '')", "1"},
		{"floe_regexp('^A', 'abc', '')", "0"},
		{"floe_regexp('^A', 'abc', 'i')", "1"},
		{"floe_regexp('x', NULL, '')", "NULL"},
		{"greatest(1, NULL, 3, 2)", "3"},
		{"least(NULL, 'b', 'a')", "a"},
		{"greatest(NULL, NULL)", "NULL"},
		{"left('abcde', -2)", "abc"},
		{"right('abcde', 2)", "de"},
		{"lpad('7', 3, '0')", "007"},
		{"rpad('ab', 5, 'xy')", "abxyx"},
		{"lpad('abcdef', 3)", "abc"},
		{"repeat('ab', 3)", "ababab"},
		{"reverse('héllo')", "olléh"},
		{"split_part('a,b,c', ',', 2)", "b"},
		{"split_part('a,b,c', ',', -1)", "c"},
		{"split_part('a,b,c', ',', 7)", ""},
		{"strpos('héllo', 'l')", "3"},
		{"initcap('hello wORLD-foo')", "Hello World-Foo"},
		{"md5('abc')", "900150983cd24fb0d6963f7d28e17f72"},
		{"btrim('xxhixx', 'x')", "hi"},
		{"translate('12345', '143', 'ax')", "a2x5"},
		{"starts_with('alphabet', 'alph')", "1"},
		{"regexp_replace('foobarbar', 'b(..)', 'X\\1Y')", "fooXarYbar"},
		{"regexp_replace('foobarbar', 'b(..)', 'X\\1Y', 'g')", "fooXarYXarY"},
		{"regexp_match('foobarbequebaz', '(bar)(beque)')", `["bar", "beque"]`},
		{"regexp_matches('ab ac', 'a(.)', 'g')", `[["b"], ["c"]]`},
		{"json_build_object('a', 1, 'b', 'x', 'c', NULL)", `{"a" : 1, "b" : "x", "c" : null}`},
		{"jsonb_build_object('bb', 1, 'a', json_build_array(1, 'x'))", `{"a": [1, "x"], "bb": 1}`},
		{"json_build_array(1, 2.5, 'q\"')", `[1, 2.5, "q\""]`},
		{"to_json('x')", `"x"`},
		{"round(2.5)", "3"},
		{"round(-2.5)", "-3"},
		{"round(1.005, 2)", "1.01"},
		{"round(1234, -2)", "1200"},
		{"trunc(2.789, 1)", "2.7"},
		{"trunc(-2.7)", "-2"},
		{"mod(7, 3)", "1"},
		{"mod(-7, 3)", "-1"},
		{"div(7, 2)", "3"},
		{"floe_interval('1 year 2 months 3 days 4 hours 5 minutes 6 seconds')", "1 year 2 mons 3 days 04:05:06"},
		{"floe_interval('2 hours')", "02:00:00"},
		{"floe_interval('1 day')", "1 day"},
		{"floe_interval('-1 day 2 hours')", "-1 days +02:00:00"},
		{"floe_interval('1.5 days')", "1 day 12:00:00"},
		{"floe_interval('90 minutes ago')", "-01:30:00"},
		{"floe_ts_add('2024-01-31 10:00:00', '1 month')", "2024-02-29 10:00:00"},
		{"floe_ts_sub('2024-03-01', '1 day')", "2024-02-29 00:00:00"},
		{"floe_ts_add('2024-01-01 00:00:00', '1 day 02:30:00.5')", "2024-01-02 02:30:00.5"},
		{"date_trunc('month', '2024-02-15 10:11:12')", "2024-02-01 00:00:00"},
		{"date_trunc('week', '2024-02-15 10:11:12')", "2024-02-12 00:00:00"},
		{"extract('year', '2024-02-15 10:11:12')", "2024"},
		{"extract('dow', '2024-02-15')", "4"},
		{"extract('epoch', '2024-01-01 00:00:01.5')", "1704067201.5"},
		{"date_part('quarter', '2024-05-01')", "2"},
		{"extract('hour', '3 days 04:05:06')", "4"},
		{"age('2024-03-01', '2023-01-31')", "1 year 1 mon 1 day"},
		{"age('2023-01-31', '2024-03-01')", "-1 years -1 mons -1 days"},
		{"to_char('2024-02-05 13:04:05', 'YYYY-MM-DD HH24:MI:SS')", "2024-02-05 13:04:05"},
		{"to_char('2024-02-05 13:04:05', 'FMDay, DD Mon YYYY HH12:MI AM')", "Monday, 05 Feb 2024 01:04 PM"},
		{"to_timestamp(0)", "1970-01-01 00:00:00"},
		{"to_timestamp('05 Feb 2024 13:04', 'DD Mon YYYY HH24:MI')", "2024-02-05 13:04:00"},
		{"to_date('2024/02/05', 'YYYY/MM/DD')", "2024-02-05"},
		{"make_date(2024, 2, 29)", "2024-02-29"},
		{"make_timestamp(2024, 2, 29, 10, 5, 6.5)", "2024-02-29 10:05:06.5"},
		{"(SELECT group_concat(generate_series, ',') FROM generate_series(1, 5, 2))", "1,3,5"},
		{"(SELECT count(*) FROM generate_series(5, 1))", "0"},
		{"(SELECT group_concat(generate_series, ',') FROM generate_series('2024-01-31', '2024-04-30', '1 month'))", "2024-01-31 00:00:00,2024-02-29 00:00:00,2024-03-29 00:00:00,2024-04-29 00:00:00"},
		{"(SELECT json_agg(x) FROM (SELECT 1 AS x UNION ALL SELECT 'a'))", `[1, "a"]`},
		{"(SELECT json_object_agg(k, v) FROM (SELECT 'a' AS k, 1 AS v UNION ALL SELECT 'b', 2))", `{ "a" : 1, "b" : 2 }`},
		{"(SELECT floe_numeric_sum(x) FROM (SELECT 217.92 AS x UNION ALL SELECT 0.1 UNION ALL SELECT 0.2))", "218.22"},
		{"(SELECT floe_numeric_sum(x) FROM (SELECT 0.1 AS x UNION ALL SELECT 0.2))", "0.3"},
		{"(SELECT floe_numeric_sum(x) FROM (SELECT 2 AS x UNION ALL SELECT 3))", "5"},
		{"(SELECT floe_numeric_sum(x) FROM (SELECT NULL AS x))", "NULL"},
	}
	for _, c := range cases {
		got, err := sqliteText(ctx, conn, c.expr)
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s = %q, want %q", c.expr, got, c.want)
		}
	}
}

func TestPGFunctionRandom(t *testing.T) {
	ctx := context.Background()
	conn := funcsConn(t)
	var lo, hi float64
	var n int
	if err := conn.QueryRowContext(ctx, "SELECT min(r), max(r), count(DISTINCT r) FROM (SELECT random() AS r FROM generate_series(1, 1000))").Scan(&lo, &hi, &n); err != nil {
		t.Fatal(err)
	}
	if lo < 0 || hi >= 1 || n < 990 || hi-lo < 0.5 {
		t.Fatalf("random(): min %v max %v distinct %d, want floats spread over [0,1)", lo, hi, n)
	}
	var u1, u2 string
	if err := conn.QueryRowContext(ctx, "SELECT gen_random_uuid(), gen_random_uuid()").Scan(&u1, &u2); err != nil {
		t.Fatal(err)
	}
	if len(u1) != 36 || u1 == u2 || u1[14] != '4' || !strings.ContainsAny(u1[19:20], "89ab") {
		t.Fatalf("gen_random_uuid(): %q %q", u1, u2)
	}
	var now string
	if err := conn.QueryRowContext(ctx, "SELECT now()").Scan(&now); err != nil || len(now) != 26 {
		t.Fatalf("now() = %q, %v", now, err)
	}
	_ = math.Abs
}

func TestPGFunctionErrors(t *testing.T) {
	ctx := context.Background()
	conn := funcsConn(t)
	for expr, code := range map[string]string{
		"mod(1, 0)":                                sqlerr.DivisionByZero,
		"div(1.5, 0)":                              sqlerr.DivisionByZero,
		"floe_regexp('(', 'x', '')":                sqlerr.InvalidRegularExpression,
		"floe_interval('3 fortnights')":            sqlerr.InvalidDatetimeFormat,
		"make_date(2023, 2, 29)":                   sqlerr.DatetimeFieldOverflow,
		"split_part('a', ',', 0)":                  sqlerr.InvalidParameterValue,
		"json_build_object('a')":                   sqlerr.InvalidParameterValue,
		"date_trunc('fortnight', '2024-01-01')":    sqlerr.InvalidParameterValue,
		"(SELECT 1 FROM generate_series(1, 5, 0))": sqlerr.InvalidParameterValue,
		"repeat('x', 1000000000)":                  sqlerr.ProgramLimitExceeded,
		"repeat('abcd', 4611686018427387904)":      sqlerr.ProgramLimitExceeded,
		"lpad('x', 9223372036854775807)":           sqlerr.ProgramLimitExceeded,
		"round(1.5, 100000)":                       sqlerr.NumericValueOutOfRange,
		"to_timestamp(1e300)":                      sqlerr.DatetimeFieldOverflow,
		"floe_interval_mul('1 day', 1e400)":        sqlerr.NumericValueOutOfRange,
		"regexp_replace('aa', '(a)\\1', 'x')":      sqlerr.InvalidRegularExpression,
	} {
		_, err := sqliteText(ctx, conn, expr)
		var e *sqlerr.Error
		if !errors.As(err, &e) || e.Code != code {
			t.Errorf("%s: error %v, want SQLSTATE %s", expr, err, code)
		}
	}
	// The connection goes on.
	if got, err := sqliteText(ctx, conn, "lpad('1', 2, '0')"); err != nil || got != "01" {
		t.Fatalf("after the errors: %q %v", got, err)
	}
}

func TestNumericText(t *testing.T) {
	n2 := Column{Name: "x", Decl: "NUMERIC(10,2)", Type: TypeNumeric}
	bare := Column{Name: "x", Decl: "NUMERIC", Type: TypeNumeric}
	d5 := Column{Name: "x", Decl: "DECIMAL(5)", Type: TypeNumeric}
	d3 := Column{Name: "x", Decl: "DECIMAL(8, 3)", Type: TypeNumeric}
	real := Column{Name: "x", Decl: "REAL", Type: TypeFloat}
	tenth := 0.1 // a variable: constant arithmetic would be exact
	cases := []struct {
		col  Column
		v    any
		want string
	}{
		{n2, 217.92000000000002, "217.92"},
		{n2, int64(12), "12.00"},
		{n2, 9.9, "9.90"},
		{n2, 2.675, "2.68"},
		{n2, -0.005, "-0.01"},
		{n2, 0.001, "0.00"},
		{n2, "3.5", "3.50"},
		{bare, tenth + 0.2, "0.3"},
		{bare, int64(7), "7"},
		{bare, 1e20, "100000000000000000000"},
		{d5, 2.5, "3"},
		{d3, 1.0005, "1.001"},
		{real, tenth + 0.2, "0.30000000000000004"},
		{real, 1704067201.5, "1704067201.5"},
		{real, 1e15, "1e+15"},
		{real, 0.00001, "1e-05"},
		{real, 0.0001, "0.0001"},
	}
	for _, c := range cases {
		if got := string(c.col.AppendText(nil, c.v)); got != c.want {
			t.Errorf("%s %v: %q, want %q", c.col.Decl, c.v, got, c.want)
		}
	}
	if got := string(AppendText(nil, TypeNumeric, 217.92000000000002)); got != "217.92" {
		t.Errorf("AppendText(numeric) = %q", got)
	}
	if v, err := n2.Convert(217.92000000000002); err != nil || v != 217.92 {
		t.Errorf("Convert = %v, %v", v, err)
	}
	if v, err := Convert(TypeNumeric, tenth+0.2); err != nil || v != 0.3 {
		t.Errorf("Convert(numeric) = %v, %v", v, err)
	}
}

// TestNumericColumn checks a NUMERIC(10,2) column through a cursor: the
// declared scale shows, and floe_numeric_sum adds the decimals exactly
// where SQLite's sum of REALs does not.
func TestNumericColumn(t *testing.T) {
	ctx := context.Background()
	conn := funcsConn(t)
	for _, q := range []string{
		"CREATE TABLE money (id INTEGER PRIMARY KEY, amount NUMERIC(10,2))",
		"INSERT INTO money (amount) VALUES (0.1), (0.2), (217.62), (12), (NULL)",
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	rows := func(q string) []string {
		t.Helper()
		rctx, cancel := context.WithCancel(ctx)
		cur, err := openCursor(rctx, cancel, conn, q, nil, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer cur.Close()
		var out []string
		vals := make([]any, len(cur.Columns))
		for {
			ok, err := cur.Next(vals)
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				return out
			}
			if vals[0] == nil {
				out = append(out, "NULL")
				continue
			}
			out = append(out, string(cur.Columns[0].AppendText(nil, vals[0])))
		}
	}
	if got := strings.Join(rows("SELECT amount FROM money ORDER BY id"), ","); got != "0.10,0.20,217.62,12.00,NULL" {
		t.Errorf("amounts: %s", got)
	}
	var raw float64
	if err := conn.QueryRowContext(ctx, "SELECT sum(amount) FROM money WHERE id <= 3").Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if got := rows("SELECT floe_numeric_sum(amount) FROM money WHERE id <= 3"); len(got) != 1 || got[0] != "217.92" {
		t.Errorf("floe_numeric_sum = %v (SQLite's sum: %v)", got, raw)
	}
	if got := rows("SELECT floe_numeric_sum(amount) FROM money"); len(got) != 1 || got[0] != "229.92" {
		t.Errorf("floe_numeric_sum with an integer and a NULL = %v", got)
	}
	// As a window function.
	if got := strings.Join(rows("SELECT floe_numeric_sum(amount) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM money ORDER BY id"), ","); got != "0.1,0.3,217.82,229.62,12" {
		t.Errorf("windowed floe_numeric_sum: %s", got)
	}
}
