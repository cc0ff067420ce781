// Package admin serves the admin listener: /healthz (the process is up),
// /readyz (the gateway accepts work; 503 while starting or draining) and
// /metrics (Prometheus). It holds no state of its own: readiness comes
// from a function the app passes in, metrics from observe.Metrics.
package admin
