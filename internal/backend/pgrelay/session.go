package pgrelay

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/pool"
	"github.com/floe-db/floe/internal/sqltext"
	"github.com/floe-db/floe/internal/wire/pgwire"
)

// watchDelay is how long a statement may run before the session starts
// watching the client socket for a hang-up.
const watchDelay = 50 * time.Millisecond

// maxPending bounds the responses the session expects before it forces a
// round trip, so a client that never sends Sync cannot grow memory.
const maxPending = 4096

// trackedParams are the startup parameters replayed on every backend
// connection a client is given, with the server's default when the client
// did not ask.
var trackedParams = []string{"application_name", "client_encoding", "datestyle", "intervalstyle", "timezone", "standard_conforming_strings"}

// stmt is a client's prepared statement, as the client named it.
type stmt struct {
	query  string
	oids   []uint32
	server string // name on the server: floe_<hash of query and oids>
	// plan masks its rows; it was decided under planMasks, from the
	// statement's description (described).
	plan      *rowPlan
	planMasks *policy.Masks
	described bool
}

// portal is a bound statement with the result formats the client asked for.
type portal struct {
	st      *stmt
	formats []int16
	// plan, from a Describe of the portal, replaces the statement's.
	plan      *rowPlan
	described bool
}

func (p *portal) rowPlan() *rowPlan {
	if p.described {
		return p.plan
	}
	return p.st.plan
}

type opKind uint8

const (
	opParse opKind = iota
	opBind
	opDescribeStmt
	opDescribePortal
	opExecute
	opClose
	opSync
	opQuery
	opFunction
)

// op is a response the session expects from the backend, in order.
type op struct {
	kind opKind
	// swallow: the gateway sent the request itself (a re-prepare); the
	// response is not the client's.
	swallow bool
	// synthetic: no request went to the backend; send this to the client
	// when the op reaches the head of the queue.
	synthetic pgproto3.BackendMessage
	// sql is the statement text, for logs.
	sql string
	// server and client name the statement a Parse creates, so a failed
	// Parse can be forgotten again.
	server, client string
	// replace: the request was sent to fail (a policy denial inside a
	// transaction, which must abort it as an error would); the client
	// gets this error instead of the server's.
	replace *pgproto3.ErrorResponse
	// st is the statement a Describe is about; portal the portal an
	// Execute or Describe runs (for masking).
	st     *stmt
	portal *portal
}

type session struct {
	r *Relay
	// login is the backend login the session runs as (its user's
	// roles' identity on the database; 0: the DSN's).
	login int
	// onReplica: the attached connection is a replica's (reads only).
	onReplica bool
	// wrote: the attachment ran writes; lastWrite is when the last such
	// attachment ended (read-your-writes).
	wrote     bool
	lastWrite time.Time
	// writeLSN is the primary's WAL position after that write (0: not
	// known), for read-your-writes by replayed position.
	writeLSN uint64

	c    *pgwire.Conn
	log  *slog.Logger
	mode string
	gate *policy.Gate
	// idleInTx ends a session idle inside a transaction this long (0: never).
	idleInTx time.Duration
	// run holds the statement limits taken for what is running (a Query,
	// or an extended batch from its first Execute to Sync) and collects
	// its outcome.
	run     *policy.Run
	runRows int64
	runErr  string

	be       *pool.Conn[*backendConn]
	bePool   *pool.Pool[*backendConn] // the pool be came from
	pinned   string                   // reason the client keeps its backend connection
	txStatus byte
	inBatch  bool // extended-protocol messages sent since the last Sync
	pending  []op

	stmts   map[string]*stmt // client statement name → statement
	unnamed *stmt
	portals map[string]*portal
	// qplan masks the rows of the simple-protocol result under way, in
	// the formats qformats.
	qplan    *rowPlan
	qformats []int16
	tm       *pgtype.Map // binary values of masked columns to text
	// muted: the result under way was stopped with an error; the rest of
	// the backend's answer is dropped until ReadyForQuery.
	muted      bool
	unnamedSeq uint64
	want       map[string]string // parameters to replay on attach (lower-case names)
	startWant  map[string]string

	clientGone bool
	listening  bool        // LISTEN ran: relay notifications while idle
	gone       atomic.Bool // set by the hang-up watcher
	// skipping: a gateway-detected error was queued; like the server, drop
	// the client's messages until Sync.
	skipping bool
	// syncDropped: a Sync went to the server during COPY FROM STDIN and
	// was ignored; the batch stays open until the client's next Sync.
	syncDropped bool
	bytesIn     int64
	cycleStart  time.Time
	cycleErr    bool
	cycleText   string

	okObs, errObs   prometheus.Counter
	latency         prometheus.Observer
	cancelMu        sync.Mutex // serialises CancelRequests with attach/release
	cancelTarget    *backendConn
	discardOnDetach bool
}

