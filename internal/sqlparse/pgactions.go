package sqlparse

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// pgUpsert records the update of INSERT … ON CONFLICT DO UPDATE: the
// target's existing rows change, so the statement needs update on it as
// well as insert. ON CONFLICT DO NOTHING stays an insert.
func pgUpsert(st *Statement, x *pg_query.InsertStmt) {
	if x.OnConflictClause == nil || x.OnConflictClause.Action != pg_query.OnConflictAction_ONCONFLICT_UPDATE || x.Relation == nil {
		return
	}
	st.Upsert = true
	st.addTable(Table{Schema: x.Relation.Schemaname, Name: x.Relation.Relname, Action: ActionUpdate})
}

// pgMergeActions records what each WHEN clause of a MERGE does to its
// target and returns the action of the first one (update when there is
// none), which the target's RangeVar carries.
func pgMergeActions(st *Statement, x *pg_query.MergeStmt) Action {
	st.Upsert = true
	first := Action("")
	for _, w := range x.MergeWhenClauses {
		c := w.GetMergeWhenClause()
		if c == nil {
			continue
		}
		var a Action
		switch c.CommandType {
		case pg_query.CmdType_CMD_INSERT:
			a = ActionInsert
		case pg_query.CmdType_CMD_UPDATE:
			a = ActionUpdate
		case pg_query.CmdType_CMD_DELETE:
			a = ActionDelete
		default: // DO NOTHING
			continue
		}
		if first == "" {
			first = a
		} else if x.Relation != nil {
			st.addTable(Table{Schema: x.Relation.Schemaname, Name: x.Relation.Relname, Action: a})
		}
	}
	if first == "" {
		first = ActionUpdate
	}
	return first
}

// pgSequenceCall records nextval('seq') and setval('seq', …) as an
// update of the sequence they advance or set. When the sequence is not
// a literal name (an expression, an oid), Floe cannot say which it is:
// the statement is privileged.
func pgSequenceCall(st *Statement, x *pg_query.FuncCall) {
	name := strings.ToLower(nameOf(x.Funcname))
	switch name {
	case "nextval", "setval", "pg_catalog.nextval", "pg_catalog.setval":
	default:
		return
	}
	// The sequence is a literal: texts that differ in it differ in what
	// they touch.
	st.ValueSensitive = true
	if len(x.Args) > 0 {
		if t, ok := pgRegclassLiteral(x.Args[0]); ok {
			t.Action = ActionUpdate
			st.addTable(t)
			return
		}
	}
	if st.Privileged == "" {
		st.Privileged = name + " of a sequence not named by a literal"
	}
}

// pgRegclassLiteral reads a string constant (maybe cast to regclass or
// text) as a relation name the way regclass input does: dots separate
// schema and name, unquoted parts fold to lower case.
func pgRegclassLiteral(n *pg_query.Node) (Table, bool) {
	for {
		tc := n.GetTypeCast()
		if tc == nil {
			break
		}
		n = tc.Arg
	}
	c := n.GetAConst()
	if c == nil || c.GetSval() == nil {
		return Table{}, false
	}
	parts, ok := splitQualified(c.GetSval().Sval)
	switch {
	case !ok:
		return Table{}, false
	case len(parts) == 1:
		return Table{Name: parts[0]}, true
	case len(parts) == 2:
		return Table{Schema: parts[0], Name: parts[1]}, true
	}
	return Table{}, false
}

// splitQualified splits a.b, "A"."b" and the like into its identifiers.
func splitQualified(s string) ([]string, bool) {
	var parts []string
	s = strings.TrimSpace(s)
	for {
		var id string
		if strings.HasPrefix(s, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(s); i++ {
				if s[i] == '"' {
					if i+1 < len(s) && s[i+1] == '"' {
						b.WriteByte('"')
						i++
						continue
					}
					break
				}
				b.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, false
			}
			id, s = b.String(), s[i+1:]
		} else {
			end := strings.IndexByte(s, '.')
			if end < 0 {
				end = len(s)
			}
			id, s = strings.ToLower(strings.TrimSpace(s[:end])), s[end:]
			if strings.ContainsAny(id, "\" ") {
				return nil, false
			}
		}
		if id == "" {
			return nil, false
		}
		parts = append(parts, id)
		s = strings.TrimSpace(s)
		if s == "" {
			return parts, true
		}
		if s[0] != '.' {
			return nil, false
		}
		s = strings.TrimSpace(s[1:])
	}
}

// pgSearchPath records SET search_path: after it, unqualified names
// resolve in the schemas it lists, which policy must know.
func pgSearchPath(st *Statement, x *pg_query.VariableSetStmt) {
	if !strings.EqualFold(x.Name, "search_path") {
		return
	}
	st.SetsSearchPath = true
	for _, a := range x.Args {
		c := a.GetAConst()
		if c == nil || c.GetSval() == nil {
			st.SearchPath = append(st.SearchPath, "?") // not a name: matches no schema
			continue
		}
		st.SearchPath = append(st.SearchPath, c.GetSval().Sval)
	}
}
