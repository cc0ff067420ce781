package config

import (
	"fmt"
	"net/url"
	"time"

	"go.yaml.in/yaml/v3"
)

// Default listener addresses (DESIGN §6). Every one is loopback: exposing
// the gateway on a network is an explicit decision made in the config file.
const (
	DefaultPostgresAddr = "127.0.0.1:6432"
	DefaultMySQLAddr    = "127.0.0.1:3307"
	// DefaultMySQLVersion is the server version MySQL clients see.
	DefaultMySQLVersion  = "8.0.40-floe"
	DefaultHTTPAddr      = "127.0.0.1:8080"
	DefaultFlightSQLAddr = "127.0.0.1:8815"
	DefaultAdminAddr     = "127.0.0.1:8081"
)

// Database kinds.
const (
	KindPostgres = "postgres"
	KindMySQL    = "mysql"
	KindSQLite   = "sqlite"
)

// Pool modes, with the meaning PgBouncer gives them.
const (
	PoolSession     = "session"
	PoolTransaction = "transaction"
	PoolStatement   = "statement"
)

// Config is the whole gateway configuration after expansion, defaults and
// validation. It is immutable once Load returns; a reload builds a new one.
type Config struct {
	Listen    Listen      `yaml:"listen"`
	TLS       *TLS        `yaml:"tls"`
	MySQL     MySQL       `yaml:"mysql"`
	Postgres  Postgres    `yaml:"postgres"`
	Log       Log         `yaml:"log"`
	Shutdown  Shutdown    `yaml:"shutdown"`
	Databases []Database  `yaml:"databases"`
	Users     []User      `yaml:"users"`
	Roles     []Role      `yaml:"roles"`
	Policy    Policy      `yaml:"policy"`
	Firewall  *Firewall   `yaml:"firewall"`
	Network   *Network    `yaml:"network"`
	Masking   []MaskRule  `yaml:"masking"`
	Limits    []Limit     `yaml:"limits"`
	Audit     *AuditSinks `yaml:"audit"`
	Admin     Admin       `yaml:"admin"`
	Reload    Reload      `yaml:"reload"`
	OIDC      *OIDC       `yaml:"oidc"`
	Store     *Store      `yaml:"store"`
	Secrets   Secrets     `yaml:"secrets"`
	// Tracing: OpenTelemetry spans of statements (tracing.go).
	Tracing Tracing `yaml:"tracing"`
	// Slow is every database's default slow-statement log (slow.go).
	Slow *Slow `yaml:"slow"`
	// Advice tunes index advice (advice.go).
	Advice *Advice `yaml:"advice"`

	// Demo is set for the built-in demo configuration, never from a file.
	Demo bool `yaml:"-"`
	// Source is the file the configuration came from ("" in demo mode).
	Source string `yaml:"-"`
}

// Listen holds the listener addresses. An empty string after defaults
// means "use the default"; the value "off" disables a listener.
type Listen struct {
	Postgres  string `yaml:"postgres"`
	MySQL     string `yaml:"mysql"`
	HTTP      string `yaml:"http"`
	FlightSQL string `yaml:"flightsql"`
	Admin     string `yaml:"admin"`
}

// TLS names the certificate and key offered to clients.
type TLS struct {
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
	// ClientCerts: client certificate authentication (mtls.go).
	ClientCerts `yaml:",inline"`
	// Groups are the key-exchange groups offered and accepted, on the
	// listeners and on backend connections (tlsgroups.go); empty:
	// crypto/tls's default, post-quantum first.
	Groups []string `yaml:"groups"`
}

// MySQL holds MySQL front-end options.
type MySQL struct {
	// LocalInfile lets LOAD DATA LOCAL INFILE through; off by default
	// because it makes the client send a file the server names.
	LocalInfile bool `yaml:"local_infile"`
	// MaxPacketSize caps one client packet in bytes (max_allowed_packet);
	// larger ones are answered with error 1153 and the connection closed.
	MaxPacketSize int `yaml:"max_packet_size"`
	// MaxConnections caps concurrent client connections (0: unlimited).
	MaxConnections int `yaml:"max_connections"`
	// ServerVersion is the version string clients see in the handshake.
	ServerVersion string `yaml:"server_version"`
}

