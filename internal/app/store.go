package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/floe-db/floe/internal/admin"
	"github.com/floe-db/floe/internal/authn"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/secrets"
	"github.com/floe-db/floe/internal/store"
)

// openStore connects to the shared store and reads its document; an
// unreachable store leaves the file's users and roles in force until the
// watcher reaches it.
func (a *App) openStore(ctx context.Context, cfg *config.Config) {
	if cfg.Store == nil || cfg.Demo {
		return
	}
	s, err := store.Open(ctx, *cfg.Store, a.log.With("component", "store"))
	if err != nil {
		a.log.Error("shared store", "error", err.Error())
		return
	}
	a.store = s
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	doc, err := s.Load(lctx)
	if err != nil {
		a.log.Warn("shared store unreachable at start; serving the file's users and roles until it answers", "error", err.Error())
		a.setStoreState(false, err)
		return
	}
	a.storeDoc.Store(&doc)
	a.setStoreState(true, nil)
}

// watchStore applies every change of the store's document until ctx ends.
func (a *App) watchStore(ctx context.Context) {
	if a.store == nil {
		return
	}
	go a.store.Watch(ctx, func() {
		// The watch's own connection is up; a read right after an outage
		// may meet a pooled connection the outage broke, so it is tried
		// again before giving up.
		var err error
		for try := range 5 {
			lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			var doc store.Document
			doc, err = a.store.Load(lctx)
			cancel()
			if err == nil {
				a.applyStore(ctx, doc)
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Duration(try+1) * 100 * time.Millisecond):
			}
		}
		a.log.Warn("shared store: reading the changed document failed", "error", err.Error())
	}, a.setStoreState)
}

func (a *App) setStoreState(up bool, err error) {
	was := a.storeUp.Swap(up)
	if up {
		a.metrics.StoreUp.Set(1)
		if !was {
			a.storeDown.Store(nil)
			a.log.Info("shared store reachable")
		}
		return
	}
	a.metrics.StoreUp.Set(0)
	if was || a.storeDown.Load() == nil {
		now := time.Now()
		a.storeDown.Store(&now)
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		a.log.Warn("shared store unreachable; serving the last good users and roles", "error", msg)
	}
}

// applyStore puts a newer document in force.
func (a *App) applyStore(ctx context.Context, doc store.Document) {
	a.reloading.Lock()
	defer a.reloading.Unlock()
	if cur := a.storeDoc.Load(); cur != nil && cur.Version >= doc.Version && doc.Version != 0 {
		return
	}
	prev := a.storeDoc.Swap(&doc)
	st := a.state.Load()
	next, err := a.build(ctx, st.fileCfg)
	if err != nil {
		a.storeDoc.Store(prev)
		a.log.Error("shared store: the new users and roles are refused; keeping the last good ones", "version", doc.Version, "error", err.Error())
		return
	}
	a.state.Store(next)
	a.metrics.StoreVersion.Set(float64(doc.Version))
	a.log.Info("shared store applied", "version", doc.Version, "users", len(doc.Users), "roles", len(doc.Roles))
}

// storeStatus is what /readyz adds while the store is unreachable.
func (a *App) storeStatus() string {
	if a.store == nil || a.storeUp.Load() {
		return ""
	}
	since := "start"
	if t := a.storeDown.Load(); t != nil {
		since = t.UTC().Format(time.RFC3339)
	}
	return "shared store unreachable since " + since + "; serving the last good users and roles"
}

