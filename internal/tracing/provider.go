package tracing

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/floe-db/floe/internal/config"
)

// ErrExporter wraps a failure to set up the span exporter.
var ErrExporter = errors.New("tracing: exporter")

// Provider is the tracer provider of one tracing: configuration.
type Provider struct {
	cfg    config.Tracing
	tp     *sdktrace.TracerProvider
	tracer trace.Tracer
	ratio  float64
}

// New builds the provider of c (which must be enabled and validated):
// an OTLP exporter over gRPC or HTTP behind a batch span processor.
// version is the gateway's version (service.version; "" none). Nothing
// is dialled until the first export.
func New(ctx context.Context, c config.Tracing, version string) (*Provider, error) {
	var exp sdktrace.SpanExporter
	var err error
	switch c.Protocol {
	case config.TracingHTTP:
		var opts []otlptracehttp.Option
		if strings.Contains(c.Endpoint, "://") {
			opts = append(opts, otlptracehttp.WithEndpointURL(c.Endpoint))
		} else {
			opts = append(opts, otlptracehttp.WithEndpoint(c.Endpoint))
		}
		if c.Insecure {
			opts = append(opts, otlptracehttp.WithInsecure())
		}
		if len(c.Headers) > 0 {
			opts = append(opts, otlptracehttp.WithHeaders(c.Headers))
		}
		exp, err = otlptracehttp.New(ctx, opts...)
	default:
		opts := []otlptracegrpc.Option{otlptracegrpc.WithEndpoint(c.Endpoint)}
		if c.Insecure {
			opts = append(opts, otlptracegrpc.WithInsecure())
		}
		if len(c.Headers) > 0 {
			opts = append(opts, otlptracegrpc.WithHeaders(c.Headers))
		}
		exp, err = otlptracegrpc.New(ctx, opts...)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrExporter, err)
	}
	return NewWithExporter(c, version, exp), nil
}

// NewWithExporter builds the provider of c over exp (an in-memory
// exporter in tests), batching exports.
func NewWithExporter(c config.Tracing, version string, exp sdktrace.SpanExporter) *Provider {
	return newProvider(c, version, sdktrace.WithBatcher(exp))
}

func newProvider(c config.Tracing, version string, proc sdktrace.TracerProviderOption) *Provider {
	name := c.ServiceName
	if name == "" {
		name = config.DefaultTracingServiceName
	}
	attrs := []attribute.KeyValue{semconv.ServiceName(name)}
	if version != "" {
		attrs = append(attrs, semconv.ServiceVersion(version))
	}
	tp := sdktrace.NewTracerProvider(
		proc,
		sdktrace.WithResource(resource.NewSchemaless(attrs...)),
		// The stage decides before it starts a span: a statement with a
		// parent follows the parent's flag, a new trace the ratio.
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())),
	)
	return &Provider{cfg: c, tp: tp, tracer: tp.Tracer("github.com/floe-db/floe"), ratio: c.Ratio()}
}

// Config is the configuration the provider was built from.
func (p *Provider) Config() config.Tracing { return p.cfg }

// Tracer is the provider's tracer.
func (p *Provider) Tracer() trace.Tracer { return p.tracer }

// Flush exports the spans ended so far.
func (p *Provider) Flush(ctx context.Context) error { return p.tp.ForceFlush(ctx) }

// Shutdown exports what is left and stops the exporter; spans ended
// later are dropped.
func (p *Provider) Shutdown(ctx context.Context) error { return p.tp.Shutdown(ctx) }
