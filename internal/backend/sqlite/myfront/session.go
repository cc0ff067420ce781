package myfront

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/floe-db/floe/internal/analysis"
	"github.com/floe-db/floe/internal/backend/sqlite"
	"github.com/floe-db/floe/internal/cache/wirefmt"
	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/sqlerr"
	"github.com/floe-db/floe/internal/stmt"
	"github.com/floe-db/floe/internal/wire/mysqlwire"
)

// Handler serves an engine's database to MySQL clients.
type Handler struct{ e *sqlite.Engine }

// New returns the MySQL front end of e.
func New(e *sqlite.Engine) *Handler { return &Handler{e: e} }

// Pipeline is the statement pipeline of the engine's MySQL front end.
func (h *Handler) Pipeline() *stmt.Pipeline { return h.e.Pipeline(analysis.MySQL) }

const watchDelay = 50 * time.Millisecond

type myStmt struct {
	text     string // as the client sent it (the pipeline's key)
	st       sqlite.Statement
	params   int
	cols     []mysqlwire.Column
	types    []uint16
	longData map[int][]byte
}

type mySession struct {
	e      *sqlite.Engine
	ss     *sqlite.Session
	c      *mysqlwire.Conn
	ps     *stmt.Session
	gate   *policy.Gate    // ps.Gate(): COM_FIELD_LIST
	cur    *stmt.Statement // the statement under way (nil between statements)
	conn   *sql.Conn
	inTx   bool
	multi  bool
	stmts  map[uint32]*myStmt
	nextID uint32
	// autocommit off: the next statement opens a transaction that COMMIT
	// or ROLLBACK ends.
	autocommit bool
	vars       map[string]any // system variables (session scope)
	user       map[string]any // user variables (@name)
	prepared   map[string]*sqlPrepared
	// rec records the result set under way for the cache (cache.go).
	rec *recording
}

// Serve implements mysqlwire.Handler.
func (h *Handler) Serve(ctx context.Context, c *mysqlwire.Conn) error {
	e := h.e
	ss, err := e.Connect(ctx, analysis.MySQL, policy.Request{
		User: c.User.Name, Roles: c.User.Roles, Client: policy.HostOf(c.RemoteAddr),
		Protocol: "mysql", Session: c.ID, DefaultSchema: "main",
	})
	if err != nil {
		return mysqlwire.Fatalf(mysqlwire.ErConnectToForeign, "could not open database '%s'", e.Name())
	}
	defer ss.Close()
	conn := ss.Conn()
	s := &mySession{
		e: e, ss: ss, c: c, conn: conn, multi: c.Has(mysqlwire.CapMultiStatements), stmts: map[uint32]*myStmt{},
		ps: ss.Statements(), gate: ss.Gate(),
		autocommit: true, user: map[string]any{}, prepared: map[string]*sqlPrepared{},
	}
	s.vars = s.sysVarDefaults()
	c.SetCanceller(s.cancel)
	defer c.SetCanceller(nil)
	defer func() {
		if s.inTx {
			_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
		}
	}()
	for {
		var p []byte
		if s.inTx {
			p, err = c.ReadCommandWithin(0)
		} else {
			p, err = c.ReadCommandIdle()
		}
		if err != nil {
			return err
		}
		if p[0] == mysqlwire.ComQuit {
			return nil
		}
		err = s.command(ctx, p)
		if err != nil {
			if _, ok := errors.AsType[*mysqlwire.SwitchError](err); ok {
				return err
			}
			if errors.Is(err, mysqlwire.ErrKilled) {
				return err
			}
			me := s.toMySQLError(err)
			if me.Fatal {
				return me
			}
			if werr := c.WriteErr(me); werr != nil {
				return werr
			}
		}
		if err := c.Flush(); err != nil {
			return err
		}
	}
}

func (s *mySession) cancel() { s.ss.Cancel() }

func (s *mySession) run(ctx context.Context) (context.Context, context.CancelFunc) {
	return s.ss.Run(ctx)
}

func (s *mySession) status() uint16 {
	// Texts are read as MySQL reads them, backslash escapes included (the
	// translation prints SQLite's form of each literal), so the
	// NO_BACKSLASH_ESCAPES flag is never set.
	var st uint16
	if s.autocommit {
		st |= mysqlwire.StatusAutocommit
	}
	if s.inTx {
		st |= mysqlwire.StatusInTrans
	}
	return st
}

func (s *mySession) toMySQLError(err error) *mysqlwire.Error {
	if me := mysqlwire.ErrorOf(sqlite.SQLError(err)); me != nil {
		return me
	}
	return mysqlwire.Errorf(mysqlwire.ErUnknown, "%s", err.Error())
}

