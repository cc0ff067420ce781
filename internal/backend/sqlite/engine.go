package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	sqlite3 "modernc.org/sqlite"
	sqlite3lib "modernc.org/sqlite/lib"

	"github.com/floe-db/floe/internal/analysis"
	"github.com/floe-db/floe/internal/backend/sqlite/catalog"
	"github.com/floe-db/floe/internal/observe"
	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/sqlerr"
	"github.com/floe-db/floe/internal/stmt"
)

// Engine serves one SQLite database file.
type Engine struct {
	name    string
	path    string
	db      *sql.DB
	log     *slog.Logger
	version string
	// pg and my are the database's statement pipelines, one per dialect
	// its front ends speak (each with its own analyses of texts).
	pg, my *stmt.Pipeline
}

// SetPolicy sets where sessions that start from now on find the policy
// in force (on both front ends).
func (e *Engine) SetPolicy(src policy.Source) {
	e.pg.SetPolicy(src)
	e.my.SetPolicy(src)
}

// Server is the name embedded-engine statements give the statement
// pipeline for the server they run on (stmt.Statement.Acquired).
const Server = "sqlite"

// SetStages sets the pipeline stages of both front ends' statements.
func (e *Engine) SetStages(extra []stmt.Stage) {
	e.pg.SetStages(extra)
	e.my.SetStages(extra)
}

// Open opens (creating if needed) the database file at path.
func Open(ctx context.Context, name, path string, log *slog.Logger, m *observe.Metrics) (*Engine, error) {
	registerTranslateFunctions()
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("database %s: %w", name, err)
		}
	}
	registerPGFunctions()
	catalog.RegisterFunctions()
	registerMySQLFunctions()
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_time_format", "sqlite")
	db, err := openDB("file:" + path + "?" + q.Encode())
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", name, err)
	}
	e := &Engine{
		name: name, path: path, db: db, log: log.With("database", name),
		pg: stmt.New(stmt.Options{Database: name, Dialect: analysis.Postgres, Metrics: m}),
		my: stmt.New(stmt.Options{Database: name, Dialect: analysis.MySQL, Metrics: m}),
	}
	if err := db.QueryRowContext(ctx, "select sqlite_version()").Scan(&e.version); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("database %s: open %s: %w", name, path, err)
	}
	return e, nil
}

// OpenReadOnly opens the database file at path, which must exist, read
// only, for queries run outside the gateway (floe query): its
// connections have what sessions' have (the PostgreSQL and catalog
// functions, floe_like, the MySQL functions, temp.generate_series, the
// engine's time format), so the data API's SQLite source translates and
// runs a text as a session would.
func OpenReadOnly(ctx context.Context, path string) (*sql.DB, error) {
	registerTranslateFunctions()
	registerPGFunctions()
	catalog.RegisterFunctions()
	registerMySQLFunctions()
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Add("mode", "ro")
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_time_format", "sqlite")
	db, err := openDB("file:" + path + "?" + q.Encode())
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return db, nil
}

// Name returns the database's name.
func (e *Engine) Name() string { return e.name }

// Version returns SQLite's version.
func (e *Engine) Version() string { return e.version }

// Path returns the database file.
func (e *Engine) Path() string { return e.path }

// DB exposes the handle (demo seeding, tests).
func (e *Engine) DB() *sql.DB { return e.db }

// Close closes the database. Closing twice is harmless.
func (e *Engine) Close() {
	if err := e.db.Close(); err != nil {
		e.log.Warn("closing the database", "error", err.Error())
	}
}

// SQLError maps a SQLite error to a *sqlerr.Error with the SQLSTATE
// PostgreSQL would report (each protocol's front end encodes it); errors
// that already carry a SQLSTATE are returned as they are.
func SQLError(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[sqlerr.Coded](err); ok {
		return err
	}
	if errors.Is(err, context.Canceled) {
		return sqlerr.New(sqlerr.QueryCanceled, "canceling statement due to user request")
	}
	var se *sqlite3.Error
	if !errors.As(err, &se) {
		return sqlerr.New(sqlerr.InternalError, "%s", err.Error())
	}
	msg := se.Error()
	// modernc prefixes "SQL logic error: " style texts; keep SQLite's reason.
	if i := strings.Index(msg, ": "); i >= 0 && strings.Contains(msg[:i], "error") {
		msg = msg[i+2:]
	}
	msg = strings.TrimSuffix(msg, fmt.Sprintf(" (%d)", se.Code()))
	if c, text, ok := funcErrorCode(msg); ok {
		return sqlerr.New(c, "%s", text)
	}
	code := sqlerr.InternalError
	switch se.Code() {
	case sqlite3lib.SQLITE_CONSTRAINT_UNIQUE, sqlite3lib.SQLITE_CONSTRAINT_PRIMARYKEY:
		code = sqlerr.UniqueViolation
	case sqlite3lib.SQLITE_CONSTRAINT_NOTNULL:
		code = sqlerr.NotNullViolation
	case sqlite3lib.SQLITE_CONSTRAINT_FOREIGNKEY:
		code = sqlerr.ForeignKeyViolation
	case sqlite3lib.SQLITE_CONSTRAINT_CHECK:
		code = sqlerr.CheckViolation
	case sqlite3lib.SQLITE_BUSY, sqlite3lib.SQLITE_LOCKED:
		code = sqlerr.LockNotAvailable
	case sqlite3lib.SQLITE_READONLY:
		code = sqlerr.ReadOnlySQLTransaction
	case sqlite3lib.SQLITE_INTERRUPT:
		code = sqlerr.QueryCanceled
		msg = "canceling statement due to user request"
	case sqlite3lib.SQLITE_TOOBIG:
		code = sqlerr.ProgramLimitExceeded
	case sqlite3lib.SQLITE_MISMATCH:
		code = sqlerr.DatatypeMismatch
	default:
		switch {
		case strings.Contains(msg, "no such table"):
			code = sqlerr.UndefinedTable
		case strings.Contains(msg, "no such column"):
			code = sqlerr.UndefinedColumn
		case strings.Contains(msg, "no such function"):
			code = sqlerr.UndefinedFunction
		case strings.Contains(msg, "syntax error"), strings.Contains(msg, "incomplete input"), strings.Contains(msg, "unrecognized token"):
			code = sqlerr.SyntaxError
		case strings.Contains(msg, "already exists"):
			code = sqlerr.DuplicateTable
		case strings.Contains(msg, "cannot start a transaction within a transaction"):
			code = sqlerr.ActiveSQLTransaction
		case strings.Contains(msg, "no transaction is active"):
			code = sqlerr.NoActiveSQLTransaction
		case se.Code()&0xff == sqlite3lib.SQLITE_CONSTRAINT:
			code = sqlerr.IntegrityConstraintViolation
		}
	}
	return sqlerr.New(code, "%s", msg)
}

// Translate maps an error of a SQLite query run outside a session (the
// data APIs) to the SQLSTATE and message a session would report; ok is
// false for errors that did not come from SQLite.
func Translate(err error) (e *sqlerr.Error, ok bool) {
	if _, isSQLite := errors.AsType[*sqlite3.Error](err); !isSQLite {
		return nil, false
	}
	return sqlerr.As(SQLError(err))
}

// Pipeline is the engine's statement pipeline for dialect d: the one its
// front end for that dialect runs statements through (the data APIs run
// theirs through the PostgreSQL one, so the analysis cache and the stages
// are one).
func (e *Engine) Pipeline(d analysis.Dialect) *stmt.Pipeline {
	if d == analysis.MySQL {
		return e.my
	}
	return e.pg
}
