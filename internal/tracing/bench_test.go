package tracing

import (
	"context"
	"strconv"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/floe-db/floe/internal/analysis"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/stmt"
)

// BenchmarkStatement is one statement through a pipeline: without the
// trace stage, with it sampled out (ratio 0) and sampled (ratio 1,
// spans batched to an exporter that drops them).
func BenchmarkStatement(b *testing.B) {
	for _, tc := range []struct {
		name  string
		ratio float64
		stage bool
	}{{"off", 0, false}, {"ratio0", 0, true}, {"ratio1", 1, true}} {
		b.Run(tc.name, func(b *testing.B) {
			var stages []stmt.Stage
			if tc.stage {
				p := newProvider(config.Tracing{Enabled: true, SamplingRatio: ratio(tc.ratio)}, "", sdktrace.WithBatcher(tracetest.NewNoopExporter()))
				defer p.Shutdown(context.Background())
				stages = append(stages, p.Stage("app", config.KindPostgres))
			}
			pipe := stmt.New(stmt.Options{Database: "app", Dialect: analysis.Postgres, Stages: stages})
			sess := pipe.Open(policy.Request{User: "alice", Client: "127.0.0.1", Protocol: "postgres"})
			texts := make([]string, 64)
			for i := range texts {
				texts[i] = "SELECT abalance FROM pgbench_accounts WHERE aid = " + strconv.Itoa(i*7919)
			}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				st, den := sess.Start(ctx, "query", texts[i%len(texts)], nil)
				if den != nil {
					b.Fatal(den)
				}
				st.Acquired("127.0.0.1:5432")
				st.Responded()
				st.AddRows(1)
				st.Finish(nil)
			}
		})
	}
}
