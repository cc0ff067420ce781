package accept

import (
	"io"
	"net"
	"testing"
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
	})
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
