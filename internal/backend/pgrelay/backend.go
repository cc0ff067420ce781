package pgrelay

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/floe-db/floe/internal/wire/hangup"
)

// backendConn is one connection to a PostgreSQL server, owned by the pool
// when idle and by exactly one session while attached.
type backendConn struct {
	// user is the gateway user whose session last held the connection:
	// another user's session resets it first (see session.attachFor).
	user     string
	conn     net.Conn
	fe       *pgproto3.Frontend
	pid      uint32
	secret   []byte
	cancelTo [2]string // network, address
	// addr is the server's address (host:port), named to the statement
	// pipeline when a statement runs on the connection.
	addr string

	// reported holds ParameterStatus values (lower-case names); names maps
	// them back to the server's spelling.
	reported map[string]string
	names    map[string]string
	// applied holds parameters the gateway SET for a client and that the
	// server does not report; they are RESET before another client uses
	// the connection.
	applied map[string]string
	// prepared holds the gateway-named statements prepared on the server.
	prepared map[string]bool
	// unnamedOwner identifies which session's unnamed statement the server
	// holds, and which version of it.
	unnamedOwner *session
	unnamedSeq   uint64

	// gen counts changes to the parameter state (reported, applied);
	// synced is the session parameters (a session's paramsKey) the state
	// matched at gen, so that a session wanting the same parameters skips
	// the comparison while nothing has changed since.
	gen    uint64
	synced struct {
		key string
		gen uint64
	}
}

// paramsReset notes that the connection's parameters were reset (DISCARD
// ALL, the reset query): the applied ones are gone.
func (b *backendConn) paramsReset() {
	b.applied = map[string]string{}
	b.gen++
}

func (b *backendConn) close() {
	b.fe.Send(&pgproto3.Terminate{})
	_ = b.conn.SetWriteDeadline(time.Now().Add(time.Second))
	_ = b.fe.Flush()
	_ = b.conn.Close()
}

// value returns the current value of a parameter on this connection.
func (b *backendConn) value(name string) (string, bool) {
	if v, ok := b.applied[name]; ok {
		return v, true
	}
	v, ok := b.reported[name]
	return v, ok
}

// alive reports whether an idle connection is still open and quiet: a
// server that was shut down or terminated the backend has sent an error
// and closed the socket. It costs one non-blocking peek at the socket.
func (b *backendConn) alive() bool {
	if b.fe.ReadBufferLen() > 0 {
		return false
	}
	nc := b.conn
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	return hangup.Quiet(nc)
}

// ping runs an empty query: it proves the server is there and reading.
func (b *backendConn) ping(ctx context.Context) error {
	if dl, ok := ctx.Deadline(); ok {
		_ = b.conn.SetDeadline(dl)
	} else {
		_ = b.conn.SetDeadline(time.Now().Add(5 * time.Second))
	}
	defer b.conn.SetDeadline(time.Time{})
	_, err := b.simple(";")
	return err
}

// simple runs sql with the simple protocol and waits for ReadyForQuery,
// keeping parameter state current. It is for the gateway's own statements
// (reset, parameter sync); results are dropped.
func (b *backendConn) simple(sql string) (txStatus byte, err error) {
	b.fe.Send(&pgproto3.Query{String: sql})
	if err := b.fe.Flush(); err != nil {
		return 0, err
	}
	var first error
	for {
		msg, err := b.fe.Receive()
		if err != nil {
			return 0, err
		}
		switch m := msg.(type) {
		case *pgproto3.ErrorResponse:
			if first == nil {
				first = pgconn.ErrorResponseToPgError(m)
			}
		case *pgproto3.ParameterStatus:
			b.noteParam(m.Name, m.Value)
		case *pgproto3.CopyInResponse:
			b.fe.Send(&pgproto3.CopyFail{Message: "not expected"})
			_ = b.fe.Flush()
		case *pgproto3.ReadyForQuery:
			return m.TxStatus, first
		}
	}
}

// scalar runs sql, which must return one row of one column, and returns
// that value as text. It is for the gateway's own queries.
func (b *backendConn) scalar(sql string) (string, error) {
	b.fe.Send(&pgproto3.Query{String: sql})
	if err := b.fe.Flush(); err != nil {
		return "", err
	}
	var first error
	var v string
	for {
		msg, err := b.fe.Receive()
		if err != nil {
			return "", err
		}
		switch m := msg.(type) {
		case *pgproto3.ErrorResponse:
			if first == nil {
				first = pgconn.ErrorResponseToPgError(m)
			}
		case *pgproto3.DataRow:
			if len(m.Values) == 1 {
				v = string(m.Values[0])
			}
		case *pgproto3.ParameterStatus:
			b.noteParam(m.Name, m.Value)
		case *pgproto3.ReadyForQuery:
			return v, first
		}
	}
}

func (b *backendConn) noteParam(name, value string) {
	l := strings.ToLower(name)
	b.gen++
	b.reported[l] = value
	b.names[l] = name
	if _, ok := b.applied[l]; ok {
		b.applied[l] = value
	}
}

// sendCancel sends a CancelRequest for whatever this connection runs.
func (b *backendConn) sendCancel(ctx context.Context) error {
	var d net.Dialer
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, err := d.DialContext(ctx, b.cancelTo[0], b.cancelTo[1])
	if err != nil {
		return err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	buf, err := (&pgproto3.CancelRequest{ProcessID: b.pid, SecretKey: b.secret}).Encode(nil)
	if err != nil {
		return err
	}
	if _, err := c.Write(buf); err != nil {
		return err
	}
	// The server closes the connection when it has read the request.
	var one [1]byte
	_, _ = c.Read(one[:])
	return nil
}

// quoteLiteral quotes s as an escape-string literal, which reads the same
// whatever standard_conforming_strings is (a client may turn it off in
// the same batch of SETs).
func quoteLiteral(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	return "E'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// quoteIdent quotes a parameter name if it is not a plain lower-case word.
func quoteIdent(s string) string {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '.') {
			return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
		}
	}
	return s
}

// syncParams makes the connection's parameters match want (lower-case
// names): SET what differs, RESET what another client left behind.
func (b *backendConn) syncParams(want map[string]string) error {
	var sb strings.Builder
	for name, v := range want {
		if cur, ok := b.value(name); ok && cur == v {
			continue
		}
		fmt.Fprintf(&sb, "SET %s TO %s;", quoteIdent(name), quoteLiteral(v))
		if _, reported := b.reported[name]; !reported {
			b.applied[name] = v
		}
	}
	for name := range b.applied {
		if _, ok := want[name]; !ok {
			fmt.Fprintf(&sb, "RESET %s;", quoteIdent(name))
			delete(b.applied, name)
		}
	}
	if sb.Len() == 0 {
		return nil
	}
	b.gen++
	_, err := b.simple(sb.String())
	return err
}
