// Command arrowbench exports a query's result as Arrow one of three ways
// and prints rows, seconds and its own peak RSS, for bench/arrow.sh:
//
//	arrowbench lib DSN SQL                       arrowsql → Arrow IPC stream (discarded)
//	arrowbench http URL USER PASSWORD DB SQL     POST /v1/query?format=arrow, read with the IPC reader
//	arrowbench flight ADDR USER PASSWORD DB SQL  Flight SQL statement, read with arrow-go's client
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/floe-db/floe/arrowsql"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: arrowbench lib|http|flight …")
		os.Exit(2)
	}
	start := time.Now()
	var rows int64
	var err error
	a := os.Args[2:]
	switch os.Args[1] {
	case "lib":
		rows, err = viaLibrary(a[0], a[1])
	case "http":
		rows, err = viaHTTP(a[0], a[1], a[2], a[3], a[4])
	case "flight":
		rows, err = viaFlight(a[0], a[1], a[2], a[3], a[4])
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "arrowbench:", err)
		os.Exit(1)
	}
	fmt.Printf("rows=%d seconds=%.3f rss_kb=%d\n", rows, time.Since(start).Seconds(), peakRSS())
}

// peakRSS is this process's peak resident set (VmHWM) in kB.
func peakRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(v), " kB"), &kb)
			return kb
		}
	}
	return 0
}

func viaLibrary(dsn, q string) (int64, error) {
	ctx := context.Background()
	conn, err := arrowsql.ConnectPostgres(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	r, err := arrowsql.QueryPostgres(ctx, conn, q, nil, arrowsql.Options{}, nil)
	if err != nil {
		return 0, err
	}
	defer r.Release()
	w := ipc.NewWriter(io.Discard, ipc.WithSchema(r.Schema()))
	for r.Next() {
		if err := w.Write(r.RecordBatch()); err != nil {
			return 0, err
		}
	}
	if err := r.Err(); err != nil {
		return 0, err
	}
	return r.Rows(), w.Close()
}

func viaHTTP(url, user, pw, db, q string) (int64, error) {
	body, _ := json.Marshal(map[string]string{"database": db, "sql": q})
	req, err := http.NewRequest("POST", url+"/v1/query?format=arrow", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(user, pw)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		return 0, fmt.Errorf("%s: %s", resp.Status, b)
	}
	r, err := ipc.NewReader(resp.Body)
	if err != nil {
		return 0, err
	}
	defer r.Release()
	var rows int64
	for r.Next() {
		rows += r.RecordBatch().NumRows()
	}
	if err := r.Err(); err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	if s := resp.Trailer.Get("Floe-Status"); s != "ok" {
		return 0, fmt.Errorf("result cut short: %s", resp.Trailer.Get("Floe-Error"))
	}
	return rows, nil
}

func viaFlight(addr, user, pw, db, q string) (int64, error) {
	cl, err := flightsql.NewClient(addr, nil, nil, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)))
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	ctx, err := cl.Client.AuthenticateBasicToken(context.Background(), user, pw)
	if err != nil {
		return 0, err
	}
	ctx = metadata.AppendToOutgoingContext(ctx, "x-floe-database", db)
	info, err := cl.Execute(ctx, q)
	if err != nil {
		return 0, err
	}
	var rows int64
	for _, ep := range info.Endpoint {
		r, err := cl.DoGet(ctx, ep.Ticket)
		if err != nil {
			return 0, err
		}
		for r.Next() {
			rows += r.RecordBatch().NumRows()
		}
		err = r.Err()
		r.Release()
		if err != nil {
			return 0, err
		}
	}
	return rows, nil
}
