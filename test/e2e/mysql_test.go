package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-sql-driver/mysql"

	"github.com/floe-db/floe/internal/authn"
)

// scanAll reads every row of every result set as strings (NULL as "<nil>").
func scanAll(t *testing.T, rows *sql.Rows) [][]string {
	t.Helper()
	defer rows.Close()
	var out [][]string
	for {
		cols, err := rows.Columns()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, append([]string{"#"}, cols...))
		for rows.Next() {
			vals := make([]sql.RawBytes, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			row := make([]string, len(cols))
			for i, v := range vals {
				if v == nil {
					row[i] = "<nil>"
				} else {
					row[i] = string(v)
				}
			}
			out = append(out, row)
		}
		if !rows.NextResultSet() {
			break
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

const typesTable = `CREATE TABLE types (
	id INT PRIMARY KEY AUTO_INCREMENT,
	ti TINYINT, si SMALLINT, mi MEDIUMINT, i INT, bi BIGINT, ubi BIGINT UNSIGNED,
	dec1 DECIMAL(20,6), f FLOAT, d DOUBLE, bits BIT(10), ch CHAR(5), vc VARCHAR(50),
	tx TEXT, bl BLOB, js JSON, dt DATE, dtm DATETIME(6), ts TIMESTAMP(3) NULL, tm TIME(3),
	yr YEAR, en ENUM('a','b'), st SET('x','y'))`

// TestMySQLTypesThroughRelay compares what go-sql-driver reads through
// Floe, in the text and the binary protocol, with what it reads from
// MariaDB directly.
func TestMySQLTypesThroughRelay(t *testing.T) {
	dsn, direct := myTestDB(t)
	if _, err := direct.Exec(typesTable); err != nil {
		t.Fatal(err)
	}
	g := start(t, myRelayConfig(dsn, "transaction", 2))
	binaryDB := g.mydb(t, "alice", "alice-secret", "shop", nil)
	textDB := g.mydb(t, "alice", "alice-secret", "shop", map[string]string{"interpolateParams": "true"})

	ins := `INSERT INTO types (ti, si, mi, i, bi, ubi, dec1, f, d, bits, ch, vc, tx, bl, js, dt, dtm, ts, tm, yr, en, st)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	blob := []byte{0, 1, 2, 0xfe, 0xff, '\'', '\\'}
	args := []any{-128, 32767, -8388608, 2147483647, int64(-9223372036854775808), uint64(18446744073709551615),
		"12345678901234.123456", 1.5, 3.141592653589793, []byte{0x02, 0x01}, "abc", "ünïcødé '\" \\", strings.Repeat("t", 1000), blob,
		`{"k": [1, 2, {"n": null}]}`, "2024-02-29", "2024-02-29 23:59:59.123456", "2038-01-19 03:14:07.999", "-838:59:59.000",
		2155, "b", "x,y"}
	for _, db := range []*sql.DB{binaryDB, textDB} {
		res, err := db.Exec(ins, args...)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			t.Fatalf("rows affected %d", n)
		}
		if id, _ := res.LastInsertId(); id == 0 {
			t.Fatal("no last insert id")
		}
	}
	if _, err := binaryDB.Exec(`INSERT INTO types (id) VALUES (100)`); err != nil {
		t.Fatal(err)
	}
	q := "SELECT * FROM types WHERE id > ? ORDER BY id"
	want := func() [][]string {
		rows, err := direct.Query(q, 0)
		if err != nil {
			t.Fatal(err)
		}
		return scanAll(t, rows)
	}()
	if len(want) != 4 {
		t.Fatalf("direct read %d rows", len(want)-1)
	}
	for name, db := range map[string]*sql.DB{"binary": binaryDB, "text": textDB} {
		rows, err := db.Query(q, 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := scanAll(t, rows); !reflect.DeepEqual(got, want) {
			t.Errorf("%s protocol through Floe:\n got %q\nwant %q", name, got, want)
		}
	}
	// Column metadata as the driver reports it.
	typeNames := func(db *sql.DB) string {
		rows, err := db.Query("SELECT * FROM types LIMIT 1")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cts, _ := rows.ColumnTypes()
		var names []string
		for _, ct := range cts {
			n, _ := ct.Nullable()
			names = append(names, fmt.Sprint(ct.Name(), ":", ct.DatabaseTypeName(), ":", n, ":", ct.ScanType()))
		}
		return strings.Join(names, ",")
	}
	if got, want := typeNames(binaryDB), typeNames(direct); got != want {
		t.Errorf("column metadata through Floe:\n got %s\nwant %s", got, want)
	}
}

// TestMySQLLargePackets moves a BLOB over 16 MiB (split packets both ways)
// and one sent with COM_STMT_SEND_LONG_DATA.
func TestMySQLLargePackets(t *testing.T) {
	dsn, direct := myTestDB(t)
	// MariaDB's default max_allowed_packet is 16 MiB; the row is bigger.
	if _, err := direct.Exec("SET GLOBAL max_allowed_packet = 67108864"); err != nil {
		t.Fatal(err)
	}
	if _, err := direct.Exec("CREATE TABLE big (id INT PRIMARY KEY, b LONGBLOB)"); err != nil {
		t.Fatal(err)
	}
	g := start(t, myRelayConfig(dsn, "transaction", 2))
	db := g.mydb(t, "alice", "alice-secret", "shop", nil)
	big := make([]byte, 17<<20+123)
	_, _ = rand.Read(big)
	if _, err := db.Exec("INSERT INTO big VALUES (1, ?)", big); err != nil {
		t.Fatal(err)
	}
	var got []byte
	if err := db.QueryRow("SELECT b FROM big WHERE id = 1").Scan(&got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, big) {
		t.Fatalf("blob differs: %d bytes back", len(got))
	}
	text := g.mydb(t, "alice", "alice-secret", "shop", map[string]string{"interpolateParams": "true"})
	got = nil
	if err := text.QueryRow("SELECT b FROM big WHERE id = ?", 1).Scan(&got); err != nil || !bytes.Equal(got, big) {
		t.Fatalf("text protocol: %v, %d bytes", err, len(got))
	}
	// A small max_allowed_packet makes the driver send the value as long data.
	small := g.mydb(t, "alice", "alice-secret", "shop", map[string]string{"maxAllowedPacket": "4194304"})
	mid := big[:3<<20]
	if _, err := small.Exec("INSERT INTO big VALUES (2, ?)", mid); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := direct.QueryRow("SELECT LENGTH(b) FROM big WHERE id = 2 AND b = ?", mid).Scan(&n); err != nil || n != len(mid) {
		t.Fatalf("long data: %v, %d", err, n)
	}
}

// TestMySQLMultiResults runs multi-statement strings and a procedure
// returning several result sets.
func TestMySQLMultiResults(t *testing.T) {
	dsn, direct := myTestDB(t)
	if _, err := direct.Exec("CREATE PROCEDURE two() BEGIN SELECT 1 AS a; SELECT 2 AS b, 3 AS c; END"); err != nil {
		t.Fatal(err)
	}
	g := start(t, myRelayConfig(dsn, "transaction", 2))
	multi := g.mydb(t, "alice", "alice-secret", "shop", map[string]string{"multiStatements": "true"})
	rows, err := multi.Query("SELECT 1 AS x; CREATE TABLE m (a INT); INSERT INTO m VALUES (1),(2); SELECT a FROM m ORDER BY a; SELECT NULL AS n")
	if err != nil {
		t.Fatal(err)
	}
	got := scanAll(t, rows)
	want := [][]string{{"#", "x"}, {"1"}, {"#", "a"}, {"1"}, {"2"}, {"#", "n"}, {"<nil>"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("multi-statement results %q", got)
	}
	rows, err = multi.Query("CALL two()")
	if err != nil {
		t.Fatal(err)
	}
	if got := scanAll(t, rows); !reflect.DeepEqual(got, [][]string{{"#", "a"}, {"1"}, {"#", "b", "c"}, {"2", "3"}}) {
		t.Fatalf("procedure results %q", got)
	}
	// USE inside a multi-statement string would move the pooled connection.
	if _, err := multi.Exec("SELECT 1; USE mysql"); myErrno(err) != 1235 {
		t.Fatalf("USE inside a multi-statement string: %v", err)
	}
	// Without the option, a multi-statement string is a syntax error.
	single := g.mydb(t, "alice", "alice-secret", "shop", nil)
	if _, err := single.Exec("SELECT 1; SELECT 2"); myErrno(err) != 1064 {
		t.Fatalf("multi-statement without the option: %v", err)
	}
	// The same backend connections serve both kinds of client.
	for range 3 {
		if _, err := multi.Exec("DO 1; DO 2"); err != nil {
			t.Fatal(err)
		}
		if _, err := single.Exec("DO 1; DO 2"); myErrno(err) != 1064 {
			t.Fatalf("option leaked between clients: %v", err)
		}
	}
}

// TestMySQLTransactions checks transaction boundaries in transaction mode,
// autocommit replay and LAST_INSERT_ID.
func TestMySQLTransactions(t *testing.T) {
	dsn, direct := myTestDB(t)
	if _, err := direct.Exec("CREATE TABLE acct (id INT PRIMARY KEY AUTO_INCREMENT, v INT)"); err != nil {
		t.Fatal(err)
	}
	g := start(t, myRelayConfig(dsn, "transaction", 2))
	db := g.mydb(t, "alice", "alice-secret", "shop", nil)
	db.SetMaxOpenConns(4)
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("INSERT INTO acct (v) VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := direct.QueryRow("SELECT COUNT(*) FROM acct").Scan(&n); err != nil || n != 0 {
		t.Fatalf("uncommitted row visible: %d %v", n, err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	tx, _ = db.BeginTx(ctx, nil)
	if _, err := tx.Exec("INSERT INTO acct (v) VALUES (2)"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := direct.QueryRow("SELECT COUNT(*) FROM acct").Scan(&n); err != nil || n != 1 {
		t.Fatalf("after commit: %d %v", n, err)
	}

	// autocommit=0 follows the client to whichever connection it gets.
	c, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, "SET autocommit = 0"); err != nil {
		t.Fatal(err)
	}
	res, err := c.ExecContext(ctx, "INSERT INTO acct (v) VALUES (3)")
	if err != nil {
		t.Fatal(err)
	}
	id, _ := res.LastInsertId()
	if err := direct.QueryRow("SELECT COUNT(*) FROM acct").Scan(&n); err != nil || n != 1 {
		t.Fatalf("autocommit=0 insert visible before COMMIT: %d %v", n, err)
	}
	if _, err := c.ExecContext(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	// Other clients use the pool meanwhile; this one must still be in
	// autocommit=0 mode on whatever connection it gets next.
	for range 4 {
		if _, err := db.Exec("SELECT 1"); err != nil {
			t.Fatal(err)
		}
	}
	var ac int
	if err := c.QueryRowContext(ctx, "SELECT @@autocommit").Scan(&ac); err != nil || ac != 0 {
		t.Fatalf("@@autocommit after moving: %d %v", ac, err)
	}
	if _, err := c.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ExecContext(ctx, "SET autocommit = 1"); err != nil {
		t.Fatal(err)
	}
	res, err = c.ExecContext(ctx, "INSERT INTO acct (v) VALUES (4)")
	if err != nil {
		t.Fatal(err)
	}
	id, _ = res.LastInsertId()
	var lid int64
	if err := c.QueryRowContext(ctx, "SELECT LAST_INSERT_ID()").Scan(&lid); err != nil || lid != id {
		t.Fatalf("LAST_INSERT_ID() = %d, want %d (%v)", lid, id, err)
	}

	// The MySQL side shows in the metrics like the PostgreSQL side.
	resp, err := http.Get("http://" + g.admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`floe_queries_total{database="shop",outcome="ok",user="alice"}`,
		`floe_client_connections{protocol="mysql",state="authenticated"}`,
		`floe_client_connections_total{protocol="mysql"}`,
		`floe_pool_connections{backend="primary",database="shop",state="in_use"}`,
		`floe_bytes_total{database="shop",direction="client_to_server"}`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestMySQLPreparedAcrossBackends interleaves prepared statements of eight
// clients over two backend connections in transaction mode.
func TestMySQLPreparedAcrossBackends(t *testing.T) {
	dsn, direct := myTestDB(t)
	if _, err := direct.Exec("CREATE TABLE kv (k INT PRIMARY KEY, v VARCHAR(20))"); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if _, err := direct.Exec("INSERT INTO kv VALUES (?, ?)", i, fmt.Sprint("v", i)); err != nil {
			t.Fatal(err)
		}
	}
	g := start(t, myRelayConfig(dsn, "transaction", 2))
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db := g.mydb(t, "alice", "alice-secret", "shop", nil)
			c, err := db.Conn(ctx)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			sel, err := c.PrepareContext(ctx, "SELECT v FROM kv WHERE k = ?")
			if err != nil {
				errs <- err
				return
			}
			upd, err := c.PrepareContext(ctx, fmt.Sprintf("SELECT ? + %d, CONCAT(?, 'x')", w))
			if err != nil {
				errs <- err
				return
			}
			for i := range 40 {
				k := (i + w) % 20
				var v string
				if err := sel.QueryRowContext(ctx, k).Scan(&v); err != nil || v != fmt.Sprint("v", k) {
					errs <- fmt.Errorf("worker %d: k=%d got %q %v", w, k, v, err)
					return
				}
				var sum int
				var s string
				if err := upd.QueryRowContext(ctx, i, "s").Scan(&sum, &s); err != nil || sum != i+w || s != "sx" {
					errs <- fmt.Errorf("worker %d: %d %q %v", w, sum, s, err)
					return
				}
			}
			if err := sel.Close(); err != nil {
				errs <- err
			}
			if _, err := sel.QueryContext(ctx, 1); err == nil {
				errs <- errors.New("closed statement still runs")
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var n int
	if err := direct.QueryRow("SELECT COUNT(*) FROM information_schema.processlist WHERE db = DATABASE()").Scan(&n); err != nil || n > 3 {
		t.Errorf("backend connections for the test database: %d (%v), want at most pool size 2 + this one", n, err)
	}
}

// TestMySQLSessionIsolation checks that state a client leaves on a backend
// connection never reaches another client.
func TestMySQLSessionIsolation(t *testing.T) {
	dsn, _ := myTestDB(t)
	g := start(t, myRelayConfig(dsn, "transaction", 1))
	ctx := context.Background()
	a := g.mydb(t, "alice", "alice-secret", "shop", nil)
	ca, err := a.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"SET @secret = 'alice'", "CREATE TEMPORARY TABLE tmp (x INT)", "SET SESSION sql_mode = 'ANSI_QUOTES'"} {
		if _, err := ca.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	var v sql.NullString
	if err := ca.QueryRowContext(ctx, "SELECT @secret").Scan(&v); err != nil || v.String != "alice" {
		t.Fatalf("pinned session lost its variable: %v %v", v, err)
	}
	// The only backend connection is pinned to alice: bob waits and times out.
	b := g.mydb(t, "bob", "bob-secret", "shop", nil)
	if _, err := b.Exec("SELECT 1"); myErrno(err) != 1040 {
		t.Fatalf("second client with the pool pinned: %v", err)
	}
	ca.Close() // session ends: the connection is reset and returned
	a.Close()
	for q, want := range map[string]string{"SELECT @secret": "<nil>", "SELECT @@sql_mode LIKE '%ANSI_QUOTES%'": "0"} {
		var got sql.NullString
		if err := b.QueryRow(q).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if s := map[bool]string{true: got.String, false: "<nil>"}[got.Valid]; s != want {
			t.Errorf("%s after reset = %s, want %s", q, s, want)
		}
	}
	if _, err := b.Exec("SELECT * FROM tmp"); myErrno(err) != 1146 {
		t.Errorf("temporary table survived: %v", err)
	}
}

// TestMySQLKillQuery cancels a running query from another connection
// with the id CONNECTION_ID() gives.
func TestMySQLKillQuery(t *testing.T) {
	dsn, direct := myTestDB(t)
	g := start(t, myRelayConfig(dsn, "transaction", 4))
	ctx := context.Background()
	db := g.mydb(t, "alice", "alice-secret", "shop", nil)
	c, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var id uint32
	if err := c.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		var x int
		done <- c.QueryRowContext(ctx, "SELECT SLEEP(30)").Scan(&x)
	}()
	// Wait until the statement runs on the server.
	eventually(t, 10*time.Second, func() error {
		var n int
		if err := direct.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND INFO LIKE 'SELECT SLEEP(30)%'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return errors.New("SELECT SLEEP(30) is not running on the server")
		}
		return nil
	})
	other := g.mydb(t, "alice", "alice-secret", "shop", nil)
	if _, err := other.Exec(fmt.Sprintf("KILL QUERY %d", id)); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		// MariaDB ends SLEEP() early with result 1 or raises 1317.
		if err != nil && myErrno(err) != 1317 {
			t.Fatalf("killed query: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("KILL QUERY did not stop the query")
	}
	if time.Since(start) > 10*time.Second {
		t.Fatal("query ran to the end")
	}
	if err := c.PingContext(ctx); err != nil {
		t.Fatalf("session unusable after KILL QUERY: %v", err)
	}
	// Another user may not kill alice's session; unknown ids are errors.
	bob := g.mydb(t, "bob", "bob-secret", "shop", nil)
	if _, err := bob.Exec(fmt.Sprintf("KILL %d", id)); myErrno(err) != 1095 {
		t.Fatalf("KILL by another user: %v", err)
	}
	if _, err := bob.Exec("KILL 4"); myErrno(err) != 1094 {
		t.Fatalf("KILL of an unknown id: %v", err)
	}
	// KILL CONNECTION ends the session.
	if _, err := other.Exec(fmt.Sprintf("KILL %d", id)); err != nil {
		t.Fatal(err)
	}
	// As on MySQL, the killed session notices at its next read; poll
	// briefly rather than race it.
	eventually(t, 5*time.Second, func() error {
		if c.PingContext(ctx) == nil {
			return errors.New("killed session still answers")
		}
		return nil
	})
}

// TestMySQLAuth covers wrong passwords, unknown users and databases, and
// caching_sha2_password's full authentication over TLS and with the
// server's RSA key, then its fast path.
func TestMySQLAuth(t *testing.T) {
	dir := t.TempDir()
	cert, key := selfSigned(t, dir)
	verifier := scramVerifier(t, "carol-secret")
	g := start(t, fmt.Sprintf(`tls: {cert: %s, key: %s}
databases:
  - name: local
    kind: sqlite
    path: %s
users:
  - name: alice
    password: alice-secret
  - name: carol
    scram: %q
`, cert, key, filepath.Join(dir, "l.db"), verifier))
	ping := func(user, pw, db string, params map[string]string) error {
		d := g.mydb(t, user, pw, db, params)
		return d.Ping()
	}
	for _, c := range []struct {
		user, pw, db string
		params       map[string]string
		errno        uint16
	}{
		{"alice", "alice-secret", "local", nil, 0},
		{"alice", "wrong", "local", nil, 1045},
		{"nobody", "x", "local", nil, 1045},
		{"alice", "", "local", nil, 1045},
		{"alice", "alice-secret", "nope", nil, 1049},
		// carol has only a SCRAM verifier: full authentication first.
		{"carol", "carol-secret", "local", map[string]string{"tls": "skip-verify"}, 0},
		{"carol", "wrong", "local", map[string]string{"tls": "skip-verify"}, 1045},
		{"carol", "wrong", "local", nil, 1045},
		{"carol", "carol-secret", "local", nil, 0}, // fast path now
		{"alice", "alice-secret", "local", map[string]string{"tls": "skip-verify"}, 0},
	} {
		err := ping(c.user, c.pw, c.db, c.params)
		if myErrno(err) != c.errno || (c.errno == 0) != (err == nil) {
			t.Errorf("%s/%s on %s %v: %v, want errno %d", c.user, c.pw, c.db, c.params, err, c.errno)
		}
	}
	// A fresh gateway has no cache: carol's first plain-TCP login uses the
	// server's RSA public key.
	g2 := start(t, fmt.Sprintf("databases:\n  - {name: local, kind: sqlite, path: %s}\nusers:\n  - {name: carol, scram: %q}\n", filepath.Join(dir, "l2.db"), verifier))
	if err := g2.mydb(t, "carol", "carol-secret", "local", nil).Ping(); err != nil {
		t.Fatalf("RSA full authentication: %v", err)
	}
	if !strings.Contains(g.log.String(), "connection rejected") {
		t.Error("failed logins are not logged")
	}
	if strings.Contains(g.log.String(), "alice-secret") || strings.Contains(g.log.String(), "carol-secret") {
		t.Error("a password reached the log")
	}
}

func scramVerifier(t *testing.T, pw string) string {
	t.Helper()
	v, err := authn.NewVerifier(pw, authn.DefaultIterations)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestMySQLMalformedInput sends bad packets on raw connections while a
// bystander session keeps working.
func TestMySQLMalformedInput(t *testing.T) {
	dsn, _ := myTestDB(t)
	g := start(t, myRelayConfig(dsn, "transaction", 2)+"mysql: {max_packet_size: 65536}\n")
	bystander := g.mydb(t, "alice", "alice-secret", "shop", nil)
	bc, err := bystander.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer bc.Close()
	if _, err := bc.ExecContext(context.Background(), "SELECT 1"); err != nil {
		t.Fatal(err)
	}

	// Oversized: through the driver, a query over max_packet_size.
	db := g.mydb(t, "alice", "alice-secret", "shop", nil)
	db.SetMaxIdleConns(0)
	if _, err := db.Exec("SELECT '" + strings.Repeat("x", 70000) + "'"); myErrno(err) != 1153 && !errors.Is(err, mysql.ErrInvalidConn) && !errors.Is(err, io.EOF) {
		t.Fatalf("oversized query: %v", err)
	}
	// Garbage before the handshake response, a bad sequence id, a
	// truncated packet: each connection gets an error or is closed.
	for name, payload := range map[string][]byte{
		"garbage":   []byte("GET / HTTP/1.1\r\n\r\n"),
		"bad seq":   {5, 0, 0, 7, 1, 2, 3, 4, 5},
		"truncated": {200, 0, 0, 1, 1, 2},
		"short":     {1, 0, 0, 1, 0},
	} {
		nc, err := net.Dial("tcp", g.my)
		if err != nil {
			t.Fatal(err)
		}
		_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
		hdr := make([]byte, 4)
		if _, err := io.ReadFull(nc, hdr); err != nil {
			t.Fatalf("%s: no greeting: %v", name, err)
		}
		greet := make([]byte, int(hdr[0])|int(hdr[1])<<8|int(hdr[2])<<16)
		if _, err := io.ReadFull(nc, greet); err != nil {
			t.Fatal(err)
		}
		_, _ = nc.Write(payload)
		if name == "truncated" {
			_ = nc.(*net.TCPConn).CloseWrite()
		}
		rest, _ := io.ReadAll(nc)
		if len(rest) > 0 && (len(rest) < 5 || rest[4] != 0xff) {
			t.Errorf("%s: answer is not an ERR packet: %q", name, rest)
		}
		nc.Close()
	}
	if _, err := bc.ExecContext(context.Background(), "SELECT 2"); err != nil {
		t.Fatalf("bystander affected: %v", err)
	}
}

// TestMySQLDisconnectMidResult hangs up while a large result streams; the
// pool's only connection must come back usable.
func TestMySQLDisconnectMidResult(t *testing.T) {
	dsn, _ := myTestDB(t)
	g := start(t, myRelayConfig(dsn, "transaction", 1))
	raw, err := client.Connect(g.my, "alice", "alice-secret", "shop")
	if err != nil {
		t.Fatal(err)
	}
	raw.ResetSequence()
	if err := raw.WritePacket(append([]byte{0, 0, 0, 0, 3}, "SELECT seq, REPEAT('x', 1000) FROM seq_1_to_200000"...)); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		p, err := raw.ReadPacket()
		if err != nil {
			t.Fatal(err)
		}
		if p[0] == 0xff {
			t.Fatalf("query failed: %q", p)
		}
	}
	raw.Close()
	other := g.mydb(t, "bob", "bob-secret", "shop", nil)
	var n int
	if err := other.QueryRow("SELECT COUNT(*) FROM seq_1_to_1000").Scan(&n); err != nil || n != 1000 {
		t.Fatalf("after a client hung up mid-result: %d %v", n, err)
	}
}

// TestMySQLLoadDataLocal refuses LOAD DATA LOCAL INFILE unless enabled.
func TestMySQLLoadDataLocal(t *testing.T) {
	dsn, direct := myTestDB(t)
	if _, err := direct.Exec("CREATE TABLE ld (a INT, b VARCHAR(10))"); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "rows.csv")
	if err := os.WriteFile(file, []byte("1,one\n2,two\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mysql.RegisterLocalFile(file)
	q := fmt.Sprintf("LOAD DATA LOCAL INFILE '%s' INTO TABLE ld FIELDS TERMINATED BY ','", file)
	g := start(t, myRelayConfig(dsn, "transaction", 2))
	db := g.mydb(t, "alice", "alice-secret", "shop", nil)
	if _, err := db.Exec(q); myErrno(err) != 1148 {
		t.Fatalf("LOAD DATA LOCAL with local_infile off: %v", err)
	}
	g2 := start(t, myRelayConfig(dsn, "transaction", 2)+"mysql: {local_infile: true}\n")
	db2 := g2.mydb(t, "alice", "alice-secret", "shop", nil)
	if _, err := db2.Exec(q); err != nil {
		t.Fatalf("LOAD DATA LOCAL with local_infile on: %v", err)
	}
	var n int
	if err := direct.QueryRow("SELECT COUNT(*) FROM ld").Scan(&n); err != nil || n != 2 {
		t.Fatalf("loaded %d rows (%v)", n, err)
	}
}

// TestMySQLSQLiteEngine reaches a SQLite database over the MySQL protocol.
func TestMySQLSQLiteEngine(t *testing.T) {
	dir := t.TempDir()
	g := start(t, fmt.Sprintf("databases:\n  - {name: local, kind: sqlite, path: %s}\nusers:\n  - {name: alice, password: alice-secret}\n", filepath.Join(dir, "l.db")))
	for name, params := range map[string]map[string]string{"binary": {"parseTime": "true"}, "text": {"parseTime": "true", "interpolateParams": "true"}} {
		db := g.mydb(t, "alice", "alice-secret", "local", params)
		tbl := "t_" + name
		if _, err := db.Exec("CREATE TABLE " + tbl + " (id INTEGER PRIMARY KEY, name TEXT, price DECIMAL(10,2), at DATETIME, data BLOB, ok BOOLEAN)"); err != nil {
			t.Fatal(err)
		}
		at := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
		res, err := db.Exec("INSERT INTO "+tbl+" (name, price, at, data, ok) VALUES (?, ?, ?, ?, ?)", "widget", "9.50", at, []byte{1, 2, 3}, true)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if id, _ := res.LastInsertId(); id != 1 {
			t.Fatalf("%s: last insert id %d", name, id)
		}
		var (
			id    int64
			nm    string
			price string
			gotAt time.Time
			data  []byte
			ok    bool
		)
		if err := db.QueryRow("SELECT id, name, price, at, data, ok FROM "+tbl+" WHERE id = ?", 1).Scan(&id, &nm, &price, &gotAt, &data, &ok); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if id != 1 || nm != "widget" || price != "9.50" || !gotAt.Equal(at) || !bytes.Equal(data, []byte{1, 2, 3}) || !ok {
			t.Fatalf("%s: got %d %q %q %v %v %v", name, id, nm, price, gotAt, data, ok)
		}
		var null sql.NullString
		if err := db.QueryRow("SELECT NULL").Scan(&null); err != nil || null.Valid {
			t.Fatalf("%s: NULL: %v %v", name, null, err)
		}
		if _, err := db.Exec("INSERT INTO "+tbl+" (id) VALUES (?)", 1); myErrno(err) != 1062 {
			t.Fatalf("%s: duplicate key: %v", name, err)
		}
		if _, err := db.Exec("SELECT * FROM missing"); myErrno(err) != 1146 {
			t.Fatalf("%s: missing table: %v", name, err)
		}
	}
}

// TestMySQLCLI drives the relay with the mysql command-line client against
// a golden transcript.
func TestMySQLCLI(t *testing.T) {
	if _, err := exec.LookPath("mysql"); err != nil {
		t.Fatal("the mysql client is missing: run scripts/services.sh")
	}
	dsn, _ := myTestDB(t)
	g := start(t, myRelayConfig(dsn, "transaction", 2))
	host, port, _ := net.SplitHostPort(g.my)
	script, err := os.ReadFile("testdata/relay.mysql.sql")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("mysql", "--no-defaults", "-h", host, "-P", port, "-u", "alice", "-palice-secret", "--table", "--force", "shop")
	cmd.Stdin = bytes.NewReader(script)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	_ = cmd.Run()
	golden(t, "testdata/relay.mysql.out", stdout.String()+"-- stderr --\n"+stderr.String())
}

// TestMySQLSessionModeAndCommands covers session mode and the commands
// go-sql-driver does not send: COM_FIELD_LIST, COM_INIT_DB,
// COM_RESET_CONNECTION, COM_SET_OPTION, COM_STATISTICS, COM_CHANGE_USER
// and an unknown command.
func TestMySQLSessionModeAndCommands(t *testing.T) {
	dsn, direct := myTestDB(t)
	if _, err := direct.Exec("CREATE TABLE f (id INT PRIMARY KEY, label VARCHAR(10))"); err != nil {
		t.Fatal(err)
	}
	g := start(t, myRelayConfig(dsn, "session", 1))
	raw, err := client.Connect(g.my, "alice", "alice-secret", "shop")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	fields, err := raw.FieldList("f", "")
	if err != nil || len(fields) != 2 || string(fields[1].Name) != "label" {
		t.Fatalf("COM_FIELD_LIST: %v %v", fields, err)
	}
	if _, err := raw.Execute("SET @kept = 7"); err != nil {
		t.Fatal(err)
	}
	command := func(p ...byte) []byte {
		t.Helper()
		raw.ResetSequence()
		if err := raw.WritePacket(append([]byte{0, 0, 0, 0}, p...)); err != nil {
			t.Fatal(err)
		}
		r, err := raw.ReadPacket()
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := command(0x09); len(r) == 0 || r[0] == 0xff { // COM_STATISTICS
		t.Fatalf("COM_STATISTICS: %q", r)
	}
	if r := command(0x1b, 1, 0); r[0] != 0xfe && r[0] != 0x00 { // COM_SET_OPTION off
		t.Fatalf("COM_SET_OPTION: %q", r)
	}
	if _, err := raw.Execute("SELECT 1; SELECT 2"); err == nil || !strings.Contains(err.Error(), "1064") {
		t.Fatalf("multi-statements after COM_SET_OPTION off: %v", err)
	}
	if r := command(0x1b, 0, 0); r[0] != 0xfe && r[0] != 0x00 { // on again
		t.Fatalf("COM_SET_OPTION: %q", r)
	}
	res, err := raw.Execute("SELECT @kept")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := res.GetInt(0, 0); v != 7 {
		t.Fatalf("session mode lost a variable: %d", v)
	}
	if r := command(0x1f); r[0] != 0x00 { // COM_RESET_CONNECTION
		t.Fatalf("COM_RESET_CONNECTION: %q", r)
	}
	res, err = raw.Execute("SELECT @kept IS NULL")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := res.GetInt(0, 0); v != 1 {
		t.Fatal("variable survived COM_RESET_CONNECTION")
	}
	if r := command(0x11, 'b', 'o', 'b', 0); r[0] != 0xff { // COM_CHANGE_USER
		t.Fatalf("COM_CHANGE_USER: %q", r)
	}
	if r := command(0x20); r[0] != 0xff || r[1] != 0x17 || r[2] != 0x04 { // 1047
		t.Fatalf("unknown command: %q", r)
	}
	if err := raw.UseDB("shop"); err != nil {
		t.Fatalf("COM_INIT_DB to the same database: %v", err)
	}
	if err := raw.UseDB("elsewhere"); err == nil || !strings.Contains(err.Error(), "1049") {
		t.Fatalf("COM_INIT_DB to an unknown database: %v", err)
	}
	// Session mode: the only backend connection stays with alice; after
	// she leaves it is reset and serves bob.
	if _, err := raw.Execute("SET @mine = 1"); err != nil {
		t.Fatal(err)
	}
	bob := g.mydb(t, "bob", "bob-secret", "shop", nil)
	if _, err := bob.Exec("SELECT 1"); myErrno(err) != 1040 {
		t.Fatalf("second session with the pool held: %v", err)
	}
	raw.Close()
	var v sql.NullInt64
	if err := bob.QueryRow("SELECT @mine").Scan(&v); err != nil || v.Valid {
		t.Fatalf("state of the previous session: %v %v", v, err)
	}
}

// TestMySQLReloadAndDrain keeps a MySQL transaction through a reload and
// lets it finish during a drain, while an idle session is told to go.
func TestMySQLReloadAndDrain(t *testing.T) {
	dsn, direct := myTestDB(t)
	if _, err := direct.Exec("CREATE TABLE d (a INT)"); err != nil {
		t.Fatal(err)
	}
	g := start(t, myRelayConfig(dsn, "transaction", 2))
	ctx := context.Background()
	db := g.mydb(t, "alice", "alice-secret", "shop", nil)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("INSERT INTO d VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	g.rewrite(t, strings.Replace(myRelayConfig(dsn, "transaction", 3), "bob-secret", "bob-new", 1))
	g.sig <- syscall.SIGHUP
	eventually(t, 5*time.Second, func() error {
		if err := g.mydb(t, "bob", "bob-new", "shop", nil).Ping(); err != nil {
			return fmt.Errorf("reload not applied: %w", err)
		}
		return nil
	})
	if _, err := tx.Exec("INSERT INTO d VALUES (2)"); err != nil {
		t.Fatalf("transaction lost in the reload: %v", err)
	}
	idle := g.mydb(t, "bob", "bob-new", "shop", nil)
	ic, err := idle.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := ic.PingContext(ctx); err != nil {
		t.Fatal(err)
	}
	g.sig <- syscall.SIGTERM
	eventually(t, 5*time.Second, func() error {
		if err := ic.QueryRowContext(ctx, "SELECT 1").Scan(new(int)); err == nil {
			return errors.New("idle session still served after SIGTERM")
		}
		return nil
	})
	if _, err := tx.Exec("INSERT INTO d VALUES (3)"); err != nil {
		t.Fatalf("transaction cut short by the drain: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-g.done:
		if err != nil {
			t.Fatal(err)
		}
		g.done <- nil
	case <-time.After(10 * time.Second):
		t.Fatal("gateway did not stop after the last transaction")
	}
	var n int
	if err := direct.QueryRow("SELECT COUNT(*) FROM d").Scan(&n); err != nil || n != 3 {
		t.Fatalf("rows after drain: %d %v", n, err)
	}
}

// TestMySQLMaxConnections refuses clients over mysql.max_connections.
func TestMySQLMaxConnections(t *testing.T) {
	g := start(t, fmt.Sprintf("mysql: {max_connections: 1}\ndatabases:\n  - {name: local, kind: sqlite, path: %s}\nusers:\n  - {name: alice, password: alice-secret}\n", filepath.Join(t.TempDir(), "l.db")))
	db := g.mydb(t, "alice", "alice-secret", "local", nil)
	c, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := g.mydb(t, "alice", "alice-secret", "local", nil).Ping(); myErrno(err) != 1040 {
		t.Fatalf("second client over max_connections: %v", err)
	}
	c.Close()
	db.Close()
	eventually(t, 5*time.Second, func() error {
		if err := g.mydb(t, "alice", "alice-secret", "local", nil).Ping(); err != nil {
			return fmt.Errorf("slot not freed after the first client left: %w", err)
		}
		return nil
	})
}

// TestMySQLCursorFetch opens a read-only cursor with COM_STMT_EXECUTE and
// reads it with COM_STMT_FETCH, in transaction mode (the cursor pins).
func TestMySQLCursorFetch(t *testing.T) {
	dsn, _ := myTestDB(t)
	g := start(t, myRelayConfig(dsn, "transaction", 2))
	raw, err := client.Connect(g.my, "alice", "alice-secret", "shop")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	send := func(p ...byte) {
		t.Helper()
		raw.ResetSequence()
		if err := raw.WritePacket(append([]byte{0, 0, 0, 0}, p...)); err != nil {
			t.Fatal(err)
		}
	}
	read := func() []byte {
		t.Helper()
		p, err := raw.ReadPacket()
		if err != nil {
			t.Fatal(err)
		}
		if p[0] == 0xff {
			t.Fatalf("error: %q", p[3:])
		}
		return p
	}
	send(append([]byte{0x16}, "SELECT seq FROM seq_1_to_5"...)...)
	ok := read()
	id := ok[1:5]
	if cols := int(ok[5]) | int(ok[6])<<8; cols != 1 {
		t.Fatalf("prepare: %d columns", cols)
	}
	read() // the column definition (the client uses CLIENT_DEPRECATE_EOF)
	send(append(append([]byte{0x17}, id...), 1, 1, 0, 0, 0)...)
	if p := read(); p[0] != 1 {
		t.Fatalf("column count %q", p)
	}
	read() // column definition
	// OK packet with the EOF header: 0xfe, affected rows, insert id, status.
	if p := read(); p[0] != 0xfe || p[3]&0x40 == 0 { // SERVER_STATUS_CURSOR_EXISTS
		t.Fatalf("no cursor opened: %q", p)
	}
	var got []byte
	for {
		send(append(append([]byte{0x1c}, id...), 2, 0, 0, 0)...)
		done := false
		for {
			p := read()
			if p[0] == 0xfe && len(p) < 16 {
				done = p[3]&0x80 != 0 // SERVER_STATUS_LAST_ROW_SENT
				break
			}
			got = append(got, p[len(p)-8]) // binary row: header, null bitmap, BIGINT
		}
		if done {
			break
		}
		if len(got) > 10 {
			t.Fatal("cursor never ends")
		}
	}
	if !bytes.Equal(got, []byte{1, 2, 3, 4, 5}) {
		t.Fatalf("rows through the cursor: %v", got)
	}
}

// TestMySQLWithoutDeprecateEOF runs a client that does not ask for
// CLIENT_DEPRECATE_EOF (so expects EOF packets) on the same backend
// connections as clients that do.
func TestMySQLWithoutDeprecateEOF(t *testing.T) {
	dsn, direct := myTestDB(t)
	if _, err := direct.Exec("CREATE TABLE e (id INT PRIMARY KEY, v VARCHAR(10) NULL)"); err != nil {
		t.Fatal(err)
	}
	if _, err := direct.Exec("INSERT INTO e VALUES (1, 'a'), (2, NULL), (3, 'c')"); err != nil {
		t.Fatal(err)
	}
	g := start(t, myRelayConfig(dsn, "transaction", 1))
	for _, deprecate := range []bool{false, true, false} {
		c, err := client.Connect(g.my, "alice", "alice-secret", "shop", func(c *client.Conn) error {
			if !deprecate {
				c.UnsetCapability(gomysql.CLIENT_DEPRECATE_EOF)
			}
			return c.SetCapability(gomysql.CLIENT_MULTI_STATEMENTS)
		})
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.Execute("SELECT id, v FROM e ORDER BY id")
		if err != nil {
			t.Fatalf("deprecate=%v: %v", deprecate, err)
		}
		if len(res.Values) != 3 || res.Values[1][1].Value() != nil {
			t.Fatalf("deprecate=%v: rows %v", deprecate, res.Values)
		}
		st, err := c.Prepare("SELECT v FROM e WHERE id = ?")
		if err != nil {
			t.Fatalf("deprecate=%v: prepare: %v", deprecate, err)
		}
		res, err = st.Execute(3)
		if err != nil {
			t.Fatalf("deprecate=%v: execute: %v", deprecate, err)
		}
		if v, _ := res.GetString(0, 0); v != "c" {
			t.Fatalf("deprecate=%v: execute got %q", deprecate, v)
		}
		var sets int
		if _, err := c.ExecuteMultiple("SELECT 1; SELECT 2, 3; DO 0", func(r *gomysql.Result, err error) {
			if err != nil {
				t.Errorf("deprecate=%v: multi: %v", deprecate, err)
			}
			sets++
		}); err != nil {
			t.Fatalf("deprecate=%v: multi: %v", deprecate, err)
		}
		if sets != 3 {
			t.Fatalf("deprecate=%v: %d results", deprecate, sets)
		}
		fields, err := c.FieldList("e", "")
		if err != nil || len(fields) != 2 {
			t.Fatalf("deprecate=%v: field list %v %v", deprecate, fields, err)
		}
		_ = st.Close()
		c.Close()
	}
}

// TestMySQLFoundRows gives CLIENT_FOUND_ROWS clients their own backend
// connections: an UPDATE that changes nothing counts the rows it matched
// for them and 0 for others.
func TestMySQLFoundRows(t *testing.T) {
	dsn, direct := myTestDB(t)
	for _, q := range []string{"CREATE TABLE fr (id INT PRIMARY KEY, v INT)", "INSERT INTO fr VALUES (1, 5)"} {
		if _, err := direct.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	g := start(t, myRelayConfig(dsn, "transaction", 1))
	for _, found := range []bool{true, false, true} {
		db := g.mydb(t, "alice", "alice-secret", "shop", map[string]string{"clientFoundRows": fmt.Sprint(found)})
		res, err := db.Exec("UPDATE fr SET v = 5 WHERE id = 1")
		if err != nil {
			t.Fatal(err)
		}
		n, _ := res.RowsAffected()
		if want := map[bool]int64{true: 1, false: 0}[found]; n != want {
			t.Fatalf("clientFoundRows=%v: %d rows affected, want %d", found, n, want)
		}
		db.Close()
	}
}

// A user given only as a scram: verifier has no caching_sha2_password
// entry until one full authentication, which needs TLS or the server's
// RSA key. The mysql client with its default SSL setting against a
// gateway without tls: sends the password in the clear; the gateway
// refuses it with 1045 and logs why (never the password); with
// --skip-ssl the client fetches the RSA key and the login works, and
// later logins take the fast path.
func TestMySQLFirstLoginOfSCRAMUser(t *testing.T) {
	if _, err := exec.LookPath("mysql"); err != nil {
		t.Fatal("the mysql client is missing: run scripts/services.sh")
	}
	const pw = "first-login-pw-7"
	v, err := authn.NewVerifier(pw, 4096)
	if err != nil {
		t.Fatal(err)
	}
	g := start(t, fmt.Sprintf("databases: [{name: lite, kind: sqlite, path: %s}]\nusers: [{name: carol, scram: '%s'}]\n",
		filepath.Join(t.TempDir(), "l.db"), v))
	host, port, _ := net.SplitHostPort(g.my)
	mysqlCLI := func(extra ...string) (string, error) {
		args := append([]string{"--no-defaults", "-h", host, "-P", port, "-u", "carol", "-p" + pw, "-N", "-e", "SELECT 40 + 2"}, extra...)
		out, err := exec.Command("mysql", append(args, "lite")...).CombinedOutput()
		return string(out), err
	}
	out, err := mysqlCLI()
	if err == nil || !strings.Contains(out, "ERROR 1045 (28000)") {
		t.Fatalf("first login with the default SSL setting: %v %q", err, out)
	}
	if log := g.log.String(); !strings.Contains(log, "full authentication needs TLS or RSA key retrieval") || !strings.Contains(log, `"user":"carol"`) {
		t.Fatalf("the log does not say why:\n%s", log)
	}
	if strings.Contains(g.log.String(), pw) {
		t.Fatal("the password is in the log")
	}
	if out, err := mysqlCLI("--skip-ssl"); err != nil || strings.TrimSpace(out) != "42" {
		t.Fatalf("login fetching the RSA key: %v %q", err, out)
	}
	if out, err := mysqlCLI(); err != nil || strings.TrimSpace(out) != "42" {
		t.Fatalf("login after the first (fast path): %v %q", err, out)
	}
}
