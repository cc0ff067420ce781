package advise

import (
	"context"
	"fmt"
	"slices"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Planning can run code: PostgreSQL folds constant calls of immutable
// and (to estimate selectivity) stable functions, and expands views. The
// planner session's login is an operator's, so a shape is planned only
// when everything it names that could run code is PostgreSQL's own:
// every function, operator and type it names has no definition outside
// pg_catalog, and every relation it names is a table (not a view) owned
// by the planner's login or a superuser. A table's owner writes code
// the planner runs for the tables it plans: row-level security policies
// (added for a login that is neither superuser nor owner) and partial
// index predicates, whose calls of functions declared immutable are
// folded — as the planner's login, with their error messages coming back
// in the advice.

// pgNames are the function, operator and type names a statement's text
// names (lower case, last name part), and its relations.
type pgNames struct {
	funcs, ops, types []string
	rels              []TableRef
}

func pgNamesOf(sql, defSchema string) (pgNames, error) {
	tree, err := pg_query.Parse(sql)
	if err != nil {
		return pgNames{}, err
	}
	var n pgNames
	add := func(list *[]string, parts []*pg_query.Node) {
		if len(parts) == 0 {
			return
		}
		if s := parts[len(parts)-1].GetString_(); s != nil {
			name := strings.ToLower(s.Sval)
			if !slices.Contains(*list, name) {
				*list = append(*list, name)
			}
		}
	}
	for _, st := range tree.Stmts {
		pgWalk(st.Stmt.ProtoReflect(), func(m protoreflect.Message) {
			switch x := m.Interface().(type) {
			case *pg_query.FuncCall:
				add(&n.funcs, x.Funcname)
			case *pg_query.A_Expr:
				add(&n.ops, x.Name)
			case *pg_query.TypeName:
				add(&n.types, x.Names)
			case *pg_query.RangeVar:
				schema := strings.ToLower(x.Schemaname)
				if schema == "" {
					schema = defSchema
				}
				n.rels = append(n.rels, TableRef{Schema: schema, Name: strings.ToLower(x.Relname)})
			}
		})
	}
	return n, nil
}

func pgWalk(m protoreflect.Message, visit func(protoreflect.Message)) {
	if !m.IsValid() {
		return
	}
	visit(m)
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsMap():
		case fd.IsList() && fd.Message() != nil:
			l := v.List()
			for i := range l.Len() {
				pgWalk(l.Get(i).Message(), visit)
			}
		case fd.Message() != nil:
			pgWalk(v.Message(), visit)
		}
		return true
	})
}

// guard refuses (ErrNotPlannable) a statement naming a function,
// operator or type defined outside pg_catalog, a relation that is not
// a table, or a table another login owns (unless a superuser); CTE
// names, which are not relations, are not looked up.
func (p *pgPlanner) guard(ctx context.Context, sql string) error {
	n, err := pgNamesOf(sql, "public")
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNotPlannable, err)
	}
	schemas := make([]string, len(n.rels))
	names := make([]string, len(n.rels))
	for i, r := range n.rels {
		schemas[i], names[i] = r.Schema, r.Name
	}
	var what string
	err = p.conn.QueryRow(ctx, `
SELECT coalesce((SELECT 'function ' || min(p.proname) FROM pg_proc p JOIN pg_namespace s ON s.oid = p.pronamespace
                  WHERE s.nspname <> 'pg_catalog' AND p.proname = ANY($1::text[])),
                (SELECT 'operator ' || min(o.oprname) FROM pg_operator o JOIN pg_namespace s ON s.oid = o.oprnamespace
                  WHERE s.nspname <> 'pg_catalog' AND o.oprname = ANY($2::text[])),
                (SELECT 'type ' || min(t.typname) FROM pg_type t JOIN pg_namespace s ON s.oid = t.typnamespace
                  WHERE s.nspname NOT IN ('pg_catalog', 'information_schema') AND t.typname = ANY($3::text[])),
                (SELECT 'relation ' || min(c.relname) FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
                  JOIN unnest($4::text[], $5::text[]) AS r(schema, name) ON r.schema = s.nspname AND r.name = c.relname
                  WHERE c.relkind NOT IN ('r', 'p')),
                (SELECT 'relation ' || min(c.relname) || ' of another owner' FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
                  JOIN unnest($4::text[], $5::text[]) AS r(schema, name) ON r.schema = s.nspname AND r.name = c.relname
                  JOIN pg_roles o ON o.oid = c.relowner
                  WHERE o.rolname <> current_user AND NOT o.rolsuper), '')`,
		n.funcs, n.ops, n.types, schemas, names).Scan(&what)
	if err != nil {
		return err
	}
	if what != "" {
		return fmt.Errorf("%w: it names %s, which is not PostgreSQL's own (planning could run its code as the planner's login)", ErrNotPlannable, what)
	}
	return nil
}
