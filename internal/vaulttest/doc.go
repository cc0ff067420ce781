// Package vaulttest serves the part of the HashiCorp Vault HTTP API that
// Floe uses, for tests (no Vault server package is available to run the
// real one): a KV version 2 engine mounted at secret/ with versioned
// secrets, token checks (403 on a bad token) and AppRole login.
package vaulttest
