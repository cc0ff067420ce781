// Package stmt owns a statement's life in the gateway, the same for
// every path a statement can arrive by: the PostgreSQL and MySQL relays,
// the embedded engine behind either protocol, the HTTP data API and
// Flight SQL. Protocol code does protocol work only and calls the
// pipeline at three or four points.
//
// A Pipeline serves one logical database; each client session (or data
// API request) opens a Session on it. A statement's life:
//
//	Session.Start(ctx, via, text, cancel)      a text to run now
//	  analysis   the text's one Analysis (internal/analysis), cached
//	  decision   grants, firewall, row filters, masks (policy.Gate)
//	  limits     rate, concurrency, statement timeout — taken only after
//	             the decision allows, in this fixed order, so a denied
//	             statement takes no token on any path
//	  stages     Stage.Begin of each stage in order (statement stats,
//	             later a result cache, trace spans, plug-ins)
//	→ the protocol code relays or executes Statement.SQL (routing by
//	  Statement.Analysis.Class()), masking by Session.Gate().Masks(),
//	  and reports as results pass: Row (result bounds), NextResult,
//	  AddRows (rows returned or affected), Fail (an error code seen),
//	  and marks Acquired (backend connection in hand, and its server)
//	  and Responded (the database's first answer), which split the
//	  Outcome's time into Phases: policy, pool wait, backend, streaming
//	→ Statement.Finish(err)
//	  stages     Stage.End in reverse order, with the Outcome
//	  audit      the policy's "result" record (rows, error code)
//	  metrics    floe_queries_total by outcome, floe_query_duration
//
// A text checked without running (a PostgreSQL Parse, a MySQL
// COM_STMT_PREPARE) goes through Session.Check (analysis and decision
// only); when it later runs (Execute, COM_STMT_EXECUTE) Session.Begin
// takes the limits and runs the stages, after deciding on the text again
// if the policy changed since the Check (Session.Recheck: a reload must
// not leave a revoked grant in force for statements prepared before it;
// protocol code calls Recheck itself for each further statement of a
// batch begun earlier). A refusal answered without a
// Statement is counted with Session.Refused.
//
// The protocol code also hands the statement its parameter values
// (SetArgs: a Bind's, a COM_STMT_EXECUTE's), which a stage may use to
// run the text again (a plan capture's EXPLAIN) and must not keep; the
// statement names its user's roles and client (Roles, Client).
//
// Stages: a stage keeps per-statement state with Statement.SetValue and
// Value, and per-session state (what it follows from one statement of a
// session to the next) with Session.SetValue and Value, keyed by a type
// of its own. A result-cache stage offers a statement its cache with
// Statement.SetCache; protocol code asks Statement.Cache for a stored
// result (Hit) or a recorder of its own bytes (Record). Statement statistics are built in; further stages come from
// the gateway's configuration of the database (backend.Settings.Stages,
// Pipeline.SetStages on every build), so a new stage reaches every path
// without the protocols knowing of it. A statement ends with the stages
// it began with.
//
// Statements of one Session are serialised by its protocol code; a
// Pipeline and its stages are shared by every session and are safe for
// concurrent use. The statement-timeout cancel func runs on a timer
// goroutine.
package stmt
