package tracing

import (
	"context"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/floe-db/floe/internal/analysis"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/sqltext"
	"github.com/floe-db/floe/internal/stmt"
)

// Span names of a statement's phases (children of its span).
const (
	SpanPolicy  = "policy"
	SpanWait    = "pool wait"
	SpanBackend = "backend"
	SpanStream  = "streaming"
)

// Attribute keys of Floe's own.
const (
	// AttrUser is the gateway user who sent the statement.
	AttrUser = attribute.Key("floe.user")
	// AttrStatus is ok, error or cancelled.
	AttrStatus = attribute.Key("floe.status")
)

// Stage returns the pipeline stage that traces the statements of
// database db, whose backend is of kind (config.KindPostgres, KindMySQL,
// KindSQLite).
func (p *Provider) Stage(db, kind string) stmt.Stage {
	sys := semconv.DBSystemNamePostgreSQL
	switch kind {
	case config.KindMySQL:
		sys = semconv.DBSystemNameMySQL
	case config.KindSQLite:
		sys = semconv.DBSystemNameSQLite
	}
	return &stage{tracer: p.tracer, ratio: p.ratio, system: sys, namespace: semconv.DBNamespace(db), db: db}
}

type stage struct {
	tracer    trace.Tracer
	ratio     float64
	system    attribute.KeyValue
	namespace attribute.KeyValue
	db        string
}

// parentKey keys the caller's span context on a Statement.
type parentKey struct{}

// Begin keeps the caller's span context, when the request context
// carries one.
func (s *stage) Begin(ctx context.Context, st *stmt.Statement) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		st.SetValue(parentKey{}, sc)
	}
	return nil
}

// End builds the statement's spans, when it is sampled.
func (s *stage) End(st *stmt.Statement, o stmt.Outcome) {
	parent, ok := st.Value(parentKey{}).(trace.SpanContext)
	text := st.Text
	if !ok {
		if parent, ok = ParseComment(text); ok {
			text = WithoutComment(text)
		}
	}
	switch {
	case ok && !parent.IsSampled():
		return
	case !ok && (s.ratio <= 0 || s.ratio < 1 && rand.Float64() >= s.ratio):
		return
	}
	ctx := context.Background()
	if ok {
		ctx = trace.ContextWithRemoteSpanContext(ctx, parent)
	}
	s.spans(ctx, st, text, o)
}

// spans records the spans of st, whose text (without a sqlcommenter
// comment that carried its trace context) is text.
func (s *stage) spans(ctx context.Context, st *stmt.Statement, text string, o stmt.Outcome) {
	op := Operation(text)
	name := s.db
	if op != "" {
		name = op + " " + s.db
	}
	mask := sqltext.Mask
	if st.Session().Pipeline().Dialect() == analysis.MySQL {
		mask = sqltext.MaskMySQL
	}
	attrs := make([]attribute.KeyValue, 0, 11)
	attrs = append(attrs, s.system, s.namespace,
		semconv.DBQueryText(mask(text)),
		semconv.DBResponseReturnedRows(int(o.Rows)),
		AttrUser.String(st.User()), AttrStatus.String(o.Status))
	if op != "" {
		attrs = append(attrs, semconv.DBOperationName(op))
	}
	// A backend server (host:port); the embedded engine names none.
	var server []attribute.KeyValue
	if host, port, err := net.SplitHostPort(o.Server); err == nil {
		server = append(server, semconv.ServerAddress(host))
		if n, err := strconv.Atoi(port); err == nil {
			server = append(server, semconv.ServerPort(n))
		}
		attrs = append(attrs, server...)
	}
	if o.Code != "" {
		attrs = append(attrs, semconv.DBResponseStatusCode(o.Code))
	}
	t := o.Received
	end := t.Add(o.Phases.Policy + o.Duration)
	ctx, span := s.tracer.Start(ctx, name, trace.WithTimestamp(t), trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attrs...))
	if o.Status == "error" {
		span.SetStatus(codes.Error, "SQLSTATE "+o.Code)
	}
	t = s.child(ctx, SpanPolicy, t, o.Phases.Policy, nil)
	if o.Server != "" {
		t = s.child(ctx, SpanWait, t, o.Phases.Wait, nil)
	}
	t = s.child(ctx, SpanBackend, t, o.Phases.Backend, server)
	if o.Phases.Stream > 0 {
		s.child(ctx, SpanStream, t, o.Phases.Stream, nil)
	}
	span.End(trace.WithTimestamp(end))
}

// child records a phase from t lasting d; it returns its end.
func (s *stage) child(ctx context.Context, name string, t time.Time, d time.Duration, attrs []attribute.KeyValue) time.Time {
	opts := []trace.SpanStartOption{trace.WithTimestamp(t)}
	if attrs != nil {
		opts = append(opts, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	}
	_, span := s.tracer.Start(ctx, name, opts...)
	end := t.Add(d)
	span.End(trace.WithTimestamp(end))
	return end
}

// Operation is the statement's first keyword, upper case (SELECT,
// INSERT, WITH…), after blanks and comments; "" when it starts with
// none.
func Operation(text string) string {
	i := 0
	for i < len(text) {
		switch c := text[i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(' || c == ';':
			i++
		case c == '-' && i+1 < len(text) && text[i+1] == '-':
			for i < len(text) && text[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(text) && text[i+1] == '*':
			j := strings.Index(text[i+2:], "*/")
			if j < 0 {
				return ""
			}
			i += j + 4
		default:
			j := i
			for j < len(text) && j-i < 32 && isWordByte(text[j]) {
				j++
			}
			if j == i {
				return ""
			}
			return upper(text[i:j])
		}
	}
	return ""
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

// upper upper-cases an ASCII word without allocating when it already is.
func upper(w string) string {
	for i := 0; i < len(w); i++ {
		if w[i] >= 'a' && w[i] <= 'z' {
			b := []byte(w)
			for j := range b {
				if b[j] >= 'a' && b[j] <= 'z' {
					b[j] -= 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return w
}
