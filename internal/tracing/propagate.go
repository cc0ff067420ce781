package tracing

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/metadata"
)

// FromHTTP returns ctx carrying the W3C trace context (traceparent,
// tracestate) of HTTP headers h; ctx itself when they carry none or a
// malformed one.
func FromHTTP(ctx context.Context, h http.Header) context.Context {
	if h.Get("traceparent") == "" {
		return ctx
	}
	return extract(ctx, propagation.HeaderCarrier(h))
}

// FromGRPC returns ctx carrying the W3C trace context of the incoming
// gRPC metadata in ctx (a Flight SQL call); ctx itself when there is
// none or a malformed one.
func FromGRPC(ctx context.Context) context.Context {
	md, ok := metadata.FromIncomingContext(ctx)
	if !ok || len(md.Get("traceparent")) == 0 {
		return ctx
	}
	return extract(ctx, metadataCarrier(md))
}

func extract(ctx context.Context, c propagation.TextMapCarrier) context.Context {
	sc := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), c))
	if !sc.IsValid() {
		return ctx
	}
	return trace.ContextWithRemoteSpanContext(ctx, sc)
}

// metadataCarrier reads gRPC metadata (keys are lower case).
type metadataCarrier metadata.MD

func (m metadataCarrier) Get(key string) string {
	if v := metadata.MD(m).Get(key); len(v) > 0 {
		return v[0]
	}
	return ""
}

func (m metadataCarrier) Set(key, value string) { metadata.MD(m).Set(key, value) }

func (m metadataCarrier) Keys() []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
