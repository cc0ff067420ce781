package sqlerr

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"testing"
)

// declared returns the string and the integer constants of codes.go.
func declared(t *testing.T) (codes []string, errnos []uint16) {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "codes.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			for _, v := range s.(*ast.ValueSpec).Values {
				lit, ok := v.(*ast.BasicLit)
				if !ok {
					t.Fatalf("constant with a non-literal value: %T", v)
				}
				switch lit.Kind {
				case token.STRING:
					s, _ := strconv.Unquote(lit.Value)
					codes = append(codes, s)
				case token.INT:
					n, _ := strconv.ParseUint(lit.Value, 10, 16)
					errnos = append(errnos, uint16(n))
				}
			}
		}
	}
	if len(codes) < 40 || len(errnos) < 40 {
		t.Fatalf("codes.go yields %d codes and %d numbers; the parse is wrong", len(codes), len(errnos))
	}
	return codes, errnos
}

// Codes and Errnos list exactly what codes.go declares, so tests that
// range over them cover every code.
func TestListsMatchDeclarations(t *testing.T) {
	codes, nums := declared(t)
	got := Codes()
	slices.Sort(codes)
	slices.Sort(got)
	if !slices.Equal(codes, got) {
		t.Errorf("Codes() = %v\ncodes.go declares %v", got, codes)
	}
	gotN := Errnos()
	slices.Sort(nums)
	slices.Sort(gotN)
	if !slices.Equal(nums, gotN) {
		t.Errorf("Errnos() = %v\ncodes.go declares %v (every number needs a row in the table)", gotN, nums)
	}
}

