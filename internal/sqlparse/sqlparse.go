package sqlparse

import (
	"errors"
	"slices"
	"strings"
)

// Kind is what a statement does overall.
type Kind string

// Statement kinds.
const (
	KindSelect  Kind = "select"
	KindInsert  Kind = "insert"
	KindUpdate  Kind = "update"
	KindDelete  Kind = "delete"
	KindMerge   Kind = "merge"
	KindDDL     Kind = "ddl"
	KindDCL     Kind = "dcl"
	KindTCL     Kind = "tcl"
	KindCopy    Kind = "copy"
	KindCall    Kind = "call"
	KindUtility Kind = "utility" // SET, SHOW, EXPLAIN of nothing, LISTEN, …
)

// Action is what a statement does to one table.
type Action string

// Table actions.
const (
	ActionRead   Action = "read"
	ActionInsert Action = "insert"
	ActionUpdate Action = "update"
	ActionDelete Action = "delete"
	ActionDDL    Action = "ddl"
)

// Table is a table a statement touches.
type Table struct {
	Schema string // "" when not qualified
	Name   string
	Action Action
}

// String returns schema.name or name.
func (t Table) String() string {
	if t.Schema == "" {
		return t.Name
	}
	return t.Schema + "." + t.Name
}

// Statement is one parsed statement.
type Statement struct {
	Kind Kind
	// Node is the parser's name of the statement (SelectStmt, CopyStmt…).
	Node   string
	Tables []Table
	// Columns are the base-table columns the statement names.
	Columns   []ColumnUse
	Functions []string // lower case, schema-qualified when written so
	// SelectInto is set for SELECT … INTO (it creates a table).
	SelectInto bool
	// Locking is set when a SELECT takes row locks (FOR UPDATE, FOR
	// SHARE, LOCK IN SHARE MODE), anywhere in the statement.
	Locking bool
	// CopyProgram is set for COPY … PROGRAM (runs a command on the server).
	CopyProgram bool
	// FileAccess is set when the statement reads or writes files on the
	// database server: COPY to or from a file or program, SELECT … INTO
	// OUTFILE/DUMPFILE, LOAD DATA INFILE without LOCAL.
	FileAccess bool
	// Privileged names what makes a utility statement act beyond the
	// session's data (ALTER SYSTEM, SET ROLE, SET GLOBAL, FLUSH…), or "".
	Privileged string
	// SearchPath lists the schemas of SET search_path (lower case unless
	// quoted); SetsSearchPath is set for any SET or RESET of it.
	SearchPath     []string
	SetsSearchPath bool
	// Upsert is set when the statement changes existing rows through an
	// INSERT (ON CONFLICT DO UPDATE, ON DUPLICATE KEY UPDATE, REPLACE) or
	// a MERGE, anywhere in it: row filters are not added to those.
	Upsert bool
	// PreparedName is the statement name of PREPARE, EXECUTE and
	// DEALLOCATE ("" for DEALLOCATE ALL, which sets DeallocateAll).
	PreparedName  string
	DeallocateAll bool
	// Settings are the session settings the statement changes (SET,
	// RESET, set_config, ALTER … SET, SET NAMES); see settings.go.
	Settings []Setting
	// Unchecked, when set, says what SQL the statement has the server run
	// that no parser here can read (PREPARE … FROM @variable).
	Unchecked string
	// Prepared is set for SQL-level PREPARE … FROM 'text' (MySQL): the
	// statement's tables, columns, functions and settings are those of
	// the prepared text.
	Prepared bool
	// StoredProgram names the kind of stored program the statement
	// creates (MySQL CREATE PROCEDURE: "procedure"); its tables,
	// functions and columns include those of the body's statements.
	StoredProgram string
	// Exposes lists server state beyond the tables that the statement
	// reads: SHOW targets, settings and system variables (exposure.go).
	Exposes []string
	// Fingerprint identifies the statement with its literals normalised.
	Fingerprint string
	// Text is the statement's own text within the parsed string.
	Text string
	// Shape holds the structural facts the firewall inspects.
	Shape
}

// ErrSyntax wraps parser errors.
var ErrSyntax = errors.New("syntax error")

// addTable records t once per action.
func (s *Statement) addTable(t Table) {
	if !slices.Contains(s.Tables, t) {
		s.Tables = append(s.Tables, t)
	}
}

func (s *Statement) addFunction(name string) {
	name = strings.ToLower(name)
	if !slices.Contains(s.Functions, name) {
		s.Functions = append(s.Functions, name)
	}
}

// dropCTEs removes unqualified tables that name a CTE of the statement.
func (s *Statement) dropCTEs(ctes []string) {
	if len(ctes) == 0 {
		return
	}
	s.Tables = slices.DeleteFunc(s.Tables, func(t Table) bool {
		return t.Schema == "" && t.Action == ActionRead && slices.Contains(ctes, t.Name)
	})
}
