// Command idleconns opens N client connections to a PostgreSQL or MySQL
// endpoint, authenticates each, runs one small statement on it, and holds
// them all open and idle until its standard input closes or it is
// signalled. It prints "ready N" once every connection is open. The idle
// memory benchmark (bench/idle.sh) measures the server's RSS while it
// waits.
//
//	idleconns -proto postgres -dsn 'postgres://bench:bench@127.0.0.1:16432/db?sslmode=disable' -n 10000
//	idleconns -proto mysql -dsn 'bench:bench@tcp(127.0.0.1:13306)/db' -n 10000
package main

import (
	"context"
	"database/sql/driver"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
)

func main() {
	proto := flag.String("proto", "postgres", "postgres or mysql")
	dsn := flag.String("dsn", "", "connection string")
	n := flag.Int("n", 1000, "connections to hold")
	par := flag.Int("parallel", 32, "connections opened at once")
	query := flag.String("query", "SELECT 1", "statement run once on each connection")
	flag.Parse()
	ctx := context.Background()

	open, err := opener(*proto, *dsn, *query)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var (
		mu     sync.Mutex
		held   []io.Closer
		failed atomic.Int64
		first  atomic.Value
		next   atomic.Int64
		wg     sync.WaitGroup
	)
	start := time.Now()
	for range *par {
		wg.Go(func() {
			for next.Add(1) <= int64(*n) {
				c, err := open(ctx)
				if err != nil {
					failed.Add(1)
					first.CompareAndSwap(nil, err.Error())
					continue
				}
				mu.Lock()
				held = append(held, c)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		fmt.Fprintf(os.Stderr, "%d connections failed; first: %v\n", f, first.Load())
	}
	fmt.Printf("ready %d in %.1fs\n", len(held), time.Since(start).Seconds())

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	eof := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); close(eof) }()
	select {
	case <-sig:
	case <-eof:
	}
	for _, c := range held {
		_ = c.Close()
	}
}

type closerFunc func() error

func (f closerFunc) Close() error { return f() }

func opener(proto, dsn, query string) (func(context.Context) (io.Closer, error), error) {
	switch proto {
	case "postgres":
		cfg, err := pgconn.ParseConfig(dsn)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) (io.Closer, error) {
			c, err := pgconn.ConnectConfig(ctx, cfg)
			if err != nil {
				return nil, err
			}
			if _, err := c.Exec(ctx, query).ReadAll(); err != nil {
				_ = c.Close(ctx)
				return nil, err
			}
			return closerFunc(func() error { return c.Close(context.Background()) }), nil
		}, nil
	case "mysql":
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			return nil, err
		}
		conn, err := mysql.NewConnector(cfg)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) (io.Closer, error) {
			c, err := conn.Connect(ctx)
			if err != nil {
				return nil, err
			}
			rows, err := c.(driver.QueryerContext).QueryContext(ctx, query, nil)
			if err == nil {
				dest := make([]driver.Value, len(rows.Columns()))
				for rows.Next(dest) == nil {
				}
				err = rows.Close()
			}
			if err != nil {
				_ = c.Close()
				return nil, err
			}
			return c, nil
		}, nil
	}
	return nil, fmt.Errorf("proto: want postgres or mysql, not %q", proto)
}
