package sqlite

import (
	"context"
	"database/sql"

	"github.com/floe-db/floe/arrowsql"
	"github.com/floe-db/floe/internal/policy"
)

// columnMasks returns the mask of each result column of q (nil when none
// is masked). SQLite names the table and column a result column comes
// from, through subqueries and CTEs; computed columns have none (the
// policy refuses computing on masked columns).
func columnMasks(ctx context.Context, conn *sql.Conn, q string, ms *policy.Masks) ([]*policy.Mask, error) {
	if ms == nil {
		return nil, nil
	}
	origins, err := arrowsql.SQLiteOrigins(conn, q)
	if err != nil {
		return nil, err
	}
	var masks []*policy.Mask
	for i, o := range origins {
		if o.Table == "" {
			continue
		}
		m := ms.Column(o.Schema, o.Table, o.Column)
		if m == nil {
			continue
		}
		if masks == nil {
			masks = make([]*policy.Mask, len(origins))
		}
		masks[i] = m
	}
	return masks, nil
}

// mask replaces the values of masked columns in a row read from the
// cursor by their masked text (or NULL).
func (c *Cursor) mask(vals []any) {
	for i, m := range c.masks {
		if m == nil || vals[i] == nil {
			continue
		}
		if m.Null() {
			vals[i] = nil
			continue
		}
		vals[i] = string(m.Apply(nil, AppendText(nil, c.srcTypes[i], vals[i])))
	}
}