// Postgres holds PostgreSQL front-end options.
type Postgres struct {
	// AuthMethod is how clients prove who they are: scram-sha-256 (default) or md5.
	AuthMethod string `yaml:"auth_method"`
	// MaxMessageSize caps one client message in bytes; larger ones are
	// answered with an error and the connection is closed.
	MaxMessageSize int `yaml:"max_message_size"`
	// MaxConnections caps concurrent client connections (0: unlimited).
	MaxConnections int `yaml:"max_connections"`
}

// Log configures the structured log.
type Log struct {
	Level  string `yaml:"level"`  // debug | info | warn | error
	Format string `yaml:"format"` // json | text
}

// Shutdown configures graceful shutdown.
type Shutdown struct {
	// Timeout is how long running transactions may go on after SIGTERM.
	Timeout time.Duration `yaml:"timeout"`
}

// Database is one logical database clients can ask for.
type Database struct {
	Name     string    `yaml:"name"`
	Kind     string    `yaml:"kind"`
	Primary  string    `yaml:"primary"`
	Replicas []Replica `yaml:"replicas"`
	Path     string    `yaml:"path"` // sqlite
	Pool     Pool      `yaml:"pool"`
	Routing  Routing   `yaml:"routing"`
	Health   Health    `yaml:"health"`
	// Identities are the backend logins the sessions of gateway roles
	// use, so that the server's own privileges back each role's grants
	// (see identity.go). Empty: every session uses the primary's login.
	Identities []Identity `yaml:"identities"`
	// Provision: Floe provisions the identities' logins itself, at start
	// and on every reload (as `floe provision` does).
	Provision bool `yaml:"provision"`
	// Slow records this database's slow statements and their plans
	// (slow.go); unset fields take the top-level slow's.
	Slow *Slow `yaml:"slow"`
	// CDC follows the database's change stream (cdc.go).
	CDC *CDC `yaml:"cdc"`
	// Advice overrides the top-level advice settings (advice.go).
	Advice *Advice `yaml:"advice"`
	// Cache is the database's result cache (nil: off; cache.go).
	Cache *Cache `yaml:"cache"`
}

// Pool configures the backend connection pool of one database.
type Pool struct {
	Mode           string        `yaml:"mode"`
	Size           int           `yaml:"size"`
	MinIdle        int           `yaml:"min_idle"`
	IdleTimeout    time.Duration `yaml:"idle_timeout"`
	MaxLifetime    time.Duration `yaml:"max_lifetime"`
	AcquireTimeout time.Duration `yaml:"acquire_timeout"`
	// HealthCheckAfter: a connection idle longer than this is pinged
	// before it is handed out.
	HealthCheckAfter time.Duration `yaml:"health_check_after"`
	// ResetQuery runs when a session-mode connection is released.
	ResetQuery string `yaml:"reset_query"`
	// ConnectTimeout bounds one attempt to open a backend connection.
	ConnectTimeout time.Duration `yaml:"connect_timeout"`
	// QueryTimeout cancels statements that run longer on the backend
	// (0: none; limits[].statement_timeout may be tighter).
	QueryTimeout time.Duration `yaml:"query_timeout"`
	// IdleInTransactionTimeout closes a client session that sits inside
	// an open transaction without sending anything for this long (0: never).
	IdleInTransactionTimeout time.Duration `yaml:"idle_in_transaction_timeout"`
	// Retry retries backend connects that fail with transient errors.
	Retry Retry `yaml:"retry"`
	// Breaker stops connecting to a server whose connects keep failing.
	Breaker Breaker `yaml:"breaker"`
}

// Retry configures connect retries: Attempts tries in all, the pause
// before each further one doubling from Backoff up to MaxBackoff (with
// full jitter).
type Retry struct {
	Attempts   int           `yaml:"attempts"`
	Backoff    time.Duration `yaml:"backoff"`
	MaxBackoff time.Duration `yaml:"max_backoff"`
}

