package sqlparse

import (
	"fmt"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
)

// MySQLNodes parses MySQL text as MySQL does (the same limits, the same
// reading of comments) and returns the parser's statement nodes, for a
// consumer that prints them again in another dialect (the embedded
// engine's translation): it then runs what the policy read. The nodes are
// the caller's own.
func MySQLNodes(sql string) (_ []ast.StmtNode, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: the parser failed on this text (%v)", ErrSyntax, r)
		}
	}()
	if err := CheckMySQL(sql); err != nil {
		return nil, err
	}
	text, err := mysqlServerText(sql)
	if err != nil {
		return nil, err
	}
	nodes, _, err := parser.New().Parse(text, "", "")
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrSyntax, err.Error())
	}
	return nodes, nil
}