func (s *mySession) command(ctx context.Context, p []byte) error {
	c := s.c
	switch p[0] {
	case mysqlwire.ComPing:
		return c.WriteOK(mysqlwire.OK{Status: s.status()})
	case mysqlwire.ComInitDB:
		return s.use(string(p[1:]))
	case mysqlwire.ComQuery:
		return s.query(ctx, string(p[1:]))
	case mysqlwire.ComFieldList:
		return s.fieldList(ctx, p[1:])
	case mysqlwire.ComStmtPrepare:
		return s.prepare(ctx, string(p[1:]))
	case mysqlwire.ComStmtExecute:
		return s.execute(ctx, p)
	case mysqlwire.ComStmtSendLongData:
		if len(p) >= 7 {
			if st := s.stmts[binary.LittleEndian.Uint32(p[1:])]; st != nil {
				i := int(binary.LittleEndian.Uint16(p[5:]))
				if st.longData == nil {
					st.longData = map[int][]byte{}
				}
				st.longData[i] = append(st.longData[i], p[7:]...)
			}
		}
		return nil
	case mysqlwire.ComStmtClose:
		if id, ok := mysqlwire.StatementID(p); ok {
			delete(s.stmts, id)
		}
		return nil
	case mysqlwire.ComStmtReset:
		id, _ := mysqlwire.StatementID(p)
		st := s.stmts[id]
		if st == nil {
			return mysqlwire.Errorf(mysqlwire.ErUnknownStmtHandler, "Unknown prepared statement handler (%d) given to mysqld_stmt_reset", id)
		}
		st.longData = nil
		return c.WriteOK(mysqlwire.OK{Status: s.status()})
	case mysqlwire.ComSetOption:
		if len(p) < 3 {
			return mysqlwire.Errorf(mysqlwire.ErMalformedPacket, "Malformed communication packet")
		}
		s.multi = binary.LittleEndian.Uint16(p[1:]) == mysqlwire.OptionMultiStatementsOn
		return c.WriteEOF(false, 0, s.status())
	case mysqlwire.ComResetConnection:
		if s.inTx {
			if _, err := s.conn.ExecContext(ctx, "ROLLBACK"); err != nil {
				return err
			}
			s.inTx = false
		}
		s.stmts = map[uint32]*myStmt{}
		s.autocommit, s.vars = true, s.sysVarDefaults()
		s.user, s.prepared = map[string]any{}, map[string]*sqlPrepared{}
		return c.WriteOK(mysqlwire.OK{Status: s.status()})
	case mysqlwire.ComProcessKill:
		if len(p) < 5 {
			return mysqlwire.Errorf(mysqlwire.ErMalformedPacket, "Malformed communication packet")
		}
		return c.RunKill(mysqlwire.Kill{ID: binary.LittleEndian.Uint32(p[1:])}, s.status())
	case mysqlwire.ComStatistics:
		return c.WritePacket([]byte("Floe SQLite " + s.e.Version()))
	}
	return mysqlwire.Errorf(mysqlwire.ErUnknownCom, "Unknown command")
}

func (s *mySession) use(db string) error {
	if db == s.c.Database {
		return s.c.WriteOK(mysqlwire.OK{Status: s.status()})
	}
	if s.inTx {
		return mysqlwire.Errorf(mysqlwire.ErLockOrActiveTrans, "Can't switch to database '%s' inside a transaction", db)
	}
	return s.c.Switch(db)
}

// local answers KILL and USE from the lexer, before any parse (a text
// the parser cannot read included). It reports false for everything else.
func (s *mySession) local(ctx context.Context, q string) (bool, error) {
	if k, ok, kerr := mysqlwire.ParseKill(q); ok {
		if kerr != nil {
			return true, kerr
		}
		return true, s.c.RunKill(k, s.status())
	}
	if db, ok := mysqlwire.ParseUse(q); ok {
		return true, s.use(db)
	}
	return false, nil
}

// writeValues sends a one-row result of text values.
func (s *mySession) writeValues(names []string, vals []any) error {
	cols := make([]mysqlwire.Column, len(names))
	for i, n := range names {
		cols[i] = mysqlwire.Column{Name: n, Charset: mysqlwire.CharsetUTF8MB4, Length: 1024, Type: mysqlwire.TypeVarString}
		if _, ok := vals[i].(int64); ok {
			cols[i] = mysqlwire.Column{Name: n, Charset: mysqlwire.CharsetBinary, Length: 21, Type: mysqlwire.TypeLongLong, Flags: mysqlwire.FlagBinary}
		}
	}
	if err := s.writeColumns(cols, s.status()); err != nil {
		return err
	}
	var row []byte
	for _, v := range vals {
		row = mysqlwire.AppendLenString(row, fmt.Sprint(v))
	}
	if err := s.c.WritePacket(row); err != nil {
		return err
	}
	s.cur.AddRows(1)
	return s.c.WriteEOF(false, 0, s.status())
}

func (s *mySession) writeColumns(cols []mysqlwire.Column, status uint16) error {
	c := s.c
	if err := c.WritePacket(mysqlwire.AppendLenInt(nil, uint64(len(cols)))); err != nil {
		return err
	}
	for _, col := range cols {
		if err := c.WritePacket(mysqlwire.AppendColumn(nil, col)); err != nil {
			return err
		}
	}
	return c.WriteEOF(true, 0, status)
}

