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