// Serve implements pgwire.Handler.
func (r *Relay) Serve(ctx context.Context, c *pgwire.Conn) error {
	if v := c.Params["replication"]; v != "" && v != "false" && v != "off" && v != "0" && v != "no" {
		return pgwire.Fatalf(pgwire.CodeFeatureNotSupported, "replication connections are not supported by the gateway")
	}
	s := &session{
		r: r, c: c, txStatus: 'I',
		log:     r.log.With("user", c.User.Name),
		stmts:   map[string]*stmt{},
		portals: map[string]*portal{},
		okObs:   r.metrics.Queries.WithLabelValues(r.name, c.User.Name, "ok"),
		errObs:  r.metrics.Queries.WithLabelValues(r.name, c.User.Name, "error"),
		latency: r.metrics.QueryDuration.WithLabelValues(r.name),
	}
	r.sessions.Enter()
	defer r.sessions.Leave(r.Close)
	login, err := r.loginFor(c.User.Roles)
	if err != nil {
		return err
	}
	s.login = login
	pc := r.poolConfig()
	s.gate = policy.NewGate(r.policySource(), policy.Request{
		User: c.User.Name, Roles: c.User.Roles, Database: r.name, Client: policy.HostOf(c.RemoteAddr),
		Protocol: "postgres", Session: c.ProcessID(), Dialect: policy.Postgres, DefaultSchema: "public",
		QueryTimeout: pc.QueryTimeout,
	})
	s.idleInTx = pc.IdleInTransactionTimeout
	if s.mode = pc.Mode; s.mode == config.PoolSession {
		s.pinned = "session mode"
	}
	c.SetCanceller(s.cancel)
	defer c.SetCanceller(nil)
	defer s.detach(true)
	defer s.endLimits()

	if err := s.startup(ctx); err != nil {
		return err
	}
	return s.loop(ctx)
}

// startup learns the server's parameters (attaching once), applies the
// client's startup parameters and sends the end of startup.
func (s *session) startup(ctx context.Context) error {
	want := map[string]string{}
	for k, v := range s.c.Params {
		l := strings.ToLower(k)
		switch l {
		case "options":
			opts, err := parseOptions(v)
			if err != nil {
				return pgwire.Fatalf(pgwire.CodeProtocolViolation, "%v", err)
			}
			for ok, ov := range opts {
				want[strings.ToLower(ok)] = ov
			}
		case "replication":
		default:
			want[l] = v
		}
	}
	if s.gate.Enabled() {
		// One reading: the parameters that change how the server reads
		// text, or that only a superuser may set, are refused here.
		if den := policy.CheckStartupParams(want); den != nil {
			s.gate.Refused(den)
			return pgwire.Fatalf(den.Code, "%s", den.Message)
		}
	}
	defaults := s.r.serverParams()
	if defaults != nil && s.pinned == "" && echoable(want) {
		// Nothing the server must normalise: answer from the parameters
		// already known and attach at the first statement, so a client can
		// connect while every backend connection is busy.
		params := make(map[string]string, len(defaults)+len(want))
		for k, v := range defaults {
			params[k] = v
		}
		if _, ok := want["client_encoding"]; ok {
			want["client_encoding"] = "UTF8"
		}
		for k, v := range want {
			params[k] = v
		}
		s.want = s.withDefaults(want, defaults)
		if s.pinLexing() {
			params["standard_conforming_strings"] = "on"
		}
		s.startWant = maps.Clone(s.want)
		return s.c.Ready(params)
	}
	if err := s.attach(ctx); err != nil {
		return err
	}
	b := s.be.Value
	defaults = s.r.serverParams()
	want = s.withDefaults(want, defaults)
	s.want = want
	s.pinLexing()
	if err := s.syncParams(); err != nil {
		return pgwire.Fatalf(pgwire.CodeInvalidAuthSpec, "invalid startup parameter: %v", errMessage(err))
	}
	s.startWant = maps.Clone(s.want)
	params := make(map[string]string, len(b.reported))
	for l, v := range b.reported {
		params[b.names[l]] = v
	}
	s.maybeRelease()
	return s.c.Ready(params)
}

