package e2e

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite"

	"github.com/floe-db/floe/internal/cli"
)

// dataConfig: PostgreSQL app, MariaDB shop, SQLite lite; alice reads
// everything but secrets, masked customers.email; bob is refused app;
// limited has a 3-row result limit.
func dataConfig(pgDSN, myDSN, litePath string) string {
	return fmt.Sprintf(`databases:
  - {name: app, kind: postgres, primary: %q, pool: {mode: transaction, size: 4}}
  - {name: shop, kind: mysql, primary: %q, pool: {mode: transaction, size: 4}}
  - {name: lite, kind: sqlite, path: %q}
users:
  - {name: alice, password: alice-secret, roles: [analyst]}
  - {name: bob, password: bob-secret, roles: [shopper]}
  - {name: limited, password: limited-secret, roles: [analyst]}
roles:
  - name: analyst
    grants:
      - {database: "*", tables: ["*"], actions: [select]}
      - {database: "*", tables: [secrets], actions: [select], deny: true}
  - name: shopper
    grants:
      - {database: shop, tables: ["*"], actions: [select]}
masking:
  - {database: "*", table: customers, column: email, method: email}
limits:
  - {per: user, user: limited, max_result_rows: 3}
`, pgDSN, myDSN, litePath)
}

// dataGateway starts a gateway over three fresh databases holding the
// same customers table and a secrets table.
func dataGateway(t *testing.T) *gateway {
	t.Helper()
	pgDSN := testDB(t)
	myDSN, direct := myTestDB(t)
	ctx := context.Background()
	pgc, err := pgx.Connect(ctx, pgDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer pgc.Close(ctx)
	for _, q := range []string{maskedTable, maskedRows, "CREATE TABLE secrets (k int)", "CREATE TABLE nums AS SELECT g AS n FROM generate_series(1, 200000) g"} {
		if _, err := pgc.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{maskedTable, maskedRows, "CREATE TABLE secrets (k int)"} {
		if _, err := direct.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	lite := filepath.Join(t.TempDir(), "lite.db")
	seedSQLite(t, lite, maskedTable, maskedRows, "CREATE TABLE secrets (k int)")
	return start(t, dataConfig(pgDSN, myDSN, lite))
}

type httpAnswer struct {
	status  int
	header  http.Header
	body    []byte
	trailer http.Header
}

// post sends a query request with Basic credentials (user "" sends none).
func (g *gateway) post(t *testing.T, user, password, path, body string, header ...string) httpAnswer {
	t.Helper()
	req, err := http.NewRequest("POST", "http://"+g.http+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) httpAnswer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return httpAnswer{status: resp.StatusCode, header: resp.Header, body: b, trailer: resp.Trailer}
}

func queryBody(db, sql string, params ...any) string {
	b, _ := json.Marshal(map[string]any{"database": db, "sql": sql, "params": params})
	return string(b)
}

// errorOf decodes an error body.
func errorOf(t *testing.T, a httpAnswer) (code, sqlstate, message string) {
	t.Helper()
	var e struct {
		Error struct{ Code, SQLState, Message string }
	}
	if err := json.Unmarshal(a.body, &e); err != nil {
		t.Fatalf("error body %q: %v", a.body, err)
	}
	return e.Error.Code, e.Error.SQLState, e.Error.Message
}

// rowsOf parses a result in any format into rows of text ("NULL" for
// NULL), with the column names.
func rowsOf(t *testing.T, format string, body []byte) (names []string, rows [][]string) {
	t.Helper()
	text := func(v any) string {
		switch x := v.(type) {
		case nil:
			return "NULL"
		case json.Number:
			return x.String()
		case string:
			return x
		}
		return fmt.Sprint(v)
	}
	switch format {
	case "json", "ndjson":
		var objs []map[string]any
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if format == "json" {
			var raw []json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				t.Fatalf("json: %v in %q", err, body)
			}
			for _, r := range raw {
				d := json.NewDecoder(bytes.NewReader(r))
				d.UseNumber()
				var o map[string]any
				if err := d.Decode(&o); err != nil {
					t.Fatal(err)
				}
				objs = append(objs, o)
			}
			// key order: from the first object's text
			if len(raw) > 0 {
				names = jsonKeys(t, raw[0])
			}
		} else {
			sc := bufio.NewScanner(bytes.NewReader(body))
			for sc.Scan() {
				d := json.NewDecoder(bytes.NewReader(sc.Bytes()))
				d.UseNumber()
				var o map[string]any
				if err := d.Decode(&o); err != nil {
					t.Fatalf("ndjson line %q: %v", sc.Text(), err)
				}
				if names == nil {
					names = jsonKeys(t, sc.Bytes())
				}
				objs = append(objs, o)
			}
		}
		for _, o := range objs {
			var row []string
			for _, n := range names {
				row = append(row, text(o[n]))
			}
			rows = append(rows, row)
		}
	case "csv":
		recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
		if err != nil {
			t.Fatalf("csv: %v", err)
		}
		names = recs[0]
		for _, r := range recs[1:] {
			row := make([]string, len(r))
			for i, v := range r {
				row[i] = v
				if v == "" {
					row[i] = "NULL"
				}
			}
			rows = append(rows, row)
		}
	case "arrow":
		rdr, err := ipc.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("arrow: %v", err)
		}
		defer rdr.Release()
		for _, f := range rdr.Schema().Fields() {
			names = append(names, f.Name)
		}
		for rdr.Next() {
			rows = append(rows, batchRows(rdr.RecordBatch())...)
		}
		if rdr.Err() != nil {
			t.Fatalf("arrow: %v", rdr.Err())
		}
	case "parquet":
		pf, err := file.NewParquetReader(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("parquet: %v", err)
		}
		fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 1024}, memory.DefaultAllocator)
		if err != nil {
			t.Fatal(err)
		}
		tbl, err := fr.ReadTable(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer tbl.Release()
		for _, f := range tbl.Schema().Fields() {
			names = append(names, f.Name)
		}
		tr := array.NewTableReader(tbl, 1024)
		defer tr.Release()
		for tr.Next() {
			rows = append(rows, batchRows(tr.RecordBatch())...)
		}
	default:
		t.Fatalf("format %s", format)
	}
	return names, rows
}

