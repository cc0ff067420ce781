// Package activity keeps what the admin API shows of a live client
// session — when it connected, whether it waits idle inside a
// transaction, the last SQL text it sent — in atomics that the
// connection's own goroutine writes and any goroutine may read. Both
// protocol front ends embed a Tracker in their connections, and log a
// session's lines through a Log, which keeps its attributes as values
// rather than a preformatted handler per session.
package activity
