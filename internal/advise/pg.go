package advise

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// pgPlanner plans PostgreSQL shapes on a connection of its own.
type pgPlanner struct {
	conn   *pgx.Conn
	hypo   bool
	noHypo string
}

// OpenPostgres connects to dsn (a login that may read the catalog and,
// for verified advice, create the hypopg extension or find it created)
// and prepares the session: generic plans (the shapes' values are not
// known), a statement timeout, and hypopg when it can be had.
func OpenPostgres(ctx context.Context, dsn string) (Planner, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	cfg.RuntimeParams["application_name"] = "floe-advise"
	// No statement cache: the session's prepared statements are the
	// advice's own.
	cfg.DefaultQueryExecMode = pgx.QueryExecModeExec
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	p := &pgPlanner{conn: conn}
	// force_generic_plan: EXECUTE plans the statement with its parameters
	// unknown, so the NULLs given for them do not shape the plan.
	if _, err := conn.Exec(ctx, "SET plan_cache_mode = force_generic_plan; SET statement_timeout = '10s'; SET lock_timeout = '1s'"); err != nil {
		conn.Close(ctx)
		return nil, err
	}
	if _, err := conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS hypopg"); err != nil {
		p.noHypo = "hypopg is not available (" + pgMessage(err) + "): advice is not verified by the planner"
	} else {
		p.hypo = true
	}
	return p, nil
}

func pgMessage(err error) string {
	s := err.Error()
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

func (p *pgPlanner) CanVerify() (bool, string) { return p.hypo, p.noHypo }

func (p *pgPlanner) Close() { _ = p.conn.Close(context.Background()) }

func (p *pgPlanner) Indexes(ctx context.Context, t TableRef) ([][]string, error) {
	// Valid, non-partial btree indexes; expression columns read as "".
	rows, err := p.conn.Query(ctx, `
SELECT array_agg(coalesce(a.attname, '') ORDER BY k.ord)
FROM pg_index i
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_am am ON am.oid = ic.relam
CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum AND k.attnum > 0
WHERE n.nspname = $1 AND c.relname = $2 AND i.indisvalid AND i.indpred IS NULL AND am.amname = 'btree'
  AND k.ord <= i.indnkeyatts
GROUP BY i.indexrelid`, t.Schema, t.Name)
	if err != nil {
		return nil, err
	}
	var out [][]string
	for rows.Next() {
		var cols []string
		if err := rows.Scan(&cols); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, cols)
	}
	return out, rows.Err()
}

// pgPlannable is the text the planner sees for a shape: its '?' marks as
// parameters, parsed (one SELECT, UPDATE or DELETE, else
// ErrNotPlannable) and printed again by the parser's deparser, so
// exactly the statement read runs, and how many parameters it has.
func pgPlannable(shape string) (string, int, error) {
	text, n := PostgresPlaceholders(shape)
	tree, err := pg_query.Parse(text)
	if err != nil {
		return "", 0, fmt.Errorf("%w: %v", ErrNotPlannable, err)
	}
	if len(tree.Stmts) != 1 {
		return "", 0, fmt.Errorf("%w: %d statements", ErrNotPlannable, len(tree.Stmts))
	}
	st := tree.Stmts[0].Stmt
	if st.GetSelectStmt() == nil && st.GetUpdateStmt() == nil && st.GetDeleteStmt() == nil {
		return "", 0, fmt.Errorf("%w: not a SELECT, UPDATE or DELETE", ErrNotPlannable)
	}
	if s := st.GetSelectStmt(); s != nil && s.IntoClause != nil {
		return "", 0, fmt.Errorf("%w: SELECT INTO", ErrNotPlannable)
	}
	out, err := pg_query.Deparse(tree)
	if err != nil {
		return "", 0, fmt.Errorf("%w: %v", ErrNotPlannable, err)
	}
	return out, n, nil
}

