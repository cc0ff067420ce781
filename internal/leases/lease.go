package leases

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	vault "github.com/hashicorp/vault/api"

	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/secrets"
)

// ErrExpired is returned by Creds once the lease in hand has ended and
// no new one could be read.
var ErrExpired = errors.New("the backend login's Vault lease has expired and no new one could be obtained")

// Event is a lease event for the audit log: no password, no lease id.
type Event struct {
	// Kind is obtained, renewed, rotated, revoked, expired or failed.
	Kind     string
	Database string
	// Login is the engine's mount and role (config.DynamicCreds.Key).
	Login    string
	Username string
	Expires  time.Time
	// Reason says why (a rotation's or failure's cause).
	Reason string
}

// Options are what a Lease needs beside its engine role.
type Options struct {
	// Client talks to Vault (secrets.Client).
	Client *vault.Client
	Log    *slog.Logger
	// Event receives lease events (nil: none).
	Event func(Event)
	// RenewFraction is the part of a lease's duration that passes before
	// it is renewed (default 2/3).
	RenewFraction float64
}

// Status is a lease as the admin API shows it.
type Status struct {
	Database  string    `json:"database"`
	Login     string    `json:"login"`
	Username  string    `json:"username"`
	Expires   time.Time `json:"lease_expires"`
	Renewable bool      `json:"renewable"`
	Renewals  int       `json:"renewals"`
	Rotations int       `json:"rotations"`
	// Draining counts rotated-out leases waiting for their connections
	// to close before they are revoked.
	Draining int `json:"draining"`
	// State is ok, vault_unreachable (credentials still valid) or
	// expired (sessions needing a new connection fail).
	State string `json:"state"`
	Error string `json:"error,omitempty"`
}

// held is one lease and the credentials it gives.
type held struct {
	id, user, password string
	duration           time.Duration // as first given: the renewal increment
	renewedAt          time.Time
	expires            time.Time
	renewable          bool
	final              bool // at its max TTL: rotate, do not renew
	cut                bool // expired in hand: its connections were closed
	renewals           int
}

// Lease is a dynamic backend login and its lease.
type Lease struct {
	database string
	spec     config.DynamicCreds
	opts     Options
	log      *slog.Logger
	stop     chan struct{}
	done     chan struct{}
	drains   sync.WaitGroup

	mu struct {
		sync.Mutex
		cur       *held
		draining  int
		rotations int
		state     string
		err       string
		subs      map[int]func() func() bool
		next      int
		closed    bool
	}
}

// Open reads the first credentials of spec for database and starts the
// Lease's renewals.
func Open(ctx context.Context, database string, spec config.DynamicCreds, opts Options) (*Lease, error) {
	if opts.RenewFraction <= 0 || opts.RenewFraction >= 1 {
		opts.RenewFraction = 2.0 / 3
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	l := &Lease{database: database, spec: spec, opts: opts, stop: make(chan struct{}), done: make(chan struct{}),
		log: opts.Log.With("database", database, "login", spec.Key())}
	h, err := l.read(ctx)
	if err != nil {
		return nil, fmt.Errorf("database %s: %s: %w", database, spec.Key(), err)
	}
	l.mu.cur, l.mu.state, l.mu.subs = h, "ok", map[int]func() func() bool{}
	l.event("obtained", h, "")
	go l.run()
	return l, nil
}

// Database is the database the Lease serves; Key its engine role.
func (l *Lease) Database() string { return l.database }

// Spec is the engine role the Lease reads.
func (l *Lease) Spec() config.DynamicCreds { return l.spec }

// Creds returns the current user and password, or ErrExpired.
func (l *Lease) Creds() (user, password string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.mu.cur == nil || !time.Now().Before(l.mu.cur.expires) {
		return "", "", ErrExpired
	}
	return l.mu.cur.user, l.mu.cur.password, nil
}

// OnRotate subscribes d to rotations until cancel is called. d is called
// when the Lease rotates: it makes new connections use the new
// credentials and closes the old ones (idle at once, busy when
// returned), and returns a check that reports whether none of the old
// connections is left.
func (l *Lease) OnRotate(d func() (drained func() bool)) (cancel func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	id := l.mu.next
	l.mu.next++
	l.mu.subs[id] = d
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		delete(l.mu.subs, id)
	}
}

