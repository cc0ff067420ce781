package sqlparse

import (
	"fmt"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Postgres parses PostgreSQL text into statements, fingerprints included.
func Postgres(sql string) ([]Statement, error) { return postgres(sql, true) }

// PostgresNoFingerprint is Postgres without fingerprints, which cost a
// second pass of the parser (a fifth of the time).
func PostgresNoFingerprint(sql string) ([]Statement, error) { return postgres(sql, false) }

func postgres(sql string, fingerprint bool) ([]Statement, error) {
	if err := CheckPostgres(sql); err != nil {
		return nil, err
	}
	tree, err := pg_query.Parse(sql)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrSyntax, err.Error())
	}
	out := make([]Statement, 0, len(tree.Stmts))
	for _, raw := range tree.Stmts {
		if raw.Stmt == nil {
			continue
		}
		text := sql
		if start := int(raw.StmtLocation); start >= 0 && start <= len(sql) {
			end := len(sql)
			if raw.StmtLen > 0 && start+int(raw.StmtLen) <= len(sql) {
				end = start + int(raw.StmtLen)
			}
			text = strings.TrimSpace(sql[start:end])
		}
		st := Statement{Text: text}
		if fingerprint {
			if fp, err := pg_query.Fingerprint(text); err == nil {
				st.Fingerprint = fp
			}
		}
		pgStatement(&st, raw.Stmt)
		out = append(out, st)
	}
	return out, nil
}

func pgStatement(st *Statement, n *pg_query.Node) {
	top := n.ProtoReflect()
	// The Node wrapper holds exactly one statement message.
	top.Range(func(_ protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		top = v.Message()
		return false
	})
	st.Node = string(top.Descriptor().Name())
	st.Kind, st.Privileged = pgKind(st.Node, top.Interface())
	owned := map[*pg_query.RangeVar]Action{}
	var ctes []string
	// In DDL and DCL, the tables named are the ones changed; CREATE TABLE
	// AS and SELECT INTO only create their target and read the rest.
	schemaChange := (st.Kind == KindDDL || st.Kind == KindDCL) && st.Node != "SelectStmt" && st.Node != "CreateTableAsStmt" && st.Node != "ViewStmt"
	shape := &pgShape{sh: &st.Shape, exempt: map[*pg_query.A_Expr]bool{}}
	walk(top, func(m protoreflect.Message) {
		shape.visit(m.Interface())
		switch x := m.Interface().(type) {
		case *pg_query.InsertStmt:
			owned[x.Relation] = ActionInsert
			pgUpsert(st, x)
		case *pg_query.UpdateStmt:
			owned[x.Relation] = ActionUpdate
		case *pg_query.DeleteStmt:
			owned[x.Relation] = ActionDelete
		case *pg_query.MergeStmt:
			owned[x.Relation] = pgMergeActions(st, x)
		case *pg_query.ViewStmt:
			owned[x.View] = ActionDDL
		case *pg_query.LockStmt:
			if x.Mode > 1 { // stronger than ACCESS SHARE: blocks writers
				for _, r := range x.Relations {
					if rv := r.GetRangeVar(); rv != nil {
						owned[rv] = ActionUpdate
					}
				}
			}
		case *pg_query.PrepareStmt:
			st.PreparedName = x.Name
		case *pg_query.ExecuteStmt:
			st.PreparedName = x.Name
		case *pg_query.DeallocateStmt:
			st.PreparedName = x.Name
			st.DeallocateAll = x.Isall
		case *pg_query.CopyStmt:
			if x.IsProgram {
				st.CopyProgram = true
			}
			if x.IsProgram || x.Filename != "" {
				st.FileAccess = true
			}
			if x.Relation != nil {
				if x.IsFrom {
					owned[x.Relation] = ActionInsert
				} else {
					owned[x.Relation] = ActionRead
				}
			}
		case *pg_query.LockingClause:
			st.Locking = true
		case *pg_query.IntoClause:
			st.SelectInto = true
			if x.Rel != nil {
				owned[x.Rel] = ActionDDL
			}
		case *pg_query.DropStmt:
			switch x.RemoveType {
			case pg_query.ObjectType_OBJECT_TABLE, pg_query.ObjectType_OBJECT_VIEW, pg_query.ObjectType_OBJECT_MATVIEW,
				pg_query.ObjectType_OBJECT_FOREIGN_TABLE, pg_query.ObjectType_OBJECT_SEQUENCE:
				for _, o := range x.Objects {
					if l := o.GetList(); l != nil {
						parts := strings.Split(nameOf(l.Items), ".")
						t := Table{Name: parts[len(parts)-1], Action: ActionDDL}
						if len(parts) > 1 {
							t.Schema = parts[len(parts)-2]
						}
						st.addTable(t)
					}
				}
			}
		case *pg_query.CommonTableExpr:
			ctes = append(ctes, x.Ctename)
		case *pg_query.VariableSetStmt:
			if n := strings.ToLower(x.Name); n == "role" || n == "session_authorization" {
				st.Privileged = "SET " + strings.ToUpper(n)
			}
			pgSearchPath(st, x)
		case *pg_query.AlterSystemStmt:
			st.Privileged = "ALTER SYSTEM"
		case *pg_query.LoadStmt:
			st.Privileged = "LOAD"
		case *pg_query.CheckPointStmt:
			st.Privileged = "CHECKPOINT"
		case *pg_query.DoStmt:
			st.Privileged = "DO"
		case *pg_query.CreateFunctionStmt:
			// The body runs with the caller's rights later; creating one
			// is DDL, but untrusted languages reach the server's OS. The
			// language may be written as a string (LANGUAGE 'c'): texts
			// that differ in it differ in what they may do.
			for _, o := range x.Options {
				if d := o.GetDefElem(); d != nil && d.Defname == "language" {
					st.ValueSensitive = true
					if l := strings.ToLower(d.Arg.GetString_().GetSval()); l != "sql" && l != "plpgsql" {
						st.Privileged = "CREATE FUNCTION LANGUAGE " + l
					}
				}
			}
		case *pg_query.FuncCall:
			st.addFunction(nameOf(x.Funcname))
			pgSequenceCall(st, x)
		case *pg_query.CallStmt:
			if x.Funccall != nil {
				st.addFunction(nameOf(x.Funccall.Funcname))
			}
		case *pg_query.RangeVar:
			action, ok := owned[x]
			if !ok {
				action = ActionRead
				if schemaChange {
					action = ActionDDL
				}
			}
			st.addTable(Table{Schema: x.Schemaname, Name: x.Relname, Action: action})
		}
	})
	st.dropCTEs(ctes)
	pgColumns(st, top)
	st.compactColumns()
	pgSettings(st, top)
}

