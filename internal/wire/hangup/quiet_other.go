//go:build !unix

package hangup

import "net"

// Quiet cannot peek on this platform; the health check on reuse
// (pool.health_check_after) still applies.
func Quiet(net.Conn) bool { return true }

// WaitReadable cannot wait without reading on this platform.
func WaitReadable(net.Conn) error { return ErrCannotWait }

// ReadWhenReadable cannot wait without a buffer on this platform.
func ReadWhenReadable(net.Conn, func() []byte, func([]byte)) ([]byte, int, error) {
	return nil, 0, ErrCannotWait
}

// IdleReader cannot wait without a buffer on this platform.
type IdleReader struct{}

// NewIdleReader cannot wait without a buffer on this platform.
func NewIdleReader(net.Conn, func() []byte, func([]byte)) (*IdleReader, error) {
	return nil, ErrCannotWait
}

// Read is never reached: NewIdleReader fails.
func (*IdleReader) Read() ([]byte, int, error) { return nil, 0, ErrCannotWait }
