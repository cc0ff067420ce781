package sqlite

import (
	"context"
	"strings"

	"github.com/floe-db/floe/internal/analysis"
	"github.com/floe-db/floe/internal/backend/sqlite/catalog"
	"github.com/floe-db/floe/internal/sqlparse"
)

// Catalog prepares the session's connection for the statements of a
// (the analysis of the text about to run): a statement that changes a
// relation of the emulated catalog is refused (catalog.ReadOnly), and
// when one names a catalog relation the catalog is brought up to date
// with the schema first (catalog.Refresh: one PRAGMA read when nothing
// changed); so does a PostgreSQL statement with a cast to a reg* type,
// whose floe_reg* function reads the schema's snapshot. Statements that
// name no catalog relation cost a look at the names the policy's parse
// already found. A text the parser cannot read
// is left as it is (the policy decided about it).
func (s *Session) Catalog(ctx context.Context, a *analysis.Analysis) error {
	stmts, err := a.Statements()
	if err != nil {
		return nil
	}
	p := s.ps.Pipeline()
	d := p.Dialect()
	named := false
	for _, st := range stmts {
		for _, t := range st.Tables {
			if !catalog.Names(d, t.Schema, t.Name) {
				continue
			}
			if t.Action != sqlparse.ActionRead && !s.userTable(ctx, t) {
				return catalog.ReadOnly(t.Schema, t.Name)
			}
			named = true
		}
	}
	if !named && d == analysis.Postgres {
		// A cast to a reg* type ('t'::regclass) reads the schema's
		// snapshot, which Refresh publishes.
		if pst, err := PGStatements(a); err == nil {
			for _, st := range pst {
				named = named || strings.Contains(st.SQL, "floe_reg")
			}
		}
	}
	if !named {
		return nil
	}
	return SQLError(catalog.Refresh(ctx, s.conn, d, p.Database()))
}

// userTable reports whether an unqualified name that a catalog relation
// has is a table of the main database (which SQLite finds first).
func (s *Session) userTable(ctx context.Context, t sqlparse.Table) bool {
	if t.Schema != "" && !strings.EqualFold(t.Schema, "main") && !strings.EqualFold(t.Schema, "public") {
		return false
	}
	var n int
	err := s.conn.QueryRowContext(ctx, "SELECT count(*) FROM main.sqlite_schema WHERE name = ? COLLATE NOCASE AND type IN ('table', 'view')", t.Name).Scan(&n)
	return err == nil && n > 0
}
