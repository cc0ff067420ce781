package pgrelay

import (
	"errors"

	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/wire/pgwire"
)

// loginFor returns the backend login a user with roles runs as (see
// cluster.Logins), or the FATAL error that refuses the session.
func (r *Relay) loginFor(roles []string) (int, error) {
	i, err := r.logins.For(roles)
	if errors.Is(err, config.ErrNoIdentity) || errors.Is(err, config.ErrAmbiguousIdentity) {
		return 0, pgwire.Fatalf(pgwire.CodeInsufficientPrivilege, "%s", err.Error())
	}
	return i, err
}
