package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-adbc/go/adbc"
	adbcflight "github.com/apache/arrow-adbc/go/adbc/driver/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/floe-db/floe/internal/app"
	"github.com/floe-db/floe/internal/stmt"
)

// otlpSpan is one span a receiver decoded, with its resource's service
// name.
type otlpSpan struct {
	service, name    string
	traceID, spanID  string
	parentID         string
	start, end       time.Time
	attrs            map[string]any
	statusCode       tracepb.Status_StatusCode
	kind             tracepb.Span_SpanKind
	receivedOverHTTP bool
}

// otlpReceiver is the OpenTelemetry collector's trace service as a test
// serves it: OTLP/gRPC (TraceService.Export) and OTLP/HTTP (POST
// /v1/traces, protobuf), decoding every span it is sent.
type otlpReceiver struct {
	coltracepb.UnimplementedTraceServiceServer
	grpcAddr, httpAddr string

	mu    sync.Mutex
	spans []otlpSpan
}

func startOTLPReceiver(t *testing.T) *otlpReceiver {
	t.Helper()
	r := &otlpReceiver{}
	gl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	coltracepb.RegisterTraceServiceServer(gs, r)
	go func() { _ = gs.Serve(gl) }()
	t.Cleanup(gs.Stop)
	r.grpcAddr = gl.Addr().String()

	hl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/traces", func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		var m coltracepb.ExportTraceServiceRequest
		if err == nil {
			err = proto.Unmarshal(body, &m)
		}
		if err != nil || req.Header.Get("Content-Type") != "application/x-protobuf" {
			http.Error(w, fmt.Sprintf("bad export: %v (%s)", err, req.Header.Get("Content-Type")), http.StatusBadRequest)
			return
		}
		r.add(&m, true)
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	})
	hs := &http.Server{Handler: mux}
	go func() { _ = hs.Serve(hl) }()
	t.Cleanup(func() { _ = hs.Close() })
	r.httpAddr = hl.Addr().String()
	return r
}

func (r *otlpReceiver) Export(_ context.Context, m *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	r.add(m, false)
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

func (r *otlpReceiver) add(m *coltracepb.ExportTraceServiceRequest, overHTTP bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rs := range m.GetResourceSpans() {
		service := fmt.Sprint(attrMap(rs.GetResource().GetAttributes())["service.name"])
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				r.spans = append(r.spans, otlpSpan{
					service: service, name: s.GetName(),
					traceID: hex.EncodeToString(s.GetTraceId()), spanID: hex.EncodeToString(s.GetSpanId()),
					parentID: hex.EncodeToString(s.GetParentSpanId()),
					start:    time.Unix(0, int64(s.GetStartTimeUnixNano())), end: time.Unix(0, int64(s.GetEndTimeUnixNano())),
					attrs: attrMap(s.GetAttributes()), statusCode: s.GetStatus().GetCode(), kind: s.GetKind(),
					receivedOverHTTP: overHTTP,
				})
			}
		}
	}
}

func attrMap(kvs []*commonpb.KeyValue) map[string]any {
	m := map[string]any{}
	for _, kv := range kvs {
		switch v := kv.GetValue().GetValue().(type) {
		case *commonpb.AnyValue_StringValue:
			m[kv.GetKey()] = v.StringValue
		case *commonpb.AnyValue_IntValue:
			m[kv.GetKey()] = v.IntValue
		default:
			m[kv.GetKey()] = fmt.Sprint(v)
		}
	}
	return m
}

// trace returns the spans of trace id.
func (r *otlpReceiver) trace(id string) []otlpSpan {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []otlpSpan
	for _, s := range r.spans {
		if s.traceID == id {
			out = append(out, s)
		}
	}
	return out
}

func (r *otlpReceiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.spans)
}

// newTraceParent is a sampled W3C traceparent with fresh ids, and the ids.
func newTraceParent() (tp, traceID, spanID string) {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	traceID, spanID = hex.EncodeToString(b[:16]), hex.EncodeToString(b[16:])
	return "00-" + traceID + "-" + spanID + "-01", traceID, spanID
}

