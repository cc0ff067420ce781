package pgrelay

import "github.com/floe-db/floe/internal/wire/pgwire"

// Bounds on the named statements one client session keeps. The relay
// remembers each statement's text (to re-prepare it on another backend
// connection), so without a bound one client could make the gateway —
// shared by every user — hold any amount of memory by preparing
// statements it never closes.
const (
	// maxSessionStmts is the named statements a session may hold; drivers
	// cache a few hundred (pgx 512 by default).
	maxSessionStmts = 4096
	// maxSessionStmtBytes bounds the total text of those statements.
	maxSessionStmtBytes = 32 << 20
)

// stmtRoom returns a 54000 error when the session may not keep another
// named statement of the text query.
func (s *session) stmtRoom(query string) error {
	if len(s.stmts) >= maxSessionStmts {
		return pgwire.Errorf(pgwire.CodeProgramLimitExceeded,
			"too many prepared statements in this session (%d): close some first", maxSessionStmts)
	}
	total := len(query)
	for _, st := range s.stmts {
		total += len(st.query)
	}
	if total > maxSessionStmtBytes {
		return pgwire.Errorf(pgwire.CodeProgramLimitExceeded,
			"the prepared statements of this session would exceed %d MiB of text: close some first", maxSessionStmtBytes>>20)
	}
	return nil
}
