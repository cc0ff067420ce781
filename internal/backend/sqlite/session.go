package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"sync"

	"github.com/floe-db/floe/internal/analysis"
	"github.com/floe-db/floe/internal/backend/sqlite/catalog"
	"github.com/floe-db/floe/internal/policy"
	"github.com/floe-db/floe/internal/sqlerr"
	"github.com/floe-db/floe/internal/stmt"
)

// Session is one client session on the engine, whatever its protocol:
// its own *sql.Conn for its whole life (so BEGIN/COMMIT and temporary
// tables behave as in SQLite), its session of the dialect's statement
// pipeline, and the cancel of the statement under way. Its methods are
// called from the session's goroutine; Cancel from any.
type Session struct {
	conn *sql.Conn
	ps   *stmt.Session
	gate *policy.Gate // ps.Gate(): the masks, COM_FIELD_LIST

	mu struct {
		sync.Mutex
		cancel context.CancelFunc
	}
}

// Connect opens a session for a client of dialect d (the front end's):
// a connection of its own and a session of that dialect's pipeline.
func (e *Engine) Connect(ctx context.Context, d analysis.Dialect, who policy.Request) (*Session, error) {
	conn, err := e.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if err := setSessionValues(ctx, conn, who.User, e.name); err != nil {
		_ = conn.Close()
		return nil, err
	}
	if err := catalog.Attach(ctx, conn, d, e.name, who.User); err != nil {
		_ = conn.Close()
		return nil, err
	}
	ps := e.Pipeline(d).Open(who)
	return &Session{conn: conn, ps: ps, gate: ps.Gate()}, nil
}

// setSessionValues fills the connection's temporary table floe_session
// (one row: user_name, database_name) that translated statements read
// current_user and current_database() from. A pooled connection keeps its
// temporary tables: the row is written again for each session.
func setSessionValues(ctx context.Context, conn *sql.Conn, user, database string) error {
	_, err := conn.ExecContext(ctx, "CREATE TEMP TABLE IF NOT EXISTS floe_session (user_name TEXT, database_name TEXT)")
	if err == nil {
		_, err = conn.ExecContext(ctx, "DELETE FROM temp.floe_session")
	}
	if err == nil {
		_, err = conn.ExecContext(ctx, "INSERT INTO temp.floe_session VALUES (?, ?)", user, database)
	}
	return err
}

// Close gives the session's connection back.
func (s *Session) Close() error { return s.conn.Close() }

// Conn is the session's connection.
func (s *Session) Conn() *sql.Conn { return s.conn }

// Statements is the session's session of the statement pipeline.
func (s *Session) Statements() *stmt.Session { return s.ps }

// Gate is the policy bound to the session.
func (s *Session) Gate() *policy.Gate { return s.gate }

// Cancel cancels the statement under way, if any.
func (s *Session) Cancel() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.cancel != nil {
		s.mu.cancel()
	}
}

// Run returns a context for one statement that Cancel cancels.
func (s *Session) Run(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	s.mu.Lock()
	s.mu.cancel = cancel
	s.mu.Unlock()
	return ctx, cancel
}

// Forget ends what Cancel cancels: the statement Run began is over.
func (s *Session) Forget() {
	s.mu.Lock()
	s.mu.cancel = nil
	s.mu.Unlock()
}

// Query starts a row-returning statement that Cancel cancels and settles
// its column types (OpenCursor).
func (s *Session) Query(ctx context.Context, q string, args []any) (*Cursor, error) {
	rctx, cancel := s.Run(ctx)
	return s.OpenCursor(rctx, cancel, q, args)
}

// QueryStatement is Query of a translated statement: its columns without
// a declared type take the type the translation knows (ColTypes) before
// the first row's.
func (s *Session) QueryStatement(ctx context.Context, st *Statement, args []any) (*Cursor, error) {
	rctx, cancel := s.Run(ctx)
	return openCursor(rctx, cancel, s.conn, st.SQL, args, s.gate.Masks(), st.ColTypes)
}

// Cursor is an open result with its column types settled.
type Cursor struct {
	rows *sql.Rows
	// Columns are the result's columns (a front end may settle the type
	// of an expression column itself when there is no row to look at).
	Columns []Column
	first   []any // a row read ahead to type expression columns
	// untyped lists the columns without a declared type.
	untyped []int
	n       int64
	cancel  context.CancelFunc
	// masks, per column (nil: none masked); srcTypes are the column types
	// before masking made them text.
	masks    []*policy.Mask
	srcTypes []Type
}

