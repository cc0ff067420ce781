package config

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Defaults for pools and the front ends.
const (
	DefaultPoolSize         = 20
	DefaultIdleTimeout      = 10 * time.Minute
	DefaultMaxLifetime      = time.Hour
	DefaultAcquireTimeout   = 5 * time.Second
	DefaultHealthCheckAfter = 30 * time.Second
	DefaultHealthInterval   = 2 * time.Second
	DefaultHealthTimeout    = time.Second
	DefaultMaxMessageSize   = 64 << 20
	DefaultShutdownTimeout  = 30 * time.Second
	DefaultResetQuery       = "DISCARD ALL"
	DefaultConnectTimeout   = 5 * time.Second
	// A failed connect is tried up to three times in all, 100 ms then up
	// to 200 ms apart (full jitter, at most 1 s).
	DefaultConnectAttempts = 3
	DefaultRetryBackoff    = 100 * time.Millisecond
	DefaultRetryMaxBackoff = time.Second
	// The breaker opens after five failed connects in a row and lets a
	// probe through after 5 s.
	DefaultBreakerFailures    = 5
	DefaultBreakerOpenFor     = 5 * time.Second
	DefaultBreakerWindow      = 10 * time.Second
	DefaultBreakerMinRequests = 10
	// DefaultMaxStatementBytes bounds SQL texts when policy is on.
	DefaultMaxStatementBytes = 16 << 20
	DefaultAuditBuffer       = 4096
	MinAuditKeyBytes         = 32
)

// GrantActions are the actions a grant may name ("all" stands for every
// one of them).
var GrantActions = []string{"select", "insert", "update", "delete", "ddl", "copy", "execute", "admin", "all"}

// FirewallModes are the values of firewall.mode.
var FirewallModes = []string{"off", "detect", "protect", "learn", "enforce"}

// ApplyDefaults fills every unset field with its default.
func (c *Config) ApplyDefaults() {
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&c.Listen.Postgres, DefaultPostgresAddr)
	def(&c.Listen.MySQL, DefaultMySQLAddr)
	def(&c.Listen.HTTP, DefaultHTTPAddr)
	def(&c.Listen.FlightSQL, DefaultFlightSQLAddr)
	def(&c.Listen.Admin, DefaultAdminAddr)
	def(&c.Postgres.AuthMethod, "scram-sha-256")
	c.Tracing.applyDefaults()
	if c.MySQL.MaxPacketSize == 0 {
		c.MySQL.MaxPacketSize = DefaultMaxMessageSize
	}
	def(&c.MySQL.ServerVersion, DefaultMySQLVersion)
	c.applyNetworkDefaults()
	c.applyCDCDefaults()
	def(&c.Policy.Unparseable, "deny")
	def(&c.Policy.Catalog, "allow")
	def(&c.Policy.Input, "strict")
	if c.Policy.Login.MaxFailures > 0 {
		if c.Policy.Login.Window == 0 {
			c.Policy.Login.Window = time.Minute
		}
		if c.Policy.Login.Lockout == 0 {
			c.Policy.Login.Lockout = time.Minute
		}
	}
	if c.Policy.MaxStatementBytes == 0 {
		c.Policy.MaxStatementBytes = DefaultMaxStatementBytes
	}
	if c.Audit != nil {
		def(&c.Audit.OnFull, "drop")
		if c.Audit.Buffer == 0 {
			c.Audit.Buffer = DefaultAuditBuffer
		}
	}
	if c.Postgres.MaxMessageSize == 0 {
		c.Postgres.MaxMessageSize = DefaultMaxMessageSize
	}
	def(&c.Log.Level, "info")
	def(&c.Log.Format, "json")
	if c.Shutdown.Timeout == 0 {
		c.Shutdown.Timeout = DefaultShutdownTimeout
	}
	for i := range c.Databases {
		p := &c.Databases[i].Pool
		def(&p.Mode, PoolTransaction)
		if p.Size == 0 {
			p.Size = DefaultPoolSize
		}
		if p.IdleTimeout == 0 {
			p.IdleTimeout = DefaultIdleTimeout
		}
		if p.MaxLifetime == 0 {
			p.MaxLifetime = DefaultMaxLifetime
		}
		if p.AcquireTimeout == 0 {
			p.AcquireTimeout = DefaultAcquireTimeout
		}
		if p.HealthCheckAfter == 0 {
			p.HealthCheckAfter = DefaultHealthCheckAfter
		}
		def(&p.ResetQuery, DefaultResetQuery)
		if p.ConnectTimeout == 0 {
			p.ConnectTimeout = DefaultConnectTimeout
		}
		if p.Retry.Attempts == 0 {
			p.Retry.Attempts = DefaultConnectAttempts
		}
		if p.Retry.Backoff == 0 {
			p.Retry.Backoff = DefaultRetryBackoff
		}
		if p.Retry.MaxBackoff == 0 {
			p.Retry.MaxBackoff = max(DefaultRetryMaxBackoff, p.Retry.Backoff)
		}
		if b := &p.Breaker; !b.Disabled {
			if b.Failures == 0 {
				b.Failures = DefaultBreakerFailures
			}
			if b.OpenFor == 0 {
				b.OpenFor = DefaultBreakerOpenFor
			}
			if b.Window == 0 {
				b.Window = DefaultBreakerWindow
			}
			if b.MinRequests == 0 {
				b.MinRequests = DefaultBreakerMinRequests
			}
		}
		h := &c.Databases[i].Health
		if h.Interval == 0 {
			h.Interval = DefaultHealthInterval
		}
		if h.Timeout == 0 {
			h.Timeout = min(DefaultHealthTimeout, h.Interval)
		}
		if h.FailAfter == 0 {
			h.FailAfter = 3
		}
		if h.RiseAfter == 0 {
			h.RiseAfter = 2
		}
		for j := range c.Databases[i].Replicas {
			if c.Databases[i].Replicas[j].Weight == 0 {
				c.Databases[i].Replicas[j].Weight = 1
			}
		}
	}
}