func jsonKeys(t *testing.T, obj []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(obj))
	var keys []string
	depth := 0
	expectKey := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return keys
		}
		if err != nil {
			t.Fatal(err)
		}
		switch v := tok.(type) {
		case json.Delim:
			if v == '{' || v == '[' {
				depth++
				expectKey = v == '{' && depth == 1
			} else {
				depth--
				expectKey = depth == 1
			}
			continue
		case string:
			if depth == 1 && expectKey {
				keys = append(keys, v)
				expectKey = false
				continue
			}
		}
		if depth == 1 {
			expectKey = true
		}
	}
}

func batchRows(b arrow.RecordBatch) [][]string {
	var out [][]string
	for r := 0; r < int(b.NumRows()); r++ {
		row := make([]string, b.NumCols())
		for i, c := range b.Columns() {
			if c.IsNull(r) {
				row[i] = "NULL"
			} else {
				row[i] = c.ValueStr(r)
			}
		}
		out = append(out, row)
	}
	return out
}

var formats = []struct{ name, accept string }{
	{"json", "application/json"}, {"ndjson", "application/x-ndjson"}, {"csv", "text/csv"},
	{"arrow", "application/vnd.apache.arrow.stream"}, {"parquet", "application/vnd.apache.parquet"},
}

// Every format, chosen by Accept and by ?format=, on every kind of
// database, parses back to the same rows, masked as the policy says.
func TestHTTPQueryFormats(t *testing.T) {
	g := dataGateway(t)
	want := [][]string{{"1", "Ada", "a***@example.com"}, {"2", "Brian", "NULL"}}
	for _, db := range []string{"app", "shop", "lite"} {
		for _, f := range formats {
			for _, byQuery := range []bool{false, true} {
				path, hdr := "/v1/query", []string{"Accept", f.accept}
				if byQuery {
					path, hdr = "/v1/query?format="+f.name, nil
				}
				a := g.post(t, "alice", "alice-secret", path, queryBody(db, "SELECT id, name, email FROM customers ORDER BY id"), hdr...)
				if a.status != 200 {
					t.Fatalf("%s %s: status %d: %s", db, f.name, a.status, a.body)
				}
				if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, strings.Split(f.accept, ";")[0]) {
					t.Errorf("%s %s: content type %q", db, f.name, ct)
				}
				if a.trailer.Get("Floe-Status") != "ok" || a.trailer.Get("Floe-Rows") != "2" {
					t.Errorf("%s %s: trailers %v", db, f.name, a.trailer)
				}
				names, rows := rowsOf(t, f.name, a.body)
				if strings.Join(names, ",") != "id,name,email" {
					t.Errorf("%s %s: columns %v", db, f.name, names)
				}
				if fmt.Sprint(rows) != fmt.Sprint(want) {
					t.Errorf("%s %s: rows %v, want %v", db, f.name, rows, want)
				}
			}
		}
	}
}

