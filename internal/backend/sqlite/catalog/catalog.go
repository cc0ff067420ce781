package catalog

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/floe-db/floe/internal/analysis"
	"github.com/floe-db/floe/internal/sqlerr"
)

// The attached databases' names (the schemas clients qualify catalog
// relations with) and the table that records what a connection's
// catalog shows.
const (
	PGCatalog         = "pg_catalog"
	InformationSchema = "information_schema"
	stateTable        = "floe_catalog_state"
	private           = "floe_" // prefix of the tables behind the views
)

// Attach gives a session's connection the catalog of its dialect:
// in-memory databases pg_catalog and information_schema (PostgreSQL) or
// information_schema (MySQL) ATTACHed to conn, empty until the first
// Refresh builds their relations (so that a session that never reads
// the catalog pays two ATTACHes). A pooled connection that already has
// the catalog of the same dialect and database keeps it (the session's
// rows, the user's, are written again).
func Attach(ctx context.Context, conn *sql.Conn, d analysis.Dialect, database, user string) error {
	RegisterFunctions()
	first := firstSchema(d)
	var dialect, db string
	var built bool
	err := conn.QueryRowContext(ctx, "SELECT dialect, db, built FROM "+first+"."+stateTable).Scan(&dialect, &db, &built)
	if err == nil && dialect == d.String() && db == database {
		if _, err := conn.ExecContext(ctx, "UPDATE "+first+"."+stateTable+" SET usr = ?", user); err != nil {
			return fmt.Errorf("catalog: %w", err)
		}
		if built {
			return writeSession(ctx, conn, d, database, user)
		}
		return nil
	}
	if err := detach(ctx, conn); err != nil {
		return err
	}
	for schema := range relationsOf(d) {
		if _, err := conn.ExecContext(ctx, "ATTACH DATABASE ':memory:' AS "+schema); err != nil {
			return fmt.Errorf("catalog: %w", err)
		}
	}
	q := fmt.Sprintf("CREATE TABLE %[1]s.%[2]s (version INTEGER, dialect TEXT, db TEXT, usr TEXT, built BOOLEAN, file TEXT);"+
		"INSERT INTO %[1]s.%[2]s VALUES (-1, ?, ?, ?, 0, (SELECT file FROM pragma_database_list WHERE name = 'main'))", first, stateTable)
	if _, err := conn.ExecContext(ctx, q, d.String(), database, user); err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	return nil
}

func firstSchema(d analysis.Dialect) string {
	if d == analysis.Postgres {
		return PGCatalog
	}
	return InformationSchema
}

// detach removes a catalog a pooled connection had from another
// database or dialect.
func detach(ctx context.Context, conn *sql.Conn) error {
	rows, err := conn.QueryContext(ctx, "SELECT name FROM pragma_database_list")
	if err != nil {
		return err
	}
	var names []string
	for rows.Next() {
		var n string
		if rows.Scan(&n) == nil && (strings.EqualFold(n, PGCatalog) || strings.EqualFold(n, InformationSchema)) {
			names = append(names, n)
		}
	}
	if err := rows.Close(); err != nil {
		return err
	}
	for _, n := range names {
		if _, err := conn.ExecContext(ctx, "DETACH DATABASE "+n); err != nil {
			return err
		}
	}
	return nil
}

func relationsOf(d analysis.Dialect) map[string][]relation {
	if d == analysis.Postgres {
		return map[string][]relation{PGCatalog: pgCatalog, InformationSchema: pgInformationSchema}
	}
	return map[string][]relation{InformationSchema: myInformationSchema}
}

// build creates the catalog's relations and fills those that do not
// depend on the schema, under a savepoint (inside the session's
// transaction, if there is one: rolled back with it, and built again).
func build(ctx context.Context, conn *sql.Conn, d analysis.Dialect, database, user string) (err error) {
	var b strings.Builder
	b.WriteString("SAVEPOINT floe_catalog;\n")
	for schema, rels := range relationsOf(d) {
		for _, r := range rels {
			fmt.Fprintf(&b, "CREATE TABLE %s.%s%s (%s);\n", schema, private, r.name, quoteColumns(r.cols))
			fmt.Fprintf(&b, "CREATE VIEW %s.%s AS SELECT * FROM %s%s;\n", schema, r.name, private, r.name)
		}
	}
	fmt.Fprintf(&b, "UPDATE %s.%s SET built = 1;\n", firstSchema(d), stateTable)
	if _, err := conn.ExecContext(ctx, b.String()); err != nil {
		_, _ = conn.ExecContext(ctx, "ROLLBACK TO floe_catalog; RELEASE floe_catalog")
		return fmt.Errorf("catalog: %w", err)
	}
	defer func() {
		if err != nil {
			_, _ = conn.ExecContext(ctx, "ROLLBACK TO floe_catalog; RELEASE floe_catalog")
			return
		}
		_, err = conn.ExecContext(ctx, "RELEASE floe_catalog")
	}()
	if err := fill(ctx, conn, d, fixedRows(d, database)); err != nil {
		return err
	}
	return writeSession(ctx, conn, d, database, user)
}