// walk visits m and every message below it, parents first.
func walk(m protoreflect.Message, visit func(protoreflect.Message)) {
	if !m.IsValid() {
		return
	}
	visit(m)
	eachChild(m, func(c protoreflect.Message) { walk(c, visit) })
}

// eachChild calls fn for every message directly below m, in field order.
func eachChild(m protoreflect.Message, fn func(protoreflect.Message)) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsMap():
		case fd.IsList() && fd.Message() != nil:
			l := v.List()
			for i := range l.Len() {
				fn(l.Get(i).Message())
			}
		case fd.Message() != nil:
			fn(v.Message())
		}
		return true
	})
}

func nameOf(parts []*pg_query.Node) string {
	names := make([]string, 0, len(parts))
	for _, p := range parts {
		if s := p.GetString_(); s != nil {
			names = append(names, s.Sval)
		}
	}
	return strings.Join(names, ".")
}

// pgKind is the class of a statement node (pgNodes), refined by its
// content; it also returns what makes the statement privileged, if the
// node class says so.
func pgKind(node string, m any) (Kind, string) {
	c := classify(pgNodes, node)
	inner := func(n *pg_query.Node) (Kind, string) {
		if n == nil {
			return c.kind, c.privileged
		}
		var k Kind = KindUnclassified
		priv := ""
		n.ProtoReflect().Range(func(_ protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			k, priv = pgKind(string(v.Message().Descriptor().Name()), v.Message().Interface())
			return false
		})
		return k, priv
	}
	switch x := m.(type) {
	case *pg_query.SelectStmt:
		if x.IntoClause != nil {
			return KindDDL, ""
		}
	case *pg_query.ExplainStmt:
		return inner(x.Query)
	case *pg_query.TransactionStmt:
		switch x.Kind {
		case pg_query.TransactionStmtKind_TRANS_STMT_PREPARE, pg_query.TransactionStmtKind_TRANS_STMT_COMMIT_PREPARED,
			pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK_PREPARED:
			// Prepared transactions outlive the session; COMMIT or
			// ROLLBACK PREPARED acts on any session's.
			return KindUtility, "two-phase commit"
		}
	}
	return c.kind, c.privileged
}
