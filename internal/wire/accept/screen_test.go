package accept

import (
	"io"
	"net"
	"testing"
	"time"
)

// TestScreen: a refused client reads the refusal even when it wrote
// first (no reset), and never reaches the server; an admitted one does.
func TestScreen(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := map[string]bool{"127.0.0.2": true}
	sl := Screen(ln, func(nc net.Conn) ([]byte, bool) {
		host, _, _ := net.SplitHostPort(nc.RemoteAddr().String())
		if refused[host] {
			return []byte("go away\n"), false
		}
		return nil, true
	}, false)
	defer sl.Close()
	got := make(chan string, 4)
	go func() {
		for {
			nc, err := sl.Accept()
			if err != nil {
				return
			}
			host, _, _ := net.SplitHostPort(nc.RemoteAddr().String())
			got <- host
			_, _ = nc.Write([]byte("hello\n"))
			_, _ = io.Copy(io.Discard, nc)
			nc.Close()
		}
	}()
	dial := func(from string) string {
		t.Helper()
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
		c, err := d.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		// The client speaks first, as a PostgreSQL client does.
		if _, err := c.Write(make([]byte, 512)); err != nil {
			t.Fatal(err)
		}
		if cw, ok := c.(*net.TCPConn); ok {
			_ = cw.CloseWrite()
		}
		b, err := io.ReadAll(c)
		if err != nil {
			t.Fatalf("from %s: %v (read %q)", from, err, b)
		}
		return string(b)
	}
	if b := dial("127.0.0.2"); b != "go away\n" {
		t.Fatalf("refused client read %q", b)
	}
	if b := dial("127.0.0.1"); b != "hello\n" {
		t.Fatalf("admitted client read %q", b)
	}
	if h := <-got; h != "127.0.0.1" {
		t.Fatalf("server saw %s", h)
	}
	select {
	case h := <-got:
		t.Fatalf("server saw a second client %s", h)
	default:
	}
}

// TestScreenClientFirst: with clientFirst the refusal is sent only after
// the client's first bytes, so an HTTP client reads it as the answer to
// its request; a client that never speaks is closed after the linger
// without a word.
func TestScreenClientFirst(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sl := Screen(ln, func(net.Conn) ([]byte, bool) { return []byte("refused\n"), false }, true)
	defer sl.Close()
	go func() {
		for {
			if _, err := sl.Accept(); err != nil {
				return
			}
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Nothing comes before the client speaks.
	_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	var b [16]byte
	if n, err := c.Read(b[:]); n != 0 || err == nil {
		t.Fatalf("read %q before speaking (%v)", b[:n], err)
	}
	_ = c.SetReadDeadline(time.Time{})
	if _, err := c.Write([]byte("GET / HTTP/1.1\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(c)
	if err != nil || string(got) != "refused\n" {
		t.Fatalf("read %q, %v", got, err)
	}
}
