package arrowsql

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	sqlite3 "modernc.org/sqlite"
)

// columnInformer is the SQLite driver connection's report of where a
// query's result columns come from.
type columnInformer interface {
	ColumnInfo(query string) ([]sqlite3.ColumnInfo, error)
}

// sqliteKind is the Arrow type family of a SQLite column.
type sqliteKind int

const (
	skUnknown sqliteKind = iota // no declared type: decided by the first value
	skInt
	skFloat
	skText
	skBlob
	skBool
	skDate
	skTimestamp
)

// sqliteKindOf applies SQLite's type-affinity rules to a declared type,
// with the names the driver reads as booleans and times.
func sqliteKindOf(decl string) sqliteKind {
	d := strings.ToUpper(decl)
	switch {
	case d == "":
		return skUnknown
	case d == "BOOLEAN" || d == "BOOL":
		return skBool
	case d == "DATE":
		return skDate
	case d == "DATETIME" || d == "TIMESTAMP":
		return skTimestamp
	case strings.Contains(d, "INT"):
		return skInt
	case strings.Contains(d, "CHAR") || strings.Contains(d, "CLOB") || strings.Contains(d, "TEXT"):
		return skText
	case strings.Contains(d, "BLOB"):
		return skBlob
	}
	// REAL, FLOAT, DOUBLE and NUMERIC affinity: SQLite stores these as
	// integers or reals.
	return skFloat
}

// kindOfValue picks the kind of an undeclared column from a value.
func kindOfValue(v any) sqliteKind {
	switch v.(type) {
	case int64:
		return skInt
	case float64:
		return skFloat
	case []byte:
		return skBlob
	case time.Time:
		return skTimestamp
	case bool:
		return skBool
	}
	return skText
}

func (k sqliteKind) arrowType() arrow.DataType {
	switch k {
	case skInt:
		return arrow.PrimitiveTypes.Int64
	case skFloat:
		return arrow.PrimitiveTypes.Float64
	case skBlob:
		return arrow.BinaryTypes.Binary
	case skBool:
		return arrow.FixedWidthTypes.Boolean
	case skDate:
		return arrow.FixedWidthTypes.Date32
	case skTimestamp:
		return typeTimestampTZ
	}
	return arrow.BinaryTypes.String
}

// QuerySQLite runs sql with args on conn (a connection of the
// modernc.org/sqlite driver) and streams its result. Columns with a
// declared type get that type's Arrow type; computed columns get the
// type of their first non-NULL value in the first batch (string when all
// are NULL). A value that its column's type cannot hold ends the stream
// with a ColumnError. done, if not nil, is called once when the reader no
// longer needs conn.
func QuerySQLite(ctx context.Context, conn *sql.Conn, q string, args []any, opts Options, done func(broken bool)) (*Reader, error) {
	opts = opts.withDefaults()
	if done == nil {
		done = func(bool) {}
	}
	var masks []Masker
	if opts.Mask != nil {
		var err error
		if masks, err = sqliteMasks(conn, q, opts.Mask); err != nil {
			done(false)
			return nil, err
		}
	}
	rows, err := conn.QueryContext(ctx, q, args...)
	if err != nil {
		done(false)
		return nil, err
	}
	cts, err := rows.ColumnTypes()
	if err != nil {
		rows.Close()
		done(false)
		return nil, err
	}
	p := &sqliteProducer{rows: rows, opts: opts, done: done, kinds: make([]sqliteKind, len(cts)), masks: masks}
	p.vals = make([]any, len(cts))
	p.ptrs = make([]any, len(cts))
	for i := range p.vals {
		p.ptrs[i] = &p.vals[i]
		p.kinds[i] = sqliteKindOf(cts[i].DatabaseTypeName())
		if masks != nil && masks[i] != nil && !masks[i].Null() {
			p.kinds[i] = skText
		}
	}
	// Read ahead until every undeclared column has shown a value (at most
	// one batch), then fix the schema.
	undecided := func() bool {
		for _, k := range p.kinds {
			if k == skUnknown {
				return true
			}
		}
		return false
	}
	for undecided() && len(p.ahead) < opts.BatchRows && p.scan() {
		row := append([]any(nil), p.vals...)
		p.ahead = append(p.ahead, row)
		for i, v := range row {
			if p.kinds[i] == skUnknown && v != nil {
				p.kinds[i] = kindOfValue(v)
			}
		}
	}
	if p.err != nil {
		p.close()
		return nil, p.err
	}
	fields := make([]arrow.Field, len(cts))
	for i, ct := range cts {
		if p.kinds[i] == skUnknown {
			p.kinds[i] = skText
		}
		fields[i] = arrow.Field{Name: ct.Name(), Type: p.kinds[i].arrowType(), Nullable: true}
	}
	p.fields = fields
	r := newReader(arrow.NewSchema(fields, nil), opts.Allocator, p)
	p.builders = r.rb.Fields()
	return r, nil
}

