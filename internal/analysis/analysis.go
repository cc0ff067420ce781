package analysis

import (
	"strings"
	"sync"

	"github.com/DataDog/go-sqllexer"
	"github.com/floe-db/floe/internal/route"
	"github.com/floe-db/floe/internal/sqlparse"
	"github.com/floe-db/floe/internal/sqltext"
)

// Dialect is the SQL dialect of a text.
type Dialect uint8

// Dialects.
const (
	Postgres Dialect = iota // PostgreSQL, and SQLite behind the PostgreSQL front end
	MySQL                   // MySQL/MariaDB, and SQLite behind the MySQL front end
)

func (d Dialect) String() string {
	if d == MySQL {
		return "mysql"
	}
	return "postgres"
}

// Slot names a value a consumer derives from an analysis (Derived).
type Slot uint8

// Slots.
const (
	// SlotPolicy is the policy's reading (firewall findings, masked text).
	SlotPolicy Slot = iota
	// SlotEngine is the embedded engine's reading (split statements).
	SlotEngine
	nSlots
)

// DefaultSize is the number of texts (and of shapes) an Analyzer keeps.
const DefaultSize = 10000

// MaxCachedLen is the longest text kept in the cache; longer ones (bulk
// inserts) are analysed for the statement at hand only.
const MaxCachedLen = 64 << 10

// Analyzer gives the analyses of one dialect's texts. It is safe for
// concurrent use.
type Analyzer struct {
	dialect Dialect
	texts   ring
	shapes  ring
}

// New returns an analyzer keeping up to size texts and size shapes
// (DefaultSize when size is 0).
func New(d Dialect, size int) *Analyzer {
	if size <= 0 {
		size = DefaultSize
	}
	return &Analyzer{dialect: d, texts: newRing(size), shapes: newRing(size)}
}

// Dialect is the analyzer's dialect.
func (z *Analyzer) Dialect() Dialect { return z.dialect }

// Of returns the analysis of text. Callers that ask for the same text
// get the same Analysis while it stays cached.
func (z *Analyzer) Of(text string) *Analysis {
	if z == nil {
		return nil
	}
	if len(text) > MaxCachedLen {
		a := &Analysis{Text: text, dialect: z.dialect}
		a.shape = a
		return a
	}
	if a := z.texts.get(text); a != nil {
		return a
	}
	a := &Analysis{Text: text, dialect: z.dialect}
	a.shape = a
	if key, strs, ok := ShapeKey(z.dialect, text); ok {
		a.key, a.strs = key, strs
		if s := z.shapes.get(key); s != nil {
			a.shape = s
		} else {
			a.shape = z.shapes.add(key, a)
		}
	}
	return z.texts.add(text, a)
}

// ClassOf is the routing class of text (Of(text).Class()).
func (z *Analyzer) ClassOf(text string) route.Class { return z.Of(text).Class() }

// Len is the number of texts cached.
func (z *Analyzer) Len() int { return z.texts.len() }

// Analysis is what one text yields. Every method computes its part on
// first use and keeps it.
type Analysis struct {
	// Text is the statement text as the client sent it.
	Text string

	dialect Dialect
	key     string
	strs    []string
	// shape is the first analysis of the text's shape (itself when it is
	// the first, or has no shape).
	shape *Analysis

	parse struct {
		once  sync.Once
		stmts []sqlparse.Statement
		err   error
	}
	fingerprinted struct {
		once  sync.Once
		stmts []sqlparse.Statement
		err   error
	}
	class struct {
		once sync.Once
		c    route.Class
	}
	effects struct {
		once sync.Once
		pg   sqltext.Effects
		my   sqltext.MySQLEffects
	}
	serverText struct {
		once sync.Once
		s    string
	}
	masked struct {
		once sync.Once
		s    string
	}
	limits struct {
		once sync.Once
		err  error
	}
	count struct {
		once sync.Once
		n    int
	}
	slots [nSlots]struct {
		once sync.Once
		v    any
	}
}

// Dialect is the text's dialect.
func (a *Analysis) Dialect() Dialect { return a.dialect }

// ShapeKey is the text with its literals replaced by markers ("" when
// the text has a literal that is not simple; see ShapeKey).
func (a *Analysis) ShapeKey() string { return a.key }

// Strings are the values of the text's string literals, in order (nil
// without a shape key).
func (a *Analysis) Strings() []string { return a.strs }

// Shape is the analysis of the first text of this text's shape (the
// same text with other literal values), itself when it is the first or
// the text has no shape key. A value that depends on the shape only —
// the masked text — is derived once on it.
func (a *Analysis) Shape() *Analysis { return a.shape }

// Masked is the text with its literals masked (sqltext.Mask, or MaskMySQL
// for the MySQL dialect), as statistics, logs and audit records show it.
// Texts of one shape mask alike, so it is computed once per shape, on
// Shape: a statement with new literal values is not lexed for it again.
func (a *Analysis) Masked() string {
	sh := a.shape
	sh.masked.once.Do(func() {
		if sh.dialect == MySQL {
			sh.masked.s = sqltext.MaskMySQL(sh.Text)
		} else {
			sh.masked.s = sqltext.Mask(sh.Text)
		}
	})
	return sh.masked.s
}

// Limits reports (a *sqlparse.LimitError) whether the text is over the
// parser limits (sqlparse.DefaultLimits), as sqlparse.CheckPostgres or
// CheckMySQL would. The length is the text's own; the rest — tokens,
// depth, operator chains — is scanned once per shape: two texts with one
// shape key differ only in the values of simple literals, each a single
// token to the pre-scan, so they scan alike.
func (a *Analysis) Limits() error {
	l := sqlparse.DefaultLimits()
	if err := l.CheckLength(len(a.Text)); err != nil {
		return err
	}
	sh := a.shape
	sh.limits.once.Do(func() {
		l.MaxBytes = 0
		sh.limits.err = l.Check(sh.Text, sh.dialect == MySQL)
	})
	return sh.limits.err
}