// pinLexing makes the session read string literals as the policy's
// parser does, whatever the server's default: standard_conforming_strings
// on. It reports whether it changed what the session wants.
func (s *session) pinLexing() bool {
	if !s.gate.Enabled() || s.want["standard_conforming_strings"] == "on" {
		return false
	}
	s.want["standard_conforming_strings"] = "on"
	return true
}

// echoable reports whether the startup parameters can be reported back
// without asking the server to normalise them.
func echoable(want map[string]string) bool {
	for k, v := range want {
		switch k {
		case "application_name":
		case "client_encoding":
			switch strings.ToUpper(v) {
			case "UTF8", "UTF-8", "UNICODE":
			default:
				return false
			}
		default:
			return false
		}
	}
	return true
}

// withDefaults adds the server's defaults for tracked parameters the
// client did not set, so a session never inherits another client's.
func (s *session) withDefaults(want, defaults map[string]string) map[string]string {
	for _, p := range trackedParams {
		if _, ok := want[p]; ok {
			continue
		}
		for k, v := range defaults {
			if strings.ToLower(k) == p {
				want[p] = v
			}
		}
	}
	return want
}

// syncParams replays the client's parameters on the attached connection
// and adopts the server's spelling of the values it reports.
func (s *session) syncParams() error {
	b := s.be.Value
	if err := b.syncParams(s.want); err != nil {
		return err
	}
	for name := range s.want {
		if v, ok := b.reported[name]; ok {
			s.want[name] = v
		}
	}
	return nil
}

func errMessage(err error) string {
	if pe, ok := errors.AsType[*pgwire.Error](err); ok {
		return pe.Message
	}
	if pe := asPgError(err); pe != nil {
		return pe.Message
	}
	return "backend error"
}

// parseOptions reads "-c name=value" and "--name=value" pairs.
func parseOptions(s string) (map[string]string, error) {
	out := map[string]string{}
	fields := strings.Fields(s)
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		var kv string
		switch {
		case f == "-c" && i+1 < len(fields):
			i++
			kv = fields[i]
		case strings.HasPrefix(f, "-c"):
			kv = f[2:]
		case strings.HasPrefix(f, "--"):
			kv = f[2:]
		default:
			return nil, errors.New("unsupported startup option " + f + " (only -c name=value)")
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, errors.New("startup option " + kv + " has no value")
		}
		out[strings.ReplaceAll(k, "-", "_")] = v
	}
	return out, nil
}