// query runs a COM_QUERY text as one statement of the pipeline:
// decided, limited, then its SQLite statements in turn.
func (s *mySession) query(ctx context.Context, text string) (err error) {
	s.c.NoteStatement(text)
	st, den := s.ps.Start(ctx, "query", text, s.cancel)
	if den != nil {
		return den
	}
	s.cur = st
	defer s.finishDeferred(&err)
	if c := st.Cache(); c != nil {
		if served, err := s.serve(ctx, c, stmt.Variant{Format: wirefmt.MyText, Settings: s.settings()}); served {
			return err
		}
	}
	return s.runText(ctx, st)
}

// finishDeferred, deferred while a statement runs, finishes it with the
// error returned, or on a panic as an internal error (so that its limits
// are given back) before the panic goes on. A statement the statement
// timeout interrupted is answered as the MySQL relay answers it (3024).
func (s *mySession) finishDeferred(errp *error) {
	if p := recover(); p != nil {
		s.finish(mysqlwire.Errorf(mysqlwire.ErUnknown, "internal error: %v", p))
		panic(p)
	}
	timedOut := s.cur.TimedOut()
	s.finish(*errp)
	if timedOut && *errp != nil && s.toMySQLError(*errp).Code == mysqlwire.ErQueryInterrupted {
		*errp = mysqlwire.Errorf(mysqlwire.ErQueryTimeout, "Query execution was interrupted, maximum statement execution time exceeded (limits: statement_timeout)")
	}
}

// finish ends the statement under way with err.
func (s *mySession) finish(err error) {
	st := s.cur
	s.cur, s.rec = nil, nil
	if code := s.code(err); code != "" {
		st.Fail(code)
	}
	st.Finish(err)
}

// code is the SQLSTATE a statement's error is recorded with: a policy
// denial's own (as the policy records its refusals on every path), 57014
// for an interrupted statement (a cancel or the statement timeout, told
// apart by the pipeline), else the SQLSTATE of the ERR packet the client
// is sent. A USE that moves the session to another database is no error.
func (s *mySession) code(err error) string {
	if err == nil {
		return ""
	}
	if d, ok := errors.AsType[*policy.Denial](err); ok {
		return d.Code
	}
	if _, ok := errors.AsType[*mysqlwire.SwitchError](err); ok {
		return ""
	}
	me := s.toMySQLError(err)
	if me.Code == mysqlwire.ErQueryInterrupted {
		return stmt.CodeQueryCanceled
	}
	if me.State == "" {
		return stmt.CodeUnknown
	}
	return me.State
}

// runText runs st.SQL (the text, row filters added): a statement the
// engine answers itself, or its SQLite statements.
func (s *mySession) runText(ctx context.Context, run *stmt.Statement) error {
	q := run.SQL
	if handled, err := s.local(ctx, q); handled {
		s.rec = nil
		return err
	}
	a := run.Analysis
	if run.SQL != run.Text {
		a = s.ps.Analyze(run.SQL)
	}
	if err := s.ss.Catalog(ctx, a); err != nil {
		return err
	}
	stmts := sqlite.MyStatements(a)
	var todo []*sqlite.Statement
	for i := range stmts {
		if !stmts[i].Empty {
			todo = append(todo, &stmts[i])
		}
	}
	if len(todo) == 0 {
		return mysqlwire.Errorf(sqlerr.ErEmptyQuery, "Query was empty")
	}
	// A statement the translation refuses fails the text before any of it
	// runs.
	for _, st := range todo {
		if st.My != nil && st.My.Err != nil {
			return st.My.Err
		}
		if st.My != nil && st.NParams > 0 {
			// Placeholders belong to prepared statements.
			return mysqlwire.Errorf(mysqlwire.ErParse, "You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use near '?'")
		}
	}
	if len(todo) > 1 {
		s.rec = nil // only a single result set is stored
	}
	if len(todo) > 1 && !s.multi {
		return mysqlwire.Errorf(mysqlwire.ErParse, "You have an error in your SQL syntax: multiple statements need the client's multi-statements option")
	}
	for i, st := range todo {
		more := i < len(todo)-1
		if err := s.runStatement(ctx, st, nil, false, more); err != nil {
			return err
		}
	}
	return nil
}

// runStatement runs one statement and writes its result; more sets
// SERVER_MORE_RESULTS_EXISTS on its final packet.
func (s *mySession) runStatement(ctx context.Context, st *sqlite.Statement, args []any, binaryRows, more bool) error {
	if st.My != nil {
		if st.My.Err != nil {
			return st.My.Err
		}
		if st.My.Local != nil {
			s.rec = nil
			return s.runLocal(ctx, st, binaryRows, more)
		}
		for _, db := range st.My.Schemas {
			if !strings.EqualFold(db, s.c.Database) {
				return mysqlwire.Errorf(sqlerr.ErBadDB, "Unknown database '%s'", db)
			}
		}
		var err error
		if args, err = s.bind(st, args); err != nil {
			return err
		}
	}
	ddl := st.My != nil && isDDL(st.Verb)
	if ddl && s.inTx {
		// As in MySQL, DDL commits the transaction under way and is not
		// part of one.
		if _, err := s.conn.ExecContext(ctx, "COMMIT"); err != nil {
			return err
		}
		s.inTx = false
	}
	if !s.autocommit && !s.inTx && st.Tx == 0 && !ddl {
		// autocommit=0: the statement opens the transaction.
		if _, err := s.conn.ExecContext(ctx, "BEGIN"); err != nil {
			return err
		}
		s.inTx = true
	}
	err := s.runSQL(ctx, st, args, binaryRows, more)
	if err != nil && st.My != nil {
		// SQLite refused the syntax of a statement the parser read: a form
		// the translation prints as written and SQLite lacks.
		if se, ok := sqlerr.As(sqlite.SQLError(err)); ok && se.Code == sqlerr.SyntaxError {
			return sqlite.SQLError(sqlerr.New(sqlerr.FeatureNotSupported, "this form of %s is not supported by the embedded SQLite engine (%s)", st.Verb, se.Message))
		}
	}
	return err
}

