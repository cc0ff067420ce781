package e2e

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// maskingConfig masks columns of customers in every database for every
// role but dba.
func maskingConfig(pgDSN, myDSN, litePath string) string {
	return fmt.Sprintf(`databases:
  - {name: app, kind: postgres, primary: %q, pool: {mode: transaction, size: 4}}
  - {name: shop, kind: mysql, primary: %q, pool: {mode: transaction, size: 4}}
  - {name: lite, kind: sqlite, path: %q}
users:
  - {name: alice, password: alice-secret, roles: [analyst]}
  - {name: root, password: root-secret, roles: [dba]}
roles:
  - name: analyst
    grants:
      - {database: "*", tables: ["*"], actions: [select, copy]}
  - name: dba
    grants:
      - {database: "*", actions: [all]}
masking:
  - {database: "*", table: customers, column: email, method: email, except_roles: [dba]}
  - {database: "*", table: customers, column: card, method: partial, except_roles: [dba]}
  - {database: "*", table: customers, column: ssn, method: hash, except_roles: [dba]}
  - {database: "*", table: customers, column: phone, method: full, except_roles: [dba]}
  - {database: "*", table: customers, column: born, method: "null", except_roles: [dba]}
`, pgDSN, myDSN, litePath)
}

const maskedTable = `CREATE TABLE customers (id int PRIMARY KEY, name varchar(40), email varchar(80), card varchar(20),
	ssn varchar(20), phone bigint, born date)`

const maskedRows = `INSERT INTO customers VALUES
	(1, 'Ada', 'ada@example.com', '4111111111111111', '123-45-6789', 5551234567, '1990-05-01'),
	(2, 'Brian', NULL, '12', '987-65-4321', 5550000000, NULL)`

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// maskedWant is what a masked user reads of customers, in id order:
// id, name, email, card, ssn, phone, born ("NULL" for NULL).
var maskedWant = [][]string{
	{"1", "Ada", "a***@example.com", "************1111", sha("123-45-6789"), "****", "NULL"},
	{"2", "Brian", "NULL", "**", sha("987-65-4321"), "****", "NULL"},
}

var clearWant = [][]string{
	{"1", "Ada", "ada@example.com", "4111111111111111", "123-45-6789", "5551234567", "1990-05-01"},
	{"2", "Brian", "NULL", "12", "987-65-4321", "5550000000", "NULL"},
}

