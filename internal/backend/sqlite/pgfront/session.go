package pgfront

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/floe-db/floe/internal/analysis"
	"github.com/floe-db/floe/internal/backend/sqlite"
	"github.com/floe-db/floe/internal/cache/wirefmt"
	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/sqlerr"
	"github.com/floe-db/floe/internal/stmt"
	"github.com/floe-db/floe/internal/wire/pgwire"
)

const (
	flushBytes = 32 << 10
	watchDelay = 50 * time.Millisecond
)

// Handler serves an engine's database to PostgreSQL clients.
type Handler struct{ e *sqlite.Engine }

// New returns the PostgreSQL front end of e.
func New(e *sqlite.Engine) *Handler { return &Handler{e: e} }

// Pipeline is the statement pipeline of the engine's PostgreSQL front
// end; the data APIs run their statements of this database through it,
// so the analysis cache and the stages are one.
func (h *Handler) Pipeline() *stmt.Pipeline { return h.e.Pipeline(analysis.Postgres) }

// Serve implements pgwire.Handler.
func (h *Handler) Serve(ctx context.Context, c *pgwire.Conn) error {
	e := h.e
	ss, err := e.Connect(ctx, analysis.Postgres, policy.Request{
		User: c.User.Name, Roles: c.User.Roles, Client: policy.HostOf(c.RemoteAddr),
		Protocol: "postgres", Session: c.ProcessID(), DefaultSchema: "main",
	})
	if err != nil {
		return pgwire.Fatalf(pgwire.CodeConnectionFailure, "could not open database %q", e.Name())
	}
	defer ss.Close()
	s := &session{
		ss: ss, c: c, conn: ss.Conn(), txStatus: 'I', ps: ss.Statements(),
		stmts:    map[string]*prepared{},
		sqlStmts: map[string]*sqlite.Statement{},
		portals:  map[string]*portal{},
		params: map[string]string{
			"server_version": "15.0 (Floe SQLite " + e.Version() + ")", "server_encoding": "UTF8",
			"client_encoding": "UTF8", "DateStyle": "ISO, MDY", "integer_datetimes": "on",
			"standard_conforming_strings": "on", "TimeZone": "UTC", "IntervalStyle": "postgres",
			"is_superuser": "off", "session_authorization": c.User.Name,
			"application_name": c.Params["application_name"],
		},
	}
	if enc := c.Params["client_encoding"]; enc != "" && !strings.EqualFold(enc, "UTF8") && !strings.EqualFold(enc, "UTF-8") && !strings.EqualFold(enc, "unicode") {
		return pgwire.Fatalf(sqlerr.InvalidParameterValue, "client_encoding %q is not supported: SQLite databases speak UTF8", enc)
	}
	defer s.closeAll()
	c.SetCanceller(func() { s.cancel() })
	defer c.SetCanceller(nil)
	if err := c.Ready(s.params); err != nil {
		return err
	}
	return s.loop(ctx)
}

type prepared struct {
	text   string // as the client sent it (the pipeline's key)
	st     sqlite.Statement
	oids   []uint32 // parameter types
	fields []pgproto3.FieldDescription
	// described: fields are known (nil fields then means NoData)
	described bool
	// exec is the SQL-prepared statement an EXECUTE runs.
	exec *sqlite.Statement
}

type portal struct {
	p       *prepared
	args    []any
	formats []int16
	cur     *sqlite.Cursor
	done    bool
	// st is the statement a Describe started when it opened the cursor
	// (running the query); the Execute that reads the cursor carries it
	// on.
	st *stmt.Statement
	// keyFormat and keyParams are the Bind's part of the cache key
	// (cache.go); hit is a stored result a Describe found, which the
	// Execute replays; rec records the result a Describe began.
	keyFormat string
	keyParams []byte
	hit       *wirefmt.PGResult
	rec       *recording
}

type session struct {
	ss       *sqlite.Session
	c        *pgwire.Conn
	ps       *stmt.Session
	cur      *stmt.Statement // the statement under way (nil between statements)
	conn     *sql.Conn
	txStatus byte
	stmts    map[string]*prepared
	// sqlStmts are the statements PREPAREd in SQL (EXECUTE runs them).
	sqlStmts map[string]*sqlite.Statement
	portals  map[string]*portal
	params   map[string]string
	skipping bool
	tm       *pgtype.Map
	// rec records the result under way for the cache (cache.go).
	rec *recording
}

func (s *session) cancel() { s.ss.Cancel() }

// run returns a context for one statement that a CancelRequest or a
// client hang-up cancels.
func (s *session) run(ctx context.Context) (context.Context, func()) {
	ctx, cancel := s.ss.Run(ctx)
	stop := s.c.WatchClose(watchDelay, cancel)
	return ctx, func() {
		stop()
		s.ss.Forget()
	}
}

func (s *session) closeAll() {
	for name, p := range s.portals {
		p.close()
		delete(s.portals, name)
	}
	if s.txStatus != 'I' {
		_, _ = s.conn.ExecContext(context.Background(), "ROLLBACK")
	}
}

func (p *portal) close() {
	if p.cur != nil {
		p.cur.Close()
		p.cur = nil
	}
	if p.st != nil {
		// Described, never executed: the statement ends with its cursor.
		p.st.Finish(nil)
		p.st = nil
	}
}