// OpenCursor runs q on the session's connection and settles the result's
// column types: the declared type where there is one, else the first
// row's value type. cancel ends rctx and is called when the cursor
// closes. Columns the session's masks mask become text (or stay as they
// are for a NULL mask).
func (s *Session) OpenCursor(rctx context.Context, cancel context.CancelFunc, q string, args []any) (*Cursor, error) {
	return openCursor(rctx, cancel, s.conn, q, args, s.gate.Masks(), nil)
}

func openCursor(rctx context.Context, cancel context.CancelFunc, conn *sql.Conn, q string, args []any, ms *policy.Masks, known []Type) (*Cursor, error) {
	masks, err := columnMasks(rctx, conn, q, ms)
	if err != nil {
		cancel()
		return nil, err
	}
	rows, err := conn.QueryContext(rctx, q, args...)
	if err != nil {
		cancel()
		return nil, err
	}
	cur := &Cursor{rows: rows, cancel: cancel}
	cols, err := rows.ColumnTypes()
	if err != nil {
		cur.Close()
		return nil, err
	}
	cur.Columns = make([]Column, len(cols))
	untyped := false
	for i, ct := range cols {
		c := &cur.Columns[i]
		c.Name = ct.Name()
		c.Decl = strings.ToUpper(ct.DatabaseTypeName())
		t, ok := TypeOf(c.Decl)
		if !ok && i < len(known) && known[i] != TypeUnknown {
			t, ok = known[i], true
		}
		if !ok {
			untyped = true
			cur.untyped = append(cur.untyped, i)
		}
		c.Type = t
	}
	if untyped {
		// Expression columns take their type from the first row.
		if rows.Next() {
			cur.first = make([]any, len(cols))
			if err := scanRow(rows, cur.first); err != nil {
				cur.Close()
				return nil, err
			}
		} else if err := rows.Err(); err != nil {
			cur.Close()
			return nil, err
		}
		for i := range cur.Columns {
			c := &cur.Columns[i]
			if c.Type == TypeUnknown {
				c.Type = TypeText
				if cur.first != nil && cur.first[i] != nil {
					c.Type = typeOfValue(cur.first[i])
				}
			}
		}
	}
	if masks != nil {
		if len(masks) != len(cur.Columns) {
			// Never show a result whose masks do not line up with it.
			cur.Close()
			return nil, sqlerr.New(sqlerr.InsufficientPrivilege, "the result has masked columns that could not be matched to it")
		}
		cur.masks = masks
		cur.srcTypes = make([]Type, len(cur.Columns))
		for i, c := range cur.Columns {
			cur.srcTypes[i] = c.Type
		}
		for i, m := range masks {
			if m != nil && !m.Null() {
				cur.Columns[i].Type = TypeText
				cur.Columns[i].Decl = "TEXT"
			}
		}
	}
	return cur, nil
}

func scanRow(rows *sql.Rows, vals []any) error {
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	return rows.Scan(ptrs...)
}

// Next reads the next row into vals (one per column), masked; false at
// the end of the result (with the error that ended it, if any).
func (c *Cursor) Next(vals []any) (bool, error) {
	if c.first != nil {
		copy(vals, c.first)
		c.first = nil
	} else {
		if !c.rows.Next() {
			return false, c.rows.Err()
		}
		if err := scanRow(c.rows, vals); err != nil {
			return false, err
		}
	}
	c.mask(vals)
	c.n++
	return true, nil
}

// Read is the number of rows Next has read.
func (c *Cursor) Read() int64 { return c.n }

// Untyped lists the columns without a declared type, whose type came
// from the first row (or is text when there was none: see HasRow).
func (c *Cursor) Untyped() []int { return c.untyped }

// HasRow reports whether a first row was read ahead to type the untyped
// columns and is still to be read.
func (c *Cursor) HasRow() bool { return c.first != nil }

// Cancel cancels the statement behind the cursor.
func (c *Cursor) Cancel() { c.cancel() }

// Close closes the result.
func (c *Cursor) Close() {
	_ = c.rows.Close()
	if c.cancel != nil {
		c.cancel()
	}
}

// ColumnTypes maps the lower-case column names of tables to their types
// (the first table naming a column wins).
func (s *Session) ColumnTypes(ctx context.Context, tables []string) map[string]Type {
	out := map[string]Type{}
	for _, t := range tables {
		rows, err := s.conn.QueryContext(ctx, "SELECT name, type FROM pragma_table_info(?)", t)
		if err != nil {
			continue
		}
		for rows.Next() {
			var name, decl string
			if rows.Scan(&name, &decl) == nil {
				if typ, ok := TypeOf(strings.ToUpper(decl)); ok {
					if _, seen := out[strings.ToLower(name)]; !seen {
						out[strings.ToLower(name)] = typ
					}
				}
			}
		}
		_ = rows.Close()
	}
	return out
}
