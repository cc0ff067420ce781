package sqlparse

import (
	"fmt"
	"strings"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	_ "github.com/pingcap/tidb/pkg/parser/test_driver" // value expressions for the parser
)

// MySQL parses MySQL/MariaDB text into statements with the TiDB parser.
// A parser is not safe for concurrent use; each call makes its own.
func MySQL(sql string) ([]Statement, error) { return mysqlParse(sql, true) }

// MySQLNoFingerprint is MySQL without fingerprints.
func MySQLNoFingerprint(sql string) ([]Statement, error) { return mysqlParse(sql, false) }

func mysqlParse(sql string, fingerprint bool) (_ []Statement, err error) {
	defer func() {
		// The parser's literal conversions panic on some inputs (an
		// integer of more than 81 digits); that is a text it cannot parse.
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: the parser failed on this text (%v)", ErrSyntax, r)
		}
	}()
	if err := CheckMySQL(sql); err != nil {
		return nil, err
	}
	// The parser reads the text as the server does (comments, executable
	// comments; see mysqlServerText).
	sql, err = mysqlServerText(sql)
	if err != nil {
		return nil, err
	}
	p := parser.New()
	nodes, _, err := p.Parse(sql, "", "")
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrSyntax, err.Error())
	}
	out := make([]Statement, 0, len(nodes))
	for _, n := range nodes {
		st := Statement{Text: strings.TrimSpace(n.Text())}
		if st.Text == "" {
			st.Text = sql
		}
		if fingerprint {
			_, digest := parser.NormalizeDigest(st.Text)
			st.Fingerprint = digest.String()
		}
		myStatement(&st, n)
		if x, ok := n.(*ast.PrepareStmt); ok {
			if err := myPrepared(&st, x); err != nil {
				return nil, err
			}
		}
		out = append(out, st)
	}
	return out, nil
}

func myStatement(st *Statement, n ast.StmtNode) {
	st.Node = strings.TrimPrefix(fmt.Sprintf("%T", n), "*ast.")
	st.Kind, st.Privileged = myKind(n)
	v := &myVisitor{st: st, owned: map[*ast.TableName]Action{}, skip: map[*ast.TableName]bool{}}
	v.schemaChange = (st.Kind == KindDDL || st.Kind == KindDCL) && st.Node != "SelectStmt"
	proc, isProc := n.(*ast.ProcedureInfo)
	if isProc {
		// The body's tables are used as its statements use them.
		v.schemaChange = false
		st.StoredProgram = "procedure"
	}
	n.Accept(v)
	st.dropCTEs(v.ctes)
	n.Accept(&myShape{sh: &st.Shape, exempt: map[ast.ExprNode]bool{}})
	myColumns(st, n)
	aliases := &myAliases{}
	n.Accept(aliases)
	if aliases.found {
		st.ValueSensitive = true
	}
	st.compactColumns()
	mySettings(st, n)
	if isProc {
		myRoutineBody(st, proc.ProcedureBody)
	}
}

type myVisitor struct {
	st           *Statement
	owned        map[*ast.TableName]Action
	skip         map[*ast.TableName]bool
	ctes         []string
	schemaChange bool
}

// tablesIn lists the table names under n with their alias (or name).
func tablesIn(n ast.Node) map[string]*ast.TableName {
	c := &tableCollector{byName: map[string]*ast.TableName{}}
	if n != nil {
		n.Accept(c)
	}
	return c.byName
}

type tableCollector struct {
	byName map[string]*ast.TableName
	alias  string
}

func (c *tableCollector) Enter(n ast.Node) (ast.Node, bool) {
	switch x := n.(type) {
	case *ast.TableSource:
		c.alias = x.AsName.L
	case *ast.TableName:
		name := x.Name.L
		if c.alias != "" {
			name = c.alias
		}
		c.byName[name] = x
		c.alias = ""
	case *ast.SelectStmt, *ast.SetOprStmt:
		return n, true // subqueries in FROM are read
	}
	return n, false
}

func (c *tableCollector) Leave(n ast.Node) (ast.Node, bool) { return n, true }