// checker collects what validation finds wrong, and the names that later
// sections check references against.
type checker struct {
	errs Errors
	// databases, roles and users are the names defined, filled by the
	// sections that define them (validateDatabases, validateRoles,
	// validateUsers) before the sections that refer to them run.
	databases, roles, users map[string]bool
}

// bad records a problem with key.
func (v *checker) bad(key, format string, args ...any) {
	v.errs = append(v.errs, &Error{Key: key, Msg: fmt.Sprintf(format, args...)})
}

// validate checks c section by section; each error names its key (the
// loader adds the file and line).
func (c *Config) validate() Errors {
	v := &checker{}
	c.validateListen(v)
	c.validateProtocols(v)
	c.validateLog(v)
	c.validateDatabases(v)
	c.validateCDC(v)
	c.validateIdentities(v.bad)
	c.validateDynCreds(v.bad)
	c.validateSecrets(v)
	c.validateAdmin(v)
	c.validateStore(v)
	c.validateOIDC(v)
	c.validateOIDCWire(v.bad)
	c.validateRoles(v)
	c.validateUsers(v)
	c.validateFirewall(v)
	c.validateNetwork(v)
	c.validatePolicy(v)
	c.validateLimits(v)
	c.validateMasking(v)
	c.validateAudit(v)
	c.validateTracing(v.bad)
	c.validateSlow(v)
	c.validateAdvice(v)
	return v.errs
}

// validateListen checks listen: and tls:. A port is a number from 0 to
// 65535 or a service name; two listeners on the same port conflict when
// their hosts are the same or one of them is a wildcard (empty,
// 0.0.0.0 or ::), as net.Listen would find at start-up.
func (c *Config) validateListen(v *checker) {
	type bound struct{ key, host, port string }
	var seen []bound
	for _, l := range []struct{ key, addr string }{
		{"listen.postgres", c.Listen.Postgres}, {"listen.mysql", c.Listen.MySQL}, {"listen.http", c.Listen.HTTP},
		{"listen.flightsql", c.Listen.FlightSQL}, {"listen.admin", c.Listen.Admin},
	} {
		if l.addr == "off" {
			continue
		}
		host, port, err := net.SplitHostPort(l.addr)
		if err != nil {
			v.bad(l.key, "%q is not host:port (or off)", l.addr)
			continue
		}
		n, err := strconv.Atoi(port)
		switch {
		case err == nil && (n < 0 || n > 65535):
			v.bad(l.key, "port %s: want 0 to 65535", port)
			continue
		case err != nil:
			if _, err := net.LookupPort("tcp", port); err != nil || port == "" {
				v.bad(l.key, "port %q: want a number from 0 to 65535", port)
				continue
			}
			n = -1
		}
		if n == 0 {
			continue // any free port: never a conflict
		}
		for _, s := range seen {
			if s.port == port && (s.host == host || wildcardHost(s.host) || wildcardHost(host)) {
				v.bad(l.key, "port %s is also %s's: each listener needs a port of its own", port, s.key)
			}
		}
		seen = append(seen, bound{l.key, host, port})
	}
	if c.TLS != nil {
		validateTLS(v, c.TLS)
		validateTLSGroups(v, c.TLS)
		validateClientCerts(v, c.TLS)
	}
}

// wildcardHost reports whether host listens on every address.
func wildcardHost(host string) bool {
	return host == "" || host == "0.0.0.0" || host == "::"
}