func (s *session) loop(ctx context.Context) error {
	s.tm = pgtype.NewMap()
	for {
		var msg pgproto3.FrontendMessage
		var err error
		if s.txStatus == 'I' && !s.skipping {
			msg, err = s.c.ReceiveIdle()
		} else {
			msg, err = s.c.Receive()
		}
		if err != nil {
			return err
		}
		if s.skipping {
			switch msg.(type) {
			case *pgproto3.Sync, *pgproto3.Terminate, *pgproto3.Query:
			default:
				continue
			}
		}
		switch m := msg.(type) {
		case *pgproto3.Query:
			err = s.ready(s.simpleQuery(ctx, m.String))
		case *pgproto3.Parse:
			err = s.extended(s.parse(ctx, m))
		case *pgproto3.Bind:
			err = s.extended(s.bind(m))
		case *pgproto3.Describe:
			err = s.extended(s.describe(ctx, m))
		case *pgproto3.Execute:
			err = s.extended(s.execute(ctx, m))
		case *pgproto3.Close:
			err = s.extended(s.closeMsg(m))
		case *pgproto3.Sync:
			s.skipping = false
			if s.txStatus == 'I' {
				// The implicit transaction of an extended batch ends here.
				for name, p := range s.portals {
					p.close()
					delete(s.portals, name)
				}
			}
			err = s.ready(nil)
		case *pgproto3.Flush:
			err = s.c.Flush()
		case *pgproto3.Terminate:
			return nil
		case *pgproto3.CopyData, *pgproto3.CopyDone, *pgproto3.CopyFail:
		case *pgproto3.FunctionCall:
			s.c.SendError(pgwire.Errorf(pgwire.CodeFeatureNotSupported, "function calls are not supported on SQLite databases"))
			err = s.ready(nil)
		default:
			return pgwire.Fatalf(pgwire.CodeProtocolViolation, "unexpected message %T", msg)
		}
		if err != nil {
			return err
		}
	}
}

// finishDeferred, deferred while a statement runs, finishes it with the
// error returned, or on a panic as an internal error (so that its limits
// are given back) before the panic goes on.
func (s *session) finishDeferred(errp *error) {
	if p := recover(); p != nil {
		s.finish(pgwire.Errorf(pgwire.CodeInternalError, "internal error: %v", p))
		panic(p)
	}
	timedOut := s.cur.TimedOut()
	s.finish(*errp)
	if timedOut && *errp != nil && pgCode(*errp) == sqlerr.QueryCanceled {
		// The statement timeout stopped it: say so, as PostgreSQL does.
		*errp = pgwire.Errorf(sqlerr.QueryCanceled, "canceling statement due to statement timeout")
	}
}

// finish ends the statement under way with err, recorded under the
// SQLSTATE the client is sent.
func (s *session) finish(err error) {
	st := s.cur
	s.cur, s.rec = nil, nil
	if err != nil {
		st.Fail(pgCode(err))
	}
	st.Finish(err)
}

// pgCode is the SQLSTATE of an error a session answers.
func pgCode(err error) string {
	if pe, ok := errors.AsType[*pgwire.Error](err); ok {
		return pe.Code
	}
	return stmt.Code(err)
}

// ready sends err (if any) and ReadyForQuery.
func (s *session) ready(err error) error {
	if err != nil {
		if !isSQLError(err) {
			return err
		}
		s.c.SendError(err)
	}
	s.c.Send(&pgproto3.ReadyForQuery{TxStatus: s.txStatus})
	return s.c.Flush()
}

// extended handles an extended-protocol step's error: the client is told
// and the rest of the batch is skipped until Sync.
func (s *session) extended(err error) error {
	if err == nil {
		return nil
	}
	if !isSQLError(err) {
		return err
	}
	s.c.SendError(err)
	s.skipping = true
	if s.txStatus == 'T' {
		s.txStatus = 'E'
	}
	return nil
}

// isSQLError separates errors for the client (which carry a SQLSTATE)
// from connection failures.
func isSQLError(err error) bool {
	return sqlerr.Code(err) != ""
}

// clientError converts a database error for the client; connection
// errors (writes to the client) pass through.
func clientError(err error) error {
	if err == nil || isSQLError(err) {
		return err
	}
	if errors.Is(err, errClientWrite) {
		return err
	}
	return sqlite.SQLError(err)
}

var errClientWrite = errors.New("writing to the client failed")

// simpleQuery runs a simple-protocol text as one statement of the
// pipeline: decided, limited, then its SQLite statements in turn.
func (s *session) simpleQuery(ctx context.Context, text string) (err error) {
	st, den := s.ps.Start(ctx, "query", text, s.cancel)
	if den != nil {
		return pgwire.ErrorOf(den)
	}
	s.cur = st
	defer s.finishDeferred(&err)
	if c := st.Cache(); c != nil && s.txStatus != 'E' {
		v := stmt.Variant{Format: wirefmt.PGSimple, Settings: s.settings()}
		if r, ok := s.hit(ctx, st, c, v); ok && r.Desc != nil {
			return s.replay(r, true)
		}
		s.startRecording(c, v)
	}
	return s.runText(ctx, st)
}

// runText runs the statements of st.SQL (the text, row filters added).
func (s *session) runText(ctx context.Context, run *stmt.Statement) error {
	a := run.Analysis
	if run.SQL != run.Text {
		a = s.ps.Analyze(run.SQL)
	}
	if err := s.ss.Catalog(ctx, a); err != nil {
		return err
	}
	stmts, err := sqlite.PGStatements(a)
	if err != nil {
		return err
	}
	if len(stmts) != 1 {
		s.rec = nil // only a single result is stored
	}
	if len(stmts) == 1 && stmts[0].Empty {
		s.c.Send(&pgproto3.EmptyQueryResponse{})
		return nil
	}
	for i := range stmts {
		st := &stmts[i]
		if st.Empty {
			continue
		}
		if err := s.runStatement(ctx, st, nil, nil, true); err != nil {
			return err
		}
	}
	return nil
}