// isDDL reports a statement MySQL commits implicitly around.
func isDDL(verb string) bool {
	for _, p := range []string{"CREATE ", "DROP ", "ALTER ", "RENAME ", "TRUNCATE"} {
		if strings.HasPrefix(verb, p) {
			return true
		}
	}
	return false
}

// bind appends the session values a translated statement reads to the
// client's parameters.
func (s *mySession) bind(st *sqlite.Statement, args []any) ([]any, error) {
	if len(st.My.Values) == 0 {
		return args, nil
	}
	vals, err := s.values(st.My.Values)
	if err != nil {
		return nil, err
	}
	full := make([]any, st.NParams, st.NParams+len(vals))
	copy(full, args)
	return append(full, vals...), nil
}

func (s *mySession) runSQL(ctx context.Context, st *sqlite.Statement, args []any, binaryRows, more bool) error {
	switch {
	case st.Tx == 'B' && s.inTx:
		// MySQL commits the open transaction and starts a new one.
		if _, err := s.conn.ExecContext(ctx, "COMMIT"); err != nil {
			return err
		}
		s.inTx = false
	case st.Tx == 'E' && !s.inTx:
		return s.c.WriteOK(mysqlwire.OK{Status: s.moreFlag(more)})
	}
	// The session's own connection: no pool wait.
	s.cur.Acquired(sqlite.Server)
	if st.Rows {
		return s.runRows(ctx, st, args, binaryRows, more)
	}
	s.rec = nil
	rctx, cancel := s.run(ctx)
	stop := s.c.WatchClose(watchDelay, cancel)
	res, err := s.exec(rctx, st, args)
	stop()
	cancel()
	s.cur.Responded()
	if err != nil {
		return err
	}
	switch st.Tx {
	case 'B':
		s.inTx = true
	case 'E':
		s.inTx = false
	}
	n, _ := res.RowsAffected()
	id, _ := res.LastInsertId()
	if st.Verb != "INSERT" && st.Verb != "REPLACE" {
		id = 0
	}
	if st.Verb != "INSERT" && st.Verb != "REPLACE" && st.Verb != "UPDATE" && st.Verb != "DELETE" {
		n = 0
	}
	s.cur.AddRows(n)
	return s.c.WriteOK(mysqlwire.OK{AffectedRows: uint64(n), LastInsertID: uint64(id), Status: s.moreFlag(more)})
}

// exec runs a statement that returns no rows; the parts of an atomic
// one take effect together or not at all.
func (s *mySession) exec(ctx context.Context, st *sqlite.Statement, args []any) (sql.Result, error) {
	if st.My == nil || !st.My.Atomic {
		return s.conn.ExecContext(ctx, st.SQL, args...)
	}
	if _, err := s.conn.ExecContext(ctx, "SAVEPOINT floe_statement"); err != nil {
		return nil, err
	}
	res, err := s.conn.ExecContext(ctx, st.SQL, args...)
	if err != nil {
		_, _ = s.conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK TO floe_statement; RELEASE floe_statement")
		return nil, err
	}
	_, err = s.conn.ExecContext(ctx, "RELEASE floe_statement")
	return res, err
}

func (s *mySession) moreFlag(more bool) uint16 {
	st := s.status()
	if more {
		st |= mysqlwire.StatusMoreResults
	}
	return st
}