// Status is the lease's state.
func (l *Lease) Status() Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := Status{Database: l.database, Login: l.spec.Key(), Rotations: l.mu.rotations, Draining: l.mu.draining, State: l.mu.state, Error: l.mu.err}
	if c := l.mu.cur; c != nil {
		s.Username, s.Expires, s.Renewable, s.Renewals = c.user, c.expires, c.renewable && !c.final, c.renewals
		if !time.Now().Before(c.expires) {
			s.State = "expired"
		}
	}
	return s
}

// Close stops renewing and revokes every lease still held (the current
// one and those waiting for their connections to drain).
func (l *Lease) Close(ctx context.Context) {
	l.mu.Lock()
	if l.mu.closed {
		l.mu.Unlock()
		return
	}
	l.mu.closed = true
	l.mu.Unlock()
	close(l.stop)
	<-l.done
	l.drains.Wait() // drain waits revoke their own lease on stop
	l.mu.Lock()
	cur := l.mu.cur
	l.mu.Unlock()
	if cur != nil {
		l.revoke(ctx, cur, "shutdown")
	}
}

func (l *Lease) event(kind string, h *held, reason string) {
	if l.opts.Event == nil {
		return
	}
	e := Event{Kind: kind, Database: l.database, Login: l.spec.Key(), Reason: reason}
	if h != nil {
		e.Username, e.Expires = h.user, h.expires
	}
	l.opts.Event(e)
}

// read obtains new credentials.
func (l *Lease) read(ctx context.Context) (*held, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	s, err := l.opts.Client.Logical().ReadWithContext(ctx, l.spec.Path())
	if err != nil {
		return nil, fmt.Errorf("reading %s: %s", l.spec.Path(), secrets.Describe(err))
	}
	if s == nil {
		return nil, fmt.Errorf("reading %s: not found", l.spec.Path())
	}
	user, _ := s.Data["username"].(string)
	password, _ := s.Data["password"].(string)
	if user == "" || password == "" || s.LeaseID == "" || s.LeaseDuration <= 0 {
		return nil, fmt.Errorf("reading %s: the answer has no username, password or lease", l.spec.Path())
	}
	now := time.Now()
	d := time.Duration(s.LeaseDuration) * time.Second
	h := &held{id: s.LeaseID, user: user, password: password, duration: d, renewedAt: now, expires: now.Add(d), renewable: s.Renewable}
	l.log.Info("backend login leased from Vault", "username", user, "lease_expires", h.expires.UTC().Format(time.RFC3339))
	return h, nil
}

// due is when the current lease needs work: renewal or rotation.
func (l *Lease) due(h *held) time.Time {
	return h.renewedAt.Add(time.Duration(float64(h.expires.Sub(h.renewedAt)) * l.opts.RenewFraction))
}

