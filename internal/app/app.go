package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"google.golang.org/grpc/credentials"

	"github.com/floe-db/floe/internal/admin"
	"github.com/floe-db/floe/internal/advise"
	"github.com/floe-db/floe/internal/authn"
	"github.com/floe-db/floe/internal/backend"
	"github.com/floe-db/floe/internal/backend/sqlite"
	"github.com/floe-db/floe/internal/backend/sqlite/sqlitedb"
	rcache "github.com/floe-db/floe/internal/cache"
	"github.com/floe-db/floe/internal/cdc"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/dataapi"
	"github.com/floe-db/floe/internal/flightsql"
	"github.com/floe-db/floe/internal/health"
	"github.com/floe-db/floe/internal/insight"
	"github.com/floe-db/floe/internal/leases"
	"github.com/floe-db/floe/internal/observe"
	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/provision"
	"github.com/floe-db/floe/internal/route"
	"github.com/floe-db/floe/internal/secrets"
	"github.com/floe-db/floe/internal/stmt"
	"github.com/floe-db/floe/internal/store"
	"github.com/floe-db/floe/internal/tlsauth"
	"github.com/floe-db/floe/internal/tracing"
	"github.com/floe-db/floe/internal/wire/mysqlwire"
	"github.com/floe-db/floe/internal/wire/pgwire"
)

// Options says where the configuration comes from and where output goes.
type Options struct {
	// ConfigPath is the config file; "" means demo mode.
	ConfigPath string
	// DataDir holds demo-mode data (default ./data).
	DataDir string
	// Stdout receives the demo banner; Stderr the log.
	Stdout, Stderr io.Writer
	// Ready, if set, is called with the bound addresses once listening.
	Ready func(Addrs)
	// Signals replaces the process signals (SIGHUP reload, SIGTERM and
	// SIGINT shutdown); tests send their own.
	Signals <-chan os.Signal
	// Stages are statement-pipeline stages every database runs on every
	// path, after the built-in ones (for a program that embeds the
	// gateway; the protocols do not know of them).
	Stages []stmt.Stage
	// Changes, if set, receives the change events of every database with
	// cdc enabled, in commit order per database, on each database's
	// stream goroutine (so concurrently across databases; cdc.go).
	Changes func(cdc.Event)
}

// Addrs are the addresses the listeners bound.
type Addrs struct {
	Postgres, MySQL, Admin, HTTP, FlightSQL string
}

type state struct {
	cfg   *config.Config
	users *authn.Store
	// dbs are the databases in force; handlers and myHandlers their
	// handlers for each protocol.
	dbs        map[string]backend.Database
	handlers   map[string]pgwire.Handler
	myHandlers map[string]mysqlwire.Handler
	sources    map[string]dataapi.Source
	policy     *policy.Policy
	// adminTokens are the admin API's credentials.
	adminTokens *admin.Tokens
	// oidc verifies OpenID Connect bearer tokens (nil: none configured).
	oidc *authn.OIDC
	// fileCfg is the configuration file's content; cfg adds the shared
	// store's users and roles to it.
	fileCfg *config.Config
}

// App is a running gateway.
type App struct {
	opts      Options
	log       *slog.Logger
	level     *slog.LevelVar
	metrics   *observe.Metrics
	state     atomic.Pointer[state]
	draining  atomic.Bool
	started   atomic.Bool
	counters  *policy.Counters // limit state kept across reloads
	denials   *observe.Denials // recent denials, kept across reloads
	slow      *insight.Book    // slow statements, kept across reloads
	reloading sync.Mutex       // one reload at a time
	// The shared store (nil: none), its last good document and whether
	// it answers.
	store     store.Store
	storeDoc  atomic.Pointer[store.Document]
	storeUp   atomic.Bool
	storeDown atomic.Pointer[time.Time]
	// demoAdminToken is the admin token demo mode prints in its banner.
	demoAdminToken string
	// adminDrained: the admin API took the instance out of service.
	adminDrained atomic.Bool
	tokens       *authn.Tokens // bearer tokens of the data APIs
	// caches are the databases' result caches, kept across reloads.
	caches *rcache.Caches
	tlsm   *tlsauth.Manager
	pg     *pgwire.Server
	my     *mysqlwire.Server
	data   *dataapi.Service
	// secrets holds what the cloud secret managers returned, for every
	// load of the file.
	secrets *secrets.Cache
	// advisor keeps the index advice of each database (advice.go).
	advisor *advise.Advisor

	mu struct {
		sync.Mutex
		// dbs serves each logical database, by name.
		dbs      map[string]backend.Database
		sources  map[string]sourceOf
		checkers map[string]checkerOf
		sinks    sinks
		// leases are the dynamic backend logins leased from Vault.
		leases *leaseSet
		// tracing is the tracer provider in force (nil: tracing off).
		tracing *tracing.Provider
		// cdc are the change streams, by database.
		cdc map[string]cdcOf
	}
	// cdcMetrics are the change streams' metrics, registered once.
	cdcMetrics *cdc.Metrics
}

