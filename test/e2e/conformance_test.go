package e2e

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-adbc/go/adbc"
	adbcflight "github.com/apache/arrow-adbc/go/adbc/driver/flightsql"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib"
)

// The conformance table: one list of scenarios, each run on every
// statement path through a small adapter per path. Every path serves the
// same users, grants, firewall, masks, row filter, limits and audit log,
// over equal tables in PostgreSQL, MariaDB and SQLite, and every scenario
// expects the same outcome on every path. Adding a path means adding one
// adapter (a confPath) to the list in TestConformance.

// confPath is one way a client's statement reaches a database.
type confPath interface {
	// Name names the path in test names and in knownDivergent.
	Name() string
	// Engine is the database the statements run on: postgres, mysql or
	// sqlite (for the engine's SQL dialect and for direct checks).
	Engine() string
	// Database is the gateway database the path opens.
	Database() string
	// Exec runs one statement as user and returns its rows as text (NULL
	// for a null), and on failure the SQLSTATE the client received (MySQL
	// error numbers of refusals mapped to theirs) and the error. Rows
	// received before a failure are returned with it.
	Exec(ctx context.Context, user, password, sql string) (rows [][]string, code string, err error)
}

// knownDivergent lists the (path, scenario) pairs that do not conform
// yet, each with the reason. Their scenarios still run: a listed pair
// that conforms fails the test, so the list only shrinks.
var knownDivergent = map[[2]string]string{}

// confPassword is every conformance user's password.
const confPassword = "conf-secret"

// confUserKinds are the users made for each path: <kind>_<path tag>, so
// counters, limits and audit records of one path are its own.
var confUserKinds = []string{"r", "rate", "conc", "rows", "audit", "stats", "metrics"}

const (
	confBurst   = 3
	confMaxRows = 2
)

// confSchema creates and fills the tables; the same text serves the
// three engines.
var confSchema = []string{
	"CREATE TABLE customers (id int PRIMARY KEY, name varchar(40), email varchar(80))",
	"INSERT INTO customers VALUES (1, 'Ada', 'ada@example.com'), (2, 'Brian', NULL), (3, 'Cleo', 'cleo@example.org')",
	"CREATE TABLE orders (id int PRIMARY KEY, region varchar(8), amount int)",
	"INSERT INTO orders VALUES (1, 'eu', 10), (2, 'us', 20), (3, 'eu', 30)",
	"CREATE TABLE secrets (k int)",
	"INSERT INTO secrets VALUES (42)",
}

// confEnv is the gateway and the direct connections the scenarios check
// effects through.
type confEnv struct {
	g      *gateway
	audit  string
	direct map[string]*sql.DB // by engine
	// wait bounds the wait for effects that show up after the statement
	// (audit records, statistics, counters): shorter for known
	// divergences, which would only wait it out.
	wait time.Duration
}

// count runs a count(*) query directly on the engine.
func (e *confEnv) count(ctx context.Context, engine, query string) (int, error) {
	var n int
	err := e.direct[engine].QueryRowContext(ctx, query).Scan(&n)
	return n, err
}

func confUser(kind string, p confPath) string {
	return kind + "_" + strings.ReplaceAll(p.Name(), "-", "_")
}

