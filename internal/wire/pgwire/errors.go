package pgwire

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// SQLSTATE codes the gateway itself raises.
const (
	CodeProtocolViolation      = "08P01"
	CodeConnectionFailure      = "08006"
	CodeInvalidAuthSpec        = "28000"
	CodeInvalidPassword        = "28P01"
	CodeInvalidCatalogName     = "3D000"
	CodeTooManyConnections     = "53300"
	CodeProgramLimitExceeded   = "54000"
	CodeAdminShutdown          = "57P01"
	CodeQueryCanceled          = "57014"
	CodeFeatureNotSupported    = "0A000"
	CodeInternalError          = "XX000"
	CodeInvalidSQLStatement    = "26000"
	CodeSyntaxError            = "42601"
	CodeInsufficientPrivilege  = "42501"
	CodeDuplicatePreparedStmt  = "42P05"
	CodeInvalidCursorName      = "34000"
	CodeCannotConnectNow       = "57P03"
	CodeObjectNotInPrereqState = "55000"
	// CodeIdleInTransactionTimeout is idle_in_transaction_session_timeout.
	CodeIdleInTransactionTimeout = "25P03"
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

// Errorf returns an ERROR-severity *Error.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Severity: "ERROR", Code: code, Message: fmt.Sprintf(format, args...)}
}

// Fatalf returns a FATAL-severity *Error: the connection ends after it.
func Fatalf(code, format string, args ...any) *Error {
	return &Error{Severity: "FATAL", Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorResponse translates err into the message sent to the client. Errors
// that carry a SQLSTATE (ours, or a backend's *pgconn.PgError) keep it;
// anything else becomes a generic internal error so that backend addresses
// and credentials in Go error strings never reach the client.
func ErrorResponse(err error) *pgproto3.ErrorResponse {
	var e *Error
	if errors.As(err, &e) {
		sev := e.Severity
		if sev == "" {
			sev = "ERROR"
		}
		return &pgproto3.ErrorResponse{Severity: sev, SeverityUnlocalized: sev, Code: e.Code, Message: e.Message, Detail: e.Detail, Hint: e.Hint}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return &pgproto3.ErrorResponse{
			Severity: pe.Severity, SeverityUnlocalized: pe.SeverityUnlocalized, Code: pe.Code, Message: pe.Message,
			Detail: pe.Detail, Hint: pe.Hint, Position: pe.Position, SchemaName: pe.SchemaName, TableName: pe.TableName,
			ColumnName: pe.ColumnName, DataTypeName: pe.DataTypeName, ConstraintName: pe.ConstraintName,
		}
	}
	return &pgproto3.ErrorResponse{Severity: "ERROR", SeverityUnlocalized: "ERROR", Code: CodeInternalError, Message: "internal gateway error"}
}
