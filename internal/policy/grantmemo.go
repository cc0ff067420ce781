package policy

import (
	"slices"
	"sync/atomic"

	"github.com/floe-db/floe/internal/sqlparse"
)

// grantMemo remembers the sessions a parse's grant check and exposure
// review allowed with nothing to scope (no catalogue listing to cut to
// the database: a rewrite of the text, done again for each text). Both
// read only the statements, the policy and the session's roles,
// database, default schema and dialect (the masks the review looks at
// follow from those) — and, for PREPARE/EXECUTE by name, the names the
// session prepared, so parses that name a prepared statement are never
// remembered. Texts of one shape share the parse
// only when no statement holds a value a rule reads
// (analysis.Analysis.Shared), so every text that reaches a memo has the
// statements the memo was made for. Denials are not kept: they are rare
// and their message names the user. A memo keeps the last memoKeys
// sessions' keys; a reload makes a new Policy, which no key matches.
type grantMemo struct {
	keys atomic.Pointer[[]grantKey]
}

const memoKeys = 8

type grantKey struct {
	p       *Policy
	dialect Dialect
	db      string
	schema  string
	roles   []string // a copy
}

func (k *grantKey) is(p *Policy, req *Request) bool {
	return k.p == p && k.dialect == req.Dialect && k.db == req.Database &&
		k.schema == req.DefaultSchema && slices.Equal(k.roles, req.Roles)
}

// newGrantMemo returns nil for statements whose check also reads the
// session's prepared names.
func newGrantMemo(stmts []sqlparse.Statement) *grantMemo {
	for i := range stmts {
		if stmts[i].PreparedName != "" {
			return nil
		}
	}
	return &grantMemo{}
}

// allowed reports whether the check allowed req's session before.
func (m *grantMemo) allowed(p *Policy, req *Request) bool {
	if m == nil {
		return false
	}
	if keys := m.keys.Load(); keys != nil {
		for i := range *keys {
			if (*keys)[i].is(p, req) {
				return true
			}
		}
	}
	return false
}

// allow remembers that the check allowed req's session.
func (m *grantMemo) allow(p *Policy, req *Request) {
	if m == nil {
		return
	}
	old := m.keys.Load()
	keys := make([]grantKey, 1, memoKeys)
	keys[0] = grantKey{p: p, dialect: req.Dialect, db: req.Database, schema: req.DefaultSchema, roles: slices.Clone(req.Roles)}
	if old != nil {
		for i := range *old {
			if len(keys) == memoKeys {
				break
			}
			if !(*old)[i].is(p, req) {
				keys = append(keys, (*old)[i])
			}
		}
	}
	m.keys.Store(&keys)
}
