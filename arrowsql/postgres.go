package arrowsql

import (
	"context"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
)

// ConnectPostgres opens a PostgreSQL connection set up for exports: a
// cancelled context sends the server a cancel request (so the statement
// stops there too) before the connection gives up.
func ConnectPostgres(ctx context.Context, dsn string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	PrepareConfig(cfg)
	return pgx.ConnectConfig(ctx, cfg)
}

// PrepareConfig sets up a connection config (also one of a pgxpool) as
// ConnectPostgres does.
func PrepareConfig(cfg *pgx.ConnConfig) {
	cfg.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: 2 * time.Second}
	}
}

// preparedName is the statement name a query is prepared under.
const preparedName = "floe_arrow"

// QueryPostgres runs sql with args on conn and streams its result. The
// statement is prepared first to learn its column types, then executed
// with binary results for every type with a binary decoder here (text
// otherwise). done, if not nil, is called once when the reader no longer
// needs conn; broken says the connection was closed or is in an unknown
// state and must not be reused.
func QueryPostgres(ctx context.Context, conn *pgx.Conn, sql string, args []any, opts Options, done func(broken bool)) (*Reader, error) {
	opts = opts.withDefaults()
	if done == nil {
		done = func(bool) {}
	}
	sd, err := conn.Prepare(ctx, preparedName, sql)
	if err != nil {
		done(conn.IsClosed())
		return nil, err
	}
	fields := sd.Fields
	cols := make([]pgColumn, len(fields))
	for i, f := range fields {
		cols[i] = pgColumnFor(f.DataTypeOID, f.TypeModifier, opts.Numeric)
	}
	var masks []Masker
	if opts.Mask != nil && len(fields) > 0 {
		origins, err := pgOrigins(ctx, conn, fields)
		if err != nil {
			_ = conn.Deallocate(ctx, preparedName)
			done(conn.IsClosed())
			return nil, err
		}
		masks = make([]Masker, len(fields))
		for i, o := range origins {
			if m := opts.Mask(o); m != nil {
				masks[i] = m
				if !m.Null() {
					cols[i] = pgColumn{typ: arrow.BinaryTypes.String, format: 0, bind: bytesAppender}
				}
			}
		}
	}
	afields := make([]arrow.Field, len(fields))
	formats := make([]int16, len(fields))
	for i, f := range fields {
		afields[i] = arrow.Field{Name: f.Name, Type: cols[i].typ, Nullable: true}
		formats[i] = cols[i].format
	}
	qargs := append([]any{pgx.QueryResultFormats(formats)}, args...)
	rows, err := conn.Query(ctx, preparedName, qargs...)
	if err != nil {
		_ = conn.Deallocate(context.WithoutCancel(ctx), preparedName)
		done(conn.IsClosed())
		return nil, err
	}
	p := &pgProducer{conn: conn, rows: rows, opts: opts, done: done, names: afields}
	r := newReader(arrow.NewSchema(afields, nil), opts.Allocator, p)
	p.builders = r.rb.Fields()
	p.add = make([]func([]byte) error, len(cols))
	for i, c := range cols {
		p.add[i] = c.bind(p.builders[i])
		if masks != nil && masks[i] != nil {
			p.add[i] = maskAppender(masks[i], p.builders[i], p.add[i])
		}
	}
	return r, nil
}

// maskAppender wraps add to append the masked form of each value (or NULL).
func maskAppender(m Masker, b array.Builder, add func([]byte) error) func([]byte) error {
	if m.Null() {
		return func([]byte) error { b.AppendNull(); return nil }
	}
	var buf []byte
	return func(v []byte) error {
		buf = m.Apply(buf[:0], v)
		return add(buf)
	}
}

// pgOrigins resolves the table and column each result column comes from.
func pgOrigins(ctx context.Context, conn *pgx.Conn, fields []pgconn.FieldDescription) ([]Origin, error) {
	out := make([]Origin, len(fields))
	var oids []uint32
	for i, f := range fields {
		out[i].Name = f.Name
		if f.TableOID != 0 {
			oids = append(oids, f.TableOID)
		}
	}
	if len(oids) == 0 {
		return out, nil
	}
	rows, err := conn.Query(ctx, `SELECT c.oid, n.nspname, c.relname, a.attnum, a.attname
		FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
		WHERE c.oid = ANY($1)`, oids)
	if err != nil {
		return nil, fmt.Errorf("resolving result columns: %w", err)
	}
	type key struct {
		oid uint32
		att int16
	}
	type name struct{ schema, table, column string }
	names := map[key]name{}
	for rows.Next() {
		var k key
		var n name
		if err := rows.Scan(&k.oid, &n.schema, &n.table, &k.att, &n.column); err != nil {
			rows.Close()
			return nil, err
		}
		names[k] = n
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i, f := range fields {
		if n, ok := names[key{f.TableOID, int16(f.TableAttributeNumber)}]; ok {
			out[i].Schema, out[i].Table, out[i].Column = n.schema, n.table, n.column
		}
	}
	return out, nil
}

// pgProducer reads a PostgreSQL result row by row into the builders.
type pgProducer struct {
	conn     *pgx.Conn
	rows     pgx.Rows
	opts     Options
	done     func(broken bool)
	names    []arrow.Field
	builders []array.Builder
	add      []func([]byte) error
	broken   bool
}

func (p *pgProducer) fill(rb *array.RecordBuilder) (int, bool, error) {
	n, size := 0, 0
	for n < p.opts.BatchRows && size < p.opts.BatchBytes {
		if !p.rows.Next() {
			p.rows.Close()
			return n, false, p.rows.Err()
		}
		raw := p.rows.RawValues()
		rowSize := 0
		for _, v := range raw {
			rowSize += len(v)
		}
		if p.opts.OnRow != nil {
			if err := p.opts.OnRow(rowSize); err != nil {
				return n, false, err
			}
		}
		for i, v := range raw {
			if v == nil {
				p.builders[i].AppendNull()
				continue
			}
			if err := p.add[i](v); err != nil {
				return n, false, &ColumnError{Column: p.names[i].Name, Err: err}
			}
		}
		n++
		size += rowSize
	}
	return n, true, nil
}

// stop cancels the statement on the server and closes the connection:
// reading the rest of a large result to reuse it would take longer than
// a new connection.
func (p *pgProducer) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = p.conn.PgConn().CancelRequest(ctx)
	_ = p.conn.PgConn().Close(ctx)
	p.broken = true
}

func (p *pgProducer) close() {
	if !p.broken {
		p.rows.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := p.conn.Deallocate(ctx, preparedName); err != nil {
			p.broken = true
		}
		cancel()
	}
	p.done(p.broken || p.conn.IsClosed())
}
