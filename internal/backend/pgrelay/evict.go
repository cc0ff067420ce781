package pgrelay

import "github.com/jackc/pgx/v5/pgproto3"

// maxBackendStmts bounds the server-side statements the relay keeps
// prepared on one backend connection. They are shared by text among the
// sessions the connection serves and outlive the client's Close, so a
// client preparing and closing distinct texts would otherwise grow the
// PostgreSQL backend process (and the relay's record of it) without end.
const maxBackendStmts = 1024

// evictServerStmts deallocates server-side statements of the attached
// connection down to half the bound, keeping those this session's
// statements use; a session that needs an evicted one later prepares it
// again (ensurePrepared). The Close goes in order with the batch; its
// CloseComplete is not the client's. If the server skips it (an earlier
// error in the batch), dropUntilSync records the statement as still
// prepared.
func (s *session) evictServerStmts() {
	b := s.att.be.Value
	if len(b.prepared) < maxBackendStmts {
		return
	}
	inUse := make(map[string]bool, len(s.prep.named))
	for _, st := range s.prep.named {
		inUse[st.server] = true
	}
	excess := len(b.prepared) - maxBackendStmts/2
	for name := range b.prepared {
		if excess <= 0 {
			break
		}
		if inUse[name] {
			continue
		}
		delete(b.prepared, name)
		s.send(&pgproto3.Close{ObjectType: 'S', Name: name})
		s.q.push(op{kind: opClose, swallow: true, server: name})
		excess--
	}
}
