package pgrelay

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/floe-db/floe/internal/authn"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/observe"
	"github.com/floe-db/floe/internal/wire/pgwire"
)

// fakeServer is a scripted PostgreSQL server for what a real one will not
// do on demand: answer a query with a message that does not belong, or
// die in the middle of a result.
type fakeServer struct {
	ln     net.Listener
	answer func(be *pgproto3.Backend, q string) (hangUp bool) // runs per Query
}

func newFakeServer(t *testing.T, answer func(be *pgproto3.Backend, q string) bool) *fakeServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fs := &fakeServer{ln: ln, answer: answer}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go fs.serve(nc)
		}
	}()
	return fs
}

func (fs *fakeServer) serve(nc net.Conn) {
	defer nc.Close()
	be := pgproto3.NewBackend(nc, nc)
	for {
		msg, err := be.ReceiveStartupMessage()
		if err != nil {
			return
		}
		if _, ok := msg.(*pgproto3.SSLRequest); ok {
			_, _ = nc.Write([]byte{'N'})
			continue
		}
		break
	}
	be.Send(&pgproto3.AuthenticationOk{})
	be.Send(&pgproto3.ParameterStatus{Name: "server_version", Value: "15.0"})
	be.Send(&pgproto3.ParameterStatus{Name: "client_encoding", Value: "UTF8"})
	be.Send(&pgproto3.BackendKeyData{ProcessID: 1, SecretKey: []byte{1, 2, 3, 4}})
	be.Send(&pgproto3.ReadyForQuery{TxStatus: 'I'})
	_ = be.Flush()
	for {
		msg, err := be.Receive()
		if err != nil {
			return
		}
		switch m := msg.(type) {
		case *pgproto3.Query:
			hangUp := fs.answer(be, m.String)
			if err := be.Flush(); err != nil || hangUp {
				return
			}
		case *pgproto3.Terminate:
			return
		}
	}
}

// gatewayFor serves one relay to the fake server through a real pgwire
// front end and returns the client address.
func gatewayFor(t *testing.T, fs *fakeServer) string {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	m := observe.NewMetrics()
	db := config.Database{Name: "db", Kind: config.KindPostgres, Primary: "postgres://x@" + fs.ln.Addr().String() + "/db?sslmode=disable"}
	c := &config.Config{Databases: []config.Database{db}}
	c.ApplyDefaults()
	r, err := New(c.Databases[0], Options{}, log, m)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	users, _ := authn.NewStore([]authn.Spec{{Name: "u", Password: "p"}})
	srv := pgwire.NewServer(pgwire.Config{AuthMethod: "scram-sha-256", MaxMessageSize: 1 << 20}, oneDB{users, r}, log, m)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(context.Background(), ln) }()
	t.Cleanup(func() {
		srv.Drain()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Wait(ctx)
	})
	return ln.Addr().String()
}

type oneDB struct {
	users *authn.Store
	h     pgwire.Handler
}

func (o oneDB) Users() *authn.Store { return o.users }
func (o oneDB) AdmitPostgres(*authn.User, string, net.Addr) (func(), *pgwire.Error) {
	return func() {}, nil
}

func (o oneDB) Handler(db string) (pgwire.Handler, bool) {
	return o.h, db == "db"
}

func connectTo(t *testing.T, addr string) *pgconn.PgConn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	pc, err := pgconn.Connect(ctx, "postgres://u:p@"+addr+"/db?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close(context.Background()) })
	return pc
}

func TestFakePeerEdgeCases(t *testing.T) {
	cases := []struct {
		name   string
		answer func(be *pgproto3.Backend) (hangUp bool)
		code   string
	}{
		{"unexpected message", func(be *pgproto3.Backend) bool {
			be.Send(&pgproto3.BindComplete{}) // no Bind was sent
			return false
		}, pgwire.CodeProtocolViolation},
		{"copy both", func(be *pgproto3.Backend) bool {
			be.Send(&pgproto3.CopyBothResponse{})
			return false
		}, pgwire.CodeProtocolViolation},
		{"dies mid-result", func(be *pgproto3.Backend) bool {
			be.Send(&pgproto3.RowDescription{Fields: []pgproto3.FieldDescription{{Name: []byte("a"), DataTypeOID: 25, DataTypeSize: -1, TypeModifier: -1}}})
			be.Send(&pgproto3.DataRow{Values: [][]byte{[]byte("x")}})
			return true
		}, pgwire.CodeConnectionFailure},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := newFakeServer(t, func(be *pgproto3.Backend, q string) bool {
				if q == "select ok" {
					be.Send(&pgproto3.CommandComplete{CommandTag: []byte("SELECT 0")})
					be.Send(&pgproto3.ReadyForQuery{TxStatus: 'I'})
					return false
				}
				return tc.answer(be)
			})
			addr := gatewayFor(t, fs)
			bystander := connectTo(t, addr)
			c := connectTo(t, addr)
			_, err := c.Exec(context.Background(), "select boom").ReadAll()
			var pe *pgconn.PgError
			if !errors.As(err, &pe) || pe.Code != tc.code || pe.Severity != "FATAL" {
				t.Fatalf("want FATAL %s, got %v", tc.code, err)
			}
			if _, err := bystander.Exec(context.Background(), "select ok").ReadAll(); err != nil {
				t.Fatalf("bystander affected: %v", err)
			}
		})
	}
}
