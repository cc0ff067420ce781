package mysqlwire

import (
	"errors"
	"fmt"
	"testing"

	"github.com/floe-db/floe/internal/sqlerr"
)

// Every error the gateway can produce goes out with a server-range error
// number and that number's SQLSTATE: the mysql client reads an ERR packet
// with a client-side number (2000–2999) as a malformed packet.
func TestErrNeverSendsClientRange(t *testing.T) {
	var cases []*Error
	for _, code := range sqlerr.Codes() {
		cases = append(cases, ErrorOf(sqlerr.New(code, "code %s", code)))
		// With an explicit number, client-side ones included.
		cases = append(cases, ErrorOf(&sqlerr.Error{Code: code, Errno: 2013, Message: "lost"}))
	}
	for _, n := range sqlerr.Errnos() {
		cases = append(cases, Errorf(n, "errno %d", n), Fatalf(n, "errno %d", n))
	}
	for _, n := range []uint16{0, ErCantConnect, ErServerLost, ErConnectToForeign, ErConnectionKilled,
		ErServerShutdown, ErConCount, ErQueryTimeout, ErClientInteractionTimeout} {
		cases = append(cases, Errorf(n, "constant %d", n), &Error{Code: n, Message: "no state"})
	}
	for n := uint16(2000); n < 3000; n++ {
		cases = append(cases, &Error{Code: n, State: "HY000", Message: "client range"})
	}
	if len(cases) < 1200 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, e := range cases {
		if e == nil {
			t.Fatal("ErrorOf returned nil for a coded error")
		}
		got := ParseErr(AppendErr(nil, e))
		if sqlerr.ClientRange(got.Code) || got.Code < 1000 {
			t.Errorf("%v was sent as errno %d", e, got.Code)
		}
		if len(got.State) != 5 || got.Message != e.Message {
			t.Errorf("%v was sent as %v", e, got)
		}
		if got.Code != e.Code && got.State != sqlerr.MySQLState(got.Code) {
			t.Errorf("%v was renumbered to %d but kept SQLSTATE %s", e, got.Code, got.State)
		}
	}
	// The numbers for backend failures.
	for in, want := range map[uint16]uint16{ErCantConnect: 1429, ErServerLost: 1927, 2006: 1927} {
		if got := ParseErr(AppendErr(nil, Errorf(in, "x"))); got.Code != want {
			t.Errorf("errno %d sent as %d, want %d", in, got.Code, want)
		}
	}
}

// denial answers like policy.Denial: a SQLSTATE, an errno of its own and
// a detail MySQL has no field for.
type denial struct{}

func (denial) Error() string    { return "permission denied for table t" }
func (denial) SQLState() string { return sqlerr.InsufficientPrivilege }
func (denial) SQLError() *sqlerr.Error {
	return &sqlerr.Error{Code: sqlerr.InsufficientPrivilege, Errno: sqlerr.ErTableAccessDenied,
		Message: "permission denied for table t", Detail: "rule: grant"}
}

func TestErrorOf(t *testing.T) {
	own := Fatalf(ErServerShutdown, "bye")
	if e := ErrorOf(fmt.Errorf("w: %w", own)); e != own {
		t.Errorf("ErrorOf(own) = %v", e)
	}
	e := ErrorOf(fmt.Errorf("w: %w", denial{}))
	if e == nil || e.Code != 1142 || e.State != "42000" || e.Message != "permission denied for table t" || e.Fatal {
		t.Errorf("ErrorOf(denial) = %+v", e)
	}
	e = ErrorOf(sqlerr.Fatal(sqlerr.AdminShutdown, "shutting down"))
	if e == nil || e.Code != 1053 || e.State != "08S01" || !e.Fatal {
		t.Errorf("ErrorOf(57P01) = %+v", e)
	}
	e = ErrorOf(sqlerr.New(sqlerr.ConnectionFailure, "could not connect").WithErrno(ErConnectToForeign))
	if e == nil || e.Code != 1429 || e.State != "HY000" {
		t.Errorf("ErrorOf(unreachable) = %+v", e)
	}
	if e := ErrorOf(errors.New("dial tcp 10.0.0.1:3306: connection refused")); e != nil {
		t.Errorf("ErrorOf(plain) = %+v, want nil", e)
	}
	if c := sqlerr.Code(Errorf(ErQueryTimeout, "x")); c != sqlerr.QueryCanceled {
		t.Errorf("Code(3024) = %q", c)
	}
	if c := sqlerr.Code(&Error{Code: 1213, State: "40001"}); c != "40001" {
		t.Errorf("Code(1213) = %q", c)
	}
}
