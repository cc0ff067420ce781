package pgrelay

import (
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

func TestAnswers(t *testing.T) {
	cases := []struct {
		msg      pgproto3.BackendMessage
		k        opKind
		ok, done bool
	}{
		{&pgproto3.ParseComplete{}, opParse, true, true},
		{&pgproto3.ParseComplete{}, opBind, false, false},
		{&pgproto3.BindComplete{}, opBind, true, true},
		{&pgproto3.BindComplete{}, opQuery, false, false},
		{&pgproto3.CloseComplete{}, opClose, true, true},
		{&pgproto3.ParameterDescription{}, opDescribeStmt, true, false},
		{&pgproto3.ParameterDescription{}, opDescribePortal, false, false},
		{&pgproto3.RowDescription{}, opDescribeStmt, true, true},
		{&pgproto3.RowDescription{}, opQuery, true, false},
		{&pgproto3.RowDescription{}, opExecute, false, false},
		{&pgproto3.NoData{}, opDescribePortal, true, true},
		{&pgproto3.DataRow{}, opExecute, true, false},
		{&pgproto3.DataRow{}, opSync, false, false},
		{&pgproto3.CommandComplete{}, opExecute, true, true},
		{&pgproto3.CommandComplete{}, opQuery, true, false},
		{&pgproto3.EmptyQueryResponse{}, opParse, false, false},
		{&pgproto3.PortalSuspended{}, opExecute, true, true},
		{&pgproto3.FunctionCallResponse{}, opFunction, true, false},
		{&pgproto3.NotificationResponse{}, opSync, true, false},
		{&pgproto3.CopyBothResponse{}, opQuery, false, false},
	}
	for _, tc := range cases {
		ok, done := answers(tc.msg, tc.k)
		if ok != tc.ok || ok && done != tc.done {
			t.Errorf("%s for op %d: ok=%v done=%v, want %v %v", fmt.Sprintf("%T", tc.msg), tc.k, ok, done, tc.ok, tc.done)
		}
	}
}
