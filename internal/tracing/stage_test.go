package tracing

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/floe-db/floe/internal/analysis"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/sqlerr"
	"github.com/floe-db/floe/internal/stmt"
)

func ratio(r float64) *float64 { return &r }

// run sends text through a pipeline traced by a provider of ratio r and
// returns the spans exported.
func run(t *testing.T, r float64, kind string, d analysis.Dialect, ctx context.Context, text string, body func(*stmt.Statement) error) tracetest.SpanStubs {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	p := newProvider(config.Tracing{Enabled: true, SamplingRatio: ratio(r)}, "test", sdktrace.WithSyncer(exp))
	defer p.Shutdown(context.Background())
	pipe := stmt.New(stmt.Options{Database: "app", Dialect: d, Stages: []stmt.Stage{p.Stage("app", kind)}})
	sess := pipe.Open(policy.Request{User: "alice", Client: "127.0.0.1", Protocol: "postgres"})
	st, den := sess.Start(ctx, "query", text, nil)
	if den != nil {
		t.Fatalf("denied: %v", den)
	}
	st.Finish(body(st))
	return exp.GetSpans()
}

func attrs(s tracetest.SpanStub) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes {
		m[kv.Key] = kv.Value
	}
	return m
}

func TestStageSpans(t *testing.T) {
	spans := run(t, 1, config.KindPostgres, analysis.Postgres, context.Background(),
		"SELECT * FROM t WHERE name = 'secret' AND id = 42 /*traceparent='"+tp+"'*/",
		func(st *stmt.Statement) error {
			time.Sleep(2 * time.Millisecond)
			st.Acquired("10.1.2.3:5433")
			time.Sleep(3 * time.Millisecond)
			st.Responded()
			st.AddRows(7)
			time.Sleep(2 * time.Millisecond)
			return nil
		})
	if len(spans) != 5 {
		t.Fatalf("%d spans, want 5: %v", len(spans), spans)
	}
	byName := map[string]tracetest.SpanStub{}
	for _, s := range spans {
		byName[s.Name] = s
	}
	top, ok := byName["SELECT app"]
	if !ok {
		t.Fatalf("no statement span: %v", spans)
	}
	if top.Parent.TraceID().String() != tpTrace || top.Parent.SpanID().String() != tpSpan || top.SpanContext.TraceID().String() != tpTrace {
		t.Errorf("statement span does not continue the comment's trace: parent %v", top.Parent)
	}
	a := attrs(top)
	for k, want := range map[attribute.Key]any{
		"db.system.name": "postgresql", "db.namespace": "app", "db.operation.name": "SELECT",
		"db.response.returned_rows": int64(7), "server.address": "10.1.2.3", "server.port": int64(5433), "floe.user": "alice",
	} {
		if got := a[k].AsInterface(); got != want {
			t.Errorf("%s = %v, want %v", k, got, want)
		}
	}
	q := a["db.query.text"].AsString()
	if strings.Contains(q, "secret") || strings.Contains(q, "42") || !strings.Contains(q, "SELECT * FROM t") {
		t.Errorf("db.query.text not masked: %q", q)
	}
	prev := top.StartTime
	for _, name := range []string{SpanPolicy, SpanWait, SpanBackend, SpanStream} {
		c, ok := byName[name]
		if !ok {
			t.Fatalf("no %s span", name)
		}
		if c.Parent.SpanID() != top.SpanContext.SpanID() {
			t.Errorf("%s: parent %v, want the statement span", name, c.Parent.SpanID())
		}
		if !c.StartTime.Equal(prev) || c.EndTime.Before(c.StartTime) {
			t.Errorf("%s: %v..%v, want to start at %v", name, c.StartTime, c.EndTime, prev)
		}
		prev = c.EndTime
	}
	if !prev.Equal(top.EndTime) {
		t.Errorf("phases end at %v, statement at %v", prev, top.EndTime)
	}
	if d := byName[SpanBackend].EndTime.Sub(byName[SpanBackend].StartTime); d < 3*time.Millisecond {
		t.Errorf("backend phase %v, want ≥ 3ms", d)
	}
	if d := byName[SpanWait].EndTime.Sub(byName[SpanWait].StartTime); d < 2*time.Millisecond {
		t.Errorf("wait phase %v, want ≥ 2ms", d)
	}
	if byName[SpanBackend].SpanKind != trace.SpanKindClient {
		t.Errorf("backend span kind %v", byName[SpanBackend].SpanKind)
	}
}