// runStatement runs one statement to completion, sending its rows (with a
// RowDescription when describe is set) and its CommandComplete.
func (s *session) runStatement(ctx context.Context, st *sqlite.Statement, args []any, formats []int16, describe bool) error {
	if handled, err := s.local(st); handled {
		s.rec = nil
		return err
	}
	if err := s.txGate(st); err != nil {
		return err
	}
	switch st.Verb {
	case "PREPARE", "EXECUTE", "DEALLOCATE":
		return s.sqlPrepared(ctx, st, args, formats, describe)
	}
	s.cur.NextResult()
	// The session's own connection: no pool wait.
	s.cur.Acquired(sqlite.Server)
	if st.Rows {
		cur, err := s.open(ctx, st, args)
		s.cur.Responded()
		if err != nil {
			return s.failed(err)
		}
		defer cur.Close()
		if describe {
			rd := &pgproto3.RowDescription{Fields: fields(cur, formats)}
			s.c.Send(rd)
			s.record(rd)
		}
		if _, err := s.stream(cur, formats, 0); err != nil {
			return s.failed(err)
		}
		cc := &pgproto3.CommandComplete{CommandTag: []byte(commandTag(st, cur.Read()))}
		s.c.Send(cc)
		s.recordDone(cc)
		s.txAfter(st)
		return nil
	}
	s.rec = nil
	rctx, done := s.run(ctx)
	res, err := s.conn.ExecContext(rctx, st.SQL, args...)
	done()
	s.cur.Responded()
	if err != nil {
		return s.failed(err)
	}
	n, _ := res.RowsAffected()
	switch st.Verb {
	case "INSERT", "UPDATE", "DELETE", "REPLACE":
		// SQLite's count is of the last such statement: others affect none.
		s.cur.AddRows(n)
	}
	s.c.Send(&pgproto3.CommandComplete{CommandTag: []byte(commandTag(st, n))})
	s.txAfter(st)
	return nil
}

// failed marks a failed transaction and converts the error.
func (s *session) failed(err error) error {
	err = clientError(err)
	if isSQLError(err) && s.txStatus == 'T' {
		s.txStatus = 'E'
	}
	return err
}

// txGate applies PostgreSQL's transaction rules that SQLite lacks.
func (s *session) txGate(st *sqlite.Statement) error {
	if s.txStatus == 'E' && st.Tx != 'E' {
		return pgwire.Errorf(sqlerr.InFailedSQLTransaction, "current transaction is aborted, commands ignored until end of transaction block")
	}
	return nil
}

func (s *session) txAfter(st *sqlite.Statement) {
	switch st.Tx {
	case 'B':
		s.txStatus = 'T'
	case 'E':
		s.txStatus = 'I'
	}
}

