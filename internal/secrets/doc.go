// Package secrets reads ${vault:path#key} references from HashiCorp
// Vault or OpenBao: a KV version 2 engine read with
// github.com/hashicorp/vault/api, authenticated by a token or by AppRole.
// OpenVault is called once per configuration load; the reader it returns
// remembers each secret for that load only, so every load (a reload, or
// the periodic refresh of secrets.refresh) sees rotated values. Errors
// name the path and the reason, never a value.
package secrets