// Breaker configures the circuit breaker each backend server has over
// its connects.
type Breaker struct {
	// Disabled turns the breaker off.
	Disabled bool `yaml:"disabled"`
	// Failures in a row open it.
	Failures int `yaml:"failures"`
	// ErrorRate (0–1) of the connects within Window opens it once
	// MinRequests were made (0: off).
	ErrorRate   float64       `yaml:"error_rate"`
	MinRequests int           `yaml:"min_requests"`
	Window      time.Duration `yaml:"window"`
	// OpenFor is how long it refuses connects before a probe.
	OpenFor time.Duration `yaml:"open_for"`
}

// Routing configures read/write routing (used once replicas are routed).
type Routing struct {
	// ReadWriteSplit sends read-only statements outside transactions to
	// healthy replicas (PostgreSQL databases).
	ReadWriteSplit bool `yaml:"read_write_split"`
	// Balance is round_robin, weighted or least_outstanding.
	Balance string `yaml:"balance"`
	// MaxLag skips replicas further behind (0: no limit).
	MaxLag time.Duration `yaml:"max_lag"`
	// ReadYourWrites keeps a session's reads on the primary this long
	// after its last write.
	ReadYourWrites time.Duration `yaml:"read_your_writes"`
	// Prefer are replica tags preferred for reads (e.g. region: eu).
	Prefer map[string]string `yaml:"prefer"`
	// FailoverWait holds statements that need the primary while there is
	// none, up to this long, for a replica to be promoted (0: fail at once).
	FailoverWait time.Duration `yaml:"failover_wait"`
}

// Replica is a read replica: a DSN, or a mapping with a weight and tags.
type Replica struct {
	DSN    string            `yaml:"dsn"`
	Weight int               `yaml:"weight"`
	Tags   map[string]string `yaml:"tags"`
}

// UnmarshalYAML accepts a bare DSN for a replica.
func (r *Replica) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		r.DSN = n.Value
		return nil
	}
	type plain Replica
	return n.Decode((*plain)(r))
}

// Health configures background health checks of a database's servers.
type Health struct {
	// Interval between checks of each server.
	Interval time.Duration `yaml:"interval"`
	// Timeout bounds one check (connect and query).
	Timeout time.Duration `yaml:"timeout"`
	// FailAfter consecutive failed checks mark a server down.
	FailAfter int `yaml:"fail_after"`
	// RiseAfter consecutive good checks bring it back.
	RiseAfter int `yaml:"rise_after"`
}

// User is a gateway user. Exactly one of Password and SCRAM is set.
type User struct {
	Name     string   `yaml:"name" json:"name"`
	Password string   `yaml:"password" json:"password,omitempty"`
	SCRAM    string   `yaml:"scram" json:"scram,omitempty"`
	Roles    []string `yaml:"roles" json:"roles"`
	// Databases limits which logical databases the user may open; empty means all.
	Databases []string `yaml:"databases" json:"databases,omitempty"`
	// UserAuth: how the user proves who it is (mtls.go).
	UserAuth `yaml:",inline"`
}

// Role is a named set of grants.
type Role struct {
	Name   string  `yaml:"name" json:"name"`
	Grants []Grant `yaml:"grants" json:"grants"`
	// RowFilters restrict the rows the role's users read, update and
	// delete in a table: the predicate is added to their statements.
	RowFilters []RowFilter `yaml:"row_filters" json:"row_filters,omitempty"`
}

// RowFilter is a predicate added to every statement that reads a table.
type RowFilter struct {
	Database string `yaml:"database" json:"database"`
	Table    string `yaml:"table" json:"table"` // name or schema.name
	Where    string `yaml:"where" json:"where"` // e.g. tenant_id = 7
}

// Grant allows actions on tables of a database.
type Grant struct {
	Database string   `yaml:"database" json:"database"`
	Tables   []string `yaml:"tables" json:"tables,omitempty"`
	// Functions names functions (globs) for the execute action.
	Functions []string `yaml:"functions" json:"functions,omitempty"`
	// Columns narrows a select grant (or deny) to these columns.
	Columns []string `yaml:"columns" json:"columns,omitempty"`
	Actions []string `yaml:"actions" json:"actions"`
	// Deny makes the grant a deny rule: it wins over every allow.
	Deny bool `yaml:"deny" json:"deny,omitempty"`
}

