package e2e

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-adbc/go/adbc"
	adbcflight "github.com/apache/arrow-adbc/go/adbc/driver/flightsql"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	afsql "github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
)

// adbcConn opens an ADBC Flight SQL connection to the gateway as user,
// with statements on database db ("" sends no database header).
func (g *gateway) adbcConn(t *testing.T, user, password, db string) (adbc.Connection, error) {
	t.Helper()
	opts := map[string]string{adbc.OptionKeyURI: "grpc+tcp://" + g.flight, adbc.OptionKeyUsername: user, adbc.OptionKeyPassword: password}
	if db != "" {
		opts[adbcflight.OptionRPCCallHeaderPrefix+"x-floe-database"] = db
	}
	d, err := adbcflight.NewDriver(memory.DefaultAllocator).NewDatabase(opts)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { d.Close() })
	c, err := d.Open(context.Background())
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { c.Close() })
	return c, nil
}

func readAll(t *testing.T, rdr array.RecordReader) (*arrow.Schema, [][]string) {
	t.Helper()
	defer rdr.Release()
	var rows [][]string
	for rdr.Next() {
		rows = append(rows, batchRows(rdr.RecordBatch())...)
	}
	if err := rdr.Err(); err != nil {
		t.Fatal(err)
	}
	return rdr.Schema(), rows
}

func adbcQuery(t *testing.T, c adbc.Connection, sql string) (*arrow.Schema, [][]string, error) {
	t.Helper()
	st, err := c.NewStatement()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.SetSqlQuery(sql); err != nil {
		t.Fatal(err)
	}
	rdr, _, err := st.ExecuteQuery(context.Background())
	if err != nil {
		return nil, nil, err
	}
	s, rows := readAll(t, rdr)
	return s, rows, nil
}

func adbcStatus(err error) adbc.Status {
	var ae adbc.Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	return adbc.StatusUnknown
}

func TestFlightSQLQueries(t *testing.T) {
	g := dataGateway(t)
	want := "[[1 Ada a***@example.com] [2 Brian NULL]]"
	for _, db := range []string{"app", "shop", "lite"} {
		c, err := g.adbcConn(t, "alice", "alice-secret", db)
		if err != nil {
			t.Fatal(err)
		}
		s, rows, err := adbcQuery(t, c, "SELECT id, name, email FROM customers ORDER BY id")
		if err != nil {
			t.Fatalf("%s: %v", db, err)
		}
		if fmt.Sprint(rows) != want || s.Field(2).Name != "email" {
			t.Errorf("%s: rows %v schema %s", db, rows, s)
		}
		// Denied statements come back as permission errors.
		if _, _, err := adbcQuery(t, c, "SELECT * FROM secrets"); adbcStatus(err) != adbc.StatusUnauthorized || !strings.Contains(err.Error(), "42501") {
			t.Errorf("%s: denied query: %v (status %v)", db, err, adbcStatus(err))
		}
		// SQL errors come back with their SQLSTATE.
		if _, _, err := adbcQuery(t, c, "SELECT nope FROM customers"); err == nil || !strings.Contains(err.Error(), "SQLSTATE") {
			t.Errorf("%s: bad query: %v", db, err)
		}
	}
	// A large result streams in batches.
	c, _ := g.adbcConn(t, "alice", "alice-secret", "app")
	_, rows, err := adbcQuery(t, c, "SELECT n FROM nums")
	if err != nil || len(rows) != 200000 || rows[199999][0] != "200000" {
		t.Fatalf("nums: %d rows, %v", len(rows), err)
	}
}