// validateTLS checks that tls.cert and tls.key are readable PEM files
// holding a certificate and the private key that matches it (the
// listeners load them at start-up and on reload).
func validateTLS(v *checker, t *TLS) {
	if t.Cert == "" || t.Key == "" {
		v.bad("tls", "both cert and key are required")
		return
	}
	cert, err := os.ReadFile(t.Cert)
	if err != nil {
		v.bad("tls.cert", "%s: %v", t.Cert, unwrapPathErr(err))
	} else if b, _ := pem.Decode(cert); b == nil || b.Type != "CERTIFICATE" {
		v.bad("tls.cert", "%s: no PEM certificate in the file", t.Cert)
		cert = nil
	}
	key, err := os.ReadFile(t.Key)
	if err != nil {
		v.bad("tls.key", "%s: %v", t.Key, unwrapPathErr(err))
	} else if !hasPEMKey(key) {
		// The key's content is never echoed.
		v.bad("tls.key", "%s: no PEM private key in the file", t.Key)
		key = nil
	}
	if cert == nil || key == nil {
		return
	}
	if _, err := tls.X509KeyPair(cert, key); err != nil {
		msg := strings.TrimPrefix(err.Error(), "tls: ")
		if strings.Contains(msg, "does not match") {
			msg = "the key does not match the certificate (" + t.Cert + ")"
		}
		v.bad("tls.key", "%s", msg)
	}
}

// hasPEMKey reports whether data holds a PEM block of a private key.
func hasPEMKey(data []byte) bool {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return false
		}
		if b.Type == "PRIVATE KEY" || strings.HasSuffix(b.Type, " PRIVATE KEY") {
			return true
		}
	}
}

// validateProtocols checks the front ends' settings (postgres:, mysql:).
func (c *Config) validateProtocols(v *checker) {
	switch c.Postgres.AuthMethod {
	case "scram-sha-256", "md5":
	default:
		v.bad("postgres.auth_method", "%q: want scram-sha-256 or md5", c.Postgres.AuthMethod)
	}
	if c.Postgres.MaxMessageSize < 1024 {
		v.bad("postgres.max_message_size", "must be at least 1024 bytes")
	}
	if c.MySQL.MaxPacketSize < 1024 || c.MySQL.MaxPacketSize > 1<<30 {
		v.bad("mysql.max_packet_size", "must be between 1024 bytes and 1 GiB")
	}
	if c.MySQL.MaxConnections < 0 {
		v.bad("mysql.max_connections", "must not be negative")
	}
	if strings.ContainsRune(c.MySQL.ServerVersion, 0) {
		v.bad("mysql.server_version", "must not contain NUL")
	}
}

// validateLog checks log:.
func (c *Config) validateLog(v *checker) {
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		v.bad("log.level", "%q: want debug, info, warn or error", c.Log.Level)
	}
	switch c.Log.Format {
	case "json", "text":
	default:
		v.bad("log.format", "%q: want json or text", c.Log.Format)
	}
}

// validateDatabases checks databases: and records their names.
func (c *Config) validateDatabases(v *checker) {
	if len(c.Databases) == 0 {
		v.bad("databases", "at least one database is required")
	}
	v.databases = map[string]bool{}
	for i := range c.Databases {
		d := &c.Databases[i]
		key := fmt.Sprintf("databases[%d]", i)
		switch {
		case d.Name == "":
			v.bad(key+".name", "is required")
		case v.databases[d.Name]:
			v.bad(key+".name", "duplicate database %q", d.Name)
		}
		v.databases[d.Name] = true
		validateServers(v, key, d)
		validatePool(v, key, d)
		validateCache(v, key, d)
	}
}

// validateServers checks a database's kind and where its servers (or
// file) are, and its health checks and routing.
func validateServers(v *checker, key string, d *Database) {
	switch d.Kind {
	case KindPostgres, KindMySQL:
		if d.Primary == "" {
			v.bad(key+".primary", "is required for kind %s", d.Kind)
		} else if err := checkDSN(d.Kind, d.Primary); err != "" {
			v.bad(key+".primary", "%s", err)
		}
		for j, r := range d.Replicas {
			rk := fmt.Sprintf("%s.replicas[%d]", key, j)
			if r.DSN == "" {
				v.bad(rk, "a replica is a DSN or {dsn, weight, tags}")
			} else if err := checkDSN(d.Kind, r.DSN); err != "" {
				v.bad(rk, "%s", err)
			}
			if r.Weight < 0 {
				v.bad(rk+".weight", "must be positive")
			}
		}
		if d.Path != "" {
			v.bad(key+".path", "only for kind sqlite")
		}
	case KindSQLite:
		if d.Path == "" {
			v.bad(key+".path", "is required for kind sqlite")
		}
		if d.Primary != "" || len(d.Replicas) > 0 {
			v.bad(key+".primary", "kind sqlite takes path, not primary/replicas")
		}
	case "":
		v.bad(key+".kind", "is required (postgres, mysql or sqlite)")
	default:
		v.bad(key+".kind", "%q: want postgres, mysql or sqlite", d.Kind)
	}
}