// Policy holds the settings of the decision point shared by all grants
// and firewall rules.
type Policy struct {
	// Unparseable is deny (default) or allow: what happens to a statement
	// the dialect parser rejects while grants or the firewall are on.
	Unparseable string `yaml:"unparseable"`
	// Catalog is allow (default) or deny: whether reads of the system
	// catalogues (pg_catalog, information_schema) need a grant.
	Catalog string `yaml:"catalog"`
	// MaxStatementBytes refuses longer SQL texts (default 16 MiB).
	MaxStatementBytes int `yaml:"max_statement_bytes"`
	// Input is strict (default) or off: strict refuses SQL text with
	// invalid UTF-8, NUL bytes or control characters.
	Input string `yaml:"input"`
	// Login throttles failed authentication per user and client address.
	Login LoginThrottle `yaml:"login"`
}

// LoginThrottle locks a user out from one client address after
// MaxFailures failed logins within Window, for Lockout.
type LoginThrottle struct {
	MaxFailures int           `yaml:"max_failures"`
	Window      time.Duration `yaml:"window"`
	Lockout     time.Duration `yaml:"lockout"`
}

// Firewall configures the SQL firewall.
type Firewall struct {
	Mode string `yaml:"mode"`
	// Allowlist is the file of known fingerprints that learn mode writes
	// and enforce mode reads.
	Allowlist string `yaml:"allowlist"`
	// DisableRules turns individual detection rules off.
	DisableRules []string `yaml:"disable_rules"`
	// Literals is log (default) or block: what sqli.libinjection, the
	// check of string literals' contents, does in protect mode. A
	// literal is data; blocking what it holds refuses users who type
	// SQL-like text into a form, so it is opt-in.
	Literals string `yaml:"literals"`
	// Overrides set the mode (and disabled rules) for a database, a user,
	// or a user on a database; the most specific one applies.
	Overrides []FirewallOverride `yaml:"overrides"`
}

// Limit bounds what the clients it selects may do. Per names what the
// counters are kept for: each user, each client address, or each
// database; User, Database and Client (an address or CIDR) narrow which
// sessions the limit applies to. Zero values set no bound.
type Limit struct {
	Per      string `yaml:"per" json:"per,omitempty"`
	User     string `yaml:"user" json:"user,omitempty"`
	Database string `yaml:"database" json:"database,omitempty"`
	Client   string `yaml:"client" json:"client,omitempty"`
	// Rate is statements per second (token bucket) with Burst.
	Rate  float64 `yaml:"rate" json:"rate,omitempty"`
	Burst int     `yaml:"burst" json:"burst,omitempty"`
	// Shared makes the rate hold for every instance together, through
	// the Redis store (GCRA in a Lua script).
	Shared bool `yaml:"shared" json:"shared,omitempty"`
	// ConcurrentQueries bounds statements running at once.
	ConcurrentQueries int `yaml:"concurrent_queries" json:"concurrent_queries,omitempty"`
	// Connections bounds open client connections.
	Connections int `yaml:"connections" json:"connections,omitempty"`
	// StatementTimeout cancels statements that run longer.
	StatementTimeout time.Duration `yaml:"statement_timeout" json:"statement_timeout,omitempty"`
	// MaxResultRows and MaxResultBytes end a statement whose result
	// grows past them with an error.
	MaxResultRows  int64 `yaml:"max_result_rows" json:"max_result_rows,omitempty"`
	MaxResultBytes int64 `yaml:"max_result_bytes" json:"max_result_bytes,omitempty"`
}

// FirewallOverride is a firewall setting for a database and/or user.
type FirewallOverride struct {
	Database     string   `yaml:"database" json:"database,omitempty"`
	User         string   `yaml:"user" json:"user,omitempty"`
	Mode         string   `yaml:"mode" json:"mode,omitempty"`
	DisableRules []string `yaml:"disable_rules" json:"disable_rules,omitempty"`
}

