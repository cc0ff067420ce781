// Command cachelag measures how long a change committed directly on
// PostgreSQL stays unseen by reads through Floe's result cache: for each
// round it reads a row through Floe (filling the cache), updates it on
// the database directly, and reads through Floe until the new value
// shows, timing from the UPDATE's commit. It prints p50, p99 and max.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

func main() {
	direct := flag.String("direct", "", "DSN of the database itself")
	floe := flag.String("floe", "", "DSN of the same database through Floe")
	rounds := flag.Int("rounds", 200, "changes to time")
	timeout := flag.Duration("timeout", 10*time.Second, "give up on one change after this long")
	flag.Parse()
	if err := run(*direct, *floe, *rounds, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "cachelag:", err)
		os.Exit(1)
	}
}

func run(directDSN, floeDSN string, rounds int, timeout time.Duration) error {
	ctx := context.Background()
	d, err := pgx.Connect(ctx, directDSN)
	if err != nil {
		return err
	}
	defer d.Close(ctx)
	f, err := pgx.Connect(ctx, floeDSN)
	if err != nil {
		return err
	}
	defer f.Close(ctx)
	if _, err := d.Exec(ctx, `CREATE TABLE IF NOT EXISTS cachelag (id int PRIMARY KEY, v bigint NOT NULL);
		INSERT INTO cachelag VALUES (1, 0) ON CONFLICT (id) DO UPDATE SET v = 0`); err != nil {
		return err
	}
	defer d.Exec(ctx, `DROP TABLE cachelag`) //nolint:errcheck
	read := func() (int64, error) {
		var v int64
		err := f.QueryRow(ctx, `SELECT v FROM cachelag WHERE id = 1`).Scan(&v)
		return v, err
	}
	var lags []time.Duration
	stale, old := 0, 0
	for i := 1; i <= rounds; i++ {
		// Fill: read twice so the second read is served from the cache.
		for range 2 {
			if _, err := read(); err != nil {
				return err
			}
		}
		if _, err := d.Exec(ctx, `UPDATE cachelag SET v = $1 WHERE id = 1`, int64(i)); err != nil {
			return err
		}
		committed := time.Now()
		for {
			v, err := read()
			if err != nil {
				return err
			}
			if v == int64(i) {
				lags = append(lags, time.Since(committed))
				break
			}
			old++
			if time.Since(committed) > timeout {
				stale++
				break
			}
		}
	}
	if len(lags) == 0 {
		return fmt.Errorf("no change was seen within %s", timeout)
	}
	slices.Sort(lags)
	pct := func(p float64) time.Duration { return lags[min(len(lags)-1, int(p*float64(len(lags))))] }
	fmt.Printf("rounds %d  p50 %.2f ms  p99 %.2f ms  max %.2f ms  reads of the old value %d  unseen after %s: %d\n", len(lags),
		ms(pct(0.50)), ms(pct(0.99)), ms(lags[len(lags)-1]), old, timeout, stale)
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