// SQLiteOrigins reports where each result column of q comes from, as
// SQLite knows it through subqueries and CTEs (computed columns have no
// table). conn must be a connection of the modernc.org/sqlite driver.
func SQLiteOrigins(conn *sql.Conn, q string) ([]Origin, error) {
	var info []sqlite3.ColumnInfo
	err := conn.Raw(func(dc any) error {
		ci, ok := dc.(columnInformer)
		if !ok {
			return fmt.Errorf("the SQLite driver does not report column origins")
		}
		var err error
		info, err = ci.ColumnInfo(q)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]Origin, len(info))
	for i, c := range info {
		out[i] = Origin{Name: c.Name, Schema: c.DatabaseName, Table: c.TableName, Column: c.OriginName}
	}
	return out, nil
}

// sqliteMasks asks mask about each result column's origin.
func sqliteMasks(conn *sql.Conn, q string, mask func(Origin) Masker) ([]Masker, error) {
	origins, err := SQLiteOrigins(conn, q)
	if err != nil {
		return nil, err
	}
	var out []Masker
	for i, o := range origins {
		m := mask(o)
		if m == nil {
			continue
		}
		if out == nil {
			out = make([]Masker, len(origins))
		}
		out[i] = m
	}
	return out, nil
}

// sqliteProducer reads rows through database/sql into the builders.
type sqliteProducer struct {
	rows     *sql.Rows
	opts     Options
	done     func(bool)
	kinds    []sqliteKind
	masks    []Masker
	fields   []arrow.Field
	builders []array.Builder
	vals     []any
	ptrs     []any
	ahead    [][]any
	err      error
	buf      []byte
	closed   bool
}

// scan reads the next row into vals.
func (p *sqliteProducer) scan() bool {
	if !p.rows.Next() {
		p.err = p.rows.Err()
		return false
	}
	if err := p.rows.Scan(p.ptrs...); err != nil {
		p.err = err
		return false
	}
	return true
}

func (p *sqliteProducer) fill(*array.RecordBuilder) (int, bool, error) {
	n, size := 0, 0
	for n < p.opts.BatchRows && size < p.opts.BatchBytes {
		var row []any
		if len(p.ahead) > 0 {
			row, p.ahead = p.ahead[0], p.ahead[1:]
		} else if p.scan() {
			row = p.vals
		} else {
			return n, false, p.err
		}
		rowSize := 0
		for _, v := range row {
			rowSize += valueSize(v)
		}
		if p.opts.OnRow != nil {
			if err := p.opts.OnRow(rowSize); err != nil {
				return n, false, err
			}
		}
		for i, v := range row {
			if err := p.append(i, v); err != nil {
				return n, false, &ColumnError{Column: p.fields[i].Name, Err: err}
			}
		}
		n++
		size += rowSize
	}
	return n, true, nil
}

func valueSize(v any) int {
	switch x := v.(type) {
	case string:
		return len(x)
	case []byte:
		return len(x)
	case nil:
		return 0
	}
	return 8
}

