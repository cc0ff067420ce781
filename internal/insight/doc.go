// Package insight owns the slow-statement log: which statements were
// slow, how their time split, and the plans of their shapes.
//
// Data flow. A Book holds one Log per logical database for the gateway's
// life (a reload resizes a Log, never empties it). For each database
// whose configuration sets a slow threshold, the gateway builds a Stage
// (NewStage) over that database's Log and hands it to the database's
// statement pipeline (backend.Settings.Stages), so every path — the
// PostgreSQL and MySQL relays, the embedded engine, the data APIs — runs
// it. Stage.End sees each statement's stmt.Outcome; one that took the
// threshold or longer becomes a Record: the text masked (sqltext.Mask,
// MaskMySQL: literals are never kept), its shape, the duration and its
// split (policy, pool wait, backend, streaming), rows, user, client,
// backend server, status and SQLSTATE. The Log keeps the newest Keep
// records in a ring.
//
// Plans. When plans are on, the Stage asks for the plan of a slow
// statement when (1) its analysis reads as one plain SELECT that writes
// nothing (no SELECT INTO, no row locks, no function that might write:
// route.Classify's reading, with the sleep functions allowed) and (2) its
// shape has had no plan captured within the plan interval (a per-shape
// limiter in the Log). The capture runs on a goroutine of its own —
// at most two per Log at a time, the rest are skipped as busy — with a
// time bound, through the database's Explainer: the relay opens a
// connection of its own (never the client's) as the backend login the
// statement's user runs as (identity logins), read-only, with a
// statement timeout, and runs EXPLAIN (FORMAT JSON) (PostgreSQL, with
// the statement's parameter values from stmt.Statement.Args) or EXPLAIN
// FORMAT=JSON (MySQL/MariaDB) — never ANALYZE, so the statement is never
// run. The parameter values go to the EXPLAIN only and are dropped with
// it. The plan (raw JSON and a tree of nodes: ParsePlan) or the error is
// set on the record afterwards.
//
// Concurrency: a Log and a Stage are safe for concurrent use; the
// record's fields are copied out under the Log's lock (List). Book.Close
// cancels captures under way.
package insight
