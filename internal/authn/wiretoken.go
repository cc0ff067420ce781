package authn

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Refusals of WireLogin besides the verifier's own errors. None of them,
// nor the verifier's, carries the token.
var (
	// ErrTokenUser: the token names another user than the client gave.
	ErrTokenUser = errors.New("the token was issued to another user")
	// ErrTokenNoRoles: the token's groups map to no gateway role.
	ErrTokenNoRoles = errors.New("the token carries no group that maps to a gateway role (oidc.roles)")
	// ErrTokenConfiguredUser: the token's user is a configured gateway
	// user's name (in any case); such users log in with their own
	// method, and a token never stands for them.
	ErrTokenConfiguredUser = errors.New("the token names a configured gateway user, who logs in with its own method")
	// ErrTokenTooLong: more than MaxWireToken bytes were sent.
	ErrTokenTooLong = errors.New("the token is too long")
	// ErrTokenNoExpiry: the token has no exp claim, so a session could
	// outlive it forever.
	ErrTokenNoExpiry = errors.New("the token has no expiry")
)

// MaxWireToken bounds the token a wire client may send as its password.
const MaxWireToken = 16 << 10

// WireLogin checks token, sent as the password of a PostgreSQL or MySQL
// client that named user, and returns the gateway user it stands for
// (named user, with the roles its groups map to) and when the token
// expires. The token must carry an expiry, name user in its username
// claim and map to at least one role.
func (o *OIDC) WireLogin(ctx context.Context, user, token string) (*User, time.Time, error) {
	if len(token) > MaxWireToken {
		return nil, time.Time{}, ErrTokenTooLong
	}
	id, err := o.Verify(ctx, token)
	if err != nil {
		return nil, time.Time{}, err
	}
	if id.Expiry.IsZero() {
		return nil, time.Time{}, ErrTokenNoExpiry
	}
	if id.Username != user {
		return nil, time.Time{}, fmt.Errorf("%w (%q)", ErrTokenUser, id.Username)
	}
	roles := o.Roles(id)
	if len(roles) == 0 {
		return nil, time.Time{}, ErrTokenNoRoles
	}
	return &User{Name: user, Roles: roles}, id.Expiry, nil
}
