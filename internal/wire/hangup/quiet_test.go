//go:build unix

package hangup

import (
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// Quiet tells an idle socket from one with data or a hang-up, and does
// not wait for another goroutine blocked reading the same socket (a
// driver's background reader on an idle pooled connection).
func TestQuiet(t *testing.T) {
	client, server := tcpPair(t)

	if !Quiet(client) {
		t.Fatal("an idle socket is not quiet")
	}

	// A reader blocked on the socket holds its read lock.
	read := make(chan []byte, 1)
	go func() {
		b := make([]byte, 8)
		n, _ := client.Read(b)
		read <- b[:n]
	}()
	time.Sleep(50 * time.Millisecond)
	done := make(chan bool, 1)
	go func() { done <- Quiet(client) }()
	select {
	case q := <-done:
		if !q {
			t.Fatal("an idle socket with a blocked reader is not quiet")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Quiet waited for the blocked reader")
	}
	if _, err := server.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if got := <-read; string(got) != "x" {
		t.Fatalf("the reader got %q", got)
	}

	// Data waiting, then a hang-up: not quiet.
	if _, err := server.Write([]byte("y")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	if Quiet(client) {
		t.Fatal("a socket with data waiting is quiet")
	}
	b := make([]byte, 1)
	if _, err := client.Read(b); err != nil {
		t.Fatal(err)
	}
	server.Close()
	time.Sleep(20 * time.Millisecond)
	if Quiet(client) {
		t.Fatal("a socket the peer closed is quiet")
	}
}

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// bufCounter hands out buffers and counts those not given back.
type bufCounter struct{ out atomic.Int64 }

func (b *bufCounter) get() []byte  { b.out.Add(1); return make([]byte, 64) }
func (b *bufCounter) put(p []byte) { b.out.Add(-1) }

// ReadWhenReadable holds no buffer while it waits, reads what arrives in
// one go, and leaves EOF and deadlines to the reader that follows.
func TestReadWhenReadable(t *testing.T) {
	t.Run("data", func(t *testing.T) {
		client, server := tcpPair(t)
		var bufs bufCounter
		type result struct {
			buf []byte
			n   int
			err error
		}
		done := make(chan result, 1)
		go func() {
			buf, n, err := ReadWhenReadable(server, bufs.get, bufs.put)
			done <- result{buf, n, err}
		}()
		time.Sleep(50 * time.Millisecond)
		if n := bufs.out.Load(); n != 0 {
			t.Fatalf("%d buffers held while waiting", n)
		}
		if _, err := client.Write([]byte("hello")); err != nil {
			t.Fatal(err)
		}
		r := <-done
		if r.err != nil || string(r.buf[:r.n]) != "hello" {
			t.Fatalf("got %q, %v", r.buf[:r.n], r.err)
		}
		if n := bufs.out.Load(); n != 1 {
			t.Fatalf("%d buffers out after a read, want the one returned", n)
		}
	})
	t.Run("eof", func(t *testing.T) {
		client, server := tcpPair(t)
		var bufs bufCounter
		client.Close()
		buf, n, err := ReadWhenReadable(server, bufs.get, bufs.put)
		if buf != nil || n != 0 || err != nil || bufs.out.Load() != 0 {
			t.Fatalf("EOF: got %v %d %v with %d buffers out", buf, n, err, bufs.out.Load())
		}
		var one [1]byte
		if _, err := server.Read(one[:]); err != io.EOF {
			t.Fatalf("the read after it got %v, want EOF", err)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		_, server := tcpPair(t)
		var bufs bufCounter
		time.AfterFunc(50*time.Millisecond, func() { _ = server.SetReadDeadline(time.Now()) })
		buf, n, err := ReadWhenReadable(server, bufs.get, bufs.put)
		if buf != nil || n != 0 || !IsTimeout(err) || bufs.out.Load() != 0 {
			t.Fatalf("deadline: got %v %d %v with %d buffers out", buf, n, err, bufs.out.Load())
		}
	})
}
