package arrowsql

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
)

// sumRows reads a partitioned stream: row count, sum of column 0, NULLs
// in column 0.
func sumRows(t *testing.T, r array.RecordReader) (rows, sum, nulls int64) {
	t.Helper()
	defer r.Release()
	for r.Next() {
		b := r.RecordBatch()
		c := b.Column(0)
		for i := 0; i < c.Len(); i++ {
			rows++
			if c.IsNull(i) {
				nulls++
				continue
			}
			var v int64
			fmt.Sscan(c.ValueStr(i), &v)
			sum += v
		}
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return
}

func TestPartitionedPostgres(t *testing.T) {
	c := pgConn(t)
	ctx := context.Background()
	if _, err := c.Exec(ctx, "CREATE TABLE p AS SELECT g AS id, g % 7 AS k FROM generate_series(-5000, 5000) g; INSERT INTO p VALUES (NULL, 1), (NULL, 2)"); err != nil {
		t.Fatal(err)
	}
	var search string
	if err := c.QueryRow(ctx, "SHOW search_path").Scan(&search); err != nil {
		t.Fatal(err)
	}
	var opened atomic.Int32
	query := func(ctx context.Context, q string, args []any, opts Options) (*Reader, error) {
		conn, err := ConnectPostgres(ctx, pgDSN())
		if err != nil {
			return nil, err
		}
		opened.Add(1)
		if _, err := conn.Exec(ctx, "SET search_path = "+search); err != nil {
			return nil, err
		}
		return QueryPostgres(ctx, conn, q, args, opts, func(bool) { conn.Close(context.Background()) })
	}
	for _, n := range []int{1, 3, 8} {
		opened.Store(0)
		r, err := QueryPartitioned(ctx, query, "SELECT id, k FROM p WHERE k <> $1", []any{6}, Partitioning{Column: "id", Partitions: n}, Options{BatchRows: 500})
		if err != nil {
			t.Fatal(err)
		}
		var want struct{ rows, sum int64 }
		if err := c.QueryRow(ctx, "SELECT count(*), coalesce(sum(id), 0) FROM p WHERE k <> 6").Scan(&want.rows, &want.sum); err != nil {
			t.Fatal(err)
		}
		rows, sum, nulls := sumRows(t, r)
		if rows != want.rows || sum != want.sum || nulls != 2 {
			t.Errorf("%d partitions: %d rows (sum %d, %d NULL), want %d (sum %d, 2 NULL)", n, rows, sum, nulls, want.rows, want.sum)
		}
		if int(opened.Load()) != n+1 {
			t.Errorf("%d partitions ran on %d connections, want %d", n, opened.Load(), n+1)
		}
	}
	// Fewer distinct integers than partitions; an empty result.
	r, err := QueryPartitioned(ctx, query, "SELECT id FROM p WHERE id BETWEEN 1 AND 2", nil, Partitioning{Column: "id", Partitions: 8}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rows, sum, _ := sumRows(t, r); rows != 2 || sum != 3 {
		t.Errorf("small range: %d rows sum %d", rows, sum)
	}
	r, err = QueryPartitioned(ctx, query, "SELECT id FROM p WHERE false", nil, Partitioning{Column: "id", Partitions: 4}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rows, _, _ := sumRows(t, r); rows != 0 {
		t.Errorf("empty: %d rows", rows)
	}
	// A text column is refused.
	if _, err := QueryPartitioned(ctx, query, "SELECT 'x' AS s", nil, Partitioning{Column: "s", Partitions: 2}, Options{}); err == nil {
		t.Error("partitioning on text accepted")
	}
	// Releasing early stops every range.
	r, err = QueryPartitioned(ctx, query, "SELECT g AS id FROM generate_series(1, 2000000) g", nil, Partitioning{Column: "id", Partitions: 2}, Options{BatchRows: 100})
	if err != nil {
		t.Fatal(err)
	}
	r.Next()
	r.Release()
}

func TestPartitionedMySQLAndSQLite(t *testing.T) {
	ctx := context.Background()
	m := myConn(t)
	if _, err := m.Execute("CREATE TABLE `we``ird` (`i d` INT)"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Execute("INSERT INTO `we``ird` SELECT seq FROM seq_1_to_1000"); err != nil {
		t.Fatal(err)
	}
	db := m.Conn.GetDB()
	myQuery := func(ctx context.Context, q string, args []any, opts Options) (*Reader, error) {
		c, err := ConnectMySQL(ctx, mysqlURL(db))
		if err != nil {
			return nil, err
		}
		return QueryMySQL(ctx, c, q, args, opts, func(bool) { c.Close() })
	}
	r, err := QueryPartitioned(ctx, myQuery, "SELECT `i d` FROM `we``ird`", nil, Partitioning{Column: "i d", Partitions: 3, Dialect: DialectMySQL}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rows, sum, _ := sumRows(t, r); rows != 1000 || sum != 500500 {
		t.Errorf("mysql: %d rows sum %d", rows, sum)
	}

	path := t.TempDir() + "/p.db"
	sdb, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	if _, err := sdb.Exec("CREATE TABLE t (n INTEGER); WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 999) INSERT INTO t SELECT n FROM s"); err != nil {
		t.Fatal(err)
	}
	liteQuery := func(ctx context.Context, q string, args []any, opts Options) (*Reader, error) {
		c, err := sdb.Conn(ctx)
		if err != nil {
			return nil, err
		}
		return QuerySQLite(ctx, c, q, args, opts, func(bool) { c.Close() })
	}
	r, err = QueryPartitioned(ctx, liteQuery, "SELECT n FROM t", nil, Partitioning{Column: "n", Partitions: 4}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rows, sum, _ := sumRows(t, r); rows != 999 || sum != 499500 {
		t.Errorf("sqlite: %d rows sum %d", rows, sum)
	}
}
