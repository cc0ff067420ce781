package dataapi

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/floe-db/floe/arrowsql"
	"github.com/floe-db/floe/internal/authn"
	"github.com/floe-db/floe/internal/backend/sqlite"
	"github.com/floe-db/floe/internal/observe"
	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/sqlerr"
	"github.com/floe-db/floe/internal/stmt"
	"github.com/floe-db/floe/internal/tlsauth"
	"github.com/floe-db/floe/internal/tracing"
)

// Gateway is what the data APIs need of the running gateway. Its methods
// return what is in force now (they change on reload) and are safe for
// concurrent use.
type Gateway interface {
	Users() *authn.Store
	Tokens() *authn.Tokens
	// PolicyNow is the policy in force (nil: none).
	PolicyNow() *policy.Policy
	// Source returns the source of a configured database for a caller
	// with roles: on a database with backend identities, one that runs as
	// the roles' login (false when they map none).
	Source(db string, roles []string) (Source, bool)
	// Databases lists the configured databases in config order.
	Databases() []string
	// Admit applies the connect-time policy to one request and audits
	// it; release ends what it holds.
	Admit(protocol string, u *authn.User, db string, client net.Addr) (release func(), den *policy.Denial)
	// AuthResult audits an authentication attempt and counts failures
	// toward login lockout.
	AuthResult(protocol, user, db string, client net.Addr, err error)
	// CertResult audits the client certificate step of a login (err:
	// refused; final: the certificate alone logged the user in) and
	// counts refusals toward login lockout.
	CertResult(protocol, user string, cert *x509.Certificate, client net.Addr, err error, final bool)
	// OIDC is the OpenID Connect verifier in force (nil: none).
	OIDC() *authn.OIDC
	// Pipeline is the statement pipeline of database db's backend for
	// clients of dialect d, so the data APIs share its analysis cache and
	// stages with the wire path (nil: the backend keeps none; the Service
	// then uses one of its own for the database).
	Pipeline(db string, d policy.Dialect) *stmt.Pipeline
	// RecheckCertificate verifies again, against the CAs and revocation
	// lists in force, a client certificate chain that the connection's
	// TLS handshake verified (nil: still valid).
	RecheckCertificate(chain []*x509.Certificate) error
}

// Service runs queries for the HTTP API and the Flight SQL server: it
// authenticates callers, puts every statement through the policy and
// streams results as Arrow.
type Service struct {
	gw      Gateway
	log     *slog.Logger
	metrics *observe.Metrics
	// TokenTTL is the lifetime of issued bearer tokens.
	TokenTTL time.Duration
	// BatchRows bounds the rows of the record batches it streams.
	BatchRows int
	// MetadataTTL is how long database db's catalogue listings are kept
	// (nil or 0: not kept; Catalog.Rows).
	MetadataTTL func(db string) time.Duration

	meta *metaCache

	mu struct {
		sync.Mutex
		// pipelines are the Service's own pipelines of databases whose
		// backend has none for the dialect.
		pipelines map[pipelineKey]*stmt.Pipeline
	}
}

type pipelineKey struct {
	db      string
	dialect policy.Dialect
}

// NewService makes a service over gw.
func NewService(gw Gateway, log *slog.Logger, m *observe.Metrics) *Service {
	s := &Service{gw: gw, log: log, metrics: m, TokenTTL: time.Hour}
	var reg *prometheus.Registry
	if m != nil {
		reg = m.Registry()
	}
	s.meta = newMetaCache(reg)
	s.mu.pipelines = map[pipelineKey]*stmt.Pipeline{}
	return s
}

// pipeline is the statement pipeline of database db for dialect d: its
// backend's, or else the Service's own (made on first use; it reads the
// policy in force and counts into the Service's metrics).
func (s *Service) pipeline(db string, d policy.Dialect) *stmt.Pipeline {
	if p := s.gw.Pipeline(db, d); p != nil && p.Database() == db && p.Dialect() == d {
		return p
	}
	key := pipelineKey{db: db, dialect: d}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.mu.pipelines[key]
	if !ok {
		p = stmt.New(stmt.Options{Database: db, Dialect: d, Policy: s.gw.PolicyNow, Metrics: s.metrics})
		s.mu.pipelines[key] = p
	}
	return p
}

