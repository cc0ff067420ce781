package sqlparse

import (
	"fmt"
	"strings"

	"github.com/DataDog/go-sqllexer"
	"github.com/pingcap/tidb/pkg/parser/ast"
)

// The TiDB parser reads CREATE PROCEDURE with a body of plain statements
// and DECLARE, handlers, cursors, IF, CASE, WHILE, REPEAT and labelled
// blocks and loops, but its walk stops at the body's statements. The
// body's statements are read here, each as a statement of its own, and
// what they touch is added to the CREATE PROCEDURE: creating a procedure
// needs what running its body would.

// myRoutineBody adds to st what the statements of a procedure body need.
func myRoutineBody(st *Statement, body ast.Node) {
	var inner []ast.StmtNode
	procedureStmts(body, &inner)
	for _, n := range inner {
		var sub Statement
		myStatement(&sub, n)
		for _, t := range sub.Tables {
			st.addTable(t)
		}
		for _, f := range sub.Functions {
			st.addFunction(f)
		}
		st.Columns = append(st.Columns, sub.Columns...)
		st.FileAccess = st.FileAccess || sub.FileAccess
		st.Locking = st.Locking || sub.Locking
		// A body statement whose reading depends on a literal's value
		// makes the whole text depend on it (texts of one shape may not
		// share the parse); what it exposes and the settings it changes
		// are the procedure's too.
		st.ValueSensitive = st.ValueSensitive || sub.ValueSensitive
		for _, e := range sub.Exposes {
			st.expose(e)
		}
		st.Settings = append(st.Settings, sub.Settings...)
		switch {
		case st.Privileged != "":
		case sub.Privileged != "":
			st.Privileged = sub.Privileged + " in a procedure body"
		case sub.Kind == KindDCL:
			st.Privileged = "DCL in a procedure body"
		case sub.Kind == KindUnclassified:
			st.Privileged = "statement " + sub.Node + " in a procedure body, which the gateway does not classify"
		case sub.Unchecked != "":
			st.Privileged = sub.Unchecked + " in a procedure body"
		case sub.Prepared:
			st.Privileged = "PREPARE in a procedure body"
		}
	}
	st.compactColumns()
}

// procedureStmts lists the plain statements of a procedure body (control
// flow opened up); expressions of conditions and defaults become SELECTs
// of them, so the tables of their subqueries count.
func procedureStmts(n ast.Node, out *[]ast.StmtNode) {
	expr := func(e ast.ExprNode) {
		if e != nil {
			*out = append(*out, &ast.SelectStmt{Kind: ast.SelectStmtKindSelect,
				Fields: &ast.FieldList{Fields: []*ast.SelectField{{Expr: e}}}})
		}
	}
	all := func(ns []ast.StmtNode) {
		for _, s := range ns {
			procedureStmts(s, out)
		}
	}
	switch x := n.(type) {
	case nil:
	case *ast.ProcedureBlock:
		for _, d := range x.ProcedureVars {
			switch v := d.(type) {
			case *ast.ProcedureDecl:
				expr(v.DeclDefault)
			case *ast.ProcedureCursor:
				procedureStmts(v.Selectstring, out)
			case *ast.ProcedureErrorControl:
				procedureStmts(v.Operate, out)
			}
		}
		all(x.ProcedureProcStmts)
	case *ast.ProcedureLabelBlock:
		if x.Block != nil {
			procedureStmts(x.Block, out)
		}
	case *ast.ProcedureLabelLoop:
		procedureStmts(x.Block, out)
	case *ast.ProcedureIfInfo:
		if x.IfBody != nil {
			procedureStmts(x.IfBody, out)
		}
	case *ast.ProcedureIfBlock:
		expr(x.IfExpr)
		all(x.ProcedureIfStmts)
		procedureStmts(x.ProcedureElseStmt, out)
	case *ast.ProcedureElseIfBlock:
		if x.ProcedureIfStmt != nil {
			procedureStmts(x.ProcedureIfStmt, out)
		}
	case *ast.ProcedureElseBlock:
		all(x.ProcedureIfStmts)
	case *ast.SimpleCaseStmt:
		expr(x.Condition)
		for _, w := range x.WhenCases {
			expr(w.Expr)
			all(w.ProcedureStmts)
		}
		all(x.ElseCases)
	case *ast.SearchCaseStmt:
		for _, w := range x.WhenCases {
			expr(w.Expr)
			all(w.ProcedureStmts)
		}
		all(x.ElseCases)
	case *ast.ProcedureRepeatStmt:
		all(x.Body)
		expr(x.Condition)
	case *ast.ProcedureWhileStmt:
		expr(x.Condition)
		all(x.Body)
	case *ast.ProcedureOpenCur, *ast.ProcedureCloseCur, *ast.ProcedureFetchInto, *ast.ProcedureJump:
	case ast.StmtNode:
		*out = append(*out, x)
	}
}