// local answers statements the engine handles itself: transaction edge
// cases, SET, SHOW and RESET of session parameters.
func (s *session) local(st *sqlite.Statement) (bool, error) {
	switch {
	case st.Tx == 'B' && s.txStatus != 'I':
		s.c.Send(&pgproto3.NoticeResponse{Severity: "WARNING", SeverityUnlocalized: "WARNING", Code: sqlerr.ActiveSQLTransaction, Message: "there is already a transaction in progress"})
		s.c.Send(&pgproto3.CommandComplete{CommandTag: []byte("BEGIN")})
		return true, nil
	case st.Tx == 'E' && s.txStatus == 'I':
		s.c.Send(&pgproto3.NoticeResponse{Severity: "WARNING", SeverityUnlocalized: "WARNING", Code: sqlerr.NoActiveSQLTransaction, Message: "there is no transaction in progress"})
		s.c.Send(&pgproto3.CommandComplete{CommandTag: []byte(st.Verb)})
		return true, nil
	case st.Tx == 'E' && s.txStatus == 'E':
		if _, err := s.conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
			return true, sqlite.SQLError(err)
		}
		s.txStatus = 'I'
		s.c.Send(&pgproto3.CommandComplete{CommandTag: []byte("ROLLBACK")})
		return true, nil
	}
	switch st.Verb {
	case "SET", "RESET", "SHOW":
	default:
		return false, nil
	}
	if err := s.txGate(st); err != nil {
		return true, err
	}
	words := strings.Fields(strings.TrimSuffix(st.SQL, ";"))
	switch st.Verb {
	case "SET":
		if len(words) < 3 {
			return true, pgwire.Errorf(pgwire.CodeSyntaxError, "syntax error in SET")
		}
		rest := words[1:]
		if strings.EqualFold(rest[0], "session") || strings.EqualFold(rest[0], "local") {
			rest = rest[1:]
		}
		name := rest[0]
		var value string
		switch {
		case strings.EqualFold(name, "time") && len(rest) > 2 && strings.EqualFold(rest[1], "zone"):
			name, value = "TimeZone", strings.Join(rest[2:], " ")
		case strings.Contains(name, "="):
			n, v, _ := strings.Cut(strings.Join(rest, " "), "=")
			name, value = strings.TrimSpace(n), strings.TrimSpace(v)
		case len(rest) > 2 && (strings.EqualFold(rest[1], "to") || rest[1] == "="):
			value = strings.Join(rest[2:], " ")
		case len(rest) > 1 && strings.HasPrefix(rest[1], "="):
			value = strings.TrimSpace(strings.TrimPrefix(strings.Join(rest[1:], " "), "="))
		default:
			return true, pgwire.Errorf(pgwire.CodeSyntaxError, "syntax error in SET")
		}
		value = strings.Trim(value, `'"`)
		key := s.paramKey(name)
		if strings.EqualFold(key, "client_encoding") && !strings.EqualFold(value, "UTF8") && !strings.EqualFold(value, "UTF-8") {
			return true, pgwire.Errorf(sqlerr.InvalidParameterValue, "client_encoding %q is not supported: SQLite databases speak UTF8", value)
		}
		s.params[key] = value
		switch strings.ToLower(key) {
		case "application_name", "client_encoding", "datestyle", "timezone", "intervalstyle", "standard_conforming_strings":
			s.c.Send(&pgproto3.ParameterStatus{Name: key, Value: value})
		}
		s.c.Send(&pgproto3.CommandComplete{CommandTag: []byte("SET")})
	case "RESET":
		if len(words) > 1 {
			delete(s.params, s.paramKey(words[1]))
		}
		s.c.Send(&pgproto3.CommandComplete{CommandTag: []byte("RESET")})
	case "SHOW":
		if len(words) < 2 {
			return true, pgwire.Errorf(pgwire.CodeSyntaxError, "syntax error in SHOW")
		}
		name := strings.Join(words[1:], " ")
		switch strings.ToLower(name) {
		case "time zone":
			name = "TimeZone"
		case "transaction isolation level":
			name = "transaction_isolation"
		}
		key := s.paramKey(name)
		v, ok := s.params[key]
		if !ok {
			key = strings.ToLower(name)
			v, ok = fixedSetting(key)
		}
		if !ok {
			return true, pgwire.Errorf(sqlerr.UndefinedObject, "unrecognized configuration parameter %q", name)
		}
		s.c.Send(&pgproto3.RowDescription{Fields: []pgproto3.FieldDescription{{Name: []byte(strings.ToLower(key)), DataTypeOID: pgtype.TextOID, DataTypeSize: -1, TypeModifier: -1}}})
		s.c.Send(&pgproto3.DataRow{Values: [][]byte{[]byte(v)}})
		s.c.Send(&pgproto3.CommandComplete{CommandTag: []byte("SHOW")})
		s.cur.AddRows(1)
	}
	return true, nil
}

// fixedSetting is the value SHOW gives a setting the session does not
// keep (name in lower case): what the embedded engine always is, as
// PostgreSQL would name it. Transactions are serializable (SQLite's).
func fixedSetting(name string) (string, bool) {
	switch name {
	case "transaction_isolation", "default_transaction_isolation":
		return "serializable", true
	case "transaction_read_only", "default_transaction_read_only", "transaction_deferrable", "default_transaction_deferrable", "in_hot_standby", "ssl":
		return "off", true
	case "server_version_num":
		return "150000", true
	case "search_path":
		return `"$user", public`, true
	case "max_identifier_length":
		return "63", true
	case "lc_collate", "lc_ctype", "lc_messages", "lc_monetary", "lc_numeric", "lc_time":
		return "C", true
	case "bytea_output":
		return "hex", true
	case "block_size":
		return "8192", true
	case "max_index_keys":
		return "32", true
	}
	return "", false
}

// paramKey returns the stored spelling of a parameter name.
func (s *session) paramKey(name string) string {
	for k := range s.params {
		if strings.EqualFold(k, name) {
			return k
		}
	}
	return strings.ToLower(name)
}

// open starts a row-returning statement and settles its column types.
func (s *session) open(ctx context.Context, st *sqlite.Statement, args []any) (*sqlite.Cursor, error) {
	return s.ss.QueryStatement(ctx, st, args)
}

// settle gives the cursor's expression columns the types the statement
// was described with (a Describe without a row judged them from the
// expressions), so that the rows are encoded as the RowDescription the
// client holds says.
func (p *prepared) settle(cur *sqlite.Cursor) {
	if !p.described || len(p.fields) != len(cur.Columns) {
		return
	}
	for _, i := range cur.Untyped() {
		if t := typeOfOID(p.fields[i].DataTypeOID); t != sqlite.TypeUnknown {
			cur.Columns[i].Type = t
		}
	}
}

// fields describes the cursor's columns.
func fields(c *sqlite.Cursor, formats []int16) []pgproto3.FieldDescription {
	fs := make([]pgproto3.FieldDescription, len(c.Columns))
	for i, col := range c.Columns {
		oid, typmod := columnType(col)
		fs[i] = pgproto3.FieldDescription{
			Name: []byte(col.Name), DataTypeOID: oid, DataTypeSize: typeSize(oid), TypeModifier: typmod,
			Format: pgwire.ResultFormat(formats, i),
		}
	}
	return fs
}

