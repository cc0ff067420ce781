package pgrelay

import (
	"github.com/floe-db/floe/internal/backend"
	"github.com/floe-db/floe/internal/wire/mysqlwire"
	"github.com/floe-db/floe/internal/wire/pgwire"
)

var _ backend.Database = (*Relay)(nil)

// Postgres returns the relay: it serves PostgreSQL clients.
func (r *Relay) Postgres() pgwire.Handler { return r }

// MySQL returns nil: a PostgreSQL database is not served to MySQL
// clients.
func (r *Relay) MySQL() mysqlwire.Handler { return nil }

// Apply sets the policy source and the routing settings that sessions
// starting from now on use and the TLS groups of backend connections
// dialled from now on (LocalInfile concerns MySQL clients only).
func (r *Relay) Apply(s backend.Settings) {
	r.SetPolicy(s.Policy)
	r.SetRouting(s.Routing)
	r.pipe.SetStages(s.Stages)
	r.tlsGroups.Store(&s.TLSGroups)
}
