// Package secrettest serves the parts of the cloud secret managers' wire
// protocols that Floe's secrets package uses, for tests: AWS Secrets
// Manager (JSON 1.1, GetSecretValue), Google Cloud Secret Manager (REST
// v1 versions:access, with a service account token endpoint), Azure Key
// Vault (REST, with its bearer challenge, the Entra ID token endpoint
// and OpenID metadata, over TLS with a certificate authority of its own)
// and Infisical (universal-auth login, secrets v3 raw). No server of
// these services can run on a test machine, so the real client libraries
// are pointed at these.
//
// Each server keeps versions of each secret (Put adds one, which becomes
// the latest), refuses unknown credentials, answers an unknown secret or
// version as its service does, and counts the reads it served (Reads).
// Each starts with its test and stops with it.
package secrettest