func TestHTTPParamsAndTypes(t *testing.T) {
	g := dataGateway(t)
	// Parameters are bound: the injection attempt is a value.
	a := g.post(t, "alice", "alice-secret", "/v1/query?format=ndjson", queryBody("app",
		"SELECT n, n::numeric(10,2) / 4 AS q, $2::text AS s, now()::date AS d FROM nums WHERE n <= $1 ORDER BY n", 3, "x' OR '1'='1"))
	if a.status != 200 {
		t.Fatalf("status %d: %s", a.status, a.body)
	}
	_, rows := rowsOf(t, "ndjson", a.body)
	if len(rows) != 3 || rows[2][0] != "3" || rows[2][2] != "x' OR '1'='1" {
		t.Fatalf("rows %v", rows)
	}
	for _, db := range []string{"shop", "lite"} {
		ph := "?"
		if db == "lite" {
			ph = "$1"
		}
		a := g.post(t, "alice", "alice-secret", "/v1/query?format=json", queryBody(db, "SELECT name FROM customers WHERE id = "+ph, 2))
		if _, rows := rowsOf(t, "json", a.body); a.status != 200 || fmt.Sprint(rows) != "[[Brian]]" {
			t.Fatalf("%s: %d %s", db, a.status, a.body)
		}
	}
}