// stream sends up to limit rows (0: all) as DataRows. It reports whether
// rows remain.
func (s *session) stream(cur *sqlite.Cursor, formats []int16, limit int64) (more bool, err error) {
	vals := make([]any, len(cur.Columns))
	out := make([][]byte, len(cur.Columns))
	var buf []byte
	sent, pending := int64(0), 0
	stop := s.c.WatchClose(watchDelay, cur.Cancel)
	defer func() { stop() }()
	for {
		if limit > 0 && sent == limit {
			return true, nil
		}
		if ok, err := cur.Next(vals); !ok {
			return false, err
		}
		buf = buf[:0]
		offsets := make([]int, 0, len(vals)+1)
		for i, v := range vals {
			offsets = append(offsets, len(buf))
			if v == nil {
				out[i] = nil
				continue
			}
			if pgwire.ResultFormat(formats, i) == pgtype.BinaryFormatCode {
				col := cur.Columns[i]
				cv, err := col.Convert(v)
				if err == nil && col.Type == sqlite.TypeNumeric {
					// The decimal as the text format shows it (the declared
					// scale), in numeric's binary form: a float64 would
					// be encoded as float8.
					var n pgtype.Numeric
					if err = s.tm.Scan(pgtype.NumericOID, pgtype.TextFormatCode, col.AppendText(nil, v), &n); err == nil {
						cv = n
					}
				}
				if err != nil {
					return false, pgwire.Errorf(sqlerr.InvalidBinaryRepresentation, "column %q: %v", col.Name, err)
				}
				oid, _ := columnType(col)
				if f, ok := cv.(float64); ok && oid == pgtype.Float4OID {
					cv = float32(f)
				}
				buf, err = s.tm.Encode(oid, pgtype.BinaryFormatCode, cv, buf)
				if err != nil {
					return false, pgwire.Errorf(sqlerr.InvalidBinaryRepresentation, "column %q: %v", col.Name, err)
				}
			} else {
				buf = cur.Columns[i].AppendText(buf, v)
			}
		}
		offsets = append(offsets, len(buf))
		for i, v := range vals {
			if v != nil {
				out[i] = buf[offsets[i]:offsets[i+1]:offsets[i+1]]
				if out[i] == nil {
					out[i] = []byte{}
				}
			}
		}
		if den := s.cur.Row(len(buf) + 7 + 4*len(out)); den != nil {
			return false, pgwire.ErrorOf(den)
		}
		dr := &pgproto3.DataRow{Values: out}
		s.c.Send(dr)
		s.record(dr)
		s.cur.AddRows(1)
		sent++
		pending += len(buf)
		if pending >= flushBytes {
			pending = 0
			if err := s.c.Flush(); err != nil {
				return false, errClientWrite
			}
		}
	}
}

// parse decides on the text now (a refusal is answered at Parse); it
// runs later, at Execute, with the limits taken then.
func (s *session) parse(ctx context.Context, m *pgproto3.Parse) error {
	d, a := s.ps.Check(ctx, "parse", m.Query)
	if d.Denial != nil {
		return pgwire.ErrorOf(d.Denial)
	} else if d.SQL != "" {
		a = s.ps.Analyze(d.SQL)
	}
	if err := s.ss.Catalog(ctx, a); err != nil {
		s.ps.Refused(nil)
		return err
	}
	if m.Name != "" {
		if _, exists := s.stmts[m.Name]; exists {
			return pgwire.Errorf(pgwire.CodeDuplicatePreparedStmt, "prepared statement %q already exists", m.Name)
		}
	}
	stmts, err := sqlite.PGStatements(a)
	if err != nil {
		s.ps.Refused(nil)
		return err
	}
	var nonEmpty []sqlite.Statement
	for _, st := range stmts {
		if !st.Empty {
			nonEmpty = append(nonEmpty, st)
		}
	}
	if len(nonEmpty) > 1 {
		return pgwire.Errorf(pgwire.CodeSyntaxError, "cannot insert multiple commands into a prepared statement")
	}
	p := &prepared{text: m.Query, st: stmts[0]}
	if len(nonEmpty) == 1 {
		p.st = nonEmpty[0]
	}
	if p.st.Verb == "EXECUTE" {
		// Its result is the SQL-prepared statement's.
		if inner, ok := s.sqlStmts[p.st.Name]; ok {
			p.exec = inner
			p.st.Rows = inner.Rows
		}
	}
	n := max(p.st.NParams, len(m.ParameterOIDs))
	p.oids = make([]uint32, n)
	var colTypes map[string]sqlite.Type
	for i := range p.oids {
		if i < len(m.ParameterOIDs) && m.ParameterOIDs[i] != 0 {
			p.oids[i] = m.ParameterOIDs[i]
			continue
		}
		// Unspecified: the type of the column the parameter meets, else
		// unknown (the client then sends text and SQLite's affinity applies).
		if i < len(p.st.ParamCols) && p.st.ParamCols[i] != "" {
			if colTypes == nil {
				colTypes = s.ss.ColumnTypes(ctx, p.st.Tables)
			}
			p.oids[i] = oidOf(colTypes[strings.ToLower(p.st.ParamCols[i])])
		}
	}
	if !p.st.Empty && p.st.Verb != "SET" && p.st.Verb != "SHOW" && p.st.Verb != "RESET" && p.st.Verb != "PREPARE" && p.st.Verb != "DEALLOCATE" {
		// Let SQLite check the syntax now, as PostgreSQL does at Parse.
		st, err := s.conn.PrepareContext(ctx, p.st.SQL)
		if err != nil {
			// Refused by the database before anything ran: a failed
			// statement all the same.
			s.ps.Refused(nil)
			return sqlite.SQLError(err)
		}
		_ = st.Close()
	}
	s.stmts[m.Name] = p
	s.c.Send(&pgproto3.ParseComplete{})
	return nil
}

