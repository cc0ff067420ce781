package e2e

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// The Go clients of the compatibility suite (compat_test.go): pgx and
// go-sql-driver/mysql run the same steps as the scripts in test/compat
// and write the same lines, "ok <step>" or "fail <step>: <error>".

// compatSteps runs steps in order, writing one line each to out; a fatal
// step that fails ends the run, onError runs after any failed step.
type compatStep struct {
	name  string
	fatal bool
	run   func(ctx context.Context) error
}

func runCompatSteps(ctx context.Context, out *strings.Builder, steps []compatStep, onError func()) {
	for _, s := range steps {
		err := func() (err error) {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("panic: %v", r)
				}
			}()
			return s.run(ctx)
		}()
		if err == nil {
			fmt.Fprintf(out, "ok %s\n", s.name)
			continue
		}
		fmt.Fprintf(out, "fail %s: %s\n", s.name, strings.Join(strings.Fields(err.Error()), " "))
		if onError != nil {
			onError()
		}
		if s.fatal {
			return
		}
	}
}

func compatExpect(got, want any, what string) error {
	if !reflect.DeepEqual(got, want) {
		return fmt.Errorf("%s: got %#v, want %#v", what, got, want)
	}
	return nil
}

// moduleVersion is the version go.mod requires of a module (a test
// binary carries no module versions of its own).
func moduleVersion(path string) string {
	b, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	if err != nil {
		return "?"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == path {
			return f[1]
		}
	}
	return "?"
}

var compatCreated = []time.Time{
	time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
	time.Date(2024, 2, 3, 4, 5, 6, 0, time.UTC),
	time.Date(2024, 3, 4, 5, 6, 7, 0, time.UTC),
}

