package policy

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/floe-db/floe/internal/sqlerr"
	"github.com/floe-db/floe/internal/sqlparse"
)

// ReservedStatementPrefix begins the names the PostgreSQL relay gives
// statements on the server (floe_ and a hash of the text). They hold
// texts checked for — and rewritten with the row filters of — whichever
// client prepared them first, on connections that other clients share:
// no client may PREPARE, EXECUTE or DEALLOCATE such a name in SQL.
const ReservedStatementPrefix = "floe_"

// PreparedNames are the statement names a session has PREPAREd in SQL:
// the only names its SQL EXECUTE may run. Safe for concurrent use.
type PreparedNames struct {
	mu    sync.Mutex
	names map[string]bool
}

// RulePrepared is the rule of refusals of prepared statement names.
const RulePrepared = "grant.prepared"

// preparedKey is how the dialect compares statement names: MySQL's are
// case-insensitive, PostgreSQL's were folded by the parser.
func preparedKey(d Dialect, name string) string {
	if d == MySQL {
		return strings.ToLower(name)
	}
	return name
}

func (p *PreparedNames) has(key string) bool {
	if p == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.names[key]
}

// note records the PREPAREs and DEALLOCATEs of an allowed text, in order.
func (p *PreparedNames) note(d Dialect, stmts []sqlparse.Statement) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, st := range stmts {
		switch {
		case st.DeallocateAll:
			clear(p.names)
		case st.PreparedName == "":
		case isPrepare(st):
			if p.names == nil {
				p.names = map[string]bool{}
			}
			p.names[preparedKey(d, st.PreparedName)] = true
		case st.Node == "DeallocateStmt":
			delete(p.names, preparedKey(d, st.PreparedName))
		}
	}
}

func isPrepare(st sqlparse.Statement) bool { return st.Node == "PrepareStmt" }

// checkPrepared refuses, for the statements of one text in order, a
// PREPARE, EXECUTE or DEALLOCATE of a name reserved for the gateway, and
// an EXECUTE of a name the session did not PREPARE in SQL itself (the
// server-side statements of other sessions on a shared connection).
// DEALLOCATE of other names is left to the server: the relay answers it
// for the session's own protocol-level statements, and it cannot read
// or write anything.
func checkPrepared(req Request, stmts []sqlparse.Statement) *Denial {
	var here []string // PREPAREd earlier in this text
	for _, st := range stmts {
		name := preparedKey(req.Dialect, st.PreparedName)
		if name == "" {
			continue
		}
		if strings.HasPrefix(strings.ToLower(name), ReservedStatementPrefix) {
			return &Denial{Rule: RulePrepared, Code: sqlerr.InsufficientPrivilege, Errno: sqlerr.ErSpecificAccessDenied,
				Message: fmt.Sprintf("permission denied: prepared statement names beginning with %q are reserved for the gateway", ReservedStatementPrefix)}
		}
		switch {
		case isPrepare(st):
			here = append(here, name)
		case st.Node == "ExecuteStmt":
			if !req.Prepared.has(name) && !slices.Contains(here, name) {
				return &Denial{Rule: RulePrepared, Code: sqlerr.InsufficientPrivilege, Errno: sqlerr.ErUnknownStmtHandler,
					Message: fmt.Sprintf("permission denied: prepared statement %q was not prepared by this session", name)}
			}
		}
	}
	return nil
}

// sessionStateCatalog names why reading t needs admin: views of the
// server session's prepared statements and cursors (on a shared backend
// connection, other clients' and the relay's), and of every session's
// prepared transactions. "" for other tables.
func sessionStateCatalog(d Dialect, t sqlparse.Table) string {
	if d != Postgres {
		return ""
	}
	if s := strings.ToLower(t.Schema); s != "" && s != "pg_catalog" {
		return ""
	}
	switch n := strings.ToLower(t.Name); n {
	case "pg_prepared_statements", "pg_cursors", "pg_prepared_xacts":
		return "the catalogue view " + n
	}
	return ""
}
