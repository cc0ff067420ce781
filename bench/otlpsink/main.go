// Command otlpsink is an OTLP/gRPC trace receiver for benchmarks: it
// accepts every export, counts the spans, and prints the count when it
// is stopped (SIGTERM or SIGINT).
//
//	go run ./bench/otlpsink -listen 127.0.0.1:14317
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
)

type sink struct {
	coltracepb.UnimplementedTraceServiceServer
	spans atomic.Int64
}

func (s *sink) Export(_ context.Context, m *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	for _, rs := range m.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			s.spans.Add(int64(len(ss.GetSpans())))
		}
	}
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

func main() {
	listen := flag.String("listen", "127.0.0.1:14317", "address to accept OTLP/gRPC on")
	flag.Parse()
	l, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	s := &sink{}
	gs := grpc.NewServer()
	coltracepb.RegisterTraceServiceServer(gs, s)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sigs
		gs.Stop()
	}()
	_ = gs.Serve(l)
	fmt.Printf("spans received: %d\n", s.spans.Load())
}