// validatePool checks a database's pool:, health: and routing:.
func validatePool(v *checker, key string, d *Database) {
	p := d.Pool
	switch p.Mode {
	case PoolSession, PoolTransaction:
	case PoolStatement:
		if d.Kind == KindMySQL {
			v.bad(key+".pool.mode", "statement mode is for PostgreSQL databases; use transaction")
		}
	default:
		v.bad(key+".pool.mode", "%q: want session, transaction or statement", p.Mode)
	}
	if p.Size < 1 {
		v.bad(key+".pool.size", "must be at least 1")
	}
	if p.MinIdle < 0 || p.MinIdle > p.Size {
		v.bad(key+".pool.min_idle", "must be between 0 and pool.size (%d)", p.Size)
	}
	if h := d.Health; h.Interval < 100*time.Millisecond {
		v.bad(key+".health.interval", "must be at least 100ms")
	} else if h.Timeout <= 0 || h.Timeout > h.Interval {
		v.bad(key+".health.timeout", "must be positive and at most health.interval (%s)", h.Interval)
	}
	switch d.Routing.Balance {
	case "", "round_robin", "weighted", "least_outstanding":
	default:
		v.bad(key+".routing.balance", "%q: want round_robin, weighted or least_outstanding", d.Routing.Balance)
	}
	if d.Routing.MaxLag < 0 || d.Routing.ReadYourWrites < 0 || d.Routing.FailoverWait < 0 {
		v.bad(key+".routing", "max_lag, read_your_writes and failover_wait must not be negative")
	}
	if d.Health.FailAfter < 1 {
		v.bad(key+".health.fail_after", "must be at least 1")
	}
	if d.Health.RiseAfter < 1 {
		v.bad(key+".health.rise_after", "must be at least 1")
	}
	if p.Retry.Attempts < 1 || p.Retry.Attempts > 10 {
		v.bad(key+".pool.retry.attempts", "must be between 1 and 10")
	}
	if p.Retry.MaxBackoff < p.Retry.Backoff {
		v.bad(key+".pool.retry.max_backoff", "must be at least retry.backoff (%s)", p.Retry.Backoff)
	}
	if b := p.Breaker; !b.Disabled {
		if b.Failures < 1 {
			v.bad(key+".pool.breaker.failures", "must be at least 1")
		}
		if b.ErrorRate < 0 || b.ErrorRate > 1 {
			v.bad(key+".pool.breaker.error_rate", "must be between 0 and 1")
		}
		if b.MinRequests < 1 {
			v.bad(key+".pool.breaker.min_requests", "must be at least 1")
		}
		if b.OpenFor < 0 || b.Window < 0 {
			v.bad(key+".pool.breaker", "open_for and window must not be negative")
		}
	}
	for _, t := range []struct {
		key string
		d   time.Duration
	}{
		{"idle_timeout", p.IdleTimeout}, {"max_lifetime", p.MaxLifetime},
		{"acquire_timeout", p.AcquireTimeout}, {"health_check_after", p.HealthCheckAfter},
		{"connect_timeout", p.ConnectTimeout}, {"query_timeout", p.QueryTimeout},
		{"idle_in_transaction_timeout", p.IdleInTransactionTimeout},
		{"retry.backoff", p.Retry.Backoff},
	} {
		if t.d < 0 {
			v.bad(key+".pool."+t.key, "must not be negative")
		}
	}
}

// validateSecrets checks secrets:.
func (c *Config) validateSecrets(v *checker) {
	if vc := c.Secrets.Vault; vc != nil {
		if checkURL(vc.Address, "https", "http") != "" {
			v.bad("secrets.vault.address", "want the server's https:// URL")
		}
		if vc.Token == "" && (vc.RoleID == "" || vc.SecretID == "") {
			v.bad("secrets.vault", "needs token, or role_id and secret_id (AppRole)")
		}
	}
	if c.Secrets.Refresh < 0 {
		v.bad("secrets.refresh", "must not be negative")
	}
	c.validateCloudSecrets(v)
}

// validateAdmin checks admin: (API tokens, break-glass access).
func (c *Config) validateAdmin(v *checker) {
	tokenNames := map[string]bool{}
	for i, t := range c.Admin.Tokens {
		key := fmt.Sprintf("admin.tokens[%d]", i)
		switch {
		case t.Name == "":
			v.bad(key+".name", "is required")
		case tokenNames[t.Name]:
			v.bad(key+".name", "duplicate token name %q", t.Name)
		}
		tokenNames[t.Name] = true
		switch {
		case t.Hash == "" && t.Token == "":
			v.bad(key, "needs hash (from `floe admin new-token`) or token (from ${env:} or ${file:})")
		case t.Hash != "" && t.Token != "":
			v.bad(key, "set hash or token, not both")
		case t.Hash != "" && !validTokenHash(t.Hash):
			v.bad(key+".hash", "want sha256:<64 hex digits> (from `floe admin new-token`)")
		case t.Token != "" && len(t.Token) < 16:
			v.bad(key+".token", "is too short (at least 16 characters; `floe admin new-token` makes one)")
		}
		if len(t.Scopes) == 0 {
			v.bad(key+".scopes", "is required (read or admin)")
		}
		for j, sc := range t.Scopes {
			if !slices.Contains(AdminScopes, sc) {
				v.bad(fmt.Sprintf("%s.scopes[%d]", key, j), "%q: want read or admin", sc)
			}
		}
	}
	if bg := c.Admin.BreakGlass; bg.Enabled && !validTokenHash(bg.Hash) {
		v.bad("admin.break_glass.hash", "want sha256:<64 hex digits> (from `floe admin new-token`) when enabled")
	}
}

