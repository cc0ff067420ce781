package sqlparse

import (
	"fmt"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Setting is one session setting a statement changes. The policy pins
// the ones that change how the server reads text (quoting, escapes,
// character sets) and the ones that change what a name resolves to.
type Setting struct {
	// Name is the setting, lower case: "client_encoding",
	// "standard_conforming_strings", "search_path", "sql_mode",
	// "character_set_client"… "" when the name is computed (set_config
	// with an expression). "all" for RESET ALL.
	Name string
	// Values are the constant values assigned (several for a list such as
	// search_path). For MySQL sql_mode set from its current value
	// (CONCAT(@@sql_mode, ',X'), REPLACE(@@sql_mode, 'A', 'B')), Values are
	// the literal parts added to it.
	Values []string
	// Default: set to the session's default (SET … TO DEFAULT, RESET).
	Default bool
	// Computed: the value is an expression the gateway does not evaluate.
	Computed bool
	// Via is the statement form: SET, RESET, set_config, ALTER ROLE … SET…
	Via string
}

// pgSettings records the settings st changes: SET, SET LOCAL, RESET and
// every SET clause of ALTER ROLE/DATABASE/SYSTEM/FUNCTION (all
// VariableSetStmt nodes), and set_config calls.
func pgSettings(st *Statement, top protoreflect.Message) {
	// Which settings are refused depends on the values: texts that differ
	// only in them do not share an analysis.
	defer func() { st.ValueSensitive = st.ValueSensitive || len(st.Settings) > 0 }()
	walk(top, func(m protoreflect.Message) {
		switch x := m.Interface().(type) {
		case *pg_query.VariableSetStmt:
			via := "SET"
			if st.Node != "VariableSetStmt" {
				via = st.Node
			}
			s := Setting{Name: strings.ToLower(x.Name), Via: via}
			switch x.Kind {
			case pg_query.VariableSetKind_VAR_SET_VALUE:
				for _, a := range x.Args {
					v, ok := pgSettingConst(a)
					if !ok {
						s.Computed = true
						continue
					}
					s.Values = append(s.Values, v)
				}
			case pg_query.VariableSetKind_VAR_SET_DEFAULT, pg_query.VariableSetKind_VAR_SET_CURRENT:
				s.Default = true
			case pg_query.VariableSetKind_VAR_RESET:
				s.Default, s.Via = true, "RESET"
			case pg_query.VariableSetKind_VAR_RESET_ALL:
				s.Name, s.Default, s.Via = "all", true, "RESET"
			default:
				return // SET TRANSACTION …
			}
			st.Settings = append(st.Settings, s)
		case *pg_query.FuncCall:
			name := strings.TrimPrefix(nameOf(x.Funcname), "pg_catalog.")
			if name != "set_config" {
				return
			}
			s := Setting{Via: "set_config"}
			if len(x.Args) > 0 {
				if n, ok := pgSettingConst(x.Args[0]); ok {
					s.Name = strings.ToLower(n)
				}
			}
			if len(x.Args) > 1 {
				if v, ok := pgSettingConst(x.Args[1]); ok {
					s.Values = splitList(v)
				} else {
					s.Computed = true
				}
			}
			st.Settings = append(st.Settings, s)
		}
	})
}

// pgSettingConst returns the text of a constant (maybe cast: '…'::text).
func pgSettingConst(n *pg_query.Node) (string, bool) {
	if tc := n.GetTypeCast(); tc != nil && tc.Arg != nil {
		return pgSettingConst(tc.Arg)
	}
	c := n.GetAConst()
	if c == nil || c.Isnull {
		return "", false
	}
	switch v := c.Val.(type) {
	case *pg_query.A_Const_Sval:
		return v.Sval.Sval, true
	case *pg_query.A_Const_Ival:
		return strconv.Itoa(int(v.Ival.Ival)), true
	case *pg_query.A_Const_Fval:
		return v.Fval.Fval, true
	case *pg_query.A_Const_Boolval:
		return strconv.FormatBool(v.Boolval.Boolval), true
	}
	return "", false
}

// splitList splits a set_config value of a list setting (search_path).
func splitList(v string) []string {
	parts := strings.Split(v, ",")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
	}
	return parts
}

// mySettings records the system variables st assigns (SET, SET SESSION,
// SET @@…, SET NAMES, SET CHARACTER SET), with their values evaluated
// where they are constants or built from the variable's current value.
func mySettings(st *Statement, n ast.Node) {
	n.Accept(&mySetVisitor{st: st})
	st.ValueSensitive = st.ValueSensitive || len(st.Settings) > 0
}

type mySetVisitor struct{ st *Statement }