// Explain prepares the shape and EXPLAINs its EXECUTE with NULL for
// every parameter, under force_generic_plan, in a READ ONLY transaction
// that is rolled back: nothing runs, and nothing could write.
func (p *pgPlanner) Explain(ctx context.Context, shape string) (Plan, error) {
	text, n, err := pgPlannable(shape)
	if err != nil {
		return Plan{}, err
	}
	if err := p.guard(ctx, text); err != nil {
		return Plan{}, err
	}
	args := ""
	if n > 0 {
		args = "(" + strings.TrimSuffix(strings.Repeat("NULL, ", n), ", ") + ")"
	}
	defer func() {
		// PREPARE is not undone by ROLLBACK.
		_, _ = p.conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
		_, _ = p.conn.Exec(context.WithoutCancel(ctx), "DEALLOCATE floe_advise")
	}()
	if _, err := p.conn.Exec(ctx, "BEGIN READ ONLY; PREPARE floe_advise AS "+text); err != nil {
		return Plan{}, errors.New(pgMessage(err))
	}
	var raw []byte
	if err := p.conn.QueryRow(ctx, "EXPLAIN (FORMAT JSON) EXECUTE floe_advise"+args, pgx.QueryExecModeSimpleProtocol).Scan(&raw); err != nil {
		return Plan{}, errors.New(pgMessage(err))
	}
	return pgPlan(raw)
}

// pgPlan reads an EXPLAIN (FORMAT JSON) document.
func pgPlan(raw []byte) (Plan, error) {
	var doc []struct {
		Plan map[string]any `json:"Plan"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil || len(doc) == 0 {
		return Plan{}, fmt.Errorf("advise: unreadable plan: %v", err)
	}
	var pl Plan
	if c, ok := doc[0].Plan["Total Cost"].(float64); ok {
		pl.Cost = c
	}
	var visit func(n map[string]any)
	visit = func(n map[string]any) {
		typ, _ := n["Node Type"].(string)
		rel, _ := n["Relation Name"].(string)
		rows, _ := n["Plan Rows"].(float64)
		switch typ {
		case "Seq Scan":
			pl.Scans = append(pl.Scans, rel)
			if _, filtered := n["Filter"]; filtered {
				pl.Evidence = append(pl.Evidence, fmt.Sprintf("Seq Scan on %s, its filter keeping an estimated %.0f rows", rel, rows))
			} else {
				pl.Evidence = append(pl.Evidence, fmt.Sprintf("Seq Scan on %s (estimated %.0f rows)", rel, rows))
			}
		case "Sort", "Incremental Sort":
			pl.Sorted = true
			pl.Evidence = append(pl.Evidence, fmt.Sprintf("%s (estimated %.0f rows)", typ, rows))
		case "Index Scan", "Index Only Scan", "Bitmap Index Scan":
			if ix, ok := n["Index Name"].(string); ok {
				pl.Uses = append(pl.Uses, ix)
			}
		}
		kids, _ := n["Plans"].([]any)
		for _, k := range kids {
			if m, ok := k.(map[string]any); ok {
				visit(m)
			}
		}
	}
	visit(doc[0].Plan)
	return pl, nil
}

func (p *pgPlanner) Hypothetical(ctx context.Context, x Index) error {
	if !p.hypo {
		return errors.New("hypopg is not available")
	}
	def := "CREATE INDEX ON " + quotePG(x.Table.Schema) + "." + quotePG(x.Table.Name) + " ("
	for i, c := range x.Columns {
		if i > 0 {
			def += ", "
		}
		def += quotePG(c)
	}
	def += ")"
	_, err := p.conn.Exec(ctx, "SELECT * FROM hypopg_create_index($1)", def)
	return err
}

func (p *pgPlanner) Reset(ctx context.Context) error {
	if !p.hypo {
		return nil
	}
	_, err := p.conn.Exec(ctx, "SELECT hypopg_reset()")
	return err
}
