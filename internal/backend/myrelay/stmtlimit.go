package myrelay

import (
	"github.com/floe-db/floe/internal/sqlerr"
	"github.com/floe-db/floe/internal/wire/mysqlwire"
)

// Bounds on the statements one client session keeps prepared. The relay
// remembers each statement's text (to prepare it again on another backend
// connection), so without a bound one client could make the gateway —
// shared by every user — hold any amount of memory by preparing
// statements it never closes.
const (
	// maxSessionStmts is the statements a session may hold, MySQL's
	// default max_prepared_stmt_count for a whole server.
	maxSessionStmts = 16382
	// maxSessionStmtBytes bounds the total text of those statements.
	maxSessionStmtBytes = 32 << 20
	// erMaxPreparedStmtCount is ER_MAX_PREPARED_STMT_COUNT_REACHED.
	erMaxPreparedStmtCount = sqlerr.ErMaxPreparedStmtCountReached
)

// room returns ER_MAX_PREPARED_STMT_COUNT_REACHED when the session may
// not keep another statement of n bytes of text.
func (c *clientStmts) room(n int) error {
	full := mysqlwire.Errorf(erMaxPreparedStmtCount, "")
	if len(c.byID) >= maxSessionStmts {
		full.Message = "Can't create more than 16382 prepared statements in one session: close some first"
		return full
	}
	total := n
	for _, cs := range c.byID {
		total += len(cs.query) + len(cs.text)
	}
	if total > maxSessionStmtBytes {
		full.Message = "The prepared statements of this session would exceed 32 MiB of text: close some first"
		return full
	}
	return nil
}
