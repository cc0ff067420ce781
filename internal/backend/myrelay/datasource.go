package myrelay

import (
	"github.com/floe-db/floe/internal/backend/cluster"
	"github.com/floe-db/floe/internal/stmt"
)

// DataServers is the relay's routing state for the data APIs: their
// sources keep pools of their own (go-mysql client connections, not the
// relay's raw ones) but place each statement, and dial each connection,
// as the relay does — same servers, health topology, writer after a
// failover, replica reads, connect guards and circuit breakers.
func (r *Relay) DataServers() cluster.Placer {
	return cluster.NewPlacer(r.cluster, r.guards, r.pipe.Analyzer())
}

// Pipeline is the statement pipeline of the relay's database: the data
// APIs run their statements of this database through it too, so the
// analysis cache and the stages are one.
func (r *Relay) Pipeline() *stmt.Pipeline { return r.pipe }
