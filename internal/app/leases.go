package app

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"time"

	vault "github.com/hashicorp/vault/api"

	"github.com/floe-db/floe/internal/audit"
	"github.com/floe-db/floe/internal/backend/cluster"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/leases"
	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/secrets"
)

// leaseSet is the gateway's leases of dynamic backend logins, by
// database and engine role; kept across reloads while a database keeps
// the identity.
type leaseSet struct {
	byKey  map[string]*leases.Lease
	client *vault.Client // for leases opened later
	vault  config.Vault  // the settings client was made from
}

func leaseKey(db string, d config.DynamicCreds) string { return db + "\x00" + d.Key() }

// reviseLeasesLocked returns the leases cfg's identities need: the
// running ones it keeps, and new ones opened (credentials read) now. It
// changes nothing in force: the caller commits the result with
// commitLeasesLocked or closes what it opened with discardLeases.
func (a *App) reviseLeasesLocked(ctx context.Context, cfg *config.Config, pol *policy.Policy) (*leaseSet, error) {
	cur := a.mu.leases
	next := &leaseSet{byKey: map[string]*leases.Lease{}}
	if cur != nil {
		next.client, next.vault = cur.client, cur.vault
	}
	for _, db := range cfg.Databases {
		for _, id := range db.Identities {
			if id.Vault == nil {
				continue
			}
			k := leaseKey(db.Name, *id.Vault)
			if _, ok := next.byKey[k]; ok {
				continue
			}
			if cur != nil && cur.byKey[k] != nil {
				next.byKey[k] = cur.byKey[k]
				continue
			}
			if next.client == nil || !reflect.DeepEqual(next.vault, *cfg.Secrets.Vault) {
				c, err := secrets.Client(*cfg.Secrets.Vault)
				if err != nil {
					a.discardLeases(next)
					return nil, fmt.Errorf("database %s: %w", db.Name, err)
				}
				// The Lease retries with its own backoff, bounded by the
				// lease's end: no retries inside the client.
				c.SetMaxRetries(0)
				next.client, next.vault = c, *cfg.Secrets.Vault
			}
			l, err := leases.Open(ctx, db.Name, *id.Vault, leases.Options{Client: next.client, Log: a.log.With("component", "leases"), Event: a.leaseEvent(pol)})
			if err != nil {
				a.discardLeases(next)
				return nil, err
			}
			next.byKey[k] = l
		}
	}
	return next, nil
}

// discardLeases closes (revokes) the leases of next that are not in
// force: a build that failed.
func (a *App) discardLeases(next *leaseSet) {
	for k, l := range next.byKey {
		if a.mu.leases == nil || a.mu.leases.byKey[k] != l {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			l.Close(ctx)
			cancel()
		}
	}
}

// commitLeasesLocked puts next in force and revokes the leases no
// database uses any more.
func (a *App) commitLeasesLocked(next *leaseSet) {
	if cur := a.mu.leases; cur != nil {
		for k, l := range cur.byKey {
			if next.byKey[k] != l {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				l.Close(ctx)
				cancel()
			}
		}
	}
	a.mu.leases = next
}

// closeLeasesLocked revokes every lease (shutdown).
func (a *App) closeLeasesLocked() {
	if a.mu.leases == nil {
		return
	}
	for _, l := range a.mu.leases.byKey {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		l.Close(ctx)
		cancel()
	}
	a.mu.leases = nil
}

// leaseFor is the cluster.LeaseFor of the leases in set.
func leaseFor(set *leaseSet) cluster.LeaseFor {
	return func(db string, d config.DynamicCreds) cluster.Dynamic {
		if l := set.byKey[leaseKey(db, d)]; l != nil {
			return l
		}
		return nil
	}
}

// leaseEvent writes lease events to the audit log in force (first: the
// one of the configuration being built, until it is in force).
func (a *App) leaseEvent(first *policy.Policy) func(leases.Event) {
	return func(e leases.Event) {
		p := a.policyNow()
		if p == nil {
			p = first
		}
		f := map[string]any{"event": e.Kind, "database": e.Database, "login": e.Login, "username": e.Username}
		if !e.Expires.IsZero() {
			f["lease_expires"] = e.Expires.UTC().Format(time.RFC3339)
		}
		if e.Reason != "" {
			f["reason"] = e.Reason
		}
		p.Audit(audit.Event{Type: "lease", Fields: f})
	}
}

// leaseStatuses lists every lease (admin GET /api/v1/leases, /readyz).
func (a *App) leaseStatuses() []leases.Status {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := []leases.Status{}
	if a.mu.leases == nil {
		return out
	}
	for _, k := range slices.Sorted(maps.Keys(a.mu.leases.byKey)) {
		out = append(out, a.mu.leases.byKey[k].Status())
	}
	return out
}