// statementTrace waits for the spans of a statement that continued
// trace traceID under spanID: the statement span and its phase spans.
func (r *otlpReceiver) statementTrace(traceID, spanID string, phases int) (top otlpSpan, children map[string]otlpSpan, err error) {
	err = poll(15*time.Second, func() error {
		spans := r.trace(traceID)
		children = map[string]otlpSpan{}
		found := false
		for _, s := range spans {
			if s.parentID == spanID {
				top, found = s, true
			}
		}
		if !found {
			return fmt.Errorf("no span continues trace %s under %s (%d spans of the trace)", traceID, spanID, len(spans))
		}
		for _, s := range spans {
			if s.parentID == top.spanID {
				children[s.name] = s
			}
		}
		if len(children) < phases {
			return fmt.Errorf("statement span %q has %d phase spans, want %d", top.name, len(children), phases)
		}
		return nil
	})
	return top, children, err
}

// tracedExec runs sql on path p for user continuing traceparent tp: in a
// sqlcommenter comment on the wire protocols, in the traceparent header
// over HTTP and in the call metadata over Flight SQL.
func tracedExec(ctx context.Context, g *gateway, p confPath, user, sqlText, tp string) error {
	switch p := p.(type) {
	case *httpPath:
		body, _ := json.Marshal(map[string]string{"database": p.db, "sql": sqlText})
		req, err := http.NewRequestWithContext(ctx, "POST", "http://"+g.http+"/v1/query", bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("traceparent", tp)
		req.SetBasicAuth(user, confPassword)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			return fmt.Errorf("HTTP %d: %s", resp.StatusCode, b)
		}
		return nil
	case *flightPath:
		d, err := adbcflight.NewDriver(memory.DefaultAllocator).NewDatabase(map[string]string{
			adbc.OptionKeyURI: "grpc+tcp://" + g.flight, adbc.OptionKeyUsername: user, adbc.OptionKeyPassword: confPassword,
			adbcflight.OptionRPCCallHeaderPrefix + "x-floe-database": p.db,
			adbcflight.OptionRPCCallHeaderPrefix + "traceparent":     tp,
		})
		if err != nil {
			return err
		}
		defer d.Close()
		c, err := d.Open(ctx)
		if err != nil {
			return err
		}
		defer c.Close()
		st, err := c.NewStatement()
		if err != nil {
			return err
		}
		defer st.Close()
		if err := st.SetSqlQuery(sqlText); err != nil {
			return err
		}
		rdr, _, err := st.ExecuteQuery(ctx)
		if err != nil {
			return err
		}
		for rdr.Next() {
		}
		rdr.Release()
		return rdr.Err()
	}
	_, _, err := p.Exec(ctx, user, confPassword, sqlText+" /*traceparent='"+tp+"'*/")
	return err
}

