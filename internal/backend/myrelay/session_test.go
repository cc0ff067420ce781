package myrelay

import (
	"context"
	"errors"
	"testing"

	"github.com/floe-db/floe/internal/analysis"
	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/stmt"
	"github.com/floe-db/floe/internal/wire/mysqlwire"
)

// outcomes records each statement's outcome.
type outcomes struct{ got []stmt.Outcome }

func (o *outcomes) Begin(context.Context, *stmt.Statement) error { return nil }
func (o *outcomes) End(_ *stmt.Statement, out stmt.Outcome)      { o.got = append(o.got, out) }

func TestFinishOutcome(t *testing.T) {
	rec := &outcomes{}
	p := stmt.New(stmt.Options{Database: "shop", Dialect: analysis.MySQL, Stages: []stmt.Stage{rec}})
	sess := p.Open(policy.Request{User: "alice"})
	for _, c := range []struct {
		name       string
		fail       string // a backend ERR packet's SQLSTATE noted first
		err        error
		code, stat string
	}{
		{"ok", "", nil, "", "ok"},
		{"backend ERR relayed", "42S02", nil, "42S02", "error"},
		{"gateway error", "", mysqlwire.Errorf(mysqlwire.ErServerLost, "lost"), "HY000", "error"},
		{"first error wins", "23000", mysqlwire.Errorf(mysqlwire.ErServerLost, "lost"), "23000", "error"},
		{"database switch", "", &mysqlwire.SwitchError{Database: "other"}, "", "ok"},
		{"client gone", "", errors.New("write: broken pipe"), stmt.CodeUnknown, "error"},
	} {
		st, den := sess.Begin(context.Background(), "SELECT 1", nil)
		if den != nil {
			t.Fatal(den)
		}
		if c.fail != "" {
			st.Fail(c.fail)
		}
		finish(st, c.err)
		o := rec.got[len(rec.got)-1]
		if o.Code != c.code || o.Status != c.stat {
			t.Errorf("%s: code %q status %s, want %q %s", c.name, o.Code, o.Status, c.code, c.stat)
		}
	}
}

func TestClientStmts(t *testing.T) {
	cs := newClientStmts()
	id := cs.add(&clientStmt{query: "SELECT a FROM t WHERE (x = 1) AND (a > ?)", text: "SELECT a FROM t WHERE a > ?"})
	p := []byte{mysqlwire.ComStmtExecute, byte(id), 0, 0, 0}
	got, err := cs.lookup(p, "mysqld_stmt_execute")
	if err != nil || got.clientText() != "SELECT a FROM t WHERE a > ?" {
		t.Fatalf("lookup: %+v, %v", got, err)
	}
	// The room counts both texts of a rewritten statement.
	if err := cs.room(maxSessionStmtBytes - len(got.query) - len(got.text)); err != nil {
		t.Errorf("room to the byte: %v", err)
	}
	if err := cs.room(maxSessionStmtBytes - len(got.query) - len(got.text) + 1); err == nil {
		t.Error("no refusal one byte past the bound")
	}
	cs.close([]byte{mysqlwire.ComStmtClose, byte(id), 0, 0, 0})
	if _, err := cs.lookup(p, "mysqld_stmt_execute"); err == nil {
		t.Error("a closed statement is still known")
	}
}