// MaskRule masks one column.
//
// Database and Table are globs (Table "schema.name" or "name" in the
// default schema, "*" or empty for every table); Column is a glob on the
// column's name in its table, so "*email*" masks every such column.
type MaskRule struct {
	Database string `yaml:"database" json:"database,omitempty"`
	Table    string `yaml:"table" json:"table,omitempty"`
	Column   string `yaml:"column" json:"column,omitempty"`
	// Method is full, partial, hash, null or email.
	Method string `yaml:"method" json:"method,omitempty"`
	// Keep is how many trailing characters partial shows (default 4).
	Keep int `yaml:"keep" json:"keep,omitempty"`
	// Key, when set, makes hash an HMAC-SHA-256 under this secret, so
	// values with few possibilities cannot be recovered by hashing them all.
	Key         string   `yaml:"key" json:"key,omitempty"`
	ExceptRoles []string `yaml:"except_roles" json:"except_roles,omitempty"`
}

// MaskMethods are the masking methods.
var MaskMethods = []string{"full", "partial", "hash", "null", "email"}

// AuditSinks configures the audit log.
type AuditSinks struct {
	File string `yaml:"file"`
	// Stdout also writes records to standard output.
	Stdout bool `yaml:"stdout"`
	// MaxSize rotates the file past this many bytes (0: never).
	MaxSize int64 `yaml:"max_size"`
	// Buffer bounds the records waiting to be written (default 4096).
	Buffer int `yaml:"buffer"`
	// OnFull is drop (default: count and go on) or block (back-pressure).
	OnFull string `yaml:"on_full"`
	// Key chains records with HMAC-SHA-256 under this secret (a
	// ${env:…}, ${file:…} or ${vault:…} reference; at least 32 bytes).
	Key string `yaml:"key" json:"-"`
	// Checkpoints is a file that receives a MACed checkpoint of the head
	// of the log every CheckpointEvery records (default 1000), every
	// CheckpointInterval (default 10s) and at close; keep it on other
	// storage than the log. Needs Key.
	Checkpoints        string        `yaml:"checkpoints"`
	CheckpointEvery    int           `yaml:"checkpoint_every"`
	CheckpointInterval time.Duration `yaml:"checkpoint_interval"`
}

// OIDC accepts bearer JWTs from an OpenID Connect issuer, checked
// against its published keys (JWKS), on the admin API and the HTTP data
// API.
type OIDC struct {
	// Issuer is the issuer URL (its /.well-known/openid-configuration is
	// read on first use).
	Issuer string `yaml:"issuer"`
	// Audience is the aud (client id) tokens must carry.
	Audience string `yaml:"audience"`
	// UsernameClaim names the caller (default preferred_username, then sub).
	UsernameClaim string `yaml:"username_claim"`
	// GroupsClaim holds the caller's groups (default groups).
	GroupsClaim string `yaml:"groups_claim"`
	// Roles maps a group to gateway roles for the data API; a token whose
	// groups map to no role is refused there.
	Roles map[string][]string `yaml:"roles"`
	// AdminScopes maps a group to an admin API scope (read or admin).
	AdminScopes map[string]string `yaml:"admin_scopes"`
	// Wire lets PostgreSQL and MySQL clients log in with a token as the
	// password (nil: off).
	Wire *OIDCWire `yaml:"wire"`
}

// Store is the shared store several instances take users and roles
// from, and the admin API writes them to.
type Store struct {
	// Kind is postgres or redis.
	Kind string `yaml:"kind"`
	// DSN is the PostgreSQL database (a floe schema is made in it).
	DSN string `yaml:"dsn"`
	// Address, Password and DB locate the Redis server.
	Address  string `yaml:"address"`
	Password string `yaml:"password"`
	DB       int    `yaml:"db"`
	// Prefix names the Redis keys and channel (default floe).
	Prefix string `yaml:"prefix"`
}

// Secrets configures where ${vault:path#key} references are read and how
// often every reference is read again.
type Secrets struct {
	Vault *Vault `yaml:"vault"`
	// AWS, GCP, Azure and Infisical read ${aws-sm:}, ${gcp-sm:},
	// ${azure-kv:} and ${infisical:} references (cloudsecrets.go).
	AWS       *AWSSecrets       `yaml:"aws"`
	GCP       *GCPSecrets       `yaml:"gcp"`
	Azure     *AzureSecrets     `yaml:"azure"`
	Infisical *InfisicalSecrets `yaml:"infisical"`
	// Refresh reads every reference (env, file, vault) again this often;
	// a changed value is applied as a reload would (0: only on reload).
	Refresh time.Duration `yaml:"refresh"`
}