func (s *session) loop(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return pgwire.ErrShutdown
		}
		var msg pgproto3.FrontendMessage
		var err error
		switch {
		case s.listening && s.be != nil && s.idle():
			msg, err = s.receiveListening()
		case s.idle():
			msg, err = s.c.ReceiveIdle()
		case !s.inBatch && len(s.pending) == 0:
			// Idle inside a transaction: the client has its ReadyForQuery.
			msg, err = s.c.ReceiveWithin(s.idleInTx)
		default:
			msg, err = s.c.Receive()
		}
		if err != nil {
			return err
		}
		if s.skipping {
			switch msg.(type) {
			case *pgproto3.Parse, *pgproto3.Bind, *pgproto3.Describe, *pgproto3.Execute, *pgproto3.Close:
				continue
			}
		}
		switch m := msg.(type) {
		case *pgproto3.Query:
			err = s.query(ctx, m)
		case *pgproto3.Parse:
			err = s.parse(ctx, m)
		case *pgproto3.Bind:
			err = s.bind(ctx, m)
		case *pgproto3.Describe:
			err = s.describe(ctx, m)
		case *pgproto3.Execute:
			if den := s.beginLimits(); den != nil {
				if s.be == nil {
					s.c.Send(denialError(den))
					s.errObs.Inc()
					err = s.skipToSync()
					break
				}
				s.fail(op{kind: opExecute}, pgwire.ErrorOf(den))
				err = s.checkPending(ctx)
				break
			}
			err = s.forward(ctx, m, op{kind: opExecute, portal: s.portals[m.Portal]})
		case *pgproto3.Close:
			err = s.close(ctx, m)
		case *pgproto3.Sync:
			err = s.sync(ctx)
		case *pgproto3.Flush:
			err = s.flush(ctx)
		case *pgproto3.FunctionCall:
			if s.gate.Refuses() {
				err = s.deniedQuery(ctx, &policy.Denial{Code: pgwire.CodeInsufficientPrivilege,
					Message: "the function-call protocol carries no SQL for the policy to check; use SELECT"})
				break
			}
			if err = s.roundTrip(ctx, m, op{kind: opFunction}, ""); err == nil {
				s.maybeRelease()
			}
		case *pgproto3.Terminate:
			return nil
		case *pgproto3.CopyData, *pgproto3.CopyDone, *pgproto3.CopyFail:
			// Outside COPY the server ignores these too.
		default:
			return pgwire.Fatalf(pgwire.CodeProtocolViolation, "unexpected message %T", msg)
		}
		if err != nil {
			return err
		}
		if s.clientGone {
			return nil
		}
	}
}

// idle reports whether the client is between transactions with nothing in flight.
func (s *session) idle() bool {
	return s.txStatus == 'I' && !s.inBatch && len(s.pending) == 0
}

// attach gets a backend connection for the client where writes go and
// brings its state in line with the client's.
func (s *session) attach(ctx context.Context) error { return s.attachFor(ctx, "") }

// attachFor attaches for a batch that starts with text: a replica's
// connection when the split allows it, else where writes go ("" always
// goes there).
func (s *session) attachFor(ctx context.Context, text string) error {
	if s.be != nil {
		return nil
	}
	p, bc, replica, err := s.r.acquireFor(ctx, s.login, s.routeSession(), text)
	if err != nil {
		return err
	}
	s.onReplica = replica
	s.cancelMu.Lock()
	s.be, s.bePool = bc, p
	s.cancelTarget = bc.Value
	s.cancelMu.Unlock()
	if b := bc.Value; b.user != s.c.User.Name {
		// Whatever a statement of another user left on the connection
		// (temporary tables, settings, prepared statements, cursors,
		// advisory locks) goes before this user's statements run.
		if b.user != "" {
			if _, err := b.simple("DISCARD ALL"); err != nil {
				s.discardOnDetach = true
				s.detach(false)
				return pgwire.Errorf(pgwire.CodeConnectionFailure, "could not prepare a backend connection for database %q", s.r.name)
			}
			b.applied = map[string]string{}
			b.prepared = map[string]bool{}
			b.unnamedOwner = nil
		}
		b.user = s.c.User.Name
	}
	if s.want != nil {
		if err := s.syncParams(); err != nil {
			s.detach(false)
			return pgwire.Errorf(pgwire.CodeConnectionFailure, "could not prepare a backend connection: %s", errMessage(err))
		}
	}
	return nil
}

// maybeRelease gives the backend connection back when pooling allows.
func (s *session) maybeRelease() {
	if s.be == nil || s.pinned != "" || !s.idle() {
		return
	}
	s.detach(false)
}

