package mysqlwire

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/floe-db/floe/internal/sqlerr"
)

// Error numbers the gateway raises itself: the names of package sqlerr,
// whose table gives each its SQLSTATE.
const (
	ErConCount            = sqlerr.ErConCount            // 08004
	ErHandshake           = sqlerr.ErHandshake           // 08S01
	ErDBAccessDenied      = sqlerr.ErDBAccessDenied      // 42000
	ErAccessDenied        = sqlerr.ErAccessDenied        // 28000
	ErNoDB                = sqlerr.ErNoDB                // 3D000
	ErUnknownCom          = sqlerr.ErUnknownCom          // 08S01
	ErBadDB               = sqlerr.ErBadDB               // 42000
	ErServerShutdown      = sqlerr.ErServerShutdown      // 08S01
	ErParse               = sqlerr.ErParse               // 42000
	ErNoSuchThread        = sqlerr.ErNoSuchThread        // HY000
	ErKillDenied          = sqlerr.ErKillDenied          // HY000
	ErUnknown             = sqlerr.ErUnknown             // HY000
	ErNotAllowedCommand   = sqlerr.ErNotAllowedCommand   // 42000
	ErNetReadError        = sqlerr.ErNetReadError        // 08S01
	ErNetPacketTooLarge   = sqlerr.ErNetPacketTooLarge   // 08S01
	ErNetPacketsOutOfOrd  = sqlerr.ErNetPacketsOutOfOrd  // 08S01
	ErNotSupportedYet     = sqlerr.ErNotSupportedYet     // 42000
	ErUnknownStmtHandler  = sqlerr.ErUnknownStmtHandler  // HY000
	ErQueryInterrupted    = sqlerr.ErQueryInterrupted    // 70100
	ErQueryTimeout        = sqlerr.ErQueryTimeout        // HY000 (MySQL's max_execution_time error)
	ErLockOrActiveTrans   = sqlerr.ErLockOrActiveTrans   // HY000
	ErWrongArguments      = sqlerr.ErWrongArguments      // HY000
	ErMalformedPacket     = sqlerr.ErMalformedPacket     // HY000
	ErConnectionKilled    = sqlerr.ErConnectionKilled    // 70100
	ErTooManyConnsForUser = sqlerr.ErTooManyConnsForUser // 42000
	// ErConnectToForeign (ER_CONNECT_TO_FOREIGN_DATA_SOURCE) is what
	// MariaDB sends when a server it relays to cannot be reached: the
	// number for an unreachable backend.
	ErConnectToForeign = sqlerr.ErConnectToForeignDataSource // HY000
	// ErClientInteractionTimeout is MySQL 8's error for a session closed
	// for inactivity.
	ErClientInteractionTimeout = sqlerr.ErClientInteractionTimeout // HY000
)

// Client-side numbers: a server never sends them and AppendErr sends
// their server-range counterpart instead (sqlerr.ServerErrno).
//
// Deprecated: use ErConnectToForeign or ErConnectionKilled.
const (
	ErCantConnect uint16 = 2003 // sent as 1429
	ErServerLost  uint16 = 2013 // sent as 1927
)

// Error is a MySQL error: an errno, a SQLSTATE and a message. Fatal ones
// end the connection after they are sent.
type Error struct {
	Code    uint16
	State   string
	Message string
	Fatal   bool
}

func (e *Error) Error() string {
	return fmt.Sprintf("ERROR %d (%s): %s", e.Code, e.State, e.Message)
}

// SQLState returns the SQLSTATE the error number stands for
// (sqlerr.CodeFor), or the MySQL SQLSTATE for a number the table does not
// name (sqlerr.Coded).
func (e *Error) SQLState() string {
	if c := sqlerr.CodeFor(e.Code); c != "" {
		return c
	}
	return e.State
}

// SQLError is the error in the neutral form (sqlerr.Converter).
func (e *Error) SQLError() *sqlerr.Error {
	return &sqlerr.Error{Code: e.SQLState(), Errno: e.Code, Message: e.Message, Fatal: e.Fatal}
}

// Errorf builds an Error; the SQLSTATE comes from the errno (sqlerr's
// table).
func Errorf(code uint16, format string, args ...any) *Error {
	return &Error{Code: code, State: sqlerr.MySQLState(code), Message: fmt.Sprintf(format, args...)}
}

// ErrorOf is the first error in err's chain that carries a SQLSTATE as
// this package's *Error: itself when it is one; for any other (a
// *sqlerr.Error, a policy denial, a PostgreSQL error) its own MySQL error
// number or else the table's number for its SQLSTATE, with that number's
// SQLSTATE. It is nil when no error in the chain carries a SQLSTATE.
func ErrorOf(err error) *Error {
	if e, ok := errors.AsType[*Error](err); ok {
		return e
	}
	se, ok := sqlerr.As(err)
	if !ok {
		return nil
	}
	n := se.MySQLErrno()
	return &Error{Code: n, State: sqlerr.MySQLState(n), Message: se.Message, Fatal: se.Fatal}
}

// Fatalf builds an Error that ends the connection.
func Fatalf(code uint16, format string, args ...any) *Error {
	e := Errorf(code, format, args...)
	e.Fatal = true
	return e
}

// AppendErr encodes an ERR packet (protocol 41). Only server-range error
// numbers are sent: a client-side number (2000–2999) or 0 is replaced by
// its server-range counterpart with that number's SQLSTATE
// (sqlerr.ServerErrno), since clients read an ERR packet carrying a
// client-side number as a malformed packet.
func AppendErr(b []byte, e *Error) []byte {
	code, st := e.Code, e.State
	if n := sqlerr.ServerErrno(code); n != code {
		code, st = n, sqlerr.MySQLState(n)
	}
	b = append(b, HeaderErr)
	b = binary.LittleEndian.AppendUint16(b, code)
	if len(st) != 5 {
		st = sqlerr.MySQLState(code)
	}
	b = append(b, '#')
	b = append(b, st...)
	return append(b, e.Message...)
}

// ParseErr decodes an ERR packet.
func ParseErr(p []byte) *Error {
	r := NewReader(p)
	r.Byte()
	e := &Error{Code: r.Uint16(), State: "HY000"}
	if r.Len() > 0 && r.b[0] == '#' {
		r.Byte()
		e.State = string(r.Bytes(5))
	}
	e.Message = string(r.Rest())
	if r.Err() != nil {
		return &Error{Code: ErMalformedPacket, State: "HY000", Message: "malformed error packet from the server"}
	}
	return e
}

// Refusal is the ERR packet (sequence 0) sent instead of the handshake
// to a client refused at accept (the network rules), as MySQL answers a
// host it does not allow: without the SQLSTATE marker, since the client
// has not said it speaks protocol 41.
func Refusal(e *Error) []byte {
	body := []byte{HeaderErr}
	body = binary.LittleEndian.AppendUint16(body, sqlerr.ServerErrno(e.Code))
	body = append(body, e.Message...)
	n := len(body)
	return append([]byte{byte(n), byte(n >> 8), byte(n >> 16), 0}, body...)
}