func (v *myVisitor) Enter(n ast.Node) (ast.Node, bool) {
	switch x := n.(type) {
	case *ast.InsertStmt:
		for _, t := range tablesIn(x.Table) {
			v.owned[t] = ActionInsert
			myUpsert(v.st, x, t)
		}
	case *ast.PrepareStmt:
		v.st.PreparedName = x.Name
	case *ast.ExecuteStmt:
		v.st.PreparedName = x.Name
	case *ast.DeallocateStmt:
		v.st.PreparedName = x.Name
	case *ast.LoadDataStmt:
		if x.Table != nil {
			v.owned[x.Table] = ActionInsert
		}
		if x.FileLocRef != ast.FileLocClient {
			v.st.FileAccess = true
		}
	case *ast.UpdateStmt:
		refs := tablesIn(x.TableRefs)
		marked := false
		for _, a := range x.List {
			if a.Column == nil {
				continue
			}
			if t, ok := refs[a.Column.Table.L]; ok {
				v.owned[t] = ActionUpdate
				marked = true
			}
		}
		if !marked {
			// Unqualified columns: with several tables any may be written.
			for _, t := range refs {
				v.owned[t] = ActionUpdate
			}
		}
	case *ast.DeleteStmt:
		if x.Tables != nil && len(x.Tables.Tables) > 0 {
			refs := tablesIn(x.TableRefs)
			for _, t := range x.Tables.Tables {
				if rt, ok := refs[t.Name.L]; ok {
					// The list names a table of FROM (maybe by alias).
					v.owned[rt] = ActionDelete
					v.skip[t] = true
				} else {
					v.owned[t] = ActionDelete
				}
			}
		} else {
			for _, t := range tablesIn(x.TableRefs) {
				v.owned[t] = ActionDelete
			}
		}
	case *ast.SelectStmt:
		if x.LockInfo != nil && x.LockInfo.LockType != ast.SelectLockNone {
			v.st.Locking = true
		}
		if x.SelectIntoOpt != nil && x.SelectIntoOpt.Tp != ast.SelectIntoVars {
			v.st.SelectInto = true
			v.st.FileAccess = true
		}
	case *ast.SetStmt:
		for _, a := range x.Variables {
			if a.IsGlobal || a.IsInstance {
				v.st.Privileged = "SET GLOBAL"
			}
		}
	case *ast.FlushStmt:
		v.st.Privileged = "FLUSH"
	case *ast.ShutdownStmt:
		v.st.Privileged = "SHUTDOWN"
	case *ast.KillStmt:
		v.st.Privileged = "KILL"
	case *ast.SetRoleStmt, *ast.SetDefaultRoleStmt:
		v.st.Privileged = "SET ROLE"
	case *ast.RestartStmt:
		v.st.Privileged = "RESTART"
	case *ast.SetConfigStmt:
		v.st.Privileged = "SET CONFIG"
	case *ast.CreateTableStmt:
		if x.Table != nil {
			v.owned[x.Table] = ActionDDL
		}
		if x.Select != nil {
			v.schemaChange = false // CREATE TABLE … SELECT reads its sources
		}
	case *ast.CommonTableExpression:
		v.ctes = append(v.ctes, x.Name.L)
	case *ast.FuncCallExpr:
		name := x.FnName.L
		if x.Schema.L != "" {
			name = x.Schema.L + "." + name
		}
		v.st.addFunction(name)
		mySequenceCall(v, x)
	case *ast.CallStmt:
		if x.Procedure != nil {
			name := x.Procedure.FnName.L
			if x.Procedure.Schema.L != "" {
				name = x.Procedure.Schema.L + "." + name
			}
			v.st.addFunction(name)
		}
	case *ast.TableName:
		if v.skip[x] {
			return n, false
		}
		action, ok := v.owned[x]
		if !ok {
			action = ActionRead
			if v.schemaChange {
				action = ActionDDL
			}
		}
		v.st.addTable(Table{Schema: x.Schema.O, Name: x.Name.O, Action: action})
	}
	return n, false
}

func (v *myVisitor) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// myKind is the class of a statement type (myNodes), refined by its
// content; it also returns what makes the statement privileged, if the
// class says so.
func myKind(n ast.StmtNode) (Kind, string) {
	c := classify(myNodes, strings.TrimPrefix(fmt.Sprintf("%T", n), "*ast."))
	if x, ok := n.(*ast.ExplainStmt); ok && x.Stmt != nil && x.Analyze {
		return myKind(x.Stmt)
	}
	return c.kind, c.privileged
}

// myAliases finds a select-list alias. MySQL takes a string literal as
// one ('x' or "x", with or without AS), and the alias decides what a
// name in ORDER BY, GROUP BY or HAVING, or in an outer query over a
// derived table, refers to: texts that differ only in that literal read
// different columns, so a statement with an alias is value-sensitive
// (the parser does not keep how an alias was written).
type myAliases struct{ found bool }

func (v *myAliases) Enter(n ast.Node) (ast.Node, bool) {
	if f, ok := n.(*ast.SelectField); ok && f.AsName.O != "" {
		v.found = true
	}
	return n, v.found
}

func (v *myAliases) Leave(n ast.Node) (ast.Node, bool) { return n, true }
