// Package policy is the gateway's one decision point. Every front end
// (PostgreSQL wire, MySQL wire, and the data APIs) hands it each SQL text
// a client sends — simple queries, every statement of a multi-statement
// string, every Parse and COM_STMT_PREPARE — with who sent it, and gets
// back a Decision: allowed, or denied with a rule id, a message that
// names the table and action, and the error codes of both protocols.
//
// A check runs, in order: input hygiene (size, UTF-8, control bytes),
// parsing with the dialect's real parser (results cached by text),
// grants of the user's roles on the tables, functions and privileged
// statements found, and the SQL firewall (injection findings and, in
// learn/enforce modes, the per-user allow-list of fingerprints). The
// parsed statements travel back in the Decision, so callers need not
// parse again.
//
// A Policy is immutable once built from a config; reload builds a new
// one. The allow-list it learns into is shared across reloads and owns
// one goroutine that writes the file. Audit events and metrics go to
// what New is given; the package has no state of its own.
package policy
