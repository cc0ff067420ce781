package flightsql

import (
	"context"
	"path"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	afsql "github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql/schema_ref"
	"github.com/apache/arrow-go/v18/arrow/flight/session"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/dataapi"
)

// The logical databases of the config are the Flight SQL catalogs; their
// schemas and tables are the backend's (PostgreSQL schemas, the MySQL
// database, SQLite's main), listed by catalogue queries of the gateway's
// own and filtered by what the caller may read.

// commandInfo answers GetFlightInfo of a metadata command: the command
// itself is the ticket.
func commandInfo(desc *flight.FlightDescriptor, schema *arrow.Schema) *flight.FlightInfo {
	return &flight.FlightInfo{
		Endpoint:         []*flight.FlightEndpoint{{Ticket: &flight.Ticket{Ticket: desc.Cmd}}},
		FlightDescriptor: desc, Schema: flight.SerializeSchema(schema, memory.DefaultAllocator), TotalRecords: -1, TotalBytes: -1,
	}
}

// batchOf builds a one-batch stream of the given schema.
func batchOf(schema *arrow.Schema, fill func(b *array.RecordBuilder)) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	fill(b)
	ch := make(chan flight.StreamChunk, 1)
	ch <- flight.StreamChunk{Data: b.NewRecordBatch()}
	close(ch)
	return schema, ch, nil
}

func str(b *array.RecordBuilder, i int, s string) { b.Field(i).(*array.StringBuilder).Append(s) }

// likeMatch applies a Flight SQL filter pattern (SQL LIKE: % and _).
func likeMatch(pattern *string, s string) bool {
	if pattern == nil {
		return true
	}
	var g strings.Builder
	esc := false
	for _, r := range *pattern {
		switch {
		case esc:
			g.WriteString(globEscape(r))
			esc = false
		case r == '\\':
			esc = true
		case r == '%':
			g.WriteByte('*')
		case r == '_':
			g.WriteByte('?')
		default:
			g.WriteString(globEscape(r))
		}
	}
	ok, err := path.Match(g.String(), s)
	return err == nil && ok
}