func confConfig(pgDSN, myDSN, litePath, auditPath string, paths []confPath) string {
	var users, limits, overrides strings.Builder
	for _, p := range paths {
		for _, k := range confUserKinds {
			roles := "analyst"
			if k == "conc" {
				roles += ", sleeper"
			}
			fmt.Fprintf(&users, "  - {name: %s, password: %s, roles: [%s]}\n", confUser(k, p), confPassword, roles)
		}
		// A tiny rate: no token comes back while the test runs.
		fmt.Fprintf(&limits, "  - {per: user, user: %s, rate: 0.001, burst: %d}\n", confUser("rate", p), confBurst)
		fmt.Fprintf(&limits, "  - {per: user, user: %s, concurrent_queries: 1}\n", confUser("conc", p))
		fmt.Fprintf(&limits, "  - {per: user, user: %s, max_result_rows: %d}\n", confUser("rows", p), confMaxRows)
		// The concurrency scenario holds a slot with a delay function,
		// which the firewall would refuse.
		fmt.Fprintf(&overrides, "    - {user: %s, mode: \"off\"}\n", confUser("conc", p))
	}
	return fmt.Sprintf(`databases:
  - {name: app, kind: postgres, primary: %q, pool: {mode: transaction, size: 8}}
  - {name: shop, kind: mysql, primary: %q, pool: {mode: transaction, size: 8}}
  - {name: lite, kind: sqlite, path: %q}
users:
%sroles:
  - name: analyst
    grants:
      - {database: "*", tables: ["*"], actions: [select]}
      - {database: "*", tables: [secrets], actions: [select], deny: true}
    row_filters:
      - {database: app, table: orders, where: "region = 'eu'"}
      - {database: shop, table: orders, where: "region = 'eu'"}
      - {database: lite, table: orders, where: "region = 'eu'"}
  - name: sleeper
    grants:
      - {database: "*", functions: [pg_sleep, sleep], actions: [execute]}
masking:
  - {database: "*", table: customers, column: email, method: email}
firewall:
  mode: protect
  overrides:
%slimits:
%saudit:
  file: %q
`, pgDSN, myDSN, litePath, users.String(), overrides.String(), limits.String(), auditPath)
}

// confScenario is one row of the table: run does it on path p and says
// what differed from the expectation (nil: it conforms).
type confScenario struct {
	name string
	run  func(ctx context.Context, e *confEnv, p confPath) error
}

