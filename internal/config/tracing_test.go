package config

import (
	"strings"
	"testing"
)

func TestTracing(t *testing.T) {
	base := "databases: [{name: d, kind: sqlite, path: ':memory:'}]\nusers: [{name: u, password: p}]\n"
	for _, tc := range []struct {
		name, src, err string
		check          func(*testing.T, Tracing)
	}{
		{name: "absent: off", src: "", check: func(t *testing.T, tr Tracing) {
			if tr.Enabled || tr.Ratio() != 1 || tr.Protocol != TracingGRPC || tr.Endpoint != "127.0.0.1:4317" || tr.ServiceName != "floe" {
				t.Errorf("defaults: %+v", tr)
			}
		}},
		{name: "http default endpoint", src: "tracing: {enabled: true, protocol: http}", check: func(t *testing.T, tr Tracing) {
			if tr.Endpoint != "127.0.0.1:4318" {
				t.Errorf("endpoint %q", tr.Endpoint)
			}
		}},
		{name: "full", src: "tracing: {enabled: true, endpoint: 'otel:4317', insecure: true, headers: {x-api-key: k}, sampling_ratio: 0.25, service_name: gw}", check: func(t *testing.T, tr Tracing) {
			if !tr.Enabled || tr.Ratio() != 0.25 || !tr.Insecure || tr.Headers["x-api-key"] != "k" || tr.ServiceName != "gw" {
				t.Errorf("parsed: %+v", tr)
			}
		}},
		{name: "ratio 0", src: "tracing: {enabled: true, sampling_ratio: 0}", check: func(t *testing.T, tr Tracing) {
			if tr.Ratio() != 0 {
				t.Errorf("ratio %v", tr.Ratio())
			}
		}},
		{name: "http url", src: "tracing: {enabled: true, protocol: http, endpoint: 'https://collector.example/v1/traces'}"},
		{name: "bad protocol", src: "tracing: {protocol: zipkin}", err: "tracing.protocol"},
		{name: "ratio above 1", src: "tracing: {sampling_ratio: 1.5}", err: "tracing.sampling_ratio"},
		{name: "ratio below 0", src: "tracing: {sampling_ratio: -0.1}", err: "tracing.sampling_ratio"},
		{name: "url for grpc", src: "tracing: {endpoint: 'http://x:4317'}", err: "want host:port for protocol grpc"},
		{name: "no port", src: "tracing: {endpoint: collector}", err: "want host:port"},
		{name: "bad scheme", src: "tracing: {protocol: http, endpoint: 'ftp://x/'}", err: "want http://"},
		{name: "bad header", src: "tracing: {headers: {'a b': c}}", err: "not a header name"},
		{name: "header line break", src: "tracing: {headers: {a: \"x\\ny\"}}", err: "line break"},
		{name: "unknown key", src: "tracing: {ratio: 1}", err: "ratio"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("f.yaml", []byte(base+tc.src+"\n"), env(nil))
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("error %v, want %q", err, tc.err)
			}
			if tc.check != nil && c != nil {
				tc.check(t, c.Tracing)
			}
		})
	}
}