// append adds value v to column i.
func (p *sqliteProducer) append(i int, v any) error {
	b := p.builders[i]
	if v == nil {
		b.AppendNull()
		return nil
	}
	if p.masks != nil && p.masks[i] != nil {
		m := p.masks[i]
		if m.Null() {
			b.AppendNull()
			return nil
		}
		p.buf = m.Apply(p.buf[:0], sqliteText(nil, v))
		b.(*array.StringBuilder).BinaryBuilder.Append(p.buf)
		return nil
	}
	switch p.kinds[i] {
	case skInt:
		switch x := v.(type) {
		case int64:
			b.(*array.Int64Builder).Append(x)
			return nil
		case float64:
			if x == math.Trunc(x) && math.Abs(x) < 1<<63 {
				b.(*array.Int64Builder).Append(int64(x))
				return nil
			}
		case bool:
			b.(*array.Int64Builder).Append(boolInt(x))
			return nil
		}
	case skFloat:
		switch x := v.(type) {
		case float64:
			b.(*array.Float64Builder).Append(x)
			return nil
		case int64:
			b.(*array.Float64Builder).Append(float64(x))
			return nil
		}
	case skBool:
		switch x := v.(type) {
		case bool:
			b.(*array.BooleanBuilder).Append(x)
			return nil
		case int64:
			b.(*array.BooleanBuilder).Append(x != 0)
			return nil
		}
	case skText:
		p.buf = sqliteText(p.buf[:0], v)
		b.(*array.StringBuilder).BinaryBuilder.Append(p.buf)
		return nil
	case skBlob:
		switch x := v.(type) {
		case []byte:
			b.(*array.BinaryBuilder).Append(x)
			return nil
		case string:
			b.(*array.BinaryBuilder).AppendString(x)
			return nil
		}
	case skDate:
		if t, ok := v.(time.Time); ok {
			y, m, d := t.Date()
			b.(*array.Date32Builder).Append(arrow.Date32(daysFromCivil(int64(y), int64(m), int64(d))))
			return nil
		}
		if s, ok := v.(string); ok {
			if d, zero, err := parseDate([]byte(s)); err == nil && !zero && len(s) == 10 {
				b.(*array.Date32Builder).Append(arrow.Date32(d))
				return nil
			}
		}
	case skTimestamp:
		if t, ok := v.(time.Time); ok {
			b.(*array.TimestampBuilder).Append(arrow.Timestamp(t.UnixMicro()))
			return nil
		}
		if s, ok := v.(string); ok {
			if us, zero, err := parseDateTime([]byte(s)); err == nil && !zero {
				b.(*array.TimestampBuilder).Append(arrow.Timestamp(us))
				return nil
			}
		}
	}
	return fmt.Errorf("a %s value in a column of type %s", sqliteTypeName(v), p.fields[i].Type)
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func sqliteTypeName(v any) string {
	switch v.(type) {
	case int64:
		return "integer"
	case float64:
		return "real"
	case []byte:
		return "blob"
	case time.Time:
		return "time"
	case bool:
		return "boolean"
	}
	return "text"
}

// sqliteText appends the text of a value.
func sqliteText(dst []byte, v any) []byte {
	switch x := v.(type) {
	case string:
		return append(dst, x...)
	case []byte:
		return append(dst, x...)
	case int64:
		return strconv.AppendInt(dst, x, 10)
	case float64:
		return strconv.AppendFloat(dst, x, 'g', -1, 64)
	case bool:
		return strconv.AppendBool(dst, x)
	case time.Time:
		return x.AppendFormat(dst, "2006-01-02 15:04:05.999999999Z07:00")
	}
	return fmt.Append(dst, v)
}

func (p *sqliteProducer) stop() {}

func (p *sqliteProducer) close() {
	if p.closed {
		return
	}
	p.closed = true
	err := p.rows.Close()
	p.done(err != nil)
}
