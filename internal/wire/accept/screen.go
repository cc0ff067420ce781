package accept

import (
	"io"
	"net"
	"time"
)

// Bounds of a refusal: how many refused connections may linger at once
// (past that they are closed without a word), how long one lingers and
// how much of what the client sent meanwhile is read and dropped.
const (
	maxRefusing    = 64
	refuseLinger   = 2 * time.Second
	refuseMaxBytes = 16 << 10
)

// Screen wraps ln so that Accept returns only the connections check
// passes: check is called with each accepted connection before the
// server sees it (no handshake, no TLS, nothing read). A refused one is
// sent the bytes check returns (nil: nothing) on a goroutine of its own,
// then closed: its write side is shut, what the client still sends is
// read and dropped until it closes too or refuseLinger passes, so that
// the client reads the refusal rather than a connection reset. At most
// maxRefusing refusals linger at once; the rest are closed at once.
//
// clientFirst is for protocols whose client speaks first and whose
// clients treat an answer that comes before their request as a broken
// connection (HTTP/1.1: Go's client, curl): the refusal waits for the
// client's first bytes (at most refuseLinger) before it is sent.
func Screen(ln net.Listener, check func(net.Conn) (refusal []byte, ok bool), clientFirst bool) net.Listener {
	return &screened{Listener: ln, check: check, clientFirst: clientFirst, slots: make(chan struct{}, maxRefusing)}
}

type screened struct {
	net.Listener
	check       func(net.Conn) ([]byte, bool)
	clientFirst bool
	slots       chan struct{}
}

func (s *screened) Accept() (net.Conn, error) {
	for {
		nc, err := s.Listener.Accept()
		if err != nil {
			return nil, err
		}
		refusal, ok := s.check(nc)
		if ok {
			return nc, nil
		}
		select {
		case s.slots <- struct{}{}:
			go func() {
				defer func() { <-s.slots }()
				refuse(nc, refusal, s.clientFirst)
			}()
		default:
			_ = nc.Close()
		}
	}
}

// refuse sends b (after the client's first bytes when clientFirst),
// shuts the write side and drains what the client sends for a bounded
// time before closing.
func refuse(nc net.Conn, b []byte, clientFirst bool) {
	defer nc.Close()
	if len(b) == 0 {
		return
	}
	_ = nc.SetDeadline(time.Now().Add(refuseLinger))
	if clientFirst {
		var first [512]byte
		if _, err := nc.Read(first[:]); err != nil {
			return
		}
	}
	if _, err := nc.Write(b); err != nil {
		return
	}
	if cw, ok := nc.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(nc, refuseMaxBytes))
}