// runPgxClient is the pgx client: its default query exec mode (prepared
// statements, cached, binary parameters and results).
func runPgxClient(ctx context.Context, e compatEnv) string {
	var out strings.Builder
	fmt.Fprintf(&out, "driver pgx %s\n", moduleVersion("github.com/jackc/pgx/v5"))
	var c *pgx.Conn
	tbl := e.table
	ids := func(ctx context.Context, q string, args ...any) ([]int32, error) {
		rows, err := c.Query(ctx, q, args...)
		if err != nil {
			return nil, err
		}
		got, err := pgx.CollectRows(rows, pgx.RowTo[int32])
		if got == nil {
			got = []int32{}
		}
		return got, err
	}
	count := func(ctx context.Context) (n int64, err error) {
		err = c.QueryRow(ctx, "SELECT count(*) FROM "+tbl).Scan(&n)
		return n, err
	}
	steps := []compatStep{
		{"connect", true, func(ctx context.Context) (err error) {
			c, err = pgx.Connect(ctx, fmt.Sprintf("postgres://%s:%s@%s:%s/%s?sslmode=disable&connect_timeout=10", e.user, e.password, e.host, e.port, e.db))
			return err
		}},
		{"version", false, func(ctx context.Context) error {
			if v := c.PgConn().ParameterStatus("server_version"); v == "" {
				return errors.New("no server_version parameter")
			}
			var v string
			if err := c.QueryRow(ctx, "SELECT version()").Scan(&v); err != nil || v == "" {
				return fmt.Errorf("version(): %q %v", v, err)
			}
			return nil
		}},
		{"create_table", true, func(ctx context.Context) error {
			for _, q := range []string{
				"DROP TABLE IF EXISTS " + tbl,
				"CREATE TABLE " + tbl + " (id integer PRIMARY KEY, name varchar(40) NOT NULL, active boolean, price numeric(10,2), created timestamp, note text)",
				"CREATE INDEX " + tbl + "_name ON " + tbl + " (name)",
			} {
				if _, err := c.Exec(ctx, q); err != nil {
					return err
				}
			}
			n, err := count(ctx)
			if err != nil {
				return err
			}
			return compatExpect(n, int64(0), "rows in new table")
		}},
		{"insert_params", false, func(ctx context.Context) error {
			ins := "INSERT INTO " + tbl + " (id, name, active, price, created, note) VALUES ($1, $2, $3, $4, $5, $6)"
			rows := [][]any{
				{1, "alpha", true, "12.50", compatCreated[0], nil},
				{2, "beta", false, "7.25", compatCreated[1], "second"},
				{3, "gamma", true, "100.01", compatCreated[2], "third"},
			}
			for _, r := range rows {
				var p pgtype.Numeric
				if err := p.Scan(r[3]); err != nil {
					return err
				}
				r[3] = p
				if _, err := c.Exec(ctx, ins, r...); err != nil {
					return err
				}
			}
			n, err := count(ctx)
			if err != nil {
				return err
			}
			return compatExpect(n, int64(3), "rows")
		}},
		{"select_int", false, func(ctx context.Context) error {
			var name string
			if err := c.QueryRow(ctx, "SELECT name FROM "+tbl+" WHERE id = $1", 2).Scan(&name); err != nil {
				return err
			}
			return compatExpect(name, "beta", "name of id 2")
		}},
		{"select_text", false, func(ctx context.Context) error {
			got, err := ids(ctx, "SELECT id FROM "+tbl+" WHERE name = $1", "gamma")
			if err != nil {
				return err
			}
			return compatExpect(got, []int32{3}, "ids")
		}},
		{"select_bool", false, func(ctx context.Context) error {
			got, err := ids(ctx, "SELECT id FROM "+tbl+" WHERE active = $1 ORDER BY id", true)
			if err != nil {
				return err
			}
			return compatExpect(got, []int32{1, 3}, "ids")
		}},
		{"select_numeric", false, func(ctx context.Context) error {
			var ten pgtype.Numeric
			_ = ten.Scan("10.00")
			got, err := ids(ctx, "SELECT id FROM "+tbl+" WHERE price > $1 ORDER BY id", ten)
			if err != nil {
				return err
			}
			if err := compatExpect(got, []int32{1, 3}, "ids"); err != nil {
				return err
			}
			var price pgtype.Numeric
			if err := c.QueryRow(ctx, "SELECT price FROM "+tbl+" WHERE id = 3").Scan(&price); err != nil {
				return err
			}
			js, err := price.MarshalJSON()
			if err != nil {
				return err
			}
			return compatExpect(string(js), "100.01", "price")
		}},
		{"select_timestamp", false, func(ctx context.Context) error {
			got, err := ids(ctx, "SELECT id FROM "+tbl+" WHERE created >= $1 ORDER BY id", time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC))
			if err != nil {
				return err
			}
			if err := compatExpect(got, []int32{2, 3}, "ids"); err != nil {
				return err
			}
			var at time.Time
			if err := c.QueryRow(ctx, "SELECT created FROM "+tbl+" WHERE id = 1").Scan(&at); err != nil {
				return err
			}
			return compatExpect(at.UTC(), compatCreated[0], "created")
		}},
		{"select_null", false, func(ctx context.Context) error {
			var note *string
			if err := c.QueryRow(ctx, "SELECT note FROM "+tbl+" WHERE id = 1").Scan(&note); err != nil {
				return err
			}
			if note != nil {
				return fmt.Errorf("note of id 1: %q, want NULL", *note)
			}
			if _, err := c.Exec(ctx, "UPDATE "+tbl+" SET note = $1 WHERE id = $2", nil, 3); err != nil {
				return err
			}
			got, err := ids(ctx, "SELECT id FROM "+tbl+" WHERE note IS NULL ORDER BY id")
			if err != nil {
				return err
			}
			return compatExpect(got, []int32{1, 3}, "ids after update")
		}},
		{"result_types", false, func(ctx context.Context) error {
			rows, err := c.Query(ctx, "SELECT id, name, active, price, created, note FROM "+tbl+" WHERE id = 2")
			if err != nil {
				return err
			}
			defer rows.Close()
			var oids []uint32
			for _, f := range rows.FieldDescriptions() {
				oids = append(oids, f.DataTypeOID)
			}
			if !rows.Next() {
				return fmt.Errorf("no row: %v", rows.Err())
			}
			vals, err := rows.Values()
			if err != nil {
				return err
			}
			rows.Close()
			// int4, varchar, bool, numeric, timestamp, text
			if err := compatExpect(oids, []uint32{23, 1043, 16, 1700, 1114, 25}, "field type oids"); err != nil {
				return err
			}
			var types []string
			for _, v := range vals {
				types = append(types, fmt.Sprintf("%T", v))
			}
			return compatExpect(types, []string{"int32", "string", "bool", "pgtype.Numeric", "time.Time", "string"}, "value types")
		}},
		{"tx_commit", false, func(ctx context.Context) error {
			tx, err := c.Begin(ctx)
			if err != nil {
				return err
			}
			defer tx.Rollback(ctx) //nolint:errcheck // after Commit a no-op
			if _, err := tx.Exec(ctx, "INSERT INTO "+tbl+" (id, name) VALUES ($1, $2)", 10, "committed"); err != nil {
				return err
			}
			if err := tx.Commit(ctx); err != nil {
				return err
			}
			got, err := ids(ctx, "SELECT id FROM "+tbl+" WHERE id = $1", 10)
			if err != nil {
				return err
			}
			return compatExpect(got, []int32{10}, "committed row")
		}},
		{"tx_rollback", false, func(ctx context.Context) error {
			tx, err := c.Begin(ctx)
			if err != nil {
				return err
			}
			defer tx.Rollback(ctx) //nolint:errcheck // the rollback below is the one that counts
			if _, err := tx.Exec(ctx, "INSERT INTO "+tbl+" (id, name) VALUES ($1, $2)", 11, "rolled back"); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, "UPDATE "+tbl+" SET name = 'changed' WHERE id = 1"); err != nil {
				return err
			}
			if err := tx.Rollback(ctx); err != nil {
				return err
			}
			got, err := ids(ctx, "SELECT id FROM "+tbl+" WHERE id = $1", 11)
			if err != nil {
				return err
			}
			if err := compatExpect(got, []int32{}, "rolled back row"); err != nil {
				return err
			}
			var name string
			if err := c.QueryRow(ctx, "SELECT name FROM "+tbl+" WHERE id = 1").Scan(&name); err != nil {
				return err
			}
			return compatExpect(name, "alpha", "name after rollback")
		}},
		{"missing_table", false, func(ctx context.Context) error {
			_, err := c.Exec(ctx, "SELECT * FROM "+tbl+"_missing")
			if err == nil {
				return errors.New("no error")
			}
			if err := compatExpect(sqlstate(err), "42P01", "SQLSTATE of "+err.Error()); err != nil {
				return err
			}
			var one int
			if err := c.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
				return fmt.Errorf("SELECT 1 after the error: %w", err)
			}
			return compatExpect(one, 1, "SELECT 1 after the error")
		}},
	}
	runCompatSteps(ctx, &out, steps, nil)
	if c != nil {
		c.Close(ctx)
	}
	return out.String()
}