// validateStore checks store:.
func (c *Config) validateStore(v *checker) {
	s := c.Store
	if s == nil {
		return
	}
	switch s.Kind {
	case "postgres":
		if !strings.HasPrefix(s.DSN, "postgres://") && !strings.HasPrefix(s.DSN, "postgresql://") {
			v.bad("store.dsn", "want postgres://… for kind postgres")
		}
	case "redis":
		if _, _, err := net.SplitHostPort(s.Address); err != nil {
			v.bad("store.address", "want host:port for kind redis")
		}
	default:
		v.bad("store.kind", "%q: want postgres or redis", s.Kind)
	}
}

// validateOIDC checks oidc:.
func (c *Config) validateOIDC(v *checker) {
	o := c.OIDC
	if o == nil {
		return
	}
	if checkURL(o.Issuer, "https", "http") != "" {
		v.bad("oidc.issuer", "want the issuer's https:// URL")
	}
	if o.Audience == "" {
		v.bad("oidc.audience", "is required (the client id tokens are issued for)")
	}
	if len(o.Roles) == 0 && len(o.AdminScopes) == 0 {
		v.bad("oidc", "map groups to gateway roles (roles) or admin scopes (admin_scopes)")
	}
	for g, sc := range o.AdminScopes {
		if !slices.Contains(AdminScopes, sc) {
			v.bad("oidc.admin_scopes."+g, "%q: want read or admin", sc)
		}
	}
	for g, rs := range o.Roles {
		for _, r := range rs {
			if !slices.ContainsFunc(c.Roles, func(x Role) bool { return x.Name == r }) {
				v.bad("oidc.roles."+g, "unknown role %q", r)
			}
		}
	}
}

// validateRoles checks roles: (grants, row filters) and records their
// names.
func (c *Config) validateRoles(v *checker) {
	v.roles = map[string]bool{}
	for i, r := range c.Roles {
		key := fmt.Sprintf("roles[%d]", i)
		if r.Name == "" {
			v.bad(key+".name", "is required")
		}
		v.roles[r.Name] = true
		for j, f := range r.RowFilters {
			fk := fmt.Sprintf("%s.row_filters[%d]", key, j)
			if !v.databases[f.Database] {
				v.bad(fk+".database", "unknown database %q", f.Database)
			}
			if f.Table == "" || strings.Count(f.Table, ".") > 1 || strings.Contains(f.Table, "*") {
				v.bad(fk+".table", "%q: want name or schema.name", f.Table)
			}
			if strings.TrimSpace(f.Where) == "" {
				v.bad(fk+".where", "is required")
			}
		}
		for j, g := range r.Grants {
			validateGrant(v, fmt.Sprintf("%s.grants[%d]", key, j), g)
		}
	}
}

// validateGrant checks one grant of a role.
func validateGrant(v *checker, gk string, g Grant) {
	if g.Database != "*" && !v.databases[g.Database] {
		v.bad(gk+".database", "unknown database %q", g.Database)
	}
	if len(g.Actions) == 0 {
		v.bad(gk+".actions", "is required (%s)", strings.Join(GrantActions, ", "))
	}
	for k, a := range g.Actions {
		if !slices.Contains(GrantActions, a) {
			v.bad(fmt.Sprintf("%s.actions[%d]", gk, k), "%q: want one of %s", a, strings.Join(GrantActions, ", "))
		}
	}
	if len(g.Columns) > 0 {
		if len(g.Tables) == 0 {
			v.bad(gk+".columns", "column grants name their tables")
		}
		for k, a := range g.Actions {
			if a != "select" {
				v.bad(fmt.Sprintf("%s.actions[%d]", gk, k), "%q: column grants take the select action", a)
			}
		}
	}
	if len(g.Functions) > 0 && len(g.Tables) > 0 {
		v.bad(gk, "a grant names tables or functions, not both")
	}
	if len(g.Functions) > 0 {
		for k, a := range g.Actions {
			if a != "execute" && a != "all" {
				v.bad(fmt.Sprintf("%s.actions[%d]", gk, k), "%q: functions take the execute action", a)
			}
		}
	}
	for k, t := range append(append([]string{}, g.Tables...), g.Functions...) {
		if _, err := path.Match(t, ""); err != nil || t == "" || strings.Count(t, ".") > 1 {
			v.bad(fmt.Sprintf("%s.tables[%d]", gk, k), "%q: want name, schema.name or a pattern with *", t)
		}
	}
}