// checkerOf is a database's health checker and the settings it was
// made from.
type checkerOf struct {
	c      *health.Checker
	db     config.Database
	groups []tls.CurveID // tls.groups of its connections
}

// Users implements pgwire.Gateway.
func (a *App) Users() *authn.Store { return a.state.Load().users }

// Handler implements pgwire.Gateway.
func (a *App) Handler(db string) (pgwire.Handler, bool) {
	h, ok := a.state.Load().handlers[db]
	if !ok {
		return nil, false
	}
	return gatedPG{a: a, db: db, h: h}, true
}

// MySQLHandler implements mysqlwire.Gateway.
func (a *App) MySQLHandler(db string) (mysqlwire.Handler, bool) {
	h, ok := a.state.Load().myHandlers[db]
	if !ok {
		return nil, false
	}
	return gatedMy{a: a, db: db, h: h}, true
}

// Run runs the gateway until ctx ends or a shutdown signal arrives.
func Run(ctx context.Context, opts Options) error {
	if opts.Stdout == nil {
		opts.Stdout = os.Stdout
	}
	if opts.Stderr == nil {
		opts.Stderr = os.Stderr
	}
	cache := secrets.NewCache(secrets.CacheOptions{})
	cfg, err := loadConfig(opts, cache)
	if err != nil {
		return err
	}
	a := &App{opts: opts, level: new(slog.LevelVar), metrics: observe.NewMetrics(), counters: policy.NewCounters(nil),
		denials: observe.NewDenials(1000), slow: insight.NewBook(), secrets: cache, advisor: advise.NewAdvisor(), caches: rcache.NewCaches()}
	a.mu.dbs = map[string]backend.Database{}
	a.mu.sources = map[string]sourceOf{}
	a.mu.checkers = map[string]checkerOf{}
	a.mu.cdc = map[string]cdcOf{}
	a.log = newLogger(cfg, a.level, opts.Stderr)
	a.tlsm = tlsauth.New(tlsauth.Options{OnReject: a.certRejected, Log: a.log.With("component", "tls")})
	if a.tokens, err = authn.NewTokens(nil); err != nil {
		return err
	}
	if cfg.Demo {
		if a.demoAdminToken, err = admin.NewToken(); err != nil {
			return err
		}
	}

	a.openStore(ctx, cfg)
	st, err := a.build(ctx, cfg)
	if err != nil && a.storeDoc.Load() != nil {
		// The store's content does not fit this file: start from the
		// file alone and say why.
		a.log.Error("shared store", "error", err.Error())
		a.storeDoc.Store(nil)
		st, err = a.build(ctx, cfg)
	}
	if err != nil {
		if a.store != nil {
			a.store.Close()
		}
		return err
	}
	a.state.Store(st)
	a.secrets.Sweep()
	a.auditSecrets()
	defer a.closeAll()
	storeCtx, stopStore := context.WithCancel(ctx)
	defer stopStore()
	a.watchStore(storeCtx)

	commitTLS, err := a.prepareTLS(cfg)
	if err != nil {
		return err
	}
	commitTLS()
	a.pg = pgwire.NewServer(a.pgConfig(cfg), a, a.log.With("component", "pgwire"), a.metrics)
	a.my = mysqlwire.NewServer(a.myConfig(cfg), a, a.log.With("component", "mysqlwire"), a.metrics)
	a.data = dataapi.NewService(a, a.log.With("component", "dataapi"), a.metrics)
	a.data.MetadataTTL = a.metadataTTL

	connCtx, cutConns := context.WithCancel(context.WithoutCancel(ctx))
	defer cutConns()
	var addrs Addrs
	stages := a.services(cfg, &addrs, cutConns)
	var wg sync.WaitGroup
	errc := make(chan error, 5)
	if err := a.start(connCtx, stages, &wg, errc); err != nil {
		return err
	}
	a.started.Store(true)
	a.log.Info("floe started", "postgres", addrs.Postgres, "mysql", addrs.MySQL, "http", addrs.HTTP, "flightsql", addrs.FlightSQL, "admin", addrs.Admin, "databases", len(cfg.Databases), "config", displaySource(cfg))
	if cfg.Demo {
		printBanner(opts.Stdout, addrs, a.demoAdminToken)
	}
	if opts.Ready != nil {
		opts.Ready(addrs)
	}

	sigs := opts.Signals
	if sigs == nil {
		ch := make(chan os.Signal, 2)
		signal.Notify(ch, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT)
		defer signal.Stop(ch)
		sigs = ch
	}
	var refresh <-chan time.Time
	if d := cfg.Secrets.Refresh; d > 0 && !cfg.Demo {
		t := time.NewTicker(d)
		defer t.Stop()
		refresh = t.C
	}
	// Sessions of client certificates revoked (or expired) since they
	// logged in are ended as often as handshakes look at the CRL files.
	var certSweep <-chan time.Time
	if cfg.TLS != nil {
		d := cfg.TLS.CRLCheckInterval
		if d <= 0 {
			d = config.DefaultCRLCheckInterval
		}
		t := time.NewTicker(d)
		defer t.Stop()
		certSweep = t.C
	}
	fileChanged := make(chan struct{}, 1)
	if cfg.Reload.Watch && !cfg.Demo {
		wctx, stopWatch := context.WithCancel(ctx)
		defer stopWatch()
		if err := watchConfig(wctx, cfg.Source, 250*time.Millisecond, fileChanged, a.log); err != nil {
			a.log.Warn("cannot watch the configuration file; reload with SIGHUP or the admin API", "error", err.Error())
		}
	}
	var runErr error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-fileChanged:
			a.log.Info("configuration file changed; reloading")
			a.Reload(ctx)
		case <-certSweep:
			a.endRevokedSessions()
		case <-refresh:
			if err := a.reloadIf(ctx, true); err != nil {
				a.log.Warn("reading secrets again failed; keeping the running configuration")
			}
		case err := <-errc:
			runErr = err
			break loop
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				a.Reload(ctx)
				continue
			}
			a.log.Info("shutdown requested", "signal", sig.String())
			break loop
		}
	}

	// Drain: stop accepting, let transactions finish, then cut.
	a.draining.Store(true)
	a.stop(stages)
	wg.Wait()
	a.log.Info("floe stopped")
	return runErr
}

