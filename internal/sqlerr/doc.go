// Package sqlerr is the gateway's one error vocabulary, independent of any
// protocol.
//
// It owns three things:
//
//   - Named SQLSTATE codes (codes.go): every code the gateway raises
//     itself, under PostgreSQL's condition names. Code outside the wire
//     packages names a code with these constants, never with a literal.
//   - The neutral error type Error: a SQLSTATE, an optional MySQL error
//     number, a message safe to show the client, detail, hint, and whether
//     the session ends after it. New and Fatal build one; Code and As read
//     the SQLSTATE of any error in a chain (errors.As) that answers Coded:
//     *Error, the wire packages' errors, the policy's denials and the
//     PostgreSQL driver's errors all do.
//   - The one SQLSTATE↔MySQL table (table.go): the MySQL error number an
//     error without one is sent with (ErrnoFor), the MySQL SQLSTATE of a
//     MySQL error number (MySQLState), and the SQLSTATE a MySQL error
//     number stands for (CodeFor), so that errors of MySQL backends are
//     classified like those of PostgreSQL ones.
//
// Data flow: policy, engines, relays and the data APIs return *Error (or
// their own Coded errors); each protocol encodes them once at its edge.
// pgwire sends the SQLSTATE in an ErrorResponse; mysqlwire sends the
// error number from the table in an ERR packet; the data APIs turn the
// class into an HTTP status (and Flight SQL a gRPC code).
//
// Backend failures look alike on every protocol: SQLSTATE 08006
// (connection failure) or 57P01/57P03 (shutdown) on PostgreSQL, the
// server-range MySQL numbers 1927 (ER_CONNECTION_KILLED, a connection lost
// mid-statement), 1429 (ER_CONNECT_TO_FOREIGN_DATA_SOURCE, a backend that
// cannot be reached) or 1053 (ER_SERVER_SHUTDOWN), HTTP 503 "unavailable",
// gRPC Unavailable. MySQL client-side numbers (2000–2999, such as 2003 or
// 2013) are never sent: the mysql command-line client reads an ERR packet
// carrying one as a malformed packet. ServerErrno maps any that slip
// through to their server-range counterpart. Messages of these errors name
// the database as the client knows it, never a backend host, user or
// database name.
//
// The package has no state; its tables are read-only.
package sqlerr
