// Package pgwire is the PostgreSQL protocol front end: it accepts client
// connections, negotiates SSL/GSSAPI encryption, answers CancelRequests,
// authenticates the client as a gateway user (SCRAM-SHA-256 or md5), and
// then hands the connection to the Handler for its database. Client
// certificates: the TLS handshake (tls.Config from the gateway, package
// tlsauth) verifies them; after the startup message this package only
// passes the verified certificate up (Config.PeerAuth), which answers
// "certificate alone", "password exchange follows" or a refusal.
//
// Token logins (Config.TokenLogin, set when oidc.wire is on): a startup
// user that is not a configured gateway user is asked for a cleartext
// password only over TLS — on a plain connection it is refused with
// 28000 before any authentication request — and the password is handed
// to TokenLogin as a token. The session's Conn carries the token's
// expiry; a timer then ends the session like Terminate (with its own
// FATAL 28000 message), or with ExpiryAtTransactionEnd like Drain, at
// its next transaction boundary.
//
// Messages are decoded with pgproto3 (typed codecs that know nothing of
// policy); this package adds the gateway's rules around them: size caps,
// the order of startup, error translation to ErrorResponse with SQLSTATE.
//
// Errors: this package only encodes. ErrorOf and ErrorResponse take any
// error that carries a SQLSTATE (package sqlerr's Coded: a *sqlerr.Error,
// a policy denial, this package's *Error, a backend's *pgconn.PgError);
// anything else is sent as a generic internal error. The Code* constants
// are sqlerr's codes under their older names.
//
// Lifecycle of a connection: Serve accepts it and starts one goroutine
// (with recover) that runs startup → Config.Screen (the gateway's
// network rules on the user and database the startup message names) →
// Config.AllowLogin → authentication → Handler.Serve. Refusal is the
// FATAL ErrorResponse a listener screened at accept (accept.Screen)
// sends before reading anything. The
// goroutine owns the Conn; nothing else reads from or writes to the client
// socket, except that a CancelRequest arriving on another connection calls
// the canceller the Handler registered with Conn.SetCanceller, and Drain
// wakes connections idle between transactions so they end with 57P01.
// Each connection's context derives from the server's; Shutdown cancels it
// after the drain timeout.
//
// Memory of an idle connection: between transactions (ReceiveIdle) a
// connection on a plain TCP or Unix socket with nothing buffered gives
// its socket read buffer and its pgproto3 Backend back to the Server's
// pools and waits for the socket to become readable holding neither
// (hangup.ReadWhenReadable, which reads what arrived into a buffer taken
// then, so the wait costs no syscall more than a read); it takes the
// Backend back when the client sends. The
// Backend is only read from: Send and Flush encode into the connection's
// own write buffer, so a relay goroutine sending notifications while the
// session waits never touches a pooled Backend. TLS connections keep
// their buffers.
//
// The concurrency contract for Handlers: Serve is called once per
// connection, on that connection's goroutine; every Conn method except
// SetCanceller's callback runs on that goroutine.
//
// Sessions, CancelQuery and Terminate (the admin API) run on other
// goroutines: a session's listing comes from atomics its own goroutine
// keeps (state, the last Query or Parse text), a cancel is the
// CancelRequest path, and Terminate marks the session, cancels what it
// runs and closes the socket's read side, so the session ends with
// FATAL 57P01 at its next read, like pg_terminate_backend.
package pgwire
