package pgrelay

import "github.com/floe-db/floe/internal/backend/cluster"

// DataServers is the relay's routing state for the data APIs: their
// sources keep pools of their own (pgx connections, not the relay's raw
// ones) but place each statement, and dial each connection, as the relay
// does — same servers, health topology, writer after a failover, replica
// reads, connect guards and circuit breakers.
func (r *Relay) DataServers() cluster.Placer {
	return cluster.NewPlacer(r.cluster, r.guards, r.classes)
}
