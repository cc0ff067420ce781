// Package cluster owns the routing state one relay keeps for a database
// with several servers (a primary and its replicas): which server takes
// the writes, and which server a read may go to.
//
// A Cluster deals in server indexes (0 is the configured primary, then
// the replicas in config order); the relay owns the servers, their pools
// and their connect guards, and tells the Cluster how loaded each one is
// through a Load callback. The health checker's topology (SetTopology)
// and the routing settings (SetRouting) are swapped atomically on reload;
// every method is safe for concurrent use by the relay's sessions.
//
// Writes go to the server the checks last saw as a healthy primary. The
// choice is sticky: it changes only when that server stops being a
// healthy primary, so a failed primary that comes back (as a second
// primary, before it is rebuilt as a replica) does not take the writes
// back from its promoted successor. Before any check has answered, the
// configured primary serves. Reads are placed by route.Decide.
//
// Two small pieces both relays share live here too: Logins, the backend
// logins of a database's identities (the role mapping, the rotated
// passwords, and the Dynamic source of a login leased from Vault, whose
// rotations the relay subscribes to with Watch), and Sessions, the count of client sessions that lets a
// replaced relay close when its last one ends.
//
// The data APIs (HTTP, Flight SQL) keep pools of their own but place
// their statements through a Placer of the relay (datasource.go): the
// relay's Cluster, Guards and its analyzer's routing classes, so both paths use the same
// servers, writer, replica choice and circuit breakers.
package cluster