// change edits the store's document, checked against the file first, and
// puts the result in force here at once (the others follow the
// announcement).
func (a *App) change(ctx context.Context, edit func(file *config.Config, d *store.Document) error) error {
	if a.store == nil {
		return fmt.Errorf("%w: no shared store is configured (store:); edit the configuration file instead", admin.ErrConflict)
	}
	file := a.state.Load().fileCfg
	doc, err := a.store.Update(ctx, func(d *store.Document) error {
		if err := edit(file, d); err != nil {
			return err
		}
		if _, err := file.WithOverlay(d.Overlay, refExpander(file, a.secrets)); err != nil {
			return fmt.Errorf("%w: %v", admin.ErrInvalid, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	a.applyStore(ctx, doc)
	return nil
}

// storeGateway is the part of the admin gateway that edits users and roles.

func (g adminGateway) Users() []admin.UserInfo {
	st := g.a.state.Load()
	out := []admin.UserInfo{}
	inFile := map[string]bool{}
	for _, u := range st.fileCfg.Users {
		inFile[u.Name] = true
	}
	for _, u := range st.cfg.Users {
		src := "store"
		if inFile[u.Name] {
			src = "file"
		}
		out = append(out, admin.UserInfo{Name: u.Name, Roles: nonNil(u.Roles), Databases: nonNil(u.Databases), Source: src})
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (g adminGateway) PutUser(ctx context.Context, name string, spec admin.UserSpec) error {
	verifier := spec.SCRAM
	if spec.Password != "" {
		v, err := authn.NewVerifier(spec.Password, 4096)
		if err != nil {
			return err
		}
		verifier = v
	}
	return g.a.change(ctx, func(file *config.Config, d *store.Document) error {
		if err := storeUsers.inFile(file.Users, name); err != nil {
			return err
		}
		i := slices.IndexFunc(d.Users, func(u config.User) bool { return u.Name == name })
		u := config.User{Name: name, SCRAM: verifier, Roles: spec.Roles, Databases: spec.Databases}
		switch {
		case i >= 0 && verifier == "":
			u.SCRAM = d.Users[i].SCRAM // keep the password
			d.Users[i] = u
		case i >= 0:
			d.Users[i] = u
		case verifier == "":
			return fmt.Errorf("%w: a new user needs a password", admin.ErrInvalid)
		default:
			d.Users = append(d.Users, u)
		}
		return nil
	})
}

func (g adminGateway) DeleteUser(ctx context.Context, name string) error {
	return g.a.change(ctx, func(file *config.Config, d *store.Document) error {
		return storeUsers.remove(file.Users, &d.Users, name)
	})
}

func (g adminGateway) Roles() []admin.RoleInfo {
	st := g.a.state.Load()
	out := []admin.RoleInfo{}
	inFile := map[string]bool{}
	for _, r := range st.fileCfg.Roles {
		inFile[r.Name] = true
	}
	for _, r := range st.cfg.Roles {
		src := "store"
		if inFile[r.Name] {
			src = "file"
		}
		out = append(out, admin.RoleInfo{Role: r, Source: src})
	}
	return out
}

func (g adminGateway) PutRole(ctx context.Context, name string, r config.Role) error {
	r.Name = name
	return g.a.change(ctx, func(file *config.Config, d *store.Document) error { return storeRoles.put(file.Roles, &d.Roles, r) })
}

func (g adminGateway) DeleteRole(ctx context.Context, name string) error {
	return g.a.change(ctx, func(file *config.Config, d *store.Document) error {
		return storeRoles.remove(file.Roles, &d.Roles, name)
	})
}

// Rules lists the file's and the store's entries of a rule list:
// masking, limits, firewall_overrides or network.
func (g adminGateway) Rules(kind string) (file, shared any, ok bool) {
	st := g.a.state.Load()
	var doc config.Overlay
	if d := g.a.storeDoc.Load(); d != nil {
		doc = d.Overlay
	}
	switch kind {
	case "masking":
		return nonNilSlice(st.fileCfg.Masking), nonNilSlice(doc.Masking), true
	case "limits":
		return nonNilSlice(st.fileCfg.Limits), nonNilSlice(doc.Limits), true
	case "firewall_overrides":
		var fo []config.FirewallOverride
		if st.fileCfg.Firewall != nil {
			fo = st.fileCfg.Firewall.Overrides
		}
		return nonNilSlice(fo), nonNilSlice(doc.FirewallOverrides), true
	case "network":
		var nr []config.NetworkRule
		if st.fileCfg.Network != nil {
			nr = st.fileCfg.Network.Rules
		}
		return nonNilSlice(nr), nonNilSlice(doc.NetworkRules), true
	}
	return nil, nil, false
}

func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// PutRules replaces the store's entries of a rule list with raw (a JSON
// array); the file's stay.
func (g adminGateway) PutRules(ctx context.Context, kind string, raw json.RawMessage) error {
	dec := func(into any) error {
		d := json.NewDecoder(bytes.NewReader(raw))
		d.DisallowUnknownFields()
		if err := d.Decode(into); err != nil {
			return fmt.Errorf("%w: rules: %v", admin.ErrInvalid, err)
		}
		return nil
	}
	var apply func(d *store.Document)
	switch kind {
	case "masking":
		var rs []config.MaskRule
		if err := dec(&rs); err != nil {
			return err
		}
		apply = func(d *store.Document) { d.Masking = rs }
	case "limits":
		var rs []config.Limit
		if err := dec(&rs); err != nil {
			return err
		}
		apply = func(d *store.Document) { d.Limits = rs }
	case "firewall_overrides":
		var rs []config.FirewallOverride
		if err := dec(&rs); err != nil {
			return err
		}
		apply = func(d *store.Document) { d.FirewallOverrides = rs }
	case "network":
		var rs []config.NetworkRule
		if err := dec(&rs); err != nil {
			return err
		}
		apply = func(d *store.Document) { d.NetworkRules = rs }
	default:
		return admin.ErrNotFound
	}
	return g.a.change(ctx, func(_ *config.Config, d *store.Document) error { apply(d); return nil })
}

// refExpander resolves the references in the store's database DSNs, with
// the file's Vault settings (opened on first need) and its cloud secret
// managers' (through cache).
func refExpander(c *config.Config, cache *secrets.Cache) func(string) (string, error) {
	cloud := cache.Reader(c.Secrets)
	var vault func(path, key string) (string, error)
	var vaultErr error
	opened := false
	return func(s string) (string, error) {
		if !opened && c.Secrets.Vault != nil && strings.Contains(s, "${vault:") {
			opened = true
			vault, vaultErr = secrets.OpenVault(*c.Secrets.Vault)
		}
		if vaultErr != nil {
			return "", vaultErr
		}
		return config.ExpandRefsAll(s, os.Getenv, vault, cloud)
	}
}

// DatabaseInfo is a database as GET /api/v1/databases shows it.
func (g adminGateway) Databases() []admin.DatabaseInfo {
	st := g.a.state.Load()
	var doc config.Overlay
	if d := g.a.storeDoc.Load(); d != nil {
		doc = d.Overlay
	}
	out := []admin.DatabaseInfo{}
	for _, d := range st.fileCfg.Databases {
		out = append(out, dbInfo(d, "file", config.RedactDSN))
	}
	for _, d := range doc.Databases {
		// The store keeps references, not secrets: shown as stored.
		out = append(out, dbInfo(d, "store", func(s string) string { return s }))
	}
	return out
}

func dbInfo(d config.Database, source string, show func(string) string) admin.DatabaseInfo {
	info := admin.DatabaseInfo{Name: d.Name, Kind: d.Kind, Path: d.Path, PoolMode: d.Pool.Mode, PoolSize: d.Pool.Size, Source: source, Replicas: []string{}}
	if d.Primary != "" {
		info.Primary = show(d.Primary)
	}
	for _, r := range d.Replicas {
		info.Replicas = append(info.Replicas, show(r.DSN))
	}
	return info
}

func (g adminGateway) PutDatabase(ctx context.Context, name string, db config.Database) error {
	db.Name = name
	return g.a.change(ctx, func(file *config.Config, d *store.Document) error {
		return storeDatabases.put(file.Databases, &d.Databases, db)
	})
}

func (g adminGateway) DeleteDatabase(ctx context.Context, name string) error {
	return g.a.change(ctx, func(file *config.Config, d *store.Document) error {
		return storeDatabases.remove(file.Databases, &d.Databases, name)
	})
}

// named edits a list of named entries of the store (users, roles,
// databases): the names the configuration file defines are its own.
type named[T any] struct {
	what string
	name func(T) string
}

var (
	storeUsers     = named[config.User]{"user", func(u config.User) string { return u.Name }}
	storeRoles     = named[config.Role]{"role", func(r config.Role) string { return r.Name }}
	storeDatabases = named[config.Database]{"database", func(d config.Database) string { return d.Name }}
)

// inFile refuses a name the file defines.
func (n named[T]) inFile(file []T, name string) error {
	if slices.ContainsFunc(file, func(x T) bool { return n.name(x) == name }) {
		return fmt.Errorf("%w: %s %q is defined in the configuration file", admin.ErrConflict, n.what, name)
	}
	return nil
}

// put replaces the store's entry of v's name, or adds v.
func (n named[T]) put(file []T, list *[]T, v T) error {
	name := n.name(v)
	if err := n.inFile(file, name); err != nil {
		return err
	}
	if i := slices.IndexFunc(*list, func(x T) bool { return n.name(x) == name }); i >= 0 {
		(*list)[i] = v
	} else {
		*list = append(*list, v)
	}
	return nil
}

// remove deletes the store's entry of name.
func (n named[T]) remove(file []T, list *[]T, name string) error {
	if err := n.inFile(file, name); err != nil {
		return err
	}
	k := len(*list)
	*list = slices.DeleteFunc(*list, func(x T) bool { return n.name(x) == name })
	if len(*list) == k {
		return admin.ErrNotFound
	}
	return nil
}
