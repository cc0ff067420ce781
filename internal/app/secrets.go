package app

import (
	"github.com/floe-db/floe/internal/audit"
)

// auditSecrets writes the reads of the cloud secret managers since the
// last call to the audit log ("secret" records: read, refresh or
// failure, the provider, the secret and its version, never a value) and
// logs the failures.
func (a *App) auditSecrets() {
	events, dropped := a.secrets.Drain()
	p := a.policyNow()
	for _, e := range events {
		p.Audit(audit.Event{Type: "secret", Fields: e.Fields()})
		if e.Action == "failure" {
			a.log.Warn("reading a secret failed", "provider", e.Provider, "secret", e.Name, "error", e.Error)
		}
	}
	if dropped > 0 {
		a.log.Warn("secret reads not audited: too many at once", "dropped", dropped)
	}
}