// runGoMySQLClient is go-sql-driver/mysql through database/sql, with
// parseTime (as most Go applications set it) and server-side prepared
// statements for parameters (the driver's default).
func runGoMySQLClient(ctx context.Context, e compatEnv) string {
	var out strings.Builder
	fmt.Fprintf(&out, "driver go-sql-driver/mysql %s\n", moduleVersion("github.com/go-sql-driver/mysql"))
	var db *sql.DB
	var conn *sql.Conn
	tbl := e.table
	ids := func(ctx context.Context, q string, args ...any) ([]int, error) {
		rows, err := conn.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		got := []int{}
		for rows.Next() {
			var id int
			if err := rows.Scan(&id); err != nil {
				return nil, err
			}
			got = append(got, id)
		}
		return got, rows.Err()
	}
	count := func(ctx context.Context) (n int, err error) {
		err = conn.QueryRowContext(ctx, "SELECT count(*) FROM "+tbl).Scan(&n)
		return n, err
	}
	steps := []compatStep{
		{"connect", true, func(ctx context.Context) (err error) {
			cfg := mysql.NewConfig()
			cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName = e.user, e.password, "tcp", e.host+":"+e.port, e.db
			cfg.ParseTime, cfg.Timeout = true, 10*time.Second
			if db, err = sql.Open("mysql", cfg.FormatDSN()); err != nil {
				return err
			}
			conn, err = db.Conn(ctx)
			return err
		}},
		{"version", false, func(ctx context.Context) error {
			var v string
			if err := conn.QueryRowContext(ctx, "SELECT VERSION()").Scan(&v); err != nil || v == "" {
				return fmt.Errorf("VERSION(): %q %v", v, err)
			}
			return nil
		}},
		{"create_table", true, func(ctx context.Context) error {
			for _, q := range []string{
				"DROP TABLE IF EXISTS " + tbl,
				"CREATE TABLE " + tbl + " (id int PRIMARY KEY, name varchar(40) NOT NULL, active boolean, price decimal(10,2), created datetime, note text)",
				"CREATE INDEX " + tbl + "_name ON " + tbl + " (name)",
			} {
				if _, err := conn.ExecContext(ctx, q); err != nil {
					return err
				}
			}
			n, err := count(ctx)
			if err != nil {
				return err
			}
			return compatExpect(n, 0, "rows in new table")
		}},
		{"insert_params", false, func(ctx context.Context) error {
			ins := "INSERT INTO " + tbl + " (id, name, active, price, created, note) VALUES (?, ?, ?, ?, ?, ?)"
			rows := [][]any{
				{1, "alpha", true, "12.50", compatCreated[0], nil},
				{2, "beta", false, "7.25", compatCreated[1], "second"},
				{3, "gamma", true, "100.01", compatCreated[2], "third"},
			}
			for _, r := range rows {
				if _, err := conn.ExecContext(ctx, ins, r...); err != nil {
					return err
				}
			}
			n, err := count(ctx)
			if err != nil {
				return err
			}
			return compatExpect(n, 3, "rows")
		}},
		{"select_int", false, func(ctx context.Context) error {
			var name string
			if err := conn.QueryRowContext(ctx, "SELECT name FROM "+tbl+" WHERE id = ?", 2).Scan(&name); err != nil {
				return err
			}
			return compatExpect(name, "beta", "name of id 2")
		}},
		{"select_text", false, func(ctx context.Context) error {
			got, err := ids(ctx, "SELECT id FROM "+tbl+" WHERE name = ?", "gamma")
			if err != nil {
				return err
			}
			return compatExpect(got, []int{3}, "ids")
		}},
		{"select_bool", false, func(ctx context.Context) error {
			got, err := ids(ctx, "SELECT id FROM "+tbl+" WHERE active = ? ORDER BY id", true)
			if err != nil {
				return err
			}
			return compatExpect(got, []int{1, 3}, "ids")
		}},
		{"select_numeric", false, func(ctx context.Context) error {
			got, err := ids(ctx, "SELECT id FROM "+tbl+" WHERE price > ? ORDER BY id", "10.00")
			if err != nil {
				return err
			}
			if err := compatExpect(got, []int{1, 3}, "ids"); err != nil {
				return err
			}
			var price string
			if err := conn.QueryRowContext(ctx, "SELECT price FROM "+tbl+" WHERE id = ?", 3).Scan(&price); err != nil {
				return err
			}
			return compatExpect(price, "100.01", "price")
		}},
		{"select_timestamp", false, func(ctx context.Context) error {
			got, err := ids(ctx, "SELECT id FROM "+tbl+" WHERE created >= ? ORDER BY id", time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC))
			if err != nil {
				return err
			}
			if err := compatExpect(got, []int{2, 3}, "ids"); err != nil {
				return err
			}
			var at time.Time
			if err := conn.QueryRowContext(ctx, "SELECT created FROM "+tbl+" WHERE id = ?", 1).Scan(&at); err != nil {
				return err
			}
			return compatExpect(at.UTC(), compatCreated[0], "created")
		}},
		{"select_null", false, func(ctx context.Context) error {
			var note sql.NullString
			if err := conn.QueryRowContext(ctx, "SELECT note FROM "+tbl+" WHERE id = ?", 1).Scan(&note); err != nil {
				return err
			}
			if note.Valid {
				return fmt.Errorf("note of id 1: %q, want NULL", note.String)
			}
			if _, err := conn.ExecContext(ctx, "UPDATE "+tbl+" SET note = ? WHERE id = ?", nil, 3); err != nil {
				return err
			}
			got, err := ids(ctx, "SELECT id FROM "+tbl+" WHERE note IS NULL ORDER BY id")
			if err != nil {
				return err
			}
			return compatExpect(got, []int{1, 3}, "ids after update")
		}},
		{"result_types", false, func(ctx context.Context) error {
			rows, err := conn.QueryContext(ctx, "SELECT id, name, active, price, created, note FROM "+tbl+" WHERE id = ?", 2)
			if err != nil {
				return err
			}
			defer rows.Close()
			cts, err := rows.ColumnTypes()
			if err != nil {
				return err
			}
			var types []string
			for _, ct := range cts {
				types = append(types, ct.DatabaseTypeName())
			}
			if err := compatExpect(types, []string{"INT", "VARCHAR", "TINYINT", "DECIMAL", "DATETIME", "TEXT"}, "column types"); err != nil {
				return err
			}
			if !rows.Next() {
				return fmt.Errorf("no row: %v", rows.Err())
			}
			var (
				id     int
				name   string
				active bool
				price  string
				at     time.Time
				note   string
			)
			if err := rows.Scan(&id, &name, &active, &price, &at, &note); err != nil {
				return err
			}
			return compatExpect([]any{id, name, active, price, at.UTC(), note}, []any{2, "beta", false, "7.25", compatCreated[1], "second"}, "values")
		}},
		{"tx_commit", false, func(ctx context.Context) error {
			tx, err := conn.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback() //nolint:errcheck // after Commit a no-op
			if _, err := tx.ExecContext(ctx, "INSERT INTO "+tbl+" (id, name) VALUES (?, ?)", 10, "committed"); err != nil {
				return err
			}
			if err := tx.Commit(); err != nil {
				return err
			}
			got, err := ids(ctx, "SELECT id FROM "+tbl+" WHERE id = ?", 10)
			if err != nil {
				return err
			}
			return compatExpect(got, []int{10}, "committed row")
		}},
		{"tx_rollback", false, func(ctx context.Context) error {
			tx, err := conn.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback() //nolint:errcheck // the rollback below is the one that counts
			if _, err := tx.ExecContext(ctx, "INSERT INTO "+tbl+" (id, name) VALUES (?, ?)", 11, "rolled back"); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "UPDATE "+tbl+" SET name = 'changed' WHERE id = 1"); err != nil {
				return err
			}
			if err := tx.Rollback(); err != nil {
				return err
			}
			got, err := ids(ctx, "SELECT id FROM "+tbl+" WHERE id = ?", 11)
			if err != nil {
				return err
			}
			if err := compatExpect(got, []int{}, "rolled back row"); err != nil {
				return err
			}
			var name string
			if err := conn.QueryRowContext(ctx, "SELECT name FROM "+tbl+" WHERE id = 1").Scan(&name); err != nil {
				return err
			}
			return compatExpect(name, "alpha", "name after rollback")
		}},
		{"missing_table", false, func(ctx context.Context) error {
			_, err := conn.ExecContext(ctx, "SELECT * FROM "+tbl+"_missing")
			if err == nil {
				return errors.New("no error")
			}
			if err := compatExpect(myErrno(err), uint16(1146), "errno of "+err.Error()); err != nil {
				return err
			}
			var one int
			if err := conn.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
				return fmt.Errorf("SELECT 1 after the error: %w", err)
			}
			return compatExpect(one, 1, "SELECT 1 after the error")
		}},
	}
	runCompatSteps(ctx, &out, steps, nil)
	if conn != nil {
		conn.Close()
	}
	if db != nil {
		db.Close()
	}
	return out.String()
}
