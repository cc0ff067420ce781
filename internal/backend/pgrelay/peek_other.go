//go:build !unix

package pgrelay

import "net"

// socketQuiet cannot peek on this platform; the health check on reuse
// (pool.health_check_after) still applies.
func socketQuiet(net.Conn) bool { return true }
