package flightsql

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	afsql "github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/flight/session"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/floe-db/floe/arrowsql"
	"github.com/floe-db/floe/internal/dataapi"
)

// DatabaseHeader is the call header that names the database (catalog) a
// statement runs on, e.g. the ADBC option
// adbc.flight.sql.rpc.call_header.x-floe-database.
const DatabaseHeader = "x-floe-database"

// maxPrepared bounds the open prepared statements of one user.
const maxPrepared = 256

// Server is the Flight SQL service.
type Server struct {
	afsql.BaseServer
	svc *dataapi.Service
	log *slog.Logger
	mem memory.Allocator

	mu struct {
		sync.Mutex
		prepared map[string]*prepared
	}
}

// prepared is a prepared statement: its text, where it runs, who made
// it, and the parameter rows bound by the last DoPut.
type prepared struct {
	user, db, sql string
	params        [][]any
	used          time.Time
}

// sets are the parameter sets a run of p uses: the bound rows, or one
// run without parameters.
func (p *prepared) sets() [][]any {
	if len(p.params) > 0 {
		return p.params
	}
	return [][]any{nil}
}

type identityKey struct{}

// NewServer makes the service over svc.
func NewServer(svc *dataapi.Service, version string, log *slog.Logger) *Server {
	s := &Server{svc: svc, log: log, mem: memory.DefaultAllocator}
	s.mu.prepared = map[string]*prepared{}
	s.Alloc = s.mem
	for id, v := range map[afsql.SqlInfo]any{
		afsql.SqlInfoFlightSqlServerName:         "Floe",
		afsql.SqlInfoFlightSqlServerVersion:      version,
		afsql.SqlInfoFlightSqlServerArrowVersion: "18",
		afsql.SqlInfoFlightSqlServerReadOnly:     false,
		afsql.SqlInfoFlightSqlServerSql:          true,
		afsql.SqlInfoFlightSqlServerSubstrait:    false,
		afsql.SqlInfoFlightSqlServerTransaction:  int32(0), // none
		afsql.SqlInfoFlightSqlServerCancel:       false,
	} {
		_ = s.RegisterSqlInfo(id, v)
	}
	return s
}

// GRPCServer returns a gRPC server for the service with authentication
// (Basic on Handshake, then bearer tokens) and stateless sessions (the
// "catalog" session option chooses the database).
func (s *Server) GRPCServer(tlsCfg credentials.TransportCredentials) *grpc.Server {
	sess := flight.CreateServerMiddleware(session.NewServerSessionMiddleware(session.NewStatelessServerSessionManager()))
	opts := []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(s.recoverUnary, s.authUnary, sess.Unary),
		grpc.ChainStreamInterceptor(s.recoverStream, s.authStream, sess.Stream),
		grpc.MaxRecvMsgSize(16 << 20),
	}
	if tlsCfg != nil {
		opts = append(opts, grpc.Creds(tlsCfg))
	}
	g := grpc.NewServer(opts...)
	flight.RegisterFlightServiceServer(g, afsql.NewFlightServerWithAllocator(s, s.mem))
	return g
}

// recovered turns a panic in a call into an Internal error for that
// call alone; other calls and sessions go on.
func (s *Server) recovered(method string, err *error) {
	if r := recover(); r != nil {
		s.log.Error("panic in a Flight SQL call", "method", method, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		*err = status.Error(codes.Internal, "internal error")
	}
}

func (s *Server) recoverUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, next grpc.UnaryHandler) (_ any, err error) {
	defer s.recovered(info.FullMethod, &err)
	return next(ctx, req)
}

func (s *Server) recoverStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, next grpc.StreamHandler) (err error) {
	defer s.recovered(info.FullMethod, &err)
	return next(srv, ss)
}

// peerCertificate is the client certificate the TLS handshake verified
// (nil: none), checked again with the revocation lists in force: a
// channel kept open past the certificate's revocation is refused.
func (s *Server) peerCertificate(ctx context.Context, client net.Addr) (*x509.Certificate, error) {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return nil, nil
	}
	if ti, ok := p.AuthInfo.(credentials.TLSInfo); ok {
		cert, refused := s.svc.PeerCertificate("flightsql", &ti.State, client)
		if refused != nil {
			return nil, grpcError(refused)
		}
		return cert, nil
	}
	return nil, nil
}

