// Package provision makes the backend logins of a configuration's
// identities (databases[].identities) hold exactly what their gateway
// roles' grants give, so that the database enforces the grants too: a
// statement Floe misreads then still runs with no more rights than the
// role has.
//
// Plan reads the configuration and the database's own catalogue (the
// tables, views and their columns) and returns, per login, the privileges
// to hold: table and column privileges from the grants (the same reading
// as the policy's check, policy.TablePrivileges), schema usage, sequence
// usage for inserts, and on PostgreSQL the row filters as row-level
// security policies. Apply makes it so on the server, in one transaction
// on PostgreSQL: it creates or alters the login (no superuser, no role
// creation, no inherited memberships), revokes everything it held in the
// database, then grants the plan. Running it again is harmless: the end
// state is the plan. The logins it provisions are marked (a role comment
// on PostgreSQL, an empty marker role on MariaDB), so that a later run
// retires the ones the configuration no longer names.
//
// The package connects with the database's primary DSN, which must be
// able to create roles and grant on the tables (their owner or a
// superuser). It has no state of its own and starts no goroutines.
package provision
