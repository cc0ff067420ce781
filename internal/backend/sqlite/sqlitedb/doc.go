// Package sqlitedb serves an embedded SQLite database as a
// backend.Database: Open opens the engine (internal/backend/sqlite) and
// makes its two front ends, which Postgres (pgfront) and MySQL (myfront)
// return. An embedded file has no servers, pools, breakers or passwords,
// so those methods do nothing, and Retire closes at once (the engine does
// not count its sessions; those still on it fail their next statement).
// The app reaches the engine itself through Engine (its *sql.DB for the
// data APIs, the demo's seeding).
package sqlitedb