func clientAddr(ctx context.Context) net.Addr {
	if p, ok := peer.FromContext(ctx); ok {
		return p.Addr
	}
	return nil
}

// authenticate checks the call's authorization header: Basic on
// Handshake (answered with a bearer token), Bearer everywhere.
func (s *Server) authenticate(ctx context.Context, handshake bool) (context.Context, string, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	var h string
	if v := md.Get("authorization"); len(v) > 0 {
		h = strings.TrimSpace(v[0])
	}
	scheme, cred, _ := strings.Cut(h, " ")
	cred = strings.TrimSpace(cred)
	client := clientAddr(ctx)
	cert, err := s.peerCertificate(ctx, client)
	if err != nil {
		return nil, "", err
	}
	c := dataapi.Caller{Client: client, Protocol: "flightsql"}
	switch {
	case strings.EqualFold(scheme, "basic") && handshake:
		raw, derr := base64.StdEncoding.DecodeString(cred)
		if derr != nil {
			raw, derr = base64.RawStdEncoding.DecodeString(cred)
		}
		user, pw, ok := strings.Cut(string(raw), ":")
		if derr != nil || !ok {
			return nil, "", status.Error(codes.Unauthenticated, "malformed Basic credentials")
		}
		if c.User, err = s.svc.Login("flightsql", user, pw, cert, client); err != nil {
			return nil, "", grpcError(err)
		}
		tok, _ := s.svc.IssueToken(c.User)
		return context.WithValue(ctx, identityKey{}, c), tok, nil
	case strings.EqualFold(scheme, "bearer"):
		if c.User, err = s.svc.Token(ctx, "flightsql", cred, cert, client); err != nil {
			return nil, "", grpcError(err)
		}
		return context.WithValue(ctx, identityKey{}, c), "", nil
	case h == "" && cert != nil:
		// No credentials: the client certificate names the user (one with
		// auth: certificate).
		if c.User, err = s.svc.CertificateLogin("flightsql", cert, client); err != nil {
			return nil, "", grpcError(err)
		}
		return context.WithValue(ctx, identityKey{}, c), "", nil
	}
	return nil, "", status.Error(codes.Unauthenticated, "authentication required: Basic credentials on Handshake, then the bearer token it returns")
}

func (s *Server) authUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, next grpc.UnaryHandler) (any, error) {
	ctx, _, err := s.authenticate(ctx, false)
	if err != nil {
		return nil, err
	}
	return next(ctx, req)
}

type authedStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (a *authedStream) Context() context.Context { return a.ctx }

func (s *Server) authStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, next grpc.StreamHandler) error {
	handshake := strings.HasSuffix(info.FullMethod, "/Handshake")
	ctx, tok, err := s.authenticate(ss.Context(), handshake)
	if err != nil {
		return err
	}
	if tok != "" {
		md := metadata.Pairs("authorization", "Bearer "+tok)
		_ = ss.SetHeader(md)
		ss.SetTrailer(md)
	}
	return next(srv, &authedStream{ServerStream: ss, ctx: ctx})
}

func caller(ctx context.Context) (dataapi.Caller, error) {
	c, ok := ctx.Value(identityKey{}).(dataapi.Caller)
	if !ok || c.User == nil {
		return c, status.Error(codes.Unauthenticated, "not authenticated")
	}
	return c, nil
}

// database is the database a call is for: the x-floe-database header,
// else the "catalog" session option, else the caller's only database.
func (s *Server) database(ctx context.Context, c dataapi.Caller) (string, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get(DatabaseHeader); len(v) > 0 && v[0] != "" {
		return v[0], nil
	}
	if sess, err := session.GetSessionFromContext(ctx); err == nil {
		if v := sess.GetSessionOption("catalog"); v != nil && v.GetStringValue() != "" {
			return v.GetStringValue(), nil
		}
	}
	dbs := s.svc.Databases(c)
	if len(dbs) == 1 {
		return dbs[0].Name, nil
	}
	return "", status.Errorf(codes.InvalidArgument, "no database chosen: set the %s call header or the \"catalog\" session option", DatabaseHeader)
}

