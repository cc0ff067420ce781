package dataapi

import (
	"context"
	"crypto/x509"
	"database/sql"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	_ "modernc.org/sqlite"

	"github.com/floe-db/floe/arrowsql"
	"github.com/floe-db/floe/internal/audit"
	"github.com/floe-db/floe/internal/authn"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/observe"
	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/stmt"
)

const serviceConfig = `
databases:
  - {name: lite, kind: sqlite, path: "%s"}
users:
  - {name: alice, password: a, roles: [reader]}
  - {name: limited, password: l, roles: [reader]}
roles:
  - name: reader
    grants:
      - {database: lite, tables: ["t"], actions: [select]}
limits:
  - {per: user, rate: 0.001, burst: 2}
  - {per: user, user: limited, max_result_rows: 2}
`

// fakeGateway serves one SQLite database under a policy; pipe, when set,
// is the backend's pipeline.
type fakeGateway struct {
	pol  *policy.Policy
	src  Source
	pipe *stmt.Pipeline
}

func (g *fakeGateway) Users() *authn.Store                                { return nil }
func (g *fakeGateway) Tokens() *authn.Tokens                              { return nil }
func (g *fakeGateway) PolicyNow() *policy.Policy                          { return g.pol }
func (g *fakeGateway) Databases() []string                                { return []string{"lite"} }
func (g *fakeGateway) OIDC() *authn.OIDC                                  { return nil }
func (g *fakeGateway) RecheckCertificate([]*x509.Certificate) error       { return nil }
func (g *fakeGateway) AuthResult(string, string, string, net.Addr, error) {}

func (g *fakeGateway) CertResult(string, string, *x509.Certificate, net.Addr, error, bool) {}
func (g *fakeGateway) Source(db string, _ []string) (Source, bool) {
	return g.src, db == "lite"
}
func (g *fakeGateway) Admit(string, *authn.User, string, net.Addr) (func(), *policy.Denial) {
	return func() {}, nil
}
func (g *fakeGateway) Pipeline(db string, d policy.Dialect) *stmt.Pipeline {
	if g.pipe == nil {
		return nil
	}
	return g.pipe
}

type serviceFixture struct {
	svc       *Service
	gw        *fakeGateway
	m         *observe.Metrics
	sink      *audit.Writer
	auditPath string
}

func newServiceFixture(t *testing.T) *serviceFixture {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "lite.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	for _, q := range []string{"CREATE TABLE t (id int)", "INSERT INTO t VALUES (1), (2), (3)", "CREATE TABLE secret (k int)"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := config.Parse("t.yaml", []byte(strings.Replace(serviceConfig, "%s", path, 1)), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	f := &serviceFixture{auditPath: filepath.Join(dir, "audit.jsonl"), m: observe.NewMetrics()}
	if f.sink, err = audit.Open(f.auditPath, audit.Options{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.sink.Close() })
	pol, err := policy.New(cfg, policy.Options{Metrics: f.m, Audit: f.sink})
	if err != nil {
		t.Fatal(err)
	}
	f.gw = &fakeGateway{pol: pol, src: NewSQLite(db)}
	f.svc = NewService(f.gw, slog.New(slog.NewTextHandler(io.Discard, nil)), f.m)
	return f
}