func writeSession(ctx context.Context, conn *sql.Conn, d analysis.Dialect, database, user string) error {
	if d != analysis.Postgres {
		return nil
	}
	return fill(ctx, conn, d, sessionRows(database, user))
}

// fill replaces the rows of the named relations.
func fill(ctx context.Context, conn *sql.Conn, d analysis.Dialect, rows map[string][][]any) error {
	for schema, rels := range relationsOf(d) {
		for _, r := range rels {
			data, ok := rows[schema+"."+r.name]
			if !ok {
				continue
			}
			table := schema + "." + private + r.name
			if _, err := conn.ExecContext(ctx, "DELETE FROM "+table); err != nil {
				return fmt.Errorf("catalog: %w", err)
			}
			if len(data) == 0 {
				continue
			}
			n := len(data[0])
			// Many rows per statement, within SQLite's variable limit.
			per := max(1, 30000/n)
			for start := 0; start < len(data); start += per {
				chunk := data[start:min(len(data), start+per)]
				var q strings.Builder
				q.WriteString("INSERT INTO " + table + " VALUES ")
				args := make([]any, 0, len(chunk)*n)
				for i, row := range chunk {
					if len(row) != n {
						return fmt.Errorf("catalog: %s: row of %d values, want %d", table, len(row), n)
					}
					if i > 0 {
						q.WriteByte(',')
					}
					q.WriteString("(?" + strings.Repeat(",?", n-1) + ")")
					args = append(args, row...)
				}
				if _, err := conn.ExecContext(ctx, q.String(), args...); err != nil {
					return fmt.Errorf("catalog: %s: %w", table, err)
				}
			}
		}
	}
	return nil
}

// Refresh fills the schema's relations of conn's catalog again when the
// main database's schema changed since it last did (PRAGMA
// schema_version: one read when nothing changed), and publishes the
// database's snapshot the catalog functions read. In a transaction the
// rows written are part of it: rolled back with the DDL that changed the
// schema.
func Refresh(ctx context.Context, conn *sql.Conn, d analysis.Dialect, database string) error {
	first := firstSchema(d)
	var now, seen int64
	var built bool
	var user, file string
	err := conn.QueryRowContext(ctx, "SELECT (SELECT schema_version FROM pragma_schema_version), version, built, usr, file FROM "+first+"."+stateTable).
		Scan(&now, &seen, &built, &user, &file)
	if err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	if !built {
		if err := build(ctx, conn, d, database, user); err != nil {
			return err
		}
	}
	blk := blockOf(database)
	if now == seen && published(blk, file, now) {
		return nil
	}
	m, err := readModel(ctx, conn, blockBase(blk))
	if err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	m.file = file
	publish(blk, m)
	if now == seen {
		return nil
	}
	if err := fill(ctx, conn, d, schemaRows(d, database, m)); err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, "UPDATE "+first+"."+stateTable+" SET version = ?", m.version)
	return err
}

// Names reports whether a statement's table names a relation of the
// catalog of dialect d: qualified by one of the catalog's schemas, or
// one of its relation names unqualified.
func Names(d analysis.Dialect, schema, name string) bool {
	switch {
	case strings.EqualFold(schema, InformationSchema):
		return true
	case strings.EqualFold(schema, PGCatalog):
		return d == analysis.Postgres
	case schema != "" && !strings.EqualFold(schema, "public") && !strings.EqualFold(schema, "main"):
		return false
	}
	n := strings.ToLower(name)
	if strings.HasPrefix(n, private) {
		return true
	}
	if d == analysis.Postgres {
		return isRelation(pgCatalog, n) || isRelation(pgInformationSchema, n)
	}
	return isRelation(myInformationSchema, n)
}

func isRelation(rels []relation, name string) bool {
	for _, r := range rels {
		if strings.EqualFold(r.name, name) {
			return true
		}
	}
	return false
}

// ReadOnly is the error a statement that would change a catalog relation
// gets (PostgreSQL's permission denied).
func ReadOnly(schema, name string) error {
	if schema != "" {
		name = schema + "." + name
	}
	return sqlerr.New(sqlerr.InsufficientPrivilege, "permission denied for %s: catalog relations of an embedded SQLite database are read-only", name)
}

// quoteColumns quotes the names of a relation's column definitions
// (some are SQLite keywords: transaction, database …).
func quoteColumns(cols string) string {
	defs := strings.Split(cols, ",")
	for i, d := range defs {
		f := strings.Fields(d)
		defs[i] = `"` + f[0] + `" ` + strings.Join(f[1:], " ")
	}
	return strings.Join(defs, ", ")
}
