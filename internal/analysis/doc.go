// Package analysis owns what a statement text yields independent of who
// sent it: its parsed statements, fingerprints, routing class, the
// session state it changes, and what consumers derive from those (the
// policy's firewall findings, the embedded engine's split statements).
//
// An Analyzer serves one dialect. Of returns the text's one Analysis from
// a bounded cache; every part of it is computed on first use, once
// (single-flight: concurrent callers wait for the one computation), so a
// text already seen is never parsed or lexed again on the hot path.
// Texts that differ only in simple literals share a shape (ShapeKey):
// the parse and the routing class of the first text of a shape serve the
// others unless the parse depends on a literal's value
// (sqlparse.Statement.ValueSensitive); what depends on the text itself
// (session effects, string literals) is each text's own. The masked text
// and the parser-limits pre-scan (Limits: tokens, depth, operator chains;
// the length is each text's own) are also the shape's, since texts of one
// shape mask and scan alike.
//
// Data flow: the statement pipeline (internal/stmt) asks the database's
// Analyzer for the text's Analysis once and hands it to the policy
// decision, routing, pinning and the engine. An Analysis is immutable to
// its users: values it returns must not be modified.
package analysis
