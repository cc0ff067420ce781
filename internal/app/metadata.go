package app

import (
	"context"
	"strings"
	"time"

	"github.com/floe-db/floe/internal/backend"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/sqlparse"
	"github.com/floe-db/floe/internal/stmt"
)

// InvalidateMetadata drops the catalogue metadata the gateway keeps of
// database db's tables (every table when none is named): the masking
// catalog of its backend and the data APIs' catalogue listings. Schema
// changes through the gateway (metadataStage) and the DDL and TRUNCATE
// events of the database's change stream (cdcEvent) call it.
func (a *App) InvalidateMetadata(db string, tables []string) {
	if st := a.state.Load(); st != nil {
		if d, ok := st.dbs[db].(backend.MetadataCache); ok {
			d.InvalidateMetadata(tables)
		}
	}
	if a.data != nil {
		a.data.InvalidateMetadata(db, tables)
	}
}

// metadataTTL is how long the data APIs keep database db's catalogue
// listings: cache.metadata_ttl while the database's cache is enabled,
// else 0 (not kept).
func (a *App) metadataTTL(db string) time.Duration {
	st := a.state.Load()
	if st == nil || st.cfg == nil {
		return 0
	}
	for _, d := range st.cfg.Databases {
		if d.Name == db {
			if d.Cache == nil || !d.Cache.Enabled {
				return 0
			}
			return d.Cache.MetadataTTLOrDefault()
		}
	}
	return 0
}

// metadataStage invalidates a database's metadata on every schema change
// (DDL, GRANT/REVOKE) run through the gateway, on any path, whether or
// not it succeeded (a failed batch may have applied part of it).
type metadataStage struct {
	a  *App
	db string
}

func (a *App) withMetadata(stages []stmt.Stage, db config.Database) []stmt.Stage {
	out := make([]stmt.Stage, 0, len(stages)+1)
	return append(append(out, stages...), metadataStage{a: a, db: db.Name})
}

func (metadataStage) Begin(context.Context, *stmt.Statement) error { return nil }

func (m metadataStage) End(st *stmt.Statement, _ stmt.Outcome) {
	// A statement a replica could serve changes no schema (the routing
	// class is read once per text and kept): only writes are scanned.
	if st.Analysis == nil || st.Analysis.Class().Read || !mayChangeSchema(st.Analysis.Text) {
		return
	}
	stmts, err := st.Analysis.Statements()
	if err != nil {
		if !st.Analysis.Class().Read {
			// A write the parser cannot read may change the schema.
			m.a.InvalidateMetadata(m.db, nil)
		}
		return
	}
	var tables []string
	changed, all := false, false
	for i := range stmts {
		s := &stmts[i]
		if s.Kind != sqlparse.KindDDL && s.Kind != sqlparse.KindDCL {
			continue
		}
		changed = true
		if len(s.Tables) == 0 {
			all = true
		}
		for _, t := range s.Tables {
			tables = append(tables, strings.ToLower(t.String()))
		}
	}
	if !changed {
		return
	}
	if all {
		tables = nil
	}
	m.a.InvalidateMetadata(m.db, tables)
}

// mayChangeSchema reports whether text has a word that starts a schema
// change (a cheap look before the parse, which most statements then do
// not need).
func mayChangeSchema(text string) bool {
	start := -1
	for i := 0; i <= len(text); i++ {
		word := i < len(text) && (text[i] >= 'a' && text[i] <= 'z' || text[i] >= 'A' && text[i] <= 'Z' || text[i] == '_')
		if word && start < 0 {
			start = i
		}
		if !word && start >= 0 {
			if schemaWord(text[start:i]) {
				return true
			}
			start = -1
		}
	}
	return false
}

func schemaWord(w string) bool {
	for _, k := range [...]string{"create", "alter", "drop", "rename", "truncate", "grant", "revoke", "comment"} {
		if strings.EqualFold(w, k) {
			return true
		}
	}
	return false
}
