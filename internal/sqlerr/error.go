package sqlerr

import (
	"errors"
	"fmt"
)

// Error is a failure as the gateway reports it to a client of any
// protocol.
type Error struct {
	// Code is the SQLSTATE (PostgreSQL's code for the condition).
	Code string
	// Errno is the MySQL error number; 0 sends the table's number for
	// Code (ErrnoFor).
	Errno uint16
	// Message is safe to show the client: it never names a backend host,
	// user or database.
	Message string
	Detail  string
	Hint    string
	// Fatal errors end the client's session after they are sent.
	Fatal bool
}

func (e *Error) Error() string { return fmt.Sprintf("%s (SQLSTATE %s)", e.Message, e.Code) }

// SQLState returns the SQLSTATE.
func (e *Error) SQLState() string { return e.Code }

// SQLError returns e itself (see Converter).
func (e *Error) SQLError() *Error { return e }

// MySQLErrno is the error number a MySQL client is sent: Errno when set
// (moved out of the client range, see ServerErrno), else the table's
// number for Code.
func (e *Error) MySQLErrno() uint16 {
	if e.Errno != 0 {
		return ServerErrno(e.Errno)
	}
	return ErrnoFor(e.Code)
}

// WithErrno sets the MySQL error number and returns e.
func (e *Error) WithErrno(errno uint16) *Error {
	e.Errno = errno
	return e
}

// New returns an error with SQLSTATE code and a formatted message.
func New(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Fatal returns an error that ends the session after it is sent.
func Fatal(code, format string, args ...any) *Error {
	e := New(code, format, args...)
	e.Fatal = true
	return e
}

// Coded is an error that carries a SQLSTATE: *Error, the wire packages'
// errors, the policy's denials, the PostgreSQL driver's *pgconn.PgError.
type Coded interface {
	error
	SQLState() string
}

// Converter is a Coded error that knows its neutral form (message,
// detail, MySQL error number) exactly.
type Converter interface {
	SQLError() *Error
}

// As returns the neutral form of the first error in err's chain that
// carries a SQLSTATE: its own SQLError() when it has one, else its
// SQLState() with its Error() text as the message.
func As(err error) (*Error, bool) {
	c, ok := errors.AsType[Coded](err)
	if !ok {
		return nil, false
	}
	if cv, ok := c.(Converter); ok {
		if e := cv.SQLError(); e != nil {
			return e, true
		}
	}
	return &Error{Code: c.SQLState(), Message: c.Error()}, true
}

// Code returns the SQLSTATE of the first error in err's chain that
// carries one, or "".
func Code(err error) string {
	if c, ok := errors.AsType[Coded](err); ok {
		return c.SQLState()
	}
	return ""
}