// myColumn maps a cursor column to a MySQL column definition, as MariaDB
// describes a column of the same declared type: integers by their
// declared width (TINYINT(1), the MySQL boolean, is TINY of length 1),
// VARCHAR(n) and CHAR(n) with n utf8mb4 characters of 4 bytes, TEXT as a
// BLOB with a text character set.
func myColumn(name, decl string, t sqlite.Type) mysqlwire.Column {
	col := mysqlwire.Column{Name: name, OrgName: name, Charset: mysqlwire.CharsetBinary, Flags: mysqlwire.FlagBinary}
	d := strings.ToUpper(strings.TrimSpace(decl))
	base, args, _ := strings.Cut(d, "(")
	base = strings.TrimSpace(base)
	width := -1
	if n, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(args, ")", 2)[0])); err == nil && n >= 0 {
		width = n
	}
	if t.IsInt() {
		if strings.Contains(d, "UNSIGNED") {
			col.Flags |= mysqlwire.FlagUnsigned
		}
		switch {
		case base == "TINYINT" && width == 1:
			col.Type, col.Length = mysqlwire.TypeTiny, 1
		case base == "TINYINT":
			col.Type, col.Length = mysqlwire.TypeTiny, 4
		case base == "SMALLINT":
			col.Type, col.Length = mysqlwire.TypeShort, 6
		case base == "MEDIUMINT":
			col.Type, col.Length = mysqlwire.TypeInt24, 9
		case strings.HasPrefix(base, "INT") && t == sqlite.TypeInt4, base == "INTEGER UNSIGNED", base == "INT UNSIGNED":
			col.Type, col.Length = mysqlwire.TypeLong, 11
		default:
			col.Type, col.Length = mysqlwire.TypeLongLong, 20
		}
		return col
	}
	switch t {
	case sqlite.TypeBool:
		col.Type, col.Length = mysqlwire.TypeTiny, 1
	case sqlite.TypeFloat:
		col.Type, col.Length, col.Decimals = mysqlwire.TypeDouble, 22, 31
	case sqlite.TypeNumeric:
		col.Type, col.Length, col.Decimals = mysqlwire.TypeNewDecimal, 65, 30
		if p, sc, ok := decimalSpec(decl); ok {
			col.Length, col.Decimals = uint32(p+2), byte(sc)
		}
	case sqlite.TypeBytes:
		col.Type, col.Length, col.Flags = mysqlwire.TypeBlob, 1<<24-1, mysqlwire.FlagBinary|mysqlwire.FlagBlob
	case sqlite.TypeDate:
		col.Type, col.Length = mysqlwire.TypeDate, 10
	case sqlite.TypeTimestamp:
		col.Type, col.Length, col.Decimals = mysqlwire.TypeDateTime, 26, 6
		if base == "DATETIME" {
			// MySQL's DATETIME keeps whole seconds; DATETIME(n) n digits.
			col.Length, col.Decimals = 19, 0
			if width > 0 && width <= 6 {
				col.Length, col.Decimals = uint32(20+width), byte(width)
			}
		}
	case sqlite.TypeJSON:
		col.Type, col.Length, col.Charset, col.Flags = mysqlwire.TypeJSON, 1<<32-1, mysqlwire.CharsetUTF8MB4, mysqlwire.FlagBlob
	default:
		col.Type, col.Length, col.Charset, col.Flags = mysqlwire.TypeVarString, 1<<24-1, mysqlwire.CharsetUTF8MB4, 0
		switch {
		case strings.Contains(base, "VARCHAR") && width >= 0:
			col.Length = uint32(width) * 4
		case strings.Contains(base, "CHAR") && !strings.Contains(base, "VAR") && base != "CHARACTER VARYING":
			if width < 0 {
				width = 1
			}
			col.Type, col.Length = mysqlwire.TypeString, uint32(width)*4
		case base == "TINYTEXT":
			col.Type, col.Length, col.Flags = mysqlwire.TypeBlob, 255*4, mysqlwire.FlagBlob
		case base == "TEXT":
			col.Type, col.Length, col.Flags = mysqlwire.TypeBlob, 65535*4, mysqlwire.FlagBlob
		case base == "MEDIUMTEXT":
			col.Type, col.Length, col.Flags = mysqlwire.TypeBlob, (1<<24-1)*4, mysqlwire.FlagBlob
		case base == "LONGTEXT":
			col.Type, col.Length, col.Flags = mysqlwire.TypeBlob, 1<<32-1, mysqlwire.FlagBlob
		}
	}
	return col
}

var decimalDecl = regexp.MustCompile(`\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)`)

func decimalSpec(decl string) (p, s int, ok bool) {
	m := decimalDecl.FindStringSubmatch(decl)
	if m == nil {
		return 0, 0, false
	}
	p, _ = strconv.Atoi(m[1])
	if m[2] != "" {
		s, _ = strconv.Atoi(m[2])
	}
	return p, s, p > 0 && p <= 65 && s <= 30
}

func (s *mySession) runRows(ctx context.Context, st *sqlite.Statement, args []any, binaryRows, more bool) error {
	s.cur.NextResult()
	cur, err := s.ss.Query(ctx, st.SQL, args)
	s.cur.Responded()
	if err != nil {
		return err
	}
	defer cur.Close()
	stop := s.c.WatchClose(watchDelay, cur.Cancel)
	defer func() { stop() }()
	cols := make([]mysqlwire.Column, len(cur.Columns))
	types := make([]sqlite.Type, len(cur.Columns))
	var numeric []int // DECIMAL columns: sent as their decimal text
	for i, c := range cur.Columns {
		cols[i], types[i] = myColumn(c.Name, c.Decl, c.Type), c.Type
		if c.Type == sqlite.TypeNumeric {
			numeric = append(numeric, i)
		}
	}
	if err := s.writeColumns(cols, s.status()); err != nil {
		return err
	}
	if s.rec != nil {
		s.record(wirefmt.FrameCount, mysqlwire.AppendLenInt(nil, uint64(len(cols))))
		for _, col := range cols {
			s.record(wirefmt.FrameColumn, mysqlwire.AppendColumn(nil, col))
		}
	}
	vals := make([]any, len(cols))
	var row []byte
	for {
		ok, err := cur.Next(vals)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		for _, i := range numeric {
			if vals[i] != nil {
				vals[i] = string(cur.Columns[i].AppendText(nil, vals[i]))
			}
		}
		if binaryRows {
			row, err = appendBinaryRow(row[:0], cols, types, vals)
			if err != nil {
				return err
			}
		} else {
			row = appendTextRow(row[:0], cols, types, vals)
		}
		if den := s.cur.Row(len(row) + 4); den != nil {
			return den
		}
		if err := s.c.WritePacket(row); err != nil {
			return err
		}
		s.record(wirefmt.FrameRow, row)
		s.cur.AddRows(1)
	}
	if err := s.c.WriteEOF(false, 0, s.moreFlag(more)); err != nil {
		return err
	}
	s.recordEnd(0, s.moreFlag(more))
	return nil
}

