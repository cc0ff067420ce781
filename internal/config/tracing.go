package config

import (
	"fmt"
	"math"
	"net"
	"net/url"
	"strings"
)

// Tracing export protocols (tracing.protocol).
const (
	TracingGRPC = "grpc"
	TracingHTTP = "http"
)

// DefaultTracingServiceName is the service.name spans carry by default.
const DefaultTracingServiceName = "floe"

// Tracing is tracing: OpenTelemetry spans for every statement, exported
// over OTLP. Off unless Enabled.
type Tracing struct {
	// Enabled turns span export on.
	Enabled bool `yaml:"enabled"`
	// Endpoint is the OTLP receiver: host:port (gRPC, default
	// 127.0.0.1:4317; HTTP, default 127.0.0.1:4318) or, for http, a URL
	// (http://host:4318/v1/traces).
	Endpoint string `yaml:"endpoint"`
	// Protocol is grpc (default) or http (OTLP/HTTP with protobuf).
	Protocol string `yaml:"protocol"`
	// Insecure sends spans without TLS.
	Insecure bool `yaml:"insecure"`
	// Headers are sent with every export (an API key of a hosted
	// collector: ${env:…} references work as everywhere).
	Headers map[string]string `yaml:"headers"`
	// SamplingRatio is the share of statements without a sampled parent
	// that are traced, 0 to 1 (default 1). A statement whose caller sent
	// a trace context follows the caller's sampling decision.
	SamplingRatio *float64 `yaml:"sampling_ratio"`
	// ServiceName is the spans' service.name (default floe).
	ServiceName string `yaml:"service_name"`
}

// Ratio is the sampling ratio, default applied.
func (t Tracing) Ratio() float64 {
	if t.SamplingRatio == nil {
		return 1
	}
	return *t.SamplingRatio
}

// applyDefaults fills the unset keys of an enabled tracing: section.
func (t *Tracing) applyDefaults() {
	if t.Protocol == "" {
		t.Protocol = TracingGRPC
	}
	if t.ServiceName == "" {
		t.ServiceName = DefaultTracingServiceName
	}
	if t.Endpoint == "" {
		t.Endpoint = "127.0.0.1:4317"
		if t.Protocol == TracingHTTP {
			t.Endpoint = "127.0.0.1:4318"
		}
	}
}

// validateTracing checks tracing:.
func (c *Config) validateTracing(bad func(key, format string, args ...any)) {
	t := c.Tracing
	switch t.Protocol {
	case TracingGRPC, TracingHTTP:
	default:
		bad("tracing.protocol", "%q: want grpc or http", t.Protocol)
	}
	if r := t.Ratio(); r < 0 || r > 1 || math.IsNaN(r) {
		bad("tracing.sampling_ratio", "%v: want a number from 0 to 1", r)
	}
	if msg := checkTracingEndpoint(t.Protocol, t.Endpoint); msg != "" {
		bad("tracing.endpoint", "%q: %s", t.Endpoint, msg)
	}
	for k := range t.Headers {
		if k == "" || strings.ContainsAny(k, " \t\r\n:") {
			bad("tracing.headers", "%q is not a header name", k)
		}
	}
	for k, v := range t.Headers {
		if strings.ContainsAny(v, "\r\n") {
			bad("tracing.headers."+k, "a header value cannot hold a line break")
		}
	}
}

// checkTracingEndpoint says what is wrong with an endpoint ("" nothing).
func checkTracingEndpoint(protocol, ep string) string {
	if strings.Contains(ep, "://") {
		if protocol != TracingHTTP {
			return "want host:port for protocol grpc"
		}
		u, err := url.Parse(ep)
		if err != nil {
			return "not a valid URL"
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			return fmt.Sprintf("scheme %q: want http:// or https://", u.Scheme)
		}
		if u.Host == "" {
			return "the URL has no host"
		}
		return ""
	}
	host, port, err := net.SplitHostPort(ep)
	if err != nil || host == "" || port == "" {
		return "want host:port"
	}
	return ""
}