// detach returns the backend connection to the pool. At the end of a
// session (final) a pinned connection is reset first.
func (s *session) detach(final bool) {
	if s.be == nil {
		return
	}
	bc := s.be
	s.cancelMu.Lock()
	s.be = nil
	s.cancelTarget = nil
	s.cancelMu.Unlock()
	b := bc.Value
	if s.wrote {
		s.lastWrite = time.Now()
		s.writeLSN = 0
		if !s.onReplica && !s.discardOnDetach && !final && s.idle() {
			var broken bool
			if s.writeLSN, broken = s.r.writePosition(b); broken {
				s.discardOnDetach = true
			}
		}
	}
	s.onReplica, s.wrote = false, false
	reusable := !s.discardOnDetach
	s.discardOnDetach = false
	if reusable && final {
		reusable = s.resetForNext(b)
	}
	if b.unnamedOwner == s {
		b.unnamedOwner = nil
	}
	s.bePool.Release(bc, reusable)
}

// resetForNext leaves a connection the way the next client expects it.
func (s *session) resetForNext(b *backendConn) bool {
	_ = b.conn.SetDeadline(time.Now().Add(10 * time.Second))
	defer b.conn.SetDeadline(time.Time{})
	if s.inBatch || len(s.pending) > 0 {
		return false // an exchange was cut short: the state is unknown
	}
	if s.txStatus != 'I' {
		if _, err := b.simple("ROLLBACK"); err != nil {
			return false
		}
	}
	if s.pinned != "" {
		if _, err := b.simple(s.r.poolConfig().ResetQuery); err != nil {
			return false
		}
		b.applied = map[string]string{}
		b.prepared = map[string]bool{}
		b.unnamedOwner = nil
	}
	return true
}

// cancel is the CancelRequest handler; it runs on another goroutine.
func (s *session) cancel() {
	s.cancelMu.Lock()
	defer s.cancelMu.Unlock()
	if s.cancelTarget == nil {
		return
	}
	if err := s.cancelTarget.sendCancel(context.Background()); err != nil {
		s.log.Warn("could not forward cancel request", "error", err.Error())
	}
}

func (s *session) pin(reason string) {
	if s.pinned != "" || reason == "" {
		return
	}
	s.pinned = reason
	s.r.metrics.Pins.WithLabelValues(s.r.name, reason).Inc()
	s.log.Debug("client pinned to its backend connection", "reason", reason)
}

// serverName is the name a statement gets on the server: the same text
// and parameter types share one server-side statement per connection.
func serverName(query string, oids []uint32) string {
	h := sha256.New()
	h.Write([]byte(query))
	var b [4]byte
	for _, o := range oids {
		binary.BigEndian.PutUint32(b[:], o)
		h.Write(b[:])
	}
	return "floe_" + hex.EncodeToString(h.Sum(nil)[:12])
}

func (s *session) send(m pgproto3.FrontendMessage) {
	s.be.Value.fe.Send(m)
}

func (s *session) parse(ctx context.Context, m *pgproto3.Parse) error {
	if s.log.Enabled(ctx, slog.LevelDebug) {
		s.log.Debug("parse", "statement", m.Name, "sql", sqltext.Mask(m.Query))
	}
	if d := s.gate.Check(ctx, "parse", m.Query); d.Denial != nil {
		return s.deniedParse(ctx, m, d.Denial)
	} else if d.SQL != "" {
		m = &pgproto3.Parse{Name: m.Name, Query: d.SQL, ParameterOIDs: m.ParameterOIDs}
	}
	if eff := sqltext.SessionEffects(m.Query); eff.Pin != "" {
		s.pin(eff.Pin)
	}
	// A replica can prepare a write (only running it fails): a batch
	// begun on a replica is checked at Bind.
	if err := s.beginBatchFor(ctx, m.Query); err != nil {
		return s.batchError(err)
	}
	oids := append([]uint32(nil), m.ParameterOIDs...)
	if m.Name == "" {
		s.unnamedSeq++
		s.unnamed = &stmt{query: m.Query, oids: oids}
		b := s.be.Value
		b.unnamedOwner, b.unnamedSeq = s, s.unnamedSeq
		s.send(m)
		s.pending = append(s.pending, op{kind: opParse, sql: m.Query})
		return s.checkPending(ctx)
	}
	if _, exists := s.stmts[m.Name]; exists {
		// As PostgreSQL: a named statement must be closed before reuse.
		s.fail(op{kind: opParse}, pgwire.Errorf(pgwire.CodeDuplicatePreparedStmt, "prepared statement %q already exists", m.Name))
		return s.checkPending(ctx)
	}
	if err := s.stmtRoom(m.Query); err != nil {
		s.fail(op{kind: opParse}, err)
		return s.checkPending(ctx)
	}
	st := &stmt{query: m.Query, oids: oids, server: serverName(m.Query, oids)}
	s.stmts[m.Name] = st
	b := s.be.Value
	if b.prepared[st.server] {
		s.pending = append(s.pending, op{kind: opParse, synthetic: &pgproto3.ParseComplete{}})
		return s.checkPending(ctx)
	}
	s.evictServerStmts()
	b.prepared[st.server] = true
	s.send(&pgproto3.Parse{Name: st.server, Query: st.query, ParameterOIDs: st.oids})
	s.pending = append(s.pending, op{kind: opParse, sql: m.Query, server: st.server, client: m.Name})
	return s.checkPending(ctx)
}

