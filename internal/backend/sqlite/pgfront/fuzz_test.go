package pgfront

import (
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/floe-db/floe/internal/authn"
	"github.com/floe-db/floe/internal/backend/sqlite"
	"github.com/floe-db/floe/internal/observe"
	"github.com/floe-db/floe/internal/wire/pgwire"
	"github.com/floe-db/floe/internal/wire/wiretest"
)

// FuzzEngineMessageLoop drives the SQLite engine's message loop with
// arbitrary client bytes after startup: it must answer or end the
// connection, never panic or hang.
func FuzzEngineMessageLoop(f *testing.F) {
	enc := func(ms ...pgproto3.FrontendMessage) []byte {
		var b []byte
		for _, m := range ms {
			b, _ = m.Encode(b)
		}
		return b
	}
	f.Add(enc(&pgproto3.Query{String: "select * from customers where id < 3; select 1/0"}, &pgproto3.Terminate{}))
	f.Add(enc(&pgproto3.Parse{Name: "s", Query: "select name from customers where id = $1"}, &pgproto3.Describe{ObjectType: 'S', Name: "s"},
		&pgproto3.Bind{PreparedStatement: "s", Parameters: [][]byte{[]byte("1")}, ResultFormatCodes: []int16{1}}, &pgproto3.Execute{MaxRows: 1},
		&pgproto3.Execute{}, &pgproto3.Sync{}))
	f.Add(enc(&pgproto3.Parse{Query: "insert into products (name, category, price, stock) values ($1, $2, $3, $4)"},
		&pgproto3.Bind{Parameters: [][]byte{[]byte("x"), []byte("y"), {0, 0, 0, 1}, nil}, ParameterFormatCodes: []int16{0, 0, 1, 0}}, &pgproto3.Execute{}, &pgproto3.Sync{}))
	f.Add(enc(&pgproto3.Query{String: "begin"}, &pgproto3.Query{String: "select nope"}, &pgproto3.Query{String: "select 1"}, &pgproto3.Query{String: "commit"}))
	f.Add(enc(&pgproto3.Bind{PreparedStatement: "missing"}, &pgproto3.Execute{Portal: "p"}, &pgproto3.Close{ObjectType: 'P'}, &pgproto3.Sync{}))
	f.Add(enc(&pgproto3.Query{String: "set application_name = 'x'; show application_name; show nope"}))

	dir := f.TempDir()
	e, err := sqlite.Open(context.Background(), "demo", filepath.Join(dir, "fuzz.db"), slog.New(slog.DiscardHandler), observe.NewMetrics())
	if err != nil {
		f.Fatal(err)
	}
	h := New(e)
	if err := sqlite.SeedDemo(context.Background(), e.DB()); err != nil {
		f.Fatal(err)
	}
	users, _ := authn.NewStore([]authn.Spec{{Name: "u", Password: "p"}})
	u, _ := users.Lookup("u")
	f.Fuzz(func(t *testing.T, in []byte) {
		wiretest.Feed(t, in, 10*time.Second, func(server net.Conn) {
			_ = h.Serve(context.Background(), pgwire.NewConn(server, u, "demo", 1<<16))
		})
	})
}