// validateUsers checks users: and records their names.
func (c *Config) validateUsers(v *checker) {
	if len(c.Users) == 0 && !c.Demo {
		v.bad("users", "at least one user is required: Floe does not run open")
	}
	v.users = map[string]bool{}
	for i, u := range c.Users {
		key := fmt.Sprintf("users[%d]", i)
		switch {
		case u.Name == "":
			v.bad(key+".name", "is required")
		case v.users[u.Name]:
			v.bad(key+".name", "duplicate user %q", u.Name)
		}
		v.users[u.Name] = true
		switch {
		case u.Password == "" && u.SCRAM == "" && u.CertificateOnly():
		case u.Password == "" && u.SCRAM == "":
			v.bad(key, "password or scram is required")
		case u.Password != "" && u.SCRAM != "":
			v.bad(key, "set password or scram, not both")
		case u.SCRAM != "":
			if what := checkVerifier(u.SCRAM); what != "" {
				v.bad(key+".scram", "%s: want SCRAM-SHA-256$<iterations>:<salt>$<stored key>:<server key> (make one with `floe passwd`)", what)
			}
		}
		validateUserAuth(v, key, u, c.TLS)
		for j, r := range u.Roles {
			if !v.roles[r] {
				v.bad(fmt.Sprintf("%s.roles[%d]", key, j), "unknown role %q", r)
			}
		}
		for j, d := range u.Databases {
			if !v.databases[d] {
				v.bad(fmt.Sprintf("%s.databases[%d]", key, j), "unknown database %q", d)
			}
		}
	}
}

// validateFirewall checks firewall:.
func (c *Config) validateFirewall(v *checker) {
	fw := c.Firewall
	if fw == nil {
		return
	}
	if fw.Mode != "" && !slices.Contains(FirewallModes, fw.Mode) {
		v.bad("firewall.mode", "%q: want off, detect, protect, learn or enforce", fw.Mode)
	}
	if l := fw.Literals; l != "" && l != "log" && l != "block" {
		v.bad("firewall.literals", "%q: want log or block", l)
	}
	needList := fw.Mode == "learn" || fw.Mode == "enforce"
	for i, o := range fw.Overrides {
		key := fmt.Sprintf("firewall.overrides[%d]", i)
		if o.Database == "" && o.User == "" {
			v.bad(key, "names a database, a user or both")
		}
		if o.Database != "" && !v.databases[o.Database] {
			v.bad(key+".database", "unknown database %q", o.Database)
		}
		if o.User != "" && !v.users[o.User] {
			v.bad(key+".user", "unknown user %q", o.User)
		}
		if o.Mode != "" && !slices.Contains(FirewallModes, o.Mode) {
			v.bad(key+".mode", "%q: want off, detect, protect, learn or enforce", o.Mode)
		}
		needList = needList || o.Mode == "learn" || o.Mode == "enforce"
	}
	if needList && fw.Allowlist == "" {
		v.bad("firewall.allowlist", "learn and enforce modes need an allow-list file")
	}
}

// validatePolicy checks policy:.
func (c *Config) validatePolicy(v *checker) {
	for _, p := range []struct{ key, value, want string }{
		{"policy.unparseable", c.Policy.Unparseable, "deny allow"},
		{"policy.catalog", c.Policy.Catalog, "allow deny"},
		{"policy.input", c.Policy.Input, "strict off"},
	} {
		if p.value != "" && !slices.Contains(strings.Fields(p.want), p.value) {
			v.bad(p.key, "%q: want %s", p.value, strings.Join(strings.Fields(p.want), " or "))
		}
	}
	if lt := c.Policy.Login; lt.MaxFailures < 0 || lt.Window < 0 || lt.Lockout < 0 {
		v.bad("policy.login", "must not be negative")
	}
	if c.Policy.MaxStatementBytes < 0 {
		v.bad("policy.max_statement_bytes", "must not be negative")
	}
}

// validateLimits checks limits:.
func (c *Config) validateLimits(v *checker) {
	for i, l := range c.Limits {
		key := fmt.Sprintf("limits[%d]", i)
		if l.Shared && (c.Store == nil || c.Store.Kind != "redis") {
			v.bad(key+".shared", "shared limits need a Redis store (store.kind: redis)")
		}
		if l.Shared && l.Rate == 0 {
			v.bad(key+".shared", "only a rate can be shared")
		}
		switch l.Per {
		case "user", "client", "database":
		default:
			v.bad(key+".per", "%q: want user, client or database", l.Per)
		}
		if l.Database != "" && !v.databases[l.Database] {
			v.bad(key+".database", "unknown database %q", l.Database)
		}
		if l.User != "" && !v.users[l.User] {
			v.bad(key+".user", "unknown user %q", l.User)
		}
		if l.Client != "" {
			if _, err := netip.ParsePrefix(l.Client); err != nil {
				if _, err := netip.ParseAddr(l.Client); err != nil {
					v.bad(key+".client", "%q: want an address or CIDR", l.Client)
				}
			}
		}
		if l.Rate < 0 || l.Burst < 0 || l.ConcurrentQueries < 0 || l.Connections < 0 || l.StatementTimeout < 0 || l.MaxResultRows < 0 || l.MaxResultBytes < 0 {
			v.bad(key, "limits must not be negative")
		}
		if l.Rate == 0 && l.ConcurrentQueries == 0 && l.Connections == 0 && l.StatementTimeout == 0 && l.MaxResultRows == 0 && l.MaxResultBytes == 0 {
			v.bad(key, "sets no limit (rate, concurrent_queries, connections, statement_timeout, max_result_rows, max_result_bytes)")
		}
	}
}