// fail queues a gateway-detected error in the place of o's response; the
// client's messages are dropped until Sync, as the server would.
func (s *session) fail(o op, err error) {
	o.synthetic = pgwire.ErrorResponse(err)
	s.pending = append(s.pending, o)
	s.skipping = true
}

// ensurePrepared makes the client's statement exist on the attached
// connection, re-preparing it if the client moved connections. It returns
// the server's name, or an error for an unknown statement.
func (s *session) ensurePrepared(name string) (string, error) {
	b := s.be.Value
	if name == "" {
		if s.unnamed == nil {
			return "", pgwire.Errorf(pgwire.CodeInvalidSQLStatement, "unnamed prepared statement does not exist")
		}
		if b.unnamedOwner != s || b.unnamedSeq != s.unnamedSeq {
			b.unnamedOwner, b.unnamedSeq = s, s.unnamedSeq
			s.send(&pgproto3.Parse{Query: s.unnamed.query, ParameterOIDs: s.unnamed.oids})
			s.pending = append(s.pending, op{kind: opParse, swallow: true})
		}
		return "", nil
	}
	st, ok := s.stmts[name]
	if !ok {
		return "", pgwire.Errorf(pgwire.CodeInvalidSQLStatement, "prepared statement %q does not exist", name)
	}
	if !b.prepared[st.server] {
		b.prepared[st.server] = true
		s.send(&pgproto3.Parse{Name: st.server, Query: st.query, ParameterOIDs: st.oids})
		s.pending = append(s.pending, op{kind: opParse, swallow: true, server: st.server})
	}
	return st.server, nil
}

func (s *session) bind(ctx context.Context, m *pgproto3.Bind) error {
	text := ""
	if st := s.unnamed; m.PreparedStatement == "" && st != nil {
		text = st.query
	} else if st, ok := s.stmts[m.PreparedStatement]; ok {
		text = st.query
	}
	if err := s.noteStatement(text); err != nil {
		s.fail(op{kind: opBind}, err)
		return s.checkPending(ctx)
	}
	if err := s.beginBatchFor(ctx, text); err != nil {
		return s.batchError(err)
	}
	server, err := s.ensurePrepared(m.PreparedStatement)
	if err != nil {
		s.fail(op{kind: opBind}, err)
		return s.checkPending(ctx)
	}
	st := s.unnamed
	if m.PreparedStatement != "" {
		st = s.stmts[m.PreparedStatement]
	}
	if ms := s.gate.Masks(); ms != nil && (!st.described || st.planMasks != ms) {
		// The rows of the portal are masked by the statement's columns:
		// learn them before it runs.
		s.send(&pgproto3.Describe{ObjectType: 'S', Name: server})
		s.pending = append(s.pending, op{kind: opDescribeStmt, swallow: true, st: st})
	}
	s.portals[m.DestinationPortal] = &portal{st: st, formats: slices.Clone(m.ResultFormatCodes)}
	orig := m.PreparedStatement
	m.PreparedStatement = server
	s.send(m)
	m.PreparedStatement = orig
	s.pending = append(s.pending, op{kind: opBind})
	return s.checkPending(ctx)
}

