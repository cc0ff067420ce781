package app

import (
	"context"
	"sync"

	"github.com/floe-db/floe/arrowsql"
	"github.com/floe-db/floe/internal/backend/cluster"
	"github.com/floe-db/floe/internal/dataapi"
	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/sqlerr"
)

// leasedSource is the data-API source of a backend login leased from
// Vault (identities[].vault): a source logged in with the lease's
// current credentials, rebuilt when they change. Every statement asks
// the lease first: a login whose lease has ended is never used (the
// statement is refused as unavailable). A rotation (Drain, called from
// the lease's goroutine) retires the current source at once: new
// statements get a source logged in as the new login, the old one closes
// its idle connections now and its busy ones as they are returned, and
// Drain's check reports when none is left, so the lease can revoke the
// old login. A lease that expires in hand calls Drain too: the source is
// retired with no successor until the lease has credentials again.
type leasedSource struct {
	logins *cluster.Logins
	login  int
	// make builds a source logged in as a login (no connection is made
	// until a statement runs).
	make func(dataapi.Login) (dataapi.Source, error)
	// shape describes the database (kind, dialect, schema) whatever the
	// login: a source the lease's first credentials built.
	shape dataapi.Source
	// ownShape: shape is not a generation's source (the lease had no
	// credentials when the source was built) and Close closes it.
	ownShape bool

	mu struct {
		sync.Mutex
		cur    *leasedGen // nil: none yet, or retired by an expiry
		closed bool
	}
}

// leasedGen is one source of a leasedSource and the credentials it was
// built with; inflight counts the statements acquiring a connection
// from it, which a retirement lets finish before closing it.
type leasedGen struct {
	src            dataapi.Source
	user, password string
	inflight       int
	retired        bool
	closed         bool
}

// connCounter is a source that can count its connections (open, idle or
// busy): dataapi's PostgreSQL and MySQL sources.
type connCounter interface{ Conns() int }

func newLeasedSource(logins *cluster.Logins, login int, mk func(dataapi.Login) (dataapi.Source, error)) (*leasedSource, error) {
	s := &leasedSource{logins: logins, login: login, make: mk}
	user, password, err := logins.Creds(login)
	first := dataapi.Login{User: user, Password: password}
	if err != nil {
		// No lease in hand: the shape never runs a statement, and is
		// given the engine role's name rather than the DSN's login.
		user, first = "", dataapi.Login{User: logins.Name(login)}
	}
	shape, err := mk(first)
	if err != nil {
		return nil, err
	}
	s.shape, s.ownShape = shape, user == ""
	if !s.ownShape {
		s.mu.cur = &leasedGen{src: shape, user: user, password: password}
	}
	return s, nil
}

// LoginName names the leased login (dataapi.LoginNamer): the engine
// role's key, the same across its lease's rotations.
func (s *leasedSource) LoginName() string { return "lease:" + s.logins.Name(s.login) }

func (s *leasedSource) Kind() string            { return s.shape.Kind() }
func (s *leasedSource) Dialect() policy.Dialect { return s.shape.Dialect() }
func (s *leasedSource) DefaultSchema() string   { return s.shape.DefaultSchema() }

// errLeaseEnded refuses a statement whose login has no valid lease.
var errLeaseEnded = &dataapi.Error{Status: 503, Code: dataapi.CodeUnavailable, SQLState: sqlerr.ConnectionFailure,
	Message: "the database is unavailable: its backend login's lease has ended and no new one could be obtained yet; retry shortly"}

// Query runs q on the source of the lease's current login.
func (s *leasedSource) Query(ctx context.Context, q string, args []any, opts arrowsql.Options) (*arrowsql.Reader, error) {
	g, err := s.acquire()
	if err != nil {
		return nil, err
	}
	defer s.done(g)
	return g.src.Query(ctx, q, args, opts)
}

// acquire returns the source of the current credentials, building it
// when the credentials changed since (a rotation not yet signalled), and
// counts the statement on it.
func (s *leasedSource) acquire() (*leasedGen, error) {
	user, password, err := s.logins.Creds(s.login)
	if err != nil {
		return nil, errLeaseEnded
	}
	var stale *leasedGen
	defer func() { closeGen(stale) }()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.closed {
		return nil, errLeaseEnded
	}
	if g := s.mu.cur; g == nil || g.user != user || g.password != password {
		src, err := s.make(dataapi.Login{User: user, Password: password})
		if err != nil {
			return nil, err
		}
		if g != nil {
			stale = retireLocked(g)
		}
		s.mu.cur = &leasedGen{src: src, user: user, password: password}
	}
	g := s.mu.cur
	g.inflight++
	return g, nil
}

// done ends a statement's acquisition on g (its connection is now the
// reader's, and goes back to g's pools on Release).
func (s *leasedSource) done(g *leasedGen) {
	s.mu.Lock()
	g.inflight--
	stale := closableLocked(g)
	s.mu.Unlock()
	closeGen(stale)
}

// retireLocked takes g out of service; it returns g when it can close
// now (no statement is acquiring from it), else the last statement's
// done closes it.
func retireLocked(g *leasedGen) *leasedGen {
	g.retired = true
	return closableLocked(g)
}

// closableLocked returns g, marked closed, when it is retired and idle
// of acquisitions; the caller closes it after unlocking.
func closableLocked(g *leasedGen) *leasedGen {
	if g.retired && g.inflight == 0 && !g.closed {
		g.closed = true
		return g
	}
	return nil
}

// closeGen closes g's source (nil: nothing): its pools close their idle
// connections now and their busy ones as they are returned.
func closeGen(g *leasedGen) {
	if g != nil {
		g.src.Close()
	}
}

// Drain is called when the lease rotates or expires: the current source
// is retired (the next statement builds one with the lease's credentials
// then in force), and the check reports when its connections are all
// closed.
func (s *leasedSource) Drain() func() bool {
	s.mu.Lock()
	g := s.mu.cur
	s.mu.cur = nil
	var stale *leasedGen
	if g != nil {
		stale = retireLocked(g)
	}
	s.mu.Unlock()
	closeGen(stale)
	if g == nil {
		return func() bool { return true }
	}
	return func() bool {
		s.mu.Lock()
		closed := g.closed
		s.mu.Unlock()
		if !closed {
			return false
		}
		c, ok := g.src.(connCounter)
		return !ok || c.Conns() == 0
	}
}

// Close closes the current source (busy connections close on release);
// a statement still acquiring closes its source when it is done.
func (s *leasedSource) Close() {
	s.mu.Lock()
	s.mu.closed = true
	var stale *leasedGen
	if g := s.mu.cur; g != nil {
		stale = retireLocked(g)
		s.mu.cur = nil
	}
	s.mu.Unlock()
	closeGen(stale)
	if s.ownShape {
		s.shape.Close()
	}
}