func TestHTTPErrors(t *testing.T) {
	g := dataGateway(t)
	q := queryBody("app", "SELECT 1")
	cases := []struct {
		name           string
		user, pw, body string
		header         []string
		status         int
		code, sqlstate string
	}{
		{"no credentials", "", "", q, nil, 401, "unauthorized", ""},
		{"wrong password", "alice", "nope", q, nil, 401, "unauthorized", "28P01"},
		{"unknown user", "mallory", "x", q, nil, 401, "unauthorized", "28P01"},
		{"bad token", "", "", q, []string{"Authorization", "Bearer floe.abc.def"}, 401, "unauthorized", "28000"},
		{"bad json", "alice", "alice-secret", "{", nil, 400, "bad_request", ""},
		{"unknown field", "alice", "alice-secret", `{"database":"app","sql":"SELECT 1","x":1}`, nil, 400, "bad_request", ""},
		{"no database", "alice", "alice-secret", `{"sql":"SELECT 1"}`, nil, 400, "bad_request", ""},
		{"unknown database", "alice", "alice-secret", queryBody("nope", "SELECT 1"), nil, 404, "not_found", "3D000"},
		{"no grant on database", "bob", "bob-secret", q, nil, 403, "denied", "42501"},
		{"denied table", "alice", "alice-secret", queryBody("app", "SELECT * FROM secrets"), nil, 403, "denied", "42501"},
		{"denied write", "alice", "alice-secret", queryBody("app", "DELETE FROM customers"), nil, 403, "denied", "42501"},
		{"syntax error", "alice", "alice-secret", queryBody("app", "SELEC 1"), nil, 403, "denied", "42601"},
		{"sql error", "alice", "alice-secret", queryBody("app", "SELECT nope FROM customers"), nil, 400, "sql_error", "42703"},
		{"mysql sql error", "alice", "alice-secret", queryBody("shop", "SELECT nope FROM customers"), nil, 400, "sql_error", "42S22"},
		{"sqlite sql error", "alice", "alice-secret", queryBody("lite", "SELECT nope FROM customers"), nil, 400, "sql_error", "42703"},
		{"unknown format", "alice", "alice-secret", q, []string{"Accept", "image/png"}, 406, "bad_request", ""},
	}
	for _, tc := range cases {
		a := g.post(t, tc.user, tc.pw, "/v1/query", tc.body, tc.header...)
		if a.status != tc.status {
			t.Errorf("%s: status %d, want %d: %s", tc.name, a.status, tc.status, a.body)
			continue
		}
		code, state, msg := errorOf(t, a)
		if code != tc.code || state != tc.sqlstate || msg == "" {
			t.Errorf("%s: error %s/%s %q, want %s/%s", tc.name, code, state, msg, tc.code, tc.sqlstate)
		}
		if tc.status == 401 && a.header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: no WWW-Authenticate", tc.name)
		}
		if strings.Contains(string(a.body), "127.0.0.1:5432") || strings.Contains(string(a.body), "3306") {
			t.Errorf("%s: answer names a backend: %s", tc.name, a.body)
		}
	}
}

// An error after streaming began is reported in the trailers and, for
// NDJSON, in a last line; the body is not a complete result.
func TestHTTPErrorMidStream(t *testing.T) {
	g := dataGateway(t)
	sql := "SELECT 1 / (150000 - n) AS x FROM nums"
	for _, f := range formats {
		a := g.post(t, "alice", "alice-secret", "/v1/query?format="+f.name, queryBody("app", sql))
		if a.status != 200 {
			t.Fatalf("%s: status %d (the error comes after the first batch): %s", f.name, a.status, a.body)
		}
		if a.trailer.Get("Floe-Status") != "error" || !strings.Contains(a.trailer.Get("Floe-Error"), "22012") {
			t.Errorf("%s: trailers %v", f.name, a.trailer)
		}
		switch f.name {
		case "ndjson":
			lines := strings.Split(strings.TrimSpace(string(a.body)), "\n")
			if last := lines[len(lines)-1]; !strings.Contains(last, `"error"`) || !strings.Contains(last, "22012") {
				t.Errorf("ndjson last line %q", last)
			}
		case "json":
			var v any
			if json.Unmarshal(a.body, &v) == nil {
				t.Error("json: a cut result parses as complete JSON")
			}
		case "parquet":
			if _, err := file.NewParquetReader(bytes.NewReader(a.body)); err == nil {
				t.Error("parquet: a cut result opens as a file")
			}
		}
	}
	// The result limit stops a result the same way.
	a := g.post(t, "limited", "limited-secret", "/v1/query?format=ndjson", queryBody("app", "SELECT n FROM nums"))
	if a.status == 200 {
		if !strings.Contains(a.trailer.Get("Floe-Error"), "53400") {
			t.Errorf("limit: trailers %v", a.trailer)
		}
	} else if code, state, _ := errorOf(t, a); a.status != 429 || code != "limit" || state != "53400" {
		t.Errorf("limit: %d %s", a.status, a.body)
	}
}

