package pgrelay

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/floe-db/floe/internal/analysis"
	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/stmt"
	"github.com/floe-db/floe/internal/wire/pgwire"
)

// clientStmt is a client's prepared statement, as the client named it.
type clientStmt struct {
	query  string
	oids   []uint32
	server string // name on the server: floe_<hash of query and oids>
	// a is the analysis of the client's text (query may carry row
	// filters the policy added): routing class, statistics.
	a *analysis.Analysis
	// plan masks its rows; it was decided under planMasks, from the
	// statement's description (described).
	plan      *rowPlan
	planMasks *policy.Masks
	described bool
	// executed: it ran at least once; cacheOffered: its last run was
	// offered the result cache (its Bind may wait for the Execute, and
	// its parameters are kept for the cache key).
	executed, cacheOffered bool
}

// portal is a bound statement with the result formats the client asked for.
type portal struct {
	st      *clientStmt
	formats []int16
	// args are the Bind's parameter values (for the statement's stages).
	args *stmt.Args
	// plan, from a Describe of the portal, replaces the statement's.
	plan      *rowPlan
	described bool
	// keyed: keyFormat and keyParams are the Bind's part of the cache
	// key (cache.go); describedInBatch: a Describe of the portal was
	// sent in the batch that runs it.
	keyed            bool
	keyFormat        string
	keyParams        []byte
	describedInBatch bool
}

func (p *portal) rowPlan() *rowPlan {
	if p.described {
		return p.plan
	}
	return p.st.plan
}

// statements are a client's prepared statements and portals, by the
// client's names. The server-side statements they stand for are named by
// text (serverName) and shared on a backend connection; the session
// prepares them again on another connection (ensurePrepared).
type statements struct {
	named   map[string]*clientStmt // client statement name → statement
	unnamed *clientStmt
	// unnamedSeq versions the unnamed statement, so a connection knows
	// whether it holds the current one (backendConn.unnamedSeq).
	unnamedSeq uint64
	portals    map[string]*portal
}

// lookup finds the client's statement name ("": the unnamed one).
func (t *statements) lookup(name string) (*clientStmt, bool) {
	if name == "" {
		return t.unnamed, t.unnamed != nil
	}
	st, ok := t.named[name]
	return st, ok
}

// forget drops every statement (DISCARD ALL, DEALLOCATE ALL).
func (t *statements) forget() {
	t.named = map[string]*clientStmt{}
	t.unnamed = nil
}

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

// room returns a 54000 error when the session may not keep another
// named statement of the text query.
func (t *statements) room(query string) error {
	if len(t.named) >= maxSessionStmts {
		return pgwire.Errorf(pgwire.CodeProgramLimitExceeded,
			"too many prepared statements in this session (%d): close some first", maxSessionStmts)
	}
	total := len(query)
	for _, st := range t.named {
		total += len(st.query)
	}
	if total > maxSessionStmtBytes {
		return pgwire.Errorf(pgwire.CodeProgramLimitExceeded,
			"the prepared statements of this session would exceed %d MiB of text: close some first", maxSessionStmtBytes>>20)
	}
	return nil
}

// serverName is the name a statement gets on the server: the same text
// and parameter types share one server-side statement per connection.
func serverName(query string, oids []uint32) string {
	h := sha256.New()
	h.Write([]byte(query))
	var b [4]byte
	for _, o := range oids {
		binary.BigEndian.PutUint32(b[:], o)
		h.Write(b[:])
	}
	return "floe_" + hex.EncodeToString(h.Sum(nil)[:12])
}

// ensurePrepared makes the client's statement exist on the attached
// connection, re-preparing it if the client moved connections. It returns
// the server's name, or an error for an unknown statement.
func (s *session) ensurePrepared(name string) (string, error) {
	b := s.att.be.Value
	if name == "" {
		if s.prep.unnamed == nil {
			return "", pgwire.Errorf(pgwire.CodeInvalidSQLStatement, "unnamed prepared statement does not exist")
		}
		if b.unnamedOwner != s || b.unnamedSeq != s.prep.unnamedSeq {
			b.unnamedOwner, b.unnamedSeq = s, s.prep.unnamedSeq
			s.send(&pgproto3.Parse{Query: s.prep.unnamed.query, ParameterOIDs: s.prep.unnamed.oids})
			s.q.push(op{kind: opParse, swallow: true})
		}
		return "", nil
	}
	st, ok := s.prep.named[name]
	if !ok {
		return "", pgwire.Errorf(pgwire.CodeInvalidSQLStatement, "prepared statement %q does not exist", name)
	}
	if !b.prepared[st.server] {
		b.prepared[st.server] = true
		s.send(&pgproto3.Parse{Name: st.server, Query: st.query, ParameterOIDs: st.oids})
		s.q.push(op{kind: opParse, swallow: true, server: st.server})
	}
	return st.server, nil
}