func (s *session) describe(ctx context.Context, m *pgproto3.Describe) error {
	if err := s.beginBatch(ctx); err != nil {
		return s.batchError(err)
	}
	if m.ObjectType == 'P' {
		s.send(m)
		s.pending = append(s.pending, op{kind: opDescribePortal, portal: s.portals[m.Name]})
		return s.checkPending(ctx)
	}
	server, err := s.ensurePrepared(m.Name)
	if err != nil {
		s.fail(op{kind: opDescribeStmt}, err)
		return s.checkPending(ctx)
	}
	st := s.unnamed
	if m.Name != "" {
		st = s.stmts[m.Name]
	}
	s.send(&pgproto3.Describe{ObjectType: 'S', Name: server})
	s.pending = append(s.pending, op{kind: opDescribeStmt, st: st})
	return s.checkPending(ctx)
}

func (s *session) close(ctx context.Context, m *pgproto3.Close) error {
	if m.ObjectType == 'S' {
		// Server-side statements are shared and kept; the client's name goes.
		if m.Name == "" {
			s.unnamed = nil
		} else {
			delete(s.stmts, m.Name)
		}
		if err := s.beginBatch(ctx); err != nil {
			return s.batchError(err)
		}
		s.pending = append(s.pending, op{kind: opClose, synthetic: &pgproto3.CloseComplete{}})
		return s.checkPending(ctx)
	}
	delete(s.portals, m.Name)
	return s.forward(ctx, m, op{kind: opClose})
}

// forward sends an extended-protocol message as it is.
func (s *session) forward(ctx context.Context, m pgproto3.FrontendMessage, o op) error {
	if err := s.beginBatch(ctx); err != nil {
		return s.batchError(err)
	}
	s.send(m)
	s.pending = append(s.pending, o)
	return s.checkPending(ctx)
}

// beginBatch attaches a backend for an extended-protocol message.
func (s *session) beginBatch(ctx context.Context) error { return s.beginBatchFor(ctx, "") }

// beginBatchFor attaches for a batch whose first statement is text.
func (s *session) beginBatchFor(ctx context.Context, text string) error {
	if s.be == nil {
		if err := s.attachFor(ctx, text); err != nil {
			return err
		}
	}
	if !s.inBatch {
		s.inBatch = true
		s.cycleStart = time.Now()
		s.cycleErr = false
	}
	return nil
}

// batchError reports a failure to attach during an extended-protocol
// batch: the error is sent and the rest of the batch is skipped until
// Sync, as the server itself would.
func (s *session) batchError(err error) error {
	if _, ok := errors.AsType[*pgwire.Error](err); !ok {
		return err
	}
	s.c.SendError(err)
	return s.skipToSync()
}

// skipToSync reads and drops client messages until Sync, then answers
// ReadyForQuery.
func (s *session) skipToSync() error {
	for {
		msg, err := s.c.Receive()
		if err != nil {
			return err
		}
		switch msg.(type) {
		case *pgproto3.Sync:
			s.inBatch = false
			s.c.Send(&pgproto3.ReadyForQuery{TxStatus: s.txStatus})
			return s.c.Flush()
		case *pgproto3.Terminate:
			s.clientGone = true
			return nil
		}
	}
}

func (s *session) checkPending(ctx context.Context) error {
	if len(s.pending) < maxPending {
		return nil
	}
	return s.flush(ctx)
}

// flush forwards a client Flush: everything so far is answered, the
// backend stays attached until Sync.
func (s *session) flush(ctx context.Context) error {
	if s.be == nil {
		return s.c.Flush()
	}
	s.send(&pgproto3.Flush{})
	if err := s.exchange(ctx); err != nil {
		return err
	}
	return s.c.Flush()
}

