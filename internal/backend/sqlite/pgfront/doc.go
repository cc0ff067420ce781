// Package pgfront is the PostgreSQL front end of the embedded SQLite
// engine (internal/backend/sqlite): the pgwire.Handler that serves an
// engine's database to PostgreSQL clients. It owns the protocol work:
// the message loop (simple and extended query, Sync, Flush, Terminate),
// prepared statements and portals, session parameters (SET, SHOW,
// RESET; SHOW also answers the fixed settings drivers ask for, such as
// transaction isolation level, serializable as SQLite is),
// PostgreSQL's transaction rules that SQLite lacks (aborted
// transactions, BEGIN inside a transaction), RowDescription with the
// type OIDs and typmods PostgreSQL reports for the declared types
// (columnType: int4 for INTEGER, varchar(n), bpchar(n), float4 for REAL,
// numeric(p,s)), text and binary row encoding (binary values in the
// reported type's width),
// Bind parameter decoding, command tags, and errors sent through
// pgwire.ErrorOf.
//
// A connection's life: Serve (on the connection's goroutine, as
// pgwire's server calls it) opens an engine session (its own *sql.Conn
// and pipeline session), sends the parameters and ReadyForQuery and
// loops on messages until Terminate or a connection error; every message
// is handled on that goroutine. The canceller the connection registers
// cancels the statement under way.
//
// Statement lifecycle: a simple query is started with Session.Start
// (decision, then limits, then stages); a Parse is checked with
// Session.Check and its Execute begun with Session.Begin (each Execute of
// a suspended portal is a statement of its own). While a statement runs
// the session reports every row it sends (Statement.Row: result bounds;
// AddRows: rows returned), the rows a write affected, a new result per
// statement of a multi-statement text, and ends it with Statement.Finish
// under its error's SQLSTATE. A portal executed with a row limit keeps
// its cursor open between Execute messages (PortalSuspended) until the
// transaction ends or it is closed. Parameters whose type the client
// leaves open get the type of the column they meet; a Describe of a
// statement with expression columns and no row judges their types from
// the expressions; INSERT, UPDATE and DELETE … RETURNING are described by
// the engine's query of the same columns (Statement.DescribeSQL), never
// run for it. A described statement's expression columns keep the types
// it was described with when it runs (prepared.settle), and a NUMERIC is
// sent in numeric's binary form, so rows match the RowDescription. An array parameter (an array type's OID in Parse, text or
// binary) is decoded to the JSON array the engine holds arrays as
// (arrays.go); one of an open type stays text, which the translation
// reads as PostgreSQL's array text where it needs an array (floe_array).
//
// SQL PREPARE, EXECUTE and DEALLOCATE are the session's: PREPARE keeps
// the translated statement the pipeline decided on (the policy read the
// statement inside it), EXECUTE — which the policy allows only for a name
// the session prepared — evaluates its arguments and runs that statement
// with them bound, and is described as it.
//
// Result cache (cache.go; docs/PROTOCOLS.md): when the pipeline's cache
// stage offers a statement (Statement.Cache), a simple Query, a Describe
// of a portal (then its Execute) or an Execute is answered from the
// stored result, in package wirefmt's encoding that the PostgreSQL relay
// uses too, with the session's own ReadyForQuery status; on a miss the
// RowDescription, DataRows and CommandComplete sent are recorded. The key
// variant holds the Bind's parameters and result formats and the
// session's parameters.
package pgfront
