package pgwire

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/floe-db/floe/internal/sqlerr"
)

// SQLSTATE codes the gateway itself raises: the names of package sqlerr,
// kept here for the protocol code that uses them.
const (
	CodeProtocolViolation      = sqlerr.ProtocolViolation
	CodeConnectionFailure      = sqlerr.ConnectionFailure
	CodeInvalidAuthSpec        = sqlerr.InvalidAuthorizationSpecification
	CodeInvalidPassword        = sqlerr.InvalidPassword
	CodeInvalidCatalogName     = sqlerr.InvalidCatalogName
	CodeTooManyConnections     = sqlerr.TooManyConnections
	CodeProgramLimitExceeded   = sqlerr.ProgramLimitExceeded
	CodeAdminShutdown          = sqlerr.AdminShutdown
	CodeQueryCanceled          = sqlerr.QueryCanceled
	CodeFeatureNotSupported    = sqlerr.FeatureNotSupported
	CodeInternalError          = sqlerr.InternalError
	CodeInvalidSQLStatement    = sqlerr.InvalidSQLStatementName
	CodeSyntaxError            = sqlerr.SyntaxError
	CodeInsufficientPrivilege  = sqlerr.InsufficientPrivilege
	CodeDuplicatePreparedStmt  = sqlerr.DuplicatePreparedStatement
	CodeInvalidCursorName      = sqlerr.InvalidCursorName
	CodeCannotConnectNow       = sqlerr.CannotConnectNow
	CodeObjectNotInPrereqState = sqlerr.ObjectNotInPrerequisiteState
	// CodeIdleInTransactionTimeout is idle_in_transaction_session_timeout.
	CodeIdleInTransactionTimeout = sqlerr.IdleInTransactionSessionTimeout
)

// Error is an error with a SQLSTATE, sent to the client as ErrorResponse.
type Error struct {
	Severity string // ERROR (default) or FATAL
	Code     string
	Message  string
	Detail   string
	Hint     string
}

func (e *Error) Error() string { return fmt.Sprintf("%s (SQLSTATE %s)", e.Message, e.Code) }

// SQLState returns the SQLSTATE (sqlerr.Coded).
func (e *Error) SQLState() string { return e.Code }

// SQLError is the error in the neutral form (sqlerr.Converter).
func (e *Error) SQLError() *sqlerr.Error {
	return &sqlerr.Error{Code: e.Code, Message: e.Message, Detail: e.Detail, Hint: e.Hint, Fatal: e.Severity == "FATAL"}
}

// ErrorOf is the first error in err's chain that carries a SQLSTATE as
// this package's *Error: itself when it is one, the neutral form of any
// other (a *sqlerr.Error, a policy denial, a backend's *pgconn.PgError);
// nil when none does.
func ErrorOf(err error) *Error {
	c, ok := errors.AsType[sqlerr.Coded](err)
	switch e := c.(type) {
	case *Error:
		return e
	case *pgconn.PgError:
		return &Error{Severity: e.Severity, Code: e.Code, Message: e.Message, Detail: e.Detail, Hint: e.Hint}
	}
	se, ok := sqlerr.As(c)
	if !ok {
		return nil
	}
	sev := "ERROR"
	if se.Fatal {
		sev = "FATAL"
	}
	return &Error{Severity: sev, Code: se.Code, Message: se.Message, Detail: se.Detail, Hint: se.Hint}
}

// Errorf returns an ERROR-severity *Error.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Severity: "ERROR", Code: code, Message: fmt.Sprintf(format, args...)}
}

// Fatalf returns a FATAL-severity *Error: the connection ends after it.
func Fatalf(code, format string, args ...any) *Error {
	return &Error{Severity: "FATAL", Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorResponse translates err into the message sent to the client. Errors
// that carry a SQLSTATE (ours, a *sqlerr.Error, a policy denial, or a
// backend's *pgconn.PgError) keep it; anything else becomes a generic
// internal error so that backend addresses and credentials in Go error
// strings never reach the client.
func ErrorResponse(err error) *pgproto3.ErrorResponse {
	var pe *pgconn.PgError
	if c, ok := errors.AsType[sqlerr.Coded](err); ok {
		if p, ok := c.(*pgconn.PgError); ok {
			pe = p
		} else if e := ErrorOf(c); e != nil {
			sev := e.Severity
			if sev == "" {
				sev = "ERROR"
			}
			return &pgproto3.ErrorResponse{Severity: sev, SeverityUnlocalized: sev, Code: e.Code, Message: e.Message, Detail: e.Detail, Hint: e.Hint}
		}
	}
	if pe != nil {
		return &pgproto3.ErrorResponse{
			Severity: pe.Severity, SeverityUnlocalized: pe.SeverityUnlocalized, Code: pe.Code, Message: pe.Message,
			Detail: pe.Detail, Hint: pe.Hint, Position: pe.Position, SchemaName: pe.SchemaName, TableName: pe.TableName,
			ColumnName: pe.ColumnName, DataTypeName: pe.DataTypeName, ConstraintName: pe.ConstraintName,
		}
	}
	return &pgproto3.ErrorResponse{Severity: "ERROR", SeverityUnlocalized: "ERROR", Code: CodeInternalError, Message: "internal gateway error"}
}

// fromBackend reports whether the first error in err's chain that carries
// a SQLSTATE is a backend's *pgconn.PgError.
func fromBackend(err error) bool {
	c, _ := errors.AsType[sqlerr.Coded](err)
	_, ok := c.(*pgconn.PgError)
	return ok
}

// Refusal is the bytes of a FATAL ErrorResponse for err, sent to a
// client refused before its startup message is read (the network rules
// at accept): PostgreSQL clients read it in answer to their SSLRequest
// or StartupMessage and report it.
func Refusal(err error) []byte {
	r := ErrorResponse(err)
	r.Severity, r.SeverityUnlocalized = "FATAL", "FATAL"
	b, _ := r.Encode(nil)
	return b
}