// grpcError maps a data-API error to a gRPC status.
func grpcError(err error) error {
	var e *dataapi.Error
	if !errors.As(err, &e) {
		if st, ok := status.FromError(err); ok {
			return st.Err()
		}
		// A database's own error (the catalogue queries): translated as
		// the data APIs translate statements, so that a database that
		// cannot be reached is Unavailable and no backend address or
		// login reaches the caller.
		e = dataapi.FromBackend(err)
	}
	code := codes.Internal
	switch e.Status {
	case 400, 406, 413, 422:
		code = codes.InvalidArgument
	case 401:
		code = codes.Unauthenticated
	case 403:
		code = codes.PermissionDenied
	case 404:
		code = codes.NotFound
	case 429:
		code = codes.ResourceExhausted
	case 499:
		code = codes.Canceled
	case 503:
		code = codes.Unavailable
	case 504:
		code = codes.DeadlineExceeded
	}
	msg := e.Message
	if e.SQLState != "" {
		msg += " (SQLSTATE " + e.SQLState + ")"
	}
	return status.Error(code, msg)
}

// statementTarget is the caller of a statement request and the database
// it is for; transactions are refused.
func (s *Server) statementTarget(ctx context.Context, txID []byte) (dataapi.Caller, string, error) {
	c, err := caller(ctx)
	if err != nil {
		return c, "", err
	}
	if len(txID) > 0 {
		return c, "", status.Error(codes.Unimplemented, "transactions are not supported over Flight SQL")
	}
	db, err := s.database(ctx, c)
	return c, db, err
}

// ticket is what a statement ticket carries: where and what to run.
type ticket struct {
	DB  string `json:"db"`
	SQL string `json:"sql"`
	// Prepared names a prepared statement (its bound parameters).
	Prepared string `json:"prepared,omitempty"`
}

func endpointInfo(t ticket, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	b, _ := json.Marshal(t)
	tkt, err := afsql.CreateStatementQueryTicket(b)
	if err != nil {
		return nil, err
	}
	return &flight.FlightInfo{
		Endpoint:         []*flight.FlightEndpoint{{Ticket: &flight.Ticket{Ticket: tkt}}},
		FlightDescriptor: desc, TotalRecords: -1, TotalBytes: -1,
	}, nil
}

// GetFlightInfoStatement answers with a ticket; the statement runs (and
// is checked) when the ticket is fetched.
func (s *Server) GetFlightInfoStatement(ctx context.Context, cmd afsql.StatementQuery, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	_, db, err := s.statementTarget(ctx, cmd.GetTransactionId())
	if err != nil {
		return nil, err
	}
	return endpointInfo(ticket{DB: db, SQL: cmd.GetQuery()}, desc)
}

// DoGetStatement runs a statement and streams its result.
func (s *Server) DoGetStatement(ctx context.Context, t afsql.StatementQueryTicket) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, nil, err
	}
	var tk ticket
	if err := json.Unmarshal(t.GetStatementHandle(), &tk); err != nil || tk.DB == "" {
		return nil, nil, status.Error(codes.InvalidArgument, "malformed ticket")
	}
	sets := [][]any{nil}
	if tk.Prepared != "" {
		p, err := s.preparedFor(c, []byte(tk.Prepared))
		if err != nil {
			return nil, nil, err
		}
		sets = p.sets()
	}
	return s.run(ctx, c, tk.DB, tk.SQL, sets)
}