// Shared returns the analysis of the first text of this text's shape
// when the two parse alike (the parse does not depend on literal values),
// or nil: a consumer may derive its value from Shared's instead of
// computing it again.
func (a *Analysis) Shared() *Analysis {
	if a.shape == a {
		return nil
	}
	if stmts, err := a.shape.Statements(); err != nil || valueSensitive(stmts) {
		return nil
	}
	return a.shape
}

func valueSensitive(stmts []sqlparse.Statement) bool {
	for i := range stmts {
		if stmts[i].ValueSensitive {
			return true
		}
	}
	return false
}

func (a *Analysis) parser(fingerprint bool) func(string) ([]sqlparse.Statement, error) {
	switch {
	case a.dialect == MySQL && fingerprint:
		return sqlparse.MySQL
	case a.dialect == MySQL:
		return sqlparse.MySQLNoFingerprint
	case fingerprint:
		return sqlparse.Postgres
	}
	return sqlparse.PostgresNoFingerprint
}

// Statements are the parsed statements of the text, without
// fingerprints (err: the text did not parse).
func (a *Analysis) Statements() ([]sqlparse.Statement, error) {
	a.parse.once.Do(func() {
		if a.shape != a {
			if stmts, err := a.shape.Statements(); err == nil && !valueSensitive(stmts) {
				a.parse.stmts = stmts
				return
			}
		}
		a.parse.stmts, a.parse.err = a.parser(false)(a.Text)
	})
	return a.parse.stmts, a.parse.err
}

// Fingerprinted are the parsed statements with their fingerprints (the
// allow-list's key), parsed once more only when asked for.
func (a *Analysis) Fingerprinted() ([]sqlparse.Statement, error) {
	a.fingerprinted.once.Do(func() {
		if s := a.Shared(); s != nil {
			a.fingerprinted.stmts, a.fingerprinted.err = s.Fingerprinted()
			return
		}
		a.fingerprinted.stmts, a.fingerprinted.err = a.parser(true)(a.Text)
	})
	return a.fingerprinted.stmts, a.fingerprinted.err
}

// StatementCount is the number of statements the text runs: the
// parsed ones, or for a text the parser does not read (a server's syntax
// it does not know) the non-empty pieces between the semicolons the
// dialect's lexer finds, as the server would split it (at least 1).
func (a *Analysis) StatementCount() int {
	a.count.once.Do(func() {
		if stmts, err := a.Statements(); err == nil {
			a.count.n = max(len(stmts), 1)
			return
		}
		a.count.n = max(lexedStatements(a.dialect, a.ServerText()), 1)
	})
	return a.count.n
}

// lexedStatements counts the non-empty statements of text between the
// semicolons its lexer finds (outside strings, identifiers and comments).
func lexedStatements(d Dialect, text string) int {
	dbms := sqllexer.DBMSPostgres
	if d == MySQL {
		dbms = sqllexer.DBMSMySQL
	}
	lx := sqllexer.New(text, sqllexer.WithDBMS(dbms))
	n, open := 0, false
	for {
		tok := lx.Scan()
		switch {
		case tok.Type == sqllexer.EOF:
			if open {
				n++
			}
			return n
		case tok.Type == sqllexer.PUNCTUATION && tok.Value == ";":
			if open {
				n++
			}
			open = false
		case tok.Type != sqllexer.SPACE && tok.Type != sqllexer.COMMENT && tok.Type != sqllexer.MULTILINE_COMMENT:
			open = true
		}
	}
}

// Class is the text's routing class (a text that does not parse goes
// where writes go).
func (a *Analysis) Class() route.Class {
	a.class.once.Do(func() {
		if s := a.Shared(); s != nil {
			a.class.c = s.Class()
			return
		}
		stmts, err := a.Statements()
		if err != nil {
			stmts = nil
		}
		a.class.c = route.Classify(a.Text, stmts)
	})
	return a.class.c
}

// Effects is what a PostgreSQL-dialect text does to session state.
func (a *Analysis) Effects() sqltext.Effects {
	a.effects.once.Do(a.lexEffects)
	return a.effects.pg
}

// MySQLEffects is what a MySQL-dialect text does to session state, read
// as the server reads it (executable comments opened).
func (a *Analysis) MySQLEffects() sqltext.MySQLEffects {
	a.effects.once.Do(a.lexEffects)
	return a.effects.my
}

func (a *Analysis) lexEffects() {
	if a.dialect == MySQL {
		a.effects.my = sqltext.MySQLSessionEffects(a.ServerText())
		return
	}
	a.effects.pg = sqltext.SessionEffects(a.Text)
}

// ServerText is the text as a MySQL server reads it: executable comments
// (/*! … */, /*M! … */) opened, the others kept. For PostgreSQL it is
// the text.
func (a *Analysis) ServerText() string {
	a.serverText.once.Do(func() {
		q := a.Text
		if a.dialect != MySQL || !strings.Contains(q, "/*") {
			a.serverText.s = q
			return
		}
		if t, err := sqlparse.MySQLServerText(q); err == nil {
			a.serverText.s = t
			return
		}
		a.serverText.s = strings.NewReplacer("/*!", "   ", "/*M!", "    ", "/*m!", "    ").Replace(q)
	})
	return a.serverText.s
}

// Derived returns the value of slot, computing it with f on first use.
// Every caller of one slot must pass the same f.
func (a *Analysis) Derived(slot Slot, f func(*Analysis) any) any {
	s := &a.slots[slot]
	s.once.Do(func() { s.v = f(a) })
	return s.v
}
