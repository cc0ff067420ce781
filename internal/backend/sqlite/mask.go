package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	sqlite3 "modernc.org/sqlite"

	"github.com/floe-db/floe/internal/policy"
)

// columnInformer is the driver connection's report of where a query's
// result columns come from.
type columnInformer interface {
	ColumnInfo(query string) ([]sqlite3.ColumnInfo, error)
}

// columnMasks returns the mask of each result column of q (nil when none
// is masked). SQLite names the table and column a result column comes
// from, through subqueries and CTEs; computed columns have none (the
// policy refuses computing on masked columns).
func columnMasks(ctx context.Context, conn *sql.Conn, q string, ms *policy.Masks) ([]*policy.Mask, error) {
	if ms == nil {
		return nil, nil
	}
	var info []sqlite3.ColumnInfo
	err := conn.Raw(func(dc any) error {
		ci, ok := dc.(columnInformer)
		if !ok {
			return fmt.Errorf("the SQLite driver does not report column origins")
		}
		var err error
		info, err = ci.ColumnInfo(q)
		return err
	})
	if err != nil {
		return nil, err
	}
	var masks []*policy.Mask
	for i, c := range info {
		if c.TableName == "" {
			continue
		}
		m := ms.Column(c.DatabaseName, c.TableName, c.OriginName)
		if m == nil {
			continue
		}
		if masks == nil {
			masks = make([]*policy.Mask, len(info))
		}
		masks[i] = m
	}
	return masks, nil
}

// mask replaces the values of masked columns in a row read from the
// cursor by their masked text (or NULL).
func (c *cursor) mask(vals []any) {
	for i, m := range c.masks {
		if m == nil || vals[i] == nil {
			continue
		}
		if m.Null() {
			vals[i] = nil
			continue
		}
		vals[i] = string(m.Apply(nil, appendText(nil, c.srcOIDs[i], vals[i])))
	}
}
