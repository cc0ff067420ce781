package e2e

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

// BenchmarkRelayRoundTrip runs one-row queries from one client, directly
// against PostgreSQL and through the gateway (transaction pooling), in
// simple and extended (cached statement) modes. Compare ns/op of the
// direct and floe sub-benchmarks of the same mode: the difference is the
// gateway's added latency.
func BenchmarkRelayRoundTrip(b *testing.B) {
	dsn := testDBB(b)
	g := startB(b, relayConfig(dsn, "transaction", 4, ""))
	for _, mode := range []string{"simple_protocol", "cache_statement"} {
		for _, target := range []string{"direct", "floe"} {
			b.Run(target+"/"+mode, func(b *testing.B) {
				url := dsn + "&default_query_exec_mode=" + mode
				if target == "floe" {
					url = g.dsn("alice", "alice-secret", "app", "default_query_exec_mode="+mode)
				}
				ctx := context.Background()
				c, err := pgx.Connect(ctx, url)
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close(ctx)
				var n int
				b.ResetTimer()
				for i := 0; b.Loop(); i++ {
					if err := c.QueryRow(ctx, "select $1::int", i).Scan(&n); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