func (s *session) bind(m *pgproto3.Bind) error {
	p, ok := s.stmts[m.PreparedStatement]
	if !ok {
		return pgwire.Errorf(pgwire.CodeInvalidSQLStatement, "prepared statement %q does not exist", m.PreparedStatement)
	}
	if len(m.Parameters) != len(p.oids) {
		return pgwire.Errorf(pgwire.CodeProtocolViolation, "bind message supplies %d parameters, but prepared statement %q requires %d", len(m.Parameters), m.PreparedStatement, len(p.oids))
	}
	args := make([]any, len(m.Parameters))
	for i, raw := range m.Parameters {
		v, err := s.decodeParam(p.oids[i], pgwire.ResultFormat(m.ParameterFormatCodes, i), raw)
		if err != nil {
			return pgwire.Errorf(sqlerr.InvalidTextRepresentation, "parameter $%d: %v", i+1, err)
		}
		args[i] = v
	}
	if old, ok := s.portals[m.DestinationPortal]; ok {
		if m.DestinationPortal != "" {
			return pgwire.Errorf(sqlerr.DuplicateCursor, "portal %q already exists", m.DestinationPortal)
		}
		old.close()
	}
	kf, kp := wirefmt.BindKey(m, p.oids)
	s.portals[m.DestinationPortal] = &portal{p: p, args: args, formats: append([]int16(nil), m.ResultFormatCodes...), keyFormat: kf, keyParams: kp}
	s.c.Send(&pgproto3.BindComplete{})
	return nil
}

// decodeParam turns a Bind parameter into a value SQLite binds.
func (s *session) decodeParam(oid uint32, format int16, raw []byte) (any, error) {
	if raw == nil {
		return nil, nil
	}
	if elem := arrayElem(s.tm, oid); elem != 0 {
		return decodeArrayParam(s.tm, oid, elem, format, raw)
	}
	if format == pgtype.TextFormatCode {
		txt := string(raw)
		switch oid {
		case pgtype.Int2OID, pgtype.Int4OID, pgtype.Int8OID:
			return strconv.ParseInt(txt, 10, 64)
		case pgtype.Float4OID, pgtype.Float8OID:
			return strconv.ParseFloat(txt, 64)
		case pgtype.BoolOID:
			var b pgtype.Bool
			if err := s.tm.Scan(oid, format, raw, &b); err != nil {
				return nil, err
			}
			return b.Bool, nil
		case pgtype.ByteaOID:
			var b []byte
			if err := s.tm.Scan(oid, format, raw, &b); err != nil {
				return nil, err
			}
			return b, nil
		}
		return txt, nil
	}
	switch oid {
	case pgtype.Int2OID, pgtype.Int4OID, pgtype.Int8OID:
		var v int64
		err := s.tm.Scan(oid, format, raw, &v)
		return v, err
	case pgtype.Float4OID, pgtype.Float8OID:
		var v float64
		err := s.tm.Scan(oid, format, raw, &v)
		return v, err
	case pgtype.BoolOID:
		var v bool
		err := s.tm.Scan(oid, format, raw, &v)
		return v, err
	case pgtype.ByteaOID:
		return append([]byte{}, raw...), nil
	case pgtype.TextOID, pgtype.VarcharOID, pgtype.BPCharOID, pgtype.NameOID, pgtype.JSONOID, pgtype.UnknownOID:
		return string(raw), nil
	case pgtype.NumericOID:
		var v pgtype.Numeric
		if err := s.tm.Scan(oid, format, raw, &v); err != nil {
			return nil, err
		}
		f, err := v.Float64Value()
		return f.Float64, err
	case pgtype.TimestampOID, pgtype.TimestamptzOID:
		var v time.Time
		err := s.tm.Scan(oid, format, raw, &v)
		return v.UTC().Format("2006-01-02 15:04:05.999999"), err
	case pgtype.DateOID:
		var v time.Time
		err := s.tm.Scan(oid, format, raw, &v)
		return v.Format("2006-01-02"), err
	}
	return nil, errors.New("binary format for this type is not supported on SQLite databases; send it as text")
}