func (l *Lease) run() {
	defer close(l.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-l.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	backoff := time.Duration(0)
	for {
		l.mu.Lock()
		h := l.mu.cur
		l.mu.Unlock()
		wait := time.Until(l.due(h))
		if backoff > 0 {
			wait = backoff
		}
		l.mu.Lock()
		cut := h.cut
		l.mu.Unlock()
		if !cut {
			wait = min(wait, time.Until(h.expires))
		}
		t := time.NewTimer(max(wait, 0))
		select {
		case <-l.stop:
			t.Stop()
			return
		case <-t.C:
		}
		if !cut && !time.Now().Before(h.expires) {
			l.expire(h)
		}
		if err := l.step(ctx, h); err != nil {
			if ctx.Err() != nil {
				return
			}
			ceiling := 30 * time.Second
			if !time.Now().Before(h.expires) {
				ceiling = 5 * time.Second // nothing serves until Vault answers
			}
			backoff = min(max(2*backoff, time.Second), ceiling)
			l.mu.Lock()
			l.mu.state, l.mu.err = "vault_unreachable", err.Error()
			l.mu.Unlock()
			l.log.Warn("Vault lease work failed; keeping the credentials in hand until they expire", "error", err.Error(),
				"lease_expires", h.expires.UTC().Format(time.RFC3339), "retry_in", backoff.String())
			l.event("failed", h, err.Error())
			continue
		}
		backoff = 0
		l.mu.Lock()
		l.mu.state, l.mu.err = "ok", ""
		l.mu.Unlock()
	}
}

// expire closes the connections of h, which has expired in hand (Vault
// did not answer in time): no session goes on with a login past its
// lease, and new connections fail with ErrExpired until Vault answers.
func (l *Lease) expire(h *held) {
	l.mu.Lock()
	h.cut = true
	subs := make([]func() func() bool, 0, len(l.mu.subs))
	for _, d := range l.mu.subs {
		subs = append(subs, d)
	}
	l.mu.Unlock()
	l.log.Error("the backend login's Vault lease expired before Vault answered; its connections are closed and new ones refused until Vault answers", "username", h.user)
	l.event("expired", h, "Vault unreachable")
	for _, d := range subs {
		d()
	}
}

// step renews h, or rotates when it cannot be renewed.
func (l *Lease) step(ctx context.Context, h *held) error {
	if !h.renewable || h.final {
		return l.rotate(ctx, h, "lease not renewable further")
	}
	rctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	s, err := l.opts.Client.Sys().RenewWithContext(rctx, h.id, int(h.duration/time.Second))
	cancel()
	if err != nil {
		var re *vault.ResponseError
		if errors.As(err, &re) && re.StatusCode >= 400 && re.StatusCode < 500 && re.StatusCode != http.StatusForbidden && re.StatusCode != http.StatusTooManyRequests {
			return l.rotate(ctx, h, "renewal refused: "+secrets.Describe(err))
		}
		return fmt.Errorf("renewing the lease: %s", secrets.Describe(err))
	}
	now := time.Now()
	d := time.Duration(s.LeaseDuration) * time.Second
	l.mu.Lock()
	h.renewedAt, h.expires = now, now.Add(d)
	h.renewals++
	capped := d < h.duration || !s.Renewable
	if capped {
		h.final = true
	}
	l.mu.Unlock()
	l.event("renewed", h, "")
	if capped {
		return l.rotate(ctx, h, "lease reached its max TTL")
	}
	return nil
}

// rotate reads new credentials, makes them current, has the subscribers
// drain the old ones and revokes the old lease once they are drained or
// it ends.
func (l *Lease) rotate(ctx context.Context, old *held, reason string) error {
	h, err := l.read(ctx)
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.mu.cur = h
	l.mu.rotations++
	l.mu.draining++
	subs := make([]func() func() bool, 0, len(l.mu.subs))
	for _, d := range l.mu.subs {
		subs = append(subs, d)
	}
	l.mu.Unlock()
	l.log.Info("backend login rotated; new connections use the new login, old ones drain", "old_username", old.user, "username", h.user, "reason", reason)
	l.event("rotated", h, reason+"; replaces "+old.user)
	checks := make([]func() bool, 0, len(subs))
	for _, d := range subs {
		checks = append(checks, d())
	}
	l.drains.Add(1)
	go l.drainAndRevoke(old, checks)
	return nil
}

// drainAndRevoke revokes old once every check reports its connections
// closed, the lease ends, or the Lease closes.
func (l *Lease) drainAndRevoke(old *held, checks []func() bool) {
	defer l.drains.Done()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	reason := "drained"
wait:
	for {
		all := true
		for _, c := range checks {
			if !c() {
				all = false
				break
			}
		}
		if all {
			break
		}
		select {
		case <-l.stop:
			reason = "shutdown"
			break wait
		case <-t.C:
			if !time.Now().Before(old.expires) {
				reason = "lease ended before its connections closed"
				break wait
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l.revoke(ctx, old, reason)
	l.mu.Lock()
	l.mu.draining--
	l.mu.Unlock()
}

// revoke revokes h, retrying a few times while Vault does not answer
// (past its end Vault revokes it itself).
func (l *Lease) revoke(ctx context.Context, h *held, reason string) {
	var err error
	for try := range 4 {
		if try > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(time.Duration(try) * time.Second):
			}
		}
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err = l.opts.Client.Sys().RevokeWithContext(rctx, h.id)
		cancel()
		if err == nil || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		l.log.Warn("revoking a Vault lease failed; Vault revokes it when it ends", "username", h.user, "error", secrets.Describe(err))
		l.event("failed", h, "revoke: "+secrets.Describe(err))
		return
	}
	l.log.Info("Vault lease revoked", "username", h.user, "reason", reason)
	l.event("revoked", h, reason)
}

// Describe names the leases of st that keep the gateway from serving
// (expired) or degrade it (Vault unreachable), for /readyz.
func Describe(st []Status) (ok bool, warning string) {
	ok = true
	var parts []string
	for _, s := range st {
		switch s.State {
		case "expired":
			ok = false
			parts = append(parts, fmt.Sprintf("database %s: login %s: lease expired", s.Database, s.Login))
		case "vault_unreachable":
			parts = append(parts, fmt.Sprintf("database %s: login %s: Vault unreachable, credentials valid until %s", s.Database, s.Login, s.Expires.UTC().Format(time.RFC3339)))
		}
	}
	return ok, strings.Join(parts, "; ")
}