var confScenarios = []confScenario{
	{"allowed-read", func(ctx context.Context, e *confEnv, p confPath) error {
		return expectRows(ctx, p, confUser("r", p), "SELECT id, name FROM customers ORDER BY id",
			[][]string{{"1", "Ada"}, {"2", "Brian"}, {"3", "Cleo"}})
	}},
	{"grant-denied", func(ctx context.Context, e *confEnv, p confPath) error {
		u := confUser("r", p)
		if err := expectCode(ctx, p, u, "SELECT k FROM secrets", "42501"); err != nil {
			return err
		}
		if err := expectCode(ctx, p, u, "INSERT INTO secrets (k) VALUES (99)", "42501"); err != nil {
			return err
		}
		n, err := e.count(ctx, p.Engine(), "SELECT count(*) FROM secrets WHERE k = 99")
		if err != nil {
			return err
		}
		if n != 0 {
			return fmt.Errorf("the denied INSERT ran: %d rows with k = 99", n)
		}
		return nil
	}},
	{"firewall", func(ctx context.Context, e *confEnv, p confPath) error {
		return expectCode(ctx, p, confUser("r", p), "SELECT id FROM customers WHERE id = 1 OR 1=1", "42501")
	}},
	{"mask", func(ctx context.Context, e *confEnv, p confPath) error {
		return expectRows(ctx, p, confUser("r", p), "SELECT id, email FROM customers ORDER BY id",
			[][]string{{"1", "a***@example.com"}, {"2", "NULL"}, {"3", "c***@example.org"}})
	}},
	{"row-filter", func(ctx context.Context, e *confEnv, p confPath) error {
		return expectRows(ctx, p, confUser("r", p), "SELECT id, region FROM orders ORDER BY id",
			[][]string{{"1", "eu"}, {"3", "eu"}})
	}},
	{"rate-limit", func(ctx context.Context, e *confEnv, p confPath) error {
		u := confUser("rate", p)
		// Denied statements first: they must not spend tokens.
		for range 2 {
			if err := expectCode(ctx, p, u, "SELECT k FROM secrets", "42501"); err != nil {
				return err
			}
		}
		allowed := 0
		for i := 0; i < confBurst+2; i++ {
			_, code, err := p.Exec(ctx, u, confPassword, "SELECT id FROM customers WHERE id = 1")
			if err == nil {
				allowed++
				continue
			}
			if code != "53400" {
				return fmt.Errorf("statement %d: %v (code %q), want success or 53400", i, err, code)
			}
			break
		}
		if allowed != confBurst {
			return fmt.Errorf("%d statements ran before the rate limit refused one, want the burst %d", allowed, confBurst)
		}
		return nil
	}},
	{"concurrency", func(ctx context.Context, e *confEnv, p confPath) error {
		u := confUser("conc", p)
		slowCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		// The slow statement and the probes race for the one slot: a slow
		// statement that ended (refused, or done before a probe came) is
		// started again.
		slow := func() chan error {
			done := make(chan error, 1)
			go func() {
				_, _, err := p.Exec(slowCtx, u, confPassword, confSlow[p.Engine()])
				done <- err
			}()
			return done
		}
		slowDone := slow()
		var slowErr error
		err := poll(20*time.Second, func() error {
			select {
			case slowErr = <-slowDone:
				slowDone = slow()
			default:
			}
			_, code, err := p.Exec(ctx, u, confPassword, "SELECT id FROM customers WHERE id = 1")
			if code == "53400" {
				return nil
			}
			return fmt.Errorf("second statement: %v (code %q), want 53400 (last slow statement: %v)", err, code, slowErr)
		})
		cancel()
		<-slowDone
		if err != nil {
			return err
		}
		// The slot is given back when the slow statement ends.
		return poll(20*time.Second, func() error {
			_, code, err := p.Exec(ctx, u, confPassword, "SELECT id FROM customers WHERE id = 1")
			if err != nil {
				return fmt.Errorf("after the slow statement: %v (code %q)", err, code)
			}
			return nil
		})
	}},
	{"result-rows", func(ctx context.Context, e *confEnv, p confPath) error {
		u := confUser("rows", p)
		if err := expectRows(ctx, p, u, "SELECT id FROM customers WHERE id <= 2 ORDER BY id", [][]string{{"1"}, {"2"}}); err != nil {
			return err
		}
		rows, code, err := p.Exec(ctx, u, confPassword, "SELECT id FROM customers ORDER BY id")
		if code != "53400" {
			return fmt.Errorf("3 rows past max_result_rows %d: %v (code %q), want 53400", confMaxRows, err, code)
		}
		if len(rows) > confMaxRows {
			return fmt.Errorf("%d rows arrived past max_result_rows %d", len(rows), confMaxRows)
		}
		return nil
	}},
	{"audit", func(ctx context.Context, e *confEnv, p confPath) error {
		u := confUser("audit", p)
		rows, _, err := p.Exec(ctx, u, confPassword, "SELECT id, email FROM customers ORDER BY id")
		if err != nil {
			return err
		}
		if err := expectCode(ctx, p, u, "SELECT k FROM secrets", "42501"); err != nil {
			return err
		}
		if err := expectCode(ctx, p, u, "SELECT id FROM customers WHERE id = 1 OR 1=1", "42501"); err != nil {
			return err
		}
		want := []confRecord{
			{Type: "statement", User: u, Database: p.Database(), Decision: "masked"},
			{Type: "result", User: u, Database: p.Database(), Rows: int64(len(rows))},
			{Type: "statement", User: u, Database: p.Database(), Decision: "denied", Rule: "grant.denied"},
			{Type: "statement", User: u, Database: p.Database(), Decision: "denied", Rule: "sqli.tautology"},
		}
		var got []confRecord
		err = poll(e.wait, func() error {
			got, err = confAudit(e.audit, u)
			if err != nil {
				return err
			}
			if !reflect.DeepEqual(got, want) {
				return fmt.Errorf("audit records\n got  %+v\n want %+v", got, want)
			}
			return nil
		})
		return err
	}},
	{"query-stats", func(ctx context.Context, e *confEnv, p confPath) error {
		u := confUser("stats", p)
		tag := "n_" + strings.ReplaceAll(p.Name(), "-", "_")
		text := "SELECT id, name AS " + tag + " FROM customers ORDER BY id"
		for range 2 {
			if err := expectRows(ctx, p, u, text, [][]string{{"1", "Ada"}, {"2", "Brian"}, {"3", "Cleo"}}); err != nil {
				return err
			}
		}
		return poll(e.wait, func() error {
			var top struct {
				Queries []struct {
					Database, Query string
					Count, Errors   int
					Rows            int64
				}
			}
			if err := e.g.adminGet(ctx, "/api/v1/queries?sort=count&limit=1000", &top); err != nil {
				return err
			}
			for _, q := range top.Queries {
				if q.Database == p.Database() && strings.Contains(q.Query, tag) {
					if q.Count != 2 || q.Errors != 0 || q.Rows != 6 {
						return fmt.Errorf("%q: count %d errors %d rows %d, want 2, 0, 6", q.Query, q.Count, q.Errors, q.Rows)
					}
					return nil
				}
			}
			return fmt.Errorf("no statement with %s on %s in /api/v1/queries", tag, p.Database())
		})
	}},
	{"metrics", func(ctx context.Context, e *confEnv, p confPath) error {
		u := confUser("metrics", p)
		before, err := e.g.scrape(ctx)
		if err != nil {
			return err
		}
		for range 2 {
			if err := expectRows(ctx, p, u, "SELECT id FROM customers WHERE id = 1", [][]string{{"1"}}); err != nil {
				return err
			}
		}
		if err := expectCode(ctx, p, u, "SELECT k FROM secrets", "42501"); err != nil {
			return err
		}
		if _, _, err := p.Exec(ctx, u, confPassword, "SELECT nope FROM customers"); err == nil {
			return errors.New("a statement naming a missing column succeeded")
		}
		db := p.Database()
		want := map[string]float64{
			`floe_queries_total{database="` + db + `",outcome="ok",user="` + u + `"}`:                  2,
			`floe_queries_total{database="` + db + `",outcome="error",user="` + u + `"}`:               2,
			`floe_policy_decisions_total{database="` + db + `",decision="allowed",rule=""}`:            3,
			`floe_policy_decisions_total{database="` + db + `",decision="denied",rule="grant.denied"}`: 1,
		}
		return poll(e.wait, func() error {
			after, err := e.g.scrape(ctx)
			if err != nil {
				return err
			}
			var diffs []string
			for k, w := range want {
				if d := after[k] - before[k]; d != w {
					diffs = append(diffs, fmt.Sprintf("%s grew by %v, want %v", k, d, w))
				}
			}
			if diffs != nil {
				var all []string
				for k, v := range after {
					if d := v - before[k]; d != 0 && strings.Contains(k, `database="`+db+`"`) &&
						(strings.HasPrefix(k, "floe_queries_total") && strings.Contains(k, u) || strings.HasPrefix(k, "floe_policy_decisions_total")) {
						all = append(all, fmt.Sprintf("%s +%v", k, d))
					}
				}
				return fmt.Errorf("%s (all changes: %s)", strings.Join(diffs, "; "), strings.Join(all, ", "))
			}
			return nil
		})
	}},
}

