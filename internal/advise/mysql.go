package advise

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"

	"github.com/floe-db/floe/arrowsql"
)

// myPlanner plans MySQL/MariaDB shapes on a connection of its own. The
// servers have no hypothetical indexes: its advice is never verified.
type myPlanner struct {
	conn   *arrowsql.MySQLConn
	schema string // the default schema
}

// OpenMySQL connects to dsn (mysql://user:password@host:port/database).
func OpenMySQL(ctx context.Context, dsn string) (Planner, error) {
	c, err := arrowsql.ConnectMySQL(ctx, dsn)
	if err != nil {
		return nil, err
	}
	// Bound each statement where the server knows how (MariaDB, then
	// MySQL); a server that knows neither plans without a bound.
	if _, err := c.Execute("SET SESSION max_statement_time = 10"); err != nil {
		_, _ = c.Execute("SET SESSION max_execution_time = 10000")
	}
	_, _ = c.Execute("SET SESSION TRANSACTION READ ONLY")
	return &myPlanner{conn: c, schema: MySQLSchema(dsn)}, nil
}

// MySQLSchema is the database a mysql:// URL names (the default schema
// of unqualified tables).
func MySQLSchema(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(u.Path, "/")
}

func (p *myPlanner) CanVerify() (bool, string) {
	return false, "MySQL and MariaDB have no hypothetical indexes: advice rests on the statements and their EXPLAIN, not verified by the planner"
}

func (p *myPlanner) Close() { _ = p.conn.Close() }

func (p *myPlanner) Hypothetical(context.Context, Index) error {
	return errors.New("no hypothetical indexes on MySQL")
}

func (p *myPlanner) Reset(context.Context) error { return nil }

func (p *myPlanner) Indexes(_ context.Context, t TableRef) ([][]string, error) {
	res, err := p.conn.Execute(`SELECT INDEX_NAME, LOWER(COLUMN_NAME) FROM information_schema.STATISTICS
WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_TYPE = 'BTREE' ORDER BY INDEX_NAME, SEQ_IN_INDEX`, t.Schema, t.Name)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	var out [][]string
	last := ""
	for i := range res.Resultset.RowNumber() {
		name, _ := res.GetString(i, 0)
		col, _ := res.GetString(i, 1)
		if name != last || len(out) == 0 {
			out = append(out, nil)
			last = name
		}
		out[len(out)-1] = append(out[len(out)-1], col)
	}
	return out, nil
}

// myPlannable is the text EXPLAIN reads for a shape: its '?' marks as
// literals, checked to be one SELECT, UPDATE or DELETE; an UPDATE or a
// single-table DELETE is planned as the SELECT of the rows it changes.
func myPlannable(shape string) (string, error) {
	text := MySQLLiterals(shape)
	nodes, _, err := parser.New().Parse(text, "", "")
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNotPlannable, err)
	}
	if len(nodes) != 1 {
		return "", fmt.Errorf("%w: %d statements", ErrNotPlannable, len(nodes))
	}
	switch x := nodes[0].(type) {
	case *ast.SelectStmt:
		if x.SelectIntoOpt != nil || x.LockInfo != nil {
			return "", fmt.Errorf("%w: SELECT INTO or a locking read", ErrNotPlannable)
		}
	case *ast.SetOprStmt:
	case *ast.UpdateStmt:
		return mySelectOf(x.TableRefs, x.Where, x.Order, x.Limit)
	case *ast.DeleteStmt:
		if x.IsMultiTable {
			return "", fmt.Errorf("%w: multi-table DELETE", ErrNotPlannable)
		}
		return mySelectOf(x.TableRefs, x.Where, x.Order, x.Limit)
	default:
		return "", fmt.Errorf("%w: not a SELECT, UPDATE or DELETE", ErrNotPlannable)
	}
	return text, nil
}

// mySelectOf is the SELECT that finds the rows an UPDATE or DELETE
// changes: the same tables, WHERE, ORDER BY and LIMIT, so its plan is the
// write's access path, planned in a READ ONLY session where EXPLAIN of
// the write itself is refused.
func mySelectOf(from *ast.TableRefsClause, where ast.ExprNode, order *ast.OrderByClause, limit *ast.Limit) (string, error) {
	if from == nil {
		return "", fmt.Errorf("%w: no table", ErrNotPlannable)
	}
	sel := &ast.SelectStmt{
		SelectStmtOpts: &ast.SelectStmtOpts{SQLCache: true},
		Kind:           ast.SelectStmtKindSelect,
		Fields:         &ast.FieldList{Fields: []*ast.SelectField{{WildCard: &ast.WildCardField{}}}},
		From:           from, Where: where, OrderBy: order, Limit: limit,
	}
	var b strings.Builder
	if err := sel.Restore(format.NewRestoreCtx(format.RestoreStringSingleQuotes|format.RestoreKeyWordUppercase|format.RestoreNameBackQuotes|format.RestoreStringWithoutCharset, &b)); err != nil {
		return "", fmt.Errorf("%w: %v", ErrNotPlannable, err)
	}
	return b.String(), nil
}

// Explain reads EXPLAIN FORMAT=JSON (which plans without running).
func (p *myPlanner) Explain(ctx context.Context, shape string) (Plan, error) {
	if err := ctx.Err(); err != nil {
		return Plan{}, err
	}
	text, err := myPlannable(shape)
	if err != nil {
		return Plan{}, err
	}
	if err := p.guard(text, p.schema); err != nil {
		return Plan{}, err
	}
	res, err := p.conn.Execute("EXPLAIN FORMAT=JSON " + text)
	if err != nil {
		return Plan{}, err
	}
	defer res.Close()
	if res.Resultset == nil || res.Resultset.RowNumber() == 0 {
		return Plan{}, errors.New("advise: EXPLAIN returned nothing")
	}
	raw, _ := res.GetString(0, 0)
	return myPlan([]byte(raw))
}

// myPlan reads an EXPLAIN FORMAT=JSON document of MySQL or MariaDB:
// tables read with access_type ALL, and filesorts.
func myPlan(raw []byte) (Plan, error) {
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return Plan{}, fmt.Errorf("advise: unreadable plan: %v", err)
	}
	var pl Plan
	var visit func(v any)
	visit = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if at, _ := x["access_type"].(string); at == "ALL" {
				name, _ := x["table_name"].(string)
				pl.Scans = append(pl.Scans, strings.ToLower(name))
				rows, _ := x["rows"].(float64)
				if rows == 0 {
					rows, _ = x["rows_examined_per_scan"].(float64)
				}
				pl.Evidence = append(pl.Evidence, fmt.Sprintf("full scan of %s (access_type ALL, %.0f rows)", name, rows))
			}
			if key, _ := x["key"].(string); key != "" {
				pl.Uses = append(pl.Uses, key)
			}
			if _, ok := x["filesort"]; ok {
				pl.Sorted = true
				pl.Evidence = append(pl.Evidence, "filesort")
			}
			if b, _ := x["using_filesort"].(bool); b {
				pl.Sorted = true
				pl.Evidence = append(pl.Evidence, "filesort")
			}
			if ci, ok := x["cost_info"].(map[string]any); ok && pl.Cost == 0 {
				if s, ok := ci["query_cost"].(string); ok {
					_, _ = fmt.Sscan(s, &pl.Cost)
				}
			}
			// In key order: the evidence reads the same every time.
			for _, k := range slices.Sorted(maps.Keys(x)) {
				visit(x[k])
			}
		case []any:
			for _, c := range x {
				visit(c)
			}
		}
	}
	visit(doc)
	return pl, nil
}
