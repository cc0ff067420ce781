// Package activity keeps what the admin API shows of a live client
// session — when it connected, whether it waits idle inside a
// transaction, the last SQL text it sent — in atomics that the
// connection's own goroutine writes and any goroutine may read. Both
// protocol front ends embed a Tracker in their connections.
package activity
