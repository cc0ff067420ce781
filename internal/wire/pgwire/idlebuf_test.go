package pgwire

import (
	"bytes"
	"net"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

// A connection idle between transactions holds no read buffer, also
// after a message far larger than the buffer; messages that follow (one
// at a time, pipelined, or larger still) arrive whole.
func TestIdleConnectionGivesBackBuffers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cli, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	srv, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	pools := &idlePools{}
	c := newConn(srv, pools)
	c.mr.typed = true
	c.setMaxBodyLen(1 << 20)
	type got struct {
		text  string
		holds int // at the wait before it; -1: no wait
	}
	out := make(chan got, 8)
	holds := -1
	c.idleHook = func(n int) { holds = n }
	go func() {
		defer close(out)
		for {
			holds = -1
			msg, err := c.ReceiveIdle()
			if err != nil {
				return
			}
			q, ok := msg.(*pgproto3.Query)
			if !ok {
				t.Errorf("got %T", msg)
				return
			}
			out <- got{q.String, holds}
			if held := c.holds(); held == 0 {
				t.Errorf("%d-byte query read without a buffer", len(q.String))
			}
		}
	}()
	query := func(s string) []byte {
		b, _ := (&pgproto3.Query{String: s}).Encode(nil)
		return b
	}
	large := "SELECT '" + strings.Repeat("x", 300<<10) + "'"
	for _, tc := range []struct {
		name  string
		send  []byte
		texts []string
	}{
		{"small", query("SELECT 1"), []string{"SELECT 1"}},
		{"large", query(large), []string{large}},
		{"after large", query("SELECT 2"), []string{"SELECT 2"}},
		{"pipelined", append(query("SELECT 3"), query("SELECT 4")...), []string{"SELECT 3", "SELECT 4"}},
	} {
		if _, err := cli.Write(tc.send); err != nil {
			t.Fatal(err)
		}
		for i, want := range tc.texts {
			g := <-out
			if g.text != want {
				t.Fatalf("%s: got a %d-byte text, want %d bytes", tc.name, len(g.text), len(want))
			}
			// The first message of each write was waited for with no
			// buffer held; the second of a pipelined pair was already
			// buffered and needs no wait.
			if wantHolds := map[bool]int{true: 0, false: -1}[i == 0]; g.holds != wantHolds {
				t.Errorf("%s #%d: held %d bytes at the wait, want %d", tc.name, i, g.holds, wantHolds)
			}
		}
	}
	// The client leaves: the waiting connection sees EOF.
	_ = cli.Close()
	if g, ok := <-out; ok {
		t.Errorf("after close: %+v", g)
	}
}

// readBuf reads as bufio.Reader does, and release gives its buffer back
// only once drained.
func TestReadBufRelease(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 2000) // 20000 bytes
	b := &readBuf{src: bytes.NewReader(data), pools: &idlePools{}}
	var got []byte
	p := make([]byte, 3000)
	for {
		n, err := b.Read(p)
		got = append(got, p[:n]...)
		if b.Buffered() > 0 {
			b.release()
			if b.buf == nil {
				t.Fatal("released with bytes buffered")
			}
		}
		if err != nil {
			break
		}
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes, want %d equal", len(got), len(data))
	}
	b.release()
	if b.buf != nil {
		t.Error("drained buffer kept")
	}
}

// A message a connection received stays intact while it is in use, even
// when another connection, idle meanwhile, gave its Backend back and then
// read on: a pooled Backend carries no message of its previous owner.
func TestPooledBackendKeepsOwnersMessage(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	pools := &idlePools{}
	pair := func() (cli net.Conn, c *Conn) {
		cli, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		srv, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cli.Close(); srv.Close() })
		c = newConn(srv, pools)
		c.mr.typed = true
		return cli, c
	}
	query := func(s string) []byte {
		b, _ := (&pgproto3.Query{String: s}).Encode(nil)
		return b
	}
	cliA, a := pair()
	if _, err := cliA.Write(query("SELECT 'a1'")); err != nil {
		t.Fatal(err)
	}
	if _, err := a.ReceiveIdle(); err != nil {
		t.Fatal(err)
	}
	// a waits for its next message, its Backend back in the pools.
	idle := make(chan struct{})
	a.idleHook = func(int) { close(idle) }
	next := make(chan string, 1)
	go func() {
		msg, err := a.ReceiveIdle()
		if err != nil {
			next <- err.Error()
			return
		}
		next <- msg.(*pgproto3.Query).String
	}()
	<-idle
	for i := range 4 { // more connections than the pools may hold back
		cli, b := pair()
		text := "SELECT 'b" + string(rune('0'+i)) + "'"
		if _, err := cli.Write(query(text)); err != nil {
			t.Fatal(err)
		}
		msg, err := b.ReceiveIdle()
		if err != nil {
			t.Fatal(err)
		}
		q := msg.(*pgproto3.Query)
		if i == 0 {
			if _, err := cliA.Write(query("SELECT 'a2'")); err != nil {
				t.Fatal(err)
			}
			if got := <-next; got != "SELECT 'a2'" {
				t.Fatalf("a's next message: %q", got)
			}
		}
		if q.String != text {
			t.Errorf("connection b%d's message changed to %q, want %q", i, q.String, text)
		}
	}
}
