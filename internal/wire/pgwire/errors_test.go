package pgwire

import (
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/floe-db/floe/internal/sqlerr"
)

type denial struct{}

func (denial) Error() string    { return "permission denied for table t" }
func (denial) SQLState() string { return sqlerr.InsufficientPrivilege }
func (denial) SQLError() *sqlerr.Error {
	return &sqlerr.Error{Code: sqlerr.InsufficientPrivilege, Errno: sqlerr.ErTableAccessDenied,
		Message: "permission denied for table t", Detail: "rule: grant"}
}

func TestErrorResponse(t *testing.T) {
	for _, tc := range []struct {
		err                          error
		sev, code, msg, detail, hint string
	}{
		{Errorf(CodeSyntaxError, "bad"), "ERROR", "42601", "bad", "", ""},
		{&Error{Code: CodeSyntaxError, Message: "no severity"}, "ERROR", "42601", "no severity", "", ""},
		{fmt.Errorf("w: %w", sqlerr.Fatal(sqlerr.AdminShutdown, "bye")), "FATAL", "57P01", "bye", "", ""},
		{&sqlerr.Error{Code: sqlerr.QueryCanceled, Message: "late", Hint: "h"}, "ERROR", "57014", "late", "", "h"},
		{fmt.Errorf("w: %w", denial{}), "ERROR", "42501", "permission denied for table t", "rule: grant", ""},
		{&pgconn.PgError{Severity: "ERROR", Code: "23505", Message: "dup", Detail: "d"}, "ERROR", "23505", "dup", "d", ""},
		{errors.New("dial tcp 10.1.2.3:5432: connect: connection refused"), "ERROR", "XX000", "internal gateway error", "", ""},
	} {
		r := ErrorResponse(tc.err)
		if r.Severity != tc.sev || r.Code != tc.code || r.Message != tc.msg || r.Detail != tc.detail || r.Hint != tc.hint {
			t.Errorf("ErrorResponse(%v) = %+v", tc.err, r)
		}
	}
	if e := ErrorOf(errors.New("plain")); e != nil {
		t.Errorf("ErrorOf(plain) = %v", e)
	}
	if c := sqlerr.Code(Errorf(CodeQueryCanceled, "x")); c != sqlerr.QueryCanceled {
		t.Errorf("Code(pgwire error) = %q", c)
	}
	if !fromBackend(fmt.Errorf("w: %w", &pgconn.PgError{Code: "28P01"})) || fromBackend(Errorf("28P01", "x")) {
		t.Error("fromBackend tells backend errors wrong")
	}
}
