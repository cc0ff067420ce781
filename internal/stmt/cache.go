package stmt

import "context"

// Cached is what a result-cache stage offers the protocol code for one
// statement (Statement.Cache): a stored result to serve, or a recorder
// to fill one while the statement runs. The stage decides what may be
// cached; the protocol code only encodes and replays its own bytes.
type Cached interface {
	// Hit returns the stored result of the statement in variant v, or
	// false (a miss or a bypass: run the statement). A concurrent
	// identical miss may make it wait for that run to finish.
	Hit(ctx context.Context, v Variant) (Result, bool)
	// Record returns a recorder for the result of this run in variant v
	// (nil: this run must not fill the cache).
	Record(v Variant) Recorder
	// Verdict is what happened: hit, miss or bypass, and why.
	Verdict() (status, reason string)
}

// Variant is what, beyond the statement's text and the user's policy
// view (which the stage sees), changes the bytes of a result: the
// protocol's encoding, the parameter values and the session settings
// that affect output. The protocol code fills it.
type Variant struct {
	// Format names the encoding (e.g. "pg/text", "mysql/binary",
	// "arrow"), with the result formats asked for.
	Format string
	// Params are the parameter values (and their formats), encoded by
	// the protocol.
	Params []byte
	// Settings are the session settings that change the output
	// (search_path, TimeZone, character set, sql_mode, …).
	Settings string
}

// Result is a stored result: the protocol's own bytes and its rows.
type Result struct {
	Payload []byte
	Rows    int64
}

// Recorder collects a result as it passes to the client.
type Recorder interface {
	// Write appends the protocol's bytes; false when the result grew
	// past the cache's bound (recording stopped, nothing is filled).
	Write(p []byte) bool
	// Complete says the result was whole and error-free with rows rows;
	// the entry is filled when the statement finishes ok.
	Complete(rows int64)
}

// SetCache offers the statement's result cache (a stage's Begin).
func (st *Statement) SetCache(c Cached) {
	if st != nil {
		st.cache = c
	}
}

// Cache is the statement's result cache (nil: none applies; run it).
func (st *Statement) Cache() Cached {
	if st == nil {
		return nil
	}
	return st.cache
}
