// Package store keeps the users and roles that several gateway instances
// share and that the admin API edits: one JSON document with a version,
// in PostgreSQL (a floe schema: the document in floe.state, changes
// announced with NOTIFY floe_changes) or in Redis (a key and a version
// key, changes announced on a pub/sub channel; the version key is also
// read four times a second, which proves the server is there and catches
// what the channel lost while go-redis resubscribed).
//
// Update applies a change atomically (a row lock in PostgreSQL, an
// optimistic WATCH/MULTI transaction in Redis), bumps the version and
// announces it. Watch runs on a goroutine of its own: it calls onChange
// after every announcement and once more whenever it reconnects (a change
// may have been missed), and reports the store's reachability through
// onState; it retries with backoff until its context ends. Secrets never
// enter the store: users carry SCRAM verifiers only.
package store
