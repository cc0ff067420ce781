package arrowsql

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// myTypeCases: each MySQL/MariaDB column type, the Arrow type it becomes
// and how literals of it read back (a NULL is added to each case).
var myTypeCases = []typeCase{
	{"TINYINT", []string{"-128", "127"}, "int8", []string{"-128", "127"}},
	{"TINYINT UNSIGNED", []string{"255"}, "uint8", []string{"255"}},
	{"SMALLINT", []string{"-32768", "32767"}, "int16", []string{"-32768", "32767"}},
	{"MEDIUMINT", []string{"-8388608"}, "int32", []string{"-8388608"}},
	{"INT", []string{"-2147483648", "2147483647"}, "int32", []string{"-2147483648", "2147483647"}},
	{"INT UNSIGNED", []string{"4294967295"}, "uint32", []string{"4294967295"}},
	{"BIGINT", []string{"-9223372036854775808", "9223372036854775807"}, "int64", []string{"-9223372036854775808", "9223372036854775807"}},
	{"BIGINT UNSIGNED", []string{"18446744073709551615"}, "uint64", []string{"18446744073709551615"}},
	{"YEAR", []string{"2024"}, "int16", []string{"2024"}},
	{"FLOAT", []string{"1.5"}, "float32", []string{"1.5"}},
	{"DOUBLE", []string{"-2.25e300"}, "float64", []string{"-2.25e+300"}},
	{"DECIMAL(10,2)", []string{"12345678.91", "-0.01", "0"}, "decimal(10, 2)", []string{"12345678.91", "-0.01", "0"}},
	{"DECIMAL(38,10)", []string{"1234567890123456789012345678.0123456789", "-1234567890123456789012345678.0123456789"}, "decimal(38, 10)", []string{"1234567890123456789012345678.0123456789", "-1234567890123456789012345678.0123456789"}},
	{"DECIMAL(10,2) UNSIGNED", []string{"99999999.99"}, "decimal(10, 2)", []string{"99999999.99"}},
	{"DECIMAL(65,5)", []string{"1.5"}, "utf8", []string{"1.50000"}},
	{"VARCHAR(20)", []string{"'héllo'", "''"}, "utf8", []string{"héllo", ""}},
	{"TEXT", []string{"'long text'"}, "utf8", []string{"long text"}},
	{"CHAR(3)", []string{"'a'"}, "utf8", []string{"a"}},
	{"ENUM('x','y')", []string{"'y'"}, "utf8", []string{"y"}},
	{"SET('x','y')", []string{"'x,y'"}, "utf8", []string{"x,y"}},
	{"JSON", []string{`'{"a": 1}'`}, "utf8", []string{`{"a": 1}`}},
	{"VARBINARY(8)", []string{"x'00ff10'"}, "binary", []string{"AP8Q"}},
	{"BLOB", []string{"x'41'"}, "binary", []string{"QQ=="}},
	{"BIT(10)", []string{"b'1000000001'"}, "uint64", []string{"513"}},
	{"DATE", []string{"'2024-02-29'", "'1000-01-01'", "'9999-12-31'"}, "date32", []string{"2024-02-29", "1000-01-01", "9999-12-31"}},
	{"DATETIME(6)", []string{"'2024-05-06 07:08:09.123456'", "'1000-01-01 00:00:00'"}, "timestamp[us]", []string{"2024-05-06T07:08:09.123456", "1000-01-01T00:00:00"}},
	{"DATETIME", []string{"'2024-05-06 07:08:09'"}, "timestamp[us]", []string{"2024-05-06T07:08:09"}},
	{"TIMESTAMP(3) NULL", []string{"'2024-05-06 07:08:09.5'"}, "timestamp[us, tz=UTC]", []string{"2024-05-06T07:08:09.5Z"}},
	{"TIME(6)", []string{"'13:45:01.123456'", "'00:00:00'"}, "time64[us]", []string{"13:45:01.123456", "00:00:00.000000"}},
}

func TestMySQLTypes(t *testing.T) {
	c := myConn(t)
	ctx := context.Background()
	for _, tc := range myTypeCases {
		for _, prepared := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/prepared=%v", tc.dbType, prepared), func(t *testing.T) {
				for _, q := range []string{"DROP TABLE IF EXISTS v", "CREATE TABLE v (k INT, v " + tc.dbType + ")", "INSERT INTO v VALUES " + tc.valuesRows()} {
					if _, err := c.Execute(q); err != nil {
						t.Fatalf("%s: %v", q, err)
					}
				}
				q, args := "SELECT v FROM v ORDER BY k = 0, k", []any(nil)
				if prepared {
					q, args = "SELECT v FROM v WHERE k >= ? ORDER BY k = 0, k", []any{0}
				}
				r, err := QueryMySQL(ctx, c, q, args, Options{}, nil)
				tc.check(t, r, err)
			})
		}
	}
}