// audit closes (flushes) the sink and reads its file.
func (f *serviceFixture) audit(t *testing.T) string {
	t.Helper()
	if err := f.sink.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(f.auditPath)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func alice() Caller { return caller("alice") }

func caller(name string) Caller {
	return Caller{User: &authn.User{Name: name, Roles: []string{"reader"}}, Protocol: "http"}
}

// run runs q for alice to the end and returns the rows read and the
// error.
func (f *serviceFixture) run(t *testing.T, q string) (int64, *Error) {
	t.Helper()
	return f.runAs(t, alice(), q)
}

func (f *serviceFixture) runAs(t *testing.T, c Caller, q string) (int64, *Error) {
	t.Helper()
	res, e := f.svc.Query(context.Background(), c, "lite", q, nil, arrowsql.Options{BatchRows: 1})
	if e != nil {
		return 0, e
	}
	var rows int64
	for res.Next() {
		rows += res.RecordBatch().NumRows()
	}
	return rows, res.Close(nil)
}

// A data-API statement goes through the pipeline: the statement
// statistics and floe_queries_total count it, the audit result record
// carries the rows returned, and a denied statement takes no rate token.
func TestQueryOnPipeline(t *testing.T) {
	f := newServiceFixture(t)
	for range 4 {
		if _, e := f.run(t, "SELECT * FROM secret"); e == nil || e.Rule != policy.RuleGrant {
			t.Fatalf("want a grant denial, got %+v", e)
		}
	}
	for i := range 2 {
		rows, e := f.run(t, "SELECT id FROM t")
		if e != nil {
			t.Fatalf("allowed statement %d: %+v", i, e)
		}
		if rows != 3 {
			t.Fatalf("rows %d", rows)
		}
	}
	if _, e := f.run(t, "SELECT id FROM t"); e == nil || e.Rule != "limit.rate" || e.Status != 429 {
		t.Fatalf("third statement: %+v", e)
	}
	if got := testutil.ToFloat64(f.m.Queries.WithLabelValues("lite", "alice", "ok")); got != 2 {
		t.Fatalf("ok counted %v, want 2", got)
	}
	if got := testutil.ToFloat64(f.m.Queries.WithLabelValues("lite", "alice", "error")); got != 5 {
		t.Fatalf("errors counted %v, want 5", got)
	}
	top := f.m.Statements.Top(10, "calls")
	if len(top) != 1 || top[0].Database != "lite" || top[0].Count != 2 || top[0].Rows != 6 || top[0].Errors != 0 {
		t.Fatalf("statement stats %+v", top)
	}
	data := f.audit(t)
	if strings.Count(data, `"type":"result"`) != 3 || strings.Count(data, `"rows":3`) != 2 || strings.Count(data, `"decision":"denied"`) != 4 {
		t.Fatalf("audit:\n%s", data)
	}
}

// The backend's pipeline serves the data API when there is one: its
// analysis cache reads the text.
func TestQueryUsesBackendPipeline(t *testing.T) {
	f := newServiceFixture(t)
	f.gw.pipe = stmt.New(stmt.Options{Database: "lite", Dialect: policy.Postgres, Policy: f.gw.PolicyNow, Metrics: f.m})
	if _, e := f.run(t, "SELECT id FROM t WHERE id = 2"); e != nil {
		t.Fatal(e)
	}
	if a := f.gw.pipe.Analyzer(); a.Len() != 1 {
		t.Fatalf("backend analyzer holds %d texts", a.Len())
	}
	// A pipeline of another dialect is not the data API's.
	f.gw.pipe = stmt.New(stmt.Options{Database: "lite", Dialect: policy.MySQL, Policy: f.gw.PolicyNow, Metrics: f.m})
	if _, e := f.run(t, "SELECT id FROM t WHERE id = 3"); e != nil {
		t.Fatal(e)
	}
	if a := f.gw.pipe.Analyzer(); a.Len() != 0 {
		t.Fatalf("MySQL analyzer holds %d texts", a.Len())
	}
}

// Prepare decides without running or taking a token; a denied text is
// refused at prepare.
func TestPrepareTakesNoToken(t *testing.T) {
	f := newServiceFixture(t)
	ctx := context.Background()
	for range 3 {
		if e := f.svc.Prepare(ctx, alice(), "lite", "SELECT id FROM t"); e != nil {
			t.Fatal(e)
		}
	}
	if e := f.svc.Prepare(ctx, alice(), "lite", "SELECT * FROM secret"); e == nil || e.Rule != policy.RuleGrant {
		t.Fatalf("prepare of a denied text: %+v", e)
	}
	if e := f.svc.Prepare(ctx, alice(), "lite", "SET search_path = x"); e == nil || e.Rule != RuleSessionState {
		t.Fatalf("prepare of a session statement: %+v", e)
	}
	for i := range 2 {
		if _, e := f.run(t, "SELECT id FROM t"); e != nil {
			t.Fatalf("statement %d after prepares: %+v", i, e)
		}
	}
	if got := testutil.ToFloat64(f.m.Queries.WithLabelValues("lite", "alice", "ok")); got != 2 {
		t.Fatalf("ok counted %v, want 2", got)
	}
}

// A backend error and a result bound end the statement as an error: the
// metrics, the statistics and the audit result record say so, with the
// SQLSTATE and the rows delivered before the bound.
func TestQueryErrorsCounted(t *testing.T) {
	f := newServiceFixture(t)
	if _, e := f.run(t, "SELECT nope FROM t"); e == nil || e.Code != CodeSQL {
		t.Fatalf("bad column: %+v", e)
	}
	if got := testutil.ToFloat64(f.m.Queries.WithLabelValues("lite", "alice", "error")); got != 1 {
		t.Fatalf("errors counted %v, want 1", got)
	}
	rows, e := f.runAs(t, caller("limited"), "SELECT id FROM t")
	if e == nil || e.Rule != "limit.result-rows" {
		t.Fatalf("bounded result: %+v", e)
	}
	if rows != 2 {
		t.Fatalf("rows before the bound %d", rows)
	}
	if got := testutil.ToFloat64(f.m.Queries.WithLabelValues("lite", "limited", "error")); got != 1 {
		t.Fatalf("errors counted %v, want 1", got)
	}
	top := f.m.Statements.Top(10, "calls")
	if len(top) != 2 || top[0].Errors != 1 || top[1].Errors != 1 {
		t.Fatalf("statement stats %+v", top)
	}
	data := f.audit(t)
	if !strings.Contains(data, `"error":"`+e.SQLState+`"`) || !strings.Contains(data, `"rows":2`) {
		t.Fatalf("audit:\n%s", data)
	}
}