// services lists the gateway's listeners in the order they start and
// stop. The wire front ends stop first and together: their sessions get
// shutdown.timeout (the one in force then) to reach a transaction
// boundary. The HTTP data API then gets 5s for its requests under way
// (cut: their contexts end, which stops their statements), Flight SQL
// 5s for its streams, and the admin API, which answers /readyz with
// "draining" until then, 2s.
func (a *App) services(cfg *config.Config, addrs *Addrs, cut func()) []stage {
	wire := func(s wireServer) func() service {
		return func() service { return wireService{wireServer: s, cut: cut} }
	}
	return []stage{
		{grace: func() time.Duration { return a.state.Load().cfg.Shutdown.Timeout }, listeners: []*listener{
			{key: "postgres", addr: cfg.Listen.Postgres, bound: &addrs.Postgres, open: wire(a.pg), screen: a.screenAccept("postgres", false)},
			{key: "mysql", addr: cfg.Listen.MySQL, bound: &addrs.MySQL, open: wire(a.my), screen: a.screenAccept("mysql", false)},
		}},
		{grace: graceOf(5 * time.Second), listeners: []*listener{
			{key: "http", addr: cfg.Listen.HTTP, bound: &addrs.HTTP, screen: a.screenAccept("http", cfg.TLS == nil), open: func() service {
				return newHTTPService(&http.Server{Handler: a.data.Handler(), ReadHeaderTimeout: 10 * time.Second, ConnState: a.httpHandshakes},
					a.tlsConfig(cfg, "http", "h2", "http/1.1"), cut)
			}},
		}},
		{grace: graceOf(5 * time.Second), listeners: []*listener{
			{key: "flightsql", addr: cfg.Listen.FlightSQL, bound: &addrs.FlightSQL, screen: a.screenAccept("flightsql", false), open: func() service {
				var creds credentials.TransportCredentials
				if t := a.tlsConfig(cfg, "flightsql", "h2"); t != nil {
					creds = reportingCreds{TransportCredentials: credentials.NewTLS(t), failed: a.tlsFailed("flightsql")}
				}
				return newGRPCService(flightsql.NewServer(a.data, buildVersion(), a.log.With("component", "flightsql")).GRPCServer(creds))
			}},
		}},
		{grace: graceOf(2 * time.Second), listeners: []*listener{
			{key: "admin", addr: cfg.Listen.Admin, bound: &addrs.Admin, open: func() service {
				return newHTTPService(&http.Server{Handler: admin.Handler(adminGateway{a}, a.metrics, a.log.With("component", "admin")),
					ReadHeaderTimeout: 10 * time.Second}, nil, nil)
			}},
		}},
	}
}