func appendTextRow(b []byte, cols []mysqlwire.Column, types []sqlite.Type, vals []any) []byte {
	for i, v := range vals {
		if v == nil {
			b = append(b, 0xfb)
			continue
		}
		b = mysqlwire.AppendLenBytes(b, colText(cols[i], types[i], v))
	}
	return b
}

// colText is myText, a DECIMAL(p,s) value written with its scale as
// MySQL writes it (1.5 in a DECIMAL(10,2) column is 1.50).
func colText(col mysqlwire.Column, t sqlite.Type, v any) []byte {
	if col.Type == mysqlwire.TypeNewDecimal && col.Decimals < 30 {
		if s, ok := decimalText(v, int(col.Decimals)); ok {
			return []byte(s)
		}
	}
	return myText(t, v)
}

// roundDecimal rounds intPart.frac to scale digits, half away from zero.
func roundDecimal(intPart, frac string, scale int) string {
	neg := strings.HasPrefix(intPart, "-")
	intPart = strings.TrimLeft(intPart, "+-")
	if intPart == "" {
		intPart = "0"
	}
	digits := []byte(intPart + frac[:scale])
	if frac[scale] >= '5' {
		i := len(digits) - 1
		for ; i >= 0 && digits[i] == '9'; i-- {
			digits[i] = '0'
		}
		if i < 0 {
			digits = append([]byte{'1'}, digits...)
		} else {
			digits[i]++
		}
	}
	n := len(digits) - scale
	out := string(digits[:n])
	if scale > 0 {
		out += "." + string(digits[n:])
	}
	if neg && strings.Trim(out, "0.") != "" {
		out = "-" + out
	}
	return out
}

// decimalText writes a number with scale digits after the point.
func decimalText(v any, scale int) (string, bool) {
	switch x := v.(type) {
	case int64:
		if scale == 0 {
			return strconv.FormatInt(x, 10), true
		}
		return strconv.FormatInt(x, 10) + "." + strings.Repeat("0", scale), true
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return "", false
		}
		return strconv.FormatFloat(x, 'f', scale, 64), true
	case string, []byte:
		s := strings.TrimSpace(fmt.Sprintf("%s", x))
		if _, err := strconv.ParseFloat(s, 64); err != nil || strings.ContainsAny(s, "eE") {
			return "", false
		}
		intPart, frac, _ := strings.Cut(s, ".")
		if len(frac) > scale {
			// More digits than the column keeps: rounded half away from
			// zero, on the digits (as MySQL rounds decimals).
			return roundDecimal(intPart, frac, scale), true
		}
		if scale == 0 {
			return intPart, true
		}
		return intPart + "." + frac + strings.Repeat("0", scale-len(frac)), true
	}
	return "", false
}

// myText formats v as MySQL's text protocol shows values of the column type.
func myText(t sqlite.Type, v any) []byte {
	switch x := v.(type) {
	case bool:
		if x {
			return []byte("1")
		}
		return []byte("0")
	case int64:
		return strconv.AppendInt(nil, x, 10)
	case []byte:
		return x
	case time.Time:
		if t == sqlite.TypeDate {
			return x.AppendFormat(nil, "2006-01-02")
		}
		return x.AppendFormat(nil, "2006-01-02 15:04:05.999999")
	}
	return sqlite.AppendText(nil, sqlite.TypeText, v)
}

func appendBinaryRow(b []byte, cols []mysqlwire.Column, types []sqlite.Type, vals []any) ([]byte, error) {
	b = append(b, 0)
	bitmap := len(b)
	b = append(b, make([]byte, (len(vals)+7+2)/8)...)
	for i, v := range vals {
		if v == nil {
			pos := i + 2
			b[bitmap+pos/8] |= 1 << (pos % 8)
			continue
		}
		var err error
		if b, err = appendBinaryValue(b, cols[i], types[i], v); err != nil {
			return nil, mysqlwire.Errorf(sqlerr.ErTruncatedWrongValueForField, "column '%s': %v", cols[i].Name, err)
		}
	}
	return b, nil
}