// open starts c's pipeline session on database db served by src: one
// per request (a data-API request is one statement without a session).
func (s *Service) open(c Caller, db string, src Source) *stmt.Session {
	return s.pipeline(db, src.Dialect()).Open(policy.Request{
		User: c.User.Name, Roles: c.User.Roles, Client: policy.HostOf(c.Client),
		Protocol: c.Protocol, DefaultSchema: src.DefaultSchema(),
	})
}

// Caller is an authenticated user and where the request came from.
type Caller struct {
	User     *authn.User
	Client   net.Addr
	Protocol string // http or flightsql
}

// Login checks a user name and password, and the client certificate
// (nil: none) of a user who needs one, first.
func (s *Service) Login(protocol, user, password string, cert *x509.Certificate, client net.Addr) (*authn.User, error) {
	if e := s.screen(protocol, user, client); e != nil {
		return nil, e
	}
	if den := s.gw.PolicyNow().LoginAllowed(user, policy.HostOf(client)); den != nil {
		s.gw.AuthResult(protocol, user, "", client, den)
		return nil, fromDenial(den)
	}
	if u, known := s.gw.Users().Lookup(user); known && u.NeedsCertificate() {
		if err := s.certificateOf(protocol, u, cert, client); err != nil {
			return nil, err
		}
	}
	u, ok := s.gw.Users().CheckPassword(user, password)
	if !ok {
		err := &Error{Status: 401, Code: CodeUnauthorized, SQLState: sqlerr.InvalidPassword, Message: fmt.Sprintf("password authentication failed for user %q", user)}
		s.gw.AuthResult(protocol, user, "", client, err)
		s.metrics.AuthFailures.WithLabelValues(protocol, "password").Inc()
		return nil, err
	}
	s.gw.AuthResult(protocol, user, "", client, nil)
	return u, nil
}

// PeerCertificate is the client certificate of a request's TLS
// connection (nil: none), checked again at each request: a connection
// kept alive past its certificate's revocation or expiry is refused.
func (s *Service) PeerCertificate(protocol string, cs *tls.ConnectionState, client net.Addr) (*x509.Certificate, *Error) {
	cert := tlsauth.PeerCertificate(cs)
	if cert == nil {
		return nil, nil
	}
	if err := s.gw.RecheckCertificate(cs.PeerCertificates); err != nil {
		s.gw.CertResult(protocol, "", cert, client, err, true)
		s.metrics.AuthFailures.WithLabelValues(protocol, "certificate").Inc()
		return nil, &Error{Status: 401, Code: CodeUnauthorized, SQLState: sqlerr.InvalidAuthorizationSpecification,
			Message: "the client certificate of this connection is no longer valid (revoked or expired); reconnect with a valid one"}
	}
	return cert, nil
}

// certificateOf checks that a user who needs a client certificate came
// with one bound to it.
func (s *Service) certificateOf(protocol string, u *authn.User, cert *x509.Certificate, client net.Addr) error {
	if _, err := tlsauth.Decide(u, cert); err != nil {
		s.gw.CertResult(protocol, u.Name, cert, client, err, true)
		s.metrics.AuthFailures.WithLabelValues(protocol, "certificate").Inc()
		what := "the client certificate does not match the user"
		if errors.Is(err, tlsauth.ErrCertificateRequired) {
			what = "a valid client certificate is required"
		}
		return &Error{Status: 401, Code: CodeUnauthorized, SQLState: sqlerr.InvalidAuthorizationSpecification,
			Message: fmt.Sprintf("certificate authentication failed for user %q: %s", u.Name, what)}
	}
	s.gw.CertResult(protocol, u.Name, cert, client, nil, false)
	return nil
}