func TestFlightSQLAuth(t *testing.T) {
	g := dataGateway(t)
	for _, tc := range []struct{ user, pw string }{{"alice", "wrong"}, {"nobody", "x"}} {
		c, err := g.adbcConn(t, tc.user, tc.pw, "app")
		if err == nil {
			_, _, err = adbcQuery(t, c, "SELECT 1")
		}
		if adbcStatus(err) != adbc.StatusUnauthenticated {
			t.Errorf("%s/%s: %v (status %v), want unauthenticated", tc.user, tc.pw, err, adbcStatus(err))
		}
	}
	// bob may not use app: the query is refused, and the catalogs he sees
	// are his.
	c, err := g.adbcConn(t, "bob", "bob-secret", "app")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := adbcQuery(t, c, "SELECT 1"); adbcStatus(err) != adbc.StatusUnauthorized {
		t.Errorf("bob on app: %v", err)
	}
	// Without a database header, bob's only database is used.
	c, err = g.adbcConn(t, "bob", "bob-secret", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, rows, err := adbcQuery(t, c, "SELECT COUNT(*) FROM customers"); err != nil || fmt.Sprint(rows) != "[[2]]" {
		t.Errorf("bob without a database: %v %v", rows, err)
	}
	// A token from another process (or a forged one) is refused.
	conn, err := grpc.NewClient(g.flight, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cl := flight.NewFlightServiceClient(conn)
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer floe.AAAAAAAAAAA.BBBB")
	stream, err := cl.ListActions(ctx, &flight.Empty{})
	if err == nil {
		_, err = stream.Recv()
	}
	if err == nil || !strings.Contains(err.Error(), "Unauthenticated") {
		t.Errorf("forged token: %v", err)
	}
}

func TestFlightSQLPrepared(t *testing.T) {
	g := dataGateway(t)
	for _, tc := range []struct{ db, sql string }{
		{"app", "SELECT name FROM customers WHERE id = $1"},
		{"shop", "SELECT name FROM customers WHERE id = ?"},
		{"lite", "SELECT name FROM customers WHERE id = $1"},
	} {
		c, err := g.adbcConn(t, "alice", "alice-secret", tc.db)
		if err != nil {
			t.Fatal(err)
		}
		st, err := c.NewStatement()
		if err != nil {
			t.Fatal(err)
		}
		if err := st.SetSqlQuery(tc.sql); err != nil {
			t.Fatal(err)
		}
		if err := st.Prepare(context.Background()); err != nil {
			t.Fatalf("%s: prepare: %v", tc.db, err)
		}
		for _, id := range []int64{2, 1} {
			b := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil))
			b.Field(0).(*array.Int64Builder).Append(id)
			rec := b.NewRecordBatch()
			b.Release()
			if err := st.Bind(context.Background(), rec); err != nil {
				t.Fatal(err)
			}
			rec.Release()
			rdr, _, err := st.ExecuteQuery(context.Background())
			if err != nil {
				t.Fatalf("%s: execute: %v", tc.db, err)
			}
			_, rows := readAll(t, rdr)
			want := map[int64]string{1: "[[Ada]]", 2: "[[Brian]]"}[id]
			if fmt.Sprint(rows) != want {
				t.Errorf("%s id %d: %v", tc.db, id, rows)
			}
		}
		st.Close()
	}
}