// confSlow holds a concurrency slot for a while, per engine: a sleep,
// cancelled when the test is done with it, or on SQLite (which has none)
// a recursive count that takes a moment. The scenario starts it again
// whenever it ends before a probe was refused, so how long it takes on a
// given machine does not matter.
var confSlow = map[string]string{
	"postgres": "SELECT pg_sleep(5)",
	"mysql":    "SELECT SLEEP(5)",
	"sqlite":   "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000) SELECT count(*) FROM c",
}

func expectRows(ctx context.Context, p confPath, user, sql string, want [][]string) error {
	rows, code, err := p.Exec(ctx, user, confPassword, sql)
	if err != nil {
		return fmt.Errorf("%s: %v (code %q)", sql, err, code)
	}
	if !reflect.DeepEqual(rows, want) && !(len(rows) == 0 && len(want) == 0) {
		return fmt.Errorf("%s: rows %v, want %v", sql, rows, want)
	}
	return nil
}

func expectCode(ctx context.Context, p confPath, user, sql, want string) error {
	rows, code, err := p.Exec(ctx, user, confPassword, sql)
	if code != want {
		return fmt.Errorf("%s: %v (code %q), want %s", sql, err, code, want)
	}
	if len(rows) > 0 {
		return fmt.Errorf("%s: refused with %s but returned rows %v", sql, code, rows)
	}
	return nil
}

