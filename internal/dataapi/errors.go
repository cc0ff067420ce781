package dataapi

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/floe-db/floe/arrowsql"
	"github.com/floe-db/floe/internal/backend/sqlite"
	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/pool"
	"github.com/floe-db/floe/internal/sqlerr"
)

// Error codes of the data APIs (the "code" of an HTTP error body).
const (
	CodeUnauthorized    = "unauthorized"
	CodeForbidden       = "forbidden"
	CodeDenied          = "denied"
	CodeLimit           = "limit"
	CodeNotFound        = "not_found"
	CodeBadRequest      = "bad_request"
	CodeSQL             = "sql_error"
	CodeUnrepresentable = "unrepresentable"
	CodeTimeout         = "timeout"
	CodeCancelled       = "cancelled"
	CodeUnavailable     = "unavailable"
	CodeInternal        = "internal"
)

// Error is a failure as the data APIs report it: an HTTP status, a code
// from the list above, the SQLSTATE (and MySQL errno) when a database or
// the policy gave one, and a message safe to show the caller.
type Error struct {
	Status   int    `json:"-"`
	Code     string `json:"code"`
	SQLState string `json:"sqlstate,omitempty"`
	Errno    uint16 `json:"errno,omitempty"`
	Rule     string `json:"rule,omitempty"`
	Message  string `json:"message"`
}

func (e *Error) Error() string { return e.Message }

func fromDenial(d *policy.Denial) *Error {
	e := &Error{Status: 403, Code: CodeDenied, SQLState: d.Code, Errno: d.Errno, Rule: d.Rule, Message: d.Message}
	if strings.HasPrefix(d.Rule, "limit.") {
		e.Status, e.Code = 429, CodeLimit
	}
	return e
}

// unavailableError marks a failure to reach the database.
type unavailableError struct{ err error }

func (u unavailableError) Error() string { return u.err.Error() }
func (u unavailableError) Unwrap() error { return u.err }

func unavailable(err error) error { return unavailableError{err} }

// FromBackend translates an error of a database (or its driver) that did
// not pass through a Service statement, such as the Flight SQL catalogue
// queries, as statements' errors are translated.
func FromBackend(err error) *Error { return fromBackend(err) }

// fromBackend translates a database or driver error. A failure to reach
// the database (or a connection lost under the statement) is 503
// "unavailable" with a generic message: a connect error can carry the
// server's own error, and its text names backend hosts, users or
// databases. Errors of the server are classified by their SQLSTATE (a
// MySQL server's by the SQLSTATE its error number stands for, sqlerr's
// table), so both kinds of backend get the same statuses.
func fromBackend(err error) *Error {
	switch {
	case errors.Is(err, context.Canceled):
		return &Error{Status: 499, Code: CodeCancelled, SQLState: sqlerr.QueryCanceled, Message: "the request was cancelled"}
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Status: 504, Code: CodeTimeout, SQLState: sqlerr.QueryCanceled, Message: "the request timed out"}
	}
	var ue unavailableError
	if errors.As(err, &ue) || errors.Is(err, pool.ErrAcquireTimeout) || errors.Is(err, pool.ErrClosed) || errors.Is(err, pool.ErrCircuitOpen) {
		st := sqlerr.ConnectionFailure
		if errors.Is(err, pool.ErrAcquireTimeout) {
			st = sqlerr.TooManyConnections
		}
		return &Error{Status: 503, Code: CodeUnavailable, SQLState: st, Message: "the database is unavailable: " + safeReason(err)}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return classify(&Error{Status: 400, Code: CodeSQL, SQLState: pe.Code, Message: pe.Message}, pe.Code)
	}
	var me *mysql.MyError
	if errors.As(err, &me) {
		return classify(&Error{Status: 400, Code: CodeSQL, SQLState: me.State, Errno: me.Code, Message: me.Message}, sqlerr.CodeFor(me.Code))
	}
	var ce *arrowsql.ColumnError
	if errors.As(err, &ce) {
		return &Error{Status: 422, Code: CodeUnrepresentable, SQLState: sqlerr.DataException, Message: ce.Error()}
	}
	if se := sqliteError(err); se != nil {
		return se
	}
	if connectionLost(err) {
		return &Error{Status: 503, Code: CodeUnavailable, SQLState: sqlerr.ConnectionFailure, Message: "the database is unavailable: " + safeReason(err)}
	}
	return &Error{Status: 500, Code: CodeInternal, Message: "query failed: " + safeReason(err)}
}

// classify sets the status of a server's error from its SQLSTATE.
func classify(e *Error, code string) *Error {
	switch {
	case sqlerr.Unavailable(code):
		e.Status, e.Code = 503, CodeUnavailable
	case code == sqlerr.QueryCanceled:
		e.Status, e.Code = 504, CodeTimeout
	case code == sqlerr.InsufficientPrivilege:
		e.Status = 403
	}
	return e
}

// connectionLost reports whether err is a connection to the database
// that failed under the statement (closed, reset, timed out), as the
// drivers report it without a server error.
func connectionLost(err error) bool {
	var ne net.Error
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, mysql.ErrBadConn) ||
		errors.Is(err, driver.ErrBadConn) || errors.As(err, &ne)
}

// safeReason is the gist of a connection error without addresses.
func safeReason(err error) string {
	switch {
	case errors.Is(err, pool.ErrAcquireTimeout):
		return "timed out waiting for a connection"
	case errors.Is(err, pool.ErrClosed):
		return "shutting down"
	case errors.Is(err, pool.ErrCircuitOpen):
		return "connects to it failed repeatedly and are paused; retry shortly"
	}
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) && ne.Timeout() {
		return "connection timed out"
	}
	return "connection failed"
}

// sqliteError translates an error of the embedded SQLite engine as its
// PostgreSQL front end does.
func sqliteError(err error) *Error {
	se, ok := sqlite.Translate(err)
	if !ok {
		// The engine's own refusals (sqlite.PGQuery).
		if se, ok = errors.AsType[*sqlerr.Error](err); !ok {
			return nil
		}
	}
	e := &Error{Status: 400, Code: CodeSQL, SQLState: se.Code, Message: se.Message}
	if se.Code == sqlerr.QueryCanceled {
		e.Status, e.Code = 499, CodeCancelled
	}
	return e
}

// Refusal is a complete HTTP/1.1 403 response with the error body of
// den, sent on a plain-text listener to a client refused before its
// request is read (the network rules at accept).
func Refusal(den *policy.Denial) []byte {
	e := fromDenial(den)
	body, _ := json.Marshal(map[string]*Error{"error": e})
	body = append(body, '\n')
	return fmt.Appendf(nil, "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
}
