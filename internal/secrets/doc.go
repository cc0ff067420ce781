// Package secrets reads the secret references of the configuration that
// live in secret managers.
//
// ${vault:path#key} references come from HashiCorp Vault or OpenBao: a
// KV version 2 engine read with github.com/hashicorp/vault/api,
// authenticated by a token or by AppRole (vault.go). OpenVault is called
// once per configuration load; the reader it returns remembers each
// secret for that load only, so every load (a reload, or the periodic
// refresh of secrets.refresh) sees rotated values.
//
// The cloud secret managers — ${aws-sm:}, ${gcp-sm:}, ${azure-kv:} and
// ${infisical:} — are Providers, one file each, made from the file's
// secrets: settings on first need in a load: AWS Secrets Manager through
// aws-sdk-go-v2 (aws.go), Google Cloud Secret Manager through its REST
// client (gcp.go), Azure Key Vault through azsecrets and azidentity
// (azure.go), Infisical over its HTTP API (infisical.go). A Cache
// (cache.go), one per running gateway, is the config.CloudOpener: each
// load of the file opens a reader that reads each unpinned secret once
// (however many references name it) and takes a pinned version from
// the cache when an earlier load read it with the same settings; then
// the reader takes the #key field of the JSON value. The cache records
// per reference the version in use, the last read and the last error
// (List, for GET /api/v1/secrets) and each read of a provider as an
// Event to audit (Drain); Sweep drops what the load in force no longer
// uses.
//
// Errors name the reason — a provider's status or error code, wrapping
// ErrNotFound or ErrDenied — never a value or the body of an answer;
// config adds the reference. Fakes of each provider's wire protocol are
// in secrettest.
package secrets