// Vault is a HashiCorp Vault or OpenBao server with a KV version 2
// engine. Token, or RoleID and SecretID (AppRole), authenticate; both
// usually come from ${env:} or ${file:} references.
type Vault struct {
	Address  string `yaml:"address"`
	Token    string `yaml:"token"`
	RoleID   string `yaml:"role_id"`
	SecretID string `yaml:"secret_id"`
	// Mount is the KV v2 engine's path (default secret).
	Mount     string `yaml:"mount"`
	Namespace string `yaml:"namespace"`
}

// VaultOpener makes the reader of ${vault:path#key} references from the
// file's secrets.vault settings.
type VaultOpener func(v Vault) (func(path, key string) (string, error), error)

// LoadOptions are what Load needs beyond the file.
type LoadOptions struct {
	// Vault reads ${vault:} references (nil: they are refused).
	Vault VaultOpener
	// Cloud reads ${aws-sm:}, ${gcp-sm:}, ${azure-kv:} and ${infisical:}
	// references (nil: they are refused).
	Cloud CloudOpener
	// Getenv resolves ${env:} (nil: os.Getenv).
	Getenv func(string) string
	// Check runs after validation, on a configuration that passed it:
	// the checks of what the gateway reads at start-up beyond the file
	// (its errors are located like validation's).
	Check func(*Config) Errors
	// Resolve, when set, says which keys' references are read
	// (secrets.vault's always are); a scalar under any other key that
	// holds a reference becomes Unresolved, and validation says nothing
	// about it. A program that uses part of the file (floe query, one
	// database) needs no secrets of the rest.
	Resolve func(key string) bool
}

// Reload configures how a running gateway picks up a changed file.
type Reload struct {
	// Watch reloads when the file changes (besides SIGHUP and the admin
	// API); read at start.
	Watch bool `yaml:"watch"`
}

// Admin configures who may use the admin API (/api/v1 on the admin
// listener); /healthz, /readyz and /metrics stay open.
type Admin struct {
	Tokens []AdminToken `yaml:"tokens"`
	// BreakGlass is an emergency admin credential, off unless Enabled;
	// every use is logged at error level and audited.
	BreakGlass BreakGlass `yaml:"break_glass"`
}

// AdminToken is a bearer token for the admin API. Exactly one of Hash
// (sha256:<hex> of the token, from `floe admin new-token`) and Token (the
// token itself, from ${env:} or ${file:}) is set.
type AdminToken struct {
	Name   string   `yaml:"name"`
	Hash   string   `yaml:"hash"`
	Token  string   `yaml:"token"`
	Scopes []string `yaml:"scopes"`
}

// BreakGlass is the emergency admin credential.
type BreakGlass struct {
	Enabled bool   `yaml:"enabled"`
	Hash    string `yaml:"hash"`
}

// AdminScopes are the scopes a token may have: read (GET endpoints) and
// admin (everything).
var AdminScopes = []string{"read", "admin"}

// Database returns the database with the given name.
func (c *Config) Database(name string) (*Database, bool) {
	for i := range c.Databases {
		if c.Databases[i].Name == name {
			return &c.Databases[i], true
		}
	}
	return nil, false
}

// SameButPasswords reports whether two lists of DSNs name the same
// servers, users, databases and options, in order, whatever their
// passwords.
func SameButPasswords(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if RedactDSN(a[i]) != RedactDSN(b[i]) {
			return false
		}
	}
	return true
}

// RedactDSN returns dsn with any password replaced, for logs and errors.
func RedactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		return "(unparseable dsn)"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// Error is one validation problem, located in the source file.
type Error struct {
	File string
	Line int
	Key  string
	Msg  string
}

func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if loc == "" {
		return fmt.Sprintf("%s: %s", e.Key, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", loc, e.Key, e.Msg)
}

// Errors is every validation problem found in one file.
type Errors []*Error

func (es Errors) Error() string {
	s := ""
	for i, e := range es {
		if i > 0 {
			s += "\n"
		}
		s += e.Error()
	}
	return s
}
