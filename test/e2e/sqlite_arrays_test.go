package e2e

import (
	"context"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// Array parameters of = ANY($1), <> ALL($1) and unnest($1) on the
// embedded engine: pgx sends them in binary (int8[], text[] … when the
// statement's parameter types come from the Go values: exec mode) or as
// PostgreSQL's array text (when the server left the type open, and as
// psycopg2 and node-postgres send them); results that are arrays come
// back in PostgreSQL's array text and scan into Go slices.
func TestSQLiteArrayParameters(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e")
	}
	ctx := context.Background()
	g := start(t, sqliteConfig(filepath.Join(t.TempDir(), "lite.db")))
	c := g.connect(t, "alice", "alice-secret", "lite")
	for _, q := range []string{
		"create table items (id integer primary key, name text not null, price real, ok boolean not null)",
		"insert into items values (1, 'apple', 1.5, true), (2, 'pear', 2, false), (3, 'a \"b\", c', 3.25, true), (4, 'fig', null, false)",
	} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	ids := func(t *testing.T, q string, args ...any) []int64 {
		t.Helper()
		rows, err := c.Query(ctx, q, args...)
		if err != nil {
			t.Fatalf("%s %v: %v", q, args, err)
		}
		out, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			t.Fatalf("%s %v: %v", q, args, err)
		}
		return out
	}
	// Binary arrays, with the array type named in Parse (as pgx does when
	// the statement's parameter types are known).
	tm := c.TypeMap()
	for _, tc := range []struct {
		q    string
		oid  uint32
		arg  any
		want []int64
	}{
		{"select id from items where id = any($1) order by id", pgtype.Int8ArrayOID, []int64{4, 2}, []int64{2, 4}},
		{"select id from items where id = any($1) order by id", pgtype.Int4ArrayOID, []int32{1}, []int64{1}},
		{"select id from items where id = any($1) order by id", pgtype.Int2ArrayOID, []int16{3, 1}, []int64{1, 3}},
		{"select id from items where name = any($1) order by id", pgtype.TextArrayOID, []*string{nil, ptr(`a "b", c`), ptr("fig")}, []int64{3, 4}},
		{"select id from items where name = any($1) order by id", pgtype.VarcharArrayOID, []string{"pear"}, []int64{2}},
		{"select id from items where price = any($1) order by id", pgtype.Float8ArrayOID, []float64{1.5, 3.25}, []int64{1, 3}},
		{"select id from items where price = any($1) order by id", pgtype.NumericArrayOID, []float64{2}, []int64{2}},
		{"select id from items where ok = any($1) order by id", pgtype.BoolArrayOID, []bool{true}, []int64{1, 3}},
		{"select id from items where id <> all($1) order by id", pgtype.Int8ArrayOID, []int64{}, []int64{1, 2, 3, 4}},
		{"select id from items where id = any($1) order by id", pgtype.Int8ArrayOID, [][]int64{{1, 2}, {3, 9}}, []int64{1, 2, 3}},
	} {
		buf, err := tm.Encode(tc.oid, pgtype.BinaryFormatCode, tc.arg, nil)
		if err != nil {
			t.Fatal(err)
		}
		res := c.PgConn().ExecParams(ctx, tc.q, [][]byte{buf}, []uint32{tc.oid}, []int16{pgtype.BinaryFormatCode}, nil).Read()
		if res.Err != nil {
			t.Errorf("%s (binary OID %d) %v: %v", tc.q, tc.oid, tc.arg, res.Err)
			continue
		}
		var got []int64
		for _, r := range res.Rows {
			n, _ := strconv.ParseInt(string(r[0]), 10, 64)
			got = append(got, n)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s (binary OID %d) %v: %v, want %v", tc.q, tc.oid, tc.arg, got, tc.want)
		}
	}
	modes := []pgx.QueryExecMode{pgx.QueryExecModeExec, pgx.QueryExecModeCacheStatement, pgx.QueryExecModeDescribeExec, pgx.QueryExecModeSimpleProtocol}
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			for _, tc := range []struct {
				q    string
				arg  any
				want []int64
			}{
				{"select id from items where id = any($1) order by id", []int64{1, 3, 9}, []int64{1, 3}},
				{"select id from items where id = any($1) order by id", []int32{2, 4}, []int64{2, 4}},
				{"select id from items where id <> all($1) order by id", []int64{1, 2}, []int64{3, 4}},
				{"select id from items where name = any($1) order by id", []string{"pear", `a "b", c`, "nope"}, []int64{2, 3}},
				{"select id from items where price = any($1) order by id", []float64{2, 3.25}, []int64{2, 3}},
				{"select id from items where ok = any($1::bool[]) order by id", []bool{false}, []int64{2, 4}},
				{"select id from items where id = any($1) order by id", []int64{}, nil},
				{"select u::bigint from unnest($1::int8[]) u order by 1 desc", []int64{5, 7}, []int64{7, 5}},
				// Text: PostgreSQL's array text as a string parameter.
				{"select id from items where id = any($1::int[]) order by id", "{4,1}", []int64{1, 4}},
				{"select id from items where name = any($1::text[]) order by id", `{"a \"b\", c",NULL,fig}`, []int64{3, 4}},
			} {
				if got := ids(t, tc.q, mode, tc.arg); !slices.Equal(got, tc.want) {
					t.Errorf("%s %v: %v, want %v", tc.q, tc.arg, got, tc.want)
				}
			}
			// A malformed array is the client's error, and the session goes on.
			_, err := c.Exec(ctx, "select 1 where 1 = any($1::int[])", mode, "{1,")
			if err == nil || !strings.Contains(err.Error(), "malformed array literal") || sqlstate(err) != "22P02" {
				t.Errorf("malformed array: %v", err)
			}
			// Arrays in results: PostgreSQL's array text, read into slices.
			var names []string
			var nums []string
			if err := c.QueryRow(ctx, "select array(select name from items where id = any($1) order by id), array[1, 2]", mode, []int64{1, 3}).Scan(&names, &nums); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(names, []string{"apple", `a "b", c`}) || !slices.Equal(nums, []string{"1", "2"}) {
				t.Errorf("arrays: %q %q", names, nums)
			}
		})
	}
}
