package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	afsql "github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/floe-db/floe/internal/app"
)

// netDialer dials from a local loopback address (127.0.0.2, 127.0.0.3,
// ::1), so that the gateway sees that client address.
func netDialer(from string) *net.Dialer {
	return &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 10 * time.Second}
}

// netClients reach one gateway from one source address over each
// protocol.
type netClients struct {
	t    *testing.T
	g    *gateway
	from string
}

func (g *gateway) from(t *testing.T, addr string) netClients {
	return netClients{t: t, g: g, from: addr}
}

// pg connects with pgx; the connection is closed when the test ends.
func (n netClients) pg(user, password, db string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(n.g.dsn(user, password, db))
	if err != nil {
		n.t.Fatal(err)
	}
	cfg.DialFunc = netDialer(n.from).DialContext
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err == nil {
		n.t.Cleanup(func() { c.Close(context.Background()) })
	}
	return c, err
}

// pgExec connects and runs one statement.
func (n netClients) pgExec(user, password, db, q string) error {
	c, err := n.pg(user, password, db)
	if err != nil {
		return err
	}
	_, err = c.Exec(context.Background(), q)
	return err
}

// myExec connects with go-sql-driver/mysql and runs one statement.
func (n netClients) myExec(user, password, db, q string) error {
	dialer := fmt.Sprintf("floe_t_from_%s_%p", strings.NewReplacer(".", "_", ":", "_").Replace(n.from), n.t)
	mysql.RegisterDialContext(dialer, func(ctx context.Context, addr string) (net.Conn, error) {
		return netDialer(n.from).DialContext(ctx, "tcp", addr)
	})
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName = user, password, dialer, n.g.my, db
	cfg.Timeout = 10 * time.Second
	db2, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		n.t.Fatal(err)
	}
	defer db2.Close()
	_, err = db2.Exec(q)
	return err
}

// httpQuery posts one statement to the HTTP data API with Basic
// credentials (a password) or, when user is "", the bearer token
// password; it returns the status and body.
func (n netClients) httpQuery(user, password, db, q string) (int, string) {
	return n.httpPost("/v1/query", user, password, queryBody(db, q))
}

// httpToken gets a bearer token with a password (0 and the body when
// refused).
func (n netClients) httpToken(user, password string) (string, int, string) {
	code, body := n.httpPost("/v1/token", user, password, "{}")
	var tok struct{ Token string }
	if code == 200 {
		if err := json.Unmarshal([]byte(body), &tok); err != nil {
			n.t.Fatal(err)
		}
	}
	return tok.Token, code, body
}