func TestMaskingThroughBothProtocols(t *testing.T) {
	pgDSN := testDB(t)
	myDSN, direct := myTestDB(t)
	ctx := context.Background()
	pgc, err := pgx.Connect(ctx, pgDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer pgc.Close(ctx)
	for _, q := range []string{maskedTable, maskedRows} {
		if _, err := pgc.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
		if _, err := direct.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	g := start(t, maskingConfig(pgDSN, myDSN, filepath.Join(dir, "lite.db")))
	lite := g.connect(t, "root", "root-secret", "lite")
	for _, q := range []string{maskedTable, maskedRows} {
		if _, err := lite.Exec(ctx, q, pgx.QueryExecModeSimpleProtocol); err != nil {
			t.Fatal(err)
		}
	}

	const all = "SELECT id, name, email, card, ssn, phone, born FROM customers ORDER BY id"
	t.Run("postgres", func(t *testing.T) {
		for _, db := range []string{"app", "lite"} {
			for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeCacheStatement,
				pgx.QueryExecModeCacheDescribe, pgx.QueryExecModeDescribeExec, pgx.QueryExecModeExec} {
				for _, u := range []struct {
					user string
					want [][]string
				}{{"alice", maskedWant}, {"root", clearWant}} {
					c := g.connect(t, u.user, u.user+"-secret", db)
					for _, q := range []string{all, "SELECT * FROM customers ORDER BY id",
						"SELECT c.id, c.name, c.email AS e, c.card, c.ssn, c.phone, c.born FROM customers c ORDER BY 1",
						"SELECT * FROM (SELECT id, name, email, card, ssn, phone, born FROM customers) d ORDER BY id",
						"WITH x AS (SELECT * FROM customers) SELECT * FROM x ORDER BY id"} {
						for pass := range 2 { // the second run uses the cached statement
							got := pgRows(t, c, mode, q)
							if !equalRows(got, u.want) {
								t.Errorf("%s %s %v pass %d %q:\n got %v\nwant %v", db, u.user, mode, pass, q, got, u.want)
							}
						}
					}
					c.Close(ctx)
				}
			}
			c := g.connect(t, "alice", "alice-secret", db)
			for _, q := range []string{"SELECT upper(email) FROM customers", "SELECT email FROM customers UNION SELECT 'x'",
				"SELECT row_to_json(c) FROM customers c", "SELECT md5(ssn) FROM customers", "COPY customers TO STDOUT"} {
				_, err := c.Exec(ctx, q)
				if sqlstate(err) != "42501" || !strings.Contains(err.Error(), "masked") {
					t.Errorf("%s %q: %v, want 42501 naming the masked column", db, q, err)
				}
			}
			// Filtering on a masked column is refused (a comparison is an
			// oracle); filtering on others keeps the value masked.
			if _, err := c.Exec(ctx, "SELECT email FROM customers WHERE email LIKE 'ada%'"); sqlstate(err) != "42501" {
				t.Errorf("%s filter on a masked column: %v, want 42501", db, err)
			}
			var email string
			if err := c.QueryRow(ctx, "SELECT email FROM customers WHERE name = 'Ada'").Scan(&email); err != nil || email != "a***@example.com" {
				t.Errorf("%s filter on another column: %q, %v", db, email, err)
			}
			c.Close(ctx)
		}
	})

	t.Run("mysql", func(t *testing.T) {
		for _, u := range []struct {
			user, db string
			want     [][]string
		}{{"alice", "shop", maskedWant}, {"root", "shop", clearWant}, {"alice", "lite", maskedWant}, {"root", "lite", clearWant}} {
			for _, interpolate := range []string{"true", "false"} {
				db := g.mydb(t, u.user, u.user+"-secret", u.db, map[string]string{"interpolateParams": interpolate})
				for _, q := range []string{all + " LIMIT ?", "SELECT * FROM customers ORDER BY id LIMIT ?",
					"SELECT c.id, c.name, c.email AS e, c.card, c.ssn, c.phone, c.born FROM customers c ORDER BY 1 LIMIT ?"} {
					// With interpolateParams=false a query with arguments is
					// prepared: its rows come in the binary protocol.
					got := myRows(t, db, q, 10)
					if !equalRows(got, u.want) {
						t.Errorf("%s %s interpolate=%s %q:\n got %v\nwant %v", u.db, u.user, interpolate, q, got, u.want)
					}
				}
			}
		}
		for _, name := range []string{"shop", "lite"} {
			db := g.mydb(t, "alice", "alice-secret", name, nil)
			for _, q := range []string{"SELECT upper(email) FROM customers", "SELECT e FROM (SELECT email AS e FROM customers) d",
				"SELECT email FROM customers UNION SELECT 'x'"} {
				_, err := db.Exec(q)
				if myErrno(err) != 1143 || !strings.Contains(err.Error(), "masked") {
					t.Errorf("%s %q: %v, want 1143 naming the masked column", name, q, err)
				}
			}
		}
	})
}

func pgRows(t *testing.T, c *pgx.Conn, mode pgx.QueryExecMode, q string) [][]string {
	t.Helper()
	rows, err := c.Query(context.Background(), q, mode)
	if err != nil {
		t.Fatalf("%q: %v", q, err)
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatalf("%q: %v", q, err)
		}
		row := make([]string, len(vals))
		for i, v := range vals {
			row[i] = cell(v)
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%q: %v", q, err)
	}
	return out
}

func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case []byte:
		return string(x)
	case interface{ Format(string) string }:
		return x.Format("2006-01-02")
	}
	return fmt.Sprint(v)
}

// myRows runs q and returns its rows, NULL as "NULL".
func myRows(t *testing.T, db *sql.DB, q string, args ...any) [][]string {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%q: %v", q, err)
	}
	var out [][]string
	for _, row := range scanAll(t, rows) {
		if row[0] == "#" {
			continue // a result set's column names
		}
		for i, v := range row {
			if v == "<nil>" {
				row[i] = "NULL"
			}
		}
		out = append(out, row)
	}
	return out
}

func equalRows(a, b [][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if strings.Join(a[i], "\x00") != strings.Join(b[i], "\x00") {
			return false
		}
	}
	return true
}