func TestStageSampling(t *testing.T) {
	sampledCtx := trace.ContextWithRemoteSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}, TraceFlags: trace.FlagsSampled, Remote: true}))
	unsampledCtx := trace.ContextWithRemoteSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}, Remote: true}))
	ok := func(*stmt.Statement) error { return nil }
	for _, tc := range []struct {
		name  string
		ratio float64
		ctx   context.Context
		text  string
		spans int
	}{
		{"ratio 0, no parent", 0, context.Background(), "SELECT 1", 0},
		{"ratio 1, no parent", 1, context.Background(), "SELECT 1", 3},
		{"ratio 0, sampled parent in ctx", 0, sampledCtx, "SELECT 1", 3},
		{"ratio 1, unsampled parent in ctx", 1, unsampledCtx, "SELECT 1", 0},
		{"ratio 0, sampled comment", 0, context.Background(), "SELECT 1 /*traceparent='" + tp + "'*/", 3},
		{"ratio 1, unsampled comment", 1, context.Background(), "SELECT 1 /*traceparent='00-" + tpTrace + "-" + tpSpan + "-00'*/", 0},
		{"ratio 0, malformed comment", 0, context.Background(), "SELECT 1 /*traceparent='00-zz'*/", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Without Acquired and Responded: policy, backend and the
			// statement.
			spans := run(t, tc.ratio, config.KindPostgres, analysis.Postgres, tc.ctx, tc.text, ok)
			if len(spans) != tc.spans {
				t.Fatalf("%d spans, want %d", len(spans), tc.spans)
			}
			if tc.spans > 0 && tc.ctx != context.Background() {
				for _, s := range spans {
					if s.SpanContext.TraceID() != (trace.TraceID{1}) {
						t.Errorf("%s: trace %v, want the context's", s.Name, s.SpanContext.TraceID())
					}
				}
			}
		})
	}
}

func TestStageError(t *testing.T) {
	spans := run(t, 1, config.KindMySQL, analysis.MySQL, context.Background(), `UPDATE t SET a = "x" WHERE b = 1`,
		func(st *stmt.Statement) error {
			st.Acquired("db.internal:3306")
			st.Responded()
			return sqlerr.New(sqlerr.UndefinedTable, "no such table")
		})
	var top tracetest.SpanStub
	for _, s := range spans {
		if s.Name == "UPDATE app" {
			top = s
		}
	}
	a := attrs(top)
	if top.Status.Code != codes.Error || a["db.response.status_code"].AsString() != sqlerr.UndefinedTable || a["db.system.name"].AsString() != "mysql" {
		t.Errorf("status %v, attributes %v", top.Status, a)
	}
	if q := a["db.query.text"].AsString(); strings.Contains(q, `"x"`) {
		t.Errorf("MySQL double-quoted literal not masked: %q", q)
	}
}

// No literal reaches db.query.text, whatever its quoting, and a
// sqlcommenter comment adds no attribute: its keys other than the trace
// context are neither read nor kept apart from the text.
func TestStageQueryTextLiterals(t *testing.T) {
	const carrier = "/*traceparent='" + tp + "',db_user='evil',route='%2Fsecret-route'*/"
	cases := []struct {
		d    analysis.Dialect
		kind string
		text string
	}{
		{analysis.Postgres, config.KindPostgres, `SELECT 'a\', 'secret-1'`},
		{analysis.Postgres, config.KindPostgres, `SELECT E'a\'secret-2'`},
		{analysis.Postgres, config.KindPostgres, `SELECT e'x\\', 'secret-3'`},
		{analysis.Postgres, config.KindPostgres, `SELECT $$secret-4$$, $tag$ $$ secret-5 $tag$`},
		{analysis.Postgres, config.KindPostgres, `SELECT U&'secret-6', B'1010', X'ff', 424242`},
		{analysis.Postgres, config.KindPostgres, `SELECT 'o''secret-7' FROM t WHERE a = 'x' /* 'y' */`},
		{analysis.Postgres, config.KindPostgres, `SELECT 'secret-8' ` + carrier},
		{analysis.Postgres, config.KindPostgres, carrier + ` SELECT 'secret-9'`},
		{analysis.MySQL, config.KindMySQL, `SELECT 'a\'secret-10', "a\"secret-11"`},
		{analysis.MySQL, config.KindMySQL, `SELECT 'a\\', 'secret-12'`},
		{analysis.MySQL, config.KindMySQL, `SELECT /*!50000 'secret-13' */ 1`},
		{analysis.MySQL, config.KindMySQL, `SELECT _utf8mb4'secret-14', N'secret-15', x'736563726574'`},
		{analysis.MySQL, config.KindMySQL, `SELECT 'secret-16' ` + carrier},
	}
	for _, tc := range cases {
		spans := run(t, 1, tc.kind, tc.d, context.Background(), tc.text, func(*stmt.Statement) error { return nil })
		for _, s := range spans {
			for k, v := range attrs(s) {
				if str := v.Emit(); strings.Contains(str, "secret") || strings.Contains(str, "424242") || strings.Contains(str, "evil") {
					t.Errorf("%s: attribute %s = %q", tc.text, k, str)
				}
			}
		}
	}
}