func (s *session) describe(ctx context.Context, m *pgproto3.Describe) error {
	if m.ObjectType == 'S' {
		p, ok := s.stmts[m.Name]
		if !ok {
			return pgwire.Errorf(pgwire.CodeInvalidSQLStatement, "prepared statement %q does not exist", m.Name)
		}
		s.c.Send(&pgproto3.ParameterDescription{ParameterOIDs: p.oids})
		if err := s.describeStatement(ctx, p); err != nil {
			return err
		}
		if p.fields == nil {
			s.c.Send(&pgproto3.NoData{})
		} else {
			s.c.Send(&pgproto3.RowDescription{Fields: p.fields})
		}
		return nil
	}
	pt, ok := s.portals[m.Name]
	if !ok {
		return pgwire.Errorf(pgwire.CodeInvalidCursorName, "portal %q does not exist", m.Name)
	}
	if pt.p.exec != nil && pt.p.st.Rows {
		// EXECUTE: described as the statement it runs.
		if err := s.describeStatement(ctx, pt.p); err != nil {
			return err
		}
		s.c.Send(&pgproto3.RowDescription{Fields: withFormats(pt.p.fields, pt.formats)})
		return nil
	}
	if !pt.p.st.Rows {
		if pt.p.st.Verb == "SHOW" {
			s.c.Send(&pgproto3.RowDescription{Fields: []pgproto3.FieldDescription{{Name: []byte("setting"), DataTypeOID: pgtype.TextOID, DataTypeSize: -1, TypeModifier: -1}}})
			return nil
		}
		s.c.Send(&pgproto3.NoData{})
		return nil
	}
	if err := s.txGate(&pt.p.st); err != nil {
		return err
	}
	if pt.cur == nil {
		// Opening the cursor runs the query: the statement starts here,
		// under the limits, and the Execute that reads it carries it on.
		st, den := s.ps.Begin(ctx, pt.p.text, s.cancel)
		if den != nil {
			return pgwire.ErrorOf(den)
		}
		var rec *recording
		if c := st.Cache(); c != nil && pt.hit == nil && !pt.done {
			// The cache answers the description and the Execute's rows.
			v := s.portalVariant(pt, true)
			if r, ok := s.hit(ctx, st, c, v); ok && r.Desc != nil {
				s.c.Send(wirefmt.RawMessages(r.Desc))
				pt.hit, pt.st = &r, st
				return nil
			}
			s.startRecording(c, v)
			rec, s.rec = s.rec, nil
		}
		st.Acquired(sqlite.Server)
		cur, err := s.open(ctx, &pt.p.st, pt.args)
		st.Responded()
		if err != nil {
			err = s.failed(err)
			st.Fail(pgCode(err))
			st.Finish(err)
			return err
		}
		pt.p.settle(cur)
		pt.cur, pt.st = cur, st
		rd := &pgproto3.RowDescription{Fields: fields(pt.cur, pt.formats)}
		s.c.Send(rd)
		if rec != nil {
			s.rec = rec
			s.record(rd)
			pt.rec, s.rec = s.rec, nil
		}
		return nil
	}
	if pt.hit != nil {
		s.c.Send(wirefmt.RawMessages(pt.hit.Desc))
		return nil
	}
	s.c.Send(&pgproto3.RowDescription{Fields: fields(pt.cur, pt.formats)})
	return nil
}

// describeStatement learns a statement's result columns without keeping
// its effects: it runs inside a savepoint, with NULL parameters, reads at
// most one row, and rolls back.
func (s *session) describeStatement(ctx context.Context, p *prepared) error {
	if p.described || !p.st.Rows {
		return nil
	}
	if s.txStatus == 'E' {
		return s.txGate(&p.st)
	}
	if _, err := s.conn.ExecContext(ctx, "SAVEPOINT floe_describe"); err != nil {
		return sqlite.SQLError(err)
	}
	target := &p.st
	args := make([]any, len(p.oids))
	if p.exec != nil {
		target = p.exec
		args = make([]any, p.exec.NParams)
	}
	if target.DescribeSQL != "" {
		// INSERT, UPDATE, DELETE … RETURNING: a query of the same
		// columns that changes nothing (the statement itself would run
		// with NULLs for its parameters).
		d := *target
		d.SQL = d.DescribeSQL
		target = &d
	}
	// The statement runs (for at most a row) before it starts: no limit
	// is taken for it, but the statement timeout bounds it.
	dctx := ctx
	if t := s.ps.Gate().Timeout(); t > 0 {
		var cancel context.CancelFunc
		dctx, cancel = context.WithTimeout(ctx, t)
		defer cancel()
	}
	cur, err := s.open(dctx, target, args)
	if err == nil {
		if !cur.HasRow() && len(cur.Untyped()) > 0 {
			// No row to learn expression types from: judge by the expressions.
			items := sqlite.SelectList(target.SQL)
			if len(items) == len(cur.Columns) {
				colTypes := s.ss.ColumnTypes(ctx, target.Tables)
				for _, i := range cur.Untyped() {
					if t := sqlite.ExprType(items[i], colTypes); t != sqlite.TypeUnknown {
						cur.Columns[i].Type = t
					}
				}
			}
		}
		p.fields = fields(cur, nil)
		cur.Close()
		p.described = true
	}
	_, rerr := s.conn.ExecContext(ctx, "ROLLBACK TO floe_describe")
	_, lerr := s.conn.ExecContext(ctx, "RELEASE floe_describe")
	if err != nil && errors.Is(dctx.Err(), context.DeadlineExceeded) {
		err = pgwire.Errorf(sqlerr.QueryCanceled, "canceling statement due to statement timeout (limits: statement_timeout)")
	}
	if err != nil {
		return s.failed(err)
	}
	if rerr != nil {
		return sqlite.SQLError(rerr)
	}
	return sqlite.SQLError(lerr)
}

// execute runs (part of) a portal as one statement of the pipeline,
// decided on at Parse: the limits are taken now.
func (s *session) execute(ctx context.Context, m *pgproto3.Execute) (err error) {
	pt, ok := s.portals[m.Portal]
	if !ok {
		return pgwire.Errorf(pgwire.CodeInvalidCursorName, "portal %q does not exist", m.Portal)
	}
	st := pt.st
	pt.st = nil
	if st == nil {
		var den *policy.Denial
		if st, den = s.ps.Begin(ctx, pt.p.text, s.cancel); den != nil {
			return pgwire.ErrorOf(den)
		}
	}
	s.cur = st
	defer s.finishDeferred(&err)
	s.rec, pt.rec = pt.rec, nil
	if r := pt.hit; r != nil {
		pt.hit = nil
		if m.MaxRows == 0 || r.N < int64(m.MaxRows) {
			pt.done = true
			return s.replay(*r, false)
		}
		// Fewer rows asked for than stored: the portal runs.
	} else if c := st.Cache(); c != nil && pt.cur == nil && !pt.done && s.txStatus != 'E' && pt.p.st.Rows && pt.p.exec == nil {
		v := s.portalVariant(pt, false)
		if r, ok := s.hit(ctx, st, c, v); ok && (m.MaxRows == 0 || r.N < int64(m.MaxRows)) {
			pt.done = true
			return s.replay(r, false)
		}
		if m.MaxRows == 0 {
			s.startRecording(c, v)
		}
	}
	return s.executePortal(ctx, pt, m)
}

