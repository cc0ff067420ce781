// Package tracing owns Floe's OpenTelemetry traces: the SDK tracer
// provider and its OTLP exporter (gRPC or HTTP, built from the tracing:
// configuration), the statement-pipeline stage that turns each finished
// statement into spans, and the reading of trace context a client sends
// (W3C traceparent in HTTP headers and gRPC metadata, sqlcommenter
// comments in statement text).
//
// Data flow. The gateway builds a Provider at start and again when a
// reload changes tracing:, and shuts the old one down (flushing its
// spans) once the new one is in force, and at stop. For every database
// it adds the Provider's Stage to the statement pipeline
// (backend.Settings.Stages), so every path — PostgreSQL and MySQL relays,
// the embedded engine, HTTP and Flight SQL — is traced alike. With
// tracing off no stage is added: statements pay nothing.
//
// A statement's spans are built at its end, from the stmt.Outcome:
//
//	Stage.Begin   keeps the caller's span context when the request
//	              context carries one (data API: Extract, FromHTTP,
//	              FromGRPC); nothing else
//	Stage.End     parent: the kept context, else a sqlcommenter
//	              traceparent in the text (ParseComment; a malformed one
//	              is ignored), else none (a new trace). Sampling: a parent
//	              decides (its sampled flag); a new trace is kept with the
//	              configured ratio, decided before any SDK call, so a
//	              statement sampled out costs a random number.
//	              A kept statement gets one span (Outcome.Received to
//	              the end) with the database semantic conventions and
//	              the literals of its text masked (sqltext.Mask,
//	              MaskMySQL), and a child span per phase (policy, pool
//	              wait, backend, stream) with explicit timestamps.
//
// The SDK's batch span processor runs one goroutine per Provider that
// exports batches; Shutdown stops it after a last export.
package tracing