// confRecord is the part of an audit record every path must write alike.
type confRecord struct {
	Type, User, Database, Decision, Rule, Error string
	Rows                                        int64
}

// confAudit reads the statement and result records of user.
func confAudit(path, user string) ([]confRecord, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []confRecord
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var r struct {
			Type     string
			User     string
			Database string
			Decision string
			Rule     string
			Error    any
			Rows     int64
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, err
		}
		if r.User != user || (r.Type != "statement" && r.Type != "result") {
			continue
		}
		rec := confRecord{Type: r.Type, User: r.User, Database: r.Database, Decision: r.Decision, Rule: r.Rule, Rows: r.Rows}
		if r.Error != nil {
			rec.Error = fmt.Sprint(r.Error)
		}
		out = append(out, rec)
	}
	return out, sc.Err()
}

// adminGet decodes a GET of the admin API (read scope) into out.
func (g *gateway) adminGet(ctx context.Context, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, "GET", "http://"+g.admin+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+testReadToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// scrape reads /metrics: each sample line's name{labels} to its value.
func (g *gateway) scrape(ctx context.Context) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", "http://"+g.admin+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		out[line[:i]] = v
	}
	return out, sc.Err()
}

// textOf renders a value received through a driver as text.
func textOf(v any) string {
	switch v := v.(type) {
	case nil:
		return "NULL"
	case []byte:
		return string(v)
	default:
		return fmt.Sprint(v)
	}
}

// pgPath: the PostgreSQL protocol with pgx (its default extended
// protocol), a connection per statement.
type pgPath struct {
	name, engine, db string
	g                *gateway
}

func (p *pgPath) Name() string     { return p.name }
func (p *pgPath) Engine() string   { return p.engine }
func (p *pgPath) Database() string { return p.db }

func (p *pgPath) Exec(ctx context.Context, user, password, sql string) ([][]string, string, error) {
	c, err := pgx.Connect(ctx, p.g.dsn(user, password, p.db))
	if err != nil {
		return nil, sqlstate(err), err
	}
	defer c.Close(context.Background())
	rs, err := c.Query(ctx, sql)
	if err != nil {
		return nil, sqlstate(err), err
	}
	var out [][]string
	for rs.Next() {
		vals, err := rs.Values()
		if err != nil {
			rs.Close()
			return out, sqlstate(err), err
		}
		row := make([]string, len(vals))
		for i, v := range vals {
			row[i] = textOf(v)
		}
		out = append(out, row)
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return out, sqlstate(err), err
	}
	return out, "", nil
}

// myPath: the MySQL protocol with go-sql-driver/mysql (text protocol), a
// pool per user.
type myPath struct {
	name, engine, db string
	g                *gateway
	mu               sync.Mutex
	pools            map[string]*sql.DB
}

func (p *myPath) Name() string     { return p.name }
func (p *myPath) Engine() string   { return p.engine }
func (p *myPath) Database() string { return p.db }

func (p *myPath) pool(user, password string) (*sql.DB, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if db := p.pools[user]; db != nil {
		return db, nil
	}
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName = user, password, "tcp", p.g.my, p.db
	cfg.Timeout = 10 * time.Second
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return nil, err
	}
	if p.pools == nil {
		p.pools = map[string]*sql.DB{}
	}
	p.pools[user] = db
	return db, nil
}

func (p *myPath) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, db := range p.pools {
		db.Close()
	}
}