// validateMasking checks masking:.
func (c *Config) validateMasking(v *checker) {
	for i, m := range c.Masking {
		key := fmt.Sprintf("masking[%d]", i)
		if m.Database == "" {
			v.bad(key+".database", "is required (a name or a glob)")
		} else if _, err := path.Match(m.Database, ""); err != nil {
			v.bad(key+".database", "%q: bad pattern", m.Database)
		} else if !strings.ContainsAny(m.Database, "*?[") && !v.databases[m.Database] {
			v.bad(key+".database", "unknown database %q", m.Database)
		}
		if m.Column == "" {
			v.bad(key+".column", "is required (a name or a glob)")
		}
		for _, p := range []string{m.Table, m.Column} {
			if _, err := path.Match(p, ""); err != nil {
				v.bad(key, "%q: bad pattern", p)
			}
		}
		if !slices.Contains(MaskMethods, m.Method) {
			v.bad(key+".method", "%q: want %s", m.Method, strings.Join(MaskMethods, ", "))
		}
		if m.Keep < 0 || m.Keep > 0 && m.Method != "partial" {
			v.bad(key+".keep", "is a positive count for method partial")
		}
		if m.Key != "" && m.Method != "hash" {
			v.bad(key+".key", "is for method hash")
		}
		for j, r := range m.ExceptRoles {
			if !v.roles[r] {
				v.bad(fmt.Sprintf("%s.except_roles[%d]", key, j), "unknown role %q", r)
			}
		}
	}
}

// validateAudit checks audit:.
func (c *Config) validateAudit(v *checker) {
	a := c.Audit
	if a == nil {
		return
	}
	if a.File == "" && !a.Stdout {
		v.bad("audit", "set file, stdout or both")
	}
	if a.OnFull != "" && a.OnFull != "drop" && a.OnFull != "block" {
		v.bad("audit.on_full", "%q: want drop or block", a.OnFull)
	}
	if a.Key != "" && len(a.Key) < MinAuditKeyBytes {
		v.bad("audit.key", "want at least %d bytes (e.g. openssl rand -hex 32)", MinAuditKeyBytes)
	}
	if a.Checkpoints != "" {
		if a.Key == "" {
			v.bad("audit.checkpoints", "needs audit.key (unkeyed checkpoints could be rewritten with the log)")
		}
		if a.Checkpoints == a.File {
			v.bad("audit.checkpoints", "must be another file than audit.file")
		}
	}
	if a.CheckpointEvery < 0 {
		v.bad("audit.checkpoint_every", "must not be negative")
	}
	if a.CheckpointInterval < 0 {
		v.bad("audit.checkpoint_interval", "must not be negative")
	}
}

// checkDSN reports what is wrong with a backend DSN, without echoing it
// (it may hold a password).
func checkDSN(kind, dsn string) string {
	return checkURL(dsn, map[string][]string{KindPostgres: {"postgres", "postgresql"}, KindMySQL: {"mysql"}}[kind]...)
}

// checkURL reports what is wrong with a URL that must have one of the
// schemes want and a host, without echoing it.
func checkURL(s string, want ...string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "not a valid URL"
	}
	for _, s := range want {
		if u.Scheme == s {
			if u.Host == "" {
				return "the URL has no host"
			}
			return ""
		}
	}
	return fmt.Sprintf("scheme %q: want %s://", u.Scheme, want[0])
}

// GrantsConfigured reports whether grants are in force: every statement
// then needs a grant (deny by default). They are once any role grants
// anything, and always with a shared store, whose roles come and go: a
// revoked last grant must not leave the gateway open.
func (c *Config) GrantsConfigured() bool {
	if c.Store != nil {
		return true
	}
	for _, r := range c.Roles {
		if len(r.Grants) > 0 || len(r.RowFilters) > 0 {
			return true
		}
	}
	return false
}

