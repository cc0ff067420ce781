//go:build unix

package hangup

import (
	"net"
	"testing"
	"time"
)

// Quiet tells an idle socket from one with data or a hang-up, and does
// not wait for another goroutine blocked reading the same socket (a
// driver's background reader on an idle pooled connection).
func TestQuiet(t *testing.T) {
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
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server := <-accepted

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
