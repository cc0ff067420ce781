package policy

import (
	"errors"
	"strings"

	"github.com/floe-db/floe/internal/sqlerr"
	"github.com/floe-db/floe/internal/sqlparse"
)

// storedProgram decides on a MySQL text the parser could not read that
// defines, alters or drops a stored procedure, function, trigger or
// event (sqlparse.MySQLStoredProgram). Its body runs later, as the
// account that created it, and the gateway has not read it: it runs
// only for a user whose roles hold ddl on the whole database and whose
// session runs as an identity's login (Request.Backed), so that the
// server's own privileges for that login bound what the body can do. ok
// is false for any other text.
func (p *Policy) storedProgram(req Request) (den *Denial, ok bool) {
	if req.Dialect != MySQL {
		return nil, false
	}
	sp, ok, err := sqlparse.MySQLStoredProgram(req.SQL)
	if !ok {
		return nil, false
	}
	what := strings.ToUpper(sp.Verb + " " + sp.Object)
	if err != nil {
		msg := err.Error()
		if errors.Is(err, sqlparse.ErrStoredProgram) {
			msg = strings.TrimPrefix(msg, sqlparse.ErrStoredProgram.Error()+": ")
		}
		return &Denial{Rule: RuleParse, Code: sqlerr.InsufficientPrivilege, Errno: sqlerr.ErSpecificAccessDenied,
			Message: "statement refused: " + what + ": " + msg}, true
	}
	if p.grants {
		var rules []rule
		for _, r := range req.Roles {
			rules = append(rules, p.rules[r]...)
		}
		n := need{act: actDDL, kind: 'd', why: what}
		if allowed, by := grantCheck(rules, n, req.Database, req.DefaultSchema); !allowed {
			return grantDenial(req, n, by), true
		}
	}
	if !req.Backed {
		return &Denial{Rule: RuleParse, Code: sqlerr.InsufficientPrivilege, Errno: sqlerr.ErSpecificAccessDenied,
			Message: "statement refused: " + what + " " + sp.Name + ": the gateway cannot read this stored program's body, so it runs only for roles with an identity on database " +
				req.Database + " (the database's own privileges then bound what the body can do)"}, true
	}
	return nil, true
}
