//go:build unix

package hangup

import (
	"net"
	"syscall"
)

// Quiet peeks without blocking: an idle backend socket has nothing
// to read. Data (an error the server sent before closing) or EOF means
// the connection is gone. It does not take the socket's read lock
// (RawConn.Control, not Read): a driver may leave a goroutine blocked in
// a read of an idle connection (pgx's background reader after a slow
// write), and the peek must not wait for it.
func Quiet(nc net.Conn) bool {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	quiet := true
	var buf [1]byte
	err = rc.Control(func(fd uintptr) {
		n, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		quiet = n < 0 && (err == syscall.EAGAIN || err == syscall.EWOULDBLOCK)
	})
	return err == nil && quiet
}

// WaitReadable blocks until an idle backend socket has something to read
// (an error the server sent before closing, or EOF), without consuming
// it, and returns nil; a read deadline set on nc from another goroutine
// ends the wait with a timeout error. A socket it cannot wait on returns
// ErrCannotWait at once.
func WaitReadable(nc net.Conn) error {
	if tc, ok := nc.(interface{ NetConn() net.Conn }); ok {
		nc = tc.NetConn() // under TLS: any record that arrives will do
	}
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return ErrCannotWait
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return ErrCannotWait
	}
	var buf [1]byte
	return rc.Read(func(fd uintptr) bool {
		_, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return err != syscall.EAGAIN && err != syscall.EWOULDBLOCK // else wait for readiness
	})
}

// ReadWhenReadable waits, holding no buffer, until a client socket
// between transactions is readable, and then reads once into the buffer
// get gives, which is returned with the byte count; a read that finds
// nothing yet (the socket's readiness raced) gives the buffer back with
// put and waits again. The wait costs what a plain read costs — one read
// that finds nothing, the poller, one read — where waiting and then
// reading would cost a peek more. On EOF or a socket error nothing is
// read (n = 0, the buffer given back): the caller's next read meets the
// same end through the net package. A read deadline set from another
// goroutine ends the wait with a timeout error (n = 0); so does a socket
// it cannot wait on, with ErrCannotWait. An IdleReader does the same for
// a connection that waits often, without allocating per wait.
func ReadWhenReadable(nc net.Conn, get func() []byte, put func([]byte)) (buf []byte, n int, err error) {
	r, err := NewIdleReader(nc, get, put)
	if err != nil {
		return nil, 0, err
	}
	return r.Read()
}

// IdleReader is ReadWhenReadable for one socket, made once.
type IdleReader struct {
	rc       syscall.RawConn
	get      func() []byte
	put      func([]byte)
	buf      []byte
	n        int
	readable func(fd uintptr) bool
}

// NewIdleReader prepares waits on nc (ErrCannotWait: not a socket it can
// wait on).
func NewIdleReader(nc net.Conn, get func() []byte, put func([]byte)) (*IdleReader, error) {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil, ErrCannotWait
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, ErrCannotWait
	}
	r := &IdleReader{rc: rc, get: get, put: put}
	r.readable = r.tryRead
	return r, nil
}

// tryRead is the poller's callback: false sends it back to waiting.
func (r *IdleReader) tryRead(fd uintptr) bool {
	r.buf = r.get()
	var err error
	for {
		r.n, err = syscall.Read(int(fd), r.buf)
		if err != syscall.EINTR {
			break
		}
	}
	if err == syscall.EAGAIN || err == syscall.EWOULDBLOCK {
		r.put(r.buf)
		r.buf, r.n = nil, 0
		return false // wait for readiness
	}
	if r.n <= 0 {
		r.put(r.buf)
		r.buf, r.n = nil, 0
	}
	return true
}

// Read waits as ReadWhenReadable does.
func (r *IdleReader) Read() (buf []byte, n int, err error) {
	err = r.rc.Read(r.readable)
	buf, n = r.buf, r.n
	r.buf, r.n = nil, 0
	if err != nil {
		if buf != nil {
			r.put(buf)
		}
		return nil, 0, err
	}
	return buf, n, nil
}
