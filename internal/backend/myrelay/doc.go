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
// Statements: the relay keeps protocol work only; a statement's life is
// the database's statement pipeline (internal/stmt), opened once per
// session. COM_QUERY starts through it (Session.Start: analysis,
// decision, then limits, so a refused statement takes no rate token) and
// runs the text as the decision left it (row filters); KILL and USE,
// which the gateway answers itself, begin under the limits without a
// decision. COM_STMT_PREPARE is decided on (Session.Check) and
// COM_STMT_EXECUTE begins the prepared text (Session.Begin, which decides
// again if the policy changed since the prepare); so does each
// COM_STMT_FETCH from a cursor, a statement of its own with its rows. A
// statement is marked Acquired (the server's host:port) once its backend
// connection is attached and Responded at the first packet of its answer.
// While
// the answer passes, result rows relayed and OK packets' affected rows are
// counted (rows, forwarded and copied by the cache's recording before the
// next is read, are all read into one buffer of the backend connection),
// each row is held to the result bounds, a backend ERR packet's SQLSTATE
// is noted (Statement.Fail); Statement.Finish does the statistics, audit
// and metrics. The text's one Analysis gives the routing class and the
// session effects (read as the server reads executable comments).
// COM_FIELD_LIST is a metadata check (Gate.CheckTable).
//
// A session's parts: link (link.go) is its hold on a backend connection
// and the session state replayed on whichever it gets; results
// (results.go) relays and masks the server's answers; clientStmts
// (prepared.go) are its prepared statements. All three belong to the
// session's goroutine; the statement-timeout timer and the client
// hang-up watcher only kill the backend query (link.killQuery) and mark
// the client gone.
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
// Result cache (cache.go; docs/PROTOCOLS.md): when the pipeline's cache
// stage offers a statement (Statement.Cache), COM_QUERY and
// COM_STMT_EXECUTE are looked up under a stmt.Variant (text or binary
// protocol, the bound parameters, the database, login and character set,
// or an "untracked" marker once the session ran a SET the relay does not
// follow). A hit is replayed without a backend connection, its end
// packets carrying the session's status flags; a miss records the column
// definitions, rows and warnings the client receives (after masks).
//
// KILL QUERY from another session (or the client hanging up mid-query)
// runs KILL QUERY for the attached connection's thread on a separate
// connection to the server.
//
// While the client is idle between transactions with a backend
// connection attached (session mode, pinned, long data), a watcher
// goroutine waits on that socket without reading it
// (hangup.WaitReadable); a server that closes it or sends anything ends
// the client connection at once (mysqlwire.Conn.Abort), so the client's
// driver reconnects. The watch is stopped before the session goroutine
// uses the connection again. Inside a transaction there is none (it
// would cost a goroutine and two wake-ups per statement): the next
// statement meets the dead connection and fails, as on PostgreSQL.
//
// Backend logins work as in pgrelay: a pool pair per server and login
// (cluster.Logins), COM_RESET_CONNECTION when another gateway user's
// session takes a connection, Retire for a relay a reload replaced, and
// for a login leased from Vault new pools on rotation (rotateLogin) while
// the old ones drain.
//
// Plans (explain.go): the Relay is the insight.Explainer of its database.
// A slow statement's plan is captured on a connection dialled for it as
// the login the user's roles map, read-only and time-bound, with EXPLAIN
// FORMAT=JSON prepared and executed with the values COM_STMT_EXECUTE
// carried (decoded and copied at execute: Statement.SetArgs; only while
// a stage reads them, Session.WantsArgs).
//
// The Relay is the backend.Database of a MySQL database (database.go): it
// serves MySQL clients only, and Apply sets the policy source, LOAD DATA
// LOCAL and routing sessions starting from then on use.
package myrelay
