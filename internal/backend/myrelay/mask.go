package myrelay

import (
	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/wire/mysqlwire"
)

// maskPlan is how the columns of one result set are masked: the
// server's column definitions and, per column, its mask (nil: shown as
// it is).
type maskPlan struct {
	cols  []mysqlwire.Column
	masks []*policy.Mask
}

// planColumns decides the masks of a result set from its column
// definitions and rewrites the definitions of masked columns. Columns
// are matched by the base table and column the server reports; computed
// columns have none (the policy refuses computing on masked columns).
// It returns a nil plan when nothing is masked.
func planColumns(ms *policy.Masks, defs [][]byte) (*maskPlan, error) {
	if ms == nil {
		return nil, nil
	}
	var pl *maskPlan
	for i, d := range defs {
		c, err := mysqlwire.ParseColumn(d)
		if err != nil {
			return nil, err
		}
		var m *policy.Mask
		if c.OrgTable != "" {
			m = ms.Column(c.Schema, c.OrgTable, c.OrgName)
		}
		if m == nil {
			if pl != nil {
				pl.cols[i] = c
			}
			continue
		}
		if pl == nil {
			pl = &maskPlan{cols: make([]mysqlwire.Column, len(defs)), masks: make([]*policy.Mask, len(defs))}
			for j := range i {
				if pl.cols[j], err = mysqlwire.ParseColumn(defs[j]); err != nil {
					return nil, err
				}
			}
		}
		pl.cols[i], pl.masks[i] = c, m
		defs[i] = mysqlwire.AppendColumn(nil, maskedColumn(c, m))
	}
	return pl, nil
}

// maskedColumn is the definition the client sees for a masked column:
// a NULL mask keeps the type and drops NOT NULL; the others make the
// column a string.
func maskedColumn(c mysqlwire.Column, m *policy.Mask) mysqlwire.Column {
	if m.Null() {
		c.Flags &^= mysqlwire.FlagNotNull
		return c
	}
	c.Type = mysqlwire.TypeVarString
	c.Flags &= mysqlwire.FlagNotNull | mysqlwire.FlagPriKey
	if c.Charset == mysqlwire.CharsetBinary {
		c.Charset = mysqlwire.CharsetUTF8MB4
	}
	c.Length = max(c.Length, 256)
	c.Decimals = 0
	return c
}

// row rewrites one row of the result set.
func (pl *maskPlan) row(p []byte, binary bool) ([]byte, error) {
	var vals [][]byte
	var err error
	if binary {
		vals, err = mysqlwire.ParseBinaryRow(p, pl.cols)
	} else {
		vals, err = mysqlwire.TextRow(p, len(pl.cols))
	}
	if err != nil {
		return nil, err
	}
	for i, m := range pl.masks {
		switch {
		case m == nil || vals[i] == nil:
		case m.Null():
			vals[i] = nil
		case binary:
			text, err := mysqlwire.BinaryText(pl.cols[i], vals[i])
			if err != nil {
				return nil, err
			}
			vals[i] = mysqlwire.AppendLenBytes(nil, m.Apply(nil, text))
		default:
			vals[i] = m.Apply(nil, vals[i])
		}
	}
	out := make([]byte, 0, len(p)+16)
	if binary {
		return mysqlwire.AppendBinaryRow(out, vals), nil
	}
	return mysqlwire.AppendTextRow(out, vals), nil
}
