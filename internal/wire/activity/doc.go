// Package activity keeps what the admin API shows of a live client
// session — when it connected, whether it waits idle inside a
// transaction, the last SQL text it sent — in atomics that the
// connection's own goroutine writes and any goroutine may read. Both
// protocol front ends embed a Tracker in their connections. The
// PostgreSQL front end records the transaction status of every
// ReadyForQuery it sends (idle, in a transaction, in a failed one) and
// clears it when the client's next message arrives; the MySQL front end
// marks the reads of a command inside a transaction.
// Sessions log their lines through a Log, which keeps its attributes as
// values rather than a preformatted handler per session.
package activity