// myRefusals maps the MySQL error numbers of the gateway's refusals to
// their SQLSTATEs, so that every path reports a refusal alike.
var myRefusals = map[uint16]string{
	1044: "42501", 1142: "42501", 1143: "42501", 1148: "42501", 1227: "42501", 1370: "42501",
	1226: "53400",
}

func myCode(err error) string {
	var me *mysql.MySQLError
	if !errors.As(err, &me) {
		return ""
	}
	if c, ok := myRefusals[me.Number]; ok {
		return c
	}
	return string(me.SQLState[:])
}

func (p *myPath) Exec(ctx context.Context, user, password, sqlText string) ([][]string, string, error) {
	db, err := p.pool(user, password)
	if err != nil {
		return nil, "", err
	}
	rs, err := db.QueryContext(ctx, sqlText)
	if err != nil {
		return nil, myCode(err), err
	}
	defer rs.Close()
	cols, err := rs.Columns()
	if err != nil {
		return nil, myCode(err), err
	}
	var out [][]string
	for rs.Next() {
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			return out, myCode(err), err
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			if v == nil {
				row[i] = "NULL"
			} else {
				row[i] = string(v)
			}
		}
		out = append(out, row)
	}
	if err := rs.Err(); err != nil {
		return out, myCode(err), err
	}
	return out, "", nil
}

// httpPath: POST /v1/query with Basic credentials, results as Arrow.
type httpPath struct {
	name, engine, db string
	g                *gateway
}

func (p *httpPath) Name() string     { return p.name }
func (p *httpPath) Engine() string   { return p.engine }
func (p *httpPath) Database() string { return p.db }

func (p *httpPath) Exec(ctx context.Context, user, password, sqlText string) ([][]string, string, error) {
	body, _ := json.Marshal(map[string]string{"database": p.db, "sql": sqlText})
	req, err := http.NewRequestWithContext(ctx, "POST", "http://"+p.g.http+"/v1/query?format=arrow", bytes.NewReader(body))
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(user, password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, "", err
	}
	type apiError struct {
		Code, SQLState, Message string
	}
	if resp.StatusCode != 200 {
		var e struct{ Error apiError }
		if err := json.Unmarshal(b, &e); err != nil {
			return nil, "", fmt.Errorf("HTTP %d: %s", resp.StatusCode, b)
		}
		return nil, e.Error.SQLState, fmt.Errorf("HTTP %d %s: %s", resp.StatusCode, e.Error.Code, e.Error.Message)
	}
	var out [][]string
	if rdr, err := ipc.NewReader(bytes.NewReader(b)); err == nil {
		for rdr.Next() {
			out = append(out, batchRows(rdr.RecordBatch())...)
		}
		rdr.Release()
	}
	if resp.Trailer.Get("Floe-Status") != "ok" {
		var e apiError
		if err := json.Unmarshal([]byte(resp.Trailer.Get("Floe-Error")), &e); err != nil {
			return out, "", fmt.Errorf("result cut short without an error trailer (%q)", resp.Trailer.Get("Floe-Status"))
		}
		return out, e.SQLState, fmt.Errorf("result cut short: %s: %s", e.Code, e.Message)
	}
	return out, "", nil
}

// flightPath: Flight SQL through the ADBC driver, a connection per
// statement.
type flightPath struct {
	name, engine, db string
	g                *gateway
}

func (p *flightPath) Name() string     { return p.name }
func (p *flightPath) Engine() string   { return p.engine }
func (p *flightPath) Database() string { return p.db }

