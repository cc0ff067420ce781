package dataapi

import (
	"context"
	"errors"
	"strings"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/floe-db/floe/arrowsql"
	"github.com/floe-db/floe/internal/backend/sqlite"
	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/pool"
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
	e := &Error{Status: 403, Code: CodeDenied, SQLState: d.SQLState, Errno: d.Errno, Rule: d.Rule, Message: d.Message}
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

// fromBackend translates a database or driver error. Messages of
// connection failures are generic: they could name backend hosts.
func fromBackend(err error) *Error {
	switch {
	case errors.Is(err, context.Canceled):
		return &Error{Status: 499, Code: CodeCancelled, SQLState: "57014", Message: "the request was cancelled"}
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Status: 504, Code: CodeTimeout, SQLState: "57014", Message: "the request timed out"}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		e := &Error{Status: 400, Code: CodeSQL, SQLState: pe.Code, Message: pe.Message}
		switch {
		case strings.HasPrefix(pe.Code, "08"), strings.HasPrefix(pe.Code, "57P"), pe.Code == "53300":
			e.Status, e.Code = 503, CodeUnavailable
		case pe.Code == "57014":
			e.Status, e.Code = 504, CodeTimeout
		case pe.Code == "42501":
			e.Status = 403
		}
		return e
	}
	var me *mysql.MyError
	if errors.As(err, &me) {
		e := &Error{Status: 400, Code: CodeSQL, SQLState: me.State, Errno: me.Code, Message: me.Message}
		switch me.Code {
		case 1317, 3024:
			e.Status, e.Code = 504, CodeTimeout
		case 1142, 1143, 1044:
			e.Status = 403
		}
		return e
	}
	var ce *arrowsql.ColumnError
	if errors.As(err, &ce) {
		return &Error{Status: 422, Code: CodeUnrepresentable, SQLState: "22000", Message: ce.Error()}
	}
	var ue unavailableError
	if errors.As(err, &ue) || errors.Is(err, pool.ErrAcquireTimeout) || errors.Is(err, pool.ErrClosed) {
		st := "08006"
		if errors.Is(err, pool.ErrAcquireTimeout) {
			st = "53300"
		}
		return &Error{Status: 503, Code: CodeUnavailable, SQLState: st, Message: "the database is unavailable: " + safeReason(err)}
	}
	if se := sqliteError(err); se != nil {
		return se
	}
	return &Error{Status: 500, Code: CodeInternal, Message: "query failed: " + safeReason(err)}
}

// safeReason is the gist of a connection error without addresses.
func safeReason(err error) string {
	switch {
	case errors.Is(err, pool.ErrAcquireTimeout):
		return "timed out waiting for a connection"
	case errors.Is(err, pool.ErrClosed):
		return "shutting down"
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
	pe, ok := sqlite.Translate(err)
	if !ok {
		return nil
	}
	e := &Error{Status: 400, Code: CodeSQL, SQLState: pe.Code, Message: pe.Message}
	if pe.Code == "57014" {
		e.Status, e.Code = 499, CodeCancelled
	}
	return e
}
