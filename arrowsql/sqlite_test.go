package arrowsql

import (
	"context"
	"fmt"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

var sqliteTypeCases = []typeCase{
	{"INTEGER", []string{"-9223372036854775808", "9223372036854775807", "2.0"}, "int64", []string{"-9223372036854775808", "9223372036854775807", "2"}},
	{"BIGINT", []string{"5"}, "int64", []string{"5"}},
	{"REAL", []string{"1.5", "3"}, "float64", []string{"1.5", "3"}},
	{"NUMERIC(10,2)", []string{"12.25"}, "float64", []string{"12.25"}},
	{"TEXT", []string{"'héllo'", "''", "42"}, "utf8", []string{"héllo", "", "42"}},
	{"VARCHAR(10)", []string{"'abc'"}, "utf8", []string{"abc"}},
	{"BLOB", []string{"x'00ff10'"}, "binary", []string{"AP8Q"}},
	{"BOOLEAN", []string{"1", "0"}, "bool", []string{"true", "false"}},
	{"DATE", []string{"'2024-02-29'"}, "date32", []string{"2024-02-29"}},
	{"DATETIME", []string{"'2024-05-06 07:08:09.123456'", "'2024-05-06T07:08:09Z'"}, "timestamp[us, tz=UTC]", []string{"2024-05-06T07:08:09.123456Z", "2024-05-06T07:08:09Z"}},
}

func TestSQLiteTypes(t *testing.T) {
	c := sqliteConn(t)
	ctx := context.Background()
	for _, tc := range sqliteTypeCases {
		t.Run(tc.dbType, func(t *testing.T) {
			if _, err := c.ExecContext(ctx, "DROP TABLE IF EXISTS v; CREATE TABLE v (k INTEGER, v "+tc.dbType+"); INSERT INTO v VALUES "+tc.valuesRows()); err != nil {
				t.Fatal(err)
			}
			r, err := QuerySQLite(ctx, c, "SELECT v FROM v ORDER BY k = 0, k", nil, Options{}, nil)
			tc.check(t, r, err)
		})
	}
}

// Computed columns take the type of their first value; a later value of
// another kind ends the stream with an error naming the column.
func TestSQLiteUntyped(t *testing.T) {
	c := sqliteConn(t)
	ctx := context.Background()
	r, err := QuerySQLite(ctx, c, "SELECT NULL AS a, 1 + ? AS b, 'x' || ? AS c, 2.5 AS d, NULL AS e UNION ALL SELECT 7, 3, 'y', 1, NULL", []any{1, "z"}, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, cols := collect(t, r)
	if got := fmt.Sprint(s.Field(0).Type, s.Field(1).Type, s.Field(2).Type, s.Field(3).Type, s.Field(4).Type); got != "int64 int64 utf8 float64 utf8" {
		t.Errorf("types %s", got)
	}
	if got := fmt.Sprint(cols); got != "[[(null) 7] [2 3] [xz y] [2.5 1] [(null) (null)]]" {
		t.Errorf("values %s", got)
	}
	r, err = QuerySQLite(ctx, c, "SELECT 1 AS n UNION ALL SELECT 'text'", nil, Options{BatchRows: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantColumnError(t, r, "n", "text in an integer column")
}

func TestSQLiteMaskAndBatches(t *testing.T) {
	c := sqliteConn(t)
	ctx := context.Background()
	if _, err := c.ExecContext(ctx, "CREATE TABLE p (id INTEGER, email TEXT, born DATE); INSERT INTO p VALUES (1, 'a@x', '2000-01-02'), (2, NULL, NULL)"); err != nil {
		t.Fatal(err)
	}
	opts := Options{Mask: emailBornMasks(nil)}
	r, err := QuerySQLite(ctx, c, "SELECT id, email AS e, born FROM p ORDER BY id", nil, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, cols := collect(t, r)
	if got := fmt.Sprint(cols); got != "[[1 2] [<A@X> (null)] [(null) (null)]]" {
		t.Errorf("values %s", got)
	}
	if _, err := c.ExecContext(ctx, "CREATE TABLE big AS WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 2500) SELECT n FROM s"); err != nil {
		t.Fatal(err)
	}
	r, err = QuerySQLite(ctx, c, "SELECT n FROM big", nil, Options{BatchRows: 1000}, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantBatches(t, r, 2500, 3)
	if _, err := QuerySQLite(ctx, c, "SELECT nope FROM big", nil, Options{}, nil); err == nil || !strings.Contains(err.Error(), "no such column") {
		t.Fatalf("error %v", err)
	}
}