func displaySource(c *config.Config) string {
	if c.Demo {
		return "demo"
	}
	return c.Source
}

// ready reports whether the gateway accepts work; a reason with true is
// a warning (the shared store is unreachable, say).
func (a *App) ready() (bool, string) {
	switch {
	case !a.started.Load():
		return false, "starting"
	case a.draining.Load():
		return false, "draining"
	case a.adminDrained.Load():
		return false, "drained by the admin API"
	}
	ok, warn := leases.Describe(a.leaseStatuses())
	if s := a.storeStatus(); s != "" {
		warn = strings.Trim(s+"; "+warn, "; ")
	}
	return ok, warn
}

func loadConfig(opts Options, cache *secrets.Cache) (*config.Config, error) {
	if opts.ConfigPath == "" {
		dir := opts.DataDir
		if dir == "" {
			dir = "data"
		}
		return config.Demo(filepath.Join(dir, "demo.db")), nil
	}
	return config.LoadWith(opts.ConfigPath, loadOptions(cache))
}

func newLogger(cfg *config.Config, level *slog.LevelVar, w io.Writer) *slog.Logger {
	setLevel(level, cfg.Log.Level)
	o := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "text" {
		return slog.New(slog.NewTextHandler(w, o))
	}
	return slog.New(slog.NewJSONHandler(w, o))
}

func setLevel(lv *slog.LevelVar, s string) {
	switch s {
	case "debug":
		lv.Set(slog.LevelDebug)
	case "warn":
		lv.Set(slog.LevelWarn)
	case "error":
		lv.Set(slog.LevelError)
	default:
		lv.Set(slog.LevelInfo)
	}
}

func (a *App) pgConfig(cfg *config.Config) pgwire.Config {
	pc := pgwire.Config{TLS: a.tlsConfig(cfg, "postgres"), OnTLSError: a.tlsFailed("postgres"), AuthMethod: cfg.Postgres.AuthMethod, MaxMessageSize: cfg.Postgres.MaxMessageSize, MaxConnections: cfg.Postgres.MaxConnections,
		Screen: func(user, db string, client net.Addr) *pgwire.Error {
			if den := a.screenLogin("postgres", user, db, client); den != nil {
				return pgwire.ErrorOf(den)
			}
			return nil
		},
		OnAuth: a.onAuth("postgres"), AllowLogin: func(user string, client net.Addr) *pgwire.Error {
			if den := a.policyNow().LoginAllowed(user, policy.HostOf(client)); den != nil {
				return pgwire.ErrorOf(den)
			}
			return nil
		},
		PeerAuth: func(user, db string, cert *x509.Certificate, client net.Addr) (*authn.User, *pgwire.Error) {
			u, den := a.peerAuth("postgres", user, db, cert, client)
			if den != nil {
				return nil, pgwire.ErrorOf(den)
			}
			return u, nil
		}}
	if cfg.WireSSO() {
		pc.TokenLogin = a.wireTokenLogin
		pc.ExpiryAtTransactionEnd = cfg.OIDC.Wire.OnExpiry == config.OnExpiryTransactionEnd
		pc.ExpiryGrace = cfg.OIDC.Wire.ExpiryGrace
	}
	return pc
}

