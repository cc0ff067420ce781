package cluster

import (
	"github.com/floe-db/floe/internal/analysis"
	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/route"
	"github.com/floe-db/floe/internal/sqlparse"
)

// Classes gives the routing class of statement texts of one dialect,
// cached by the text's shape (texts that differ only in literal values
// share a class) or else by the text.
type Classes struct {
	dialect  policy.Dialect
	cache    *sqlparse.Cache[route.Class]
	classify func(string) (route.Class, error)
}

// NewClasses classifies with parse (the dialect's parser).
func NewClasses(d policy.Dialect, parse func(string) ([]sqlparse.Statement, error)) *Classes {
	classify := func(text string) (route.Class, error) {
		stmts, err := parse(text)
		if err != nil {
			stmts = nil // not parsed: the primary, the safe side
		}
		return route.Classify(text, stmts), nil
	}
	return &Classes{dialect: d, cache: sqlparse.NewCache(classify, 4096), classify: classify}
}

// Of is text's class.
func (c *Classes) Of(text string) route.Class {
	key, _, ok := analysis.ShapeKey(c.dialect, text)
	if !ok {
		cls, _ := c.cache.Parse(text)
		return cls
	}
	if cls, hit := c.cache.Get("\x00" + key); hit {
		return cls
	}
	cls, _ := c.classify(text)
	c.cache.Add("\x00"+key, cls)
	return cls
}

// ClassOf is Of (a Classifier).
func (c *Classes) ClassOf(text string) route.Class { return c.Of(text) }