// validTokenHash reports whether h is sha256: and 64 lower-case hex digits.
func validTokenHash(h string) bool {
	hex, ok := strings.CutPrefix(h, "sha256:")
	if !ok || len(hex) != 64 {
		return false
	}
	for _, r := range hex {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}

// Overlay is what the shared store adds to the file.
type Overlay struct {
	Users             []User             `json:"users,omitempty"`
	Roles             []Role             `json:"roles,omitempty"`
	Masking           []MaskRule         `json:"masking,omitempty"`
	Limits            []Limit            `json:"limits,omitempty"`
	FirewallOverrides []FirewallOverride `json:"firewall_overrides,omitempty"`
	// NetworkRules come before the file's network rules.
	NetworkRules []NetworkRule `json:"network_rules,omitempty"`
	// Databases are kept with their references unexpanded: a DSN's
	// password is always a ${env:}, ${file:} or ${vault:} reference.
	Databases []Database `json:"databases,omitempty"`
}

// Empty reports whether o adds nothing.
func (o Overlay) Empty() bool {
	return len(o.Users)+len(o.Roles)+len(o.Masking)+len(o.Limits)+len(o.FirewallOverrides)+len(o.Databases)+len(o.NetworkRules) == 0
}

// WithOverlay is c with o's entries added after the file's, defaulted
// and validated again; a user or role name that c already defines is an
// error.
// expand resolves the references of the store's database DSNs (nil:
// none may have any).
func (c *Config) WithOverlay(o Overlay, expand func(string) (string, error)) (*Config, error) {
	n := *c
	var errs Errors
	for _, d := range o.Databases {
		key := fmt.Sprintf("databases[%s]", d.Name)
		if slices.ContainsFunc(c.Databases, func(x Database) bool { return x.Name == d.Name }) {
			errs = append(errs, &Error{Key: key + ".name", Msg: fmt.Sprintf("database %q is defined in the file", d.Name)})
			continue
		}
		d.Replicas = slices.Clone(d.Replicas) // d is a copy: expand it, not the store's
		dsns := []*string{&d.Primary}
		for j := range d.Replicas {
			dsns = append(dsns, &d.Replicas[j].DSN)
		}
		refused := false
		for _, p := range dsns {
			if err := storeDSNRefs(*p); err != nil {
				errs = append(errs, &Error{Key: key, Msg: err.Error()})
				refused = true
			}
		}
		if refused {
			continue // its references are not read
		}
		d.Identities = slices.Clone(d.Identities)
		for j := range d.Identities {
			p := &d.Identities[j].Password
			if *p != "" && !onlyRefs(*p) {
				errs = append(errs, &Error{Key: fmt.Sprintf("%s.identities[%d].password", key, j), Msg: "must be a ${env:}, ${file:} or ${vault:} reference"})
				continue
			}
			dsns = append(dsns, p)
		}
		for _, p := range dsns {
			if *p == "" {
				continue
			}
			if what := dsnSecret(*p); what != "" {
				errs = append(errs, &Error{Key: key, Msg: what})
				continue
			}
			if strings.Contains(*p, "${") {
				if expand == nil {
					errs = append(errs, &Error{Key: key, Msg: "references cannot be read here"})
					continue
				}
				v, err := expand(*p)
				if err != nil {
					errs = append(errs, &Error{Key: key, Msg: err.Error()})
					continue
				}
				*p = v
			}
		}
		n.Databases = append(slices.Clone(n.Databases), d)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	n.Users = append(slices.Clone(c.Users), o.Users...)
	n.Roles = append(slices.Clone(c.Roles), o.Roles...)
	n.Masking = append(slices.Clone(c.Masking), o.Masking...)
	n.Limits = append(slices.Clone(c.Limits), o.Limits...)
	n.Network = c.withNetworkOverlay(o.NetworkRules)
	if len(o.FirewallOverrides) > 0 {
		if c.Firewall == nil {
			return nil, Errors{{Key: "firewall", Msg: "firewall overrides need a firewall section in the configuration file"}}
		}
		fw := *c.Firewall
		fw.Overrides = append(slices.Clone(fw.Overrides), o.FirewallOverrides...)
		n.Firewall = &fw
	}
	seen := map[string]bool{}
	for i, u := range n.Users {
		if seen["u:"+u.Name] {
			errs = append(errs, &Error{Key: fmt.Sprintf("users[%d].name", i), Msg: fmt.Sprintf("user %q is defined twice (in the file and the store)", u.Name)})
		}
		seen["u:"+u.Name] = true
	}
	for i, r := range n.Roles {
		if seen["r:"+r.Name] {
			errs = append(errs, &Error{Key: fmt.Sprintf("roles[%d].name", i), Msg: fmt.Sprintf("role %q is defined twice (in the file and the store)", r.Name)})
		}
		seen["r:"+r.Name] = true
	}
	if len(errs) > 0 {
		return nil, errs
	}
	n.ApplyDefaults()
	if errs := n.validate(); len(errs) > 0 {
		return nil, errs
	}
	return &n, nil
}

// checkVerifier reports what is wrong with a SCRAM-SHA-256 verifier in
// PostgreSQL's form, SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>
// (base64; both keys 32 bytes), without echoing it; the gateway reads it
// with authn.ParseVerifier at start-up, which accepts what this accepts.
func checkVerifier(s string) string {
	rest, ok := strings.CutPrefix(s, "SCRAM-SHA-256$")
	if !ok {
		return "not a SCRAM-SHA-256 verifier"
	}
	params, keys, ok := strings.Cut(rest, "$")
	iters, salt, ok1 := strings.Cut(params, ":")
	stored, server, ok2 := strings.Cut(keys, ":")
	if !ok || !ok1 || !ok2 {
		return "malformed verifier"
	}
	if n, err := strconv.Atoi(iters); err != nil || n < 1 {
		return "the iteration count is not a positive number"
	}
	if b, err := base64.StdEncoding.DecodeString(salt); err != nil || len(b) == 0 {
		return "the salt is not base64"
	}
	for _, k := range []string{stored, server} {
		if b, err := base64.StdEncoding.DecodeString(k); err != nil || len(b) != sha256.Size {
			return "the stored and server keys must be base64 of 32 bytes"
		}
	}
	return ""
}
