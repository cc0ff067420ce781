// Package wiretest holds helpers for tests of protocol front ends and the
// handlers behind them. Only tests import it.
package wiretest

import (
	"io"
	"net"
	"testing"
	"time"
)

// Feed runs serve on one end of an in-memory pipe, writes in to the other
// end, discards whatever comes back and hangs up; serve must return
// within wait. Fuzz targets use it to drive a connection with arbitrary
// bytes.
func Feed(t testing.TB, in []byte, wait time.Duration, serve func(server net.Conn)) {
	t.Helper()
	client, server := net.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		serve(server)
		_ = server.Close()
	}()
	go func() { _, _ = io.Copy(io.Discard, client) }()
	_ = client.SetWriteDeadline(time.Now().Add(2 * time.Second))
	_, _ = client.Write(in)
	_ = client.Close()
	select {
	case <-done:
	case <-time.After(wait):
		t.Fatal("connection did not end")
	}
}