// run runs sql once per parameter set and streams the results as one.
func (s *Server) run(ctx context.Context, c dataapi.Caller, db, sql string, sets [][]any) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	res, e := s.svc.Query(ctx, c, db, sql, sets[0], arrowsql.Options{})
	if e != nil {
		return nil, nil, grpcError(e)
	}
	if v := res.Cache(); v != "" {
		// What the result cache did, as HTTP's Floe-Cache header says it.
		_ = grpc.SetHeader(ctx, metadata.Pairs(strings.ToLower(dataapi.HeaderCache), v))
	}
	schema := res.Schema()
	ch := make(chan flight.StreamChunk)
	go func() {
		defer close(ch)
		defer func() {
			var err error
			s.recovered("DoGet", &err)
			if err != nil {
				send(ctx, ch, flight.StreamChunk{Err: err})
			}
		}()
		for i := 0; ; i++ {
			if !s.pump(ctx, res, schema, ch) {
				return
			}
			if i+1 >= len(sets) {
				return
			}
			var e *dataapi.Error
			if res, e = s.svc.Query(ctx, c, db, sql, sets[i+1], arrowsql.Options{}); e != nil {
				send(ctx, ch, flight.StreamChunk{Err: grpcError(e)})
				return
			}
		}
	}()
	return schema, ch, nil
}

// pump sends a result's batches; false when the stream must end.
func (s *Server) pump(ctx context.Context, res *dataapi.Result, schema *arrow.Schema, ch chan<- flight.StreamChunk) bool {
	for res.Next() {
		b := res.RecordBatch()
		if !b.Schema().Equal(schema) {
			res.Close(nil)
			send(ctx, ch, flight.StreamChunk{Err: status.Error(codes.InvalidArgument, "the parameter sets give results of different schemas")})
			return false
		}
		b.Retain()
		if !send(ctx, ch, flight.StreamChunk{Data: b}) {
			b.Release()
			res.Close(ctx.Err())
			return false
		}
	}
	if e := res.Close(nil); e != nil {
		if ctx.Err() == nil {
			s.log.Warn("result cut short", "error", e.Message, "code", e.Code)
		}
		send(ctx, ch, flight.StreamChunk{Err: grpcError(e)})
		return false
	}
	return true
}

func send(ctx context.Context, ch chan<- flight.StreamChunk, c flight.StreamChunk) bool {
	select {
	case ch <- c:
		return true
	case <-ctx.Done():
		return false
	}
}

// CreatePreparedStatement checks a statement (the policy decision,
// without running it or taking limits) and records it for the caller.
// Each run is decided again (a grant revoked meanwhile applies; row
// filters apply to the text as run), then takes the limits.
func (s *Server) CreatePreparedStatement(ctx context.Context, req afsql.ActionCreatePreparedStatementRequest) (afsql.ActionCreatePreparedStatementResult, error) {
	var out afsql.ActionCreatePreparedStatementResult
	c, db, err := s.statementTarget(ctx, req.GetTransactionId())
	if err != nil {
		return out, err
	}
	if e := s.svc.Prepare(ctx, c, db, req.GetQuery()); e != nil {
		return out, grpcError(e)
	}
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	h := hex.EncodeToString(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	var oldest string
	for k, p := range s.mu.prepared {
		if p.user == c.User.Name {
			n++
			if oldest == "" || p.used.Before(s.mu.prepared[oldest].used) {
				oldest = k
			}
		}
	}
	if n >= maxPrepared {
		delete(s.mu.prepared, oldest)
	}
	s.mu.prepared[h] = &prepared{user: c.User.Name, db: db, sql: req.GetQuery(), used: time.Now()}
	out.Handle = []byte(h)
	return out, nil
}

// preparedFor returns a copy of the caller's prepared statement.
func (s *Server) preparedFor(c dataapi.Caller, handle []byte) (*prepared, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.mu.prepared[string(handle)]
	if !ok || p.user != c.User.Name {
		return nil, status.Error(codes.NotFound, "no such prepared statement")
	}
	p.used = time.Now()
	cp := *p
	return &cp, nil
}

// ClosePreparedStatement forgets a prepared statement.
func (s *Server) ClosePreparedStatement(ctx context.Context, req afsql.ActionClosePreparedStatementRequest) error {
	c, err := caller(ctx)
	if err != nil {
		return err
	}
	if _, err := s.preparedFor(c, req.GetPreparedStatementHandle()); err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.mu.prepared, string(req.GetPreparedStatementHandle()))
	s.mu.Unlock()
	return nil
}

