package hangup

import (
	"errors"
	"net"
	"os"
	"sync"
	"time"
)

// Reader is a client socket's read side. It is used by one goroutine at a
// time: the connection's, or the watcher between Watch and its stop.
type Reader struct {
	conn    net.Conn
	pending []byte
	err     error
	sw      *watch // the Sweeper's watch of this reader, reused
	// N counts bytes read.
	N int64
}

// NewReader reads from conn.
func NewReader(conn net.Conn) *Reader { return &Reader{conn: conn} }

// Read implements io.Reader.
func (r *Reader) Read(p []byte) (int, error) {
	if len(r.pending) > 0 {
		n := copy(p, r.pending)
		r.pending = r.pending[n:]
		r.N += int64(n)
		return n, nil
	}
	if r.err != nil {
		return 0, r.err
	}
	n, err := r.conn.Read(p)
	r.N += int64(n)
	return n, err
}

// Pending reports a byte kept from a watch's read-ahead, or the error it
// met: the next Read returns at once.
func (r *Reader) Pending() bool { return len(r.pending) > 0 || r.err != nil }

// IsTimeout reports a read interrupted by a deadline.
func IsTimeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }

// Watch calls onClose (on another goroutine) if the client hangs up while
// the caller is not reading. Watching starts after delay so that short
// statements cost nothing; the returned stop ends it and must be called
// before the next Read.
func (r *Reader) Watch(delay time.Duration, onClose func()) (stop func()) {
	var (
		mu      sync.Mutex
		stopped bool
		wg      sync.WaitGroup
	)
	wg.Add(1)
	t := time.AfterFunc(delay, func() {
		defer wg.Done()
		mu.Lock()
		if stopped {
			mu.Unlock()
			return
		}
		mu.Unlock()
		var b [1]byte
		n, err := r.conn.Read(b[:])
		if n > 0 {
			r.pending = append(r.pending, b[:n]...)
			return
		}
		if err != nil && !IsTimeout(err) {
			r.err = err
			onClose()
		}
	})
	var once sync.Once
	return func() {
		once.Do(func() {
			if t.Stop() {
				wg.Done() // never started
				return
			}
			mu.Lock()
			stopped = true
			mu.Unlock()
			_ = r.conn.SetReadDeadline(time.Now())
			wg.Wait()
			_ = r.conn.SetReadDeadline(time.Time{})
		})
	}
}

// CloseRead ends the read side of a client socket (TCP, or TCP under
// TLS): a read in progress, or the next one, returns at once, while the
// write side stays open for a last error message. Other connections get
// a read deadline in the past instead.
func CloseRead(c net.Conn) {
	nc := c
	if tc, ok := c.(interface{ NetConn() net.Conn }); ok {
		nc = tc.NetConn()
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.CloseRead()
		return
	}
	_ = c.SetReadDeadline(time.Now())
}

// ErrCannotWait is WaitReadable's answer for a socket it cannot watch.
var ErrCannotWait = errors.New("cannot wait on this connection")