func (s *session) executePortal(ctx context.Context, pt *portal, m *pgproto3.Execute) error {
	st := &pt.p.st
	if st.Empty {
		s.c.Send(&pgproto3.EmptyQueryResponse{})
		return nil
	}
	if pt.done {
		s.c.Send(&pgproto3.CommandComplete{CommandTag: []byte(commandTag(st, 0))})
		return nil
	}
	if !st.Rows || st.Verb == "EXECUTE" {
		pt.done = true
		return s.runStatement(ctx, st, pt.args, pt.formats, false)
	}
	if err := s.txGate(st); err != nil {
		return err
	}
	if pt.cur == nil {
		s.cur.Acquired(sqlite.Server)
		cur, err := s.open(ctx, st, pt.args)
		s.cur.Responded()
		if err != nil {
			return s.failed(err)
		}
		pt.p.settle(cur)
		pt.cur = cur
	}
	more, err := s.stream(pt.cur, pt.formats, int64(m.MaxRows))
	if err != nil {
		pt.close()
		pt.done = true
		return s.failed(err)
	}
	if more {
		s.rec = nil
		s.c.Send(&pgproto3.PortalSuspended{})
		return nil
	}
	n := pt.cur.Read()
	pt.close()
	pt.done = true
	cc := &pgproto3.CommandComplete{CommandTag: []byte(commandTag(st, n))}
	s.c.Send(cc)
	s.recordDone(cc)
	s.txAfter(st)
	return nil
}

func (s *session) closeMsg(m *pgproto3.Close) error {
	if m.ObjectType == 'S' {
		delete(s.stmts, m.Name)
	} else if pt, ok := s.portals[m.Name]; ok {
		pt.close()
		delete(s.portals, m.Name)
	}
	s.c.Send(&pgproto3.CloseComplete{})
	return nil
}

// sqlPrepared runs SQL PREPARE, EXECUTE and DEALLOCATE. PREPARE keeps
// the translated statement the policy decided on with it; EXECUTE, which
// the policy allows only for a name the session PREPAREd itself, reads
// its arguments (SELECT of the argument expressions) and runs it with
// them bound.
func (s *session) sqlPrepared(ctx context.Context, st *sqlite.Statement, args []any, formats []int16, describe bool) error {
	switch st.Verb {
	case "PREPARE":
		if _, ok := s.sqlStmts[st.Name]; ok {
			return pgwire.Errorf(pgwire.CodeDuplicatePreparedStmt, "prepared statement %q already exists", st.Name)
		}
		inner := st.Prepared
		if inner == nil || inner.Tx != 0 || inner.Verb == "PREPARE" || inner.Verb == "EXECUTE" || inner.Verb == "DEALLOCATE" || inner.Verb == "SET" || inner.Verb == "SHOW" || inner.Verb == "RESET" {
			return pgwire.Errorf(pgwire.CodeSyntaxError, "this statement cannot be prepared")
		}
		pst, err := s.conn.PrepareContext(ctx, inner.SQL)
		if err != nil {
			return s.failed(err)
		}
		_ = pst.Close()
		s.sqlStmts[st.Name] = inner
	case "DEALLOCATE":
		if st.Name == "" {
			clear(s.sqlStmts)
			s.c.Send(&pgproto3.CommandComplete{CommandTag: []byte("DEALLOCATE ALL")})
			return nil
		}
		if _, ok := s.sqlStmts[st.Name]; !ok {
			return pgwire.Errorf(pgwire.CodeInvalidSQLStatement, "prepared statement %q does not exist", st.Name)
		}
		delete(s.sqlStmts, st.Name)
	case "EXECUTE":
		inner, ok := s.sqlStmts[st.Name]
		if !ok {
			return pgwire.Errorf(pgwire.CodeInvalidSQLStatement, "prepared statement %q does not exist", st.Name)
		}
		vals, err := s.executeArgs(ctx, st, args)
		if err != nil {
			return s.failed(err)
		}
		if len(vals) != inner.NParams {
			return pgwire.Errorf(pgwire.CodeSyntaxError, "wrong number of parameters for prepared statement %q: expected %d, got %d", st.Name, inner.NParams, len(vals))
		}
		return s.runStatement(ctx, inner, vals, formats, describe)
	}
	s.c.Send(&pgproto3.CommandComplete{CommandTag: []byte(st.Verb)})
	return nil
}

// executeArgs evaluates an EXECUTE's argument expressions.
func (s *session) executeArgs(ctx context.Context, st *sqlite.Statement, args []any) ([]any, error) {
	rows, err := s.conn.QueryContext(ctx, st.SQL, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	if !rows.Next() {
		return nil, rows.Err()
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	return vals, rows.Err()
}

// withFormats is fields with the result formats a Bind asked for.
func withFormats(fs []pgproto3.FieldDescription, formats []int16) []pgproto3.FieldDescription {
	out := make([]pgproto3.FieldDescription, len(fs))
	for i, f := range fs {
		f.Format = pgwire.ResultFormat(formats, i)
		out[i] = f
	}
	return out
}
