// Package policy is the gateway's one decision point. Every front end
// (PostgreSQL wire, MySQL wire, and the data APIs) hands it each SQL text
// a client sends — simple queries, every statement of a multi-statement
// string, every Parse and COM_STMT_PREPARE — with who sent it, and gets
// back a Decision: allowed (maybe with a rewritten text that carries the
// role's row filters), or denied with a rule id, a message that names the
// table and action, and the error codes of both protocols (a SQLSTATE and
// a MySQL error number). A Denial is a sqlerr.Coded error: the wire
// packages encode it (pgwire.ErrorOf, mysqlwire.ErrorOf); this package
// imports neither.
//
// A check runs, in order: input hygiene (size, UTF-8, control bytes),
// the text's reading from its one analysis (internal/analysis: parsed
// with the dialect's real parser once per text, shared by texts that
// differ only in simple literals; the firewall's findings are kept with
// it in analysis.SlotPolicy, so every path reads a text once), the
// one-reading check (settings.go: settings that change how the server
// reads text are pinned, ambiguous text and SQL the parser cannot see are
// refused; a MySQL stored program the parser cannot read runs only with
// ddl on the database and an identity login behind the session
// (Request.Backed, storedprograms.go)), grants of the
// user's roles on the tables, columns, functions and privileged
// statements found, row filters, the side-channel check (restricted
// sessions may not read other sessions, server configuration, credentials
// or planner statistics, and their catalogue listings are cut to their
// own database; exposure.go, filterscope.go), the masking check
// (statements that would compute on, filter on or move masked columns are
// refused), and the SQL firewall (structural
// injection findings, libinjection on literals and, in learn/enforce
// modes, the per-user allow-list of fingerprints).
//
// The grant check and the side-channel review of a parse are remembered
// with the parse (grantmemo.go): they read only the statements and the
// session's roles, database, default schema and dialect, so a text of a
// known shape from a session like one both allowed before is allowed
// without matching the rules again. Statements that EXECUTE a prepared
// statement by name (which also read the session's prepared names) and
// catalogue listings the review cuts to the database (a rewrite of each
// text) are always checked; denials are not remembered.
//
// Masking itself happens where rows are: a Gate's Masks say, for the
// session's user and database, how each table column is masked; the
// relays and engines look up the columns a result comes from (as the
// server reports them) and apply each Mask to the values.
//
// Limits are applied around execution rather than at the check: Connect
// and OpenConnection at the handshake, a Gate's Begin when a statement
// starts to run (rate, concurrency, statement timeout), Run.Row as its
// result streams (result rows and bytes) and Run.Done when it ends, which
// also writes the outcome to the audit log; LoginAllowed and LoginResult
// throttle failed logins.
//
// Network rules (network.go) decide on the client's address and, as
// they become known, its user, configured roles, database and protocol:
// ScreenNetwork at accept, at login (before the password), at connect,
// and Check at every statement, so a reload reaches open sessions. A
// stage decides only when what is still unknown cannot change the
// outcome; each refusal is counted, logged, audited ("network") and kept
// with the recent denials.
//
// A Policy is immutable once built from a config; reload builds a new
// one. What must outlive it is passed in: the allow-list (one goroutine
// writes its file), the limit Counters, the audit sink, metrics and the
// logger. The package has no state of its own.
package policy