func appendBinaryValue(b []byte, col mysqlwire.Column, typ sqlite.Type, v any) ([]byte, error) {
	switch col.Type {
	case mysqlwire.TypeLongLong, mysqlwire.TypeLong, mysqlwire.TypeInt24, mysqlwire.TypeShort, mysqlwire.TypeTiny:
		cv, err := sqlite.Convert(sqlite.TypeInt, v)
		if err != nil {
			return nil, err
		}
		n := cv.(int64)
		size := intSize(col.Type)
		if size < 8 {
			// A SQLite integer holds 64 bits whatever the declared width.
			lo, hi := int64(-1)<<(8*size-1), int64(1)<<(8*size-1)-1
			if col.Flags&mysqlwire.FlagUnsigned != 0 {
				lo, hi = 0, int64(1)<<(8*size)-1
			}
			if n < lo || n > hi {
				return nil, fmt.Errorf("value %d is out of range for the column's type", n)
			}
		}
		for i := range size {
			b = append(b, byte(uint64(n)>>(8*i)))
		}
		return b, nil
	case mysqlwire.TypeDouble:
		cv, err := sqlite.Convert(sqlite.TypeFloat, v)
		if err != nil {
			return nil, err
		}
		return binary.LittleEndian.AppendUint64(b, math.Float64bits(cv.(float64))), nil
	case mysqlwire.TypeDate, mysqlwire.TypeDateTime:
		t, ok := v.(time.Time)
		if !ok {
			return mysqlwire.AppendLenBytes(b, myText(typ, v)), nil
		}
		us := t.Nanosecond() / 1000
		switch {
		case col.Type == mysqlwire.TypeDate:
			b = append(b, 4)
		case us != 0:
			b = append(b, 11)
		default:
			b = append(b, 7)
		}
		b = binary.LittleEndian.AppendUint16(b, uint16(t.Year()))
		b = append(b, byte(t.Month()), byte(t.Day()))
		if col.Type == mysqlwire.TypeDate {
			return b, nil
		}
		b = append(b, byte(t.Hour()), byte(t.Minute()), byte(t.Second()))
		if us != 0 {
			b = binary.LittleEndian.AppendUint32(b, uint32(us))
		}
		return b, nil
	}
	return mysqlwire.AppendLenBytes(b, colText(col, typ, v)), nil
}

// intSize is the byte width of an integer column type's binary value.
func intSize(t byte) int {
	switch t {
	case mysqlwire.TypeTiny:
		return 1
	case mysqlwire.TypeShort:
		return 2
	case mysqlwire.TypeInt24, mysqlwire.TypeLong:
		return 4
	}
	return 8
}

// ---- prepared statements ----

// prepare decides on the text now (a refusal is answered at prepare);
// it runs later, at COM_STMT_EXECUTE, with the limits taken then.
func (s *mySession) prepare(ctx context.Context, q string) error {
	d, a := s.ps.Check(ctx, "prepare", q)
	if d.Denial != nil {
		return d.Denial
	} else if d.SQL != "" {
		a = s.ps.Analyze(d.SQL)
	}
	if err := s.ss.Catalog(ctx, a); err != nil {
		return err
	}
	stmts := sqlite.MyStatements(a)
	var st *sqlite.Statement
	for i := range stmts {
		if !stmts[i].Empty {
			if st != nil {
				return mysqlwire.Errorf(mysqlwire.ErParse, "You have an error in your SQL syntax: a prepared statement holds one statement")
			}
			st = &stmts[i]
		}
	}
	if st == nil {
		return mysqlwire.Errorf(sqlerr.ErEmptyQuery, "Query was empty")
	}
	if st.My != nil && st.My.Err != nil {
		s.ps.Refused(nil)
		return st.My.Err
	}
	local := st.My != nil && st.My.Local != nil
	if local {
		// Session statements run when executed; SQL PREPARE and EXECUTE
		// and parameters in them have no place here (as in MySQL).
		switch st.My.Local.(type) {
		case *ast.PrepareStmt, *ast.ExecuteStmt, *ast.DeallocateStmt:
			s.ps.Refused(nil)
			return mysqlwire.Errorf(sqlerr.ErNotSupportedYet, "%s is not supported in the prepared statement protocol", st.Verb)
		}
		if st.NParams > 0 {
			s.ps.Refused(nil)
			return mysqlwire.Errorf(sqlerr.ErNotSupportedYet, "parameters in %s are not supported by the embedded SQLite engine", st.Verb)
		}
	}
	// Check the statement now, as MySQL does at prepare time (a statement
	// of several SQLite statements is checked when it runs).
	n := st.NParams
	atomic := st.My != nil && st.My.Atomic
	if err := s.conn.Raw(func(dc any) error {
		if atomic || local {
			return nil
		}
		pc, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return errors.New("driver cannot prepare")
		}
		ds, err := pc.PrepareContext(ctx, st.SQL)
		if err != nil {
			return err
		}
		return ds.Close()
	}); err != nil {
		// Refused by the database before anything ran: a failed statement
		// all the same.
		s.ps.Refused(nil)
		return err
	}
	ms := &myStmt{text: q, st: *st, params: n}
	if !local && (st.Verb == "SELECT" || st.Verb == "WITH" || st.Verb == "VALUES") {
		// Column metadata: run the statement with NULL parameters and no rows.
		args := make([]any, n)
		if st.My != nil {
			if full, err := s.bind(st, args); err == nil {
				args = full
			}
		}
		rctx, cancel := context.WithCancel(ctx)
		if cur, err := s.ss.OpenCursor(rctx, cancel, "SELECT * FROM ("+st.SQL+") LIMIT 0", args); err == nil {
			for _, c := range cur.Columns {
				ms.cols = append(ms.cols, myColumn(c.Name, c.Decl, c.Type))
			}
			cur.Close()
		}
	}
	s.nextID++
	s.stmts[s.nextID] = ms
	c := s.c
	if err := c.WritePacket(mysqlwire.AppendPrepareOK(nil, mysqlwire.PrepareOK{StatementID: s.nextID, Columns: uint16(len(ms.cols)), Params: uint16(n)})); err != nil {
		return err
	}
	if n > 0 {
		for range n {
			if err := c.WritePacket(mysqlwire.AppendColumn(nil, mysqlwire.Column{Name: "?", Charset: mysqlwire.CharsetBinary, Type: mysqlwire.TypeVarString})); err != nil {
				return err
			}
		}
		if err := c.WriteEOF(true, 0, s.status()); err != nil {
			return err
		}
	}
	if len(ms.cols) > 0 {
		for _, col := range ms.cols {
			if err := c.WritePacket(mysqlwire.AppendColumn(nil, col)); err != nil {
				return err
			}
		}
		return c.WriteEOF(true, 0, s.status())
	}
	return nil
}