// Zero dates read as NULL (as Connector/J's convertToNull); TIME values
// outside a day end the stream with an error naming the column.
func TestMySQLZeroAndOutOfRange(t *testing.T) {
	c := myConn(t)
	ctx := context.Background()
	for _, q := range []string{"SET sql_mode = ''", "CREATE TABLE z (d DATE, dt DATETIME, tm TIME)", "INSERT INTO z VALUES ('0000-00-00', '0000-00-00 00:00:00', '100:00:00')"} {
		if _, err := c.Execute(q); err != nil {
			t.Fatal(err)
		}
	}
	r, err := QueryMySQL(ctx, c, "SELECT d, dt FROM z", nil, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, cols := collect(t, r)
	if fmt.Sprint(cols) != "[[(null)] [(null)]]" {
		t.Errorf("zero dates read as %v", cols)
	}
	r, err = QueryMySQL(ctx, c, "SELECT tm FROM z", nil, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantColumnError(t, r, "tm", "TIME over a day")
}

func TestMySQLParamsErrorsAndBatches(t *testing.T) {
	c := myConn(t)
	ctx := context.Background()
	for _, q := range []string{
		"CREATE TABLE t (id INT PRIMARY KEY, label VARCHAR(20))",
		"INSERT INTO t SELECT seq, CONCAT('row ', seq) FROM seq_1_to_5000",
	} {
		if _, err := c.Execute(q); err != nil {
			t.Fatal(err)
		}
	}
	r, err := QueryMySQL(ctx, c, "SELECT id, label FROM t WHERE id > ? AND label <> ? ORDER BY id", []any{100, "x' OR '1'='1"}, Options{BatchRows: 1000}, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantBatches(t, r, 4900, 5)

	_, err = QueryMySQL(ctx, c, "SELECT nope FROM t", nil, Options{}, nil)
	var me *mysql.MyError
	if !errors.As(err, &me) || me.Code != 1054 {
		t.Fatalf("error %v, want 1054", err)
	}
	// The connection is still usable after a statement error.
	r, err = QueryMySQL(ctx, c, "SELECT COUNT(*) AS n FROM t", nil, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, cols := collect(t, r)
	if cols[0][0] != "5000" {
		t.Fatalf("count %v", cols)
	}
	// A statement without a result set gives an empty one.
	r, err = QueryMySQL(ctx, c, "UPDATE t SET label = 'x' WHERE id = 1", nil, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := collect(t, r); s.NumFields() != 0 {
		t.Fatalf("schema %s", s)
	}
}

// Cancelling the context kills the statement on the server.
func TestMySQLCancel(t *testing.T) {
	c := myConn(t)
	id := c.GetConnectionID()
	ctx, cancel := context.WithCancel(context.Background())
	r, err := QueryMySQL(ctx, c, "SELECT SLEEP(0.001), seq FROM seq_1_to_1000000", nil, Options{BatchRows: 10}, nil)
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
		t.Fatalf("error %v, want context.Canceled", r.Err())
	}
	r.Release()
	admin, err := ConnectMySQL(context.Background(), mysqlURL(""))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := admin.Execute(fmt.Sprintf("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = %d AND COMMAND = 'Query'", id))
		if err != nil {
			t.Fatal(err)
		}
		n, _ := res.GetInt(0, 0)
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the statement still runs on the server after cancel")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestMySQLMask(t *testing.T) {
	c := myConn(t)
	for _, q := range []string{"CREATE TABLE p (id INT, email VARCHAR(20), born DATE)", "INSERT INTO p VALUES (1, 'a@x', '2000-01-02'), (2, NULL, NULL)"} {
		if _, err := c.Execute(q); err != nil {
			t.Fatal(err)
		}
	}
	var seen []Origin
	opts := Options{Mask: emailBornMasks(&seen)}
	r, err := QueryMySQL(context.Background(), c, "SELECT id, email AS e, born FROM p ORDER BY id", nil, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, cols := collect(t, r)
	if s.Field(1).Type.String() != "utf8" || s.Field(2).Type.String() != "date32" {
		t.Errorf("schema %s", s)
	}
	if got := fmt.Sprint(cols); got != "[[1 2] [<A@X> (null)] [(null) (null)]]" {
		t.Errorf("values %s", got)
	}
	if seen[1].Table != "p" || seen[1].Column != "email" || seen[1].Name != "e" || !strings.HasPrefix(seen[1].Schema, "arrowsql_") {
		t.Errorf("origins %+v", seen)
	}
}
