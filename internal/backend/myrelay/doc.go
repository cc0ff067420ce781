// Package myrelay relays MySQL protocol sessions to a MySQL or MariaDB
// server through a pool of backend connections.
//
// A client session (Serve, on the connection's goroutine) reads one
// command at a time from mysqlwire.Conn, attaches a backend connection if
// it has none, forwards the command and streams the response back packet
// by packet. Responses are not re-encoded except where the two sides speak
// different dialects: backend connections always use CLIENT_DEPRECATE_EOF
// when the server offers it, and EOF packets are added or removed for
// clients that did not ask for it; prepared statement ids are rewritten.
//
// Pool modes: in session mode a session keeps its backend connection until
// it ends. In transaction mode the connection goes back to the pool
// whenever the server's status flags say no transaction is open; state
// that cannot move to another connection (user variables, temporary
// tables, GET_LOCK, LOCK TABLES, session SET, SQL PREPARE, cursors) pins
// the session to its connection. Replayable state follows the session to
// whichever connection it gets: autocommit, the character set (SET NAMES
// or the handshake's collation), the multi-statement option. Prepared
// statements are the client's: the relay keeps their text and bound
// parameter types, prepares them lazily on each backend connection and
// maps statement ids. A connection that carried session state is reset
// with COM_RESET_CONNECTION before it returns to the pool.
//
// Masking (mask.go): column definitions name each column's table and
// column; masked ones are rewritten as strings, and text rows, binary rows
// and cursor fetches have their masked values replaced. A result past the
// result-size limit gets an ERR in place of its next row; the rest of the
// answer is read and dropped.
//
// KILL QUERY from another session (or the client hanging up mid-query)
// runs KILL QUERY for the attached connection's thread on a separate
// connection to the server.
//
// Backend logins work as in pgrelay: a pool pair per server and login
// (cluster.Logins), COM_RESET_CONNECTION when another gateway user's
// session takes a connection, and Retire for a relay a reload replaced.
//
// The Relay is the backend.Database of a MySQL database (database.go): it
// serves MySQL clients only, and Apply sets the policy source, LOAD DATA
// LOCAL and routing sessions starting from then on use.
package myrelay
