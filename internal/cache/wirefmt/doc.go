// Package wirefmt owns the encodings of stored results of the result
// cache (package cache) in the wire protocols' own bytes, shared by the
// PostgreSQL relay and the embedded engine's PostgreSQL front (pg.go),
// and by the MySQL relay and the embedded engine's MySQL front (my.go).
//
// Data flow: a front or relay records what the client received on a
// miss (stmt.Recorder) in the format here; on a hit the cache stage hands
// back the payload, Decode* checks and splits it, and the protocol code
// replays the messages with the session's own state (PostgreSQL's
// ReadyForQuery status; MySQL's status flags, through ReplayMy, which
// both MySQL sides call). The same statement in the
// same variant gives the same bytes whichever side recorded it. The
// package holds no state; it encodes, decodes and (ReplayMy) writes a
// decoded result to a client connection.
package wirefmt
