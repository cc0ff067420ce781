package arrowsql

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/jackc/pgx/v5/pgconn"
)

// pgTypeCases: each PostgreSQL type, the Arrow type it becomes, and how
// literals of it read back (a NULL is added to each case).
var pgTypeCases = []typeCase{
	{"bool", []string{"true", "false"}, "bool", []string{"true", "false"}},
	{"int2", []string{"'-32768'", "32767", "0"}, "int16", []string{"-32768", "32767", "0"}},
	{"int4", []string{"'-2147483648'", "2147483647"}, "int32", []string{"-2147483648", "2147483647"}},
	{"int8", []string{"'-9223372036854775808'", "9223372036854775807"}, "int64", []string{"-9223372036854775808", "9223372036854775807"}},
	{"oid", []string{"4294967295"}, "uint32", []string{"4294967295"}},
	{"float4", []string{"1.5", "-3.4e38", "'NaN'", "'Infinity'"}, "float32", []string{"1.5", "-3.4e+38", "NaN", "+Inf"}},
	{"float8", []string{"2.25", "1e308", "'-Infinity'"}, "float64", []string{"2.25", "1e+308", "-Inf"}},
	{"numeric(10,2)", []string{"12345678.91", "-0.01", "0", "100"}, "decimal(10, 2)", []string{"12345678.91", "-0.01", "0", "100"}},
	{"numeric(38,10)", []string{"1234567890123456789012345678.0123456789", "-1e-10"}, "decimal(38, 10)", []string{"1234567890123456789012345678.0123456789", "-1e-10"}},
	{"numeric(5,0)", []string{"99999", "-10000"}, "decimal(5, 0)", []string{"99999", "-10000"}},
	{"numeric", []string{"3.14159265358979323846264338327950288419716939937510", "'NaN'"}, "utf8", []string{"3.14159265358979323846264338327950288419716939937510", "NaN"}},
	{"numeric(50,5)", []string{"1.5"}, "utf8", []string{"1.50000"}},
	{"text", []string{"'héllo'", "''"}, "utf8", []string{"héllo", ""}},
	{"varchar(5)", []string{"'abc'"}, "utf8", []string{"abc"}},
	{"char(3)", []string{"'a'"}, "utf8", []string{"a  "}},
	{"name", []string{"'pg_class'"}, "utf8", []string{"pg_class"}},
	{"bytea", []string{`'\x00ff10'`}, "binary", []string{"AP8Q"}},
	{"date", []string{"'2024-02-29'", "'1970-01-01'", "'0001-01-01'", "'1900-03-01'"}, "date32", []string{"2024-02-29", "1970-01-01", "0001-01-01", "1900-03-01"}},
	{"time", []string{"'13:45:01.123456'", "'00:00'", "'23:59:59.999999'"}, "time64[us]", []string{"13:45:01.123456", "00:00:00.000000", "23:59:59.999999"}},
	{"timestamp", []string{"'2024-05-06 07:08:09.123456'", "'1969-12-31 23:59:59.999999'"}, "timestamp[us]", []string{"2024-05-06T07:08:09.123456", "1969-12-31T23:59:59.999999"}},
	{"timestamptz", []string{"'2024-05-06 07:08:09+02'"}, "timestamp[us, tz=UTC]", []string{"2024-05-06T05:08:09Z"}},
	{"interval", []string{"'1 year 2 mons 3 days 04:05:06.789'", "'-1 day'"}, "month_day_nano_interval", []string{`{"months":14,"days":3,"nanoseconds":14706789000000}`, `{"months":0,"days":-1,"nanoseconds":0}`}},
	{"uuid", []string{"'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'"}, "extension<arrow.uuid>", []string{"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}},
	{"json", []string{`'{"a": [1, 2]}'`}, "extension<arrow.json[storage_type=utf8]>", []string{`{"a": [1, 2]}`}},
	{"jsonb", []string{`'{"b": null, "a": 1}'`}, "extension<arrow.json[storage_type=utf8]>", []string{`{"a": 1, "b": null}`}},
	{"int4[]", []string{"'{1,NULL,3}'", "'{}'", "'{{1,2},{3,4}}'"}, "list<item: int32, nullable>", []string{"[1,null,3]", "[]", "[1,2,3,4]"}},
	{"text[]", []string{`'{"a b",c}'`}, "list<item: utf8, nullable>", []string{`["a b","c"]`}},
	{"float8[]", []string{"'{1.5}'"}, "list<item: float64, nullable>", []string{"[1.5]"}},
	{"timestamptz[]", []string{"ARRAY['2024-01-01 00:00:00+00'::timestamptz]"}, "list<item: timestamp[us, tz=UTC], nullable>", []string{`["2024-01-01T00:00:00Z"]`}},
	{"inet", []string{"'10.0.0.1/8'"}, "utf8", []string{"10.0.0.1/8"}},
	{"money", []string{"12.5"}, "utf8", []string{"$12.50"}},
	{"timetz", []string{"'10:00:00+02'"}, "utf8", []string{"10:00:00+02"}},
}

func TestPostgresTypes(t *testing.T) {
	c := pgConn(t)
	ctx := context.Background()
	if _, err := c.Exec(ctx, "SET TimeZone = 'UTC'; SET lc_monetary = 'C'"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range pgTypeCases {
		t.Run(tc.dbType, func(t *testing.T) {
			// A table keeps the declared type modifier (VALUES loses it).
			if _, err := c.Exec(ctx, fmt.Sprintf("DROP TABLE IF EXISTS v; CREATE TABLE v (k int, v %s); INSERT INTO v VALUES %s", tc.dbType, tc.valuesRows())); err != nil {
				t.Fatal(err)
			}
			r, err := QueryPostgres(ctx, c, "SELECT v FROM v ORDER BY k = 0, k", nil, Options{}, nil)
			tc.check(t, r, err)
		})
	}
}

func TestPostgresNumericString(t *testing.T) {
	c := pgConn(t)
	r, err := QueryPostgres(context.Background(), c, "SELECT 1.50::numeric(10,2) AS n", nil, Options{Numeric: NumericString}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, cols := collect(t, r)
	if s.Field(0).Type.String() != "utf8" || cols[0][0] != "1.50" {
		t.Fatalf("%s %q", s.Field(0).Type, cols[0])
	}
}

// Values no Arrow type of the column can hold end the stream with an
// error naming the column; nothing is changed silently.
func TestPostgresUnrepresentable(t *testing.T) {
	c := pgConn(t)
	for _, q := range []string{
		"SELECT 'infinity'::timestamp AS ts",
		"SELECT '-infinity'::date AS ts",
		"SELECT 'NaN'::numeric(10,2) AS ts",
		"SELECT '24:00'::time AS ts",
	} {
		r, err := QueryPostgres(context.Background(), c, q, nil, Options{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		wantColumnError(t, r, "ts", q)
		// The connection is not reused after a failed stream.
		if !c.IsClosed() {
			var one int
			if err := c.QueryRow(context.Background(), "SELECT 1").Scan(&one); err != nil {
				t.Errorf("connection unusable after %s: %v", q, err)
			}
		} else {
			c = pgConn(t)
		}
	}
}

func TestPostgresParamsAndBatches(t *testing.T) {
	c := pgConn(t)
	ctx := context.Background()
	if _, err := c.Exec(ctx, "CREATE TABLE t AS SELECT g AS id, 'row ' || g AS label FROM generate_series(1, 10000) g"); err != nil {
		t.Fatal(err)
	}
	// Parameters are bound: a value that looks like SQL stays a value.
	r, err := QueryPostgres(ctx, c, "SELECT id, label FROM t WHERE id > $1 AND label <> $2 ORDER BY id", []any{"100", "x' OR '1'='1"}, Options{BatchRows: 1000}, nil)
	if err != nil {
		t.Fatal(err)
	}
	batches, rows := 0, int64(0)
	for r.Next() {
		batches++
		if n := r.RecordBatch().NumRows(); n > 1000 {
			t.Fatalf("batch of %d rows, bound 1000", n)
		}
		rows += r.RecordBatch().NumRows()
	}
	if r.Err() != nil || rows != 9900 || batches != 10 {
		t.Fatalf("rows %d batches %d err %v", rows, batches, r.Err())
	}
	r.Release()

	// The byte bound cuts batches too.
	r, err = QueryPostgres(ctx, c, "SELECT label FROM t", nil, Options{BatchBytes: 4096}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		if n := r.RecordBatch().NumRows(); n > 4096/5+1 {
			t.Fatalf("batch of %d rows over the byte bound", n)
		}
	}
	if r.Err() != nil || r.Rows() != 10000 {
		t.Fatalf("rows %d err %v", r.Rows(), r.Err())
	}
	r.Release()

	// A statement error is returned as the server's error.
	_, err = QueryPostgres(ctx, c, "SELECT nope FROM t", nil, Options{}, nil)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "42703" {
		t.Fatalf("error %v, want 42703", err)
	}
	// An error while streaming ends the stream with it.
	r, err = QueryPostgres(ctx, c, "SELECT 1 / (5000 - id) FROM t ORDER BY id", nil, Options{BatchRows: 100}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
	}
	if !errors.As(r.Err(), &pe) || pe.Code != "22012" {
		t.Fatalf("error %v, want 22012", r.Err())
	}
	r.Release()
}

// Cancelling the context stops the statement on the server.
func TestPostgresCancel(t *testing.T) {
	c := pgConn(t)
	ctx, cancel := context.WithCancel(context.Background())
	var pid uint32 = c.PgConn().PID()
	r, err := QueryPostgres(ctx, c, "SELECT g, pg_sleep(0.001) FROM generate_series(1, 1000000) g", nil, Options{BatchRows: 10}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Next() {
		t.Fatal(r.Err())
	}
	cancel()
	for r.Next() {
	}
	if !errors.Is(r.Err(), context.Canceled) {
		var pe *pgconn.PgError
		if !errors.As(r.Err(), &pe) || pe.Code != "57014" {
			t.Fatalf("error %v, want the cancellation", r.Err())
		}
	}
	r.Release()
	admin, err := ConnectPostgres(context.Background(), pgDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		if err := admin.QueryRow(context.Background(), "SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND state = 'active'", pid).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the statement still runs on the server after cancel")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Release before the end stops the statement.
func TestPostgresEarlyRelease(t *testing.T) {
	c := pgConn(t)
	broken := make(chan bool, 1)
	r, err := QueryPostgres(context.Background(), c, "SELECT g FROM generate_series(1, 100000000) g", nil, Options{BatchRows: 10}, func(b bool) { broken <- b })
	if err != nil {
		t.Fatal(err)
	}
	r.Next()
	start := time.Now()
	r.Release()
	if !<-broken {
		t.Error("a connection stopped mid-result was offered for reuse")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("release took %v", d)
	}
}

type upper struct{ null bool }

func (u upper) Apply(dst, v []byte) []byte {
	return append(append(dst, "<"...), strings.ToUpper(string(v))+">"...)
}
func (u upper) Null() bool { return u.null }

func TestPostgresMask(t *testing.T) {
	c := pgConn(t)
	ctx := context.Background()
	if _, err := c.Exec(ctx, "CREATE TABLE p (id int, email text, born date)"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, "INSERT INTO p VALUES (1, 'a@x', '2000-01-02'), (2, NULL, NULL)"); err != nil {
		t.Fatal(err)
	}
	var seen []Origin
	opts := Options{Mask: emailBornMasks(&seen)}
	r, err := QueryPostgres(ctx, c, "SELECT id, email AS e, born, id + 1 AS next FROM p ORDER BY id", nil, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, cols := collect(t, r)
	if s.Field(1).Type.String() != "utf8" || s.Field(2).Type.String() != "date32" {
		t.Errorf("schema %s", s)
	}
	if got := fmt.Sprint(cols); got != "[[1 2] [<A@X> (null)] [(null) (null)] [2 3]]" {
		t.Errorf("values %s", got)
	}
	if seen[1].Table != "p" || seen[1].Column != "email" || seen[1].Name != "e" || !strings.HasPrefix(seen[1].Schema, "arrowsql_") || seen[3].Table != "" {
		t.Errorf("origins %+v", seen)
	}
}

// OnRow sees every row and can stop the stream.
func TestPostgresOnRow(t *testing.T) {
	c := pgConn(t)
	stop := errors.New("enough")
	n := 0
	r, err := QueryPostgres(context.Background(), c, "SELECT g FROM generate_series(1, 1000) g", nil, Options{BatchRows: 7, OnRow: func(int) error {
		n++
		if n > 100 {
			return stop
		}
		return nil
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
	}
	if !errors.Is(r.Err(), stop) || r.Rows() > 100 {
		t.Fatalf("err %v after %d rows", r.Err(), r.Rows())
	}
	r.Release()
}

// Decimal128 values equal the server's own text of many random numerics.
func TestPostgresNumericAgreesWithText(t *testing.T) {
	c := pgConn(t)
	ctx := context.Background()
	for _, typ := range []string{"numeric(38,0)", "numeric(30,6)", "numeric(12,11)", "numeric(20,4)", "numeric(7,3)"} {
		var p, s int
		fmt.Sscanf(typ, "numeric(%d,%d)", &p, &s)
		fill := fmt.Sprintf(`DROP TABLE IF EXISTS n; CREATE TABLE n (v %s);
			INSERT INTO n SELECT round(((random() - 0.5) * 10 ^ (random() * %d))::numeric, %d) FROM generate_series(1, 2000);
			INSERT INTO n VALUES (0), ((10::numeric ^ %d - 1) / 10::numeric ^ %d), (-(10::numeric ^ %d - 1) / 10::numeric ^ %d)`, typ, p-s, s, p, s, p, s)
		if _, err := c.Exec(ctx, fill); err != nil {
			t.Fatal(err)
		}
		r, err := QueryPostgres(ctx, c, "SELECT v, v::text FROM n", nil, Options{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for r.Next() {
			b := r.RecordBatch()
			dec, txt := b.Column(0).(*array.Decimal128), b.Column(1).(*array.String)
			for i := 0; i < dec.Len(); i++ {
				if got := dec.Value(i).ToString(int32(s)); got != txt.Value(i) {
					t.Fatalf("%s: decimal %s, server says %s", typ, got, txt.Value(i))
				}
			}
		}
		if r.Err() != nil {
			t.Fatal(r.Err())
		}
		r.Release()
	}
}
