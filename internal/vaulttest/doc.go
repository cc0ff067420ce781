// Package vaulttest serves the part of the HashiCorp Vault HTTP API that
// Floe uses, for tests (no Vault server package is available to run the
// real one): a KV version 2 engine mounted at secret/ with versioned
// secrets, token checks (403 on a bad token), AppRole login, and a
// database secrets engine (dbengine.go) that creates and drops real
// logins on the test servers: GET <mount>/creds/<role> runs the role's
// creation statements and leases the login, PUT sys/leases/renew extends
// the lease up to the role's max TTL, PUT sys/leases/revoke runs the
// revocation statements. SetDown makes it answer 503 to everything. All
// state sits under one mutex held for a whole request.
package vaulttest