func (p *flightPath) Exec(ctx context.Context, user, password, sqlText string) ([][]string, string, error) {
	d, err := adbcflight.NewDriver(memory.DefaultAllocator).NewDatabase(map[string]string{
		adbc.OptionKeyURI: "grpc+tcp://" + p.g.flight, adbc.OptionKeyUsername: user, adbc.OptionKeyPassword: password,
		adbcflight.OptionRPCCallHeaderPrefix + "x-floe-database": p.db,
	})
	if err != nil {
		return nil, flightCode(err), err
	}
	defer d.Close()
	c, err := d.Open(ctx)
	if err != nil {
		return nil, flightCode(err), err
	}
	defer c.Close()
	st, err := c.NewStatement()
	if err != nil {
		return nil, "", err
	}
	defer st.Close()
	if err := st.SetSqlQuery(sqlText); err != nil {
		return nil, "", err
	}
	rdr, _, err := st.ExecuteQuery(ctx)
	if err != nil {
		return nil, flightCode(err), err
	}
	defer rdr.Release()
	var out [][]string
	for rdr.Next() {
		out = append(out, batchRows(rdr.RecordBatch())...)
	}
	if err := rdr.Err(); err != nil {
		return out, flightCode(err), err
	}
	return out, "", nil
}

// confDatabases makes the three engines' databases with the same tables
// and rows: the DSNs of the PostgreSQL and MySQL ones, the SQLite file,
// and a direct connection to each by engine.
func confDatabases(t *testing.T) (pgDSN, myDSN, litePath string, direct map[string]*sql.DB) {
	t.Helper()
	ctx := context.Background()
	pgDSN = testDB(t)
	myDSN, myDirect := myTestDB(t)
	litePath = filepath.Join(t.TempDir(), "lite.db")
	pgDirect, err := sql.Open("pgx", pgDSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pgDirect.Close() })
	liteDirect, err := sql.Open("sqlite", litePath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { liteDirect.Close() })
	direct = map[string]*sql.DB{"postgres": pgDirect, "mysql": myDirect, "sqlite": liteDirect}
	for _, q := range confSchema {
		for engine, db := range direct {
			if _, err := db.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %s: %v", engine, q, err)
			}
		}
	}
	return pgDSN, myDSN, litePath, direct
}

// confPaths are the six paths of a gateway (nil: for the configuration).
func confPaths(g *gateway) []confPath {
	return []confPath{
		&pgPath{name: "pg-relay", engine: "postgres", db: "app", g: g},
		&myPath{name: "mysql-relay", engine: "mysql", db: "shop", g: g},
		&pgPath{name: "sqlite-pg", engine: "sqlite", db: "lite", g: g},
		&myPath{name: "sqlite-mysql", engine: "sqlite", db: "lite", g: g},
		&httpPath{name: "http", engine: "postgres", db: "app", g: g},
		&flightPath{name: "flightsql", engine: "mysql", db: "shop", g: g},
	}
}

// TestConformance runs every scenario on every path.
func TestConformance(t *testing.T) {
	ctx := context.Background()
	pgDSN, myDSN, litePath, direct := confDatabases(t)
	auditPath := filepath.Join(t.TempDir(), "audit.jsonl")

	g := start(t, confConfig(pgDSN, myDSN, litePath, auditPath, confPaths(nil)))
	paths := confPaths(g)
	for _, p := range paths {
		if m, ok := p.(*myPath); ok {
			defer m.close()
		}
	}
	e := &confEnv{g: g, audit: auditPath, direct: direct}

	for key := range knownDivergent {
		if !slices.ContainsFunc(paths, func(p confPath) bool { return p.Name() == key[0] }) ||
			!slices.ContainsFunc(confScenarios, func(sc confScenario) bool { return sc.name == key[1] }) {
			t.Errorf("knownDivergent names %v, which is no (path, scenario) of the table", key)
		}
	}
	for _, sc := range confScenarios {
		t.Run(sc.name, func(t *testing.T) {
			for _, p := range paths {
				t.Run(p.Name(), func(t *testing.T) {
					key := [2]string{p.Name(), sc.name}
					reason, divergent := knownDivergent[key]
					e.wait = 10 * time.Second
					if divergent {
						e.wait = 2 * time.Second
					}
					err := sc.run(ctx, e, p)
					switch {
					case divergent && err == nil:
						t.Errorf("listed in knownDivergent (%s) but conforms now: remove it from the list", reason)
					case divergent:
						t.Logf("known divergence (%s): %v", reason, err)
					case err != nil:
						t.Error(err)
					}
				})
			}
		})
	}
}
