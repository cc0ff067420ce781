package cdc

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	_ "github.com/pingcap/tidb/pkg/parser/test_driver" // value expressions of the parser
)

// queryControl says what a binary log query event is to the stream.
type queryControl int

const (
	ctlChange queryControl = iota // a change: the events returned
	ctlBegin                      // a transaction starts
	ctlCommit                     // the transaction commits
	ctlNone                       // inside a transaction: nothing to do
)

// queryEvents reads a binary log query event: the transaction control
// statements, DDL (the tables it names, op ddl; TRUNCATE op truncate), and
// statement-logged DML (the tables it names, op insert, update or delete).
// Statements that change no table (SET, GRANT, FLUSH…) give no events. A
// statement the parser cannot read gives one ddl event for the whole
// schema (empty Table), so that a consumer drops everything it holds of
// it. The Database field is left empty.
func queryEvents(schema, query string) (evs []Event, ctl queryControl) {
	q := strings.TrimSpace(query)
	words := strings.Fields(strings.ToUpper(q))
	word, next := "", ""
	if len(words) > 0 {
		word = strings.ToUpper(firstWord(words[0]))
	}
	if len(words) > 1 {
		next = words[1]
	}
	switch word {
	case "BEGIN":
		return nil, ctlBegin
	case "COMMIT":
		return nil, ctlCommit
	case "SAVEPOINT", "RELEASE":
		return nil, ctlNone
	case "ROLLBACK":
		if next == "TO" {
			return nil, ctlNone
		}
		// A rollback logged after non-transactional changes ends the
		// transaction; those changes stay.
		return nil, ctlCommit
	case "XA":
		switch next {
		case "START", "BEGIN":
			return nil, ctlBegin
		case "COMMIT", "ROLLBACK":
			return nil, ctlCommit
		}
		return nil, ctlNone
	}
	whole := []Event{{Schema: schema, Op: OpDDL}}
	stmts, err := parseQuery(q)
	if err != nil {
		return whole, ctlChange
	}
	seen := map[Event]bool{}
	add := func(ev Event) {
		if ev.Schema == "" {
			ev.Schema = schema
		}
		if !seen[ev] {
			seen[ev] = true
			evs = append(evs, ev)
		}
	}
	for _, st := range stmts {
		var op Op
		switch s := st.(type) {
		case *ast.TruncateTableStmt:
			op = OpTruncate
		case *ast.CreateDatabaseStmt:
			add(Event{Schema: s.Name.O, Op: OpDDL})
			continue
		case *ast.DropDatabaseStmt:
			add(Event{Schema: s.Name.O, Op: OpDDL})
			continue
		case *ast.AlterDatabaseStmt:
			add(Event{Schema: s.Name.O, Op: OpDDL})
			continue
		case ast.DDLNode:
			op = OpDDL
		case *ast.InsertStmt:
			op = OpInsert
		case *ast.UpdateStmt:
			op = OpUpdate
		case *ast.DeleteStmt:
			op = OpDelete
		case *ast.LoadDataStmt:
			op = OpInsert
		default:
			continue
		}
		c := &tableCollector{}
		st.Accept(c)
		if len(c.names) == 0 && op == OpDDL {
			add(Event{Schema: schema, Op: OpDDL})
		}
		for _, n := range c.names {
			add(Event{Schema: n.Schema.O, Table: n.Name.O, Op: op})
		}
	}
	return evs, ctlChange
}

// parseQuery parses with the TiDB parser; a panic inside it is a parse
// error.
func parseQuery(q string) (stmts []ast.StmtNode, err error) {
	defer func() {
		if r := recover(); r != nil {
			stmts, err = nil, errParse
		}
	}()
	stmts, _, err = parser.New().ParseSQL(q)
	return stmts, err
}

type parseError struct{}

func (parseError) Error() string { return "cdc: query not parsed" }

var errParse error = parseError{}

func firstWord(s string) string {
	for i, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return s[:i]
		}
	}
	return s
}

// tableCollector gathers the table names of a statement.
type tableCollector struct{ names []*ast.TableName }

func (c *tableCollector) Enter(n ast.Node) (ast.Node, bool) {
	if t, ok := n.(*ast.TableName); ok {
		c.names = append(c.names, t)
	}
	return n, false
}

func (c *tableCollector) Leave(n ast.Node) (ast.Node, bool) { return n, true }