func (v *mySetVisitor) Enter(n ast.Node) (ast.Node, bool) {
	set, ok := n.(*ast.SetStmt)
	if !ok {
		return n, false
	}
	for _, a := range set.Variables {
		name := strings.ToLower(a.Name)
		via := "SET"
		switch name {
		case strings.ToLower(ast.SetNames):
			name, via = "character_set_client", "SET NAMES"
		case strings.ToLower(ast.SetCharset):
			name, via = "character_set_client", "SET CHARACTER SET"
		default:
			if !a.IsSystem {
				continue // a user variable
			}
		}
		if a.IsGlobal || a.IsInstance {
			via = "SET GLOBAL"
		}
		s := Setting{Name: name, Via: via}
		myValue(&s, name, a.Value)
		v.st.Settings = append(v.st.Settings, s)
	}
	return n, false
}

func (v *mySetVisitor) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// myValue evaluates the value assigned to variable name into s.
func myValue(s *Setting, name string, e ast.ExprNode) {
	switch x := e.(type) {
	case nil:
		s.Computed = true
	case *ast.DefaultExpr:
		s.Default = true
	case *test_driver.ValueExpr:
		if x.Kind() == test_driver.KindString {
			s.Values = append(s.Values, x.GetString())
			return
		}
		s.Values = append(s.Values, fmt.Sprint(x.GetValue()))
	case *ast.ColumnNameExpr:
		// SET character_set_client = gbk: a bare word is the value.
		if x.Name.Table.L == "" {
			s.Values = append(s.Values, x.Name.Name.O)
			return
		}
		s.Computed = true
	case *ast.VariableExpr:
		// SET sql_mode = @@sql_mode: the current value, unchanged.
		if !x.IsSystem || strings.ToLower(x.Name) != name {
			s.Computed = true
		}
	case *ast.ParenthesesExpr:
		myValue(s, name, x.Expr)
	case *ast.SubqueryExpr:
		// SET sql_mode = (SELECT REPLACE(@@sql_mode, …)) without FROM.
		sel, ok := x.Query.(*ast.SelectStmt)
		if !ok || sel.From != nil || sel.Where != nil || sel.Fields == nil || len(sel.Fields.Fields) != 1 || sel.Fields.Fields[0].Expr == nil {
			s.Computed = true
			return
		}
		myValue(s, name, sel.Fields.Fields[0].Expr)
	case *ast.FuncCallExpr:
		switch x.FnName.L {
		case "concat":
			for _, arg := range x.Args {
				myValue(s, name, arg)
			}
		case "concat_ws":
			if len(x.Args) == 0 {
				s.Computed = true
				return
			}
			for _, arg := range x.Args {
				myValue(s, name, arg)
			}
		case "replace":
			// The current value with a part replaced: what it adds is the
			// replacement.
			if len(x.Args) != 3 {
				s.Computed = true
				return
			}
			myValue(s, name, x.Args[0])
			if _, ok := x.Args[1].(*test_driver.ValueExpr); !ok {
				s.Computed = true
			}
			myValue(s, name, x.Args[2])
		default:
			s.Computed = true
		}
	default:
		s.Computed = true
	}
}

// myPrepared makes st, a PREPARE … FROM 'text', stand for the statement
// it prepares, parsed like any other text; FROM @variable is unchecked.
func myPrepared(st *Statement, x *ast.PrepareStmt) error {
	if x.SQLVar != nil || x.SQLText == "" {
		st.Unchecked = "PREPARE … FROM a variable"
		st.ValueSensitive = true
		return nil
	}
	inner, err := mysqlParse(x.SQLText, false)
	if err != nil {
		return fmt.Errorf("the text of PREPARE: %w", err)
	}
	if len(inner) != 1 {
		return fmt.Errorf("%w: the text of PREPARE holds %d statements", ErrSyntax, len(inner))
	}
	in := inner[0]
	st.Prepared = true
	st.Kind = in.Kind
	st.Tables, st.Columns, st.Functions = in.Tables, in.Columns, in.Functions
	st.SelectInto, st.Locking, st.CopyProgram, st.FileAccess = in.SelectInto, in.Locking, in.CopyProgram, in.FileAccess
	// The text is checked as what it prepares: its own privilege, not
	// the one a PREPARE of unread text needs.
	st.Privileged = in.Privileged
	st.Settings = append(st.Settings, in.Settings...)
	if in.Unchecked != "" {
		st.Unchecked = in.Unchecked
	}
	st.Shape = in.Shape
	// The prepared statement is a literal: its value is the statement.
	st.ValueSensitive = true
	return nil
}