// DoPutPreparedStatementQuery binds parameters: each row of the batches
// sent is one parameter set.
func (s *Server) DoPutPreparedStatementQuery(ctx context.Context, cmd afsql.PreparedStatementQuery, rdr flight.MessageReader, _ flight.MetadataWriter) ([]byte, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.preparedFor(c, cmd.GetPreparedStatementHandle()); err != nil {
		return nil, err
	}
	var sets [][]any
	for rdr.Next() {
		b := rdr.RecordBatch()
		for r := 0; r < int(b.NumRows()); r++ {
			row := make([]any, b.NumCols())
			for i, col := range b.Columns() {
				if row[i], err = paramValue(col, r); err != nil {
					return nil, status.Errorf(codes.InvalidArgument, "parameter %d: %v", i+1, err)
				}
			}
			sets = append(sets, row)
			if len(sets) > 10000 {
				return nil, status.Error(codes.InvalidArgument, "more than 10000 parameter sets")
			}
		}
	}
	if err := rdr.Err(); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "reading parameters: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.mu.prepared[string(cmd.GetPreparedStatementHandle())]; ok && p.user == c.User.Name {
		p.params = sets
	}
	return cmd.GetPreparedStatementHandle(), nil
}

// GetFlightInfoPreparedStatement answers with a ticket for the prepared
// statement with its bound parameters.
func (s *Server) GetFlightInfoPreparedStatement(ctx context.Context, cmd afsql.PreparedStatementQuery, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	p, err := s.preparedFor(c, cmd.GetPreparedStatementHandle())
	if err != nil {
		return nil, err
	}
	return endpointInfo(ticket{DB: p.db, SQL: p.sql, Prepared: string(cmd.GetPreparedStatementHandle())}, desc)
}

// DoGetPreparedStatement runs a prepared statement fetched by its
// command rather than a ticket.
func (s *Server) DoGetPreparedStatement(ctx context.Context, cmd afsql.PreparedStatementQuery) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, nil, err
	}
	p, err := s.preparedFor(c, cmd.GetPreparedStatementHandle())
	if err != nil {
		return nil, nil, err
	}
	return s.run(ctx, c, p.db, p.sql, p.sets())
}

// paramValue converts one Arrow parameter value to what the database
// driver binds.
func paramValue(col arrow.Array, r int) (any, error) {
	if col.IsNull(r) {
		return nil, nil
	}
	switch a := col.(type) {
	case *array.Int8:
		return int64(a.Value(r)), nil
	case *array.Int16:
		return int64(a.Value(r)), nil
	case *array.Int32:
		return int64(a.Value(r)), nil
	case *array.Int64:
		return a.Value(r), nil
	case *array.Uint8:
		return int64(a.Value(r)), nil
	case *array.Uint16:
		return int64(a.Value(r)), nil
	case *array.Uint32:
		return int64(a.Value(r)), nil
	case *array.Uint64:
		return fmt.Sprint(a.Value(r)), nil
	case *array.Float32:
		return float64(a.Value(r)), nil
	case *array.Float64:
		return a.Value(r), nil
	case *array.Boolean:
		return a.Value(r), nil
	case *array.String:
		return a.Value(r), nil
	case *array.LargeString:
		return a.Value(r), nil
	case *array.Binary:
		return append([]byte(nil), a.Value(r)...), nil
	case *array.Timestamp:
		return a.Value(r).ToTime(a.DataType().(*arrow.TimestampType).Unit), nil
	case *array.Date32:
		return a.Value(r).FormattedString(), nil
	case *array.DenseUnion:
		// The Flight SQL parameter schema of a statement of unknown
		// types is a dense union of the possible types.
		child := a.Field(a.ChildID(r))
		return paramValue(child, int(a.ValueOffset(r)))
	}
	return string(dataapi.AppendText(nil, col, r)), nil
}