func TestTable(t *testing.T) {
	for _, c := range Codes() {
		if len(c) != 5 {
			t.Errorf("SQLSTATE %q is not 5 characters", c)
		}
		n := ErrnoFor(c)
		if ClientRange(n) || n < 1000 {
			t.Errorf("ErrnoFor(%s) = %d, not a server error number", c, n)
		}
		if _, ok := errnos[n]; !ok {
			t.Errorf("ErrnoFor(%s) = %d, which has no row (no MySQL SQLSTATE)", c, n)
		}
	}
	for n, m := range errnos {
		if ClientRange(n) || n < 1000 {
			t.Errorf("table row %d is not a server error number", n)
		}
		if len(m.state) != 5 || MySQLState(n) != m.state {
			t.Errorf("MySQLState(%d) = %q", n, MySQLState(n))
		}
		if !slices.Contains(Codes(), m.code) {
			t.Errorf("errno %d stands for %q, which is not a declared code", n, m.code)
		}
	}
	// Pairs clients and tests rely on.
	for _, tc := range []struct {
		code  string
		errno uint16
		state string
	}{
		{InsufficientPrivilege, 1227, "42000"},
		{QueryCanceled, 1317, "70100"},
		{ConnectionFailure, 1927, "70100"},
		{AdminShutdown, 1053, "08S01"},
		{CannotConnectNow, 1053, "08S01"},
		{UniqueViolation, 1062, "23000"},
		{UndefinedTable, 1146, "42S02"},
		{SyntaxError, 1064, "42000"},
		{ReadOnlySQLTransaction, 1792, "25006"},
		{TooManyConnections, 1040, "08004"},
		{"99999", 1105, "HY000"},
	} {
		if n := ErrnoFor(tc.code); n != tc.errno || MySQLState(n) != tc.state {
			t.Errorf("%s → %d (%s), want %d (%s)", tc.code, n, MySQLState(n), tc.errno, tc.state)
		}
	}
	for n, want := range map[uint16]string{1142: InsufficientPrivilege, 1044: InsufficientPrivilege,
		3024: QueryCanceled, 1317: QueryCanceled, 1927: ConnectionFailure, 1429: ConnectionFailure,
		1053: AdminShutdown, 1213: ""} {
		if got := CodeFor(n); got != want {
			t.Errorf("CodeFor(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestServerErrno(t *testing.T) {
	for in, want := range map[uint16]uint16{0: 1105, 2003: 1429, 2002: 1429, 2013: 1927, 2006: 1927,
		2027: 1105, 2999: 1105, 1142: 1142, 1999: 1999, 3024: 3024, 4031: 4031} {
		if got := ServerErrno(in); got != want {
			t.Errorf("ServerErrno(%d) = %d, want %d", in, got, want)
		}
	}
	e := &Error{Code: ConnectionFailure, Errno: 2003}
	if n := e.MySQLErrno(); n != ErConnectToForeignDataSource {
		t.Errorf("an error with errno 2003 is sent as %d", n)
	}
	if n := New(QueryCanceled, "x").MySQLErrno(); n != ErQueryInterrupted {
		t.Errorf("57014 without an errno is sent as %d", n)
	}
	if n := New(ConnectionFailure, "x").WithErrno(ErConnectToForeignDataSource).MySQLErrno(); n != 1429 {
		t.Errorf("WithErrno(1429) is sent as %d", n)
	}
}

func TestUnavailable(t *testing.T) {
	for code, want := range map[string]bool{ConnectionFailure: true, "08001": true, AdminShutdown: true,
		CannotConnectNow: true, TooManyConnections: true, InsufficientResources: true,
		QueryCanceled: false, InsufficientPrivilege: false, SyntaxError: false, "": false} {
		if Unavailable(code) != want {
			t.Errorf("Unavailable(%q) = %v", code, !want)
		}
	}
}

// coded is an error answering SQLState() only, as *pgconn.PgError does.
type coded struct{ code, msg string }

func (c coded) Error() string    { return c.msg }
func (c coded) SQLState() string { return c.code }

// converter is an error with an exact neutral form, as policy.Denial.
type converter struct{}

func (converter) Error() string    { return "denied" }
func (converter) SQLState() string { return InsufficientPrivilege }
func (converter) SQLError() *Error {
	return &Error{Code: InsufficientPrivilege, Errno: ErTableAccessDenied, Message: "denied", Detail: "rule: grant"}
}

func TestAsAndCode(t *testing.T) {
	base := Fatal(AdminShutdown, "shutting down %s", "now")
	if base.Message != "shutting down now" || !base.Fatal || base.Error() != "shutting down now (SQLSTATE 57P01)" {
		t.Fatalf("Fatal built %+v", base)
	}
	wrapped := fmt.Errorf("outer: %w", fmt.Errorf("inner: %w", base))
	if e, ok := As(wrapped); !ok || e != base {
		t.Errorf("As(wrapped *Error) = %v, %v", e, ok)
	}
	if c := Code(wrapped); c != AdminShutdown {
		t.Errorf("Code(wrapped) = %q", c)
	}
	e, ok := As(fmt.Errorf("x: %w", coded{UniqueViolation, "dup"}))
	if !ok || e.Code != UniqueViolation || e.Message != "dup" || e.MySQLErrno() != ErDupEntry {
		t.Errorf("As(coded) = %+v, %v", e, ok)
	}
	e, ok = As(fmt.Errorf("x: %w", converter{}))
	if !ok || e.Detail != "rule: grant" || e.MySQLErrno() != ErTableAccessDenied {
		t.Errorf("As(converter) = %+v, %v", e, ok)
	}
	// The outermost coded error wins.
	if c := Code(fmt.Errorf("a: %w", &Error{Code: QueryCanceled, Message: "x"})); c != QueryCanceled {
		t.Errorf("Code = %q", c)
	}
	for _, err := range []error{nil, errors.New("plain"), fmt.Errorf("w: %w", errors.New("plain"))} {
		if e, ok := As(err); ok || e != nil {
			t.Errorf("As(%v) = %v, %v", err, e, ok)
		}
		if c := Code(err); c != "" {
			t.Errorf("Code(%v) = %q", err, c)
		}
	}
}
