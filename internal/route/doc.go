// Package route decides where a statement runs among a database's
// servers: the read/write split, replica choice and what to do while the
// primary is down. Its functions are pure (no I/O, no clocks of their
// own): the relays pass in the parsed statements, the session's state
// and the topology the health checks last saw, and get back a backend
// and the reason, so every decision is reproducible and golden-tested
// (testdata/decisions.golden; go test -update rewrites it).
//
// Classify marks a statement read-only only when every statement of the
// text is a plain SELECT: no row locks, no SELECT INTO, no writable CTE,
// no function outside a list of side-effect-free built-ins, no
// /* floe:primary */ hint; text that does not parse goes to the primary.
// Decide keeps transactions, pinned sessions and writes on the primary;
// sends reads to a healthy replica within the lag limit (preferring
// replicas with the preferred tags, then balancing round-robin, by weight
// or by fewest statements in flight); keeps a session's reads on the
// primary for the read-your-writes window unless a replica has replayed
// past its write; and, with no healthy primary, fails writes with
// ErrNoPrimary while reads go on on replicas.
package route
