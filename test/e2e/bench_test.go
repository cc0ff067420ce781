package e2e

import (
	"context"
	"database/sql"
	"fmt"
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

// BenchmarkMySQLRelayRoundTrip runs one-row queries from one client,
// directly against MariaDB and through the gateway (transaction pooling),
// as server-side prepared statements (binary protocol) and interpolated
// text queries.
func BenchmarkMySQLRelayRoundTrip(b *testing.B) {
	dsn, direct := myTestDB(b)
	g := startB(b, myRelayConfig(dsn, "transaction", 4))
	for _, mode := range []string{"prepared", "text"} {
		for _, target := range []string{"direct", "floe"} {
			b.Run(target+"/"+mode, func(b *testing.B) {
				db := direct
				if target == "direct" && mode == "text" {
					var name string
					if err := direct.QueryRow("SELECT DATABASE()").Scan(&name); err != nil {
						b.Fatal(err)
					}
					cfg := myAdminConfig(b)
					cfg.DBName, cfg.InterpolateParams = name, true
					textDB, err := sql.Open("mysql", cfg.FormatDSN())
					if err != nil {
						b.Fatal(err)
					}
					defer textDB.Close()
					db = textDB
				}
				if target == "floe" {
					db = g.mydb(b, "alice", "alice-secret", "shop", map[string]string{"interpolateParams": fmt.Sprint(mode == "text")})
				}
				c, err := db.Conn(context.Background())
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				ctx := context.Background()
				var stmt *sql.Stmt
				if mode == "prepared" {
					if stmt, err = c.PrepareContext(ctx, "SELECT ? + 1"); err != nil {
						b.Fatal(err)
					}
					defer stmt.Close()
				}
				var n int
				b.ResetTimer()
				for i := 0; b.Loop(); i++ {
					if stmt != nil {
						err = stmt.QueryRowContext(ctx, i).Scan(&n)
					} else {
						err = c.QueryRowContext(ctx, "SELECT ? + 1", i).Scan(&n)
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
