package pgwire

import (
	"context"
	"encoding/binary"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/floe-db/floe/internal/authn"
	"github.com/floe-db/floe/internal/observe"
	"github.com/floe-db/floe/internal/wire/wiretest"
)

type fakeGateway struct{ users *authn.Store }

func (g fakeGateway) Users() *authn.Store { return g.users }
func (g fakeGateway) AdmitPostgres(*authn.User, string, net.Addr) (func(), *Error) {
	return func() {}, nil
}
func (g fakeGateway) Handler(db string) (Handler, bool) {
	return readyHandler{}, db == "db"
}

type readyHandler struct{}

func (readyHandler) Serve(_ context.Context, c *Conn) error {
	if err := c.Ready(nil); err != nil {
		return err
	}
	for {
		msg, err := c.Receive()
		if err != nil {
			return err
		}
		if _, ok := msg.(*pgproto3.Terminate); ok {
			return nil
		}
	}
}

func startupBytes(params map[string]string) []byte {
	b, _ := (&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: params}).Encode(nil)
	return b
}

// FuzzStartup feeds arbitrary bytes to a new connection's startup, SSL and
// authentication phase. It must end (no hang), never panic, and never
// authenticate.
func FuzzStartup(f *testing.F) {
	ssl, _ := (&pgproto3.SSLRequest{}).Encode(nil)
	gss, _ := (&pgproto3.GSSEncRequest{}).Encode(nil)
	cancel, _ := (&pgproto3.CancelRequest{ProcessID: 1, SecretKey: []byte{1, 2, 3, 4}}).Encode(nil)
	su := startupBytes(map[string]string{"user": "u", "database": "db"})
	sasl, _ := (&pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-256", Data: []byte("n,,n=,r=abc")}).Encode(nil)
	resp, _ := (&pgproto3.SASLResponse{Data: []byte("c=biws,r=abc,p=AAAA")}).Encode(nil)
	f.Add(su)
	f.Add(append(append([]byte{}, ssl...), su...))
	f.Add(append(append([]byte{}, gss...), su...))
	f.Add(cancel)
	f.Add(append(append(append([]byte{}, su...), sasl...), resp...))
	f.Add(startupBytes(map[string]string{"user": "", "_pq_.x": "1"}))
	f.Add([]byte{0, 0, 0, 8, 4, 210, 22, 47})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0})

	users, _ := authn.NewStore([]authn.Spec{{Name: "u", Password: "p"}})
	log := slog.New(slog.DiscardHandler)
	m := observe.NewMetrics()
	f.Fuzz(func(t *testing.T, in []byte) {
		s := NewServer(Config{AuthMethod: "scram-sha-256", MaxMessageSize: 4096, StartupTimeout: time.Second}, fakeGateway{users}, log, m)
		wiretest.Feed(t, in, 5*time.Second, func(server net.Conn) { s.serveConn(context.Background(), server) })
		if s.Conns() != 0 {
			t.Fatal("connection left registered")
		}
	})
}

// FuzzMessageLoop feeds arbitrary bytes after a valid startup.
func FuzzMessageLoop(f *testing.F) {
	msg := func(ms ...pgproto3.FrontendMessage) []byte {
		var b []byte
		for _, m := range ms {
			b, _ = m.Encode(b)
		}
		return b
	}
	f.Add(msg(&pgproto3.Query{String: "select 1"}, &pgproto3.Terminate{}))
	f.Add(msg(&pgproto3.Parse{Name: "s", Query: "select $1"}, &pgproto3.Bind{PreparedStatement: "s", Parameters: [][]byte{[]byte("1")}}, &pgproto3.Execute{}, &pgproto3.Sync{}))
	f.Add([]byte{'Q', 0, 0, 0, 3})
	f.Add([]byte{'Z', 0x7f, 0xff, 0xff, 0xff})
	big := make([]byte, 5)
	big[0] = 'Q'
	binary.BigEndian.PutUint32(big[1:], 1<<30)
	f.Add(big)
	f.Fuzz(func(t *testing.T, in []byte) {
		wiretest.Feed(t, in, 5*time.Second, func(server net.Conn) {
			_ = readyHandler{}.Serve(context.Background(), NewConn(server, nil, "db", 4096))
		})
	})
}
