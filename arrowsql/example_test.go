package arrowsql_test

import (
	"context"
	"fmt"
	"log"

	"github.com/floe-db/floe/arrowsql"
)

// Stream a PostgreSQL query as Arrow record batches of at most 10,000 rows.
func ExampleQueryPostgres() {
	ctx := context.Background()
	conn, err := arrowsql.ConnectPostgres(ctx, "postgres://postgres@127.0.0.1:5432/postgres")
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close(ctx)
	rdr, err := arrowsql.QueryPostgres(ctx, conn, "SELECT oid, relname FROM pg_class WHERE relpages > $1", []any{0},
		arrowsql.Options{BatchRows: 10000}, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer rdr.Release()
	for rdr.Next() {
		batch := rdr.RecordBatch()
		fmt.Println(batch.NumRows(), "rows of", rdr.Schema())
	}
	if err := rdr.Err(); err != nil {
		log.Fatal(err)
	}
}

// Stream a MySQL query; decimals as exact strings.
func ExampleQueryMySQL() {
	ctx := context.Background()
	conn, err := arrowsql.ConnectMySQL(ctx, "mysql://root@127.0.0.1:3306/test")
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	rdr, err := arrowsql.QueryMySQL(ctx, conn, "SELECT * FROM orders WHERE placed > ?", []any{"2024-01-01"},
		arrowsql.Options{Numeric: arrowsql.NumericString}, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer rdr.Release()
	for rdr.Next() {
		fmt.Println(rdr.RecordBatch().NumRows())
	}
	if err := rdr.Err(); err != nil {
		log.Fatal(err)
	}
}