// StoredProgram is a MySQL statement that defines or removes a stored
// program (procedure, function, trigger, event) as read by its words
// alone, for the forms the parser does not read.
type StoredProgram struct {
	Verb   string // create, drop, alter
	Object string // procedure, function, trigger, event
	Name   string
}

// ErrStoredProgram marks a stored-program text the gateway will not let
// through unread (more than one statement, an explicit DEFINER).
var ErrStoredProgram = fmt.Errorf("stored program")

// MySQLStoredProgram reports whether sql is one statement that creates,
// alters or drops a stored procedure, function, trigger or event, read
// as the server reads its comments. A body may hold statements separated
// by semicolons inside BEGIN … END; a semicolon outside the body followed
// by more text is a second statement, and that text is refused
// (ErrStoredProgram), as are a DEFINER other than CURRENT_USER (the
// server would run the body as another account) and CREATE FUNCTION …
// SONAME (code loaded into the server).
func MySQLStoredProgram(sql string) (StoredProgram, bool, error) {
	var sp StoredProgram
	if err := CheckMySQL(sql); err != nil {
		return sp, false, err
	}
	text, err := mysqlServerText(sql)
	if err != nil {
		return sp, false, err
	}
	type tok struct {
		typ sqllexer.TokenType
		v   string
	}
	var toks []tok
	lx := sqllexer.New(text, sqllexer.WithDBMS(sqllexer.DBMSMySQL))
	for {
		t := lx.Scan()
		if t.Type == sqllexer.EOF {
			break
		}
		switch t.Type {
		case sqllexer.SPACE, sqllexer.COMMENT, sqllexer.MULTILINE_COMMENT:
			continue
		case sqllexer.ERROR, sqllexer.UNKNOWN:
			return sp, false, nil
		}
		toks = append(toks, tok{t.Type, t.Value})
	}
	word := func(i int) string {
		if i < len(toks) {
			return strings.ToLower(toks[i].v)
		}
		return ""
	}
	i := 0
	sp.Verb = word(i)
	switch sp.Verb {
	case "create", "drop", "alter":
	default:
		return sp, false, nil
	}
	i++
	if sp.Verb == "create" && word(i) == "or" && word(i+1) == "replace" {
		i += 2
	}
	definer := -1
	if sp.Verb != "drop" && word(i) == "definer" {
		definer = i
		// DEFINER = user: up to the object word.
		for i < len(toks) && !isRoutineObject(word(i)) {
			i++
		}
	}
	if sp.Verb == "create" && word(i) == "aggregate" {
		i++
	}
	sp.Object = word(i)
	if !isRoutineObject(sp.Object) || sp.Verb == "alter" && sp.Object == "trigger" {
		return sp, false, nil
	}
	i++
	if word(i) == "if" {
		for i < len(toks) && word(i) != "exists" {
			i++
		}
		i++
	}
	sp.Name = strings.ReplaceAll(toks[min(i, len(toks)-1)].v, "`", "")
	if word(i+1) == "." {
		sp.Name += "." + strings.ReplaceAll(toks[min(i+2, len(toks)-1)].v, "`", "")
	}
	if definer >= 0 {
		d := ""
		for _, t := range toks[definer+1:] {
			if isRoutineObject(strings.ToLower(t.v)) {
				break
			}
			d += strings.ToLower(t.v)
		}
		if d != "=current_user" && d != "=current_user()" {
			return sp, true, fmt.Errorf("%w: a DEFINER other than CURRENT_USER is not allowed through the gateway (the body would run as another account)", ErrStoredProgram)
		}
	}
	// One statement: semicolons only inside BEGIN … END (or a CASE),
	// or at the very end.
	depth := 0
	for j := i; j < len(toks); j++ {
		switch w := word(j); w {
		case "soname":
			if sp.Object == "function" {
				return sp, true, fmt.Errorf("%w: CREATE FUNCTION … SONAME loads code into the server", ErrStoredProgram)
			}
		case "begin", "case":
			depth++
		case "end":
			switch word(j + 1) {
			case "if", "while", "loop", "repeat":
				j++
			case "case":
				j++
				depth--
			default:
				depth--
			}
			if depth < 0 {
				return sp, true, fmt.Errorf("%w: END without BEGIN", ErrStoredProgram)
			}
		case ";":
			if depth > 0 {
				continue
			}
			for _, t := range toks[j+1:] {
				if t.v != ";" {
					return sp, true, fmt.Errorf("%w: a stored program must be sent as a statement of its own", ErrStoredProgram)
				}
			}
			return sp, true, nil
		}
	}
	if depth != 0 {
		return sp, true, fmt.Errorf("%w: BEGIN without END", ErrStoredProgram)
	}
	return sp, true, nil
}

func isRoutineObject(w string) bool {
	switch w {
	case "procedure", "function", "trigger", "event":
		return true
	}
	return false
}
