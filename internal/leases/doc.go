// Package leases owns the dynamic backend logins a database's identities
// take from the database secrets engine of Vault or OpenBao
// (config.DynamicCreds): one Lease per database and engine role.
//
// Open reads <mount>/creds/<role> once (a failure refuses the
// configuration) and starts the Lease's goroutine, which:
//
//   - renews the lease (PUT sys/leases/renew) when 2/3 of its duration
//     has passed, asking for the duration the engine first gave;
//   - rotates when the lease cannot be renewed, when a renewal answers
//     with less than it asked (the lease has reached its max TTL) or when
//     Vault says the lease is gone: it reads new credentials, makes them
//     current, tells every subscriber (OnRotate) so that new connections
//     use the new login and old ones drain, waits until each subscriber
//     reports its old connections closed (or the old lease ends) and
//     revokes the old lease (PUT sys/leases/revoke);
//   - retries with exponential backoff (1s to 30s) while Vault does not
//     answer, keeping the credentials in hand until they expire. Creds
//     then fails with ErrExpired: a login past its lease is never used.
//
// Close stops the goroutine and revokes every lease still held. Status
// is what the admin API and /readyz show: user name, expiry, renewals,
// rotations and state — never the password or the lease id. Events
// (obtained, renewed, rotated, revoked, failed) go to Options.Event for
// the audit log, without secret values.
//
// Concurrency: all state sits under one mutex; no Vault call is made
// while it is held. Subscribers are called from the Lease's goroutine.
package leases