func (n netClients) httpPost(path, user, password, body string) (int, string) {
	tr := &http.Transport{DialContext: netDialer(n.from).DialContext, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequest("POST", "http://"+n.g.http+path, strings.NewReader(body))
	if err != nil {
		n.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if user == "" {
		req.Header.Set("Authorization", "Bearer "+password)
	} else {
		req.SetBasicAuth(user, password)
	}
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// flightQuery logs in over Flight SQL and reads the first column of
// the result of q (the Flight SQL server runs queries only).
func (n netClients) flightQuery(user, password, db, q string) ([]string, error) {
	cl, err := afsql.NewClient(n.g.flight, nil, nil, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
			return netDialer(n.from).DialContext(ctx, "tcp", addr)
		}))
	if err != nil {
		n.t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	actx, err := cl.Client.AuthenticateBasicToken(ctx, user, password)
	if err != nil {
		return nil, err
	}
	actx = metadata.AppendToOutgoingContext(actx, "x-floe-database", db)
	info, err := cl.Execute(actx, q)
	if err != nil {
		return nil, err
	}
	rdr, err := cl.DoGet(actx, info.Endpoint[0].Ticket)
	if err != nil {
		return nil, err
	}
	defer rdr.Release()
	var out []string
	for rdr.Next() {
		for _, row := range batchRows(rdr.RecordBatch()) {
			out = append(out, row[0])
		}
	}
	return out, rdr.Err()
}

// pgRows reads the first column of every row of q on the database
// directly, sorted by the query.
func netPGRows(t *testing.T, dsn, q string) []string {
	t.Helper()
	c, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	rows, err := c.Query(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// refusalsTotal sums floe_network_refusals_total for a protocol and stage.
func refusalsTotal(t *testing.T, g *gateway, protocol, stage string) int {
	t.Helper()
	resp, err := http.Get("http://" + g.admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	prefix := fmt.Sprintf(`floe_network_refusals_total{protocol=%q,stage=%q} `, protocol, stage)
	for _, l := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(l, prefix); ok {
			var n int
			fmt.Sscan(v, &n)
			return n
		}
	}
	return 0
}

func networkConfig(pgDSN, myDSN, auditPath, network string) string {
	return fmt.Sprintf(`databases:
  - {name: pgapp, kind: postgres, primary: %q}
  - {name: myapp, kind: mysql, primary: %q}
users:
  - {name: alice, password: alice-secret, roles: [writer]}
  - {name: bob, password: bob-secret, roles: [writer]}
  - {name: carol, password: carol-secret, roles: [ops]}
roles:
  - name: writer
    grants:
      - {database: "*", actions: [all]}
  - name: ops
    grants:
      - {database: "*", actions: [all]}
audit:
  file: %s
%s`, pgDSN, myDSN, auditPath, network)
}

// networkDatabases makes table t (who text) in a PostgreSQL and a MySQL
// database and returns their Floe DSNs and direct readers of t.
func networkDatabases(t *testing.T) (pgDSN, myDSN string, pgWho, myWho func() []string) {
	pgDSN = testDB(t)
	c, err := pgx.Connect(context.Background(), pgDSN)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(context.Background(), "CREATE TABLE t (who text)"); err != nil {
		t.Fatal(err)
	}
	c.Close(context.Background())
	myDSN, direct := myTestDB(t)
	if _, err := direct.Exec("CREATE TABLE t (who varchar(64))"); err != nil {
		t.Fatal(err)
	}
	pgWho = func() []string { return netPGRows(t, pgDSN, "SELECT who FROM t ORDER BY who") }
	myWho = func() []string {
		out, err := sqlStrings(direct.Query("SELECT who FROM t ORDER BY who"))
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	return
}

// TestNetworkRules: one rule list, every protocol, three source
// addresses. A network refused outright is turned away at accept (no
// handshake: no authentication is even attempted); a user refused by
// name is turned away before the password is checked, on every protocol
// and in any letter case; the rows written are exactly the allowed
// clients'.
func TestNetworkRules(t *testing.T) {
	pgDSN, myDSN, pgWho, myWho := networkDatabases(t)
	auditPath := filepath.Join(t.TempDir(), "audit.jsonl")
	g := start(t, networkConfig(pgDSN, myDSN, auditPath, `network:
  rules:
    - {action: deny, cidrs: [127.0.0.3]}
    - {action: deny, cidrs: [127.0.0.0/8], users: [bob]}
    - {action: allow, cidrs: [127.0.0.2/32], users: [alice]}
    - {action: allow, cidrs: [127.0.0.2/32], roles: [ops], protocols: [postgres]}
`))
	two, three := g.from(t, "127.0.0.2"), g.from(t, "127.0.0.3")

	// PostgreSQL.
	if err := two.pgExec("alice", "alice-secret", "pgapp", "INSERT INTO t VALUES ('alice-pg')"); err != nil {
		t.Fatalf("alice from 127.0.0.2: %v", err)
	}
	if err := two.pgExec("carol", "carol-secret", "pgapp", "INSERT INTO t VALUES ('carol-pg')"); err != nil {
		t.Fatalf("carol (role ops) from 127.0.0.2: %v", err)
	}
	for _, name := range []string{"bob", "BOB", "Bob"} {
		err := two.pgExec(name, "bob-secret", "pgapp", "INSERT INTO t VALUES ('bob-pg')")
		if sqlstate(err) != "28000" || !strings.Contains(err.Error(), "network rules refuse") {
			t.Errorf("%s from 127.0.0.2: %v", name, err)
		}
	}
	err := three.pgExec("alice", "alice-secret", "pgapp", "INSERT INTO t VALUES ('alice-pg-3')")
	if sqlstate(err) != "28000" || !strings.Contains(err.Error(), `host "127.0.0.3"`) {
		t.Errorf("alice from 127.0.0.3: %v", err)
	}
	if err := g.from(t, "127.0.0.1").pgExec("alice", "alice-secret", "pgapp", "INSERT INTO t VALUES ('alice-pg-1')"); sqlstate(err) != "28000" {
		t.Errorf("alice from 127.0.0.1 (default deny): %v", err)
	}

	// MySQL.
	if err := two.myExec("alice", "alice-secret", "myapp", "INSERT INTO t VALUES ('alice-my')"); err != nil {
		t.Fatalf("alice from 127.0.0.2: %v", err)
	}
	for _, name := range []string{"bob", "bOb"} {
		if err := two.myExec(name, "bob-secret", "myapp", "INSERT INTO t VALUES ('bob-my')"); myErrno(err) != 1130 {
			t.Errorf("%s from 127.0.0.2: %v", name, err)
		}
	}
	if err := three.myExec("alice", "alice-secret", "myapp", "INSERT INTO t VALUES ('alice-my-3')"); myErrno(err) != 1130 || !strings.Contains(err.Error(), "127.0.0.3") {
		t.Errorf("alice from 127.0.0.3: %v", err)
	}
	// carol's allowing rule names postgres only.
	if err := two.myExec("carol", "carol-secret", "myapp", "INSERT INTO t VALUES ('carol-my')"); myErrno(err) != 1130 {
		t.Errorf("carol over MySQL: %v", err)
	}

	// HTTP.
	if code, body := two.httpQuery("alice", "alice-secret", "pgapp", "INSERT INTO t VALUES ('alice-http')"); code != 200 {
		t.Fatalf("alice over HTTP: %d %s", code, body)
	}
	if code, body := two.httpQuery("BOB", "bob-secret", "pgapp", "INSERT INTO t VALUES ('bob-http')"); code != 403 || !strings.Contains(body, `"rule":"network"`) {
		t.Errorf("BOB over HTTP: %d %s", code, body)
	}
	if code, body := three.httpQuery("alice", "alice-secret", "pgapp", "INSERT INTO t VALUES ('alice-http-3')"); code != 403 || !strings.Contains(body, "127.0.0.3") {
		t.Errorf("alice over HTTP from 127.0.0.3: %d %s", code, body)
	}

	// Flight SQL (queries only): the refused read nothing.
	if rows, err := two.flightQuery("alice", "alice-secret", "myapp", "SELECT who FROM t"); err != nil || strings.Join(rows, ",") != "alice-my" {
		t.Fatalf("alice over Flight SQL: %v %v", rows, err)
	}
	if rows, err := two.flightQuery("bob", "bob-secret", "myapp", "SELECT who FROM t"); status.Code(err) != codes.PermissionDenied || rows != nil {
		t.Errorf("bob over Flight SQL: %v %v", rows, err)
	}
	if rows, err := three.flightQuery("alice", "alice-secret", "myapp", "SELECT who FROM t"); err == nil || rows != nil {
		t.Errorf("alice over Flight SQL from 127.0.0.3 read %v", rows)
	}

	// The effect: only the allowed clients' rows.
	if got, want := strings.Join(pgWho(), ","), "alice-http,alice-pg,carol-pg"; got != want {
		t.Errorf("PostgreSQL rows %s, want %s", got, want)
	}
	if got, want := strings.Join(myWho(), ","), "alice-my"; got != want {
		t.Errorf("MySQL rows %s, want %s", got, want)
	}

	// Refused at accept: no authentication was ever attempted from
	// 127.0.0.3 (nothing was read), and each refusal was audited.
	for _, rec := range auditEvents(t, auditPath, "auth") {
		if rec["client"] == "127.0.0.3" {
			t.Errorf("an authentication from a refused network: %v", rec)
		}
	}
	stages := map[string]int{}
	for _, rec := range auditEvents(t, auditPath, "network") {
		stages[fmt.Sprint(rec["protocol"], "/", rec["stage"], "/", rec["client"])]++
		if rec["stage"] == "login" && rec["user"] != nil && !strings.EqualFold(rec["user"].(string), "bob") && rec["user"] != "carol" {
			t.Errorf("unexpected login refusal %v", rec)
		}
	}
	for _, want := range []string{"postgres/accept/127.0.0.3", "mysql/accept/127.0.0.3", "http/accept/127.0.0.3", "flightsql/accept/127.0.0.3",
		"postgres/login/127.0.0.2", "mysql/login/127.0.0.2", "http/login/127.0.0.2", "flightsql/login/127.0.0.2", "postgres/accept/127.0.0.1"} {
		if stages[want] == 0 {
			t.Errorf("no audit record %s in %v", want, stages)
		}
	}
	if n := refusalsTotal(t, g, "postgres", "login"); n != 3 {
		t.Errorf("postgres login refusals %d, want 3", n)
	}
	if n := refusalsTotal(t, g, "mysql", "accept"); n != 1 {
		t.Errorf("mysql accept refusals %d, want 1", n)
	}
}

// TestNetworkRulesReload: a reload applies new rules to new connections
// and to the next statement of sessions already open; a reload back
// lets them in again.
func TestNetworkRulesReload(t *testing.T) {
	pgDSN, myDSN, pgWho, myWho := networkDatabases(t)
	auditPath := filepath.Join(t.TempDir(), "audit.jsonl")
	open := networkConfig(pgDSN, myDSN, auditPath, "network: {default: allow}\n")
	g := start(t, open)
	two := g.from(t, "127.0.0.2")
	pg, err := two.pg("alice", "alice-secret", "pgapp")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pg.Exec(context.Background(), "INSERT INTO t VALUES ('before')"); err != nil {
		t.Fatal(err)
	}
	myCfg := mysql.NewConfig()
	mysql.RegisterDialContext("floe_t_reload_from_2", func(ctx context.Context, addr string) (net.Conn, error) {
		return netDialer("127.0.0.2").DialContext(ctx, "tcp", addr)
	})
	myCfg.User, myCfg.Passwd, myCfg.Net, myCfg.Addr, myCfg.DBName = "alice", "alice-secret", "floe_t_reload_from_2", g.my, "myapp"
	myPool, err := sql.Open("mysql", myCfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer myPool.Close()
	my, err := myPool.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer my.Close()
	if _, err := my.ExecContext(context.Background(), "INSERT INTO t VALUES ('before')"); err != nil {
		t.Fatal(err)
	}

	g.rewrite(t, networkConfig(pgDSN, myDSN, auditPath, "network:\n  default: allow\n  rules:\n    - {action: deny, cidrs: [127.0.0.2]}\n"))
	g.sig <- syscall.SIGHUP
	eventually(t, 10*time.Second, func() error {
		if err := two.pgExec("alice", "alice-secret", "pgapp", "SELECT 1"); sqlstate(err) != "28000" {
			return fmt.Errorf("a new connection from 127.0.0.2 after the reload: %v", err)
		}
		return nil
	})
	// The sessions opened before: their next statement is refused.
	if _, err := pg.Exec(context.Background(), "INSERT INTO t VALUES ('after')"); sqlstate(err) != "28000" {
		t.Errorf("established PostgreSQL session after the reload: %v", err)
	}
	if _, err := my.ExecContext(context.Background(), "INSERT INTO t VALUES ('after')"); myErrno(err) != 1130 {
		t.Errorf("established MySQL session after the reload: %v", err)
	}
	// Another address is still served.
	if err := g.from(t, "127.0.0.1").pgExec("alice", "alice-secret", "pgapp", "INSERT INTO t VALUES ('other')"); err != nil {
		t.Errorf("from 127.0.0.1: %v", err)
	}
	if got := strings.Join(pgWho(), ","); got != "before,other" {
		t.Errorf("PostgreSQL rows %s", got)
	}
	if got := strings.Join(myWho(), ","); got != "before" {
		t.Errorf("MySQL rows %s", got)
	}
	// The audit sink writes on its own goroutine: wait for the record.
	eventually(t, 5*time.Second, func() error {
		for _, rec := range auditEvents(t, auditPath, "network") {
			if rec["stage"] == "statement" && rec["protocol"] == "postgres" && rec["user"] == "alice" {
				return nil
			}
		}
		return fmt.Errorf("no audit record of the refused statement")
	})

	g.rewrite(t, open)
	g.sig <- syscall.SIGHUP
	eventually(t, 10*time.Second, func() error {
		return two.pgExec("alice", "alice-secret", "pgapp", "INSERT INTO t VALUES ('again')")
	})
	if _, err := pg.Exec(context.Background(), "INSERT INTO t VALUES ('resumed')"); err != nil {
		t.Errorf("the session opened before, allowed again: %v", err)
	}
	if got := strings.Join(pgWho(), ","); got != "again,before,other,resumed" {
		t.Errorf("PostgreSQL rows %s", got)
	}
}

// TestNetworkRulesAdminAPI: rules put through the admin API (into the
// shared store) come before the file's and apply at once; an invalid
// list is refused whole; emptying the list lets the client in again.
func TestNetworkRulesAdminAPI(t *testing.T) {
	pgDSN, myDSN, pgWho, _ := networkDatabases(t)
	auditPath := filepath.Join(t.TempDir(), "audit.jsonl")
	storeDSN := testDB(t)
	g := start(t, networkConfig(pgDSN, myDSN, auditPath, fmt.Sprintf(`network:
  rules:
    - {action: allow, cidrs: [127.0.0.0/8]}
store: {kind: postgres, dsn: %q}
`, storeDSN)))
	two, one := g.from(t, "127.0.0.2"), g.from(t, "127.0.0.1")
	if err := two.pgExec("alice", "alice-secret", "pgapp", "INSERT INTO t VALUES ('before')"); err != nil {
		t.Fatal(err)
	}
	tok, code, body := two.httpToken("alice", "alice-secret")
	if code != 200 {
		t.Fatalf("token: %d %s", code, body)
	}
	rules := map[string]any{"rules": []map[string]any{{"action": "deny", "cidrs": []string{"127.0.0.2"}, "users": []string{"alice"}}}}
	if code := g.adminSend(t, "PUT", "/api/v1/network", rules); code != 200 {
		t.Fatalf("PUT /api/v1/network: %d", code)
	}
	eventually(t, 10*time.Second, func() error {
		if err := two.pgExec("alice", "alice-secret", "pgapp", "SELECT 1"); sqlstate(err) != "28000" {
			return fmt.Errorf("alice from 127.0.0.2 after the edit: %v", err)
		}
		return nil
	})
	if code, body := two.httpQuery("alice", "alice-secret", "pgapp", "INSERT INTO t VALUES ('http')"); code != 403 {
		t.Errorf("alice over HTTP after the edit: %d %s", code, body)
	}
	// A token issued before the edit is refused by the name it claims.
	if code, body := two.httpQuery("", tok, "pgapp", "INSERT INTO t VALUES ('token')"); code != 403 || !strings.Contains(body, `"rule":"network"`) {
		t.Errorf("alice's token after the edit: %d %s", code, body)
	}
	if code, body := one.httpQuery("", tok, "pgapp", "INSERT INTO t VALUES ('token-one')"); code != 200 {
		t.Errorf("alice's token from 127.0.0.1: %d %s", code, body)
	}
	if err := two.pgExec("bob", "bob-secret", "pgapp", "INSERT INTO t VALUES ('bob')"); err != nil {
		t.Errorf("bob from 127.0.0.2: %v", err)
	}
	if err := one.pgExec("alice", "alice-secret", "pgapp", "INSERT INTO t VALUES ('one')"); err != nil {
		t.Errorf("alice from 127.0.0.1: %v", err)
	}
	var lists struct{ File, Store []map[string]any }
	if code := g.adminCall(t, "GET", "/api/v1/network", testReadToken, &lists); code != 200 || len(lists.File) != 1 || len(lists.Store) != 1 {
		t.Errorf("GET /api/v1/network: %d %+v", code, lists)
	}
	bad := map[string]any{"rules": []map[string]any{{"action": "deny", "cidrs": []string{"127.0.0.300"}}}}
	if code := g.adminSend(t, "PUT", "/api/v1/network", bad); code != 422 {
		t.Errorf("PUT of a bad CIDR: %d", code)
	}
	if code := g.adminSend(t, "PUT", "/api/v1/network", map[string]any{"rules": []any{}}); code != 200 {
		t.Fatalf("PUT of no rules: %d", code)
	}
	eventually(t, 10*time.Second, func() error {
		return two.pgExec("alice", "alice-secret", "pgapp", "INSERT INTO t VALUES ('after')")
	})
	if got := strings.Join(pgWho(), ","); got != "after,before,bob,one,token-one" {
		t.Errorf("rows %s", got)
	}
}

// TestNetworkRefusalRevealsNothing: a client from a refused network gets
// no server handshake: no TLS offer, no version, no salt or nonce. The
// PostgreSQL listener answers the SSLRequest with a FATAL 28000 error
// instead of 'S' or 'N'; the MySQL listener sends an ERR 1130 packet in
// place of its greeting; the HTTP listener a 403 before reading the
// request; the Flight SQL listener closes at once.
func TestNetworkRefusalRevealsNothing(t *testing.T) {
	pgDSN, myDSN, _, _ := networkDatabases(t)
	g := start(t, networkConfig(pgDSN, myDSN, filepath.Join(t.TempDir(), "audit.jsonl"), `network:
  default: allow
  rules:
    - {action: deny, cidrs: [127.0.0.3]}
`))
	read := func(addr string, send []byte) []byte {
		t.Helper()
		c, err := netDialer("127.0.0.3").Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if send != nil {
			if _, err := c.Write(send); err != nil {
				t.Fatal(err)
			}
		}
		b, err := io.ReadAll(c)
		if err != nil {
			t.Fatalf("%s: %v (read %q)", addr, err, b)
		}
		return b
	}
	sslRequest := []byte{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f}
	if b := read(g.pg, sslRequest); len(b) < 6 || b[0] != 'E' || !strings.Contains(string(b), "C28000") || strings.Contains(string(b), "SCRAM") {
		t.Errorf("PostgreSQL answered %q", b)
	}
	b := read(g.my, nil)
	if len(b) < 7 || b[3] != 0 || b[4] != 0xff || b[5] != 0x6a || b[6] != 0x04 || strings.Contains(string(b), "floe") || strings.Contains(string(b), "mysql_native") {
		t.Errorf("MySQL sent %q", b)
	}
	if b := read(g.http, []byte("GET /v1/databases HTTP/1.1\r\nHost: x\r\n\r\n")); !strings.HasPrefix(string(b), "HTTP/1.1 403 ") {
		t.Errorf("HTTP answered %q", b)
	}
	if b := read(g.flight, nil); len(b) != 0 {
		t.Errorf("Flight SQL sent %q", b)
	}
	// The same listeners serve another address.
	if err := g.from(t, "127.0.0.2").pgExec("alice", "alice-secret", "pgapp", "SELECT 1"); err != nil {
		t.Fatal(err)
	}
}

// startOn is start with the listeners on listen's host (a "[::1]" for
// IPv6 clients).
func startOn(t *testing.T, host, yaml string) *gateway {
	t.Helper()
	dir := t.TempDir()
	g := &gateway{sig: make(chan os.Signal, 4), done: make(chan error, 1), dir: dir, cfgPath: filepath.Join(dir, "floe.yaml"), log: &logBuffer{}}
	l := host + ":0"
	full := fmt.Sprintf("listen: {postgres: %q, mysql: %q, admin: 127.0.0.1:0, http: %q, flightsql: %q}\nshutdown: {timeout: 5s}\n", l, l, l, l) + withAdminTokens(yaml)
	if err := os.WriteFile(g.cfgPath, []byte(full), 0o600); err != nil {
		t.Fatal(err)
	}
	ready := make(chan app.Addrs, 1)
	go func() {
		g.done <- app.Run(context.Background(), app.Options{ConfigPath: g.cfgPath, Stdout: os.Stdout, Stderr: g.log, Signals: g.sig,
			Ready: func(a app.Addrs) { ready <- a }})
	}()
	select {
	case a := <-ready:
		g.pg, g.my, g.admin, g.http, g.flight = a.Postgres, a.MySQL, a.Admin, a.HTTP, a.FlightSQL
	case err := <-g.done:
		t.Fatalf("gateway did not start: %v", err)
	}
	t.Cleanup(func() {
		g.stop(t)
		if t.Failed() {
			t.Logf("gateway log:\n%s", g.log.String())
		}
	})
	return g
}

// TestNetworkRulesIPv6: rules on IPv6 prefixes, for clients on ::1.
func TestNetworkRulesIPv6(t *testing.T) {
	pgDSN, myDSN, pgWho, myWho := networkDatabases(t)
	g := startOn(t, "[::1]", networkConfig(pgDSN, myDSN, filepath.Join(t.TempDir(), "audit.jsonl"), `network:
  rules:
    - {action: deny, cidrs: ["::1"], users: [bob]}
    - {action: allow, cidrs: ["::/0"], users: [alice]}
    - {action: allow, cidrs: [0.0.0.0/0], users: [bob]}
`))
	six := g.from(t, "::1")
	if err := six.pgExec("alice", "alice-secret", "pgapp", "INSERT INTO t VALUES ('alice')"); err != nil {
		t.Fatalf("alice from ::1: %v", err)
	}
	if err := six.pgExec("BOB", "bob-secret", "pgapp", "INSERT INTO t VALUES ('bob')"); sqlstate(err) != "28000" || !strings.Contains(err.Error(), `host "::1"`) {
		t.Errorf("bob from ::1: %v", err)
	}
	if err := six.myExec("bob", "bob-secret", "myapp", "INSERT INTO t VALUES ('bob')"); myErrno(err) != 1130 {
		t.Errorf("bob from ::1 over MySQL: %v", err)
	}
	if err := six.myExec("carol", "carol-secret", "myapp", "INSERT INTO t VALUES ('carol')"); myErrno(err) != 1130 {
		t.Errorf("carol from ::1 (default deny) over MySQL: %v", err)
	}
	if code, body := six.httpQuery("alice", "alice-secret", "myapp", "INSERT INTO t VALUES ('alice-http')"); code != 200 {
		t.Errorf("alice over HTTP from ::1: %d %s", code, body)
	}
	if got := strings.Join(pgWho(), ","); got != "alice" {
		t.Errorf("PostgreSQL rows %s", got)
	}
	if got := strings.Join(myWho(), ","); got != "alice-http" {
		t.Errorf("MySQL rows %s", got)
	}
}