func TestHTTPTokensAndDatabases(t *testing.T) {
	g := dataGateway(t)
	a := g.post(t, "bob", "bob-secret", "/v1/token", "")
	var tok struct{ Token, Token_type string }
	if a.status != 200 || json.Unmarshal(a.body, &tok) != nil || tok.Token == "" {
		t.Fatalf("token: %d %s", a.status, a.body)
	}
	req, _ := http.NewRequest("GET", "http://"+g.http+"/v1/databases", nil)
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	a = do(t, req)
	if a.status != 200 || strings.TrimSpace(string(a.body)) != `{"databases":[{"name":"shop","kind":"mysql"}]}` {
		t.Fatalf("databases for bob: %d %s", a.status, a.body)
	}
	a = g.post(t, "", "", "/v1/query?format=csv", queryBody("shop", "SELECT COUNT(*) AS n FROM customers"), "Authorization", "Bearer "+tok.Token)
	if _, rows := rowsOf(t, "csv", a.body); a.status != 200 || fmt.Sprint(rows) != "[[2]]" {
		t.Fatalf("query with token: %d %s", a.status, a.body)
	}
	req, _ = http.NewRequest("GET", "http://"+g.http+"/v1/databases", nil)
	req.SetBasicAuth("alice", "alice-secret")
	if a = do(t, req); !strings.Contains(string(a.body), `"app"`) || !strings.Contains(string(a.body), `"lite"`) {
		t.Fatalf("databases for alice: %s", a.body)
	}
}

// seedSQLite creates a SQLite database file with the given statements.
func seedSQLite(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// floe query --server goes through the HTTP API under the user's policy.
func TestQueryCommandThroughServer(t *testing.T) {
	g := dataGateway(t)
	t.Setenv("FLOE_PASSWORD", "alice-secret")
	var out, errb strings.Builder
	code := cli.Main(context.Background(), []string{"query", "--server", "http://" + g.http, "--db", "app", "--user", "alice",
		"--format", "csv", "SELECT id, email FROM customers ORDER BY id"}, strings.NewReader(""), &out, &errb)
	if code != 0 || out.String() != "id,email\n1,a***@example.com\n2,\n" {
		t.Fatalf("exit %d, out %q, err %q", code, out.String(), errb.String())
	}
	out.Reset()
	errb.Reset()
	code = cli.Main(context.Background(), []string{"query", "--server", "http://" + g.http, "--db", "app", "--user", "alice",
		"SELECT * FROM secrets"}, strings.NewReader(""), &out, &errb)
	if code == 0 || !strings.Contains(errb.String(), "42501") {
		t.Fatalf("denied: exit %d, err %q", code, errb.String())
	}
	// A result cut short after it began streaming is an error, not a
	// short result.
	errb.Reset()
	code = cli.Main(context.Background(), []string{"query", "--server", "http://" + g.http, "--db", "app", "--user", "alice",
		"--format", "csv", "--out", filepath.Join(t.TempDir(), "x.csv"), "SELECT 1 / (150000 - n) FROM nums"}, strings.NewReader(""), &out, &errb)
	if code == 0 || !strings.Contains(errb.String(), "22012") {
		t.Fatalf("cut short: exit %d, err %q", code, errb.String())
	}
}

// A client that goes away mid-result stops the statement on the database.
func TestHTTPClientGoneStopsStatement(t *testing.T) {
	g := dataGateway(t)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", "http://"+g.http+"/v1/query?format=ndjson",
		strings.NewReader(queryBody("app", "SELECT a.n, b.n FROM nums a, nums b")))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth("alice", "alice-secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(resp.Body, make([]byte, 1<<16)); err != nil {
		t.Fatal(err)
	}
	waitActive(t, "SELECT a.n, b.n FROM nums a, nums b%", true)
	cancel()
	resp.Body.Close()
	waitActive(t, "SELECT a.n, b.n FROM nums a, nums b%", false)
}
