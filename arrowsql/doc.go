// Package arrowsql runs SQL against PostgreSQL, MySQL/MariaDB or SQLite
// and streams the result as Apache Arrow record batches.
//
// It is the conversion core of Floe's data API and Flight SQL server and
// is usable on its own, without the gateway:
//
//	conn, _ := arrowsql.ConnectPostgres(ctx, "postgres://…")
//	rdr, err := arrowsql.QueryPostgres(ctx, conn, "SELECT * FROM t WHERE id > $1", []any{10}, arrowsql.Options{})
//	defer rdr.Release()
//	for rdr.Next() {
//		batch := rdr.RecordBatch() // valid until the next call to Next
//		…
//	}
//	err = rdr.Err()
//
// # Data flow
//
// A query is described first (PostgreSQL: a Parse/Describe round trip;
// MySQL: the result set's column definitions; SQLite: declared column
// types) and each result column gets an Arrow type and a decoder writing
// straight into that column's builder. Rows are then read one at a time
// from the server's stream and decoded into the builders; a batch is cut
// when it holds Options.BatchRows rows or Options.BatchBytes bytes of raw
// values, so memory stays bounded by one batch whatever the result size.
// No per-row maps and no reflection are used on the row path: PostgreSQL
// values arrive in the binary format and are decoded from their bytes;
// MySQL values arrive as the server's text (or binary) encodings and are
// parsed without allocation where the type allows.
//
// Parameters are always bound by the server (extended protocol or
// prepared statements), never interpolated into the text.
//
// # Lifecycle
//
// A Reader owns the connection it reads from until Release. Cancelling the
// context given to the Query function stops the statement on the server
// (a cancel request for PostgreSQL, KILL QUERY for MySQL) and ends the
// stream with the context's error; Release before the end does the same.
// Readers are not safe for concurrent use; the batch returned by
// RecordBatch is released by the next call to Next or by Release (Retain
// it to keep it longer).
//
// # Types
//
// The mapping from database types to Arrow types is listed in the
// table in TYPES.md next to this file; values that no
// Arrow type of the column can hold (a PostgreSQL infinite timestamp, a
// NaN in a numeric exported as decimal) end the stream with an error
// naming the column instead of being changed silently.
package arrowsql