func globEscape(r rune) string {
	if strings.ContainsRune(`*?[]\`, r) {
		return `\` + string(r)
	}
	return string(r)
}

// skipBroken reports whether a listing leaves out database db, whose
// catalogue query failed (its servers are down, its login is refused),
// instead of failing: a broken database must not hide the others, unless
// the request is about it (it names it as the catalog, or the call is
// bound to it by the x-floe-database header).
func skipBroken(ctx context.Context, catalog *string, db string) bool {
	if catalog != nil || ctx.Err() != nil {
		return false
	}
	md, _ := metadata.FromIncomingContext(ctx)
	return !slices.Contains(md.Get(DatabaseHeader), db)
}

// catalogs lists the databases the caller may use, filtered by catalog
// (nil: all).
func (s *Server) catalogs(ctx context.Context, catalog *string) (dataapi.Caller, []*dataapi.Catalog, error) {
	c, err := caller(ctx)
	if err != nil {
		return c, nil, err
	}
	var out []*dataapi.Catalog
	for _, d := range s.svc.Databases(c) {
		if catalog != nil && *catalog != d.Name {
			continue
		}
		k, e := s.svc.Catalog(c, d.Name)
		if e != nil {
			continue
		}
		out = append(out, k)
	}
	return c, out, nil
}

func (s *Server) GetFlightInfoCatalogs(_ context.Context, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return commandInfo(desc, schema_ref.Catalogs), nil
}

func (s *Server) DoGetCatalogs(ctx context.Context) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, nil, err
	}
	return batchOf(schema_ref.Catalogs, func(b *array.RecordBuilder) {
		for _, d := range s.svc.Databases(c) {
			str(b, 0, d.Name)
		}
	})
}

func (s *Server) GetFlightInfoSchemas(_ context.Context, _ afsql.GetDBSchemas, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return commandInfo(desc, schema_ref.DBSchemas), nil
}

// schemaQuery lists the schemas of a database kind.
func schemaQuery(kind string) string {
	switch kind {
	case config.KindPostgres:
		return `SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema')
			AND nspname NOT LIKE 'pg\_toast%' AND nspname NOT LIKE 'pg\_temp%' ORDER BY 1`
	case config.KindMySQL:
		return "SELECT DATABASE()"
	}
	return "SELECT 'main'"
}

// rowsOf reads a catalogue query's rows as strings (from the database's
// metadata cache when it keeps one: Catalog.Rows).
func rowsOf(ctx context.Context, k *dataapi.Catalog, q string, args ...any) ([][]string, error) {
	return k.Rows(ctx, q, args...)
}

func (s *Server) DoGetDBSchemas(ctx context.Context, cmd afsql.GetDBSchemas) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	_, cats, err := s.catalogs(ctx, cmd.GetCatalog())
	if err != nil {
		return nil, nil, err
	}
	type row struct{ cat, schema string }
	var rows []row
	for _, k := range cats {
		names, err := rowsOf(ctx, k, schemaQuery(k.Kind()))
		if err != nil {
			if skipBroken(ctx, cmd.GetCatalog(), k.Name) {
				continue
			}
			return nil, nil, grpcError(err)
		}
		for _, n := range names {
			if likeMatch(cmd.GetDBSchemaFilterPattern(), n[0]) {
				rows = append(rows, row{k.Name, n[0]})
			}
		}
	}
	return batchOf(schema_ref.DBSchemas, func(b *array.RecordBuilder) {
		for _, r := range rows {
			str(b, 0, r.cat)
			str(b, 1, r.schema)
		}
	})
}

func (s *Server) GetFlightInfoTables(_ context.Context, cmd afsql.GetTables, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	if cmd.GetIncludeSchema() {
		return commandInfo(desc, schema_ref.TablesWithIncludedSchema), nil
	}
	return commandInfo(desc, schema_ref.Tables), nil
}

// tableQuery lists schema, table and type of every table and view.
func tableQuery(kind string) string {
	switch kind {
	case config.KindPostgres:
		return `SELECT table_schema, table_name, CASE table_type WHEN 'BASE TABLE' THEN 'TABLE' ELSE table_type END
			FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2`
	case config.KindMySQL:
		return `SELECT TABLE_SCHEMA, TABLE_NAME, CASE TABLE_TYPE WHEN 'BASE TABLE' THEN 'TABLE' ELSE TABLE_TYPE END
			FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1, 2`
	}
	return `SELECT 'main', name, upper(type) FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY 2`
}

func (s *Server) DoGetTables(ctx context.Context, cmd afsql.GetTables) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	_, cats, err := s.catalogs(ctx, cmd.GetCatalog())
	if err != nil {
		return nil, nil, err
	}
	types := map[string]bool{}
	for _, t := range cmd.GetTableTypes() {
		types[strings.ToUpper(t)] = true
	}
	type row struct {
		cat, schema, table, typ string
		arrowSchema             []byte
	}
	var rows []row
	for _, k := range cats {
		tables, err := rowsOf(ctx, k, tableQuery(k.Kind()))
		if err != nil {
			if skipBroken(ctx, cmd.GetCatalog(), k.Name) {
				continue
			}
			return nil, nil, grpcError(err)
		}
		for _, t := range tables {
			if !likeMatch(cmd.GetDBSchemaFilterPattern(), t[0]) || !likeMatch(cmd.GetTableNameFilterPattern(), t[1]) ||
				len(types) > 0 && !types[t[2]] || !k.Readable(ctx, t[0], t[1]) {
				continue
			}
			r := row{cat: k.Name, schema: t[0], table: t[1], typ: t[2]}
			if cmd.GetIncludeSchema() {
				sc, err := k.TableSchema(ctx, t[0], t[1])
				if err != nil {
					return nil, nil, grpcError(err)
				}
				r.arrowSchema = flight.SerializeSchema(sc, memory.DefaultAllocator)
			}
			rows = append(rows, r)
		}
	}
	schema := schema_ref.Tables
	if cmd.GetIncludeSchema() {
		schema = schema_ref.TablesWithIncludedSchema
	}
	return batchOf(schema, func(b *array.RecordBuilder) {
		for _, r := range rows {
			str(b, 0, r.cat)
			str(b, 1, r.schema)
			str(b, 2, r.table)
			str(b, 3, r.typ)
			if cmd.GetIncludeSchema() {
				b.Field(4).(*array.BinaryBuilder).Append(r.arrowSchema)
			}
		}
	})
}

func (s *Server) GetFlightInfoTableTypes(_ context.Context, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return commandInfo(desc, schema_ref.TableTypes), nil
}

func (s *Server) DoGetTableTypes(ctx context.Context) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	if _, err := caller(ctx); err != nil {
		return nil, nil, err
	}
	return batchOf(schema_ref.TableTypes, func(b *array.RecordBuilder) {
		str(b, 0, "TABLE")
		str(b, 0, "VIEW")
	})
}

func (s *Server) GetFlightInfoPrimaryKeys(_ context.Context, _ afsql.TableRef, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return commandInfo(desc, schema_ref.PrimaryKeys), nil
}

// keyQuery lists schema, table, column, position and constraint name of
// a table's primary key; $1/? is the table, $2/? the schema.
func keyQuery(kind string) string {
	switch kind {
	case config.KindPostgres:
		return `SELECT n.nspname, c.relname, a.attname, k.ord::int4, con.conname
			FROM pg_catalog.pg_constraint con JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
			JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
			CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
			JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
			WHERE con.contype = 'p' AND c.relname = $1 AND n.nspname = $2 ORDER BY 4`
	case config.KindMySQL:
		return `SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, CONSTRAINT_NAME FROM information_schema.KEY_COLUMN_USAGE
			WHERE CONSTRAINT_NAME = 'PRIMARY' AND TABLE_NAME = ? AND TABLE_SCHEMA = ? ORDER BY 4`
	}
	return `SELECT 'main', $1, name, pk, NULL FROM pragma_table_info($1) WHERE pk > 0 AND $2 = 'main' ORDER BY pk`
}

// currentSchemaQuery names the schema unqualified names resolve to.
func currentSchemaQuery(kind string) string {
	switch kind {
	case config.KindPostgres:
		return "SELECT current_schema()"
	case config.KindMySQL:
		return "SELECT DATABASE()"
	}
	return "SELECT 'main'"
}

func (s *Server) DoGetPrimaryKeys(ctx context.Context, ref afsql.TableRef) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	_, cats, err := s.catalogs(ctx, ref.Catalog)
	if err != nil {
		return nil, nil, err
	}
	var rows [][]string
	var cat []string
	for _, k := range cats {
		schema := ""
		if ref.DBSchema != nil {
			schema = *ref.DBSchema
		} else if names, err := rowsOf(ctx, k, currentSchemaQuery(k.Kind())); err == nil && len(names) == 1 {
			schema = names[0][0]
		}
		if !k.Readable(ctx, schema, ref.Table) {
			continue
		}
		keys, err := rowsOf(ctx, k, keyQuery(k.Kind()), ref.Table, schema)
		if err != nil {
			if skipBroken(ctx, ref.Catalog, k.Name) {
				continue
			}
			return nil, nil, grpcError(err)
		}
		for _, key := range keys {
			rows = append(rows, key)
			cat = append(cat, k.Name)
		}
	}
	return batchOf(schema_ref.PrimaryKeys, func(b *array.RecordBuilder) {
		for i, r := range rows {
			str(b, 0, cat[i])
			str(b, 1, r[0])
			str(b, 2, r[1])
			str(b, 3, r[2])
			var seq int32
			for _, ch := range r[3] {
				seq = seq*10 + ch - '0'
			}
			b.Field(4).(*array.Int32Builder).Append(seq)
			if r[4] == "" {
				b.Field(5).AppendNull()
			} else {
				str(b, 5, r[4])
			}
		}
	})
}

// SetSessionOptions accepts "catalog": the database later statements of
// the session run on.
func (s *Server) SetSessionOptions(ctx context.Context, req *flight.SetSessionOptionsRequest) (*flight.SetSessionOptionsResult, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	sess, err := session.GetSessionFromContext(ctx)
	if err != nil {
		return nil, status.Error(codes.Internal, "no session")
	}
	res := &flight.SetSessionOptionsResult{Errors: map[string]*flight.SetSessionOptionsResultError{}}
	for name, v := range req.GetSessionOptions() {
		if name != "catalog" {
			res.Errors[name] = &flight.SetSessionOptionsResultError{Value: flight.SetSessionOptionsResultErrorInvalidName}
			continue
		}
		if _, e := s.svc.Catalog(c, v.GetStringValue()); e != nil {
			res.Errors[name] = &flight.SetSessionOptionsResultError{Value: flight.SetSessionOptionsResultErrorInvalidValue}
			continue
		}
		sess.SetSessionOption(name, v)
	}
	return res, nil
}

// GetSessionOptions returns the session's options.
func (s *Server) GetSessionOptions(ctx context.Context, _ *flight.GetSessionOptionsRequest) (*flight.GetSessionOptionsResult, error) {
	if _, err := caller(ctx); err != nil {
		return nil, err
	}
	sess, err := session.GetSessionFromContext(ctx)
	if err != nil {
		return nil, status.Error(codes.Internal, "no session")
	}
	return &flight.GetSessionOptionsResult{SessionOptions: sess.GetSessionOptions()}, nil
}

// CloseSession ends the session.
func (s *Server) CloseSession(ctx context.Context, _ *flight.CloseSessionRequest) (*flight.CloseSessionResult, error) {
	sess, err := session.GetSessionFromContext(ctx)
	if err != nil {
		return nil, status.Error(codes.Internal, "no session")
	}
	if err := sess.Close(); err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &flight.CloseSessionResult{Status: flight.CloseSessionResultClosed}, nil
}
