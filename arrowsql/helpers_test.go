package arrowsql

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/jackc/pgx/v5"
)

func pgDSN() string {
	if v := os.Getenv("FLOE_TEST_PG"); v != "" {
		return v
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// mysqlURL is the MySQL test server as a mysql:// URL (FLOE_TEST_MYSQL is
// in go-sql-driver form, user:password@tcp(host:port)/db).
func mysqlURL(db string) string {
	v := os.Getenv("FLOE_TEST_MYSQL")
	if v == "" {
		v = "root@tcp(127.0.0.1:3306)/test"
	}
	creds, rest, _ := strings.Cut(v, "@tcp(")
	host, _, _ := strings.Cut(rest, ")")
	u := &url.URL{Scheme: "mysql", Host: host, Path: "/" + db}
	user, pw, hasPW := strings.Cut(creds, ":")
	if hasPW {
		u.User = url.UserPassword(user, pw)
	} else {
		u.User = url.User(user)
	}
	return u.String()
}

func randomName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// pgConn connects to the test PostgreSQL with a fresh schema first on the
// search path; the schema is dropped at the end of the test.
func pgConn(t testing.TB) *pgx.Conn {
	t.Helper()
	ctx := context.Background()
	c, err := ConnectPostgres(ctx, pgDSN())
	if err != nil {
		t.Fatalf("connect to PostgreSQL (%s): %v — run scripts/services.sh", pgDSN(), err)
	}
	schema := randomName("arrowsql_")
	if _, err := c.Exec(ctx, "CREATE SCHEMA "+schema+"; SET search_path = "+schema+", public"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = c.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
		c.Close(context.Background())
	})
	return c
}

// myConn connects to a fresh MySQL database dropped at the end of the test.
func myConn(t testing.TB) *MySQLConn {
	t.Helper()
	ctx := context.Background()
	admin, err := ConnectMySQL(ctx, mysqlURL(""))
	if err != nil {
		t.Fatalf("connect to MySQL (%s): %v — run scripts/services.sh", mysqlURL(""), err)
	}
	db := randomName("arrowsql_")
	if _, err := admin.Execute("CREATE DATABASE " + db); err != nil {
		t.Fatal(err)
	}
	admin.Close()
	c, err := ConnectMySQL(ctx, mysqlURL(db))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		if a, err := ConnectMySQL(context.Background(), mysqlURL("")); err == nil {
			_, _ = a.Execute("DROP DATABASE IF EXISTS " + db)
			a.Close()
		}
	})
	return c
}

// sqliteConn opens a fresh SQLite database file.
func sqliteConn(t testing.TB) *sql.Conn {
	t.Helper()
	db, err := sql.Open("sqlite", t.TempDir()+"/t.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// collect reads a whole result: its schema and each column's values as
// Arrow renders them (ValueStr), NULL as "(null)".
func collect(t testing.TB, r *Reader) (*arrow.Schema, [][]string) {
	t.Helper()
	defer r.Release()
	cols := make([][]string, r.Schema().NumFields())
	for r.Next() {
		b := r.RecordBatch()
		for i := range cols {
			a := b.Column(i)
			for j := 0; j < a.Len(); j++ {
				if a.IsNull(j) {
					cols[i] = append(cols[i], "(null)")
				} else {
					cols[i] = append(cols[i], a.ValueStr(j))
				}
			}
		}
	}
	if err := r.Err(); err != nil {
		t.Fatalf("reading the result: %v", err)
	}
	return r.Schema(), cols
}

// typeCase is one database type: literals of it, the Arrow type it
// becomes and how the literals read back.
type typeCase struct {
	dbType   string
	literals []string
	arrow    string
	want     []string
}

// valuesRows is the VALUES list of a type case's table v (k, v): the
// literals keyed 1…n and a NULL keyed 0.
func (tc typeCase) valuesRows() string {
	vals := []string{"(0, NULL)"}
	for i, l := range tc.literals {
		vals = append(vals, fmt.Sprintf("(%d, %s)", i+1, l))
	}
	return strings.Join(vals, ", ")
}

// check reads the result of SELECT v FROM v ORDER BY k = 0, k and
// compares its type and values (the literals, then NULL).
func (tc typeCase) check(t *testing.T, r *Reader, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	schema, cols := collect(t, r)
	if got := schema.Field(0).Type.String(); got != tc.arrow {
		t.Errorf("type %s, want %s", got, tc.arrow)
	}
	want := append(append([]string(nil), tc.want...), "(null)")
	if strings.Join(cols[0], "|") != strings.Join(want, "|") {
		t.Errorf("values\n got %q\nwant %q", cols[0], want)
	}
}

// wantColumnError reads r to its end and checks that it ended with a
// ColumnError for column.
func wantColumnError(t *testing.T, r *Reader, column, what string) {
	t.Helper()
	for r.Next() {
	}
	var ce *ColumnError
	if !errors.As(r.Err(), &ce) || ce.Column != column {
		t.Errorf("%s: error %v, want a ColumnError for %s", what, r.Err(), column)
	}
	r.Release()
}

// emailBornMasks masks column email with upper and replaces born by NULL,
// recording every origin it is asked about in seen (when not nil).
func emailBornMasks(seen *[]Origin) func(Origin) Masker {
	return func(o Origin) Masker {
		if seen != nil {
			*seen = append(*seen, o)
		}
		switch o.Column {
		case "email":
			return upper{}
		case "born":
			return upper{null: true}
		}
		return nil
	}
}

// wantBatches reads r to its end and checks the rows and batches it gave.
func wantBatches(t *testing.T, r *Reader, rows int64, batches int) {
	t.Helper()
	n := 0
	for r.Next() {
		n++
	}
	if r.Err() != nil || r.Rows() != rows || n != batches {
		t.Fatalf("rows %d batches %d err %v, want %d rows in %d batches", r.Rows(), n, r.Err(), rows, batches)
	}
	r.Release()
}
