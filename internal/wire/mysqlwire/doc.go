// Package mysqlwire is the MySQL protocol front end: it accepts client
// connections, sends the protocol-10 greeting, switches to TLS when the
// client asks (SSL capability), authenticates the client as a gateway
// user and hands the connection to the Handler of its database.
//
// Codecs: PacketConn frames packets (3-byte length, sequence id, frames of
// 16 MiB - 1 joined on read and split on write, a bound on the joined
// size); Reader and the Append/Parse functions encode and decode OK, ERR,
// EOF, column definitions, handshake packets and COM_STMT_EXECUTE. They
// know nothing of policy, pools or config.
//
// Authentication: the greeting offers caching_sha2_password. A client
// answering with mysql_native_password is checked against SHA1(SHA1(pw))
// when the user has a password; any other plugin, or a user configured
// only with a SCRAM verifier, gets an AuthSwitchRequest to
// caching_sha2_password. Its fast path checks SHA256(SHA256(pw)); when
// nothing is cached or the scramble does not match, full authentication
// takes the cleartext password over TLS or RSA-encrypted with the
// server's key (generated on first use), verifies it against the SCRAM
// verifier and fills the cache. Unknown users fail like wrong passwords,
// with error 1045. Before any of it, Config.Screen may refuse the user
// and database the handshake response names (the gateway's network
// rules) and Config.AllowLogin a locked-out user. Refusal is the ERR
// packet a listener screened at accept (accept.Screen) sends in place of
// the greeting.
//
// Token logins (Config.TokenLogin, set when oidc.wire is on): a user that
// is not a configured gateway user gets, over TLS only, an
// AuthSwitchRequest to mysql_clear_password (or is taken at its word if
// it started with that plugin), and the password is handed to TokenLogin
// as a token; without TLS it is refused with 1045 before the switch. When
// the token expires a timer ends the session like KILL CONNECTION, and
// the client gets error 1927 saying why; with ExpiryAtTransactionEnd it
// ends like Drain, at its next transaction boundary.
//
// Client certificates: after Screen and AllowLogin, the client certificate
// the TLS handshake verified (if any) is passed up (Config.PeerAuth): the
// gateway may log the user in by it alone, let the password (or token)
// check follow, or refuse the login.
//
// Lifecycle of a connection: Serve accepts it and starts one goroutine
// (with recover) that runs the handshake and then Handler.Serve, again
// after each database switch (COM_INIT_DB or USE returns a SwitchError
// from the Handler). The goroutine owns the Conn; other goroutines only
// call the canceller a Handler registered (KILL QUERY from another
// session) and set the killed flag and a read deadline (KILL CONNECTION,
// Drain for sessions idle between transactions). A connection without a
// database can only ping, quit and choose one. Malformed, out-of-order
// or oversized packets end the connection with an ERR packet (1835,
// 1156, 1153); other sessions never see them.
//
// Buffers: a Server's connections take their 16 KiB read and write
// buffers from the server's Buffers pools. A write buffer goes back at
// each Flush; between transactions (ReadCommandIdle) a connection on a
// plain TCP or Unix socket with nothing buffered gives its read buffer
// back and waits for the socket to become readable holding none
// (hangup.ReadWhenReadable: what arrives is read into a buffer taken
// then). TLS connections and PacketConns made with
// NewPacketConn (backend connections, tests) keep their own.
// ReadPacketInto reads a packet into a caller's buffer (a relay reads
// each forwarded row into the last one's), and frame headers are read
// and written without a heap allocation per packet.
//
// Errors: this package only encodes. ErrorOf turns any error that carries
// a SQLSTATE (package sqlerr's Coded: a *sqlerr.Error, a policy denial)
// into an *Error with its own MySQL number or the number sqlerr's table
// gives its SQLSTATE, and that number's SQLSTATE. AppendErr sends only
// server-range numbers: a client-library number (2000–2999) is replaced
// by its server-range counterpart (sqlerr.ServerErrno), since the mysql
// client reads such an ERR packet as malformed.
//
// Concurrency contract for Handlers: Serve is called once per connection
// (per database switch), on that connection's goroutine; every Conn
// method except the canceller's callback runs on that goroutine.
//
// Sessions, CancelQuery and Terminate (the admin API) run on other
// goroutines: a session's listing comes from atomics its own goroutine
// keeps (state, database, the statement the handler noted with
// NoteStatement); Terminate is KILL CONNECTION without the owner check;
// ReadCommandWithin ends a session idle in a transaction with 4031.
package mysqlwire
