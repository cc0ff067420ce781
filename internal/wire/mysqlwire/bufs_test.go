package mysqlwire

import (
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"testing/iotest"
)

// A connection waiting for its next command holds no buffer, also after a
// command and a reply far larger than the buffers; commands that follow
// (one at a time or pipelined) arrive whole.
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

	c := newConn(srv, &Buffers{})
	type got struct {
		cmd   string
		holds int // at the wait before it; -1: no wait
	}
	out := make(chan got, 8)
	holds := -1
	c.idleHook = func(n int) { holds = n }
	go func() {
		defer close(out)
		for {
			holds = -1
			p, err := c.ReadCommandIdle()
			if err != nil {
				return
			}
			out <- got{string(p), holds}
			// The reply echoes the command: a large one fills the
			// write buffer several times.
			if err := c.pc.WritePacket(p); err != nil {
				t.Error(err)
				return
			}
			if err := c.pc.Flush(); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	client := NewPacketConn(cli)
	command := func(s string) []byte {
		return append([]byte{byte(len(s)), byte(len(s) >> 8), byte(len(s) >> 16), 0}, s...)
	}
	large := "\x03SELECT '" + strings.Repeat("x", 100<<10) + "'"
	for _, tc := range []struct {
		name string
		send []byte
		cmds []string
	}{
		{"small", command("\x03SELECT 1"), []string{"\x03SELECT 1"}},
		{"large", command(large), []string{large}},
		{"after large", command("\x03SELECT 2"), []string{"\x03SELECT 2"}},
		{"pipelined", append(command("\x03SELECT 3"), command("\x03SELECT 4")...), []string{"\x03SELECT 3", "\x03SELECT 4"}},
	} {
		if _, err := cli.Write(tc.send); err != nil {
			t.Fatal(err)
		}
		for i, want := range tc.cmds {
			g := <-out
			if g.cmd != want {
				t.Fatalf("%s: got a %d-byte command, want %d bytes", tc.name, len(g.cmd), len(want))
			}
			if wantHolds := map[bool]int{true: 0, false: -1}[i == 0]; g.holds != wantHolds {
				t.Errorf("%s #%d: held %d bytes at the wait, want %d", tc.name, i, g.holds, wantHolds)
			}
			client.SetSeq(1) // the reply follows the command's sequence id 0
			echo, err := client.ReadPacket()
			if err != nil || string(echo) != want {
				t.Fatalf("%s: reply of %d bytes (%v), want %d", tc.name, len(echo), err, len(want))
			}
		}
	}
	_ = cli.Close()
	if g, ok := <-out; ok {
		t.Errorf("after close: %+v", g)
	}
}

// bufReader's Read, Peek and Discard read the stream in order, and
// release gives the buffer back only once drained.
func TestBufReader(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 5000) // 50000 bytes
	b := &bufReader{src: bytes.NewReader(data), bufs: &Buffers{}}
	var got []byte
	if p, err := b.Peek(5); err != nil || string(p) != "01234" {
		t.Fatalf("Peek: %q %v", p, err)
	}
	if n, err := b.Discard(20003); n != 20003 || err != nil {
		t.Fatalf("Discard: %d %v", n, err)
	}
	got = append(got, data[:20003]...)
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
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes, want %d equal", len(got), len(data))
	}
	b.release()
	if b.buf != nil {
		t.Error("drained buffer kept")
	}
	if _, err := b.Peek(1); err != nil && err != io.EOF {
		t.Errorf("Peek at EOF: %v", err)
	}
}

// readHeader reads as io.ReadFull does: a byte at a time, from data
// already buffered, EOF before a header, ErrUnexpectedEOF inside one.
func TestReadHeader(t *testing.T) {
	for _, c := range []struct {
		in   string
		src  func(io.Reader) io.Reader
		want []string // headers, then the error
	}{
		{"abcdefgh", nil, []string{"abcd", "efgh", "EOF"}},
		{"abcdefgh", iotest.OneByteReader, []string{"abcd", "efgh", "EOF"}},
		{"abcdef", iotest.HalfReader, []string{"abcd", "unexpected EOF"}},
		{"", nil, []string{"EOF"}},
		{"abcdefgh", iotest.DataErrReader, []string{"abcd", "efgh", "EOF"}},
		{"abc", iotest.TimeoutReader, []string{"timeout"}},
	} {
		var src io.Reader = strings.NewReader(c.in)
		if c.src != nil {
			src = c.src(src)
		}
		b := &bufReader{src: src}
		var got []string
		for {
			h, err := b.readHeader()
			if err != nil {
				got = append(got, err.Error())
				break
			}
			got = append(got, string(h[:]))
		}
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("%q: %q, want %q", c.in, got, c.want)
		}
	}
}
