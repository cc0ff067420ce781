package sqlparse

import (
	"errors"
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// ErrUnfilterable reports a statement that names a row-filtered table
// where no WHERE can carry the filter: the source or target of MERGE,
// COPY of a whole table, TRUNCATE, LOCK, DDL on it. Row filters are
// enforced deny by default: a filtered table may appear only in the FROM
// list of a SELECT (directly, joined or sampled with TABLESAMPLE), as
// the table or FROM/USING list of an UPDATE or DELETE, or as the target
// of an INSERT (inserted rows are not filtered).
var ErrUnfilterable = errors.New("the row filter cannot be applied where the statement names the table")

// pgCheckFilterScope returns ErrUnfilterable when a table of filters is
// named by tree outside the places in covered (where the rewrite adds
// the filter) and outside the targets of INSERT.
func pgCheckFilterScope(tree *pg_query.ParseResult, covered map[*pg_query.RangeVar]bool, defSchema string, filters []RowFilter) error {
	allowed := map[*pg_query.RangeVar]bool{}
	for rv := range covered {
		allowed[rv] = true
	}
	var bad *pg_query.RangeVar
	for _, raw := range tree.Stmts {
		walk(raw.Stmt.ProtoReflect(), func(m protoreflect.Message) {
			switch x := m.Interface().(type) {
			case *pg_query.InsertStmt:
				if x.Relation != nil {
					allowed[x.Relation] = true
				}
			case *pg_query.RangeVar:
				if bad != nil || allowed[x] {
					return
				}
				for _, f := range filters {
					if f.matches(x.Schemaname, x.Relname, defSchema) {
						bad = x
						return
					}
				}
			}
		})
	}
	if bad != nil {
		return fmt.Errorf("%w (%s)", ErrUnfilterable, bad.Relname)
	}
	return nil
}