// wireTokenLogin checks an OpenID Connect token a wire client sent as its
// password (oidc.wire), with the verifier in force.
func (a *App) wireTokenLogin(ctx context.Context, user, token string) (*authn.User, time.Time, error) {
	st := a.state.Load()
	if st == nil || st.oidc == nil || !st.cfg.WireSSO() {
		return nil, time.Time{}, errors.New("token logins are off (oidc.wire)")
	}
	// The server takes a token only for a name that is not a configured
	// user's; one that differs from it only in case would still match
	// the rules that name that user (network rules compare names in any
	// case).
	if _, taken := st.users.LookupFold(user); taken {
		return nil, time.Time{}, authn.ErrTokenConfiguredUser
	}
	return st.oidc.WireLogin(ctx, user, token)
}

func (a *App) myConfig(cfg *config.Config) mysqlwire.Config {
	mc := mysqlwire.Config{TLS: a.tlsConfig(cfg, "mysql"), OnTLSError: a.tlsFailed("mysql"), Version: cfg.MySQL.ServerVersion, MaxPacket: cfg.MySQL.MaxPacketSize,
		MaxConnections: cfg.MySQL.MaxConnections, LocalInfile: cfg.MySQL.LocalInfile, OnAuth: a.onAuth("mysql"),
		Screen: func(user, db string, client net.Addr) *mysqlwire.Error {
			if den := a.screenLogin("mysql", user, db, client); den != nil {
				return mysqlwire.ErrorOf(den)
			}
			return nil
		},
		AllowLogin: func(user string, client net.Addr) *mysqlwire.Error {
			if den := a.policyNow().LoginAllowed(user, policy.HostOf(client)); den != nil {
				return mysqlwire.ErrorOf(den)
			}
			return nil
		},
		PeerAuth: func(user, db string, cert *x509.Certificate, client net.Addr) (*authn.User, *mysqlwire.Error) {
			u, den := a.peerAuth("mysql", user, db, cert, client)
			if den != nil {
				return nil, mysqlwire.ErrorOf(den)
			}
			return u, nil
		}}
	if cfg.WireSSO() {
		mc.TokenLogin = a.wireTokenLogin
		mc.ExpiryAtTransactionEnd = cfg.OIDC.Wire.OnExpiry == config.OnExpiryTransactionEnd
		mc.ExpiryGrace = cfg.OIDC.Wire.ExpiryGrace
	}
	return mc
}

// prepareTLS reads cfg's TLS files; commit puts them in force for the
// handshakes that follow.
func (a *App) prepareTLS(cfg *config.Config) (commit func(), err error) {
	if cfg.TLS == nil {
		return func() {}, nil
	}
	return a.tlsm.Prepare(cfg.TLS)
}

// tlsConfig is the TLS configuration of a listener (nil: cfg has no TLS).
func (a *App) tlsConfig(cfg *config.Config, listener string, nextProtos ...string) *tls.Config {
	if cfg.TLS == nil {
		return nil
	}
	return a.tlsm.Config(listener, nextProtos...)
}

