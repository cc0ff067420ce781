package tracing

import (
	"context"
	"net/http"
	"testing"

	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/metadata"
)

func TestFromHTTPAndGRPC(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tp, ts string
		ok     bool
	}{
		{"sampled", tp, "", true},
		{"with tracestate", tp, "rojo=00f067aa0ba902b7", true},
		{"none", "", "", false},
		{"malformed", "00-xyz-abc-01", "", false},
		{"zero trace id", "00-00000000000000000000000000000000-" + tpSpan + "-01", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			md := metadata.MD{}
			if tc.tp != "" {
				h.Set("Traceparent", tc.tp)
				md.Set("traceparent", tc.tp)
			}
			if tc.ts != "" {
				h.Set("Tracestate", tc.ts)
				md.Set("tracestate", tc.ts)
			}
			base := context.Background()
			for via, ctx := range map[string]context.Context{
				"http": FromHTTP(base, h),
				"grpc": FromGRPC(metadata.NewIncomingContext(base, md)),
			} {
				sc := trace.SpanContextFromContext(ctx)
				if sc.IsValid() != tc.ok {
					t.Fatalf("%s: valid %v, want %v", via, sc.IsValid(), tc.ok)
				}
				if !tc.ok {
					continue
				}
				if sc.TraceID().String() != tpTrace || sc.SpanID().String() != tpSpan || !sc.IsRemote() || !sc.IsSampled() {
					t.Errorf("%s: %v", via, sc)
				}
				if sc.TraceState().String() != tc.ts {
					t.Errorf("%s: tracestate %q, want %q", via, sc.TraceState().String(), tc.ts)
				}
			}
		})
	}
	if ctx := FromGRPC(context.Background()); trace.SpanContextFromContext(ctx).IsValid() {
		t.Error("a context without metadata carries a span context")
	}
}
