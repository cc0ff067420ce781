package myrelay

import (
	"github.com/floe-db/floe/internal/backend"
	"github.com/floe-db/floe/internal/wire/mysqlwire"
	"github.com/floe-db/floe/internal/wire/pgwire"
)

var _ backend.Database = (*Relay)(nil)

// Postgres returns nil: a MySQL database is not served to PostgreSQL
// clients.
func (r *Relay) Postgres() pgwire.Handler { return nil }

// MySQL returns the relay: it serves MySQL clients.
func (r *Relay) MySQL() mysqlwire.Handler { return r }

// Apply sets the front-end settings (policy source, LOAD DATA LOCAL) and
// the routing settings that sessions starting from now on use.
func (r *Relay) Apply(s backend.Settings) {
	r.SetOptions(Options{LocalInfile: s.LocalInfile, Policy: s.Policy, TLSGroups: s.TLSGroups})
	r.SetRouting(s.Routing)
	r.pipe.SetStages(s.Stages)
}
