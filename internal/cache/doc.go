// Package cache owns the result cache: which statements may be served
// from a stored result, the store itself, and its invalidation. One
// Cache serves one logical database and is a stage of its statement
// pipeline (internal/stmt), so every path — the PostgreSQL and MySQL
// relays, HTTP and Flight SQL — uses the same decisions and counters.
//
// Data flow, per statement:
//
//	Stage.Begin   follows the session (BEGIN/COMMIT/ROLLBACK, MySQL
//	              autocommit and implicit commits, temporary tables, the
//	              tables each statement writes); invalidates the tables a
//	              write names before it runs; decides whether the
//	              statement may use the cache (Explain, then the
//	              session's state: a transaction that wrote, a temporary
//	              table, read-your-writes, rules, the change feed) and
//	              offers it Statement.SetCache (a handle that is always
//	              set, so the verdict is known on every path); takes the
//	              versions of the tables it reads.
//	Cached.Hit    the protocol code asks with its Variant (format,
//	              parameters, settings — written by WriteSettings in one
//	              form on every front end); the key is the database, the SQL
//	              that runs (row filters included), the variant and the
//	              digest of the user's masks. A live entry is served; an
//	              identical fill under way is waited for (bounded by
//	              Options.Wait), then served; otherwise the caller fills.
//	Cached.Record the protocol code copies its own bytes as they go to
//	              the client, up to max_result.
//	Stage.End     a complete, error-free result is stored unless one of
//	              its tables was invalidated since Begin (version check);
//	              waiters are released; a write invalidates its tables
//	              again, and a transaction's written tables at its end;
//	              the verdict is counted (floe_cache_requests_total).
//
// Cacheability by text (Explain, cacheable.go): one SELECT that writes
// nothing; no SELECT … INTO, no row locks, no system catalog, no MySQL
// user or system variable; every function named must be on the list of
// known-immutable functions — a function on the volatile list is named
// as such, and any other function (a user function may be volatile or
// read tables the cache cannot see) is refused: default deny. So is a
// PostgreSQL operator whose name is not one of PostgreSQL's own, or one
// named OPERATOR(schema.op): an operator runs a function. SQL value
// functions written without parentheses (CURRENT_TIMESTAMP,
// CURRENT_USER) are found lexically.
//
// Invalidation is by table name without schema, lower case: tables of
// the same name in two schemas share their invalidations (more misses,
// never a stale hit). Without a change feed an entry lives at most
// min(ttl, max_staleness), the bound on writes made outside the
// gateway; with one (SetFeed), entries live their TTL and are bypassed
// while the feed is disconnected or behind max_staleness, and change
// events reach Invalidate. Of a database every write of which passes
// through the stage (Options.Complete: an embedded SQLite database),
// entries live their TTL without a feed. Package wirefmt holds the wire
// protocols' encodings of stored results.
//
// The store (store.go) is an LRU bounded by bytes with a TTL per entry;
// a Cache and its store are safe for concurrent use. Per-session state
// lives on the stmt.Session (SetValue); a session's statements are
// serialised by its protocol code. Caches holds every database's cache
// across configuration reloads (Prepare while a configuration is built,
// Commit when it is in force).
//
// The optional Redis tier (redis.go) is shared by every instance: a
// local miss looks there before the statement runs; a fill is stored
// there too, by a script that first checks the shared versions of its
// tables (read when the miss was decided), so a write through another
// instance in between refuses it; an invalidation bumps the versions,
// drops the tables' shared entries and is published. One goroutine per
// cache with a tier follows the channel (Close stops it): another
// instance's invalidation drops the memory entries; a broken
// subscription or an unreachable server marks the tier down (memory
// only, entries bounded by max_staleness) and empties the memory tier,
// as does its return.
package cache