// build makes the state for cfg, reconciling each running database with
// its new settings (backend.Reconcile): kept, reconfigured or rekeyed
// while it serves the same backend, opened anew otherwise.
func (a *App) build(ctx context.Context, fileCfg *config.Config) (*state, error) {
	cfg := fileCfg
	if doc := a.storeDoc.Load(); doc != nil && !doc.Overlay.Empty() {
		merged, err := fileCfg.WithOverlay(doc.Overlay, refExpander(fileCfg, a.secrets))
		if err != nil {
			return nil, fmt.Errorf("the shared store's users and roles do not fit the file: %w", err)
		}
		cfg = merged
	}
	specs := make([]authn.Spec, 0, len(cfg.Users))
	for _, u := range cfg.Users {
		specs = append(specs, authn.Spec{Name: u.Name, Password: u.Password, Verifier: u.SCRAM, Roles: u.Roles, Databases: u.Databases,
			Auth: u.AuthMethod(), Certificate: u.Certificate})
	}
	users, err := authn.NewStore(specs)
	if err != nil {
		return nil, err
	}
	st := &state{cfg: cfg, fileCfg: fileCfg, users: users, dbs: map[string]backend.Database{}, handlers: map[string]pgwire.Handler{},
		myHandlers: map[string]mysqlwire.Handler{}, sources: map[string]dataapi.Source{}}
	adminCfg := cfg.Admin
	if cfg.Demo && a.demoAdminToken != "" {
		adminCfg.Tokens = append(slices.Clone(adminCfg.Tokens), config.AdminToken{Name: "demo", Token: a.demoAdminToken, Scopes: []string{admin.ScopeAdmin}})
	}
	st.adminTokens = admin.NewTokens(adminCfg)
	if cfg.OIDC != nil {
		// The running verifier keeps its keys while its settings stay.
		if cur := a.state.Load(); cur != nil && cur.oidc != nil && reflect.DeepEqual(cur.oidc.Config(), *cfg.OIDC) {
			st.oidc = cur.oidc
		} else {
			st.oidc = authn.NewOIDC(*cfg.OIDC, nil)
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	pol, commitSinks, discardSinks, err := a.buildPolicy(cfg)
	if err != nil {
		return nil, err
	}
	st.policy = pol
	tracer, commitTracing, discardTracing, err := a.reviseTracingLocked(ctx, cfg)
	if err != nil {
		discardSinks()
		return nil, err
	}
	newLeases, err := a.reviseLeasesLocked(ctx, cfg, pol)
	if err != nil {
		discardSinks()
		discardTracing()
		return nil, err
	}
	newDBs := map[string]backend.Database{}
	newSources := map[string]sourceOf{}
	newCaches := map[string]*rcache.Cache{}
	fail := func(err error) (*state, error) {
		discardSinks()
		discardTracing()
		for name, s := range newSources {
			if a.mu.sources[name].src != s.src {
				s.src.Close()
			}
		}
		for name, d := range newDBs {
			if a.mu.dbs[name] != d {
				d.Close()
			}
		}
		a.discardLeases(newLeases)
		a.discardCaches(newCaches)
		return nil, err
	}
	for _, db := range cfg.Databases {
		if db.Provision {
			// The logins must hold their plan before sessions use them; a
			// failure refuses the configuration (start or reload).
			res, err := provision.Database(ctx, cfg, db, false)
			if err != nil {
				return fail(fmt.Errorf("database %s: provisioning its logins: %w", db.Name, err))
			}
			a.log.Info("backend logins provisioned", "database", db.Name, "statements", len(res.Statements))
			for _, n := range res.Notes {
				a.log.Warn("provisioning", "database", db.Name, "note", n)
			}
		}
		d, err := backend.Reconcile(a.mu.dbs[db.Name], db, func() (backend.Database, error) { return a.openDatabase(ctx, cfg, db, leaseFor(newLeases)) })
		if err != nil {
			return fail(err)
		}
		d.Apply(backend.Settings{Policy: a.policyNow, Routing: routePolicy(db.Routing), LocalInfile: cfg.MySQL.LocalInfile, Stages: a.withCache(a.withMetadata(a.stagesFor(cfg, tracer, db, d), db), db, newCaches),
			TLSGroups: cfg.TLS.CurveIDs()})
		newDBs[db.Name] = d
		st.dbs[db.Name] = d
		st.handlers[db.Name], st.myHandlers[db.Name] = handlersOf(db.Name, d)
		var e *sqlite.Engine
		if sd, ok := d.(*sqlitedb.Database); ok {
			e = sd.Engine()
		}
		so, err := a.sourceFor(db, e, dataServers(d), cfg.TLS.CurveIDs(), leaseFor(newLeases))
		if err != nil {
			return fail(err)
		}
		newSources[db.Name] = so
		st.sources[db.Name] = so.src
	}
	a.caches.Commit(newCaches)
	commitSinks()
	commitTracing()
	a.slow.Drop(func(name string) bool {
		i := slices.IndexFunc(cfg.Databases, func(d config.Database) bool { return d.Name == name })
		return i >= 0 && cfg.SlowFor(cfg.Databases[i]).Enabled()
	})
	for name, s := range a.mu.sources {
		if newSources[name].src != s.src {
			s.src.Close()
		}
	}
	for name, d := range a.mu.dbs {
		if newDBs[name] != d {
			d.Retire()
		}
	}
	a.mu.dbs, a.mu.sources = newDBs, newSources
	a.commitLeasesLocked(newLeases)
	a.reviseCheckersLocked(cfg)
	a.reviseCDCLocked(cfg)
	return st, nil
}

// reviseCheckersLocked runs a health checker for every PostgreSQL and
// MySQL database, keeping the running one while its servers and
// settings stay.
func (a *App) reviseCheckersLocked(cfg *config.Config) {
	next := map[string]checkerOf{}
	for _, db := range cfg.Databases {
		if db.Kind != config.KindPostgres && db.Kind != config.KindMySQL {
			continue
		}
		groups := cfg.TLS.CurveIDs()
		if cur, ok := a.mu.checkers[db.Name]; ok && sameServers(cur.db, db) && slices.Equal(cur.groups, groups) {
			next[db.Name] = cur
			continue
		}
		c, err := health.ForDatabase(db, groups, a.log.With("component", "health"), a.metrics)
		if err != nil {
			a.log.Error("health checks", "database", db.Name, "error", err.Error())
			continue
		}
		c.OnChange = a.backendChanged(db.Name)
		c.Start()
		next[db.Name] = checkerOf{c: c, db: db, groups: groups}
	}
	for name, cur := range a.mu.checkers {
		if next[name].c != cur.c {
			cur.c.Close()
		}
	}
	a.mu.checkers = next
	for name, ch := range next {
		if d := a.mu.dbs[name]; d != nil {
			d.SetTopology(ch.c.Backends)
		}
	}
}

// backendChanged drains the idle connections to a server found down,
// and closes the circuit breaker of one found up.
// It runs on a checker's goroutine and must not take a.mu (a reload
// holds it while closing checkers); the databases in force are read from
// the state.
func (a *App) backendChanged(db string) func(health.Status) {
	return func(hs health.Status) {
		st := a.state.Load()
		if st == nil {
			return
		}
		d := st.dbs[db]
		switch {
		case d == nil:
		case hs.Healthy:
			d.ServerCameUp(hs.Name)
		default:
			d.ServerWentDown(hs.Name)
		}
	}
}

func sameServers(a, b config.Database) bool {
	return a.Kind == b.Kind && a.Primary == b.Primary && a.Health == b.Health && slices.EqualFunc(a.Replicas, b.Replicas,
		func(x, y config.Replica) bool {
			return x.DSN == y.DSN && x.Weight == y.Weight && maps.Equal(x.Tags, y.Tags)
		})
}

// routePolicy is the router's form of a database's routing settings.
func routePolicy(c config.Routing) *route.Policy {
	b, _ := route.ParseBalance(c.Balance)
	return &route.Policy{Split: c.ReadWriteSplit, Balance: b, MaxLag: c.MaxLag, ReadYourWrites: c.ReadYourWrites,
		Prefer: c.Prefer, FailoverWait: c.FailoverWait}
}

// backendStatuses lists every checked server (admin GET /api/v1/backends).
func (a *App) backendStatuses() any {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := []health.Status{}
	for _, name := range slices.Sorted(maps.Keys(a.mu.checkers)) {
		sts := a.mu.checkers[name].c.Statuses()
		if d := a.mu.dbs[name]; d != nil {
			for i := range sts {
				sts[i].Breaker = d.BreakerState(sts[i].Name)
			}
		}
		out = append(out, sts...)
	}
	return out
}

// Reload re-reads the configuration file; on error the running
// configuration stays.
func (a *App) Reload(ctx context.Context) {
	if a.state.Load().cfg.Demo {
		a.log.Info("reload ignored in demo mode")
		return
	}
	_ = a.reload(ctx)
}

// reload is Reload that returns why a configuration was refused.
func (a *App) reload(ctx context.Context) error { return a.reloadIf(ctx, false) }

// reloadIf is reload; with onlyChanged it does nothing when the file
// and its references give the configuration in force (the periodic
// read of secrets).
func (a *App) reloadIf(ctx context.Context, onlyChanged bool) error {
	a.reloading.Lock() // SIGHUP, the file watcher, secrets refresh and the admin API
	defer a.reloading.Unlock()
	cur := a.state.Load()
	cfg, err := config.LoadWith(cur.cfg.Source, loadOptions(a.secrets))
	defer a.auditSecrets()
	if err == nil && onlyChanged {
		if reflect.DeepEqual(cfg, cur.fileCfg) {
			a.secrets.Sweep()
			return nil
		}
		a.log.Info("configuration or secrets changed; applying")
	}
	if err == nil {
		// TLS first: build puts databases and sinks in force and closes the
		// ones it replaces, so nothing may fail after it.
		var commitTLS func()
		if commitTLS, err = a.prepareTLS(cfg); err == nil {
			var st *state
			if st, err = a.build(ctx, cfg); err == nil {
				a.state.Store(st)
				commitTLS()
				a.secrets.Sweep()
				a.pg.SetConfig(a.pgConfig(cfg))
				a.my.SetConfig(a.myConfig(cfg))
				setLevel(a.level, cfg.Log.Level)
			}
		}
	}
	if err != nil {
		a.metrics.Reloads.WithLabelValues("error").Inc()
		a.log.Error("reload failed; keeping the running configuration", "error", err.Error())
		return err
	}
	a.metrics.Reloads.WithLabelValues("ok").Inc()
	a.log.Info("configuration reloaded", "databases", len(cfg.Databases), "users", len(cfg.Users))
	return nil
}

func (a *App) closeAll() {
	a.slow.Close()
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.store != nil {
		a.store.Close()
	}
	for _, s := range a.mu.sources {
		s.src.Close()
	}
	for _, c := range a.mu.checkers {
		c.c.Close()
	}
	a.closeCDCLocked()
	for _, d := range a.mu.dbs {
		d.Close()
	}
	a.caches.Close()
	a.closeLeasesLocked() // after the relays: every lease is revoked
	a.closeTracingLocked()
	if w := a.mu.sinks.audit; w != nil {
		if err := w.Close(); err != nil {
			a.log.Error("audit log", "error", err.Error())
		}
	}
	if l := a.mu.sinks.allowlist; l != nil {
		if err := l.Close(); err != nil {
			a.log.Error("firewall allow-list", "error", err.Error())
		}
	}
}

// wrongProtocol serves a database reached over the other protocol than
// its server speaks.
type wrongProtocol string

func (w wrongProtocol) Serve(context.Context, *pgwire.Conn) error {
	return pgwire.Fatalf(pgwire.CodeFeatureNotSupported, "database %q is a MySQL database; connect to it with a MySQL client", string(w))
}

// wrongMySQL answers a MySQL client that asked for a PostgreSQL database.
type wrongMySQL string

func (w wrongMySQL) Serve(context.Context, *mysqlwire.Conn) error {
	return mysqlwire.Fatalf(mysqlwire.ErNotSupportedYet, "database '%s' is a PostgreSQL database; connect to it with a PostgreSQL client", string(w))
}

func printBanner(w io.Writer, a Addrs, adminToken string) {
	host, port, _ := net.SplitHostPort(a.Postgres)
	myHost, myPort, _ := net.SplitHostPort(a.MySQL)
	fmt.Fprintf(w, `
  Floe is running in demo mode (no config file): an embedded SQLite database
  "demo" with sample tables customers, products and orders.

  Connect with psql (password: %[3]s):

      psql -h %[1]s -p %[2]s -U %[3]s %[4]s

  or with the mysql client:

      mysql -h %[6]s -P %[7]s -u %[3]s -p%[3]s %[4]s

  or over HTTP (JSON, CSV, Arrow, Parquet):

      curl -u %[3]s:%[3]s -H 'Content-Type: application/json' -d '{"database":"%[4]s","sql":"SELECT * FROM customers"}' http://%[8]s/v1/query

  Arrow Flight SQL: grpc://%[9]s

  Admin:   http://%[5]s/ (dashboard)  /healthz  /readyz  /metrics
  Admin API (this run's token):
      FLOE_ADMIN_TOKEN=%[10]s floe admin --server http://%[5]s sessions

  Stop with Ctrl-C. Write a floe.yaml (see docs/config.md) to front your own databases.

`, host, port, config.DemoUser, config.DemoDatabase, a.Admin, myHost, myPort, a.HTTP, a.FlightSQL, adminToken)
}

// buildVersion is the module version the binary was built from.
func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "devel"
}