// execute runs a prepared statement as one statement of the pipeline,
// decided on at prepare: the limits are taken now.
func (s *mySession) execute(ctx context.Context, p []byte) (err error) {
	id, _ := mysqlwire.StatementID(p)
	ms := s.stmts[id]
	if ms == nil {
		return mysqlwire.Errorf(mysqlwire.ErUnknownStmtHandler, "Unknown prepared statement handler (%d) given to mysqld_stmt_execute", id)
	}
	st, den := s.ps.Begin(ctx, ms.text, s.cancel)
	if den != nil {
		return den
	}
	s.cur = st
	defer s.finishDeferred(&err)
	return s.executeStmt(ctx, ms, p)
}

func (s *mySession) executeStmt(ctx context.Context, ms *myStmt, p []byte) error {
	ex, err := mysqlwire.ParseExecute(p, ms.params)
	if err != nil {
		return mysqlwire.Errorf(mysqlwire.ErMalformedPacket, "Malformed communication packet")
	}
	if ex.NewBound {
		ms.types = ex.Types
	}
	vals, err := mysqlwire.DecodeValues(ex, ms.types, ms.longData)
	hadLong := len(ms.longData) > 0 // values the key does not hold
	ms.longData = nil
	if err != nil {
		return mysqlwire.Errorf(mysqlwire.ErWrongArguments, "Incorrect arguments to mysqld_stmt_execute")
	}
	args := make([]any, len(vals))
	for i, v := range vals {
		args[i] = sqliteArg(byte(ms.types[i]), v)
	}
	if c := s.cur.Cache(); c != nil && !hadLong {
		v := stmt.Variant{Format: wirefmt.MyBinary, Params: wirefmt.ExecuteParams(ex, ms.types), Settings: s.settings()}
		if served, err := s.serve(ctx, c, v); served {
			return err
		}
	}
	return s.runStatement(ctx, &ms.st, args, true, false)
}

// sqliteArg converts a decoded MySQL parameter to what SQLite should store.
func sqliteArg(typ byte, v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case uint64:
		if x > math.MaxInt64 {
			return strconv.FormatUint(x, 10)
		}
		return int64(x)
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 && typ == mysqlwire.TypeDate {
			return x.Format("2006-01-02")
		}
		return x.Format("2006-01-02 15:04:05.999999")
	case []byte:
		switch typ {
		case mysqlwire.TypeTinyBlob, mysqlwire.TypeMediumBlob, mysqlwire.TypeLongBlob, mysqlwire.TypeBlob, mysqlwire.TypeGeometry:
			return x
		}
		return string(x)
	}
	return v
}

// fieldList answers COM_FIELD_LIST: the table's column definitions.
func (s *mySession) fieldList(ctx context.Context, p []byte) error {
	table, _, _ := strings.Cut(string(p), "\x00")
	if d := s.gate.CheckTable(ctx, table); d.Denial != nil {
		return d.Denial
	}
	rows, err := s.conn.QueryContext(ctx, "SELECT name, type FROM pragma_table_info(?)", table)
	if err != nil {
		return err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var name, decl string
		if err := rows.Scan(&name, &decl); err != nil {
			return err
		}
		t, ok := sqlite.TypeOf(strings.ToUpper(decl))
		if !ok {
			t = sqlite.TypeText
		}
		col := myColumn(name, decl, t)
		col.Table, col.OrgTable, col.Schema = table, table, s.c.Database
		if err := s.c.WritePacket(mysqlwire.AppendColumn(nil, col)); err != nil {
			return err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if n == 0 {
		return mysqlwire.Errorf(sqlerr.ErNoSuchTable, "Table '%s.%s' doesn't exist", s.c.Database, table)
	}
	return s.c.WriteEOF(false, 0, s.status())
}