func (s *session) sync(ctx context.Context) error {
	s.skipping = false
	if s.be == nil {
		// Nothing went to a backend (e.g. only a Close): answer locally.
		s.c.Send(&pgproto3.ReadyForQuery{TxStatus: s.txStatus})
		return s.c.Flush()
	}
	if !s.inBatch {
		s.cycleStart = time.Now()
		s.cycleErr = false
	}
	s.send(&pgproto3.Sync{})
	s.pending = append(s.pending, op{kind: opSync})
	if err := s.exchange(ctx); err != nil {
		return err
	}
	if s.syncDropped {
		s.syncDropped = false
		return s.c.Flush()
	}
	s.inBatch = false
	s.endLimits()
	s.endCycle()
	s.maybeRelease()
	return nil
}

func (s *session) query(ctx context.Context, m *pgproto3.Query) error {
	if s.log.Enabled(ctx, slog.LevelDebug) {
		s.log.Debug("query", "sql", sqltext.Mask(m.String))
	}
	if d := s.gate.Check(ctx, "query", m.String); d.Denial != nil {
		return s.deniedQuery(ctx, d.Denial)
	} else if d.SQL != "" {
		m = &pgproto3.Query{String: d.SQL}
	}
	if den := s.beginLimits(); den != nil {
		return s.deniedQuery(ctx, den)
	}
	defer s.endLimits()
	eff := sqltext.SessionEffects(m.String)
	if eff.Pin != "" {
		s.pin(eff.Pin)
	}
	if eff.Listen {
		s.listening = true
	}
	if eff.Statements == 1 && len(eff.Deallocate) == 1 && !eff.DeallocateAll {
		if _, ours := s.stmts[eff.Deallocate[0]]; ours {
			// A protocol-level statement the server knows under another name.
			delete(s.stmts, eff.Deallocate[0])
			s.c.Send(&pgproto3.CommandComplete{CommandTag: []byte("DEALLOCATE")})
			s.c.Send(&pgproto3.ReadyForQuery{TxStatus: s.txStatus})
			return s.c.Flush()
		}
	}
	// A write Query in the middle of a batch begun on a replica goes
	// there and the replica refuses it (25006), in order with the rest.
	_ = s.noteStatement(m.String)
	err := s.roundTrip(ctx, m, op{kind: opQuery, sql: m.String}, m.String)
	if err == nil && s.be != nil && !s.inBatch && (eff.DiscardAll || eff.DeallocateAll) {
		b := s.be.Value
		b.prepared = map[string]bool{}
		b.unnamedOwner = nil
		s.stmts = map[string]*stmt{}
		s.unnamed = nil
		if eff.DiscardAll {
			b.applied = map[string]string{}
			for k, v := range s.startWant {
				s.want[k] = v
			}
		}
	}
	if err == nil {
		s.maybeRelease()
	}
	return err
}

// roundTrip sends a message that ends with ReadyForQuery (Query,
// FunctionCall) and relays the answer; text is the SQL it carries, which
// may route it to a replica ("": where writes go).
func (s *session) roundTrip(ctx context.Context, m pgproto3.FrontendMessage, o op, text string) error {
	if !s.inBatch {
		s.cycleStart = time.Now()
		s.cycleErr = false
	}
	if err := s.attachFor(ctx, text); err != nil {
		if _, ok := errors.AsType[*pgwire.Error](err); ok {
			s.c.SendError(err)
			s.c.Send(&pgproto3.ReadyForQuery{TxStatus: s.txStatus})
			s.errObs.Inc()
			return s.c.Flush()
		}
		return err
	}
	s.send(m)
	s.pending = append(s.pending, o)
	if err := s.exchange(ctx); err != nil {
		return err
	}
	s.inBatch = false
	s.endCycle()
	return nil
}

func (s *session) endCycle() {
	d := time.Since(s.cycleStart)
	s.latency.Observe(d.Seconds())
	s.r.metrics.Statements.Record(s.r.name, s.cycleText, sqltext.Mask, d, s.runRows, s.cycleErr)
	s.cycleText = ""
	if s.cycleErr {
		s.errObs.Inc()
	} else {
		s.okObs.Inc()
	}
}