// CertificateLogin identifies the certificate-only user a verified client
// certificate stands for (a request without credentials).
func (s *Service) CertificateLogin(protocol string, cert *x509.Certificate, client net.Addr) (*authn.User, error) {
	u, err := tlsauth.Identify(s.gw.Users(), cert)
	if err == nil {
		// The network rules see the user the certificate stands for, as
		// they see the user a password or token login names.
		if e := s.screen(protocol, u.Name, client); e != nil {
			return nil, e
		}
		if den := s.gw.PolicyNow().LoginAllowed(u.Name, policy.HostOf(client)); den != nil {
			s.gw.AuthResult(protocol, u.Name, "", client, den)
			return nil, fromDenial(den)
		}
		s.gw.CertResult(protocol, u.Name, cert, client, nil, true)
		return u, nil
	}
	s.metrics.AuthFailures.WithLabelValues(protocol, "certificate").Inc()
	s.gw.CertResult(protocol, "", cert, client, err, true)
	return nil, &Error{Status: 401, Code: CodeUnauthorized, SQLState: sqlerr.InvalidAuthorizationSpecification,
		Message: "the client certificate stands for no single user with auth: certificate; send credentials"}
}

// Token checks a bearer token issued by IssueToken, or an OpenID Connect
// token of the configured issuer: its groups must map to gateway roles.
// A gateway user who needs a client certificate must also have come with
// one bound to it (cert; nil: none).
func (s *Service) Token(ctx context.Context, protocol, tok string, cert *x509.Certificate, client net.Addr) (*authn.User, error) {
	if o := s.gw.OIDC(); o != nil && authn.LooksLikeJWT(tok) {
		return s.oidcUser(ctx, o, protocol, tok, client)
	}
	var refused *Error
	name, err := s.gw.Tokens().Verify(tok, func(n string) ([]byte, bool) {
		// The name the token claims is screened before its signature is
		// checked, as a password login is.
		if refused = s.screen(protocol, n, client); refused != nil {
			return nil, false
		}
		u, ok := s.gw.Users().Lookup(n)
		if !ok {
			return nil, false
		}
		return u.CredentialTag(), true
	})
	var u *authn.User
	if err == nil {
		var ok bool
		if u, ok = s.gw.Users().Lookup(name); !ok {
			err = authn.ErrBadToken
		}
	}
	if refused != nil {
		return nil, refused
	}
	if err != nil {
		s.metrics.AuthFailures.WithLabelValues(protocol, "token").Inc()
		return nil, &Error{Status: 401, Code: CodeUnauthorized, SQLState: sqlerr.InvalidAuthorizationSpecification, Message: "invalid or expired bearer token"}
	}
	if u.NeedsCertificate() {
		if err := s.certificateOf(protocol, u, cert, client); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// oidcUser is the gateway user an OpenID Connect token stands for.
func (s *Service) oidcUser(ctx context.Context, o *authn.OIDC, protocol, tok string, client net.Addr) (*authn.User, error) {
	id, err := o.Verify(ctx, tok)
	if err != nil {
		s.metrics.AuthFailures.WithLabelValues(protocol, "oidc").Inc()
		s.gw.AuthResult(protocol, "(oidc)", "", client, err)
		if errors.Is(err, authn.ErrOIDCUnavailable) {
			s.log.Warn("OpenID Connect issuer unreachable", "error", err.Error())
			return nil, &Error{Status: 503, Code: CodeUnavailable, SQLState: sqlerr.ConnectionFailure, Message: "the identity provider cannot be reached to check the token; retry shortly"}
		}
		return nil, &Error{Status: 401, Code: CodeUnauthorized, SQLState: sqlerr.InvalidAuthorizationSpecification, Message: "invalid or expired OpenID Connect token"}
	}
	if _, taken := s.gw.Users().LookupFold(id.Username); taken {
		// A configured user logs in with its own method (password,
		// certificate): a token of the issuer that names it, in any case,
		// is not that user.
		s.metrics.AuthFailures.WithLabelValues(protocol, "oidc").Inc()
		s.gw.AuthResult(protocol, id.Username, "", client, authn.ErrTokenConfiguredUser)
		return nil, &Error{Status: 401, Code: CodeUnauthorized, SQLState: sqlerr.InvalidAuthorizationSpecification, Message: "invalid or expired OpenID Connect token"}
	}
	roles := o.Roles(id)
	// An OpenID Connect user and its roles are known only from the
	// verified token.
	if den := s.gw.PolicyNow().ScreenNetwork(policy.NetLogin, policy.NetFacts{Client: policy.AddrOf(client), Protocol: protocol,
		User: id.Username, Roles: roles, RolesKnown: true}); den != nil {
		return nil, fromDenial(den)
	}
	if len(roles) == 0 {
		err := &Error{Status: 403, Code: CodeForbidden, SQLState: sqlerr.InsufficientPrivilege, Message: fmt.Sprintf("the token of %q carries no group that maps to a gateway role (oidc.roles)", id.Username)}
		s.gw.AuthResult(protocol, id.Username, "", client, err)
		return nil, err
	}
	s.gw.AuthResult(protocol, id.Username, "", client, nil)
	return &authn.User{Name: id.Username, Roles: roles}, nil
}

// screen applies the network rules to a caller who says it is user,
// before its password or token is checked; its roles are the user's in
// the configuration.
func (s *Service) screen(protocol, user string, client net.Addr) *Error {
	var roles []string
	if u, ok := s.gw.Users().Lookup(user); ok {
		roles = u.Roles
	}
	den := s.gw.PolicyNow().ScreenNetwork(policy.NetLogin, policy.NetFacts{Client: policy.AddrOf(client), Protocol: protocol,
		User: user, Roles: roles, RolesKnown: true})
	if den != nil {
		return fromDenial(den)
	}
	return nil
}

// IssueToken returns a bearer token for u and its expiry.
func (s *Service) IssueToken(u *authn.User) (string, time.Time) {
	return s.gw.Tokens().Issue(u.Name, u.CredentialTag(), s.TokenTTL)
}

// Database is a database a caller may use.
type Database struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
}

// Databases lists the databases c may use.
func (s *Service) Databases(c Caller) []Database {
	p := s.gw.PolicyNow()
	out := []Database{}
	for _, name := range s.gw.Databases() {
		src, ok := s.gw.Source(name, c.User.Roles)
		if !ok || !c.User.MayOpen(name) || p.Connect(c.User.Name, c.User.Roles, name) != nil {
			continue
		}
		out = append(out, Database{Name: name, Kind: src.Kind()})
	}
	return out
}

// Result is a query under way: an Arrow stream and the statement it
// belongs to. Close it exactly once with the error that ended the stream.
type Result struct {
	rowReader
	st      *stmt.Statement
	release func()
	cancel  context.CancelFunc
}

// Close releases the result and finishes its statement (rows returned,
// statistics, audit, metrics); err (nil on success) is the error that
// ended the stream, and is returned translated for the caller.
func (r *Result) Close(err error) *Error {
	if err == nil {
		err = r.rowReader.Err()
	}
	r.st.AddRows(r.rowReader.Rows())
	r.rowReader.Release()
	e := finish(r.st, err)
	r.cancel()
	r.release()
	return e
}

// finish ends st with err (nil on success) and returns err translated.
func finish(st *stmt.Statement, err error) *Error {
	if err == nil {
		st.Finish(nil)
		return nil
	}
	e := translate(err, st.TimedOut())
	st.Fail(e.SQLState)
	st.Finish(e)
	return e
}

// Query runs sql on database db for c through the database's statement
// pipeline (decision, then limits, then its stages). Parameters are
// bound by the database. On error nothing is held.
func (s *Service) Query(ctx context.Context, c Caller, db, sql string, args []any, opts arrowsql.Options) (*Result, *Error) {
	src, sess, e := s.statement(c, db, sql)
	if e != nil {
		return nil, e
	}
	release, den := s.gw.Admit(c.Protocol, c.User, db, c.Client)
	if den != nil {
		return nil, fromDenial(den)
	}
	qctx, cancel := context.WithCancel(ctx)
	// A Flight SQL caller's trace context comes in its call's metadata
	// (an HTTP caller's headers were read by the handler).
	st, den := sess.Start(tracing.FromGRPC(ctx), "query", sql, cancel)
	if den != nil {
		cancel()
		release()
		return nil, fromDenial(den)
	}
	if opts.BatchRows == 0 {
		opts.BatchRows = s.BatchRows
	}
	opts.Mask = maskOption(sess.Gate().Masks())
	opts.OnRow = func(n int) error {
		if d := st.Row(n); d != nil {
			return d
		}
		return nil
	}
	rdr, err := fromCache(ctx, st, cacheVariant(args, opts, loginOf(src)), opts.OnRow, func() (*arrowsql.Reader, error) {
		return src.Query(withStatement(sqlite.WithSessionValues(qctx, sqlite.SessionValues{User: c.User.Name, Database: db}), st), st.SQL, args, opts)
	})
	if err != nil {
		e := finish(st, err)
		cancel()
		release()
		return nil, e
	}
	return &Result{rowReader: rdr, st: st, release: release, cancel: cancel}, nil
}

// Cache is what the result cache did for the statement, as the
// Floe-Cache header says it ("" when the database has no cache).
func (r *Result) Cache() string { return cacheStatus(r.st) }

// Prepare checks sql for a statement prepared now and run later (a
// Flight SQL prepared statement): the database, the connect-time policy
// and the statement policy, without running it or taking limits. Each
// run is decided again (Query): the policy may change meanwhile, and its
// row filters apply to the text as run.
func (s *Service) Prepare(ctx context.Context, c Caller, db, sql string) *Error {
	_, sess, e := s.statement(c, db, sql)
	if e != nil {
		return e
	}
	if den := s.gw.PolicyNow().Connect(c.User.Name, c.User.Roles, db); den != nil {
		return fromDenial(den)
	}
	if dec, _ := sess.Check(ctx, "prepare", sql); dec.Denial != nil {
		return fromDenial(dec.Denial)
	}
	return nil
}

// statement finds db's source for c, opens c's pipeline session on it
// and refuses what a data-API request may not run: no text, or a text
// that changes the state of the connection (read by the lexer, and by
// the parse the decision reads too).
func (s *Service) statement(c Caller, db, sql string) (Source, *stmt.Session, *Error) {
	src, ok := s.gw.Source(db, c.User.Roles)
	if !ok {
		return nil, nil, &Error{Status: 404, Code: CodeNotFound, SQLState: sqlerr.InvalidCatalogName, Message: fmt.Sprintf("database %q does not exist", db)}
	}
	if !c.User.MayOpen(db) {
		return nil, nil, &Error{Status: 403, Code: CodeForbidden, SQLState: sqlerr.InsufficientPrivilege, Message: fmt.Sprintf("user %q may not open database %q", c.User.Name, db)}
	}
	if strings.TrimSpace(sql) == "" {
		return nil, nil, &Error{Status: 400, Code: CodeBadRequest, SQLState: sqlerr.SyntaxError, Message: "no SQL given"}
	}
	sess := s.open(c, db, src)
	why := sessionChange(src.Dialect(), sql, nil)
	if why == "" {
		if stmts, err := sess.Analyze(sql).Statements(); err == nil {
			why = sessionChange(src.Dialect(), sql, stmts)
		}
	}
	if why != "" {
		sess.Refused(nil)
		return nil, nil, s.refuseSessionChange(c, db, src.Dialect(), sql, why)
	}
	return src, sess, nil
}

// translate turns a failure into the caller's error; timedOut: the
// statement timeout stopped the statement.
func translate(err error, timedOut bool) *Error {
	if timedOut {
		return &Error{Status: 504, Code: CodeTimeout, SQLState: sqlerr.QueryCanceled, Message: "canceling statement due to statement timeout (limits: statement_timeout)"}
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var d *policy.Denial
	if errors.As(err, &d) {
		return fromDenial(d)
	}
	return fromBackend(err)
}

// Catalog is a caller's view of one database for metadata requests
// (Flight SQL GetDbSchemas, GetTables, GetPrimaryKeys): the catalogue
// queries are the gateway's own, and what they list is filtered by what
// the caller's policy lets them read.
type Catalog struct {
	Name string
	src  Source
	sess *stmt.Session
	svc  *Service
}

// Catalog opens database db's catalogue for c, if c may use db.
func (s *Service) Catalog(c Caller, db string) (*Catalog, *Error) {
	src, ok := s.gw.Source(db, c.User.Roles)
	if !ok {
		return nil, &Error{Status: 404, Code: CodeNotFound, SQLState: sqlerr.InvalidCatalogName, Message: fmt.Sprintf("database %q does not exist", db)}
	}
	if !c.User.MayOpen(db) {
		return nil, &Error{Status: 403, Code: CodeForbidden, SQLState: sqlerr.InsufficientPrivilege, Message: fmt.Sprintf("user %q may not open database %q", c.User.Name, db)}
	}
	if den := s.gw.PolicyNow().Connect(c.User.Name, c.User.Roles, db); den != nil {
		return nil, fromDenial(den)
	}
	return &Catalog{Name: db, src: src, sess: s.open(c, db, src), svc: s}, nil
}

// Kind is the database's kind (postgres, mysql, sqlite).
func (k *Catalog) Kind() string { return k.src.Kind() }

// Query runs one of the gateway's catalogue queries.
func (k *Catalog) Query(ctx context.Context, sql string, args ...any) (*arrowsql.Reader, error) {
	return k.src.Query(ctx, sql, args, arrowsql.Options{})
}

// quoteTable quotes schema.table for the database's dialect.
func (k *Catalog) quoteTable(schema, table string) string {
	q := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
	if k.src.Dialect() == policy.MySQL {
		q = func(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }
	}
	if schema == "" {
		return q(table)
	}
	return q(schema) + "." + q(table)
}

// Readable reports whether the caller's policy lets them read the table:
// a policy check of the SELECT * that would read it (not a statement of
// the caller's: nothing runs and nothing is counted).
func (k *Catalog) Readable(ctx context.Context, schema, table string) bool {
	a := k.sess.Analyze("SELECT * FROM " + k.quoteTable(schema, table))
	return k.sess.Gate().CheckAnalysis(ctx, "metadata", a).Denial == nil
}

// TableSchema is the Arrow schema a SELECT * of the table delivers to
// the caller (masked columns as they would arrive).
func (k *Catalog) TableSchema(ctx context.Context, schema, table string) (*arrow.Schema, error) {
	opts := arrowsql.Options{BatchRows: 1, Mask: maskOption(k.sess.Gate().Masks())}
	r, err := k.src.Query(ctx, "SELECT * FROM "+k.quoteTable(schema, table)+" WHERE 1 = 0", nil, opts)
	if err != nil {
		return nil, err
	}
	defer r.Release()
	return r.Schema(), nil
}

// maskOption applies masking rules to result columns by their origin
// (nil when nothing is masked).
func maskOption(ms *policy.Masks) func(arrowsql.Origin) arrowsql.Masker {
	if ms == nil {
		return nil
	}
	return func(o arrowsql.Origin) arrowsql.Masker {
		if o.Table == "" {
			return nil
		}
		if m := ms.Column(o.Schema, o.Table, o.Column); m != nil {
			return m
		}
		return nil
	}
}