func TestFlightSQLMetadata(t *testing.T) {
	g := dataGateway(t)
	c, err := g.adbcConn(t, "alice", "alice-secret", "")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, rows := readAll(t, mustReader(t)(c.GetTableTypes(ctx)))
	if fmt.Sprint(rows) != "[[TABLE] [VIEW]]" {
		t.Errorf("table types %v", rows)
	}
	info := mustReader(t)(c.GetInfo(ctx, []adbc.InfoCode{adbc.InfoVendorName}))
	_, rows = readAll(t, info)
	if len(rows) != 1 || !strings.Contains(rows[0][1], "Floe") {
		t.Errorf("info %v", rows)
	}
	// Catalogs are the databases alice may use; tables are those she may
	// read (secrets is hidden), with the schema she would get (email
	// masked: a string).
	objs := mustReader(t)(c.GetObjects(ctx, adbc.ObjectDepthAll, nil, nil, nil, nil, nil))
	defer objs.Release()
	cats := map[string][]string{}
	for objs.Next() {
		b := objs.RecordBatch()
		names := b.Column(0).(*array.String)
		schemas := b.Column(1).(*array.List)
		for i := 0; i < names.Len(); i++ {
			cats[names.Value(i)] = tablesIn(schemas, i)
		}
	}
	for _, db := range []string{"app", "shop", "lite"} {
		tables := strings.Join(cats[db], ",")
		if !strings.Contains(tables, "customers") || strings.Contains(tables, "secrets") {
			t.Errorf("%s tables: %s", db, tables)
		}
	}
	if len(cats) != 3 {
		t.Errorf("catalogs %v", cats)
	}
	sc, err := c.GetTableSchema(ctx, ptr("app"), ptr("public"), "customers")
	if err != nil {
		t.Fatal(err)
	}
	if f, ok := sc.FieldsByName("email"); !ok || f[0].Type.ID() != arrow.STRING {
		t.Errorf("customers schema %s", sc)
	}
	if f, ok := sc.FieldsByName("id"); !ok || f[0].Type.ID() != arrow.INT32 {
		t.Errorf("customers schema %s", sc)
	}

	// Primary keys, with arrow-go's Flight SQL client.
	cl, err := afsql.NewClient(g.flight, nil, nil, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	actx, err := cl.Client.AuthenticateBasicToken(ctx, "alice", "alice-secret")
	if err != nil {
		t.Fatal(err)
	}
	for _, db := range []string{"app", "shop", "lite"} {
		fi, err := cl.GetPrimaryKeys(actx, afsql.TableRef{Catalog: ptr(db), Table: "customers"})
		if err != nil {
			t.Fatal(err)
		}
		rdr, err := cl.DoGet(actx, fi.Endpoint[0].Ticket)
		if err != nil {
			t.Fatal(err)
		}
		var keys [][]string
		for rdr.Next() {
			keys = append(keys, batchRows(rdr.RecordBatch())...)
		}
		rdr.Release()
		if len(keys) != 1 || keys[0][0] != db || keys[0][3] != "id" || keys[0][4] != "1" {
			t.Errorf("%s primary keys %v", db, keys)
		}
	}
}

func tablesIn(schemas *array.List, i int) []string {
	var out []string
	if schemas.IsNull(i) {
		return nil
	}
	st := schemas.ListValues().(*array.Struct)
	start, end := schemas.ValueOffsets(i)
	tables := st.Field(1).(*array.List)
	tst := tables.ListValues().(*array.Struct)
	for j := start; j < end; j++ {
		ts, te := tables.ValueOffsets(int(j))
		for k := ts; k < te; k++ {
			out = append(out, tst.Field(0).(*array.String).Value(int(k)))
		}
	}
	return out
}

func ptr(s string) *string { return &s }

func mustReader(t *testing.T) func(array.RecordReader, error) array.RecordReader {
	return func(r array.RecordReader, err error) array.RecordReader {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
}

// A client that cancels its DoGet stops the statement on the database.
func TestFlightSQLCancel(t *testing.T) {
	g := dataGateway(t)
	cl, err := afsql.NewClient(g.flight, nil, nil, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	actx, err := cl.Client.AuthenticateBasicToken(context.Background(), "alice", "alice-secret")
	if err != nil {
		t.Fatal(err)
	}
	actx = metadata.AppendToOutgoingContext(actx, "x-floe-database", "app")
	ctx, cancel := context.WithCancel(actx)
	info, err := cl.Execute(ctx, "SELECT a.n FROM nums a, nums b")
	if err != nil {
		t.Fatal(err)
	}
	rdr, err := cl.DoGet(ctx, info.Endpoint[0].Ticket)
	if err != nil {
		t.Fatal(err)
	}
	waitActive(t, "SELECT a.n FROM nums a, nums b%", true)
	cancel()
	rdr.Release()
	waitActive(t, "SELECT a.n FROM nums a, nums b%", false)
}

// waitActive waits up to 10 s until a statement matching the LIKE
// pattern is running on the PostgreSQL server (active) or is not.
func waitActive(t *testing.T, pattern string, active bool) {
	t.Helper()
	admin, err := pgx.Connect(context.Background(), pgAdminDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	eventually(t, 10*time.Second, func() error {
		var n int
		if err := admin.QueryRow(context.Background(), "SELECT count(*) FROM pg_stat_activity WHERE query LIKE $1 AND state = 'active' AND pid <> pg_backend_pid()", pattern).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if (n > 0) != active {
			return fmt.Errorf("statement %q active=%v", pattern, n > 0)
		}
		return nil
	})
}

// ADBC's current catalog (a Flight SQL session option kept in a cookie)
// chooses the database; an unknown or forbidden one is refused.
func TestFlightSQLCatalogSession(t *testing.T) {
	g := dataGateway(t)
	d, err := adbcflight.NewDriver(memory.DefaultAllocator).NewDatabase(map[string]string{
		adbc.OptionKeyURI: "grpc+tcp://" + g.flight, adbc.OptionKeyUsername: "alice", adbc.OptionKeyPassword: "alice-secret",
		adbcflight.OptionCookieMiddleware: "true",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	c, err := d.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	opts := c.(adbc.PostInitOptions)
	for _, db := range []string{"shop", "app"} {
		if err := opts.SetOption(adbc.OptionKeyCurrentCatalog, db); err != nil {
			t.Fatalf("set catalog %s: %v", db, err)
		}
		// Backquotes parse only on MySQL: the statement went to shop.
		_, _, err := adbcQuery(t, c, "SELECT `id` FROM customers WHERE id = 1")
		if (err == nil) != (db == "shop") {
			t.Errorf("catalog %s: %v", db, err)
		}
	}
	if err := opts.SetOption(adbc.OptionKeyCurrentCatalog, "nope"); err == nil {
		t.Error("unknown catalog accepted")
	}
}