// Every path continues the caller's trace: a statement span whose parent
// is the span the client named (sqlcommenter comment on the PostgreSQL
// and MySQL protocols, traceparent header over HTTP, call metadata over
// Flight SQL), with the database semantic conventions, its literals
// masked, and a child span per phase. With sampling_ratio 0 a statement
// without a trace context exports nothing. A reload that moves the
// exporter to OTLP/HTTP takes effect at once.
func TestTracingEveryPath(t *testing.T) {
	// Batches leave the gateway every 100ms instead of every 5s.
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "100")
	ctx := context.Background()
	rcv := startOTLPReceiver(t)
	pgDSN, myDSN, litePath, _ := confDatabases(t)
	auditPath := t.TempDir() + "/audit.jsonl"
	base := confConfig(pgDSN, myDSN, litePath, auditPath, confPaths(nil))
	g := start(t, base+fmt.Sprintf("tracing: {enabled: true, endpoint: %q, insecure: true, sampling_ratio: 0, service_name: floe-test}\n", rcv.grpcAddr))
	systems := map[string]string{"postgres": "postgresql", "mysql": "mysql", "sqlite": "sqlite"}
	const secret = "Zed-secret-literal"
	for _, p := range confPaths(g) {
		t.Run(p.Name(), func(t *testing.T) {
			if m, ok := p.(*myPath); ok {
				defer m.close()
			}
			u := confUser("r", p)
			before := rcv.count()
			// Not traced: no caller context, and the ratio is 0.
			if _, _, err := p.Exec(ctx, u, confPassword, "SELECT id FROM customers WHERE id = 1"); err != nil {
				t.Fatal(err)
			}
			tp, traceID, spanID := newTraceParent()
			q := "SELECT id, name FROM customers WHERE name <> '" + secret + "' AND id < 3 ORDER BY id"
			if err := tracedExec(ctx, g, p, u, q, tp); err != nil {
				t.Fatal(err)
			}
			top, children, err := rcv.statementTrace(traceID, spanID, 3)
			if err != nil {
				t.Fatal(err)
			}
			for k, want := range map[string]any{
				"db.system.name": systems[p.Engine()], "db.namespace": p.Database(), "db.operation.name": "SELECT",
				"db.response.returned_rows": int64(2), "floe.user": u,
			} {
				if got := top.attrs[k]; got != want {
					t.Errorf("%s = %v, want %v", k, got, want)
				}
			}
			text, _ := top.attrs["db.query.text"].(string)
			if strings.Contains(text, secret) || !strings.Contains(text, "id < ?") || !strings.Contains(strings.ToLower(text), "from customers") {
				t.Errorf("db.query.text %q: want the statement with its literals masked", text)
			}
			if strings.Contains(text, "traceparent") {
				t.Errorf("db.query.text %q keeps the trace comment", text)
			}
			if top.service != "floe-test" || top.name != "SELECT "+p.Database() || top.kind != tracepb.Span_SPAN_KIND_SERVER {
				t.Errorf("statement span %q of service %q, kind %v", top.name, top.service, top.kind)
			}
			if p.Engine() != "sqlite" {
				if addr, _ := top.attrs["server.address"].(string); addr != "127.0.0.1" || top.attrs["server.port"] == nil {
					t.Errorf("server.address %v, server.port %v: want the backend's", top.attrs["server.address"], top.attrs["server.port"])
				}
			} else if _, ok := top.attrs["server.address"]; ok {
				t.Errorf("server.address %v for the embedded engine", top.attrs["server.address"])
			}
			prev := top.start
			for _, name := range []string{"policy", "pool wait", "backend", "streaming"} {
				c, ok := children[name]
				if !ok {
					if name == "streaming" || name == "pool wait" {
						continue
					}
					t.Fatalf("no %s span: %v", name, children)
				}
				if !c.start.Equal(prev) || c.end.Before(c.start) {
					t.Errorf("%s span %v..%v does not follow the previous phase (ending %v)", name, c.start, c.end, prev)
				}
				prev = c.end
			}
			if _, ok := children["pool wait"]; !ok {
				t.Errorf("no pool wait span: the path did not mark its connection (%v)", children)
			}
			if prev.After(top.end) {
				t.Errorf("phases end at %v, after the statement (%v)", prev, top.end)
			}
			// Nothing else was exported: the untraced statement was not.
			time.Sleep(300 * time.Millisecond)
			if n := rcv.count() - before; n != 1+len(children) {
				t.Errorf("%d spans exported for the path, want %d (the traced statement's only)", n, 1+len(children))
			}
		})
	}

	t.Run("backend error", func(t *testing.T) {
		tp, traceID, spanID := newTraceParent()
		p := confPaths(g)[0]
		if err := tracedExec(ctx, g, p, confUser("r", p), "SELECT 1 / (id - id) FROM customers", tp); err == nil {
			t.Fatal("a division by zero ran")
		}
		top, _, err := rcv.statementTrace(traceID, spanID, 2)
		if err != nil {
			t.Fatal(err)
		}
		if top.statusCode != tracepb.Status_STATUS_CODE_ERROR || top.attrs["db.response.status_code"] != "22012" {
			t.Errorf("status %v, db.response.status_code %v: want an error with 22012", top.statusCode, top.attrs["db.response.status_code"])
		}
	})

	t.Run("reload to OTLP/HTTP", func(t *testing.T) {
		g.rewrite(t, base+fmt.Sprintf("tracing: {enabled: true, protocol: http, endpoint: %q, insecure: true, sampling_ratio: 1}\n", rcv.httpAddr))
		g.sig <- syscall.SIGHUP
		p := confPaths(g)[0]
		err := poll(10*time.Second, func() error {
			tp, traceID, spanID := newTraceParent()
			if err := tracedExec(ctx, g, p, confUser("r", p), "SELECT 1", tp); err != nil {
				return err
			}
			top, _, err := rcv.statementTrace(traceID, spanID, 2)
			if err != nil {
				return err
			}
			if !top.receivedOverHTTP || top.service != "floe" {
				return fmt.Errorf("span came over HTTP %v, service %q", top.receivedOverHTTP, top.service)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// Ratio 1: a statement without a caller's context starts a trace.
		before := rcv.count()
		if _, _, err := p.Exec(ctx, confUser("r", p), confPassword, "SELECT 2"); err != nil {
			t.Fatal(err)
		}
		if err := poll(10*time.Second, func() error {
			if rcv.count() == before {
				return fmt.Errorf("no span for an untraced statement at ratio 1")
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
}

// The phases of a statement's time are measured on the relays: a
// statement that sleeps in the database shows it in the backend phase,
// and one that waits for the only pooled connection shows it in the pool
// wait, with the server it ran on.
func TestStatementPhases(t *testing.T) {
	pgDSN := testDB(t)
	myDSN, _ := myTestDB(t)
	rec := &phaseStage{last: map[string]stmt.Outcome{}}
	g := startWith(t, fmt.Sprintf(`databases:
  - {name: app, kind: postgres, primary: %q, pool: {mode: transaction, size: 1}}
  - {name: shop, kind: mysql, primary: %q, pool: {mode: transaction, size: 1}}
users:
  - {name: sleeper, password: s}
  - {name: waiter, password: w}
`, pgDSN, myDSN), app.Options{Stages: []stmt.Stage{rec}})
	ctx := context.Background()
	for _, tc := range []struct {
		name, sleep string
		run         func(user, password, q string) error
	}{
		{"postgres", "SELECT pg_sleep(0.4)", func(user, password, q string) error {
			c, err := pgx.Connect(ctx, g.dsn(user, password, "app"))
			if err != nil {
				return err
			}
			defer c.Close(ctx)
			_, err = c.Exec(ctx, q)
			return err
		}},
		{"mysql", "SELECT SLEEP(0.4)", func(user, password, q string) error {
			cfg := mysql.NewConfig()
			cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName = user, password, "tcp", g.my, "shop"
			db, err := sql.Open("mysql", cfg.FormatDSN())
			if err != nil {
				return err
			}
			defer db.Close()
			rows, err := db.QueryContext(ctx, q)
			if err != nil {
				return err
			}
			for rows.Next() {
			}
			rows.Close()
			return rows.Err()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec.reset()
			errs := make(chan error, 2)
			go func() { errs <- tc.run("sleeper", "s", tc.sleep) }()
			time.Sleep(100 * time.Millisecond)
			go func() { errs <- tc.run("waiter", "w", "SELECT 1") }()
			for range 2 {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
			sl, ok1 := rec.of("sleeper")
			wt, ok2 := rec.of("waiter")
			if !ok1 || !ok2 {
				t.Fatalf("statements not recorded: %v %v", sl, wt)
			}
			if sl.Phases.Backend < 350*time.Millisecond || sl.Phases.Wait > 200*time.Millisecond {
				t.Errorf("sleeping statement: %+v, want ≥ 350ms in the backend", sl.Phases)
			}
			if wt.Phases.Wait < 150*time.Millisecond || wt.Phases.Backend > 200*time.Millisecond {
				t.Errorf("waiting statement: %+v, want ≥ 150ms waiting for the pooled connection", wt.Phases)
			}
			if !strings.HasPrefix(sl.Server, "127.0.0.1:") || sl.Server != wt.Server {
				t.Errorf("servers %q and %q, want the backend's host:port", sl.Server, wt.Server)
			}
		})
	}
}

// phaseStage keeps the outcome of each user's last statement.
type phaseStage struct {
	mu   sync.Mutex
	last map[string]stmt.Outcome
}

func (r *phaseStage) Begin(context.Context, *stmt.Statement) error { return nil }

func (r *phaseStage) End(st *stmt.Statement, o stmt.Outcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.last[st.User()] = o
}

func (r *phaseStage) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	clear(r.last)
}

func (r *phaseStage) of(user string) (stmt.Outcome, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	o, ok := r.last[user]
	return o, ok
}

// Spans still held when the gateway stops are exported before it exits:
// with batches due only every minute, a traced statement's spans reach
// the receiver at shutdown.
func TestTracingFlushedAtStop(t *testing.T) {
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "60000")
	rcv := startOTLPReceiver(t)
	g := start(t, relayConfig(testDB(t), "transaction", 2, "")+fmt.Sprintf("tracing: {enabled: true, endpoint: %q, insecure: true}\n", rcv.grpcAddr))
	tp, traceID, spanID := newTraceParent()
	c := g.connect(t, "alice", "alice-secret", "app")
	if _, err := c.Exec(context.Background(), "SELECT 1 /*traceparent='"+tp+"'*/", pgx.QueryExecModeSimpleProtocol); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(rcv.trace(traceID)); n != 0 {
		t.Fatalf("%d spans exported before the batch was due", n)
	}
	c.Close(context.Background())
	g.stop(t)
	if _, _, err := rcv.statementTrace(traceID, spanID, 2); err != nil {
		t.Fatal(err)
	}
}
